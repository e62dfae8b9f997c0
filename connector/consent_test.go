package connector_test

import (
	"fmt"
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

// consentDoc is an authorization-code connector whose token reaches sites
// through an ID that a lookup after consent finds, Atlassian-style; the
// base URL's site is a field of the basic scheme only.
const consentDoc = `key: sites
display_name: Sites
version: 1.0.0
base_url: https://{site}.example.net/api
auth:
  - type: basic
    fields:
      - {name: site, type: text, required: true}
      - {name: username, type: text, required: true}
      - {name: password, type: secret, required: true}
  - type: oauth2_authorization_code
    authorize_url: https://auth.example.com/authorize
    token_url: https://auth.example.com/oauth/token
    client_id: "{client_id}"
    client_secret: "{client_secret}"
    base_url: https://api.example.com/ex/{site_id}/api
    after_consent:
      url: https://api.example.com/oauth/token/accessible-resources
      match: {path: url, value: "https://{site}.example.net"}
      fill: {site_id: id}
    fields:
      - {name: client_id, type: text, required: true}
      - {name: client_secret, type: secret, required: true}
      - {name: site, type: text}
      - {name: site_id, type: text}
test: {path: /me}
`

func TestConsentLookupDefinition(t *testing.T) {
	d := mustParse(t, consentDoc)
	if a := d.AuthByID("oauth2_authorization_code"); a.AfterConsent == nil || a.AfterConsent.Fill["site_id"] != "id" {
		t.Fatalf("after_consent not read: %+v", a)
	}
	bad := func(old, new string) string { return strings.Replace(consentDoc, old, new, 1) }
	cases := []struct {
		name, doc, path, msg string
	}{
		{"SecretTarget", bad("fill: {site_id: id}", "fill: {client_secret: id}"), "auth[1].after_consent.fill.client_secret", "only public fields"},
		{"UndeclaredTarget", bad("fill: {site_id: id}", "fill: {tenant: id}"), "auth[1].after_consent.fill.tenant", `undeclared field "tenant"`},
		{"NoFill", bad("      fill: {site_id: id}\n", ""), "", "fill"},
		{"BadFillPath", bad("fill: {site_id: id}", "fill: {site_id: \"a[x]\"}"), "auth[1].after_consent.fill.site_id", "invalid JSON path"},
		{"NotHTTPS", bad("url: https://api.example.com/oauth", "url: http://api.example.com/oauth"), "", "https"},
		{"SecretInURL", bad("oauth/token/accessible-resources", "oauth/{client_secret}"), "auth[1].after_consent.url", "secret field"},
		{"SecretInMatch", bad("value: \"https://{site}.example.net\"", "value: \"{client_secret}\""), "auth[1].after_consent.match.value", "secret field"},
		{"OtherAuthType", strings.Replace(minimal, "  - type: bearer\n", "  - type: bearer\n    after_consent: {url: \"https://x.example.com/r\", fill: {token: id}}\n", 1), "", "after_consent"},
		{"BaseURLFieldMissingFromAScheme", bad("      - {name: site, type: text, required: true}\n", ""), "base_url", `undeclared field "site"`},
		{"BaseURLFieldSecretInAScheme", bad("      - {name: site, type: text, required: true}\n", "      - {name: site, type: secret, required: true}\n"), "base_url", "site"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probs := problems(t, tc.doc)
			for _, p := range probs {
				if (tc.path == "" || p.Path == tc.path) && strings.Contains(p.Message+p.Path, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %q containing %q; got %v", tc.path, tc.msg, probs)
		})
	}
}

func TestConsentLookup(t *testing.T) {
	d := mustParse(t, consentDoc)
	const token = "consent-access-plant-40aa"
	creds := func(fields ...string) connector.Credentials {
		c := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"client_id": "cid"},
			Secrets: secrets("client_secret", "cs-plant-51f2"), AccessToken: junction.NewSecret(token)}
		for i := 0; i+1 < len(fields); i += 2 {
			c.Fields[fields[i]] = fields[i+1]
		}
		return c
	}

	t.Run("BeforeConsent", func(t *testing.T) {
		// Consent may begin without the field it fills; a request may not.
		if _, err := d.OAuth2(creds()); err != nil {
			t.Fatalf("OAuth2 before consent: %v", err)
		}
		_, err := d.BuildTest(creds())
		wantInvalid(t, err, "fields.site_id")
		if !strings.Contains(junction.ErrorMessage(err), "authorize") {
			t.Errorf("message %q does not say it comes with authorizing", junction.ErrorMessage(err))
		}
		// The basic scheme still needs its site.
		_, err = d.BuildTest(connector.Credentials{Auth: "basic", Fields: map[string]string{"username": "u"}, Secrets: secrets("password", "p")})
		wantInvalid(t, err, "fields.site")
	})
	t.Run("Request", func(t *testing.T) {
		if !d.NeedsConsentLookup(creds()) || d.NeedsConsentLookup(creds("site_id", "typed")) {
			t.Fatal("NeedsConsentLookup wrong")
		}
		r, err := d.BuildConsentLookup(creds())
		if err != nil {
			t.Fatal(err)
		}
		want := "GET https://api.example.com/oauth/token/accessible-resources\nAccept: application/json\nAuthorization: Bearer " + token
		if got := wire(r); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
		if s := fmt.Sprintf("%v", r); strings.Contains(s, token) {
			t.Errorf("the request prints its token: %s", s)
		}
	})

	const (
		acme = `{"id":"id-acme","url":"https://acme.example.net","name":"acme"}`
		beta = `{"id":"id-beta","url":"https://beta.example.net/","name":"beta"}`
	)
	cases := []struct {
		name   string
		creds  connector.Credentials
		status int
		body   string
		want   string // the site_id filled; empty when an error is wanted
		code   string
		msg    []string
	}{
		{name: "OneSite", creds: creds(), body: "[" + acme + "]", want: "id-acme"},
		{name: "OneSiteNamed", creds: creds("site", "acme"), body: "[" + acme + "]", want: "id-acme"},
		{name: "SeveralNamed", creds: creds("site", "BETA"), body: "[" + acme + "," + beta + "]", want: "id-beta"},
		{name: "ErrSeveral", creds: creds(), body: "[" + acme + "," + beta + "]", code: junction.EINVALID,
			msg: []string{"https://acme.example.net, https://beta.example.net/", "set site"}},
		{name: "ErrNotReached", creds: creds("site", "gamma"), body: "[" + acme + "]", code: junction.EINVALID,
			msg: []string{"https://gamma.example.net", "only https://acme.example.net"}},
		{name: "ErrNone", creds: creds(), body: "[]", code: junction.EINVALID, msg: []string{"lists nothing"}},
		{name: "ErrStatus", creds: creds(), status: 401, body: `{"code":401,"message":"Unauthorized"}`, code: junction.EPROVIDER, msg: []string{"HTTP 401"}},
		{name: "ErrNotList", creds: creds(), body: `{"id":"id-acme"}`, code: junction.EPROVIDER, msg: []string{"list"}},
		{name: "ErrNotJSON", creds: creds(), body: `<html>`, code: junction.EPROVIDER, msg: []string{"JSON"}},
		{name: "ErrNoID", creds: creds(), body: `[{"url":"https://acme.example.net"}]`, code: junction.EPROVIDER, msg: []string{"site_id"}},
		{name: "ErrIDNotText", creds: creds(), body: `[{"id":{"a":1}}]`, code: junction.EPROVIDER, msg: []string{"site_id"}},
		{name: "ErrIDControl", creds: creds(), body: `[{"id":"a\nb"}]`, code: junction.EPROVIDER, msg: []string{"site_id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status := tc.status
			if status == 0 {
				status = 200
			}
			got, err := d.ConsentFields(tc.creds, connector.Response{StatusCode: status, Body: []byte(tc.body)})
			if tc.code == "" {
				if err != nil || len(got) != 1 || got["site_id"] != tc.want {
					t.Fatalf("got %v, %v; want site_id %s", got, err, tc.want)
				}
				return
			}
			if junction.ErrorCode(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			if tc.code == junction.EINVALID {
				wantInvalid(t, err, "fields.site")
			}
			msg := junction.ErrorMessage(err)
			for _, m := range tc.msg {
				if !strings.Contains(msg, m) {
					t.Errorf("message %q lacks %q", msg, m)
				}
			}
			for _, s := range []string{"consent-access-plant-40aa", "cs-plant-51f2"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("a secret shows: %v", err)
				}
			}
		})
	}
}

