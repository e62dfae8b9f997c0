package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"junction"
	"junction/connector"
	"junction/outbound"
)

// run is one execution (or test) in progress: the connection, its
// definition, the credentials materialised for it and what happened so far.
type run struct {
	e       *Engine
	conn    *junction.Connection
	def     *connector.Definition
	auth    *connector.Auth
	testing bool // Test: no auth-failure accounting
	known   bool // the activity exists (for metric labels)
	// pages and truncated are what an execution that pages read: how many
	// pages, and whether MaxPages left one unread (Result.Pages, Truncated).
	pages     int
	truncated bool

	creds  connector.Credentials
	assets []assetUse
	// secrets are every secret value in play, masked out of provider error
	// bodies in case an API echoes one back.
	secrets []junction.Secret
	oauth   *connector.OAuth2Settings
	// literals, when set, are the connection's literal secrets given in
	// memory (TestWith), read instead of its sealed object.
	literals map[string]junction.Secret
	// apiHosts, tokenHosts and consentHosts hold the values of assets with
	// allowed hosts to them (outbound.RequestOptions.CheckHost): on API
	// requests, on the OAuth 2.0 token endpoint, on the authorization URL.
	// Each is nil when no such asset is in play, the common case, which
	// then costs nothing per request.
	apiHosts, tokenHosts, consentHosts func(host string) error
	// recovered is set once the one permitted recovery from an
	// authentication failure (fresh vault values or a new token) is spent.
	recovered bool
	accept    func(status int) bool
	// dpop is the key the access token in creds is bound to (DPoP,
	// RFC 9449); nil for a bearer token. The token functions set it with
	// the token.
	dpop *connector.DPoPKey

	httpStatus int
	attempts   int
	// lastSent and lastResp are the last request sent and its answer, for
	// a test run of a draft to show.
	lastSent *connector.Request
	lastResp connector.Response
	// capabilities, when set, names the values of an answer that are
	// masked like secrets from then on (a chunked upload's session URL).
	capabilities func(connector.Response) []junction.Secret
	// debug, when set, collects each request sent and its answer, masked,
	// for the execution's record: the connection's debug logging is on.
	debug *junction.ExecutionDebug
}

// assetUse is a connection field whose value came from an asset.
type assetUse struct {
	field string
	part  string
	asset *junction.Asset
	// store is the asset's credential store when it confines where its
	// values may go (allowed hosts); nil otherwise.
	store *junction.CredentialStoreConfig
}

// confined tells whether the value may go to some hosts only.
func (u assetUse) confined() bool { return len(u.asset.AllowedHosts) > 0 || u.store != nil }

// allows tells whether the value may be sent to host: both the asset's and
// its store's lists, where set, must allow it.
func (u assetUse) allows(host string) bool {
	return (len(u.asset.AllowedHosts) == 0 || outbound.HostAllowed(u.asset.AllowedHosts, host)) &&
		(u.store == nil || outbound.HostAllowed(u.store.AllowedHosts, host))
}

// load finds the connection's definition and auth scheme.
func (x *run) load(ctx context.Context) error {
	def := x.def // a test run of a draft brings its own
	if def == nil {
		var err error
		if def, err = x.e.catalog.Definition(ctx, x.conn.TenantID, x.conn.Connector, x.conn.ConnectorVersion); err != nil {
			return err
		}
	}
	x.def = def
	switch {
	case x.conn.AuthType == "" && len(def.Auth) == 1:
		x.auth = &def.Auth[0]
	default:
		x.auth = def.AuthByID(x.conn.AuthType)
	}
	if x.auth == nil {
		return junction.Invalid("auth_type", "connector %s has no auth type %q", def.Key, x.conn.AuthType)
	}
	return nil
}

