package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"junction"
)

// People name things; the API takes IDs. Every command argument and flag
// that names a folder, user, role, connection, asset, credential store or
// trigger also takes its name, resolved here before the command runs: a
// folder by its path ("Finance/Payroll") or, when unique, its bare name;
// an object in a folder by its name, or by "Folder/Path/name" to pick one
// of several with that name. A name that matches several objects is an
// error that lists them.

// refKind is a kind of object a command may name.
type refKind struct {
	noun string // "connection"
	path string // the list endpoint
	// nameQuery is the list endpoint's "name contains" filter, if it has
	// one, to fetch fewer candidates.
	nameQuery bool
	// inFolder kinds may be qualified by a folder path.
	inFolder bool
}

var (
	refFolder     = &refKind{noun: "folder", path: "/api/v1/folders", nameQuery: true}
	refUser       = &refKind{noun: "user", path: "/api/v1/users", nameQuery: true}
	refRole       = &refKind{noun: "role", path: "/api/v1/roles"}
	refConnection = &refKind{noun: "connection", path: "/api/v1/connections", nameQuery: true, inFolder: true}
	refAsset      = &refKind{noun: "asset", path: "/api/v1/assets", nameQuery: true, inFolder: true}
	refStore      = &refKind{noun: "credential store", path: "/api/v1/credential-stores"}
	refProxy      = &refKind{noun: "credential proxy", path: "/api/v1/credential-proxies"}
	refTrigger    = &refKind{noun: "trigger", path: "/api/v1/triggers", nameQuery: true, inFolder: true}
	// Tenants are listed whole to host administrators, who alone name
	// other tenants.
	refTenant = &refKind{noun: "tenant", path: "/api/v1/tenants"}
)

// refsByGroup is the kind a group's "ID" argument names ("junction
// connections show ID"); groups not listed take IDs only (tokens, jobs,
// executions).
var refsByGroup = map[string]*refKind{
	"folders": refFolder, "users": refUser, "roles": refRole, "connections": refConnection,
	"assets": refAsset, "stores": refStore, "triggers": refTrigger, "credential-proxies": refProxy,
}

// refsByPlaceholder is the kind an argument named in a Use line names.
var refsByPlaceholder = map[string]*refKind{
	"FOLDER_ID": refFolder, "USER_ID": refUser, "CONNECTION_ID": refConnection, "CONNECTION": refConnection,
	"ASSET_ID": refAsset, "STORE_ID": refStore, "TRIGGER_ID": refTrigger, "TENANT": refTenant,
}

// refsByFlag is the kind a flag names.
var refsByFlag = map[string]*refKind{
	"folder": refFolder, "parent": refFolder, "connection": refConnection, "store": refStore, "trigger": refTrigger,
	"proxy": refProxy,
}

// refsInValues are the repeatable flags whose values are "key=REF" or
// "key=REF:part", REF naming an object ("--asset-field api_token=erp-key").
var refsInValues = map[string]*refKind{"asset-field": refAsset}

// acceptNames walks the command tree and lets every argument and flag that
// names an object take its name: the command's RunE is wrapped to resolve
// them to IDs first.
func (c *CLI) acceptNames(cmd *cobra.Command, group string) {
	for _, sub := range cmd.Commands() {
		g := group
		if g == "" {
			g = sub.Name()
		}
		c.acceptNames(sub, g)
	}
	if cmd.RunE == nil {
		return
	}
	var args []*refKind
	for _, word := range strings.Fields(cmd.Use)[1:] {
		if strings.HasPrefix(word, "[") || strings.HasPrefix(word, "-") {
			break
		}
		k := refsByPlaceholder[word]
		if word == "ID" {
			k = refsByGroup[group]
		}
		args = append(args, k)
	}
	var flags []string
	for name, k := range refsByFlag {
		if f := cmd.Flags().Lookup(name); f != nil {
			flags = append(flags, name)
			if !strings.Contains(f.Usage, "name") {
				f.Usage += " (or its " + map[bool]string{true: "path", false: "name"}[k == refFolder] + ")"
			}
		}
	}
	var valueFlags []string
	for name := range refsInValues {
		if cmd.Flags().Lookup(name) != nil {
			valueFlags = append(valueFlags, name)
		}
	}
	if !slices.ContainsFunc(args, func(k *refKind) bool { return k != nil }) && len(flags) == 0 && len(valueFlags) == 0 {
		return
	}
	slices.Sort(flags)
	c.completeNames(cmd, args, flags)
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, given []string) error {
		r := c.refs(cmd)
		given = slices.Clone(given)
		for i, k := range args {
			if k == nil || i >= len(given) {
				continue
			}
			id, err := r.resolve(k, given[i])
			if err != nil {
				return err
			}
			given[i] = id
		}
		for _, name := range flags {
			f := cmd.Flags().Lookup(name)
			if !f.Changed || f.Value.String() == "" {
				continue
			}
			id, err := r.resolve(refsByFlag[name], f.Value.String())
			if err != nil {
				return err
			}
			if err := f.Value.Set(id); err != nil {
				return err
			}
		}
		for _, name := range valueFlags {
			if err := r.resolveValues(cmd.Flags().Lookup(name), refsInValues[name]); err != nil {
				return err
			}
		}
		return run(cmd, given)
	}
}

