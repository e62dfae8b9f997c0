package app_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/engine"
	"junction/keyring"
	"junction/outbound"
	"junction/resolver"
	"junction/sqldb/sqldbtest"
)

// formDefinition is a connector whose form has a field of every type.
const formDefinition = `key: form
display_name: Form
version: 1.0.0
base_url: "https://api.example.com"
fields:
  - {name: region, type: select, required: true, default: eu, options: [{value: eu}, {value: us}]}
  - {name: verbose, type: boolean}
  - {name: page_size, type: number}
  - {name: note, type: text}
auth:
  - type: basic
    fields:
      - {name: username, type: text, required: true}
      - {name: password, type: secret, required: true}
`

// withEngine returns an App with a catalog (the built-in connectors and
// "form") and an engine, and the administrator's principal.
func withEngine(t *testing.T) (*app.App, *junction.Principal, junction.Store) {
	t.Helper()
	ctx := context.Background()
	st := sqldbtest.Open(t)
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolver.New(resolver.Options{Store: st, Keyring: ring, Clock: newClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "form.yaml"), []byte(formDefinition), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := connector.LoadCatalog(connector.Builtin(), dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := outbound.New(outbound.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Options{Store: st, Keyring: ring, Catalog: cat, Resolver: res, Outbound: out, Clock: newClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	a := app.New(st, app.Options{Clock: newClock(), Keyring: ring, Resolver: res, Catalog: cat, Engine: eng,
		OAuthRedirectURI: "https://junction.test/oauth/callback"})
	boot, err := a.Bootstrap(ctx, app.BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := a.Authenticate(ctx, boot.Token.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	return a, admin, st
}

func text(s string) app.FieldInput { v := junction.NewSecret(s); return app.FieldInput{Literal: &v} }

func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var e *junction.Error
	if !junction.IsCode(err, junction.EINVALID) || !errors.As(err, &e) || e.Field != field {
		t.Fatalf("error %v, want validation_failed on %s", err, field)
	}
}

// Each field type takes the values it should, canonicalised, and refuses
// the others naming the field; defaults fill fields left out.
func TestConnectionFields(t *testing.T) {
	ctx := context.Background()
	a, admin, _ := withEngine(t)
	f, err := a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "F"})
	if err != nil {
		t.Fatal(err)
	}
	base := func(fields map[string]app.FieldInput) app.CreateConnectionInput {
		all := map[string]app.FieldInput{"username": text("u"), "password": text("pw-123456")}
		for k, v := range fields {
			all[k] = v
		}
		return app.CreateConnectionInput{FolderID: f.ID, Connector: "form", Name: "c", Fields: all, SkipTest: true}
	}

	t.Run("OK", func(t *testing.T) {
		c, err := a.CreateConnection(ctx, admin, base(map[string]app.FieldInput{
			"verbose": text("true"), "page_size": {Value: json.Number("25")}, "note": text("hi"),
		}))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"region": "eu", "verbose": true, "page_size": 25.0, "note": "hi", "username": "u"}
		for k, v := range want {
			if c.Fields[k].Value != v {
				t.Errorf("field %s = %#v, want %#v", k, c.Fields[k].Value, v)
			}
		}
		if !c.Fields["password"].Set || c.Fields["password"].Value != nil || c.SecretsSealedID == "" || c.AuthType != "basic" {
			t.Fatalf("connection %+v", c)
		}
	})
	for _, tc := range []struct {
		name, field string
		fields      map[string]app.FieldInput
	}{
		{"BooleanText", "fields.verbose", map[string]app.FieldInput{"verbose": text("yes please")}},
		{"NumberText", "fields.page_size", map[string]app.FieldInput{"page_size": text("many")}},
		{"NumberBoolean", "fields.page_size", map[string]app.FieldInput{"page_size": {Value: true}}},
		{"TextNumber", "fields.note", map[string]app.FieldInput{"note": {Value: json.Number("1")}}},
		{"SelectOption", "fields.region", map[string]app.FieldInput{"region": text("mars")}},
		{"EmptySecret", "fields.password", map[string]app.FieldInput{"password": text("")}},
		{"ClearedRequired", "fields.username", map[string]app.FieldInput{"username": {Clear: true}}},
		{"OtherAuthsField", "fields.token", map[string]app.FieldInput{"token": text("x")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.CreateConnection(ctx, admin, base(tc.fields))
			wantInvalid(t, err, tc.field)
		})
	}
	t.Run("PollInterval", func(t *testing.T) {
		in := base(nil)
		in.PollIntervalMinutes = 2
		_, err := a.CreateConnection(ctx, admin, in)
		wantInvalid(t, err, "poll_interval_minutes")
	})
	t.Run("ProxyWithPassword", func(t *testing.T) {
		in := base(nil)
		in.ProxyURL = "http://user:pw@proxy.example.com:3128"
		_, err := a.CreateConnection(ctx, admin, in)
		wantInvalid(t, err, "proxy_url")
	})
}

// Updates merge: a secret left out keeps its sealed value, a secret turned
// into an asset reference drops it, null clears an optional field, and the
// engine's failure count survives a change made meanwhile.
func TestUpdateConnectionMerges(t *testing.T) {
	ctx := context.Background()
	a, admin, st := withEngine(t)
	f, err := a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "F"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: f.ID, Connector: "form", Name: "c",
		SkipTest: true, Fields: map[string]app.FieldInput{"username": text("u"), "password": text("pw-123456"), "note": text("n")}})
	if err != nil {
		t.Fatal(err)
	}
	sealedID := c.SecretsSealedID

	if _, err := st.RecordAuthResult(ctx, c.TenantID, c.ID, false); err != nil {
		t.Fatal(err)
	}
	name := "renamed"
	got, err := a.UpdateConnection(ctx, admin, c.ID, app.UpdateConnectionInput{Name: &name,
		Fields: map[string]app.FieldInput{"note": {Clear: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.SecretsSealedID != sealedID || !got.Fields["password"].Set || got.AuthFailures != 1 {
		t.Fatalf("after rename %+v", got)
	}
	if _, ok := got.Fields["note"]; ok {
		t.Fatal("cleared field kept")
	}

	v := junction.NewSecret("asset-pw-0987")
	as, err := a.CreateAsset(ctx, admin, app.CreateAssetInput{FolderID: f.ID, Name: "pw", Type: junction.AssetSecret, Value: &v})
	if err != nil {
		t.Fatal(err)
	}
	got, err = a.UpdateConnection(ctx, admin, c.ID, app.UpdateConnectionInput{
		Fields: map[string]app.FieldInput{"password": {Ref: &app.AssetRef{AssetID: as.ID}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.SecretsSealedID != "" || got.Fields["password"].AssetID != as.ID || got.Fields["password"].Set {
		t.Fatalf("after switching to an asset %+v", got)
	}
	if _, err := st.GetSealed(ctx, c.TenantID, sealedID); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Fatalf("the old literal is still sealed: %v", err)
	}

	auth := "bearer"
	_, err = a.UpdateConnection(ctx, admin, c.ID, app.UpdateConnectionInput{AuthType: &auth})
	wantInvalid(t, err, "auth_type")
}

// OAuth 2.0 authorization-code connections wait for consent, and enabling
// one that never got it keeps it waiting.
func TestAuthorizationPending(t *testing.T) {
	ctx := context.Background()
	a, admin, _ := withEngine(t)
	f, err := a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "F"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: f.ID, Connector: "http", Name: "o",
		AuthType: "oauth2_authorization_code", Fields: map[string]app.FieldInput{
			"base_url": text("https://api.example.com"), "authorize_url": text("https://idp.example.com/auth"),
			"token_url": text("https://idp.example.com/token"), "client_id": text("cid"),
		}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != junction.ConnectionDisconnected || c.StatusReason != app.ReasonAuthorizationPending {
		t.Fatalf("created %+v", c)
	}
	for _, s := range []junction.ConnectionStatus{junction.ConnectionDisabled, junction.ConnectionConnected} {
		if c, err = a.UpdateConnection(ctx, admin, c.ID, app.UpdateConnectionInput{Status: &s}); err != nil {
			t.Fatal(err)
		}
	}
	if c.Status != junction.ConnectionDisconnected || c.StatusReason != app.ReasonAuthorizationPending {
		t.Fatalf("enabled without consent %+v", c)
	}
	u, err := a.AuthorizeConnection(ctx, admin, c.ID)
	if err != nil || u == "" {
		t.Fatalf("authorize: %q %v", u, err)
	}
	_, err = a.CompleteAuthorization(ctx, app.AuthorizationCallback{State: "unknown", Code: "x"})
	if !junction.IsCode(err, junction.ENOTFOUND) {
		t.Fatalf("unknown state: %v", err)
	}
}

// probeDefinition is a connector whose test request needs HTTP basic
// credentials; %s is its base URL.
const probeDefinition = `key: probe
display_name: Probe
version: 1.0.0
base_url: "%s"
auth:
  - type: basic
    fields:
      - {name: username, type: text, required: true}
      - {name: password, type: secret, required: true}
test:
  method: GET
  path: /me
  expect_status: [200]
auth_failure:
  status: [401]
`

// withLoopbackEngine returns an App whose engine reaches srv, with the
// definition def added to the built-in catalog as key, the
// administrator's principal, the store and a folder.
func withLoopbackEngine(t *testing.T, srv *httptest.Server, key, def string) (*app.App, *junction.Principal, junction.Store, *junction.Folder) {
	t.Helper()
	ctx := context.Background()
	st := sqldbtest.Open(t)
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolver.New(resolver.Options{Store: st, Keyring: ring, Clock: newClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, key+".yaml"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	cat, err := connector.LoadCatalog(connector.Builtin(), dir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	out, err := outbound.New(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, RootCAs: roots, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(out.CloseIdleConnections)
	eng, err := engine.New(engine.Options{Store: st, Keyring: ring, Catalog: cat, Resolver: res, Outbound: out, Clock: newClock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	a := app.New(st, app.Options{Clock: newClock(), Keyring: ring, Resolver: res, Catalog: cat, Engine: eng})
	boot, err := a.Bootstrap(ctx, app.BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := a.Authenticate(ctx, boot.Token.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "F"})
	if err != nil {
		t.Fatal(err)
	}
	return a, admin, st, f
}

// A creation is tested with its literal secrets in memory, before anything
// is written: a failed test, or a creation refused after a passed test,
// leaves no sealed value behind; a created connection's secrets are sealed
// with it and serve the next test.
func TestCreateConnectionTested(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "u" || pw != "right-pw-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"id":1}`))
	}))
	t.Cleanup(srv.Close)
	a, admin, st, f := withLoopbackEngine(t, srv, "probe", fmt.Sprintf(probeDefinition, srv.URL))
	// Every sealed value in the database: none is wrapped with a key of
	// that ID.
	sealed := func() int {
		t.Helper()
		all, err := st.ListSealedNotWrappedWith(ctx, "no-such-key", 1000)
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	create := func(pw string) (*junction.Connection, error) {
		return a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: f.ID, Connector: "probe", Name: "p",
			Fields: map[string]app.FieldInput{"username": text("u"), "password": text(pw)}})
	}
	before := sealed()

	if _, err := create("wrong-pw-1"); !junction.IsCode(err, junction.ECONNAUTHFAILED) {
		t.Fatalf("create with a rejected secret: %v", err)
	}
	if n := sealed(); n != before {
		t.Fatalf("%d sealed values after a failed test, want %d", n, before)
	}
	list, err := a.ListConnections(ctx, admin, app.ConnectionQuery{})
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("connections after a failed test: %v, %v", list.Items, err)
	}

	c, err := create("right-pw-1")
	if err != nil {
		t.Fatal(err)
	}
	if n := sealed(); n != before+1 || c.SecretsSealedID == "" {
		t.Fatalf("%d sealed values after the creation, want %d (sealed ID %q)", n, before+1, c.SecretsSealedID)
	}
	if r, err := a.TestConnection(ctx, admin, c.ID); err != nil || !r.OK {
		t.Fatalf("test of the created connection: %+v, %v", r, err)
	}

	// The same name again passes the test and fails in the transaction.
	if _, err := create("right-pw-1"); !junction.IsCode(err, junction.ECONFLICT) {
		t.Fatalf("second creation: %v", err)
	}
	if n := sealed(); n != before+1 {
		t.Fatalf("%d sealed values after a refused creation, want %d", n, before+1)
	}
}