// builder picks what the request asks to run and returns a function that
// builds it from credentials, with the operation it runs (nil for
// http_request).
func (x *run) builder(req *ExecuteRequest) (func(connector.Credentials) (*connector.Request, error), *connector.Operation, error) {
	d := x.def
	switch {
	case req.Activity != "" && (req.Object != "" || req.Operation != ""):
		return nil, nil, junction.Invalid("activity", "give either an activity or an object and operation, not both")
	case req.Activity == connector.HTTPRequestActivity && d.HTTPRequestEnabled():
		return func(c connector.Credentials) (*connector.Request, error) {
			return d.BuildActivity(c, req.Activity, req.Input)
		}, nil, nil
	case req.Activity != "":
		a := d.Activity(req.Activity)
		if a == nil {
			return nil, nil, junction.NotFound("activity " + req.Activity + " of connector " + d.Key)
		}
		return func(c connector.Credentials) (*connector.Request, error) {
			return d.BuildActivity(c, req.Activity, req.Input)
		}, &a.Operation, nil
	case req.Object != "":
		o := d.Object(req.Object)
		if o == nil {
			return nil, nil, junction.NotFound("object " + req.Object + " of connector " + d.Key)
		}
		op := o.Operations.ByName(req.Operation)
		if op == nil {
			return nil, nil, junction.NotFound("operation " + req.Operation + " of object " + req.Object)
		}
		return func(c connector.Credentials) (*connector.Request, error) {
			return d.BuildOperation(c, req.Object, req.Operation, req.Input)
		}, op, nil
	}
	return nil, nil, junction.Invalid("activity", "is required")
}

// prepare materialises the credentials and, for OAuth 2.0, obtains an
// access token.
func (x *run) prepare(ctx context.Context) error {
	if err := x.materialise(ctx); err != nil {
		return err
	}
	if x.apiHosts != nil {
		// Refused here, the connection fails the same way whether or not
		// its connector has a test request to send.
		u, err := x.def.Endpoint(x.creds)
		if err != nil {
			return err
		}
		if err := checkURLHost(x.apiHosts, u.String()); err != nil {
			return err
		}
	}
	if !x.auth.Type.IsOAuth2() {
		return nil
	}
	s, err := x.def.OAuth2(x.creds)
	if err != nil {
		return err
	}
	x.oauth = s
	x.secrets = append(x.secrets, s.ClientSecret)
	var tok junction.Secret
	if x.auth.Type == connector.AuthOAuth2ClientCredentials || x.auth.Type == connector.AuthOAuth2JWTBearer {
		tok, err = x.e.clientCredentialsToken(ctx, x, junction.Secret{})
		if junction.IsCode(err, junction.ECONNAUTHFAILED) && len(x.assets) > 0 && !x.recovered {
			// The client secret or private key may have been rotated in
			// the vault.
			x.recovered = true
			changed, rerr := x.refreshAssets(ctx)
			if rerr != nil {
				return rerr
			}
			if changed {
				if x.oauth, err = x.def.OAuth2(x.creds); err != nil {
					return err
				}
				tok, err = x.e.clientCredentialsToken(ctx, x, junction.Secret{})
			}
		}
		if junction.IsCode(err, junction.ECONNAUTHFAILED) {
			x.countAuthFailure(ctx, AuthFailureReason(err, "authentication failed"))
		}
	} else {
		tok, err = x.e.authCodeToken(ctx, x, junction.Secret{})
	}
	if err != nil {
		return err
	}
	x.creds.AccessToken = tok
	x.secrets = append(x.secrets, tok)
	return nil
}

