package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"junction"
	"junction/connector"
	"junction/engine"
)

// Connections live in folders and follow the folder rule, like assets. A
// connection's secret fields hold either a literal, sealed with the
// connection's other literals, or a reference to a secret or credential
// asset, resolved by the engine at run time. Reads never carry a secret:
// a literal shows as {"set": true}, a reference as the reference.

// PollIntervals are the minutes a connection's triggers may poll at.
var PollIntervals = []int{1, 5, 10, 15, 30, 60}

// DefaultPollInterval is the poll interval of a connection that names none.
const DefaultPollInterval = 5

// ReasonAuthorizationPending is the status reason of an OAuth 2.0
// authorization-code connection whose consent has not been given yet.
const ReasonAuthorizationPending = "authorization pending"

// maxFieldTextLen bounds a plain connection field value.
const maxFieldTextLen = 4096

// AssetRef points a secret field at an asset. Part picks the username or
// the password of a credential asset.
type AssetRef struct {
	AssetID string `json:"asset_id"`
	Part    string `json:"part,omitempty"`
}

// FieldInput is one connection field as a caller gives it: exactly one of
// Literal (a JSON string), Value (a JSON boolean or number, as bool or
// json.Number), Ref (an asset reference) or Clear (JSON null, which removes
// an optional field).
type FieldInput struct {
	// Literal is typed Secret because secret fields take their literal
	// value this way; plain fields are stored as given once validated.
	Literal *junction.Secret
	Value   any
	Ref     *AssetRef
	Clear   bool
}

// CreateConnectionInput describes a new connection.
type CreateConnectionInput struct {
	FolderID  string
	Connector string
	// ConnectorVersion picks a published version of a custom connector;
	// the newest when empty. Built-in connectors take none.
	ConnectorVersion string
	Name             string
	// AuthType is the ID of one of the connector's auth schemes; it may be
	// left out when the connector has only one.
	AuthType  string
	Fields    map[string]FieldInput
	IsDefault bool
	// PollIntervalMinutes is one of PollIntervals; zero means
	// DefaultPollInterval.
	PollIntervalMinutes int
	ProxyURL            string
	// SkipTest saves the connection without running the connector's test
	// request first.
	SkipTest bool
}

// UpdateConnectionInput changes a connection. Nil fields stay as they are;
// in Fields, a field left out keeps its value (a secret field its sealed
// value or reference).
type UpdateConnectionInput struct {
	Name *string
	// AuthType may be given only unchanged: the scheme is fixed at
	// creation, since the fields and tokens belong to it.
	AuthType            *string
	Fields              map[string]FieldInput
	IsDefault           *bool
	PollIntervalMinutes *int
	ProxyURL            *string
	// Status switches a connection between connected and disabled.
	Status *junction.ConnectionStatus
	// ConnectorVersion moves a connection of a custom connector to another
	// published version.
	ConnectorVersion *string
	// DebugUntil switches debug logging on until that time, at most
	// junction.MaxDebugWindow ahead; the zero time or a past one switches
	// it off. Nil leaves it as it is.
	DebugUntil *time.Time
}

// ConnectionQuery narrows ListConnections.
type ConnectionQuery struct {
	// FolderID lists the connections of that folder only, or, with
	// Subfolders, of that folder and every folder below it.
	FolderID     string
	Subfolders   bool
	Connector    string
	Status       junction.ConnectionStatus
	NameContains string
	junction.Page
}

// ConnectionTestResult is the answer of a passed test. A failed test is an
// error.
type ConnectionTestResult struct {
	OK     bool                      `json:"ok"`
	Status junction.ConnectionStatus `json:"status"`
	// Proved says what the test proved: "credentials", "reachability"
	// (the API answered over TLS; the credentials were not checked) or
	// "nothing" (no test request: the credentials resolve, nothing was
	// sent). Message says it for a person.
	Proved  engine.Proof `json:"proved"`
	Message string       `json:"message"`
	// Warnings point out what works but deserves a look.
	Warnings []ConnectionWarning `json:"warnings,omitempty"`
}

// ConnectionView is a connection as the API shows it: the stored
// connection with the warnings about its configuration.
type ConnectionView struct {
	*junction.Connection
	Warnings []ConnectionWarning `json:"warnings,omitempty"`
}

// ConnectionWarning points out something about a connection that works but
// deserves a look, so the web UI and junction doctor can show it.
type ConnectionWarning struct {
	// Code is stable: asset_unrestricted.
	Code string `json:"code"`
	// Field is the connection field concerned, as "fields.<name>".
	Field   string `json:"field"`
	AssetID string `json:"asset_id,omitempty"`
	Message string `json:"message"`
}

// WarnAssetUnrestricted is the warning about a secret field whose asset has
// no allowed hosts: its value goes to whatever host the connection names,
// so whoever may edit the connection decides where it goes.
const WarnAssetUnrestricted = "asset_unrestricted"

func (a *App) needEngine() error {
	if a.catalog == nil || a.engine == nil {
		return junction.Internal(errors.New("app: no connector catalog or engine configured"))
	}
	return nil
}

// connectionIn loads a connection for the caller with the folder rule
// applied. With lock, it holds the connection's row lock until st's
// transaction ends (st must then be a transaction).
func (a *App) connectionIn(ctx context.Context, st junction.Store, p *junction.Principal, id string, perm junction.Permission, lock bool) (*junction.Connection, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("connection")
	}
	var c *junction.Connection
	var err error
	if lock {
		c, err = st.LockConnection(ctx, p.TenantID(), id)
		if err == nil {
			_, err = a.folderFor(ctx, st, p, c.FolderID, perm)
		}
	} else {
		// Every execution comes through here: one query reads the
		// connection with the folder its permission depends on.
		var f *junction.Folder
		c, f, err = st.GetConnectionWithFolder(ctx, p.TenantID(), id)
		if err == nil {
			err = checkFolder(p, f, perm)
		}
	}
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil, junction.NotFound("connection")
	} else if err != nil {
		return nil, err
	}
	return c, nil
}

