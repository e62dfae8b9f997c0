package connector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

const builderDef = `key: widgets
display_name: Widgets
version: 1.0.0
base_url: https://{tenant}.widgets.example.com/api/v1
fields:
  - {name: tenant, type: text, required: true}
auth:
  - type: api_key
    in: query
    name: api_key
    fields:
      - {name: api_key, type: secret, required: true}
  - type: custom
    headers:
      X-Widget-Auth: "Key {widget_key}"
    fields:
      - {name: widget_key, type: secret, required: true}
  - type: oauth2_client_credentials
    token_url: https://{tenant}.widgets.example.com/oauth/token
    client_id: "{client_id}"
    client_secret: "{client_secret}"
    scopes: [widgets.read]
    fields:
      - {name: client_id, type: text, required: true}
      - {name: client_secret, type: secret, required: true}
objects:
  - name: widget
    operations:
      list:
        method: GET
        path: /widgets
        records: items
        inputs:
          - {name: color, type: string, enum: [red, blue]}
        pagination: {type: cursor, cursor_param: after, next_cursor_path: meta.next, limit_param: limit, page_size: 2}
      get:
        method: GET
        path: /widgets/{id}
        inputs:
          - {name: id, type: string, required: true}
activities:
  - name: paint
    method: POST
    path: /widgets/{id}/paint
    inputs:
      - {name: id, type: string, required: true}
      - {name: coats, type: integer, required: true}
      - {name: gloss, type: number}
      - {name: dry, type: boolean}
      - {name: tags, type: array}
      - {name: spec, type: object}
      - {name: note, type: string, in: header, key: X-Note}
`

const apiKey = "s3cr3t-key-value"

func widgetCred() connector.Credentials {
	return connector.Credentials{Auth: "api_key", Fields: map[string]string{"tenant": "acme"}, Secrets: secrets("api_key", apiKey)}
}

func TestBuildInputValidation(t *testing.T) {
	d := mustParse(t, builderDef)
	ok := map[string]any{"id": "w1", "coats": 2}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name  string
		input map[string]any
		field string
	}{
		{"MissingRequired", with("coats", nil), "input.coats"},
		{"IntegerGotString", with("coats", "two"), "input.coats"},
		{"IntegerGotFraction", with("coats", 2.5), "input.coats"},
		{"NumberGotBool", with("gloss", true), "input.gloss"},
		{"BooleanGotString", with("dry", "yes"), "input.dry"},
		{"ArrayGotObject", with("tags", map[string]any{}), "input.tags"},
		{"ObjectGotArray", with("spec", []any{}), "input.spec"},
		{"Unknown", with("colour", "red"), "input.colour"},
		{"EmptyPathParam", with("id", ""), "input.id"},
		{"DotDotPathParam", with("id", ".."), "input.id"},
		{"HeaderInjection", with("note", "a\r\nX-Evil: 1"), "input.note"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.BuildActivity(widgetCred(), "paint", tc.input)
			wantInvalid(t, err, tc.field)
		})
	}
	t.Run("EnumOnOperation", func(t *testing.T) {
		_, err := d.BuildOperation(widgetCred(), "widget", "list", map[string]any{"color": "green"})
		wantInvalid(t, err, "input.color")
	})
	t.Run("OK", func(t *testing.T) {
		in := map[string]any{"id": "a/b c", "coats": json.Number("3"), "gloss": 0.5, "dry": false, "tags": []string{"x"}, "spec": map[string]int{"w": 1}, "note": "hi"}
		r, err := d.BuildActivity(widgetCred(), "paint", in)
		if err != nil {
			t.Fatal(err)
		}
		want := "POST https://acme.widgets.example.com/api/v1/widgets/a%2Fb%20c/paint?api_key=" + apiKey +
			"\nAccept: application/json\nContent-Type: application/json\nX-Note: hi\n\n" +
			`{"coats":3,"dry":false,"gloss":0.5,"spec":{"w":1},"tags":["x"]}`
		if got := wire(r); got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
		if r.RetrySafe {
			t.Error("a POST is retry-safe without retry_safe")
		}
	})
}

