package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"junction"
	"junction/connector"
)

// A client of the builder edits one activity, auth type or trigger at a
// time rather than sending the whole definition back. Each edit changes
// the draft's YAML in place, so the comments and order people wrote stay,
// and is then validated and saved exactly as ReplaceDraft saves a whole
// definition.

// draftList is one list of a definition whose items the builder edits one
// at a time.
type draftList struct {
	kind string // "activity", "auth type", "trigger", in messages
	// keyField is the member the path names an item by.
	keyField string
	// object, for triggers, is the object whose events hold the item.
	object string
}

var (
	activityList = draftList{kind: "activity", keyField: "name"}
	authTypeList = draftList{kind: "auth type", keyField: "id"}
)

func triggerList(object string) draftList {
	return draftList{kind: "trigger", keyField: "name", object: object}
}

// keyOf is an item's name; an auth type without an ID goes by its type,
// as connector.Auth.Key says.
func (l draftList) keyOf(item *yaml.Node) string {
	if k := mappingValue(item, l.keyField); k != nil && k.Value != "" {
		return k.Value
	}
	if l == authTypeList {
		if t := mappingValue(item, "type"); t != nil {
			return t.Value
		}
	}
	return ""
}

// items finds the list in the draft's root mapping, creating it (empty)
// when create is set.
func (l draftList) items(root *yaml.Node, create bool) (*yaml.Node, error) {
	parent, member := root, "activities"
	switch {
	case l == authTypeList:
		member = "auth"
	case l.kind == "trigger":
		var obj *yaml.Node
		if objs := mappingValue(root, "objects"); objs != nil && objs.Kind == yaml.SequenceNode {
			for _, o := range objs.Content {
				if n := mappingValue(o, "name"); n != nil && n.Value == l.object {
					obj = o
				}
			}
		}
		if obj == nil {
			return nil, &junction.Error{Code: junction.ENOTFOUND, Field: "object",
				Message: fmt.Sprintf("the draft has no object %q", l.object)}
		}
		parent, member = obj, "events"
	}
	seq := mappingValue(parent, member)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		if !create {
			return &yaml.Node{Kind: yaml.SequenceNode}, nil
		}
		seq = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		setMappingValue(parent, member, seq)
	}
	return seq, nil
}

func (l draftList) notFound(key string) error {
	return &junction.Error{Code: junction.ENOTFOUND, Message: fmt.Sprintf("the draft has no %s %q", l.kind, key)}
}

// SetDraftActivity adds the activity named name, or replaces it where it
// stands. The activity's own name, when given and different, renames it.
func (a *App) SetDraftActivity(ctx context.Context, p *junction.Principal, id, name string, act connector.Activity) (*CustomConnectorView, error) {
	return a.setDraftItem(ctx, p, id, activityList, name, act)
}

// DeleteDraftActivity removes the activity named name.
func (a *App) DeleteDraftActivity(ctx context.Context, p *junction.Principal, id, name string) (*CustomConnectorView, error) {
	return a.deleteDraftItem(ctx, p, id, activityList, name)
}

// OrderDraftActivities puts the activities in the order of names, which
// must name each of them once.
func (a *App) OrderDraftActivities(ctx context.Context, p *junction.Principal, id string, names []string) (*CustomConnectorView, error) {
	return a.orderDraftItems(ctx, p, id, activityList, names)
}

// SetDraftAuth adds the auth type key (its ID, or its type when it has
// none), or replaces it where it stands.
func (a *App) SetDraftAuth(ctx context.Context, p *junction.Principal, id, key string, auth connector.Auth) (*CustomConnectorView, error) {
	return a.setDraftItem(ctx, p, id, authTypeList, key, auth)
}

// DeleteDraftAuth removes the auth type key.
func (a *App) DeleteDraftAuth(ctx context.Context, p *junction.Principal, id, key string) (*CustomConnectorView, error) {
	return a.deleteDraftItem(ctx, p, id, authTypeList, key)
}

// OrderDraftAuth puts the auth types in the order of keys; the first is
// the one a new connection form offers first.
func (a *App) OrderDraftAuth(ctx context.Context, p *junction.Principal, id string, keys []string) (*CustomConnectorView, error) {
	return a.orderDraftItems(ctx, p, id, authTypeList, keys)
}