// resolveValues replaces the REF of each "key=REF[:part]" value of a
// repeatable flag by the ID it names.
func (r *refResolver) resolveValues(f *pflag.Flag, k *refKind) error {
	sv, ok := f.Value.(pflag.SliceValue)
	if !f.Changed || !ok {
		return nil
	}
	values := sv.GetSlice()
	for i, v := range values {
		key, ref, found := strings.Cut(v, "=")
		if !found || ref == "" {
			continue // the command's own check names what is missing
		}
		ref, part, hasPart := strings.Cut(ref, ":")
		if hasPart && part != "username" && part != "password" {
			continue // not a part an asset has: the command's check says so
		}
		id, err := r.resolve(k, ref)
		if err != nil {
			return err
		}
		values[i] = key + "=" + id
		if hasPart {
			values[i] += ":" + part
		}
	}
	return sv.Replace(values)
}

// refResolver resolves the names of one command line, fetching the folder
// tree at most once, and shows the IDs in its answers as names (label),
// listing each other kind at most once.
type refResolver struct {
	c          *CLI
	ctx        context.Context
	folders    []namedObject // with where set to the folder's name path
	foldersErr error
	byID       map[string]namedObject
	// labels holds, per kind, the names of the objects the caller can
	// see by ID; empty when they could not be listed.
	labels map[*refKind]map[string]string
}

// refs returns the command line's resolver.
func (c *CLI) refs(cmd *cobra.Command) *refResolver {
	if c.names == nil {
		c.names = &refResolver{c: c, ctx: ctx(cmd)}
	}
	return c.names
}

// label shows an ID as its object's name (refResolver.label).
func (c *CLI) label(k *refKind, id string) string { return c.names.label(k, id) }

// label is how a table or a detail view shows the object of kind k with
// this ID: a folder by its path, another object by its name. An object
// without a name, or one the caller cannot see or list, shows its ID:
// a label never fails the command that prints it.
func (r *refResolver) label(k *refKind, id string) string {
	if id == "" || r == nil {
		return id
	}
	if k == refFolder {
		if r.loadFolders() != nil {
			return id
		}
		return r.folderPath(id)
	}
	names, ok := r.labels[k]
	if !ok {
		names = map[string]string{}
		if objs, err := r.list(k.path, url.Values{"limit": {"500"}}); err == nil {
			for _, o := range objs {
				if o.Name != "" {
					names[o.ID] = o.Name
				}
			}
		}
		if r.labels == nil {
			r.labels = map[*refKind]map[string]string{}
		}
		r.labels[k] = names
	}
	if name, ok := names[id]; ok {
		return name
	}
	return id
}

// namedObject is what resolution reads of any listed object.
type namedObject struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	FolderID string   `json:"folder_id"`
	Path     []string `json:"path"` // a folder's ancestors' IDs, itself last
	// where is the folder path the object is shown with in an ambiguity.
	where string
}

// resolve returns the ID that ref names: ref itself when it is an ID.
func (r *refResolver) resolve(k *refKind, ref string) (string, error) {
	if junction.ValidID(ref) {
		return ref, nil
	}
	if k == refFolder {
		return r.folder(ref)
	}
	name, folderID := ref, ""
	if k.inFolder {
		if i := strings.LastIndex(ref, "/"); i > 0 {
			f, err := r.folder(ref[:i])
			if err != nil {
				return "", err
			}
			name, folderID = ref[i+1:], f
		}
	}
	q := url.Values{"limit": {"500"}}
	if k.nameQuery {
		q.Set("name", name)
	}
	if folderID != "" {
		q.Set("folder_id", folderID)
	}
	objs, err := r.list(k.path, q)
	if err != nil {
		return "", err
	}
	var matches []namedObject
	for _, o := range objs {
		if o.Name == name && (folderID == "" || o.FolderID == folderID) {
			matches = append(matches, o)
		}
	}
	if k.inFolder && len(matches) > 1 {
		if err := r.loadFolders(); err != nil {
			return "", err
		}
		for i := range matches {
			matches[i].where = r.folderPath(matches[i].FolderID) + "/" + matches[i].Name
		}
	}
	return pick(k, ref, matches)
}

// folder resolves a folder path ("Finance/Payroll") or a unique bare name.
func (r *refResolver) folder(ref string) (string, error) {
	if junction.ValidID(ref) {
		return ref, nil
	}
	if err := r.loadFolders(); err != nil {
		return "", err
	}
	ref = strings.Trim(ref, "/")
	var matches []namedObject
	for _, f := range r.folders {
		if f.where == ref || (!strings.Contains(ref, "/") && f.Name == ref) {
			matches = append(matches, f)
		}
	}
	// A full path wins over bare names that happen to match too.
	if i := slices.IndexFunc(matches, func(f namedObject) bool { return f.where == ref }); i >= 0 && strings.Contains(ref, "/") {
		matches = matches[i : i+1]
	}
	return pick(refFolder, ref, matches)
}