// materialise fills x.creds from the connection's stored field values:
// plain values as stored, literal secrets from the sealed object, asset
// references through the resolver (from its cache within the hour).
func (x *run) materialise(ctx context.Context) error {
	types := map[string]connector.FieldType{}
	for f := range x.def.FormFields(x.auth.Key()) {
		types[f.Name] = f.Type
	}
	creds := connector.Credentials{
		Auth:    x.auth.Key(),
		Fields:  map[string]string{},
		Secrets: map[string]junction.Secret{},
	}
	put := func(name string, v junction.Secret) {
		if types[name] == connector.FieldSecret {
			creds.Secrets[name] = v
			x.secrets = append(x.secrets, v)
		} else {
			creds.Fields[name] = v.Reveal()
		}
	}
	literal := x.literals
	x.assets = x.assets[:0]
	for name, fv := range x.conn.Fields {
		if _, ok := types[name]; !ok {
			continue // a field of another auth type, kept for switching back
		}
		switch {
		case fv.AssetID != "":
			v, use, err := x.assetValue(ctx, name, fv)
			if err != nil {
				return err
			}
			if use != nil {
				x.assets = append(x.assets, *use)
			}
			put(name, v)
		case fv.Set:
			if literal == nil {
				if x.conn.SecretsSealedID == "" {
					return junction.Invalid("fields."+name, "is marked set but the connection has no sealed secrets")
				}
				m, err := OpenSecrets(ctx, x.e.store, x.e.keyring, x.conn.TenantID, x.conn.SecretsSealedID)
				if err != nil {
					return err
				}
				literal = m
			}
			v, ok := literal[name]
			if !ok {
				return junction.Invalid("fields."+name, "is marked set but has no sealed value")
			}
			put(name, v)
		case fv.Value != nil:
			s, err := plainText(fv.Value)
			if err != nil {
				return junction.Invalid("fields."+name, "%s", err.Error())
			}
			put(name, junction.NewSecret(s))
		}
	}
	x.creds = creds
	x.apiHosts, x.tokenHosts, x.consentHosts = nil, nil, nil
	for _, u := range x.assets {
		if u.confined() {
			x.apiHosts = x.hostCheck(x.auth.RequestFields())
			x.tokenHosts = x.hostCheck(x.auth.TokenFields())
			x.consentHosts = x.hostCheck(x.auth.AuthorizeFields())
			break
		}
	}
	return nil
}

// hostCheck returns the check that keeps the values of the given fields'
// assets on their allowed hosts, or nil when none of them has any.
func (x *run) hostCheck(fields []string) func(host string) error {
	var held []assetUse
	for _, u := range x.assets {
		if u.confined() && slices.Contains(fields, u.field) {
			held = append(held, u)
		}
	}
	if len(held) == 0 {
		return nil
	}
	return func(host string) error {
		for _, u := range held {
			if !u.allows(host) {
				return credentialNotAllowed(u, host)
			}
		}
		return nil
	}
}

// credentialNotAllowed is the refusal to send an asset's value to host. It
// names the asset and the field, never the value.
func credentialNotAllowed(u assetUse, host string) error {
	return &junction.Error{
		Code:  junction.ECREDNOTALLOWED,
		Field: "fields." + u.field,
		Message: fmt.Sprintf("asset %q (%s) may not be sent to %s: that host is not among %s; "+
			"point the connection at an allowed host, or have someone who may resolve the asset allow this one",
			u.asset.Name, u.asset.ID, host, whoseHosts(u, host)),
		Details: map[string]any{"asset_id": u.asset.ID, "host": host},
	}
}

// whoseHosts names the list that refused host: the asset's own, or its
// store's, which only the store's administrator can change.
func whoseHosts(u assetUse, host string) string {
	if u.store != nil && !outbound.HostAllowed(u.store.AllowedHosts, host) {
		return fmt.Sprintf("the allowed hosts of its credential store %q", u.store.Name)
	}
	return "its allowed hosts"
}

// assetValue resolves one asset-backed field. Plain (text, integer,
// boolean) assets give their value and need no refreshing.
func (x *run) assetValue(ctx context.Context, field string, fv junction.FieldValue) (junction.Secret, *assetUse, error) {
	a, store, err := x.e.store.GetAssetWithStore(ctx, x.conn.TenantID, fv.AssetID)
	if err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) {
			return junction.Secret{}, nil, junction.Invalid("fields."+field, "refers to an asset that no longer exists")
		}
		return junction.Secret{}, nil, fmt.Errorf("asset of field %q: %w", field, err)
	}
	if !a.Type.Sensitive() {
		return junction.NewSecret(a.Value), nil, nil
	}
	v, err := x.e.resolver.ResolveWith(ctx, a, store)
	if err != nil {
		return junction.Secret{}, nil, err
	}
	s, err := pick(a, fv.Part, v)
	if err != nil {
		return junction.Secret{}, nil, junction.Invalid("fields."+field, "%s", err.Error())
	}
	use := &assetUse{field: field, part: fv.Part, asset: a}
	if store != nil && len(store.AllowedHosts) > 0 {
		use.store = store
	}
	return s, use, nil
}

// pick chooses the part of a resolved value a field uses.
func pick(a *junction.Asset, part string, v junction.StoredSecret) (junction.Secret, error) {
	if a.Type != junction.AssetCredential {
		return v.Value, nil
	}
	switch part {
	case "username":
		return junction.NewSecret(v.Username), nil
	case "password", "":
		return v.Value, nil
	}
	return junction.Secret{}, fmt.Errorf("part must be username or password, not %q", part)
}