// definitionOf returns the definition and auth scheme a connection uses.
func (a *App) definitionOf(ctx context.Context, c *junction.Connection) (*connector.Definition, *connector.Auth, error) {
	def, err := a.catalog.Definition(ctx, c.TenantID, c.Connector, c.ConnectorVersion)
	if err != nil {
		return nil, nil, junction.Invalid("connector", "connector %q is no longer in the catalog", c.Connector)
	}
	auth := def.AuthByID(c.AuthType)
	if auth == nil {
		return nil, nil, junction.Invalid("auth_type", "connector %s no longer has auth type %q", def.Key, c.AuthType)
	}
	return def, auth, nil
}

// authScheme picks the scheme a new connection asks for.
func authScheme(def *connector.Definition, id string) (*connector.Auth, error) {
	if id == "" {
		if len(def.Auth) == 1 {
			return &def.Auth[0], nil
		}
		return nil, junction.Invalid("auth_type", "is required: connector %s offers %s", def.Key, authList(def))
	}
	if auth := def.AuthByID(id); auth != nil {
		return auth, nil
	}
	return nil, junction.Invalid("auth_type", "connector %s has no auth type %q; it offers %s", def.Key, id, authList(def))
}

func authList(def *connector.Definition) string {
	ids := make([]string, len(def.Auth))
	for i := range def.Auth {
		ids[i] = def.Auth[i].Key()
	}
	return strings.Join(ids, ", ")
}

func checkPollInterval(n int) error {
	if !slices.Contains(PollIntervals, n) {
		return junction.Invalid("poll_interval_minutes", "must be one of 1, 5, 10, 15, 30 or 60, not %d", n)
	}
	return nil
}

// connectionProxyURL checks a connection's forward proxy. A proxy password
// is refused: the URL is shown to everyone who may view the connection.
func connectionProxyURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
		return "", junction.Invalid("proxy_url", "must be an absolute http, https or socks5 URL such as http://proxy.example.com:3128")
	}
	if u.User != nil {
		return "", junction.Invalid("proxy_url", "must not carry a user name or password: it is shown to everyone who may view the connection")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		return "", junction.Invalid("proxy_url", "must be a proxy address without a path or query")
	}
	return s, nil
}

// fieldCheck is the outcome of checking a create's or update's fields.
type fieldCheck struct {
	fields map[string]junction.FieldValue
	// literals are the new literal secret values given; removed names the
	// literal secrets that are no longer literals.
	literals map[string]junction.Secret
	removed  []string
	// changed names every field given.
	changed []string
}

// secretsChanged reports whether the sealed literals must be rewritten.
func (fc *fieldCheck) secretsChanged() bool { return len(fc.literals) > 0 || len(fc.removed) > 0 }

// checkFields checks the given fields against the connector's form for the
// scheme and merges them over cur (nil on create). st is the store assets
// are read from.
func (a *App) checkFields(ctx context.Context, st junction.Store, p *junction.Principal, def *connector.Definition, auth *connector.Auth, given map[string]FieldInput, cur map[string]junction.FieldValue) (*fieldCheck, error) {
	form := def.ConnectionFields(auth.Key())
	byName := make(map[string]connector.Field, len(form))
	for _, f := range form {
		byName[f.Name] = f
	}
	fc := &fieldCheck{fields: map[string]junction.FieldValue{}, literals: map[string]junction.Secret{}}
	for name, v := range cur {
		if _, ok := byName[name]; ok {
			fc.fields[name] = v
		}
	}
	for _, name := range slices.Sorted(maps.Keys(given)) {
		in := given[name]
		path := "fields." + name
		f, ok := byName[name]
		if !ok {
			return nil, junction.Invalid(path, "is not a field of connector %s with auth type %s", def.Key, auth.Key())
		}
		fc.changed = append(fc.changed, name)
		wasLiteral := cur[name].Set
		if in.Clear {
			delete(fc.fields, name)
			if wasLiteral {
				fc.removed = append(fc.removed, name)
			}
			continue
		}
		if f.Type == connector.FieldSecret {
			switch {
			case in.Ref != nil:
				if err := a.checkAssetRef(ctx, st, p, path, *in.Ref); err != nil {
					return nil, err
				}
				fc.fields[name] = junction.FieldValue{AssetID: in.Ref.AssetID, Part: in.Ref.Part}
				if wasLiteral {
					fc.removed = append(fc.removed, name)
				}
			case in.Literal != nil:
				if err := checkSecretValue(path, *in.Literal); err != nil {
					return nil, err
				}
				fc.fields[name] = junction.FieldValue{Set: true}
				fc.literals[name] = *in.Literal
			default:
				return nil, junction.Invalid(path, `is a secret field: give a string or an asset reference {"asset_id": "..."}`)
			}
			continue
		}
		if in.Ref != nil {
			return nil, junction.Invalid(path, "takes a plain value, not an asset reference: only secret fields refer to assets")
		}
		v, err := plainField(path, f, in)
		if err != nil {
			return nil, err
		}
		fc.fields[name] = junction.FieldValue{Value: v}
	}
	for _, f := range form {
		if _, ok := fc.fields[f.Name]; ok || f.Default == "" {
			continue
		}
		v, err := plainField("fields."+f.Name, f, FieldInput{Literal: ptr(junction.NewSecret(f.Default))})
		if err != nil {
			return nil, junction.Internal(fmt.Errorf("default of field %q of connector %s: %w", f.Name, def.Key, err))
		}
		fc.fields[f.Name] = junction.FieldValue{Value: v}
	}
	for _, f := range form {
		if f.Required && !fieldSet(fc.fields[f.Name]) {
			return nil, junction.Invalid("fields."+f.Name, "is required by connector %s with auth type %s", def.Key, auth.Key())
		}
	}
	return fc, nil
}

