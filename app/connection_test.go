package app_test

import (
	"context"
	"encoding/json"
	"errors"
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
