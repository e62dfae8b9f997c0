package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"junction"
)

// notificationPreferences is the answer of the preferences endpoint.
type notificationPreferences struct {
	EventTypes  []string                          `json:"event_types"`
	Preferences []junction.NotificationPreference `json:"preferences"`
}

func (c *CLI) notificationsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notifications",
		Short: "Read what Junction told you (connections disconnected, triggers failing, jobs failed) and choose what it tells you",
	}
	var unread, all bool
	list := &cobra.Command{
		Use:   "list [--unread]",
		Short: "List your notifications, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if unread {
				q.Set("unread", "true")
			}
			return listAndPrint(c, cmd, "/api/v1/notifications", q, all, []string{"AT", "ID", "READ", "TITLE", "LINK"},
				func(n *junction.Notification) []string {
					read := "no"
					if n.ReadAt != nil {
						read = "yes"
					}
					return []string{formatTime(n.At), n.ID, read, n.Title, n.Link}
				})
		},
	}
	list.Flags().BoolVar(&unread, "unread", false, "only notifications not read yet")
	addAllFlag(list, &all)

	read := &cobra.Command{
		Use:   "read ID",
		Short: "Mark one notification read",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/notifications/"+url.PathEscape(args[0])+"/read", nil,
				func(n *junction.Notification) [][2]string {
					return [][2]string{{"ID", n.ID}, {"Title", n.Title}, {"Body", n.Body}, {"Link", n.Link}, {"At", formatTime(n.At)}}
				})
		},
	}
	readAll := &cobra.Command{
		Use:   "read-all",
		Short: "Mark all your notifications read",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/notifications/read-all", nil, func(r *struct {
				Marked int `json:"marked"`
			}) [][2]string {
				return [][2]string{{"Marked read", strconv.Itoa(r.Marked)}}
			})
		},
	}
	cmd.AddCommand(list, read, readAll, c.notificationPreferencesCommand())
	return cmd
}

func preferenceFields(p *notificationPreferences) [][2]string {
	out := [][2]string{}
	for _, pr := range p.Preferences {
		scope := "every folder"
		if pr.FolderID != "" {
			scope = "folder " + pr.FolderID
		}
		out = append(out, [2]string{pr.EventType + " (" + scope + ")",
			"in-app " + yesNo(pr.InApp) + ", email " + yesNo(pr.Email)})
	}
	if len(out) == 0 {
		out = append(out, [2]string{"Preferences", "none: the defaults apply (folder and tenant administrators are told of their objects)"})
	}
	return out
}

func (c *CLI) notificationPreferencesCommand() *cobra.Command {
	const path = "/api/v1/me/notification-preferences"
	cmd := &cobra.Command{
		Use:   "preferences",
		Short: "Show what you chose to be told, per event type and folder",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return callAndPrint(c, cmd, http.MethodGet, path, nil, preferenceFields)
		},
	}
	var folder string
	var inApp, email, clear bool
	set := &cobra.Command{
		Use:   "set EVENT_TYPE [--folder F] [--in-app] [--email] [--clear]",
		Short: "Choose the channels of one event type, for a folder and its subfolders or every folder; --clear goes back to the default",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := c.call(cmd, http.MethodGet, path, nil)
			if err != nil {
				return err
			}
			var cur notificationPreferences
			if err := json.Unmarshal(raw, &cur); err != nil {
				return err
			}
			prefs := slices.DeleteFunc(cur.Preferences, func(p junction.NotificationPreference) bool {
				return p.EventType == args[0] && p.FolderID == folder
			})
			if !clear {
				prefs = append(prefs, junction.NotificationPreference{EventType: args[0], FolderID: folder, InApp: inApp, Email: email})
			}
			return callAndPrint(c, cmd, http.MethodPut, path, map[string]any{"preferences": prefs}, preferenceFields)
		},
	}
	set.Flags().StringVar(&folder, "folder", "", "the folder this choice holds in, with its subfolders (default: every folder)")
	set.Flags().BoolVar(&inApp, "in-app", false, "show it in your notifications")
	set.Flags().BoolVar(&email, "email", false, "email it to you")
	set.Flags().BoolVar(&clear, "clear", false, "remove the choice: the default applies again")
	cmd.AddCommand(set)
	return cmd
}

