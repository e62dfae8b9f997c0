package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

// connectionFieldFlags are the flags that fill a connection's fields.
type connectionFieldFlags struct {
	fields, secretFields, secrets, assetFields []string
}

func (f *connectionFieldFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.fields, "field", nil, "field name=value (repeatable)")
	fl.StringArrayVar(&f.secretFields, "secret-field", nil, "secret field name=@path, name=- (standard input) or name=value; kept sealed by Junction (repeatable)")
	fl.StringArrayVar(&f.secrets, "secret", nil, "the same as --secret-field: NAME=@path, NAME=- or NAME=value, as every command takes secrets (repeatable)")
	fl.StringArrayVar(&f.assetFields, "asset-field", nil, "secret field name=ASSET[:username|:password], the asset's ID or name, resolved from the asset at run time (repeatable)")
}

// body returns the fields the flags give, or nil when they give none. A
// field named twice, across the three flags, is an error.
func (f *connectionFieldFlags) body(c *CLI) (map[string]any, error) {
	m := map[string]any{}
	if err := keyValues(m, "field", f.fields, func(_, v string) (any, error) { return v, nil }); err != nil {
		return nil, err
	}
	for flag, specs := range map[string][]string{"secret-field": f.secretFields, "secret": f.secrets} {
		if err := keyValues(m, flag, specs, func(k, spec string) (any, error) {
			return c.readValue(flag, "secret field "+k, spec)
		}); err != nil {
			return nil, err
		}
	}
	if err := keyValues(m, "asset-field", f.assetFields, func(k, ref string) (any, error) {
		return assetReference(k, ref)
	}); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// assetReference reads "ASSET_ID" or "ASSET_ID:part" into the API's
// {"asset_id", "part"} object.
func assetReference(field, ref string) (map[string]any, error) {
	id, part, hasPart := strings.Cut(ref, ":")
	if id == "" {
		return nil, junction.Invalid("asset-field", "%s: give the asset, as %s=ASSET[:username|:password]", field, field)
	}
	out := map[string]any{"asset_id": id}
	if hasPart {
		if part != "username" && part != "password" {
			return nil, junction.Invalid("asset-field", "%s: part must be username or password, not %q", field, part)
		}
		out["part"] = part
	}
	return out, nil
}

func (c *CLI) connectionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connections",
		Short: "Manage connections: a connector plus the credentials to call it, in a folder",
	}
	var all, noTest, isDefault bool
	var folder, connector, authType, status, name, proxyURL string
	var pollMinutes int
	var ff connectionFieldFlags

	list := &cobra.Command{
		Use:   "list [--folder ID] [--connector KEY] [--status STATUS]",
		Short: "List the connections you can see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"folder_id": folder, "connector": connector, "status": status})
			return listAndPrint(c, cmd, "/api/v1/connections", q, all, []string{"ID", "NAME", "CONNECTOR", "AUTH", "FOLDER", "STATUS", "DEFAULT"}, func(k *junction.Connection) []string {
				return []string{k.ID, k.Name, k.Connector, k.AuthType, c.label(refFolder, k.FolderID), string(k.Status), yesNo(k.IsDefault)}
			})
		},
	}
	list.Flags().StringVar(&folder, "folder", "", "only connections in this folder ID")
	list.Flags().StringVar(&connector, "connector", "", "only connections of this connector key")
	list.Flags().StringVar(&status, "status", "", "only connections in this status: connected, disconnected or disabled")
	addAllFlag(list, &all)

	show := showCommand(c, "Show one connection (secret fields say only whether they are set)", connectionPath, c.connectionFields)

	create := &cobra.Command{
		Use:   "create NAME --folder ID --connector KEY --auth TYPE [--field k=v ...] [--secret-field k=@path|-|value ...] [--asset-field k=ASSET_ID[:part] ...]",
		Short: "Create a connection; the server tests it first unless --no-test",
		Example: `  junction connections create jira --folder Finance --connector jira --auth basic \
    --field site=acme --field email=bot@acme.com --asset-field api_token=erp-api-key
  junction connections create gh --folder Finance --connector github --auth bearer \
    --secret-field token=@token.txt --default
  junction connections create hooks --folder Finance --connector webhook --auth none \
    --secret-field signing_secret=@hook-secret.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if folder == "" {
				return junction.Invalid("folder", "give the folder ID with --folder")
			}
			if connector == "" {
				return junction.Invalid("connector", "give the connector key with --connector (see junction connectors list)")
			}
			fields, err := ff.body(c)
			if err != nil {
				return err
			}
			if fields == nil {
				fields = map[string]any{}
			}
			body := map[string]any{
				"folder_id": folder, "connector": connector, "name": args[0], "fields": fields, "is_default": isDefault,
			}
			if authType != "" {
				body["auth_type"] = authType
			}
			setIfChanged(cmd, body, "poll-interval", "poll_interval_minutes", pollMinutes)
			if proxyURL != "" {
				body["proxy_url"] = proxyURL
			}
			path := "/api/v1/connections"
			if noTest {
				path += "?test=false"
			}
			return callAndPrint(c, cmd, http.MethodPost, path, body, c.connectionFields)
		},
	}
	create.Flags().StringVar(&folder, "folder", "", "ID of the folder to create it in (required)")
	create.Flags().StringVar(&connector, "connector", "", "connector key (required)")
	create.Flags().StringVar(&authType, "auth", "", "auth type of the connector to use (optional when it has one)")
	create.Flags().BoolVar(&noTest, "no-test", false, "save without testing the connection first")
	create.Flags().BoolVar(&isDefault, "default", false, "make it the folder's default connection for this connector")
	create.Flags().IntVar(&pollMinutes, "poll-interval", 0, "minutes between trigger polls (server default when not given)")
	create.Flags().StringVar(&proxyURL, "proxy-url", "", "reach the API through this forward proxy")
	ff.register(create)

	update := &cobra.Command{
		Use:   "update ID [--name N] [--field k=v ...] [--secret-field k=@path|-|value ...] [--asset-field k=ASSET_ID[:part] ...] [--default=true|false]",
		Short: "Change a connection; fields not named keep their values",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			setIfChanged(cmd, body, "name", "name", name)
			setIfChanged(cmd, body, "auth", "auth_type", authType)
			setIfChanged(cmd, body, "default", "is_default", isDefault)
			setIfChanged(cmd, body, "poll-interval", "poll_interval_minutes", pollMinutes)
			setIfChanged(cmd, body, "proxy-url", "proxy_url", proxyURL)
			fields, err := ff.body(c)
			if err != nil {
				return err
			}
			if fields != nil {
				body["fields"] = fields
			}
			if len(body) == 0 {
				return junction.Errorf(junction.EINVALID, "nothing to change: give --name, --auth, --field, --secret-field, --asset-field, --default, --poll-interval or --proxy-url")
			}
			return callAndPrint(c, cmd, http.MethodPatch, connectionPath(args[0]), body, c.connectionFields)
		},
	}
	update.Flags().StringVar(&name, "name", "", "new name")
	update.Flags().StringVar(&authType, "auth", "", "auth type of the connector to use")
	update.Flags().BoolVar(&isDefault, "default", false, "make it (=false: stop it being) the folder's default for its connector")
	update.Flags().IntVar(&pollMinutes, "poll-interval", 0, "minutes between trigger polls")
	update.Flags().StringVar(&proxyURL, "proxy-url", "", `reach the API through this forward proxy ("" for none)`)
	ff.register(update)

	test := &cobra.Command{
		Use:   "test ID",
		Short: "Call the connector's test request with the connection's credentials",
		Long: `Test resolves every credential of the connection and calls the connector's
test request. A failed test prints what went wrong and exits with status 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.testCall(cmd, connectionPath(args[0])+"/test", "Connection "+args[0])
		},
	}

	authorize := &cobra.Command{
		Use:   "authorize ID",
		Short: "Start the OAuth 2.0 consent of a connection: prints the URL to open in a browser",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := c.call(cmd, http.MethodPost, connectionPath(args[0])+"/authorize", nil)
			if err != nil {
				return err
			}
			return printAnswer(c, raw, func(a *authorizeAnswer) error {
				// The URL alone goes to standard output, so it can be
				// piped to a browser opener.
				fmt.Fprintln(c.env.Stderr, "Open this URL in a browser and grant access; the connection is ready once the provider redirects back:")
				fmt.Fprintln(c.env.Stdout, a.AuthorizeURL)
				return nil
			})
		},
	}

	del := c.deleteCommand("connection", "Delete a connection with its sealed secrets and tokens", connectionPath)

	cmd.AddCommand(list, show, create, update, test, authorize, c.connectionDebugCommand(), del)
	return cmd
}