func plainText(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case bool:
		return strconv.FormatBool(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case json.Number:
		return t.String(), nil
	case int:
		return strconv.Itoa(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	}
	return "", fmt.Errorf("must be a string, number or boolean")
}

// refreshAssets reads every asset-backed value from its vault again and
// re-materialises the credentials when any changed.
func (x *run) refreshAssets(ctx context.Context) (bool, error) {
	seen := map[string]bool{}
	changed := false
	for _, u := range x.assets {
		if seen[u.asset.ID] {
			continue
		}
		seen[u.asset.ID] = true
		_, c, err := x.e.resolver.Refresh(ctx, u.asset)
		if err != nil {
			return false, err
		}
		changed = changed || c
	}
	if !changed {
		return false, nil
	}
	return true, x.materialise(ctx)
}

// recover tries the one recovery from an authentication failure: a new
// OAuth token, or fresh values from the vault. It reports whether the step
// is worth sending again.
func (x *run) recover(ctx context.Context) (bool, error) {
	switch x.auth.Type {
	case connector.AuthOAuth2AuthorizationCode:
		tok, err := x.e.authCodeToken(ctx, x, x.creds.AccessToken)
		if err != nil {
			return false, err
		}
		x.creds.AccessToken = tok
		x.secrets = append(x.secrets, tok)
		return true, nil
	case connector.AuthOAuth2ClientCredentials, connector.AuthOAuth2JWTBearer:
		tok, err := x.e.clientCredentialsToken(ctx, x, x.creds.AccessToken)
		if err != nil {
			return false, err
		}
		x.creds.AccessToken = tok
		x.secrets = append(x.secrets, tok)
		return true, nil
	}
	if len(x.assets) == 0 {
		return false, nil
	}
	return x.refreshAssets(ctx)
}

// recoverOnce answers an authentication failure: the first in the
// execution re-fetches the credentials (recover) and returns nil, so the
// caller sends its request again with them; a second, or one nothing can
// be re-fetched for, is the connection's authentication failure.
func (x *run) recoverOnce(ctx context.Context, resp connector.Response) error {
	if x.recovered {
		return x.authFailed(ctx, resp)
	}
	x.recovered = true
	retry, err := x.recover(ctx)
	if err != nil {
		return err
	}
	if !retry {
		return x.authFailed(ctx, resp)
	}
	return nil
}

// send sends req, and on an authentication failure recovers once and sends
// the same step again, rebuilt with the fresh credentials. It returns the
// response and the request that got it.
func (x *run) send(ctx context.Context, req *connector.Request, rebuild func(connector.Credentials) (*connector.Request, error)) (connector.Response, *connector.Request, error) {
	resp, err := x.do(ctx, req)
	if err != nil {
		return resp, req, err
	}
	if x.def.IsAuthFailure(resp) {
		if err := x.recoverOnce(ctx, resp); err != nil {
			return resp, req, err
		}
		if req, err = rebuild(x.creds); err != nil {
			return resp, req, err
		}
		if resp, err = x.do(ctx, req); err != nil {
			return resp, req, err
		}
		if x.def.IsAuthFailure(resp) {
			return resp, req, x.authFailed(ctx, resp)
		}
	}
	accept := x.accept
	if accept == nil {
		accept = func(s int) bool { return s >= 200 && s <= 299 }
	}
	if !accept(resp.StatusCode) {
		return resp, req, x.providerError(resp)
	}
	return resp, req, nil
}

// do sends one request through the outbound client. A DPoP-bound token
// goes with a proof for each attempt; when the API asks for a nonce
// (401 use_dpop_nonce), the request is sent once more with it.
func (x *run) do(ctx context.Context, req *connector.Request) (connector.Response, error) {
	r, err := x.doOnce(ctx, req)
	if err != nil || x.dpop == nil {
		return r, err
	}
	if _, again := connector.DPoPNonceChallenge(r.StatusCode, r.Header); again {
		return x.doOnce(ctx, req)
	}
	return r, nil
}

func (x *run) doOnce(ctx context.Context, req *connector.Request) (connector.Response, error) {
	hr, err := req.HTTPRequest(ctx)
	if err != nil {
		return connector.Response{}, err
	}
	x.lastSent = req
	sign := req.Signer()
	if x.dpop != nil {
		sign = x.e.nonces.signer(x.dpop, x.creds.AccessToken)
	}
	r, err := x.e.out.Do(ctx, hr, outbound.RequestOptions{RetrySafe: req.RetrySafe, ProxyURL: x.conn.ProxyURL, CheckHost: x.apiHosts, Sign: sign})
	if x.capabilities != nil && r != nil {
		x.secrets = append(x.secrets, x.capabilities(connector.Response{StatusCode: r.StatusCode, Header: r.Header})...)
	}
	x.recordDebug(req, hr, r, err)
	if err != nil {
		x.attempts += max(attemptsOf(err), 1)
		return connector.Response{}, err
	}
	if x.dpop != nil {
		x.e.nonces.keep(r, true)
	}
	x.attempts += r.Attempts
	x.httpStatus = r.StatusCode
	resp := connector.Response{StatusCode: r.StatusCode, Header: r.Header, Body: r.Body}
	x.lastSent, x.lastResp = req, resp
	return resp, nil
}

// authFailed counts an authentication failure and returns the error.
func (x *run) authFailed(ctx context.Context, resp connector.Response) error {
	x.countAuthFailure(ctx, "authentication failed")
	return &junction.Error{
		Code:    junction.ECONNAUTHFAILED,
		Message: fmt.Sprintf("%s rejected the credentials of connection %q", x.def.DisplayName, x.conn.Name),
		Details: map[string]any{"status": resp.StatusCode, "source": "provider"},
	}
}

// countAuthFailure records one more consecutive failure and disconnects
// the connection at the limit, in one transaction: a crash between the two
// must not leave a count at the limit on a connection still connected,
// which no later failure would disconnect once (the event is appended by
// the failure that reaches the limit). Tests of a connection are not
// counted. reason is the connection's status reason if it is
// disconnected.
func (x *run) countAuthFailure(ctx context.Context, reason string) {
	if x.testing {
		return
	}
	err := x.e.store.InTx(ctx, func(s junction.Store) error {
		n, err := s.RecordAuthResult(ctx, x.conn.TenantID, x.conn.ID, false)
		if err != nil {
			return fmt.Errorf("record authentication failure: %w", err)
		}
		if n < AuthFailureLimit {
			return nil
		}
		c, err := s.LockConnection(ctx, x.conn.TenantID, x.conn.ID)
		if err != nil {
			return fmt.Errorf("disconnect connection: %w", err)
		}
		if err := x.e.disconnectLocked(ctx, s, c, reason); err != nil {
			return fmt.Errorf("disconnect connection: %w", err)
		}
		return nil
	})
	if err != nil {
		x.e.logger.LogAttrs(ctx, slog.LevelWarn, "count authentication failure", slog.String("connection_id", x.conn.ID), slog.String("error", err.Error()))
	}
}

// succeeded resets the failure count. Only a connection with failures on
// record costs a write: the count is read with the connection, so a success
// of the common case writes nothing.
func (x *run) succeeded(ctx context.Context) {
	if x.testing {
		return
	}
	if x.conn.Status == junction.ConnectionUntested {
		x.e.markProven(ctx, x.conn)
	}
	if x.conn.AuthFailures == 0 {
		return
	}
	if _, err := x.e.store.RecordAuthResult(ctx, x.conn.TenantID, x.conn.ID, true); err != nil {
		x.e.logger.LogAttrs(ctx, slog.LevelWarn, "reset authentication failures", slog.String("connection_id", x.conn.ID), slog.String("error", err.Error()))
	}
}

// markProven makes an untested connection connected: an execution the API
// accepted proves it. It happens once per connection, so the locked
// read-and-write costs nothing on the path of later executions.
func (e *Engine) markProven(ctx context.Context, c *junction.Connection) {
	err := e.store.InTx(ctx, func(s junction.Store) error {
		cur, err := s.LockConnection(ctx, c.TenantID, c.ID)
		if err != nil || cur.Status != junction.ConnectionUntested {
			return err
		}
		cur.Status, cur.StatusReason, cur.UpdatedAt = junction.ConnectionConnected, "", e.clock.Now()
		return s.UpdateConnection(ctx, cur)
	})
	if err != nil {
		e.logger.LogAttrs(ctx, slog.LevelWarn, "mark connection connected", slog.String("connection_id", c.ID), slog.String("error", err.Error()))
	}
}

// providerError describes an upstream error answer: its status and the
// start of its body, with any secret of the connection masked, never its
// headers.
func (x *run) providerError(resp connector.Response) error {
	body := string(resp.Body)
	for _, s := range x.secrets {
		if v := s.Reveal(); len(v) >= 4 {
			body = strings.ReplaceAll(body, v, junction.Redacted)
		}
	}
	if len(body) > providerBodyLimit {
		body = body[:providerBodyLimit]
		for !utf8.ValidString(body) && len(body) > 0 {
			body = body[:len(body)-1]
		}
	}
	return &junction.Error{
		Code:    junction.EPROVIDER,
		Message: fmt.Sprintf("%s answered HTTP %d", x.def.DisplayName, resp.StatusCode),
		Details: map[string]any{"status": resp.StatusCode, "body": body, "source": "provider"},
	}
}

// HTTPOutput is the output of http_request: the upstream's status, its
// headers (values of a repeated header joined with ", ") and its body.
type HTTPOutput struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	// Body is the upstream's JSON body as it came (a json.RawMessage, so
	// relaying it costs no decoding and encoding again), a string when
	// the body is not JSON, or nil when there is none.
	Body any `json:"body"`
}

