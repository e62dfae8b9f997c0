package cli

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"junction"
)

func (c *CLI) auditCommand() *cobra.Command {
	var action, since string
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:   "audit [--action ACTION] [--since 24h|RFC3339] [--limit N]",
		Short: "Show the audit log of your tenant, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"action": action})
			if err := setTimeQuery(q, "since", since, c.env.Now()); err != nil {
				return err
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			return listAndPrint(c, cmd, "/api/v1/audit", q, all, []string{"AT", "ACTOR", "ACTION", "OBJECT", "OUTCOME"}, func(e *junction.AuditEntry) []string {
				obj := e.ObjectType
				if e.ObjectID != "" {
					obj += " " + e.ObjectID
				}
				actor := e.ActorName
				if actor == "" {
					actor = c.label(refUser, e.ActorID)
				}
				return []string{formatTime(e.At), actor, e.Action, obj, e.Outcome}
			})
		},
	}
	cmd.Flags().StringVar(&action, "action", "", "only this action, for example folder.create")
	cmd.Flags().StringVar(&since, "since", "", "only entries from this long ago (24h) or since this time (RFC 3339)")
	cmd.Flags().IntVar(&limit, "limit", 0, "entries per page (server default when 0)")
	cmd.Flags().BoolVar(&all, "all", false, "follow pages until the end of the log")
	cmd.AddCommand(c.auditExportCommand())
	return cmd
}

// parseSince reads --since as a look-back duration or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, junction.Invalid("since", "%q is neither a duration (24h) nor an RFC 3339 time", s)
	}
	return t, nil
}
