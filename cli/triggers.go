package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

// triggerView is a trigger as the API shows it.
type triggerView struct {
	junction.Trigger
	WebhookURL    string `json:"webhook_url,omitempty"`
	HasWebhookURL bool   `json:"has_webhook_url,omitempty"`
}

func (c *CLI) triggersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "triggers",
		Short: "Manage triggers: start jobs when a record changes or a vendor sends an event",
	}
	var folder, connection, object, event, kind, filter, targetQueue, targetURL, targetSecret, name string
	var params []string
	var all bool

	create := &cobra.Command{
		Use: "create --folder F --connection C --object O --event E [--name NAME] [--filter EXPR] [--param k=v ...] " +
			"(--target-queue NAME | --target-url URL --target-secret @file|-)",
		Short: "Create a trigger; a webhook trigger prints the URL to give the vendor",
		Long: `Create watches an object event of a connection. Polling triggers read the API
on the connection's poll interval; webhook triggers get a URL (printed) that
the vendor sends events to. --filter is a CEL expression over record,
payload, event, object, object_id, change and vendor_type, such as
'record.state == "open"'. Each match is a job: kept in a queue for workers
(--target-queue, see junction jobs claim), or POSTed to --target-url, signed
with --target-secret (X-Junction-Signature).`,
		Example: `  junction triggers create --folder Finance --connection gh --object issue --event created \
    --name "Open issues" --param owner=acme --param repo=api --filter 'record.state == "open"' --target-queue triage
  junction triggers create --folder Finance --connection hooks --object event --event received \
    --target-url https://hooks.acme.com/junction --target-secret @secret.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case folder == "":
				return junction.Invalid("folder", "give the folder ID with --folder")
			case connection == "":
				return junction.Invalid("connection", "give the connection ID with --connection")
			case object == "" || event == "":
				return junction.Invalid("object", "give --object and --event (see junction connectors show KEY)")
			}
			target, err := c.triggerTarget(cmd, targetQueue, targetURL, targetSecret)
			if err != nil {
				return err
			}
			if target == nil {
				return junction.Invalid("target-queue", "give --target-queue NAME, or --target-url URL with --target-secret")
			}
			body := map[string]any{"folder_id": folder, "connection_id": connection, "object": object,
				"event": event, "target": target}
			if kind != "" {
				body["kind"] = kind
			}
			if name != "" {
				body["name"] = name
			}
			if filter != "" {
				body["filter"] = filter
			}
			p, err := paramValues(params)
			if err != nil {
				return err
			}
			if p != nil {
				body["parameters"] = p
			}
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/triggers", body, c.triggerFields)
		},
	}
	create.Flags().StringVar(&folder, "folder", "", "ID of the folder to create it in (required)")
	create.Flags().StringVar(&connection, "connection", "", "ID of the connection to watch (required)")
	create.Flags().StringVar(&name, "name", "", "a name for the trigger, unique in its folder (optional)")
	create.Flags().StringVar(&object, "object", "", "object of the connector, such as issue (required)")
	create.Flags().StringVar(&event, "event", "", "event of the object, such as created (required)")
	create.Flags().StringVar(&kind, "kind", "", "polling or webhook (default: polling when the event can be polled)")
	create.Flags().StringVar(&filter, "filter", "", "CEL expression an event must match")
	create.Flags().StringArrayVar(&params, "param", nil, "parameter name=value copied into every job; a JSON value is taken as JSON (repeatable)")
	registerTargetFlags(create, &targetQueue, &targetURL, &targetSecret)

	list := &cobra.Command{
		Use:   "list [--folder ID] [--connection ID] [--name TEXT]",
		Short: "List the triggers you can see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"folder_id": folder, "connection_id": connection, "name": name})
			return listAndPrint(c, cmd, "/api/v1/triggers", q, all, []string{"ID", "NAME", "FOLDER", "CONNECTION", "EVENT", "KIND", "TARGET", "ENABLED", "FAILURES"}, func(t *triggerView) []string {
				return []string{t.ID, t.Name, c.label(refFolder, t.FolderID), c.label(refConnection, t.ConnectionID),
					t.Object + "." + t.Event, string(t.Kind), describeTarget(t.Target), enabledText(&t.Trigger),
					strconv.Itoa(t.ConsecutiveFailures)}
			})
		},
	}
	list.Flags().StringVar(&folder, "folder", "", "only triggers in this folder ID")
	list.Flags().StringVar(&connection, "connection", "", "only triggers on this connection ID")
	list.Flags().StringVar(&name, "name", "", "only triggers whose name contains this")
	addAllFlag(list, &all)

	show := showCommand(c, "Show one trigger, with its webhook URL for a webhook trigger you may edit", triggerPath, c.triggerFields)

	update := &cobra.Command{
		Use:   "update ID [--name NAME] [--filter EXPR] [--param k=v ...] [--target-queue NAME | --target-url URL [--target-secret @file|-]]",
		Short: "Change a trigger's name, filter, parameters or target",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			setIfChanged(cmd, body, "name", "name", name)
			setIfChanged(cmd, body, "filter", "filter", filter)
			if cmd.Flags().Changed("param") {
				p, err := paramValues(params)
				if err != nil {
					return err
				}
				if p == nil {
					p = map[string]any{}
				}
				body["parameters"] = p
			}
			target, err := c.triggerTarget(cmd, targetQueue, targetURL, targetSecret)
			if err != nil {
				return err
			}
			if target != nil {
				body["target"] = target
			}
			if len(body) == 0 {
				return junction.Errorf(junction.EINVALID, "nothing to change: give --name, --filter, --param, --target-queue or --target-url")
			}
			return callAndPrint(c, cmd, http.MethodPatch, triggerPath(args[0]), body, c.triggerFields)
		},
	}
	update.Flags().StringVar(&name, "name", "", `new name ("" takes the name away)`)
	update.Flags().StringVar(&filter, "filter", "", `new CEL filter ("" matches every event)`)
	update.Flags().StringArrayVar(&params, "param", nil, "parameter name=value; the given ones replace all (repeatable)")
	registerTargetFlags(update, &targetQueue, &targetURL, &targetSecret)

	enable := &cobra.Command{
		Use:   "enable ID",
		Short: "Turn a trigger on (a polling trigger fires only for records made from then on)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAndPrint(c, cmd, http.MethodPost, triggerPath(args[0])+"/enable", nil, c.triggerFields)
		},
	}
	disable := &cobra.Command{
		Use:   "disable ID",
		Short: "Turn a trigger off",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return callAndPrint(c, cmd, http.MethodPost, triggerPath(args[0])+"/disable", nil, c.triggerFields)
		},
	}
	del := c.deleteCommand("trigger", "Delete a trigger with its history and jobs", triggerPath)

	var grace string
	rotateHook := &cobra.Command{
		Use:   "rotate-hook ID [--grace 1h]",
		Short: "Give a webhook trigger a new URL (printed); the old one stops after --grace",
		Long: `Rotate-hook replaces a webhook trigger's URL, for one that leaked or as a
precaution, and prints the new one to give the vendor. The old URL keeps
working for --grace (at most 168h) so the vendor can be switched over; by
default it stops at once. Needs Triggers.Edit on the trigger's folder.`,
		Example: `  junction triggers rotate-hook 0190a3c4-... --grace 24h`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body map[string]any
			if cmd.Flags().Changed("grace") {
				body = map[string]any{"grace_period": grace}
			}
			return callAndPrint(c, cmd, http.MethodPost, triggerPath(args[0])+"/rotate-hook", body, c.triggerFields)
		},
	}
	rotateHook.Flags().StringVar(&grace, "grace", "", "how long the old URL keeps working, such as 1h (default: it stops at once)")

	var status, since string
	history := &cobra.Command{
		Use:   "history ID [--status fired|skipped|failed|duplicate|rejected_signature|ping] [--since 24h|RFC3339]",
		Short: "List what happened to a trigger's events, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := filterQuery(map[string]string{"status": status})
			if err := setTimeQuery(q, "since", since, c.env.Now()); err != nil {
				return err
			}
			return listAndPrint(c, cmd, triggerPath(args[0])+"/history", q, all, []string{"AT", "STATUS", "COUNT", "EVENT", "OBJECT", "JOB", "REASON"}, func(r *junction.TriggerRecord) []string {
				return []string{formatTime(r.At), string(r.Status), strconv.Itoa(r.Count), r.EventType, r.ObjectID, r.JobID, oneLine(r.Reason)}
			})
		},
	}
	history.Flags().StringVar(&status, "status", "", "only entries with this status: fired, skipped, failed, duplicate, rejected_signature or ping")
	history.Flags().StringVar(&since, "since", "", "only entries from this long ago (24h) or since this time (RFC 3339)")
	addAllFlag(history, &all)

	cmd.AddCommand(create, list, show, update, enable, disable, del, rotateHook, history, c.triggerHistoryExportCommand())
	return cmd
}