func TestConsentLookupConfluence(t *testing.T) {
	d := mustDefinition(t, "confluence")
	c := connector.Credentials{Auth: "oauth2_3lo", Fields: map[string]string{"client_id": "cid"}, Secrets: secrets("client_secret", "s"),
		AccessToken: junction.NewSecret("t")}
	if _, err := d.OAuth2(c); err != nil {
		t.Fatalf("consent of a 3LO connection without cloud ID or site: %v", err)
	}
	got, err := d.ConsentFields(c, connector.Response{StatusCode: 200, Body: []byte(
		`[{"id":"1324a887-45db-1bf4-1e99-ef0ff456d421","url":"https://your-domain.atlassian.net","name":"your-domain","scopes":["write:confluence-content"],"avatarUrl":"https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/flag.png"}]`)})
	if err != nil || got["cloud_id"] != "1324a887-45db-1bf4-1e99-ef0ff456d421" {
		t.Fatalf("got %v, %v", got, err)
	}
	c.Fields["cloud_id"] = got["cloud_id"]
	r, err := d.BuildTest(c)
	if err != nil || r.URL.String() != "https://api.atlassian.com/ex/confluence/1324a887-45db-1bf4-1e99-ef0ff456d421/wiki/rest/api/user/current" {
		t.Fatalf("test request %v, %v", r, err)
	}
	// The basic scheme asks for the site, and only it.
	_, err = d.BuildTest(connector.Credentials{Auth: "basic", Fields: map[string]string{"email": "a@b.c"}, Secrets: secrets("api_token", "x")})
	wantInvalid(t, err, "fields.site")
}
