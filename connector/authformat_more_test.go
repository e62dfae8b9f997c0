package connector_test

import (
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

// ccMinimal is a definition with one client-credentials scheme, for the
// token request options.
const ccMinimal = `key: example
display_name: Example
version: 1.0.0
base_url: https://api.example.com/v1
auth:
  - type: oauth2_client_credentials
    token_url: https://id.example.com/oauth/token
    client_id: "{client_id}"
    client_secret: "{client_secret}"
    fields:
      - {name: account, type: text, required: true}
      - {name: client_id, type: text, required: true}
      - {name: client_secret, type: secret, required: true}
`

func TestAuthFormatRejects(t *testing.T) {
	cases := []struct {
		name, doc, path, msg string
	}{
		{"TokenQueryOnBearer", strings.Replace(minimal, "  - type: bearer\n", "  - type: bearer\n    token_query: {a: b}\n", 1), "auth[0].token_query", "does not apply to type bearer"},
		{"TokenQuerySecret", strings.Replace(ccMinimal, "    fields:", "    token_query: {s: \"{client_secret}\"}\n    fields:", 1), "auth[0].token_query.s", `secret field "client_secret"`},
		{"AuthBaseURLSecret", strings.Replace(ccMinimal, "    fields:", "    base_url: \"https://{client_secret}.example.com\"\n    fields:", 1), "auth[0].base_url", `secret field "client_secret"`},
		{"AuthBaseURLSlash", strings.Replace(ccMinimal, "    fields:", "    base_url: \"https://api.example.com/ex/{account}/\"\n    fields:", 1), "auth[0].base_url", "must not end with '/'"},
		{"AuthBaseURLQuery", strings.Replace(ccMinimal, "    fields:", "    base_url: \"https://api.example.com/ex?a={account}\"\n    fields:", 1), "auth[0].base_url", "must not hold a query"},
		{"AuthTestUndeclared", strings.Replace(ccMinimal, "    fields:", "    test: {path: \"/users/{nope}\"}\n    fields:", 1), "auth[0].test.path", `undeclared field "nope"`},
		{"AuthTestSecretQuery", strings.Replace(ccMinimal, "    fields:", "    test: {path: /me, query: {s: \"{client_secret}\"}}\n    fields:", 1), "auth[0].test.query.s", `secret field "client_secret"`},
		{"TokenQueryAndParams", strings.Replace(ccMinimal, "    fields:", "    token_query: {account_id: \"{account}\"}\n    token_params: {account_id: \"{account}\"}\n    fields:", 1), "auth[0].token_query.account_id", "send it in one place"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probs := problems(t, tc.doc)
			for _, p := range probs {
				if p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %q containing %q; got %v", tc.path, tc.msg, probs)
		})
	}
}

// Zoom's account credentials grant travels in the token URL's query
// string (https://developers.zoom.us/docs/internal-apps/s2s-oauth/), so the
// form body carries no grant_type of its own.
func TestTokenQuery(t *testing.T) {
	d := mustDefinition(t, "zoom")
	s, err := d.OAuth2(connector.Credentials{Auth: "server_to_server",
		Fields: map[string]string{"account_id": "aBcD&1234", "client_id": "zc"}, Secrets: secrets("client_secret", "zs")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://zoom.us/oauth/token?account_id=aBcD%261234&grant_type=account_credentials"; s.TokenURL != want {
		t.Errorf("token URL %s, want %s", s.TokenURL, want)
	}
	cc := s.ClientCredentialsConfig()
	if v, ok := cc.EndpointParams["grant_type"]; !ok || len(v) != 0 {
		t.Errorf("body grant_type = %v, want removed", v)
	}
	if !s.GrantTypeInQuery() {
		t.Error("GrantTypeInQuery = false")
	}
}

// A scheme's own base URL and test replace the definition's for the
// connections that use it, and only for them.
func TestAuthBaseURLAndTest(t *testing.T) {
	d := mustParse(t, strings.Replace(ccMinimal, "    fields:", `    base_url: "https://api.example.com/ex/site/{account}"
    test: {path: /users, query: {limit: "1"}, expect_status: [200]}
    fields:`, 1)+`  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
test: {path: /me}
`)
	cc := connector.Credentials{Auth: "oauth2_client_credentials", Fields: map[string]string{"account": "a b", "client_id": "c"},
		Secrets: secrets("client_secret", "s")}
	cc.AccessToken = junction.NewSecret("at")
	r, err := d.BuildTest(cc)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.URL.String(); got != "https://api.example.com/ex/site/a%20b/users?limit=1" {
		t.Errorf("scheme test URL %s", got)
	}
	if !d.TestSucceededFor("oauth2_client_credentials", connector.Response{StatusCode: 200}) || d.TestSucceededFor("oauth2_client_credentials", connector.Response{StatusCode: 204}) {
		t.Error("the scheme's expect_status is not applied")
	}
	r, err = d.BuildTest(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "t")})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.URL.String(); got != "https://api.example.com/v1/me" {
		t.Errorf("definition test URL %s", got)
	}
	if got := d.DestinationFields("oauth2_client_credentials"); len(got) != 0 {
		t.Errorf("destination fields %v: the scheme's host is fixed", got)
	}
}
