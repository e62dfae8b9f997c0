package cli

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

func credentialProxyPath(id string) string {
	return "/api/v1/credential-proxies/" + url.PathEscape(id)
}

// credentialProxyFields are the lines printObject shows for a proxy.
func credentialProxyFields(p *junction.CredentialProxy) [][2]string {
	out := [][2]string{{"ID", p.ID}, {"Name", p.Name}, {"URLs", strings.Join(p.URLs, ", ")}}
	if p.CACert != "" {
		out = append(out, [2]string{"CA certificate", oneLineValue(p.CACert)})
	}
	if p.ClientCert != "" {
		out = append(out, [2]string{"Client certificate", oneLineValue(p.ClientCert)})
	}
	if len(p.SecretKeys) > 0 {
		out = append(out, [2]string{"Secret keys set", strings.Join(p.SecretKeys, ", ")})
	}
	return append(out, [2]string{"Created", formatTime(p.CreatedAt)}, [2]string{"Updated", formatTime(p.UpdatedAt)})
}

func (c *CLI) credentialProxiesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credential-proxies",
		Short: "Manage the Credentials Proxies that reach your vaults from inside private networks",
		Long: `A Credentials Proxy ("junction credentials-proxy") runs next to the vaults and
serves their stores over TLS. Register it here, then create stores that go
through it: junction stores create NAME --proxy PROXY --config store=NAME.`,
	}
	var all bool
	var urls []string
	var caFile, clientCertFile, clientKeySpec, keySpec string

	list := &cobra.Command{
		Use:   "list",
		Short: "List credential proxies",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listAndPrint(c, cmd, "/api/v1/credential-proxies", nil, all, []string{"ID", "NAME", "URLS", "SECRET KEYS"},
				func(p *junction.CredentialProxy) []string {
					return []string{p.ID, p.Name, strings.Join(p.URLs, ", "), strings.Join(p.SecretKeys, ", ")}
				})
		},
	}
	addAllFlag(list, &all)

	show := showCommand(c, "Show one credential proxy (never its key)", credentialProxyPath, credentialProxyFields)

	add := &cobra.Command{
		Use:     "add NAME --url URL [--url URL ...] [--ca-file F] (--key @F|-|VALUE | --client-cert-file F --client-key @F|-)",
		Aliases: []string{"create"},
		Short:   "Register a credential proxy; its settings are checked, the proxy is not contacted (see test)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"name": args[0], "urls": urls}
			if caFile != "" {
				v, err := c.readFile("ca-file", "the proxy's CA certificate", caFile)
				if err != nil {
					return err
				}
				body["ca_cert"] = v
			}
			if clientCertFile != "" {
				v, err := c.readFile("client-cert-file", "the client certificate", clientCertFile)
				if err != nil {
					return err
				}
				body["client_cert"] = v
			}
			if clientKeySpec != "" {
				v, err := c.readValue("client-key", "the client key", clientKeySpec)
				if err != nil {
					return err
				}
				body["client_key"] = v
			}
			if keySpec != "" {
				v, err := c.readValue("key", "the proxy's key", keySpec)
				if err != nil {
					return err
				}
				body["key"] = strings.TrimSpace(v)
			}
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/credential-proxies", body, credentialProxyFields)
		},
	}
	add.Flags().StringArrayVar(&urls, "url", nil, "the proxy's https:// address (repeat for more, tried in order)")
	add.Flags().StringVar(&caFile, "ca-file", "", "PEM file of the CA that issued the proxy's certificate")
	add.Flags().StringVar(&clientCertFile, "client-cert-file", "", "PEM file of the client certificate for a proxy that requires mutual TLS")
	add.Flags().StringVar(&clientKeySpec, "client-key", "", "the client certificate's key: @path or - (standard input)")
	add.Flags().StringVar(&keySpec, "key", "", "the proxy's shared key: @path, - (standard input) or the value")

	var newName string
	update := &cobra.Command{
		Use:   "update ID [--name NAME] [--url URL ...] [--ca-file F] [--key @F|-|VALUE] [--client-cert-file F --client-key @F|-]",
		Short: "Change a credential proxy (a new key, other addresses); the stores going through it are reopened",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			setIfChanged(cmd, body, "name", "name", newName)
			if len(urls) > 0 {
				body["urls"] = urls
			}
			files := []struct{ flag, key, what, path string }{
				{"ca-file", "ca_cert", "the proxy's CA certificate", caFile},
				{"client-cert-file", "client_cert", "the client certificate", clientCertFile},
			}
			for _, f := range files {
				if cmd.Flags().Changed(f.flag) {
					v := ""
					if f.path != "" {
						var err error
						if v, err = c.readFile(f.flag, f.what, f.path); err != nil {
							return err
						}
					}
					body[f.key] = v
				}
			}
			values := []struct{ flag, key, what, spec string }{
				{"client-key", "client_key", "the client key", clientKeySpec},
				{"key", "key", "the proxy's key", keySpec},
			}
			for _, f := range values {
				if cmd.Flags().Changed(f.flag) {
					v := ""
					if f.spec != "" {
						var err error
						if v, err = c.readValue(f.flag, f.what, f.spec); err != nil {
							return err
						}
					}
					body[f.key] = strings.TrimSpace(v)
				}
			}
			if len(body) == 0 {
				return junction.Errorf(junction.EINVALID, "nothing to change: give --name, --url, --ca-file, --key, --client-cert-file or --client-key")
			}
			return callAndPrint(c, cmd, http.MethodPatch, credentialProxyPath(args[0]), body, credentialProxyFields)
		},
	}
	update.Flags().StringVar(&newName, "name", "", "new name")
	update.Flags().StringArrayVar(&urls, "url", nil, "the proxy's https:// address (repeat for more); replaces the list")
	update.Flags().StringVar(&caFile, "ca-file", "", `PEM file of the CA that issued the proxy's certificate ("" for the system roots)`)
	update.Flags().StringVar(&clientCertFile, "client-cert-file", "", `PEM file of the client certificate ("" for none)`)
	update.Flags().StringVar(&clientKeySpec, "client-key", "", `the client certificate's key: @path or - ("" for none)`)
	update.Flags().StringVar(&keySpec, "key", "", `the proxy's new shared key: @path, - or the value ("" for none)`)

	del := c.deleteCommand("credential proxy", "Delete a credential proxy no store goes through any more", credentialProxyPath)

	test := &cobra.Command{
		Use:   "test ID",
		Short: "Prove a credential proxy reachable and accepting this server, without naming a store",
		Long: `Test connects to the proxy's addresses the way Junction will, proving the
address, its TLS certificate and Junction's key or client certificate right.
A failed test prints what to fix and exits with status 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.testCall(cmd, credentialProxyPath(args[0])+"/test", "Credential proxy "+args[0])
		},
	}

	cmd.AddCommand(list, show, add, update, del, test)
	return cmd
}