// SetDraftTrigger adds the event (polling or webhook trigger) of an
// object of the draft, or replaces it where it stands.
func (a *App) SetDraftTrigger(ctx context.Context, p *junction.Principal, id, object, event string, ev connector.Event) (*CustomConnectorView, error) {
	return a.setDraftItem(ctx, p, id, triggerList(object), event, ev)
}

// DeleteDraftTrigger removes an object's event.
func (a *App) DeleteDraftTrigger(ctx context.Context, p *junction.Principal, id, object, event string) (*CustomConnectorView, error) {
	return a.deleteDraftItem(ctx, p, id, triggerList(object), event)
}

// OrderDraftTriggers puts an object's events in the order of names.
func (a *App) OrderDraftTriggers(ctx context.Context, p *junction.Principal, id, object string, names []string) (*CustomConnectorView, error) {
	return a.orderDraftItems(ctx, p, id, triggerList(object), names)
}

func (a *App) setDraftItem(ctx context.Context, p *junction.Principal, id string, l draftList, key string, item any) (*CustomConnectorView, error) {
	if strings.TrimSpace(key) == "" {
		return nil, junction.Invalid(l.keyField, "the %s's name in the path is empty", l.kind)
	}
	var node yaml.Node
	if err := node.Encode(item); err != nil {
		return nil, junction.Internal(fmt.Errorf("encode %s: %w", l.kind, err))
	}
	if l.keyOf(&node) == "" || (l == authTypeList && mappingValue(&node, "id") == nil && l.keyOf(&node) != key) {
		// The path names the item: a body without a name takes it, and
		// a second auth type of one type gets it as its ID.
		setMappingValue(&node, l.keyField, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key})
	}
	newKey := l.keyOf(&node)
	return a.editDraft(ctx, p, id, "custom_connector.set_"+strings.ReplaceAll(l.kind, " ", "_"),
		map[string]any{l.keyField: newKey, "object": l.object}, func(root *yaml.Node) error {
			seq, err := l.items(root, true)
			if err != nil {
				return err
			}
			at := -1
			for i, it := range seq.Content {
				switch l.keyOf(it) {
				case key:
					at = i
				case newKey:
					return &junction.Error{Code: junction.ECONFLICT, Field: l.keyField,
						Message: fmt.Sprintf("the draft already has a %s %q; delete it first or pick another name", l.kind, newKey)}
				}
			}
			if at < 0 {
				seq.Content = append(seq.Content, &node)
			} else {
				seq.Content[at] = &node
			}
			return nil
		})
}

func (a *App) deleteDraftItem(ctx context.Context, p *junction.Principal, id string, l draftList, key string) (*CustomConnectorView, error) {
	return a.editDraft(ctx, p, id, "custom_connector.delete_"+strings.ReplaceAll(l.kind, " ", "_"),
		map[string]any{l.keyField: key, "object": l.object}, func(root *yaml.Node) error {
			seq, err := l.items(root, false)
			if err != nil {
				return err
			}
			n := len(seq.Content)
			seq.Content = slices.DeleteFunc(seq.Content, func(it *yaml.Node) bool { return l.keyOf(it) == key })
			if len(seq.Content) == n {
				return l.notFound(key)
			}
			return nil
		})
}

func (a *App) orderDraftItems(ctx context.Context, p *junction.Principal, id string, l draftList, keys []string) (*CustomConnectorView, error) {
	return a.editDraft(ctx, p, id, "custom_connector.order_"+strings.ReplaceAll(l.kind, " ", "_"),
		map[string]any{"order": keys, "object": l.object}, func(root *yaml.Node) error {
			seq, err := l.items(root, false)
			if err != nil {
				return err
			}
			byKey := map[string]*yaml.Node{}
			for _, it := range seq.Content {
				byKey[l.keyOf(it)] = it
			}
			ordered := make([]*yaml.Node, 0, len(keys))
			for _, k := range keys {
				it, ok := byKey[k]
				if !ok {
					return junction.Invalid("names", "names %q, which is not one of the draft's %ss or is listed twice", k, l.kind)
				}
				ordered = append(ordered, it)
				delete(byKey, k)
			}
			if len(byKey) > 0 {
				return junction.Invalid("names", "must list every %s of the draft once; missing: %s",
					l.kind, strings.Join(slices.Sorted(maps.Keys(byKey)), ", "))
			}
			seq.Content = ordered
			return nil
		})
}