func ptr[T any](v T) *T { return &v }

func fieldSet(v junction.FieldValue) bool {
	switch {
	case v.Set, v.AssetID != "":
		return true
	case v.Value == nil:
		return false
	}
	s, ok := v.Value.(string)
	return !ok || s != ""
}

// plainField checks the value of a non-secret field against its type and
// returns what is stored: a string, a bool or a number. Messages may quote
// the value: these fields are not secret.
func plainField(path string, f connector.Field, in FieldInput) (any, error) {
	var text string
	hasText := in.Literal != nil
	if hasText {
		text = in.Literal.Reveal()
	}
	switch f.Type {
	case connector.FieldBoolean:
		if b, ok := in.Value.(bool); ok {
			return b, nil
		}
		if hasText {
			if b, err := strconv.ParseBool(strings.TrimSpace(text)); err == nil {
				return b, nil
			}
		}
		return nil, junction.Invalid(path, "must be true or false")
	case connector.FieldNumber:
		var n json.Number
		switch v := in.Value.(type) {
		case json.Number:
			n = v
		default:
			if !hasText {
				return nil, junction.Invalid(path, "must be a number")
			}
			n = json.Number(strings.TrimSpace(text))
		}
		x, err := n.Float64()
		if err != nil {
			return nil, junction.Invalid(path, "must be a number")
		}
		return x, nil
	}
	if !hasText {
		return nil, junction.Invalid(path, "must be a string")
	}
	if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
		return nil, junction.Invalid(path, "must be valid UTF-8 text")
	}
	if len(text) > maxFieldTextLen {
		return nil, junction.Invalid(path, "must be at most %d bytes", maxFieldTextLen)
	}
	if f.Type == connector.FieldSelect {
		var opts []string
		for _, o := range f.Options {
			if o.Value == text {
				return text, nil
			}
			opts = append(opts, o.Value)
		}
		return nil, junction.Invalid(path, "must be one of %s, not %q", strings.Join(opts, ", "), text)
	}
	return text, nil
}

// checkAssetRef checks that a secret field may use the asset: it exists,
// the caller holds Assets.View on its folder (which may differ from the
// connection's), it holds a secret, and the part fits its type. An asset
// the caller may not view gives the same answer as a missing one.
func (a *App) checkAssetRef(ctx context.Context, st junction.Store, p *junction.Principal, path string, ref AssetRef) error {
	as, err := a.assetFor(ctx, st, p, ref.AssetID, junction.PermAssetsView)
	if err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) || junction.IsCode(err, junction.EPERMISSIONDENIED) {
			return junction.Invalid(path, "there is no asset %s that you may view", quoteID(ref.AssetID))
		}
		return err
	}
	switch {
	case !as.Type.Sensitive():
		return junction.Invalid(path, "asset %q is a %s asset; secret fields take secret or credential assets", as.Name, as.Type)
	case as.Type == junction.AssetCredential && ref.Part == "":
		return junction.Invalid(path, `asset %q is a credential: give "part": "username" or "password"`, as.Name)
	case as.Type == junction.AssetCredential && ref.Part != "username" && ref.Part != "password":
		return junction.Invalid(path, "part must be username or password, not %q", ref.Part)
	case as.Type == junction.AssetSecret && ref.Part != "":
		return junction.Invalid(path, "asset %q is a secret with one value; part applies to credential assets only", as.Name)
	}
	return nil
}

// quoteID quotes an ID the caller gave, cut short: it is theirs, but need
// not be echoed whole.
func quoteID(id string) string {
	if len(id) > 40 || !utf8.ValidString(id) {
		return "given"
	}
	return strconv.Quote(id)
}

// ConnectionViews adds to each connection the warnings about its
// configuration. The connections were read for the caller already; the
// assets they refer to are read here, once each.
func (a *App) ConnectionViews(ctx context.Context, cs ...*junction.Connection) ([]*ConnectionView, error) {
	assets := map[string]*junction.Asset{}
	out := make([]*ConnectionView, len(cs))
	for i, c := range cs {
		ws, err := a.connectionWarnings(ctx, c, assets)
		if err != nil {
			return nil, err
		}
		out[i] = &ConnectionView{Connection: c, Warnings: ws}
	}
	return out, nil
}

// connectionWarnings lists what deserves a look in c: every field sent
// out whose value comes from a secret asset without allowed hosts, of its
// own or of its store. assets
// memoises the assets read (nil for one that is gone).
func (a *App) connectionWarnings(ctx context.Context, c *junction.Connection, assets map[string]*junction.Asset) ([]ConnectionWarning, error) {
	var sent []string
	var out []ConnectionWarning
	for i, name := range slices.Sorted(maps.Keys(c.Fields)) {
		fv := c.Fields[name]
		if i == 0 {
			_, auth, err := a.definitionOf(ctx, c)
			if err != nil {
				return nil, nil // nothing is sent through it any more
			}
			sent = sentFields(auth)
		}
		if fv.AssetID == "" || !slices.Contains(sent, name) {
			continue
		}
		as, seen := assets[fv.AssetID]
		if !seen {
			got, store, err := a.store.GetAssetWithStore(ctx, c.TenantID, fv.AssetID)
			if err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
				return nil, err
			}
			if got != nil && len(got.AllowedHosts) == 0 && store != nil && len(store.AllowedHosts) > 0 {
				// Its store confines it: as restricted as a list of its own.
				confined := *got
				confined.AllowedHosts = store.AllowedHosts
				got = &confined
			}
			as = got
			assets[fv.AssetID] = as
		}
		if as == nil || !as.Type.Sensitive() || len(as.AllowedHosts) > 0 {
			continue
		}
		out = append(out, ConnectionWarning{
			Code: WarnAssetUnrestricted, Field: "fields." + name, AssetID: as.ID,
			Message: fmt.Sprintf("asset %q has no allowed hosts: its value goes wherever this connection points, "+
				"and whoever may edit the connection decides where that is; give the asset allowed hosts", as.Name),
		})
	}
	return out, nil
}

