package importer

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"junction/connector"
)

// Review checks a saved draft, as a person left it, and returns its
// checklist: what the connector still needs before it can be published,
// then what its import reported about the source file (notes, as the
// import's checklist gave them; its Validation item is replaced by the
// draft's own). An item with StatusError blocks publishing.
func Review(draft []byte, notes []ChecklistItem) []ChecklistItem {
	var out []ChecklistItem
	add := func(item string, st Status, format string, args ...any) {
		out = append(out, ChecklistItem{Item: item, Status: st, Detail: fmt.Sprintf(format, args...)})
	}
	// Read leniently so the other items can speak of a draft that the
	// validator still refuses.
	var d connector.Definition
	if err := yaml.Unmarshal(draft, &d); err != nil {
		add("Definition", StatusError, "the draft is not a readable YAML or JSON definition: %s", firstLine(err.Error()))
		return append(out, keptNotes(notes)...)
	}

	switch {
	case len(d.Auth) == 0:
		add("Authentication", StatusError, "no auth type is configured; add one (none, basic, api_key, bearer, oauth2_client_credentials, oauth2_authorization_code, custom)")
	case len(d.Auth) == 1 && d.Auth[0].Type == connector.AuthNone:
		add("Authentication", StatusWarning, "the connector sends no credentials; if the API needs them, add an auth type")
	default:
		types := make([]string, 0, len(d.Auth))
		for i := range d.Auth {
			types = append(types, d.Auth[i].Key())
		}
		add("Authentication", StatusOK, "auth types: %s", strings.Join(types, ", "))
	}

	if d.Test == nil || d.Test.Path == "" {
		add("Test request", StatusWarning, "no test request is defined, so a new connection cannot prove its credentials; set test.path to a cheap GET such as /me")
	} else {
		add("Test request", StatusOK, "%s %s", orGET(d.Test.Method), d.Test.Path)
	}

	for _, check := range []func(*connector.Definition) (string, Status, string, []any){
		undeclaredVariables, activityNames, pathParameters, triggers} {
		item, st, format, args := check(&d)
		add(item, st, format, args...)
	}

	out = append(out, keptNotes(notes)...)
	return append(out, validateText(draft))
}

// keptNotes are the import's items about its file, without the items
// Review recomputes from the draft.
func keptNotes(notes []ChecklistItem) []ChecklistItem {
	recomputed := []string{"Validation", "Authentication", "Test request"}
	return slices.DeleteFunc(slices.Clone(notes), func(n ChecklistItem) bool { return slices.Contains(recomputed, n.Item) })
}

func validateText(draft []byte) ChecklistItem {
	_, err := connector.Parse(draft)
	if err == nil {
		return ChecklistItem{Item: "Validation", Status: StatusOK, Detail: "the draft passes the connector validator"}
	}
	var de *connector.DefinitionError
	if errors.As(err, &de) {
		probs := make([]string, 0, len(de.Problems))
		for _, p := range de.Problems {
			probs = append(probs, p.String())
		}
		return ChecklistItem{Item: "Validation", Status: StatusError, Detail: listSome(probs)}
	}
	return ChecklistItem{Item: "Validation", Status: StatusError, Detail: firstLine(err.Error())}
}

func orGET(m string) string {
	if m == "" {
		return "GET"
	}
	return strings.ToUpper(m)
}

var variableRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func varsIn(s string) []string {
	var out []string
	for _, m := range variableRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// undeclaredVariables finds {name} in the base URL and the connector's
// headers that no connection field declares.
func undeclaredVariables(d *connector.Definition) (string, Status, string, []any) {
	declared := map[string]bool{}
	for _, f := range d.Fields {
		declared[f.Name] = true
	}
	for i := range d.Auth {
		for _, f := range d.Auth[i].Fields {
			declared[f.Name] = true
		}
	}
	var missing []string
	check := func(where, s string) {
		for _, v := range varsIn(s) {
			if !declared[v] && !slices.Contains(missing, v+" (in "+where+")") {
				missing = append(missing, v+" (in "+where+")")
			}
		}
	}
	check("base_url", d.BaseURL)
	for k, v := range d.Headers {
		check("headers."+k, v)
	}
	if len(missing) > 0 {
		return "Variables", StatusError, "used but not declared as connection fields: %s", []any{listSome(missing)}
	}
	return "Variables", StatusOK, "every connection variable used is declared", nil
}

// activityNames checks that names are unique and that each activity says
// what it returns.
func activityNames(d *connector.Definition) (string, Status, string, []any) {
	seen := map[string]bool{}
	var dups, untyped []string
	for _, a := range d.Activities {
		if seen[a.Name] {
			dups = append(dups, a.Name)
		}
		seen[a.Name] = true
		if len(a.Outputs) == 0 && a.Records == "" && a.Method != "DELETE" {
			untyped = append(untyped, a.Name)
		}
	}
	switch {
	case len(d.Activities) == 0 && len(d.Objects) == 0:
		return "Activity names", StatusWarning, "the connector has no activities or objects yet; add one in the activity designer", nil
	case len(dups) > 0:
		return "Activity names", StatusError, "activity names must be unique: %s", []any{listSome(dups)}
	case len(untyped) > 0:
		return "Activity names", StatusWarning, "these activities declare no typed outputs, so their results are passed on untyped: %s", []any{listSome(untyped)}
	}
	return "Activity names", StatusOK, "%d activities with unique names and typed outputs", []any{len(d.Activities)}
}

// pathParameters checks that every {name} in an operation's path is one
// of its inputs or a connection field.
func pathParameters(d *connector.Definition) (string, Status, string, []any) {
	fields := map[string]bool{}
	for _, f := range d.Fields {
		fields[f.Name] = true
	}
	var missing []string
	check := func(where string, op *connector.Operation) {
		if op == nil {
			return
		}
		for _, v := range varsIn(op.Path) {
			declared := fields[v]
			for _, in := range op.Inputs {
				declared = declared || in.Name == v
			}
			if !declared {
				missing = append(missing, where+" {"+v+"}")
			}
		}
	}
	for i := range d.Activities {
		check(d.Activities[i].Name, &d.Activities[i].Operation)
	}
	for _, o := range d.Objects {
		ops := o.Operations
		for name, op := range map[string]*connector.Operation{"list": ops.List, "get": ops.Get, "create": ops.Create, "update": ops.Update, "delete": ops.Delete} {
			check(o.Name+"."+name, op)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return "Path parameters", StatusError, "path parameters without an input: %s", []any{listSome(missing)}
	}
	return "Path parameters", StatusOK, "every path parameter is declared", nil
}

// triggers checks that each event says how it is found: a polling event
// names its record ID and a watermark, a webhook event its types.
func triggers(d *connector.Definition) (string, Status, string, []any) {
	n := 0
	var incomplete []string
	for _, o := range d.Objects {
		for _, ev := range o.Events {
			n++
			where := o.Name + "." + ev.Name
			switch {
			case ev.Polling == nil && ev.Webhook == nil:
				incomplete = append(incomplete, where+" (neither polling nor webhook)")
			case ev.Polling != nil && ev.Polling.ID == "" && o.IDField == "":
				incomplete = append(incomplete, where+" (no record ID field)")
			case ev.Polling != nil && ev.Polling.Created == nil && ev.Polling.Updated == nil && ev.Polling.Cursor == nil:
				incomplete = append(incomplete, where+" (no created or updated time to use as the watermark)")
			case ev.Webhook != nil && d.Webhooks == nil:
				incomplete = append(incomplete, where+" (webhooks: the signature scheme and event type location are not set)")
			}
		}
	}
	switch {
	case len(incomplete) > 0:
		return "Triggers", StatusError, "incomplete triggers: %s", []any{listSome(incomplete)}
	case n == 0:
		return "Triggers", StatusOK, "no triggers defined (optional: add a polling trigger on a list operation, or a webhook trigger)", nil
	}
	return "Triggers", StatusOK, "%d trigger events are complete", []any{n}
}
