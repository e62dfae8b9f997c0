package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"junction"
	"junction/connector"
	"junction/engine"
	"junction/importer"
)

// Custom connectors are a tenant's own connector definitions, built in the
// Connector Builder: a draft people edit, check and test, and versions
// frozen from it that connections use exactly like built-in connectors.
// Changing them needs Connectors.Manage tenant-wide; reading them needs
// what reading the catalog needs.

// Draft statuses.
const (
	StatusDraft     = "draft"     // nothing published yet
	StatusPublished = "published" // at least one version published
)

// CustomConnectorView is what the API shows of a custom connector.
type CustomConnectorView struct {
	ID            string `json:"id"`
	Key           string `json:"key"`
	DisplayName   string `json:"display_name"`
	Status        string `json:"status"`
	LatestVersion string `json:"latest_version,omitempty"`
	SourceFormat  string `json:"source_format,omitempty"`
	// Definition is the draft, as JSON.
	Definition any                      `json:"definition"`
	Checklist  []importer.ChecklistItem `json:"checklist"`
	CreatedAt  time.Time                `json:"created_at"`
	UpdatedAt  time.Time                `json:"updated_at"`
}

// ImportView is the answer to an import: the new draft and what the import
// found in the file.
type ImportView struct {
	CustomConnectorView
	Operations int                 `json:"operations"`
	AuthTypes  []string            `json:"auth_types"`
	Resources  []importer.Resource `json:"resources"`
}

// CreateCustomConnectorInput starts a draft from a blank canvas.
type CreateCustomConnectorInput struct {
	Key         string
	DisplayName string
	BaseURL     string
}

// ImportInput starts a draft from an API description: Content, or a URL
// to fetch it from.
type ImportInput struct {
	Content     []byte
	URL         string
	Key         string
	DisplayName string
	Resources   []string
}

// UpdateCustomConnectorInput is PATCH: nil members stay as they are.
type UpdateCustomConnectorInput struct {
	DisplayName *string
	Key         *string
	BaseURL     *string
}

// PublishInput freezes the draft as Version; Force publishes even though
// connections use what the version removes.
type PublishInput struct {
	Version string
	Force   bool
}

// DraftTestInput is a test run of a draft: through a connection given
// inline (auth type and fields, literal secrets never stored) or an
// existing connection of the connector, one activity with its input.
type DraftTestInput struct {
	AuthType     string
	Fields       map[string]FieldInput
	ConnectionID string
	Activity     string
	Object       string
	Operation    string
	Input        map[string]any
}

// maxDescriptionFetch bounds a description fetched by URL, as the import
// endpoint bounds an uploaded one.
const maxDescriptionFetch = 32 << 20

func (a *App) needBuilder() error {
	if a.catalog == nil || a.engine == nil {
		return junction.Internal(errors.New("app: no connector catalog or engine configured"))
	}
	return nil
}

// ListCustomConnectors lists the tenant's custom connectors by key.
func (a *App) ListCustomConnectors(ctx context.Context, p *junction.Principal) (List[*CustomConnectorView], error) {
	cs, err := a.store.ListCustomConnectors(ctx, p.TenantID())
	if err != nil {
		return List[*CustomConnectorView]{}, err
	}
	out := make([]*CustomConnectorView, 0, len(cs))
	for _, c := range cs {
		v, err := a.customView(ctx, a.store, c)
		if err != nil {
			return List[*CustomConnectorView]{}, err
		}
		out = append(out, v)
	}
	return List[*CustomConnectorView]{Items: out}, nil
}

// GetCustomConnector returns one custom connector with its draft and
// checklist.
func (a *App) GetCustomConnector(ctx context.Context, p *junction.Principal, id string) (*CustomConnectorView, error) {
	c, err := a.customConnector(ctx, a.store, p, id)
	if err != nil {
		return nil, err
	}
	return a.customView(ctx, a.store, c)
}

