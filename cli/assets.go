package cli

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"junction"
)

// asset is an asset as the API returns it. Secret and credential assets
// never carry their value; resolve returns it.
type asset struct {
	junction.Asset
	// Value is a JSON string, number or boolean, by the asset's type.
	Value    json.RawMessage `json:"value,omitempty"`
	HasValue bool            `json:"has_value"`
}

// shownValue is what a table says about an asset's value without
// revealing a secret.
func (a *asset) shownValue() string {
	switch {
	case a.Value != nil:
		return plainText(a.Value)
	case a.ExternalName != "":
		return "(in store: " + a.ExternalName + ")"
	case a.HasValue:
		return "(sealed)"
	}
	return "(not set)"
}

// plainText shows an asset's JSON value as a person writes it: a string
// without its quotes, a number or boolean as it is.
func plainText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// resolvedAsset is the answer of POST /api/v1/assets/{id}/resolve.
type resolvedAsset struct {
	Type     string          `json:"type"`
	Value    json.RawMessage `json:"value,omitempty"`
	Username string          `json:"username,omitempty"`
	Password string          `json:"password,omitempty"`
}

// assetValueFlags are the flags that give an asset's value.
type assetValueFlags struct {
	value, valueFile, username, password, passwordFile string
	// secrets is --secret value=SPEC / password=SPEC, the way every
	// command takes secrets.
	secrets []string
}

func (f *assetValueFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.value, "value", "", "the value, literally (for a secret, prefer --value-file)")
	fl.StringVar(&f.valueFile, "value-file", "", `read the value from this file ("-": standard input)`)
	fl.StringVar(&f.username, "username", "", "username of a credential asset")
	fl.StringVar(&f.password, "password", "", `password of a credential asset ("-": read it from standard input)`)
	fl.StringVar(&f.passwordFile, "password-file", "", `read the password from this file ("-": standard input)`)
	fl.StringArrayVar(&f.secrets, "secret", nil, `value=@path or password=@path ("-": standard input), as every command takes secrets`)
}

// fill adds the value flags that were given to body.
func (f *assetValueFlags) fill(c *CLI, cmd *cobra.Command, body map[string]any) error {
	changed := cmd.Flags().Changed
	if changed("value") && changed("value-file") {
		return junction.Invalid("value", "give --value or --value-file, not both")
	}
	if changed("password") && changed("password-file") {
		return junction.Invalid("password", "give --password or --password-file, not both")
	}
	for _, s := range f.secrets {
		name, spec, ok := strings.Cut(s, "=")
		if !ok || (name != "value" && name != "password") {
			return junction.Invalid("secret", "give value=@path or password=@path (or =- for standard input), not %q", name)
		}
		if changed(name) || changed(name+"-file") {
			return junction.Invalid("secret", "give --secret %s=... or --%s, not both", name, name)
		}
		v, err := c.readValue("secret", "the "+name, spec)
		if err != nil {
			return err
		}
		body[name] = v
	}
	setIfChanged(cmd, body, "value", "value", f.value)
	if changed("value-file") {
		v, err := c.readFile("value-file", "the value", f.valueFile)
		if err != nil {
			return err
		}
		body["value"] = v
	}
	setIfChanged(cmd, body, "username", "username", f.username)
	if changed("password") {
		v := f.password
		if v == "-" {
			var err error
			if v, err = c.readStdin("password", "the password"); err != nil {
				return err
			}
		}
		body["password"] = v
	}
	if changed("password-file") {
		v, err := c.readFile("password-file", "the password", f.passwordFile)
		if err != nil {
			return err
		}
		body["password"] = v
	}
	return nil
}

