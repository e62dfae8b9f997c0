package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"junction"
)

// credentialStore is a credential store as the API returns it: the
// non-secret configuration, and the names of the secret keys that are set.
type credentialStore struct {
	junction.CredentialStoreConfig
	BuiltIn bool `json:"built_in"`
}

// storeType is one item of GET /api/v1/credential-store-types.
type storeType struct {
	Name       string                  `json:"name"`
	Writable   bool                    `json:"writable"`
	ConfigKeys []junction.ConfigKey    `json:"config_keys"`
	Choices    []junction.ConfigChoice `json:"choices"`
}

// choices renders a type's choices for the table: "auth_method: token |
// approle | userpass | ldap", or the key sets when no key picks them.
func (t *storeType) choices() string {
	lines := make([]string, 0, len(t.Choices))
	for _, ch := range t.Choices {
		opts := make([]string, 0, len(ch.Options))
		for _, o := range ch.Options {
			switch {
			case ch.Key != "":
				opts = append(opts, o.Value)
			case len(o.Keys) == 0:
				opts = append(opts, "none")
			default:
				opts = append(opts, strings.Join(o.Keys, "+"))
			}
		}
		name := ch.Name
		if ch.Key != "" {
			name = ch.Key
		}
		lines = append(lines, name+": "+strings.Join(opts, " | "))
	}
	return strings.Join(lines, "; ")
}