// editDraft changes the draft's YAML document with edit and saves it as
// ReplaceDraft does.
func (a *App) editDraft(ctx context.Context, p *junction.Principal, id, action string, details map[string]any,
	edit func(root *yaml.Node) error) (*CustomConnectorView, error) {
	if details["object"] == "" {
		delete(details, "object")
	}
	return a.saveDraft(ctx, p, id, action, details, func(c *junction.CustomConnector) ([]byte, error) {
		doc, root, err := draftRoot([]byte(c.Draft))
		if err != nil {
			return nil, err
		}
		if err := edit(root); err != nil {
			return nil, err
		}
		return yaml.Marshal(doc)
	})
}

// draftRoot parses a YAML draft into its document and root mapping.
func draftRoot(draft []byte) (doc, root *yaml.Node, err error) {
	doc = &yaml.Node{}
	if err := yaml.Unmarshal(draft, doc); err != nil || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, junction.Invalid("definition", "the draft is not a YAML mapping; replace it with PUT first")
	}
	return doc, doc.Content[0], nil
}

// mappingValue is the value of key in mapping m, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setMappingValue sets key in mapping m, appending it when absent.
func setMappingValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// KeepResources narrows an imported draft to the resources a person
// picked after the import: it removes the activities of the others
// (dropped, by name) and each object whose every operation is one of
// theirs (same method and path), with its triggers.
func (a *App) KeepResources(ctx context.Context, p *junction.Principal, id string, dropped []string) (*CustomConnectorView, error) {
	if len(dropped) == 0 {
		return a.GetCustomConnector(ctx, p, id)
	}
	drop := map[string]bool{}
	for _, n := range dropped {
		drop[n] = true
	}
	return a.editDraft(ctx, p, id, "custom_connector.keep_resources", map[string]any{"dropped_activities": len(dropped)},
		func(root *yaml.Node) error {
			acts, _ := activityList.items(root, false)
			endpoints := map[string]bool{}
			acts.Content = slices.DeleteFunc(acts.Content, func(it *yaml.Node) bool {
				if !drop[activityList.keyOf(it)] {
					return false
				}
				endpoints[endpointOf(it)] = true
				return true
			})
			objs := mappingValue(root, "objects")
			if objs == nil || objs.Kind != yaml.SequenceNode {
				return nil
			}
			objs.Content = slices.DeleteFunc(objs.Content, func(o *yaml.Node) bool {
				ops := mappingValue(o, "operations")
				if ops == nil || ops.Kind != yaml.MappingNode || len(ops.Content) == 0 {
					return false
				}
				for i := 1; i < len(ops.Content); i += 2 {
					if !endpoints[endpointOf(ops.Content[i])] {
						return false
					}
				}
				return true
			})
			return nil
		})
}

// endpointOf is an operation's "METHOD path".
func endpointOf(op *yaml.Node) string {
	var method, path string
	if m := mappingValue(op, "method"); m != nil {
		method = strings.ToUpper(m.Value)
	}
	if p := mappingValue(op, "path"); p != nil {
		path = p.Value
	}
	return method + " " + path
}

// SetDraftVariables replaces the connection variables (the definition's
// fields), which the base URL, paths, headers and bodies use as {name}.
func (a *App) SetDraftVariables(ctx context.Context, p *junction.Principal, id string, fields []connector.Field) (*CustomConnectorView, error) {
	var node yaml.Node
	if err := node.Encode(fields); err != nil {
		return nil, junction.Internal(fmt.Errorf("encode variables: %w", err))
	}
	return a.editDraft(ctx, p, id, "custom_connector.set_variables", map[string]any{"variables": len(fields)},
		func(root *yaml.Node) error {
			setMappingValue(root, "fields", &node)
			return nil
		})
}