// sealLiterals seals a connection's literal secrets under its sealed ID,
// giving it one when it has none.
func (a *App) sealLiterals(c *junction.Connection, literals map[string]junction.Secret) (*junction.SealedValue, error) {
	if a.keyring == nil {
		return nil, junction.Internal(errors.New("app: no keyring configured"))
	}
	if c.SecretsSealedID == "" {
		c.SecretsSealedID = junction.NewID()
	}
	return engine.SealSecrets(a.keyring, c.TenantID, c.SecretsSealedID, literals)
}

// CreateConnection creates a connection. Needs Connections.Create on the
// folder, and Assets.View on the folder of every asset it refers to.
//
// Unless SkipTest, the connector's test request runs first with the new
// credentials and a failure rejects the creation with the engine's error
// (connection_auth_failed, provider_error, a credential store's error...):
// nothing is kept. OAuth 2.0 authorization-code connections are not tested:
// they are created disconnected, "authorization pending", until the
// consent flow (AuthorizeConnection) completes.
func (a *App) CreateConnection(ctx context.Context, p *junction.Principal, in CreateConnectionInput) (*junction.Connection, error) {
	if err := a.needEngine(); err != nil {
		return nil, err
	}
	if in.FolderID == "" {
		return nil, junction.Invalid("folder_id", "is required")
	}
	if in.Connector == "" {
		return nil, junction.Invalid("connector", "is required (see GET /api/v1/connectors)")
	}
	name, err := cleanName("name", in.Name)
	if err != nil {
		return nil, err
	}
	def, err := a.catalog.Definition(ctx, p.TenantID(), in.Connector, in.ConnectorVersion)
	if err != nil {
		if in.ConnectorVersion != "" {
			return nil, junction.Invalid("connector_version", "connector %q has no published version %q", in.Connector, in.ConnectorVersion)
		}
		return nil, junction.Invalid("connector", "there is no connector %q (see GET /api/v1/connectors)", in.Connector)
	}
	version := ""
	if def.Custom {
		version = def.Version
	} else if in.ConnectorVersion != "" {
		return nil, junction.Invalid("connector_version", "connector %q is built in and has no versions to choose from", in.Connector)
	}
	auth, err := authScheme(def, in.AuthType)
	if err != nil {
		return nil, err
	}
	poll := in.PollIntervalMinutes
	if poll == 0 {
		poll = DefaultPollInterval
	}
	if err := checkPollInterval(poll); err != nil {
		return nil, err
	}
	proxy, err := connectionProxyURL(in.ProxyURL)
	if err != nil {
		return nil, err
	}
	// The folder first: someone who may not create here learns nothing
	// about the assets named.
	if _, err := a.folderFor(ctx, a.store, p, in.FolderID, junction.PermConnectionsCreate); err != nil {
		return nil, fieldNotFound(err, "folder_id")
	}
	fc, err := a.checkFields(ctx, a.store, p, def, auth, in.Fields, nil)
	if err != nil {
		return nil, err
	}
	now := a.now()
	c := &junction.Connection{
		ID: junction.NewID(), TenantID: p.TenantID(), FolderID: in.FolderID, Connector: def.Key, ConnectorVersion: version, Name: name,
		AuthType: auth.Key(), Fields: fc.fields, IsDefault: in.IsDefault, Status: junction.ConnectionUntested,
		PollIntervalMinutes: poll, ProxyURL: proxy, CreatedBy: p.User.ID, CreatedAt: now, UpdatedAt: now,
	}
	pending := auth.Type == connector.AuthOAuth2AuthorizationCode
	if pending {
		c.Status, c.StatusReason = junction.ConnectionDisconnected, ReasonAuthorizationPending
	}

	// The test runs with the literal secrets in memory, before anything is
	// written; the secrets are then sealed and stored in the transaction
	// that creates the connection, so a failed test, a failed creation or
	// a crash leaves no sealed value that nothing refers to.
	tested := !pending && !in.SkipTest
	if tested {
		proof, err := a.engine.TestWith(ctx, c, fc.literals)
		if err != nil {
			a.log(ctx).LogAttrs(ctx, slog.LevelInfo, "connection test failed; not created",
				slog.String("connector", c.Connector), slog.String("code", junction.ErrorCode(err)))
			return nil, err
		}
		if proof == engine.ProvedCredentials {
			c.Status = junction.ConnectionConnected
		}
	}
	err = a.tx(ctx, func(tx junction.Store) error {
		if _, err := a.folderFor(ctx, tx, p, c.FolderID, junction.PermConnectionsCreate); err != nil {
			return fieldNotFound(err, "folder_id")
		}
		if err := checkCountQuota(ctx, tx, c.TenantID, "connections"); err != nil {
			return err
		}
		if len(fc.literals) > 0 {
			sealed, err := a.sealLiterals(c, fc.literals)
			if err != nil {
				return err
			}
			if err := tx.PutSealed(ctx, sealed); err != nil {
				return err
			}
		}
		if err := tx.CreateConnection(ctx, c); err != nil {
			return connectionConflict(err, c.Name)
		}
		return a.audit(ctx, tx, p, "connection.create", "connection", c.ID, c.FolderID, map[string]any{
			"name": c.Name, "connector": c.Connector, "auth_type": c.AuthType, "fields": fieldSources(c.Fields),
			"is_default": c.IsDefault, "tested": tested, "status": string(c.Status),
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func connectionConflict(err error, name string) error {
	var e *junction.Error
	if junction.IsCode(err, junction.ECONFLICT) && (!asError(err, &e) || e.Field != "is_default") {
		return &junction.Error{Code: junction.ECONFLICT, Field: "name", Err: err,
			Message: fmt.Sprintf("a connection named %q already exists in this folder", name)}
	}
	return fieldNotFound(err, "folder_id")
}

// fieldSources describes, for audit, where each field's value comes from,
// never the value of a secret.
func fieldSources(fields map[string]junction.FieldValue) map[string]any {
	out := make(map[string]any, len(fields))
	for name, v := range fields {
		switch {
		case v.AssetID != "":
			ref := map[string]any{"asset_id": v.AssetID}
			if v.Part != "" {
				ref["part"] = v.Part
			}
			out[name] = ref
		case v.Set:
			out[name] = "secret"
		default:
			out[name] = "value"
		}
	}
	return out
}

// GetConnection returns a connection, without secret values. Needs
// Connections.View on its folder.
func (a *App) GetConnection(ctx context.Context, p *junction.Principal, id string) (*junction.Connection, error) {
	return a.connectionIn(ctx, a.store, p, id, junction.PermConnectionsView, false)
}

func validConnectionStatus(s junction.ConnectionStatus) bool {
	switch s {
	case junction.ConnectionUntested, junction.ConnectionConnected, junction.ConnectionDisconnected, junction.ConnectionDisabled:
		return true
	}
	return false
}

// ListConnections lists the connections in folders where the caller holds
// Connections.View.
func (a *App) ListConnections(ctx context.Context, p *junction.Principal, q ConnectionQuery) (List[*junction.Connection], error) {
	var empty List[*junction.Connection]
	if err := checkCursor(q.Page); err != nil {
		return empty, err
	}
	if q.Status != "" && !validConnectionStatus(q.Status) {
		return empty, junction.Invalid("status", "must be untested, connected, disconnected or disabled")
	}
	filter := junction.ConnectionFilter{Connector: q.Connector, Status: q.Status, NameContains: q.NameContains, Page: q.Page.Normalize()}
	ids, all, err := a.folderScope(ctx, p, junction.PermConnectionsView, q.FolderID, q.Subfolders)
	if err != nil {
		return empty, err
	}
	if !all {
		if len(ids) == 0 {
			return newList([]*junction.Connection{}, q.Page, nil), nil
		}
		filter.FolderIDs = ids
	}
	list, err := a.store.ListConnections(ctx, p.TenantID(), filter)
	if err != nil {
		return empty, err
	}
	return newList(list, q.Page, func(c *junction.Connection) string { return c.ID }), nil
}

// folderScope returns the folders a list may show for perm: the given
// folder (and, with subfolders, those below it) when the caller holds perm
// there; else every folder where the caller holds perm through a folder
// assignment, with their subfolders. all reports that perm is held
// tenant-wide and no folder was given: no folder filter applies.
func (a *App) folderScope(ctx context.Context, p *junction.Principal, perm junction.Permission, folderID string, subfolders bool) (ids []string, all bool, err error) {
	if folderID != "" {
		f, err := a.folderFor(ctx, a.store, p, folderID, perm)
		if err != nil {
			return nil, false, fieldNotFound(err, "folder_id")
		}
		if !subfolders {
			return []string{f.ID}, false, nil
		}
		ids, err := a.foldersWithin(ctx, p, []string{f.ID})
		return ids, false, err
	}
	if p.Access.CanTenant(perm) {
		return nil, true, nil
	}
	var roots []string
	for id, perms := range p.Access.Folders {
		if perms[perm] {
			roots = append(roots, id)
		}
	}
	if len(roots) == 0 {
		return nil, false, nil
	}
	ids, err = a.foldersWithin(ctx, p, roots)
	return ids, false, err
}

// UpdateConnection changes a connection. Needs Connections.Edit on its
// folder, and Assets.View on the folder of every asset it newly refers to.
// The change is made on the connection as it is under its row lock, so it
// never undoes what the engine recorded meanwhile (tokens, failures). New
// literal secrets are sealed in the same transaction as the change and its
// audit entry, and an update is not tested, so nothing is written ahead of
// it: a failed update or a crash leaves the previous secrets in place.
func (a *App) UpdateConnection(ctx context.Context, p *junction.Principal, id string, in UpdateConnectionInput) (*junction.Connection, error) {
	if err := a.needEngine(); err != nil {
		return nil, err
	}
	var name, proxy string
	var err error
	if in.Name != nil {
		if name, err = cleanName("name", *in.Name); err != nil {
			return nil, err
		}
	}
	if in.PollIntervalMinutes != nil {
		if err := checkPollInterval(*in.PollIntervalMinutes); err != nil {
			return nil, err
		}
	}
	if in.ProxyURL != nil {
		if proxy, err = connectionProxyURL(*in.ProxyURL); err != nil {
			return nil, err
		}
	}
	if in.Status != nil && *in.Status != junction.ConnectionConnected && *in.Status != junction.ConnectionDisabled {
		return nil, junction.Invalid("status", "must be connected or disabled; Junction marks a connection disconnected when its credentials fail")
	}

	debugUntil, err := a.checkDebugUntil(in.DebugUntil)
	if err != nil {
		return nil, err
	}

	var out *junction.Connection
	err = a.tx(ctx, func(tx junction.Store) error {
		changedVersion := false
		c, err := a.connectionIn(ctx, tx, p, id, junction.PermConnectionsEdit, true)
		if err != nil {
			return err
		}
		if in.ConnectorVersion != nil && *in.ConnectorVersion != c.ConnectorVersion {
			if err := a.moveVersion(ctx, c, *in.ConnectorVersion); err != nil {
				return err
			}
			changedVersion = true
		}
		def, auth, err := a.definitionOf(ctx, c)
		if err != nil {
			return err
		}
		if in.AuthType != nil && *in.AuthType != c.AuthType {
			return junction.Invalid("auth_type", "cannot change after creation (it is %s); create a new connection for another auth type", c.AuthType)
		}
		before := *c
		var changed []string
		if changedVersion {
			changed = append(changed, "connector_version")
		}
		if in.Name != nil && name != c.Name {
			c.Name = name
			changed = append(changed, "name")
		}
		if in.IsDefault != nil && *in.IsDefault != c.IsDefault {
			c.IsDefault = *in.IsDefault
			changed = append(changed, "is_default")
		}
		if in.PollIntervalMinutes != nil && *in.PollIntervalMinutes != c.PollIntervalMinutes {
			c.PollIntervalMinutes = *in.PollIntervalMinutes
			changed = append(changed, "poll_interval_minutes")
		}
		if in.ProxyURL != nil && proxy != c.ProxyURL {
			c.ProxyURL = proxy
			changed = append(changed, "proxy_url")
		}
		if in.DebugUntil != nil && !sameDebugUntil(debugUntil, c.DebugUntil) {
			c.DebugUntil = debugUntil
			changed = append(changed, "debug_until")
		}
		if in.Status != nil && *in.Status != c.Status {
			if err := a.switchStatus(c, auth, *in.Status); err != nil {
				return err
			}
			changed = append(changed, "status")
		}
		var fieldsChanged []string
		var fc *fieldCheck
		fields := c.Fields
		if len(in.Fields) > 0 {
			if fc, err = a.checkFields(ctx, tx, p, def, auth, in.Fields, c.Fields); err != nil {
				return err
			}
			fields = fc.fields
		}
		if moved := destinationMoved(def, auth, &before, fields, c.ProxyURL); moved != "" {
			if err := literalsGivenAgain(auth, before.Fields, in.Fields, moved); err != nil {
				return err
			}
			if c.TokenSealedID != "" {
				if err := a.dropToken(ctx, tx, c, auth); err != nil {
					return err
				}
				changed = append(changed, "authorization")
			}
		}
		if fc != nil {
			if fc.secretsChanged() {
				if err := a.resealLiterals(ctx, tx, c, fc); err != nil {
					return err
				}
			}
			c.Fields = fc.fields
			fieldsChanged = fc.changed
			changed = append(changed, "fields")
		}
		// New credentials or a new destination are not proven by the old
		// ones having worked.
		if c.Status == junction.ConnectionConnected && (fc != nil || c.ProxyURL != before.ProxyURL) {
			c.Status = junction.ConnectionUntested
		}
		if len(changed) == 0 {
			out = c
			return nil
		}
		c.UpdatedAt = a.now()
		if err := tx.UpdateConnection(ctx, c); err != nil {
			return connectionConflict(err, c.Name)
		}
		out = c
		details := map[string]any{"name": c.Name, "connector": c.Connector, "changed": changed, "status": string(c.Status)}
		if fieldsChanged != nil {
			details["fields"] = fieldsChanged
		}
		if slices.Contains(changed, "debug_until") {
			details["debug_until"] = c.DebugUntil
		}
		return a.audit(ctx, tx, p, "connection.update", "connection", c.ID, c.FolderID, details)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// destinationMoved names what in a change moves where the connection's
// requests go, "" for nothing: a field that decides a host (the base URL,
// a {subdomain}, an OAuth 2.0 endpoint) given a new value, or the proxy.
func destinationMoved(def *connector.Definition, auth *connector.Auth, before *junction.Connection, fields map[string]junction.FieldValue, proxy string) string {
	for _, name := range def.DestinationFields(auth.Key()) {
		if !reflect.DeepEqual(before.Fields[name], fields[name]) {
			return "fields." + name
		}
	}
	if proxy != before.ProxyURL {
		return "proxy_url"
	}
	return ""
}

// sentFields names the fields whose values a scheme sends out: with every
// API request, to the token endpoint, to the authorization URL.
func sentFields(auth *connector.Auth) []string {
	return slices.Concat(auth.RequestFields(), auth.TokenFields(), auth.AuthorizeFields())
}

// literalsGivenAgain refuses a change that moves the connection's
// destination (moved names what moves it) unless it gives again every
// literal secret field that is sent out (a webhook signing secret, say,
// never is): the stored ones were given for the old destination, and
// whoever may edit a connection need not know them. Asset-backed fields
// are held to their asset's allowed hosts instead.
func literalsGivenAgain(auth *connector.Auth, stored map[string]junction.FieldValue, given map[string]FieldInput, moved string) error {
	sent := sentFields(auth)
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(stored)) {
		if _, ok := given[name]; stored[name].Set && !ok && slices.Contains(sent, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	paths := make([]string, len(missing))
	for i, name := range missing {
		paths[i] = "fields." + name
	}
	return &junction.Error{
		Code:  junction.EINVALID,
		Field: paths[0],
		Message: fmt.Sprintf("changing %s changes where this connection's requests go: give %s again in the same "+
			"request, so that secrets stored for the old destination are never sent to the new one",
			moved, strings.Join(paths, ", ")),
		Details: map[string]any{"fields": paths, "changed": moved},
	}
}

// dropToken deletes the OAuth 2.0 tokens of a connection whose destination
// moved: they were issued for the old one. An authorization-code
// connection is then authorized again before it is used.
func (a *App) dropToken(ctx context.Context, tx junction.Store, c *junction.Connection, auth *connector.Auth) error {
	if err := tx.DeleteSealed(ctx, c.TenantID, c.TokenSealedID); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
		return err
	}
	c.TokenSealedID = ""
	if auth.Type == connector.AuthOAuth2AuthorizationCode && c.Status != junction.ConnectionDisabled {
		c.Status, c.StatusReason = junction.ConnectionDisconnected, ReasonAuthorizationPending
	}
	return nil
}

// switchStatus applies a user's status change. Disabling always works;
// enabling brings a disabled connection back as untested, but a
// disconnected one is reconnected only by proof that its credentials work:
// a passed test or a completed authorization.
func (a *App) switchStatus(c *junction.Connection, auth *connector.Auth, to junction.ConnectionStatus) error {
	switch {
	case to == junction.ConnectionDisabled:
		c.Status, c.StatusReason = junction.ConnectionDisabled, ""
	case c.Status == junction.ConnectionDisconnected:
		return junction.Invalid("status", "connection %q is disconnected: test it (POST /api/v1/connections/%s/test) or, for OAuth 2.0, authorize it again", c.Name, c.ID)
	case auth.Type == connector.AuthOAuth2AuthorizationCode && c.TokenSealedID == "":
		c.Status, c.StatusReason = junction.ConnectionDisconnected, ReasonAuthorizationPending
	case c.Status == junction.ConnectionDisabled:
		c.Status, c.StatusReason = junction.ConnectionUntested, ""
	}
	return nil
}

// resealLiterals rewrites the sealed literal secrets of c after a change:
// the kept ones, read from the sealed value in the transaction, plus the
// new ones. The whole object is replaced: it is sealed as one.
func (a *App) resealLiterals(ctx context.Context, tx junction.Store, c *junction.Connection, fc *fieldCheck) error {
	merged := map[string]junction.Secret{}
	if c.SecretsSealedID != "" {
		old, err := engine.OpenSecrets(ctx, tx, a.keyring, c.TenantID, c.SecretsSealedID)
		if err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
			return err
		}
		maps.Copy(merged, old)
	}
	maps.Copy(merged, fc.literals)
	for name := range merged {
		if !fc.fields[name].Set {
			delete(merged, name)
		}
	}
	if len(merged) == 0 {
		if c.SecretsSealedID != "" {
			if err := tx.DeleteSealed(ctx, c.TenantID, c.SecretsSealedID); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
				return err
			}
			c.SecretsSealedID = ""
		}
		return nil
	}
	sv, err := a.sealLiterals(c, merged)
	if err != nil {
		return err
	}
	return tx.PutSealed(ctx, sv)
}

// DeleteConnection deletes a connection with its sealed secrets, tokens and
// pending OAuth flows. Needs Connections.Delete on its folder.
func (a *App) DeleteConnection(ctx context.Context, p *junction.Principal, id string) error {
	return a.tx(ctx, func(tx junction.Store) error {
		c, err := a.connectionIn(ctx, tx, p, id, junction.PermConnectionsDelete, true)
		if err != nil {
			return err
		}
		if err := tx.DeleteConnection(ctx, c.TenantID, c.ID); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "connection.delete", "connection", c.ID, c.FolderID, map[string]any{
			"name": c.Name, "connector": c.Connector, "auth_type": c.AuthType,
		})
	})
}

// TestConnection runs the connector's test request through the connection.
// Needs Connections.Execute on its folder: a test sends the connection's
// credentials, as an execution does.
//
// A passed test marks the connection connected (a disabled one stays
// disabled) with no failures on record. A failed one returns the engine's
// error; when the API rejected the credentials (connection_auth_failed)
// the connection is marked disconnected. Both outcomes are audited.
func (a *App) TestConnection(ctx context.Context, p *junction.Principal, id string) (*ConnectionTestResult, error) {
	if err := a.needEngine(); err != nil {
		return nil, err
	}
	c, err := a.connectionIn(ctx, a.store, p, id, junction.PermConnectionsExecute, false)
	if err != nil {
		return nil, err
	}
	proof, testErr := a.engine.Test(ctx, c)
	authFailed := junction.IsCode(testErr, junction.ECONNAUTHFAILED)
	if testErr != nil && !authFailed {
		a.auditOutcome(ctx, p, c, "connection.test", junction.ErrorCode(testErr), nil)
		return nil, testErr
	}
	var status junction.ConnectionStatus
	err = a.tx(ctx, func(tx junction.Store) error {
		cur, err := a.connectionIn(ctx, tx, p, id, junction.PermConnectionsExecute, true)
		if err != nil {
			return err
		}
		was := cur.Status
		switch {
		case authFailed && cur.Status != junction.ConnectionDisabled:
			cur.Status, cur.StatusReason = junction.ConnectionDisconnected, engine.AuthFailureReason(testErr, "authentication failed in a test")
		case proof == engine.ProvedCredentials:
			// Saved with the row: the failure count starts again.
			cur.AuthFailures = 0
			if cur.Status != junction.ConnectionDisabled {
				cur.Status, cur.StatusReason = junction.ConnectionConnected, ""
			}
		}
		// A test that proved less than the credentials changes nothing: a
		// disconnected connection stays disconnected, an untested one
		// untested.
		cur.UpdatedAt = a.now()
		if err := tx.UpdateConnection(ctx, cur); err != nil {
			return err
		}
		status = cur.Status
		if was != junction.ConnectionDisconnected && cur.Status == junction.ConnectionDisconnected {
			if err := tx.AppendEvent(ctx, &junction.Event{
				ID: junction.NewID(), TenantID: cur.TenantID, Type: "connection.disconnected",
				ObjectType: "connection", ObjectID: cur.ID, FolderID: cur.FolderID, At: a.now(),
				Details: map[string]any{"reason": cur.StatusReason, "connector": cur.Connector, "name": cur.Name},
			}); err != nil {
				return err
			}
		}
		outcome := outcomeSuccess
		if authFailed {
			outcome = junction.ErrorCode(testErr)
		}
		return a.auditOutcomeIn(ctx, tx, p, cur, "connection.test", outcome, map[string]any{"status": string(cur.Status)})
	})
	if err != nil {
		return nil, err
	}
	if testErr != nil {
		return nil, testErr
	}
	ws, err := a.connectionWarnings(ctx, c, map[string]*junction.Asset{})
	if err != nil {
		return nil, err
	}
	return &ConnectionTestResult{OK: true, Status: status, Proved: proof, Message: proofMessage(proof), Warnings: ws}, nil
}

// proofMessage says what a passed test proved, so that nobody takes a
// reachability check for proof of the credentials.
func proofMessage(p engine.Proof) string {
	switch p {
	case engine.ProvedCredentials:
		return "the API accepted the credentials"
	case engine.ProvedReachability:
		return "the API answered over TLS, but the credentials were not checked: give the connection a test path that needs them (test_path), or run an activity"
	}
	return "the credentials resolve, but this connector has no test request, so nothing was sent to the API: run an activity to prove the connection"
}

// auditOutcome appends, on its own, the audit entry of an attempt that
// changed nothing, with its outcome (an error code). A failure to write it
// is logged: the attempt has already happened.
func (a *App) auditOutcome(ctx context.Context, p *junction.Principal, c *junction.Connection, action, outcome string, details map[string]any) {
	if err := a.auditOutcomeIn(ctx, a.store, p, c, action, outcome, details); err != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelError, "audit "+action, slog.String("connection_id", c.ID), slog.Any("error", err))
	}
}

func (a *App) auditOutcomeIn(ctx context.Context, st junction.Store, p *junction.Principal, c *junction.Connection, action, outcome string, details map[string]any) error {
	d := map[string]any{"name": c.Name, "connector": c.Connector}
	maps.Copy(d, details)
	e := &junction.AuditEntry{
		ID: junction.NewID(), TenantID: c.TenantID, At: a.now(), Action: action,
		ObjectType: "connection", ObjectID: c.ID, FolderID: c.FolderID, Outcome: outcome, Details: d,
	}
	if p != nil {
		e.IP, e.RequestID = p.IP, p.RequestID
		if p.User != nil {
			e.ActorID, e.ActorName = p.User.ID, p.User.Name
		}
	}
	return st.AppendAudit(ctx, e)
}

// AuthorizeConnection starts the OAuth 2.0 authorization-code consent of a
// connection and returns the provider URL to send the user's browser to.
// The provider sends it back to GET /oauth/callback, which completes the
// flow (CompleteAuthorization) and keeps the connection's ID. Needs
// Connections.Edit on its folder.
func (a *App) AuthorizeConnection(ctx context.Context, p *junction.Principal, id string) (string, error) {
	if err := a.needEngine(); err != nil {
		return "", err
	}
	if a.redirectURI == "" {
		return "", junction.Internal(errors.New("app: no OAuth redirect URI configured"))
	}
	c, err := a.connectionIn(ctx, a.store, p, id, junction.PermConnectionsEdit, false)
	if err != nil {
		return "", err
	}
	u, err := a.engine.BeginAuthorize(ctx, c, p.User.ID, a.redirectURI)
	outcome := outcomeSuccess
	if err != nil {
		outcome = junction.ErrorCode(err)
	}
	a.auditOutcome(ctx, p, c, "connection.authorize", outcome, nil)
	if err != nil {
		return "", err
	}
	return u, nil
}

// AuthorizationCallback is what the provider's redirect brings back.
type AuthorizationCallback struct {
	State, Code string
	// Error is the provider's error parameter (access_denied when the user
	// refused); ErrorDescription its explanation.
	Error, ErrorDescription string
	// IP and RequestID are recorded in the audit entry.
	IP, RequestID string
}

// CompleteAuthorization finishes an OAuth 2.0 consent: the state, issued
// by AuthorizeConnection, names the connection and the user who started
// it, so the callback needs no token. The connection is marked connected,
// with the fields its scheme fills after consent (Confluence's cloud ID),
// and the outcome audited as connection.authorized, naming those fields,
// acting as that user.
//
// Errors: not_found for an unknown, used or expired state;
// connection_auth_failed when the provider refuses the code or the user
// refused consent; validation_failed when the fields the scheme fills
// after consent cannot be told from what the token reaches; the engine's
// other errors.
func (a *App) CompleteAuthorization(ctx context.Context, cb AuthorizationCallback) (*junction.Connection, error) {
	if err := a.needEngine(); err != nil {
		return nil, err
	}
	if cb.Error != "" {
		// The pending state expires on its own; the user may start again.
		msg := "the provider did not grant access (" + oneLine(cb.Error, 64) + ")"
		if cb.ErrorDescription != "" {
			msg += ": " + oneLine(cb.ErrorDescription, 200)
		}
		return nil, &junction.Error{Code: junction.ECONNAUTHFAILED, Message: msg, Details: map[string]any{"source": "provider"}}
	}
	res, err := a.engine.CompleteAuthorize(ctx, cb.State, cb.Code)
	if err != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelInfo, "OAuth authorization not completed", slog.String("code", junction.ErrorCode(err)))
		return nil, err
	}
	c := res.Connection
	p := &junction.Principal{IP: cb.IP, RequestID: cb.RequestID}
	if u, err := a.store.GetUser(ctx, c.TenantID, res.UserID); err == nil {
		p.User = u
	}
	details := map[string]any{"status": string(c.Status)}
	if len(res.Filled) > 0 {
		// Names only, as an update's audit entry has them.
		details["fields"] = res.Filled
	}
	a.auditOutcome(ctx, p, c, "connection.authorized", outcomeSuccess, details)
	return c, nil
}

// oneLine keeps a provider's text printable and short.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}

// moveVersion points a connection of a custom connector at another of its
// published versions. The definition it moves to must still offer the
// connection's auth type; the caller checks that through definitionOf.
func (a *App) moveVersion(ctx context.Context, c *junction.Connection, version string) error {
	if version == "" {
		return junction.Invalid("connector_version", "must name a published version")
	}
	def, err := a.catalog.Definition(ctx, c.TenantID, c.Connector, version)
	if err != nil {
		return junction.Invalid("connector_version", "connector %q has no published version %q", c.Connector, version)
	}
	if !def.Custom {
		return junction.Invalid("connector_version", "connector %q is built in and has no versions to choose from", c.Connector)
	}
	c.ConnectorVersion = version
	return nil
}