func TestBuildConnectionErrors(t *testing.T) {
	d := mustParse(t, builderDef)
	cases := []struct {
		name  string
		cred  connector.Credentials
		field string
	}{
		{"AuthRequired", connector.Credentials{Fields: map[string]string{"tenant": "acme"}}, "auth"},
		{"UnknownAuth", connector.Credentials{Auth: "saml", Fields: map[string]string{"tenant": "acme"}}, "auth"},
		{"MissingField", connector.Credentials{Auth: "api_key", Secrets: secrets("api_key", apiKey)}, "fields.tenant"},
		{"MissingSecret", connector.Credentials{Auth: "api_key", Fields: map[string]string{"tenant": "acme"}}, "fields.api_key"},
		// A secret given as a plain field is not a secret.
		{"SecretAsPlainField", connector.Credentials{Auth: "api_key", Fields: map[string]string{"tenant": "acme", "api_key": apiKey}}, "fields.api_key"},
		{"HostInjection", connector.Credentials{Auth: "api_key", Fields: map[string]string{"tenant": "evil.com/x?"}, Secrets: secrets("api_key", apiKey)}, "fields.tenant"},
		{"NoAccessToken", connector.Credentials{Auth: "oauth2_client_credentials", Fields: map[string]string{"tenant": "acme", "client_id": "c"}, Secrets: secrets("client_secret", "cs")}, "access_token"},
		{"SecretWithNewline", connector.Credentials{Auth: "custom", Fields: map[string]string{"tenant": "acme"}, Secrets: secrets("widget_key", apiKey+"\r\nX-Evil: 1")}, "fields.widget_key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.BuildOperation(tc.cred, "widget", "get", map[string]any{"id": "1"})
			wantInvalid(t, err, tc.field)
			if strings.Contains(err.Error(), apiKey) {
				t.Fatalf("error reveals the secret: %v", err)
			}
		})
	}
	t.Run("GenericBaseURL", func(t *testing.T) {
		h := mustDefinition(t, "http")
		for _, bad := range []string{"ftp://x.example.com", "https://user:pw@x.example.com", "not a url", "https://x.example.com/?a=b"} {
			_, err := h.BuildHTTPRequest(connector.Credentials{Auth: "none", Fields: map[string]string{"base_url": bad}}, connector.HTTPRequestInput{Path: "/x"})
			wantInvalid(t, err, "fields.base_url")
			if strings.Contains(err.Error(), "pw") {
				t.Fatalf("error reveals the URL: %v", err)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, err := range []error{
			func() error { _, err := d.BuildOperation(widgetCred(), "gadget", "list", nil); return err }(),
			func() error { _, err := d.BuildOperation(widgetCred(), "widget", "delete", nil); return err }(),
			func() error { _, err := d.BuildActivity(widgetCred(), "polish", nil); return err }(),
		} {
			if !junction.IsCode(err, junction.ENOTFOUND) {
				t.Errorf("got %v, want not_found", err)
			}
		}
	})
}

func TestRequestRedaction(t *testing.T) {
	d := mustParse(t, builderDef)
	check := func(t *testing.T, r *connector.Request) {
		t.Helper()
		var logs bytes.Buffer
		slog.New(slog.NewTextHandler(&logs, nil)).Info("sending", "request", r)
		js, _ := json.Marshal(map[string]any{"r": r})
		for _, s := range []string{r.String(), fmt.Sprint(r), fmt.Sprintf("%v %+v %#v %s", r, r, r, r), logs.String(), string(js)} {
			if strings.Contains(s, apiKey) {
				t.Fatalf("secret in rendering: %s", s)
			}
		}
		if !strings.Contains(r.String(), junction.Redacted) {
			t.Fatalf("nothing redacted: %s", r)
		}
	}
	t.Run("QueryKey", func(t *testing.T) {
		r, err := d.BuildOperation(widgetCred(), "widget", "get", map[string]any{"id": "1"})
		if err != nil {
			t.Fatal(err)
		}
		check(t, r)
		if r.URL.Query().Get("api_key") != apiKey {
			t.Fatal("the URL to send lost the key")
		}
	})
	t.Run("CustomHeader", func(t *testing.T) {
		c := connector.Credentials{Auth: "custom", Fields: map[string]string{"tenant": "acme"}, Secrets: secrets("widget_key", apiKey)}
		r, err := d.BuildOperation(c, "widget", "get", map[string]any{"id": "1"})
		if err != nil {
			t.Fatal(err)
		}
		check(t, r)
		if got := r.Header.Get("X-Widget-Auth"); got != "Key "+apiKey {
			t.Fatalf("X-Widget-Auth = %q", got)
		}
	})
	t.Run("UserAuthorizationHeader", func(t *testing.T) {
		h := mustDefinition(t, "http")
		r, err := h.BuildHTTPRequest(connector.Credentials{Auth: "none", Fields: map[string]string{"base_url": "https://x.example.com"}},
			connector.HTTPRequestInput{Path: "/x", Headers: map[string]string{"Authorization": "Bearer " + apiKey}})
		if err != nil {
			t.Fatal(err)
		}
		check(t, r)
	})
}

func TestHTTPRequestActivity(t *testing.T) {
	d := mustParse(t, builderDef)
	build := func(in map[string]any) (*connector.Request, error) {
		return d.BuildActivity(widgetCred(), "http_request", in)
	}
	t.Run("OK", func(t *testing.T) {
		r, err := build(map[string]any{"method": "patch", "path": "widgets/7?x=1", "query": map[string]any{"ids": []any{1, 2}}, "headers": map[string]any{"X-Trace": "t"}, "body": map[string]any{"a": 1}})
		if err != nil {
			t.Fatal(err)
		}
		want := "PATCH https://acme.widgets.example.com/api/v1/widgets/7?api_key=" + apiKey + "&ids=1&ids=2&x=1" +
			"\nAccept: application/json\nContent-Type: application/json\nX-Trace: t\n\n{\"a\":1}"
		if got := wire(r); got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("FormAndRawBodies", func(t *testing.T) {
		r, err := build(map[string]any{"method": "POST", "path": "/f", "headers": map[string]any{"Content-Type": "application/x-www-form-urlencoded"}, "body": map[string]any{"a": map[string]any{"b": "c"}}})
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != "a%5Bb%5D=c" {
			t.Errorf("form body = %s", r.Body)
		}
		r, err = build(map[string]any{"method": "POST", "path": "/raw", "body": "<xml/>", "headers": map[string]any{"Content-Type": "application/xml"}})
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Body) != "<xml/>" || r.Header.Get("Content-Type") != "application/xml" {
			t.Errorf("raw body = %s (%s)", r.Body, r.Header.Get("Content-Type"))
		}
	})
	for name, in := range map[string]map[string]any{
		"AbsoluteURL":    {"path": "https://evil.example.com/x"},
		"NetworkPath":    {"path": "//evil.example.com/x"},
		"DotDot":         {"path": "/widgets/../../admin"},
		"EscapedDotDot":  {"path": "/widgets/%2e%2e/%2E%2E/admin"},
		"Backslash":      {"path": "/widgets\\..\\admin"},
		"SchemeRelative": {"path": "javascript:alert(1)"},
		"Empty":          {"path": ""},
		"Fragment":       {"path": "/x#frag"},
	} {
		t.Run("Path"+name, func(t *testing.T) {
			_, err := build(in)
			wantInvalid(t, err, "input.path")
		})
	}
	t.Run("BadMethod", func(t *testing.T) {
		_, err := build(map[string]any{"method": "TRACE", "path": "/x"})
		wantInvalid(t, err, "input.method")
	})
	t.Run("ForbiddenHeader", func(t *testing.T) {
		_, err := build(map[string]any{"path": "/x", "headers": map[string]any{"Host": "evil.example.com"}})
		wantInvalid(t, err, "input.headers.Host")
	})
	t.Run("BodyOnGet", func(t *testing.T) {
		_, err := build(map[string]any{"path": "/x", "body": map[string]any{}})
		wantInvalid(t, err, "input.body")
	})
	t.Run("UnknownInput", func(t *testing.T) {
		_, err := build(map[string]any{"path": "/x", "url": "https://x"})
		wantInvalid(t, err, "input.url")
	})
	t.Run("AuthWins", func(t *testing.T) {
		c := connector.Credentials{Auth: "custom", Fields: map[string]string{"tenant": "acme"}, Secrets: secrets("widget_key", apiKey)}
		r, err := d.BuildHTTPRequest(c, connector.HTTPRequestInput{Path: "/x", Headers: map[string]string{"X-Widget-Auth": "forged"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("X-Widget-Auth"); got != "Key "+apiKey {
			t.Errorf("caller replaced the auth header: %q", got)
		}
	})
	t.Run("Disabled", func(t *testing.T) {
		off := mustParse(t, minimal+"http_request: false\n")
		_, err := off.BuildActivity(connector.Credentials{Secrets: secrets("token", "t")}, "http_request", map[string]any{"path": "/x"})
		if !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatalf("got %v, want not_found", err)
		}
	})
}

func TestHTTPRequestSend(t *testing.T) {
	d := mustParse(t, builderDef)
	r, err := d.BuildActivity(widgetCred(), "paint", map[string]any{"id": "w1", "coats": 1})
	if err != nil {
		t.Fatal(err)
	}
	req, err := r.HTTPRequest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodPost || req.URL.String() != r.URL.String() || req.ContentLength != int64(len(r.Body)) {
		t.Fatalf("got %s %s (%d)", req.Method, req.URL, req.ContentLength)
	}
	for range 2 { // the body can be replayed for retries
		rc, err := req.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		if string(b) != `{"coats":1}` {
			t.Fatalf("body = %s", b)
		}
	}
}
