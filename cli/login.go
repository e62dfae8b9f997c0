package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

// credentials is what junction login saves. The token is a plain string here
// on purpose: junction.Secret would marshal as "[redacted]". The file is
// readable by its owner only.
type credentials struct {
	Server string `json:"server"`
	Token  string `json:"token"`
}

func (c *CLI) credentialsPath() (string, error) {
	dir, err := c.env.ConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user configuration directory: %w", err)
	}
	return filepath.Join(dir, "junction", "credentials.json"), nil
}

// loadCredentials returns the saved credentials, or nil when there are none.
func (c *CLI) loadCredentials() (*credentials, error) {
	path, err := c.credentialsPath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read saved credentials: %w", err)
	}
	var cr credentials
	if err := json.Unmarshal(b, &cr); err != nil {
		return nil, fmt.Errorf("read saved credentials %s: %w", path, err)
	}
	return &cr, nil
}

func (c *CLI) saveCredentials(cr credentials) (string, error) {
	path, err := c.credentialsPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("save credentials: %w", err)
	}
	b, err := json.MarshalIndent(cr, "", "  ")
	if err != nil {
		return "", err
	}
	// Write a fresh file and rename it into place, so the token is never in
	// a file with wider permissions, even briefly.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*.json")
	if err != nil {
		return "", fmt.Errorf("save credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("save credentials: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return "", fmt.Errorf("save credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("save credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("save credentials: %w", err)
	}
	return path, nil
}

func (c *CLI) loginCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "login",
		Short: "Check a server URL and token and save them for later commands",
		Long: `Login checks the server URL and token against the server (GET /api/v1/me)
and saves them to credentials.json in your configuration directory, readable
by you only. Without --token (or JUNCTION_TOKEN) it reads the token from
standard input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			server := firstNonEmpty(c.server, c.env.Getenv(EnvServer))
			token := firstNonEmpty(c.token, c.env.Getenv(EnvToken))
			if server == "" {
				return junction.Errorf(junction.EINVALID, "no server given: use --server or %s", EnvServer)
			}
			if token == "" {
				fmt.Fprint(c.env.Stderr, "Token: ")
				line, err := bufio.NewReader(c.env.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return junction.Errorf(junction.EINVALID, "no token given: use --token, %s or type it", EnvToken)
				}
				token = strings.TrimSpace(line)
			}
			cl, err := NewClient(server, junction.NewSecret(token), c.env.HTTPClient)
			if err != nil {
				return err
			}
			var me whoami
			if err := cl.Do(ctx(cmd), http.MethodGet, "/api/v1/me", nil, &me); err != nil {
				return err
			}
			path, err := c.saveCredentials(credentials{Server: cl.Server(), Token: token})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.env.Stdout, "Logged in to %s as %s. Credentials saved to %s.\n", cl.Server(), me.user().Name, path)
			return nil
		},
	}
}

func (c *CLI) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Remove the credentials saved by junction login",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			path, err := c.credentialsPath()
			if err != nil {
				return err
			}
			if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintln(c.env.Stdout, "Not logged in.")
				return nil
			} else if err != nil {
				return fmt.Errorf("remove saved credentials: %w", err)
			}
			fmt.Fprintf(c.env.Stdout, "Removed %s.\n", path)
			return nil
		},
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