func httpOutput(resp connector.Response) *HTTPOutput {
	h := make(map[string]string, len(resp.Header))
	for k, vs := range resp.Header {
		if len(vs) == 1 {
			h[k] = vs[0]
			continue
		}
		h[k] = strings.Join(vs, ", ")
	}
	return &HTTPOutput{Status: resp.StatusCode, Headers: h, Body: relayedBody(resp)}
}

// relayedBody is the body of an http_request output: JSON kept as it came
// when it is one valid JSON value in UTF-8, JSON with invalid UTF-8 decoded
// (which repairs it), else the text.
func relayedBody(resp connector.Response) any {
	b := bytes.TrimSpace(resp.Body)
	if len(b) == 0 {
		return nil
	}
	ct := resp.Header.Get("Content-Type")
	if strings.Contains(ct, "json") || b[0] == '{' || b[0] == '[' {
		if json.Valid(b) {
			if utf8.Valid(b) {
				return json.RawMessage(b)
			}
			var v any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if dec.Decode(&v) == nil {
				return v
			}
		}
	}
	return string(resp.Body)
}

// records returns the records of one list page.
func records(req *connector.Request, body []byte) ([]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	v, err := req.Result(body)
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case []any:
		return t, nil
	case nil:
		return nil, nil
	}
	return []any{v}, nil
}