func registerTargetFlags(cmd *cobra.Command, queue, url, secret *string) {
	f := cmd.Flags()
	f.StringVar(queue, "target-queue", "", "keep jobs in this queue for workers (junction jobs claim)")
	f.StringVar(url, "target-url", "", "POST each job to this URL, signed")
	f.StringVar(secret, "target-secret", "", "secret that signs deliveries to --target-url: @path, - (standard input) or the value")
	f.StringArray("secret", nil, "target=@path or target=- (standard input): the same as --target-secret, as every command takes secrets")
}

// triggerTarget builds the target from the flags, or nil when none is
// given.
func (c *CLI) triggerTarget(cmd *cobra.Command, queue, targetURL, secret string) (map[string]any, error) {
	if specs, _ := cmd.Flags().GetStringArray("secret"); len(specs) > 0 {
		if cmd.Flags().Changed("target-secret") || len(specs) > 1 {
			return nil, junction.Invalid("secret", "give the target secret once: --secret target=... or --target-secret")
		}
		name, spec, ok := strings.Cut(specs[0], "=")
		if !ok || name != "target" {
			return nil, junction.Invalid("secret", "give target=@path (or target=- for standard input), not %q", name)
		}
		secret = spec
		if err := cmd.Flags().Set("target-secret", spec); err != nil {
			return nil, err
		}
	}
	changed := cmd.Flags().Changed
	switch {
	case changed("target-queue") && (changed("target-url") || changed("target-secret")):
		return nil, junction.Invalid("target-queue", "give --target-queue or --target-url, not both")
	case changed("target-queue"):
		return map[string]any{"type": "queue", "name": queue}, nil
	case changed("target-secret") && !changed("target-url"):
		return nil, junction.Invalid("target-secret", "goes with --target-url")
	case changed("target-url"):
		t := map[string]any{"type": "webhook", "url": targetURL}
		if changed("target-secret") {
			s, err := c.readValue("target-secret", "the target secret", secret)
			if err != nil {
				return nil, err
			}
			t["secret"] = s
		}
		return t, nil
	}
	return nil, nil
}