// describe prints one type for a person: its keys, then each choice with
// the keys each of its options needs.
func (t *storeType) describe(w io.Writer) error {
	inChoice := map[string]bool{}
	for _, ch := range t.Choices {
		for _, o := range ch.Options {
			for _, k := range o.Keys {
				inChoice[k] = true
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Type:\t%s\nWritable:\t%s\n\nKEY\tREQUIRED\tSECRET (--secret)\tMEANING\n", t.Name, yesNo(t.Writable))
	for _, k := range t.ConfigKeys {
		required := yesNo(k.Required)
		if inChoice[k.Name] {
			required = "see below"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Name, required, yesNo(k.Secret), k.Help)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, ch := range t.Choices {
		how := "give the keys of one of these"
		if ch.Key != "" {
			how = "set " + ch.Key + " to one of these, with its keys"
		}
		fmt.Fprintf(w, "\n%s: %s\n", ch.Name, how)
		for _, o := range ch.Options {
			keys := strings.Join(o.Keys, ", ")
			if keys == "" {
				keys = "no keys"
			}
			label := ""
			if o.Value != "" {
				label = o.Value + ": "
			}
			fmt.Fprintf(w, "  - %s%s (%s)\n", label, keys, o.Help)
		}
	}
	return nil
}

// diagnosis is the answer of a test endpoint: a failed test is a successful
// request whose answer says what to fix.
type diagnosis struct {
	OK bool `json:"ok"`
	// Proved, for a connection test, is what it proved: "credentials",
	// "reachability" or "nothing".
	Proved  string `json:"proved"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// storeConfigFlags are the flags that fill a store's configuration.
type storeConfigFlags struct {
	config, configFiles, secrets, unset []string
}

func (f *storeConfigFlags) register(cmd *cobra.Command, update bool) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.config, "config", nil, "configuration key=value (repeatable)")
	fl.StringArrayVar(&f.configFiles, "config-file", nil, "configuration key=path: the value is the file's content, for a CA certificate (repeatable)")
	fl.StringArrayVar(&f.secrets, "secret", nil, "secret configuration key=@path, key=- (standard input) or key=value (repeatable)")
	if update {
		fl.StringArrayVar(&f.unset, "unset", nil, "remove this configuration key (repeatable)")
	}
}

// body returns the configuration the flags give, or nil when they give none.
// Removed keys map to nil, which the API reads as "remove".
func (f *storeConfigFlags) body(c *CLI) (map[string]any, error) {
	m := map[string]any{}
	literal := func(_, v string) (any, error) { return v, nil }
	if err := keyValues(m, "config", f.config, literal); err != nil {
		return nil, err
	}
	if err := keyValues(m, "config-file", f.configFiles, func(k, path string) (any, error) {
		return c.readFile("config-file", "configuration key "+k, path)
	}); err != nil {
		return nil, err
	}
	if err := keyValues(m, "secret", f.secrets, func(k, spec string) (any, error) {
		return c.readValue("secret", "secret "+k, spec)
	}); err != nil {
		return nil, err
	}
	for _, k := range f.unset {
		if _, dup := m[k]; dup {
			return nil, junction.Invalid("unset", "%s is both set and removed", k)
		}
		m[k] = nil
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

func (c *CLI) storesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "stores",
		Aliases: []string{"credential-stores"},
		Short:   "Manage the credential stores (vaults) your tenant reads secrets from",
	}
	var all, readOnly, insecure, anyHost bool
	var name, typ, proxyURL, proxyID string
	var allowedHosts []string
	var cf storeConfigFlags

	list := &cobra.Command{
		Use:   "list",
		Short: "List credential stores",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listAndPrint(c, cmd, "/api/v1/credential-stores", nil, all, []string{"ID", "NAME", "TYPE", "READ-ONLY", "INSECURE"}, func(s *credentialStore) []string {
				return []string{s.ID, s.Name, s.Type, yesNo(s.ReadOnly), yesNo(s.Insecure)}
			})
		},
	}
	addAllFlag(list, &all)

	show := showCommand(c, "Show one credential store (never its secret keys' values)", storePath, storeFields)

	create := &cobra.Command{
		Use:   "create NAME --type TYPE [--config key=value ...] [--secret key=@path|-|value ...] [--allowed-host H ...]",
		Short: "Add a credential store; its configuration is checked, the vault is not contacted (see test)",
		Long: `Add a credential store. Its configuration is checked; the vault is not
contacted (see test).

--allowed-host, repeated, confines where the values of the store's secrets
may be sent, through any of its assets, whoever made them. Without it,
referring to a secret already in the store is as good as reading it, so
an asset that does so needs Assets.Resolve on its folder.`,
		Example: `  junction stores create vault-prod --type hashicorp-vault \
    --config address=https://vault.example.com:8200 --config auth_method=approle \
    --config role_id=junction-prod --config-file ca_cert=./ca.pem --secret secret_id=@secret-id.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if typ == "" && proxyID == "" {
				return junction.Invalid("type", "give the store --type (see junction stores types), or --proxy")
			}
			config, err := cf.body(c)
			if err != nil {
				return err
			}
			if config == nil {
				config = map[string]any{}
			}
			body := map[string]any{
				"name": args[0], "type": typ, "read_only": readOnly, "insecure": insecure, "config": config,
			}
			if proxyID != "" {
				body["proxy_id"] = proxyID
			}
			if proxyURL != "" {
				body["proxy_url"] = proxyURL
			}
			if len(allowedHosts) > 0 {
				body["allowed_hosts"] = allowedHosts
			}
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/credential-stores", body, storeFields)
		},
	}
	create.Flags().StringVar(&typ, "type", "", "store type, for example hashicorp-vault (required)")
	create.Flags().BoolVar(&readOnly, "read-only", false, "never write to this store")
	create.Flags().BoolVar(&insecure, "insecure", false, "allow plain http:// (local development only)")
	create.Flags().StringVar(&proxyURL, "proxy-url", "", "reach the store through this forward proxy")
	create.Flags().StringVar(&proxyID, "proxy", "", "reach the store only through this credential proxy (ID or name); the type is then credentials-proxy and --config store=NAME names the proxy's store")
	create.Flags().StringArrayVar(&allowedHosts, "allowed-host", nil, "a host the store's values may be sent to (repeat for more)")
	cf.register(create, false)

	update := &cobra.Command{
		Use:   "update ID [--name NAME] [--config key=value ...] [--secret key=@path|-|value ...] [--unset key ...] [--allowed-host H ... | --any-host]",
		Short: "Change a credential store; configuration keys not named keep their values",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			setIfChanged(cmd, body, "name", "name", name)
			setIfChanged(cmd, body, "read-only", "read_only", readOnly)
			setIfChanged(cmd, body, "insecure", "insecure", insecure)
			setIfChanged(cmd, body, "proxy-url", "proxy_url", proxyURL)
			setIfChanged(cmd, body, "proxy", "proxy_id", proxyID)
			switch {
			case anyHost && len(allowedHosts) > 0:
				return junction.Invalid("allowed-host", "give --allowed-host or --any-host, not both")
			case anyHost:
				body["allowed_hosts"] = []string{}
			case len(allowedHosts) > 0:
				body["allowed_hosts"] = allowedHosts
			}
			config, err := cf.body(c)
			if err != nil {
				return err
			}
			if config != nil {
				body["config"] = config
			}
			if len(body) == 0 {
				return junction.Errorf(junction.EINVALID, "nothing to change: give --name, --read-only, --insecure, --proxy-url, --proxy, --allowed-host, --any-host, --config, --config-file, --secret or --unset")
			}
			return callAndPrint(c, cmd, http.MethodPatch, storePath(args[0]), body, storeFields)
		},
	}
	update.Flags().StringVar(&name, "name", "", "new name")
	update.Flags().BoolVar(&readOnly, "read-only", false, "never write to this store (=false to allow writes)")
	update.Flags().BoolVar(&insecure, "insecure", false, "allow plain http:// (=false to require https://)")
	update.Flags().StringVar(&proxyURL, "proxy-url", "", `reach the store through this forward proxy ("" for none)`)
	update.Flags().StringVar(&proxyID, "proxy", "", "reach the store through this credential proxy (ID or name)")
	update.Flags().StringArrayVar(&allowedHosts, "allowed-host", nil, "a host the store's values may be sent to (repeat for more); replaces the list")
	update.Flags().BoolVar(&anyHost, "any-host", false, "lift the store's allowed hosts")
	cf.register(update, true)

	del := c.deleteCommand("credential store", "Delete a credential store no asset uses any more", storePath)

	test := &cobra.Command{
		Use:   "test ID",
		Short: "Log in to a credential store and prove it reachable, without reading any secret",
		Long: `Test logs in to the store the way Junction will, proving address, TLS and
login right without reading a secret. A failed test prints what to fix and
exits with status 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.testCall(cmd, storePath(args[0])+"/test", "Credential store "+args[0])
		},
	}

	types := &cobra.Command{
		Use:   "types [TYPE]",
		Short: "List the store types that can be created, or describe one: its keys and which go together",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return c.describeStoreType(cmd, args[0])
			}
			return listAndPrint(c, cmd, "/api/v1/credential-store-types", nil, true, []string{"TYPE", "WRITABLE", "CONFIG KEYS", "SECRET KEYS (--secret)", "ONE OF"}, func(t *storeType) []string {
				var plain, secret []string
				for _, k := range t.ConfigKeys {
					name := k.Name
					if k.Required {
						name += "*"
					}
					if k.Secret {
						secret = append(secret, name)
					} else {
						plain = append(plain, name)
					}
				}
				return []string{t.Name, yesNo(t.Writable), strings.Join(plain, ", "), strings.Join(secret, ", "), t.choices()}
			})
		},
	}

	cmd.AddCommand(list, show, create, update, del, test, types)
	return cmd
}

func storePath(id string) string { return "/api/v1/credential-stores/" + url.PathEscape(id) }

// storeFields are the lines printObject shows for a credential store.
func storeFields(s *credentialStore) [][2]string {
	out := [][2]string{
		{"ID", s.ID}, {"Name", s.Name}, {"Type", s.Type},
		{"Read-only", yesNo(s.ReadOnly)}, {"Insecure", yesNo(s.Insecure)},
	}
	if s.BuiltIn {
		out = append(out, [2]string{"Built in", "yes"})
	}
	if s.ProxyURL != "" {
		out = append(out, [2]string{"Proxy URL", s.ProxyURL})
	}
	if s.ProxyID != "" {
		out = append(out, [2]string{"Credential proxy", s.ProxyID})
	}
	if len(s.AllowedHosts) > 0 {
		out = append(out, [2]string{"Allowed hosts", strings.Join(s.AllowedHosts, ", ")})
	}
	for _, k := range slices.Sorted(maps.Keys(s.Config)) {
		out = append(out, [2]string{"Config " + k, oneLineValue(s.Config[k])})
	}
	if len(s.SecretKeys) > 0 {
		out = append(out, [2]string{"Secret keys set", strings.Join(s.SecretKeys, ", ")})
	}
	return append(out, [2]string{"Created", formatTime(s.CreatedAt)}, [2]string{"Updated", formatTime(s.UpdatedAt)})
}

// oneLineValue shortens a multi-line configuration value (a PEM
// certificate) so a table stays readable; -o json shows it whole.
func oneLineValue(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return fmt.Sprintf("%s ... (%d lines)", strings.TrimSpace(s[:i]), strings.Count(strings.TrimRight(s, "\n"), "\n")+1)
	}
	return s
}

// testCall runs a test endpoint. The diagnosis is printed (-o json) or
// turned into the one-line error; a failed test exits non-zero either way,
// so scripts can rely on the exit status.
func (c *CLI) testCall(cmd *cobra.Command, path, what string) error {
	raw, err := c.call(cmd, http.MethodPost, path, nil)
	if err != nil {
		return err
	}
	d := diagnosis{OK: true}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &d); err != nil {
			return fmt.Errorf("decode response: %w", err)
		}
	}
	if c.raw() && len(raw) > 0 {
		if err := c.printDoc(raw); err != nil {
			return err
		}
	}
	if !d.OK {
		code := d.Code
		if code == "" {
			code = "test_failed"
		}
		msg := firstNonEmpty(d.Message, "no reason given")
		if d.Field != "" {
			msg = d.Field + ": " + msg
		}
		return &junction.Error{Code: code, Message: what + " failed the test: " + msg}
	}
	switch d.Proved {
	case "", "credentials":
		c.done("%s: test passed.", what)
	default:
		// A test that proved less than the credentials must not read as
		// one that proved them.
		c.done("%s: test passed, but it did not check the credentials: %s", what, d.Message)
	}
	return nil
}

// describeStoreType prints one store type (see storeType.describe), or
// with -o json its item of the API's list.
func (c *CLI) describeStoreType(cmd *cobra.Command, name string) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	page, err := cl.List(ctx(cmd), "/api/v1/credential-store-types", nil, true)
	if err != nil {
		return err
	}
	known := make([]string, 0, len(page.Items))
	for _, raw := range page.Items {
		var t storeType
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("decode store type: %w", err)
		}
		if t.Name == name {
			if c.raw() {
				return c.printDoc(raw)
			}
			return t.describe(c.env.Stdout)
		}
		known = append(known, t.Name)
	}
	return &junction.Error{Code: junction.ENOTFOUND, Message: fmt.Sprintf("no store type %q; the types are %s", name, strings.Join(known, ", "))}
}