func (c *CLI) settingsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "Show and change your tenant's settings: retention and the notification webhook",
	}
	const retentionPath = "/api/v1/settings/retention"
	retentionFields := func(r *junction.Retention) [][2]string {
		return [][2]string{{"Executions (days)", strconv.Itoa(r.ExecutionsDays)},
			{"Trigger history (days)", strconv.Itoa(r.TriggerHistoryDays)},
			{"Audit (days)", strconv.Itoa(r.AuditDays)}, {"Jobs after they end (days)", strconv.Itoa(r.JobsDays)}}
	}
	var execs, history, audit, jobs int
	retention := &cobra.Command{
		Use:   "retention [--executions DAYS] [--trigger-history DAYS] [--audit DAYS] [--jobs DAYS]",
		Short: "Show how long records are kept, or change it (0 goes back to the default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			changed := false
			for _, f := range []string{"executions", "trigger-history", "audit", "jobs"} {
				changed = changed || cmd.Flags().Changed(f)
			}
			if !changed {
				return callAndPrint(c, cmd, http.MethodGet, retentionPath, nil, retentionFields)
			}
			raw, err := c.call(cmd, http.MethodGet, retentionPath, nil)
			if err != nil {
				return err
			}
			var r junction.Retention
			if err := json.Unmarshal(raw, &r); err != nil {
				return err
			}
			for f, v := range map[string]*int{"executions": &r.ExecutionsDays, "trigger-history": &r.TriggerHistoryDays,
				"audit": &r.AuditDays, "jobs": &r.JobsDays} {
				if cmd.Flags().Changed(f) {
					*v = map[string]int{"executions": execs, "trigger-history": history, "audit": audit, "jobs": jobs}[f]
				}
			}
			return callAndPrint(c, cmd, http.MethodPut, retentionPath, r, retentionFields)
		},
	}
	retention.Flags().IntVar(&execs, "executions", 0, "days execution records are kept")
	retention.Flags().IntVar(&history, "trigger-history", 0, "days trigger history is kept")
	retention.Flags().IntVar(&audit, "audit", 0, "days audit entries are kept")
	retention.Flags().IntVar(&jobs, "jobs", 0, "days jobs are kept after they end")

	const webhookPath = "/api/v1/settings/notification-webhook"
	webhookFields := func(h *struct {
		URL       string `json:"url"`
		SecretSet bool   `json:"secret_set"`
	}) [][2]string {
		url := h.URL
		if url == "" {
			url = "(none)"
		}
		return [][2]string{{"URL", url}, {"Secret set", yesNo(h.SecretSet)}}
	}
	var hookURL, hookSecret string
	var remove bool
	webhook := &cobra.Command{
		Use:   "notification-webhook [--url URL --secret @FILE|-] [--remove]",
		Short: "Show, set or remove the webhook every notification event is posted to, signed like trigger deliveries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !remove && hookURL == "" {
				return callAndPrint(c, cmd, http.MethodGet, webhookPath, nil, webhookFields)
			}
			body := map[string]any{"url": hookURL}
			if remove {
				body["url"] = ""
			} else if hookSecret != "" {
				s, err := c.readValue("secret", "the webhook secret", hookSecret)
				if err != nil {
					return err
				}
				body["secret"] = s
			}
			return callAndPrint(c, cmd, http.MethodPut, webhookPath, body, webhookFields)
		},
	}
	webhook.Flags().StringVar(&hookURL, "url", "", "the URL to POST each event to")
	webhook.Flags().StringVar(&hookSecret, "secret", "", "signing secret: @FILE reads it from a file, - from standard input")
	webhook.Flags().BoolVar(&remove, "remove", false, "remove the webhook")
	cmd.AddCommand(retention, webhook)
	return cmd
}