// CustomConnectorDraft returns the draft's definition text (YAML).
func (a *App) CustomConnectorDraft(ctx context.Context, p *junction.Principal, id string) ([]byte, error) {
	c, err := a.customConnector(ctx, a.store, p, id)
	if err != nil {
		return nil, err
	}
	return []byte(c.Draft), nil
}

// CustomConnectorChecklist returns the draft's checklist.
func (a *App) CustomConnectorChecklist(ctx context.Context, p *junction.Principal, id string) ([]importer.ChecklistItem, error) {
	c, err := a.customConnector(ctx, a.store, p, id)
	if err != nil {
		return nil, err
	}
	return a.checklistOf(c), nil
}

// ListConnectorVersions lists the published versions, oldest first.
func (a *App) ListConnectorVersions(ctx context.Context, p *junction.Principal, id string) (List[*junction.ConnectorVersion], error) {
	c, err := a.customConnector(ctx, a.store, p, id)
	if err != nil {
		return List[*junction.ConnectorVersion]{}, err
	}
	vs, err := a.store.ListConnectorVersions(ctx, p.TenantID(), c.ID)
	if err != nil {
		return List[*junction.ConnectorVersion]{}, err
	}
	return List[*junction.ConnectorVersion]{Items: vs}, nil
}

// CreateCustomConnector starts a draft from a blank canvas.
func (a *App) CreateCustomConnector(ctx context.Context, p *junction.Principal, in CreateCustomConnectorInput) (*CustomConnectorView, error) {
	if err := requireTenant(p, junction.PermConnectorsManage); err != nil {
		return nil, err
	}
	name, err := cleanName("display_name", in.DisplayName)
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(in.Key)
	if key == "" {
		key = keyFromName(name)
	}
	base := strings.TrimSpace(in.BaseURL)
	if base == "" {
		base = "https://api.example.com"
	}
	def := connector.Definition{Key: key, DisplayName: name, Version: "0.1.0", BaseURL: base,
		Auth: []connector.Auth{{Type: connector.AuthNone}}}
	draft, err := yaml.Marshal(&def)
	if err != nil {
		return nil, junction.Internal(err)
	}
	c := &junction.CustomConnector{TenantID: p.TenantID(), Key: key, DisplayName: name, Draft: string(draft)}
	if err := a.createCustom(ctx, p, c, "custom_connector.create"); err != nil {
		return nil, err
	}
	return a.customView(ctx, a.store, c)
}

// ImportCustomConnector drafts a connector from an OpenAPI, Swagger or
// Postman description.
func (a *App) ImportCustomConnector(ctx context.Context, p *junction.Principal, in ImportInput) (*ImportView, error) {
	if err := requireTenant(p, junction.PermConnectorsManage); err != nil {
		return nil, err
	}
	if err := a.needBuilder(); err != nil {
		return nil, err
	}
	content := in.Content
	switch {
	case len(content) > 0 && in.URL != "":
		return nil, junction.Invalid("url", "give either the content or a URL, not both")
	case in.URL != "":
		var err error
		if content, err = a.engine.FetchDescription(ctx, in.URL, maxDescriptionFetch); err != nil {
			return nil, err
		}
	case len(content) == 0:
		return nil, junction.Invalid("content", "is required: the description's text, a URL, or a file upload")
	}
	res, err := importer.Import(content, importer.Options{Key: strings.TrimSpace(in.Key), DisplayName: in.DisplayName, Resources: in.Resources})
	if err != nil {
		return nil, err
	}
	draft, err := yaml.Marshal(res.Definition)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("encode imported draft: %w", err))
	}
	notes, err := json.Marshal(res.Checklist)
	if err != nil {
		return nil, junction.Internal(err)
	}
	name, err := cleanName("display_name", res.Definition.DisplayName)
	if err != nil {
		return nil, err
	}
	c := &junction.CustomConnector{TenantID: p.TenantID(), Key: res.Definition.Key, DisplayName: name,
		Draft: string(draft), SourceFormat: res.SourceFormat, ImportNotes: string(notes)}
	if err := a.createCustom(ctx, p, c, "custom_connector.import"); err != nil {
		return nil, err
	}
	v, err := a.customView(ctx, a.store, c)
	if err != nil {
		return nil, err
	}
	out := &ImportView{CustomConnectorView: *v, Operations: res.Operations, AuthTypes: []string{}, Resources: res.Resources}
	for _, t := range res.AuthTypes {
		out.AuthTypes = append(out.AuthTypes, string(t))
	}
	return out, nil
}