// operationOutput is the declared outputs of an operation, or its record.
func operationOutput(req *connector.Request, op *connector.Operation, body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	if op != nil && len(op.Outputs) > 0 {
		return req.Outputs(body)
	}
	return req.Result(body)
}

// disconnectLocked marks a connection, locked by the caller's
// transaction, disconnected and tells people, once: a connection already
// disconnected (by another server) is left alone.
func (e *Engine) disconnectLocked(ctx context.Context, s junction.Store, c *junction.Connection, reason string) error {
	if c.Status == junction.ConnectionDisconnected {
		return nil
	}
	now := e.clock.Now()
	c.Status = junction.ConnectionDisconnected
	c.StatusReason = reason
	c.UpdatedAt = now
	if err := s.UpdateConnection(ctx, c); err != nil {
		return err
	}
	e.logger.LogAttrs(ctx, slog.LevelWarn, "connection disconnected", slog.String("connection_id", c.ID), slog.String("reason", reason))
	return s.AppendEvent(ctx, &junction.Event{
		ID:         junction.NewID(),
		TenantID:   c.TenantID,
		Type:       "connection.disconnected",
		ObjectType: "connection",
		ObjectID:   c.ID,
		FolderID:   c.FolderID,
		At:         now,
		Details:    map[string]any{"reason": reason, "connector": c.Connector, "name": c.Name},
	})
}