// paramValues reads --param k=v flags: a value that parses as JSON is
// taken as JSON (numbers, booleans, objects), anything else as a string.
func paramValues(args []string) (map[string]any, error) {
	m := map[string]any{}
	err := keyValues(m, "param", args, func(_, v string) (any, error) {
		var x any
		if s := strings.TrimSpace(v); s != "" && json.Unmarshal([]byte(s), &x) == nil {
			return x, nil
		}
		return v, nil
	})
	if err != nil || len(m) == 0 {
		return nil, err
	}
	return m, nil
}

func triggerPath(id string) string { return "/api/v1/triggers/" + url.PathEscape(id) }

func describeTarget(t junction.TriggerTarget) string {
	if t.Type == junction.TargetQueue {
		return "queue " + t.Name
	}
	return "webhook " + t.URL
}

func enabledText(t *junction.Trigger) string {
	switch {
	case t.Enabled:
		return "yes"
	case t.DisabledReason != "":
		return "no (" + t.DisabledReason + ")"
	}
	return "no"
}

// triggerFields are the lines printObject shows for a trigger.
func (c *CLI) triggerFields(t *triggerView) [][2]string {
	out := [][2]string{{"ID", t.ID}}
	if t.Name != "" {
		out = append(out, [2]string{"Name", t.Name})
	}
	out = append(out, [][2]string{
		{"Folder", c.label(refFolder, t.FolderID)},
		{"Connection", c.label(refConnection, t.ConnectionID) + " (" + t.Connector + ")"},
		{"Event", t.Object + "." + t.Event}, {"Kind", string(t.Kind)}, {"Enabled", enabledText(&t.Trigger)},
	}...)
	switch {
	case t.WebhookURL != "":
		out = append(out, [2]string{"Webhook URL", t.WebhookURL})
	case t.HasWebhookURL:
		out = append(out, [2]string{"Webhook URL", "(set; shown to those who may edit the trigger)"})
	}
	if t.PreviousWebhookTokenExpiresAt != nil {
		out = append(out, [2]string{"Previous URL until", formatTimePtr(t.PreviousWebhookTokenExpiresAt)})
	}
	if t.Filter != "" {
		out = append(out, [2]string{"Filter", t.Filter})
	}
	if len(t.Parameters) > 0 {
		b, _ := json.Marshal(t.Parameters)
		out = append(out, [2]string{"Parameters", string(b)})
	}
	out = append(out, [2]string{"Target", describeTarget(t.Target)},
		[2]string{"Failures", strconv.Itoa(t.ConsecutiveFailures)})
	if t.LastSuccessAt != nil {
		out = append(out, [2]string{"Last success", formatTimePtr(t.LastSuccessAt)})
	}
	if t.LastFailureAt != nil {
		out = append(out, [2]string{"Last failure", formatTimePtr(t.LastFailureAt)})
	}
	return append(out, [2]string{"Created", formatTime(t.CreatedAt)})
}
