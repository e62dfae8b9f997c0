package cli

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"junction"
)

// connectionDebugCommand switches a connection's debug logging on for a
// while, or off.
func (c *CLI) connectionDebugCommand() *cobra.Command {
	var period time.Duration
	var off bool
	cmd := &cobra.Command{
		Use:   "debug ID (--for DURATION | --off)",
		Short: "Keep the requests and responses of a connection's executions, secrets masked, for up to 24 hours",
		Long: `Debug switches a connection's debug logging on until --for from now (at
most 24h): each execution then keeps every request it sent and response
it got, headers and bodies (64 KiB each), with credential headers and the
connection's secret values masked. "junction executions show ID" shows
them to those who may edit the connection. --off switches it off now.`,
		Example: `  junction connections debug gh --for 2h
  junction connections debug gh --off`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			forSet := cmd.Flags().Changed("for")
			var until any
			switch {
			case off && forSet:
				return junction.Invalid("off", "give either --for or --off, not both")
			case off:
				until = nil
			case !forSet:
				return junction.Invalid("for", "give --for DURATION (at most 24h) or --off")
			case period <= 0 || period > junction.MaxDebugWindow:
				return junction.Invalid("for", "must be more than 0 and at most 24h, not %s", period)
			default:
				until = c.env.Now().Add(period).UTC().Format(time.RFC3339)
			}
			return callAndPrint(c, cmd, http.MethodPatch, connectionPath(args[0]), map[string]any{"debug_until": until}, c.connectionFields)
		},
	}
	cmd.Flags().DurationVar(&period, "for", 0, "keep requests and responses this long from now (at most 24h)")
	cmd.Flags().BoolVar(&off, "off", false, "switch debug logging off now")
	return cmd
}

// printDebug prints what an execution sent and got while its connection's
// debug logging was on, as the server masked it.
func printDebug(c *CLI, d *junction.ExecutionDebug) error {
	_, err := fmt.Fprintf(c.env.Stdout, "Debug:\n%s", d.Transcript())
	return err
}