func (r *refResolver) loadFolders() error {
	if r.folders != nil || r.foldersErr != nil {
		return r.foldersErr
	}
	fs, err := r.list(refFolder.path, url.Values{"limit": {"500"}})
	if err != nil {
		r.foldersErr = err
		return err
	}
	r.folders = fs
	r.byID = make(map[string]namedObject, len(fs))
	for _, f := range fs {
		r.byID[f.ID] = f
	}
	for i := range r.folders {
		r.folders[i].where = r.folderPath(r.folders[i].ID)
	}
	return nil
}

// folderPath is a folder's names from the top, as far as the caller can
// see its ancestors.
func (r *refResolver) folderPath(id string) string {
	byID := r.byID
	f, ok := byID[id]
	if !ok {
		return id
	}
	names := make([]string, 0, len(f.Path))
	for _, a := range f.Path {
		if af, ok := byID[a]; ok {
			names = append(names, af.Name)
		}
	}
	return strings.Join(names, "/")
}

func (r *refResolver) list(path string, q url.Values) ([]namedObject, error) {
	cl, err := r.c.client()
	if err != nil {
		return nil, err
	}
	page, err := cl.List(r.ctx, path, q, true)
	if err != nil {
		return nil, err
	}
	out := make([]namedObject, 0, len(page.Items))
	for _, raw := range page.Items {
		var o namedObject
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// pick returns the one match, or says that there is none or which several
// there are.
func pick(k *refKind, ref string, matches []namedObject) (string, error) {
	switch len(matches) {
	case 1:
		return matches[0].ID, nil
	case 0:
		return "", &junction.Error{Code: junction.ENOTFOUND,
			Message: fmt.Sprintf("no %s named %q that you can see", k.noun, ref)}
	}
	list := make([]string, len(matches))
	for i, m := range matches {
		where := m.where
		if where == "" {
			where = m.Name
		}
		list[i] = where + " (" + m.ID + ")"
	}
	hint := "use the ID"
	if k.inFolder {
		hint = "use the ID or Folder/Path/" + matches[0].Name
	} else if k == refFolder {
		hint = "use the ID or the full path"
	}
	return "", &junction.Error{Code: junction.EINVALID,
		Message: fmt.Sprintf("%q matches %d %ss: %s; %s", ref, len(matches), k.noun, strings.Join(list, ", "), hint)}
}

// completeNames makes the shell complete cmd's object arguments and flags
// with the names the server has, so "junction connections show <TAB>"
// offers the caller's connections.
func (c *CLI) completeNames(cmd *cobra.Command, args []*refKind, flags []string) {
	complete := func(k *refKind) ([]string, cobra.ShellCompDirective) {
		if k == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names, err := (&refResolver{c: c, ctx: ctx(cmd)}).names(k)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
	cmd.ValidArgsFunction = func(_ *cobra.Command, given []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(given) >= len(args) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return complete(args[len(given)])
	}
	for _, name := range flags {
		k := refsByFlag[name]
		_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return complete(k)
		})
	}
}

// names lists what the caller may type for objects of kind k: folder
// paths, or names, qualified by folder path where several share one.
func (r *refResolver) names(k *refKind) ([]string, error) {
	if err := r.loadFolders(); err != nil {
		return nil, err
	}
	if k == refFolder {
		out := make([]string, 0, len(r.folders))
		for _, f := range r.folders {
			out = append(out, f.where)
		}
		slices.Sort(out)
		return out, nil
	}
	objs, err := r.list(k.path, url.Values{"limit": {"500"}})
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, o := range objs {
		count[o.Name]++
	}
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		if count[o.Name] > 1 && k.inFolder {
			out = append(out, r.folderPath(o.FolderID)+"/"+o.Name)
			continue
		}
		out = append(out, o.Name)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// nameFlagsInErrors walks the command tree so that an error about an API
// field names the flag the user typed instead: "--folder: folder not
// found", not "folder_id: ...".
func nameFlagsInErrors(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		nameFlagsInErrors(sub)
	}
	if cmd.RunE == nil {
		return
	}
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		var e *junction.Error
		if err == nil || !errors.As(err, &e) || e.Field == "" || strings.HasPrefix(e.Field, "-") {
			return err
		}
		if flag := flagForField(cmd, e.Field); flag != "" {
			named := *e
			named.Field = "--" + flag
			return &named
		}
		return err
	}
}

// flagForField finds the flag that set an API field: the field itself
// with dashes ("display_name" is --display-name), without its "_id"
// ("folder_id" is --folder), or the first part of a path ("config.address"
// is --config).
func flagForField(cmd *cobra.Command, field string) string {
	head, _, _ := strings.Cut(field, ".")
	head, _, _ = strings.Cut(head, "[")
	for _, name := range []string{head, strings.TrimSuffix(head, "_id")} {
		name = strings.ReplaceAll(name, "_", "-")
		if name != "" && cmd.Flags().Lookup(name) != nil {
			return name
		}
	}
	return ""
}