func (c *CLI) assetsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "assets",
		Short: "Manage assets: named values and credentials kept in folders",
	}
	var all, refresh, subfolders bool
	var nameContains string
	var folder, typ, name, description, store, externalName string
	var allowedHosts []string
	var anyHost bool
	var vf assetValueFlags

	list := &cobra.Command{
		Use:   "list [--folder ID [--subfolders]] [--type TYPE] [--store ID] [--name TEXT]",
		Short: "List the assets you can see (never a secret value)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"folder_id": folder, "type": typ, "store_id": store, "name": nameContains})
			if subfolders {
				q.Set("subfolders", "true")
			}
			return listAndPrint(c, cmd, "/api/v1/assets", q, all, []string{"ID", "NAME", "TYPE", "FOLDER", "STORE", "VALUE"}, func(a *asset) []string {
				return []string{a.ID, a.Name, string(a.Type), c.label(refFolder, a.FolderID), c.label(refStore, a.StoreID), a.shownValue()}
			})
		},
	}
	list.Flags().StringVar(&folder, "folder", "", "only assets in this folder ID")
	list.Flags().BoolVar(&subfolders, "subfolders", false, "with --folder, include the assets of every folder below it")
	list.Flags().StringVar(&typ, "type", "", "only assets of this type: text, integer, boolean, secret or credential")
	list.Flags().StringVar(&store, "store", "", "only assets in this credential store ID")
	list.Flags().StringVar(&nameContains, "name", "", "only assets whose name contains this, ignoring case")
	addAllFlag(list, &all)

	show := showCommand(c, "Show one asset (never a secret value: see resolve)", assetPath, c.assetFields)

	create := &cobra.Command{
		Use:   "create NAME --folder ID --type TYPE [--value V | --value-file F | --username U --password-file F] [--store ID --external-name N] [--allowed-host H]...",
		Short: "Create an asset",
		Long: `Create an asset in a folder. Text, integer and boolean assets take --value.
Secret assets take --value-file (or --value); credential assets --username
and --password-file (or --password -, read from standard input). With --store
and --external-name, a secret or credential asset points at a secret in that
credential store and Junction keeps no value; a value given as well is
written to the store.

--allowed-host, repeated, names the only hosts a secret or credential
asset's value is sent to: a host name, *. and a domain for any host below
it, or an IP address, without scheme, port or path. Without it the value
goes wherever a connection using the asset points.`,
		Example: `  junction assets create erp-password --folder Finance --type credential --username svc-erp --password-file ./pw.txt
  junction assets create erp-api-key --folder Finance --type secret --store vault-prod --external-name erp/api-key
  junction assets create crm-token --folder Finance --type secret --value-file ./token.txt --allowed-host api.crm.example.com --allowed-host '*.crm.example.net'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if folder == "" {
				return junction.Invalid("folder", "give the folder ID with --folder")
			}
			if typ == "" {
				return junction.Invalid("type", "give the asset --type: text, integer, boolean, secret or credential")
			}
			body := map[string]any{"folder_id": folder, "name": args[0], "type": typ}
			if description != "" {
				body["description"] = description
			}
			if store != "" {
				body["store_id"] = store
			}
			if externalName != "" {
				body["external_name"] = externalName
			}
			if len(allowedHosts) > 0 {
				body["allowed_hosts"] = allowedHosts
			}
			if err := vf.fill(c, cmd, body); err != nil {
				return err
			}
			return callAndPrint(c, cmd, http.MethodPost, "/api/v1/assets", body, c.assetFields)
		},
	}
	create.Flags().StringVar(&folder, "folder", "", "ID of the folder to create it in (required)")
	create.Flags().StringVar(&typ, "type", "", "text, integer, boolean, secret or credential (required)")
	create.Flags().StringVar(&description, "description", "", "what the asset is for")
	create.Flags().StringVar(&store, "store", "", "ID of the credential store holding the value")
	create.Flags().StringVar(&externalName, "external-name", "", "name of the secret in that store")
	create.Flags().StringArrayVar(&allowedHosts, "allowed-host", nil, "a host the value may be sent to (repeat for more)")
	vf.register(create)

	update := &cobra.Command{
		Use:   "update ID [--name N] [--description D] [--value V | --value-file F] [--username U] [--password-file F] [--external-name N] [--allowed-host H... | --any-host]",
		Short: "Change an asset's name, description, value, external name or allowed hosts",
		Long: `Change an asset. --allowed-host, repeated, replaces the hosts a secret or
credential asset's value may be sent to; --any-host lifts the restriction.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			setIfChanged(cmd, body, "name", "name", name)
			setIfChanged(cmd, body, "description", "description", description)
			setIfChanged(cmd, body, "external-name", "external_name", externalName)
			switch {
			case anyHost && len(allowedHosts) > 0:
				return junction.Invalid("allowed-host", "give --allowed-host or --any-host, not both")
			case anyHost:
				body["allowed_hosts"] = []string{}
			case len(allowedHosts) > 0:
				body["allowed_hosts"] = allowedHosts
			}
			if err := vf.fill(c, cmd, body); err != nil {
				return err
			}
			if len(body) == 0 {
				return junction.Errorf(junction.EINVALID, "nothing to change: give --name, --description, --value, --value-file, --username, --password, --password-file, --external-name, --allowed-host or --any-host")
			}
			return callAndPrint(c, cmd, http.MethodPatch, assetPath(args[0]), body, c.assetFields)
		},
	}
	update.Flags().StringVar(&name, "name", "", "new name")
	update.Flags().StringVar(&description, "description", "", "what the asset is for")
	update.Flags().StringVar(&externalName, "external-name", "", "name of the secret in its store")
	update.Flags().StringArrayVar(&allowedHosts, "allowed-host", nil, "a host the value may be sent to (repeat for more); replaces the list")
	update.Flags().BoolVar(&anyHost, "any-host", false, "lift the restriction: the value may be sent to any host")
	vf.register(update)

	del := c.deleteCommand("asset", "Delete an asset (with its value, when Junction holds it)", assetPath)

	resolve := &cobra.Command{
		Use:   "resolve ID [--refresh]",
		Short: "Print an asset's value, secret ones included, for scripts",
		Long: `Resolve prints the asset's value to standard output, read from its
credential store when it lives in one (or from the one-hour cache; --refresh
reads the store again). It is meant for scripts: use -o json and pick the
field you need.`,
		Example: `  junction assets resolve erp-password --field password`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"refresh": refresh}
			return callAndPrint(c, cmd, http.MethodPost, assetPath(args[0])+"/resolve", body, func(r *resolvedAsset) [][2]string {
				if r.Type == string(junction.AssetCredential) {
					return [][2]string{{"Type", r.Type}, {"Username", r.Username}, {"Password", r.Password}}
				}
				return [][2]string{{"Type", r.Type}, {"Value", plainText(r.Value)}}
			})
		},
	}
	resolve.Flags().BoolVar(&refresh, "refresh", false, "read the credential store again instead of the cache")

	cmd.AddCommand(list, show, create, update, del, resolve)
	return cmd
}

func assetPath(id string) string { return "/api/v1/assets/" + url.PathEscape(id) }

// assetFields are the lines printObject shows for an asset.
func (c *CLI) assetFields(a *asset) [][2]string {
	out := [][2]string{{"ID", a.ID}, {"Name", a.Name}, {"Type", string(a.Type)}, {"Folder", c.label(refFolder, a.FolderID)}}
	if a.Description != "" {
		out = append(out, [2]string{"Description", a.Description})
	}
	if a.StoreID != "" {
		out = append(out, [2]string{"Store", c.label(refStore, a.StoreID)})
	}
	if a.ExternalName != "" {
		out = append(out, [2]string{"External name", a.ExternalName})
	}
	if a.Type.Sensitive() {
		hosts := "(any)"
		if len(a.AllowedHosts) > 0 {
			hosts = strings.Join(a.AllowedHosts, ", ")
		}
		out = append(out, [2]string{"Allowed hosts", hosts})
	}
	out = append(out, [2]string{"Value", a.shownValue()})
	return append(out, [2]string{"Created", formatTime(a.CreatedAt)}, [2]string{"Updated", formatTime(a.UpdatedAt)})
}
