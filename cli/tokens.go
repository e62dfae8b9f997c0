package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"junction"
)

// createdToken is the answer of POST /api/v1/users/{id}/tokens. Token is the
// secret part, shown this once.
type createdToken struct {
	ID        string     `json:"id"`
	Token     string     `json:"token"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func (c *CLI) tokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Create, list and revoke API tokens",
	}
	var name, expires string

	create := &cobra.Command{
		Use:   "create USER_ID --name NAME [--expires 720h|RFC3339]",
		Short: "Create an API token for a user; the token is shown once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return junction.Invalid("name", "give the token a --name that says where it is used")
			}
			body := map[string]any{"name": name}
			if expires != "" {
				at, err := parseExpiry(expires, c.env.Now())
				if err != nil {
					return err
				}
				body["expires_at"] = at.UTC().Format(time.RFC3339)
			}
			raw, err := c.call(cmd, http.MethodPost, userPath(args[0])+"/tokens", body)
			if err != nil {
				return err
			}
			return printAnswer(c, raw, func(t *createdToken) error {
				fmt.Fprintf(c.env.Stderr, "Token %s created.\n", t.ID)
				c.printNewToken(t.Token)
				return nil
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	create.Flags().StringVar(&expires, "expires", "", "lifetime (720h) or expiry time (RFC 3339); default: never")

	list := &cobra.Command{
		Use:   "list USER_ID",
		Short: "List a user's tokens (never their secret part)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return listAndPrint(c, cmd, userPath(args[0])+"/tokens", nil, true, []string{"ID", "NAME", "CREATED", "EXPIRES", "LAST USED", "REVOKED"}, func(t *junction.Token) []string {
				return []string{t.ID, t.Name, formatTime(t.CreatedAt), formatTimePtr(t.ExpiresAt), formatTimePtr(t.LastUsedAt), formatTimePtr(t.RevokedAt)}
			})
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token; it stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := c.call(cmd, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(args[0]), nil); err != nil {
				return err
			}
			c.done("Revoked token %s.", args[0])
			return nil
		},
	}

	cmd.AddCommand(create, list, revoke)
	return cmd
}

// printNewToken shows a freshly issued token. The token goes alone to
// standard output (so TOKEN=$(junction tokens create ...) works) and the
// warning to standard error.
func (c *CLI) printNewToken(token string) {
	fmt.Fprintln(c.env.Stderr, "This is the only time the token is shown: store it now.")
	fmt.Fprintln(c.env.Stdout, token)
}

// parseExpiry reads --expires as a lifetime ("720h") or a point in time
// (RFC 3339).
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, junction.Invalid("expires", "lifetime must be positive")
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, junction.Invalid("expires", "%q is neither a duration (720h) nor an RFC 3339 time", s)
	}
	return t, nil
}