// createCustom stores a new draft and its audit entry, refusing a key that
// a built-in connector has.
func (a *App) createCustom(ctx context.Context, p *junction.Principal, c *junction.CustomConnector, action string) error {
	if err := a.checkCustomKey(ctx, p, c.Key); err != nil {
		return err
	}
	c.CreatedBy = p.User.ID
	c.CreatedAt = a.now()
	c.UpdatedAt = c.CreatedAt
	return a.tx(ctx, func(tx junction.Store) error {
		if err := tx.CreateCustomConnector(ctx, c); err != nil {
			return conflictName(err, "key", "a custom connector with key %q already exists", c.Key)
		}
		return a.audit(ctx, tx, p, action, "custom_connector", c.ID, "", map[string]any{
			"key": c.Key, "display_name": c.DisplayName, "source_format": c.SourceFormat})
	})
}

// checkCustomKey refuses a malformed key and one a built-in connector has:
// a connection's connector key must name one definition.
func (a *App) checkCustomKey(ctx context.Context, p *junction.Principal, key string) error {
	if !connectorKeyRE(key) {
		return junction.Invalid("key", "must be lower case letters, digits, '-' and '_', starting with a letter, at most 64 characters")
	}
	if d, err := a.catalog.Definition(ctx, p.TenantID(), key, ""); err == nil && !d.Custom {
		return &junction.Error{Code: junction.ECONFLICT, Field: "key",
			Message: fmt.Sprintf("%q is the key of a built-in connector; choose another", key)}
	}
	return nil
}

func connectorKeyRE(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func keyFromName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' && b.Len() > 0:
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	k := strings.TrimRight(b.String(), "-")
	if len(k) > 40 {
		k = strings.TrimRight(k[:40], "-")
	}
	if k == "" {
		k = "custom-connector"
	}
	return k
}

// ReplaceDraft is the activity designer's save: the whole definition,
// YAML or JSON, validated exactly as a --connectors-dir file is. Its key
// must stay the connector's; its display name becomes the connector's.
func (a *App) ReplaceDraft(ctx context.Context, p *junction.Principal, id string, text []byte) (*CustomConnectorView, error) {
	if err := requireTenant(p, junction.PermConnectorsManage); err != nil {
		return nil, err
	}
	draft, err := normalizeDraft(text)
	if err != nil {
		return nil, err
	}
	return a.saveDraft(ctx, p, id, "custom_connector.save", nil, func(*junction.CustomConnector) ([]byte, error) {
		return draft, nil
	})
}

// saveDraft replaces the draft with what change makes of it, validated as
// a --connectors-dir file is, in one transaction with its audit entry.
func (a *App) saveDraft(ctx context.Context, p *junction.Principal, id, action string, details map[string]any,
	change func(c *junction.CustomConnector) ([]byte, error)) (*CustomConnectorView, error) {
	if err := requireTenant(p, junction.PermConnectorsManage); err != nil {
		return nil, err
	}
	var out *junction.CustomConnector
	err := a.tx(ctx, func(tx junction.Store) error {
		c, err := a.customConnector(ctx, tx, p, id)
		if err != nil {
			return err
		}
		draft, err := change(c)
		if err != nil {
			return err
		}
		def, err := connector.Parse(draft)
		if err != nil {
			return definitionInvalid(err)
		}
		if def.Key != c.Key {
			return definitionInvalid(&connector.DefinitionError{Problems: []connector.Problem{{Path: "key",
				Message: fmt.Sprintf("must stay %q, the custom connector's key (PATCH the connector to change it)", c.Key)}}})
		}
		c.Draft, c.DisplayName, c.UpdatedAt = string(draft), def.DisplayName, a.now()
		if err := tx.UpdateCustomConnector(ctx, c); err != nil {
			return err
		}
		out = c
		audit := map[string]any{"key": c.Key}
		for k, v := range details {
			audit[k] = v
		}
		return a.audit(ctx, tx, p, action, "custom_connector", c.ID, "", audit)
	})
	if err != nil {
		return nil, err
	}
	return a.customView(ctx, a.store, out)
}

