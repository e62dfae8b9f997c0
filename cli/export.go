package cli

import (
	"net/url"

	"github.com/spf13/cobra"

	"junction"
)

// exportFlags are the flags every export takes besides its filters.
type exportFlags struct{ format string }

func (f *exportFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.format, "format", "ndjson", "ndjson (one JSON record a line) or csv (with a header row)")
}

// stream writes the export at path to standard output as the server sends
// it: records are never held, so an export of any size runs in constant
// memory on both sides.
func (f *exportFlags) stream(c *CLI, cmd *cobra.Command, path string, q url.Values) error {
	accept := "application/x-ndjson"
	switch f.format {
	case "ndjson":
	case "csv":
		accept = "text/csv"
	default:
		return junction.Invalid("format", "must be ndjson or csv")
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	q.Set("format", f.format)
	return cl.Stream(ctx(cmd), path, q, accept, cmd.OutOrStdout())
}

func (c *CLI) executionsExportCommand() *cobra.Command {
	var f exportFlags
	var connection, status, since, until, search string
	cmd := &cobra.Command{
		Use:   "export [--format ndjson|csv] [--connection ID] [--status succeeded|failed] [--since 24h|RFC3339] [--until RFC3339] [--search TEXT]",
		Short: "Write every execution record the filters match to standard output, newest first",
		Example: `  junction executions export --format csv --since 720h
  junction executions export --status failed --search provider_error`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"connection_id": connection, "status": status, "q": search})
			now := c.env.Now()
			if err := setTimeQuery(q, "since", since, now); err != nil {
				return err
			}
			if err := setTimeQuery(q, "until", until, now); err != nil {
				return junction.Invalid("until", "%q is neither a duration (1h: that long ago) nor an RFC 3339 time", until)
			}
			return f.stream(c, cmd, "/api/v1/executions/export", q)
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&connection, "connection", "", "only executions through this connection ID")
	cmd.Flags().StringVar(&status, "status", "", "only succeeded or failed executions")
	cmd.Flags().StringVar(&since, "since", "", "only executions from this long ago (24h) or since this time (RFC 3339)")
	cmd.Flags().StringVar(&until, "until", "", "only executions before this time (RFC 3339, or a duration ago)")
	cmd.Flags().StringVar(&search, "search", "", "only executions with this text in their activity, connector, error code, error message or connection's name")
	return cmd
}

func (c *CLI) auditExportCommand() *cobra.Command {
	var f exportFlags
	var action, since string
	cmd := &cobra.Command{
		Use:     "export [--format ndjson|csv] [--action ACTION] [--since 24h|RFC3339]",
		Short:   "Write every audit entry the filters match to standard output, oldest first",
		Example: `  junction audit export --format csv --since 720h`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"action": action})
			if err := setTimeQuery(q, "since", since, c.env.Now()); err != nil {
				return err
			}
			return f.stream(c, cmd, "/api/v1/audit/export", q)
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&action, "action", "", "only this action, for example folder.create")
	cmd.Flags().StringVar(&since, "since", "", "only entries from this long ago (24h) or since this time (RFC 3339)")
	return cmd
}

func (c *CLI) triggerHistoryExportCommand() *cobra.Command {
	var f exportFlags
	var status, since string
	cmd := &cobra.Command{
		Use:     "history-export ID [--format ndjson|csv] [--status fired|skipped|failed|duplicate|rejected_signature|ping] [--since 24h|RFC3339]",
		Short:   "Write a trigger's whole history to standard output, oldest first",
		Example: `  junction triggers history-export 0190a3c4-... --format csv`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := filterQuery(map[string]string{"status": status})
			if err := setTimeQuery(q, "since", since, c.env.Now()); err != nil {
				return err
			}
			return f.stream(c, cmd, triggerPath(args[0])+"/history/export", q)
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&status, "status", "", "only entries with this status: fired, skipped, failed, duplicate, rejected_signature or ping")
	cmd.Flags().StringVar(&since, "since", "", "only entries from this long ago (24h) or since this time (RFC 3339)")
	return cmd
}