// authorizeAnswer is the answer of POST /api/v1/connections/{id}/authorize.
type authorizeAnswer struct {
	AuthorizeURL string `json:"authorize_url"`
}

func connectionPath(id string) string { return "/api/v1/connections/" + url.PathEscape(id) }

// connectionView is a connection as the API answers it, with the warnings
// about its configuration.
type connectionView struct {
	junction.Connection
	Warnings []struct {
		Code    string `json:"code"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"warnings,omitempty"`
}

// connectionFields are the lines printObject shows for a connection.
func (c *CLI) connectionFields(v *connectionView) [][2]string {
	k := &v.Connection
	st := string(k.Status)
	if k.StatusReason != "" {
		st += " (" + oneLine(k.StatusReason) + ")"
	}
	out := [][2]string{
		{"ID", k.ID}, {"Name", k.Name}, {"Connector", k.Connector}, {"Auth", k.AuthType},
		{"Folder", c.label(refFolder, k.FolderID)}, {"Status", st}, {"Default", yesNo(k.IsDefault)},
	}
	if k.PollIntervalMinutes > 0 {
		out = append(out, [2]string{"Poll interval", strconv.Itoa(k.PollIntervalMinutes) + " min"})
	}
	if k.ProxyURL != "" {
		out = append(out, [2]string{"Proxy URL", k.ProxyURL})
	}
	if k.DebugUntil != nil && k.DebugUntil.After(c.env.Now()) {
		out = append(out, [2]string{"Debug until", formatTime(*k.DebugUntil)})
	}
	for _, name := range slices.Sorted(maps.Keys(k.Fields)) {
		out = append(out, [2]string{"Field " + name, describeFieldValue(k.Fields[name])})
	}
	for _, w := range v.Warnings {
		out = append(out, [2]string{"Warning", w.Code + " (" + w.Field + "): " + oneLine(w.Message)})
	}
	return append(out, [2]string{"Created", formatTime(k.CreatedAt)}, [2]string{"Updated", formatTime(k.UpdatedAt)})
}

// describeFieldValue says what a stored field holds: its value, or for a
// secret field where the value comes from, never the value.
func describeFieldValue(v junction.FieldValue) string {
	switch {
	case v.AssetID != "" && v.Part != "":
		return "asset " + v.AssetID + " (" + v.Part + ")"
	case v.AssetID != "":
		return "asset " + v.AssetID
	case v.Set:
		return "(secret, set)"
	case v.Value == nil:
		return ""
	}
	if s, ok := v.Value.(string); ok {
		return s
	}
	b, _ := json.Marshal(v.Value)
	return string(b)
}