// UpdateCustomConnector changes the display name, key or base URL, in the
// draft as well. The key is fixed once a version is published, since
// connections name their connector by it.
func (a *App) UpdateCustomConnector(ctx context.Context, p *junction.Principal, id string, in UpdateCustomConnectorInput) (*CustomConnectorView, error) {
	if err := requireTenant(p, junction.PermConnectorsManage); err != nil {
		return nil, err
	}
	set := map[string]string{}
	if in.DisplayName != nil {
		name, err := cleanName("display_name", *in.DisplayName)
		if err != nil {
			return nil, err
		}
		set["display_name"] = name
	}
	if in.BaseURL != nil {
		set["base_url"] = strings.TrimSpace(*in.BaseURL)
	}
	if in.Key != nil {
		if err := a.checkCustomKey(ctx, p, *in.Key); err != nil {
			return nil, err
		}
		set["key"] = *in.Key
	}
	var out *junction.CustomConnector
	err := a.tx(ctx, func(tx junction.Store) error {
		c, err := a.customConnector(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if k, ok := set["key"]; ok && k != c.Key {
			vs, err := tx.ListConnectorVersions(ctx, c.TenantID, c.ID)
			if err != nil {
				return err
			}
			if len(vs) > 0 {
				return junction.Invalid("key", "cannot change once a version is published: connections name the connector by it")
			}
			c.Key = k
		}
		if n, ok := set["display_name"]; ok {
			c.DisplayName = n
		}
		draft, err := setDraftMembers([]byte(c.Draft), set)
		if err != nil {
			return err
		}
		c.Draft, c.UpdatedAt = string(draft), a.now()
		if err := tx.UpdateCustomConnector(ctx, c); err != nil {
			return conflictName(err, "key", "a custom connector with key %q already exists", c.Key)
		}
		out = c
		return a.audit(ctx, tx, p, "custom_connector.update", "custom_connector", c.ID, "", map[string]any{
			"key": c.Key, "changed": slices.Sorted(maps.Keys(set))})
	})
	if err != nil {
		return nil, err
	}
	return a.customView(ctx, a.store, out)
}

// DeleteCustomConnector removes a custom connector and its versions. While
// connections use it, it is refused with conflict naming them.
func (a *App) DeleteCustomConnector(ctx context.Context, p *junction.Principal, id string) error {
	if err := requireTenant(p, junction.PermConnectorsManage); err != nil {
		return err
	}
	var key string
	err := a.tx(ctx, func(tx junction.Store) error {
		c, err := a.customConnector(ctx, tx, p, id)
		if err != nil {
			return err
		}
		conns, err := connectorConnections(ctx, tx, c)
		if err != nil {
			return err
		}
		if len(conns) > 0 {
			names := make([]map[string]any, 0, min(len(conns), maxNamedInConflict))
			for _, cn := range conns[:min(len(conns), maxNamedInConflict)] {
				names = append(names, map[string]any{"id": cn.ID, "name": cn.Name, "connector_version": cn.ConnectorVersion})
			}
			return &junction.Error{Code: junction.ECONFLICT,
				Message: fmt.Sprintf("%d connections use custom connector %q; delete them or move them to another connector first", len(conns), c.Key),
				Details: map[string]any{"connections": names}}
		}
		if err := tx.DeleteCustomConnector(ctx, c.TenantID, c.ID); err != nil {
			return err
		}
		key = c.Key
		return a.audit(ctx, tx, p, "custom_connector.delete", "custom_connector", c.ID, "", map[string]any{"key": c.Key})
	})
	if err != nil {
		return err
	}
	if f, ok := a.catalog.(interface{ Forget(tenantID, key string) }); ok {
		f.Forget(p.TenantID(), key)
	}
	return nil
}

// Publish freezes the draft as in.Version. It is refused while the
// checklist holds an error, for a version not above the newest, and, unless
// in.Force, when the new version removes what connections use.
func (a *App) Publish(ctx context.Context, p *junction.Principal, id string, in PublishInput) (*junction.ConnectorVersion, error) {
	if err := requireTenant(p, junction.PermConnectorsManage); err != nil {
		return nil, err
	}
	if !connector.ValidVersion(in.Version) {
		return nil, junction.Invalid("version", "must be a semantic version such as 1.2.0")
	}
	var out *junction.ConnectorVersion
	err := a.tx(ctx, func(tx junction.Store) error {
		c, err := a.customConnector(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var blocking []string
		for _, it := range a.checklistOf(c) {
			if it.Status == importer.StatusError {
				blocking = append(blocking, it.Item+": "+it.Detail)
			}
		}
		if len(blocking) > 0 {
			return &junction.Error{Code: junction.EINVALID, Field: "checklist",
				Message: "the draft cannot be published while its checklist has errors: " + strings.Join(blocking, "; "),
				Details: map[string]any{"errors": blocking}}
		}
		def, err := connector.Parse([]byte(c.Draft))
		if err != nil {
			return definitionInvalid(err)
		}
		vs, err := tx.ListConnectorVersions(ctx, c.TenantID, c.ID)
		if err != nil {
			return err
		}
		if newest := connector.NewestVersion(vs); newest != "" && connector.CompareVersions(in.Version, newest) <= 0 {
			return junction.Invalid("version", "must be greater than %s, the newest published version", newest)
		}
		if !in.Force {
			if err := a.checkBreaking(ctx, tx, c, def); err != nil {
				return err
			}
		}
		v := &junction.ConnectorVersion{TenantID: c.TenantID, ConnectorID: c.ID, Version: in.Version,
			Definition: c.Draft, PublishedAt: a.now(), PublishedBy: p.User.ID}
		if err := tx.CreateConnectorVersion(ctx, v); err != nil {
			return err
		}
		out = v
		return a.audit(ctx, tx, p, "custom_connector.publish", "custom_connector", c.ID, "", map[string]any{
			"key": c.Key, "version": v.Version, "forced": in.Force})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkBreaking finds what def no longer offers that the connector's
// connections, or their triggers, use: the connection's auth type and
// fields, the activities, object operations and events of the version
// each connection is on. Conflict lists them by connection.
func (a *App) checkBreaking(ctx context.Context, tx junction.Store, c *junction.CustomConnector, def *connector.Definition) error {
	conns, err := connectorConnections(ctx, tx, c)
	if err != nil {
		return err
	}
	newOffer := offers(def)
	var broken []map[string]any
	for _, cn := range conns {
		old, err := a.catalog.Definition(ctx, c.TenantID, c.Key, cn.ConnectorVersion)
		if err != nil {
			continue // its version is gone: nothing more to break
		}
		var removed []string
		for what := range offers(old) {
			if !newOffer[what] {
				removed = append(removed, what)
			}
		}
		auth := def.AuthByID(cn.AuthType)
		if auth == nil {
			removed = append(removed, "auth type "+cn.AuthType)
		} else {
			form := map[string]bool{}
			for _, f := range def.ConnectionFields(auth.Key()) {
				form[f.Name] = true
			}
			for name := range cn.Fields {
				if !form[name] {
					removed = append(removed, "field "+name)
				}
			}
		}
		trs, err := listAll(func(page junction.Page) ([]*junction.Trigger, error) {
			return tx.ListTriggers(ctx, c.TenantID, junction.TriggerFilter{ConnectionID: cn.ID, Page: page})
		}, func(t *junction.Trigger) string { return t.ID })
		if err != nil {
			return err
		}
		for _, t := range trs {
			if def.Event(t.Object, t.Event) == nil {
				removed = append(removed, fmt.Sprintf("event %s.%s (trigger %s)", t.Object, t.Event, t.ID))
			}
		}
		if len(removed) > 0 {
			slices.Sort(removed)
			broken = append(broken, map[string]any{"id": cn.ID, "name": cn.Name, "connector_version": cn.ConnectorVersion, "removed": removed})
		}
	}
	if len(broken) == 0 {
		return nil
	}
	return &junction.Error{Code: junction.ECONFLICT, Field: "version",
		Message: fmt.Sprintf("this version removes what %d connections use; publish with \"force\": true to publish anyway", len(broken)),
		Details: map[string]any{"connections": broken}}
}

// offers lists what a definition offers that a connection may rely on.
func offers(d *connector.Definition) map[string]bool {
	out := map[string]bool{}
	for _, act := range d.Activities {
		out["activity "+act.Name] = true
	}
	for _, o := range d.Objects {
		for _, op := range []string{"list", "get", "create", "update", "delete"} {
			if o.Operations.ByName(op) != nil {
				out["operation "+o.Name+"."+op] = true
			}
		}
		for _, ev := range o.Events {
			out["event "+o.Name+"."+ev.Name] = true
		}
	}
	return out
}

// TestDraft runs one activity of the draft against the real API.
func (a *App) TestDraft(ctx context.Context, p *junction.Principal, id string, in DraftTestInput) (*engine.Trial, error) {
	if err := requireTenant(p, junction.PermConnectorsManage); err != nil {
		return nil, err
	}
	if err := a.needBuilder(); err != nil {
		return nil, err
	}
	c, err := a.customConnector(ctx, a.store, p, id)
	if err != nil {
		return nil, err
	}
	def, err := connector.Parse([]byte(c.Draft))
	if err != nil {
		return nil, definitionInvalid(err)
	}
	var conn *junction.Connection
	var literals map[string]junction.Secret
	switch {
	case in.ConnectionID != "" && (in.AuthType != "" || in.Fields != nil):
		return nil, junction.Invalid("connection_id", "give either connection_id or connection, not both")
	case in.ConnectionID != "":
		if conn, err = a.connectionIn(ctx, a.store, p, in.ConnectionID, junction.PermConnectionsExecute, false); err != nil {
			return nil, fieldNotFound(err, "connection_id")
		}
		if conn.Connector != c.Key {
			return nil, junction.Invalid("connection_id", "the connection uses connector %q, not %q", conn.Connector, c.Key)
		}
	default:
		auth, err := authScheme(def, in.AuthType)
		if err != nil {
			return nil, err
		}
		fc, err := a.checkFields(ctx, a.store, p, def, auth, in.Fields, nil)
		if err != nil {
			return nil, err
		}
		conn = &junction.Connection{ID: junction.NewID(), TenantID: p.TenantID(), Connector: c.Key, Name: "test run of " + c.Key,
			AuthType: auth.Key(), Fields: fc.fields, Status: junction.ConnectionUntested}
		literals = fc.literals
	}
	return a.engine.TryDraft(ctx, def, conn, literals, engine.ExecuteRequest{Caller: p.User.ID, Activity: in.Activity,
		Object: in.Object, Operation: in.Operation, Input: in.Input})
}

// customConnector reads one custom connector of the caller's tenant.
func (a *App) customConnector(ctx context.Context, st junction.Store, p *junction.Principal, id string) (*junction.CustomConnector, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("custom connector")
	}
	return st.GetCustomConnector(ctx, p.TenantID(), id)
}

func (a *App) customView(ctx context.Context, st junction.Store, c *junction.CustomConnector) (*CustomConnectorView, error) {
	vs, err := st.ListConnectorVersions(ctx, c.TenantID, c.ID)
	if err != nil {
		return nil, err
	}
	v := &CustomConnectorView{ID: c.ID, Key: c.Key, DisplayName: c.DisplayName, Status: StatusDraft,
		SourceFormat: c.SourceFormat, Checklist: a.checklistOf(c), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if newest := connector.NewestVersion(vs); newest != "" {
		v.Status, v.LatestVersion = StatusPublished, newest
	}
	if doc := a.draftDocs.get(textKey(c.Draft), func() json.RawMessage { return draftJSON(c.Draft) }); doc != nil {
		v.Definition = slices.Clone(doc)
	}
	return v, nil
}

// draftJSON is a draft's YAML as JSON, or nil when it does not read as
// YAML (its checklist says why).
func draftJSON(draft string) json.RawMessage {
	var doc any
	if err := yaml.Unmarshal([]byte(draft), &doc); err != nil {
		return nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil
	}
	return b
}

func (a *App) checklistOf(c *junction.CustomConnector) []importer.ChecklistItem {
	return slices.Clone(a.checklists.get(textKey(c.Draft, c.ImportNotes), func() []importer.ChecklistItem {
		var notes []importer.ChecklistItem
		if c.ImportNotes != "" {
			_ = json.Unmarshal([]byte(c.ImportNotes), &notes)
		}
		return importer.Review([]byte(c.Draft), notes)
	}))
}

// normalizeDraft keeps a YAML definition as written (comments included) and
// turns a JSON one into YAML, so the definition file export gives back is
// the one people edit.
func normalizeDraft(text []byte) ([]byte, error) {
	t := bytes.TrimSpace(text)
	if len(t) == 0 {
		return nil, junction.Invalid("definition", "is empty")
	}
	if t[0] != '{' {
		return text, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(t, &doc); err != nil {
		return nil, definitionInvalid(&connector.DefinitionError{Problems: []connector.Problem{{Message: "not valid JSON: " + err.Error()}}})
	}
	return yaml.Marshal(&doc)
}

// setDraftMembers sets top-level scalar members of a YAML draft, keeping
// the rest as written.
func setDraftMembers(draft []byte, set map[string]string) ([]byte, error) {
	if len(set) == 0 {
		return draft, nil
	}
	doc, m, err := draftRoot(draft)
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		setMappingValue(m, k, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: set[k]})
	}
	return yaml.Marshal(doc)
}

// definitionInvalid turns the validator's problems into validation_failed,
// each problem with its path inside the definition, as --connectors-dir
// files report them.
func definitionInvalid(err error) error {
	var de *connector.DefinitionError
	if !errors.As(err, &de) {
		return err
	}
	probs := make([]map[string]string, 0, len(de.Problems))
	msgs := make([]string, 0, len(de.Problems))
	for _, pr := range de.Problems {
		probs = append(probs, map[string]string{"path": pr.Path, "message": pr.Message})
		msgs = append(msgs, pr.String())
	}
	e := &junction.Error{Code: junction.EINVALID, Message: "invalid connector definition: " + strings.Join(msgs, "; "),
		Details: map[string]any{"problems": probs}}
	if len(de.Problems) > 0 && de.Problems[0].Path != "" {
		e.Field = "definition." + de.Problems[0].Path
	}
	return e
}

// maxNamedInConflict bounds how many connections a refused delete names;
// its message still counts them all.
const maxNamedInConflict = 100

// connectorConnections is every connection of a custom connector, every
// version: a delete or a breaking change must see all of them, not a page.
func connectorConnections(ctx context.Context, tx junction.Store, c *junction.CustomConnector) ([]*junction.Connection, error) {
	return listAll(func(page junction.Page) ([]*junction.Connection, error) {
		return tx.ListConnections(ctx, c.TenantID, junction.ConnectionFilter{Connector: c.Key, Page: page})
	}, func(cn *junction.Connection) string { return cn.ID })
}

// listAll reads every page of a list, for the checks that must see all of
// it rather than the first page.
func listAll[T any](list func(junction.Page) ([]T, error), id func(T) string) ([]T, error) {
	page := junction.Page{Limit: junction.MaxPageSize}
	var all []T
	for {
		items, err := list(page)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if len(items) < page.Limit {
			return all, nil
		}
		page.After = id(items[len(items)-1])
	}
}
