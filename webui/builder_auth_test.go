package webui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"junction/connector"
)

// draftAuth reads the draft's auth type key as saved.
func (s *builderSite) draftAuth(t *testing.T, key string) *connector.Auth {
	t.Helper()
	text, err := s.app.CustomConnectorDraft(t.Context(), s.admin, s.id)
	if err != nil {
		t.Fatal(err)
	}
	var def connector.Definition
	if err := yaml.Unmarshal(text, &def); err != nil {
		t.Fatal(err)
	}
	return def.AuthByID(key)
}

// Every kind the builder's auth form offers makes an auth type the draft
// accepts, with the kind's usual connection fields; and saving an
// existing auth type from the form keeps what the form does not show.
func TestBuilderAuthKinds(t *testing.T) {
	t.Parallel()
	s := newBuilderSite(t)
	draft := "/builder/" + s.id
	_, _, page := s.do(t, s.cookie, "GET", draft, nil)
	csrf := csrfRE.FindStringSubmatch(page)[1]
	post := func(t *testing.T, form url.Values) {
		t.Helper()
		form.Set("csrf", csrf)
		status, _, body := s.do(t, s.cookie, "POST", draft+"/auth", form)
		if status != http.StatusSeeOther {
			i := strings.Index(body, `class="error"`)
			t.Fatalf("auth form %v: %d %.600s", form, status, body[max(0, i):])
		}
	}
	for _, tc := range []struct {
		kind, id string
		form     url.Values
		check    func(*connector.Auth) bool
	}{
		{"basic", "basic", nil, func(a *connector.Auth) bool { return len(a.Fields) == 2 }},
		{"bearer", "bearer", nil, func(a *connector.Auth) bool { return a.Fields[0].Name == "token" }},
		{"oauth2_client_credentials", "oauth2_client_credentials",
			url.Values{"token_url": {"https://auth.example.com/oauth/token"}, "scopes": {"read write"}},
			func(a *connector.Auth) bool {
				return a.ClientID == "{client_id}" && a.ClientSecret == "{client_secret}" && len(a.Scopes) == 2
			}},
		{"oauth2_authorization_code", "oauth2_authorization_code",
			url.Values{"token_url": {"https://auth.example.com/oauth/token"}, "authorize_url": {"https://auth.example.com/authorize"}},
			func(a *connector.Auth) bool { return a.ClientID == "{client_id}" && !a.PKCE }},
		{"oauth2_authorization_code_pkce", "pkce",
			url.Values{"token_url": {"https://auth.example.com/oauth/token"}, "authorize_url": {"https://auth.example.com/authorize"}},
			func(a *connector.Auth) bool { return a.ClientID == "{client_id}" && a.PKCE }},
		{"oauth2_jwt_bearer", "oauth2_jwt_bearer",
			url.Values{"token_url": {"https://oauth2.example.com/token"}, "scopes": {"https://example.com/auth/drive"},
				"claims": {"sub: \"{impersonate}\"\n"}, "fields": {"- {name: private_key, type: secret, required: true}\n- {name: impersonate, type: text}\n"}},
			func(a *connector.Auth) bool {
				return a.PrivateKey == "{private_key}" && a.Claims["sub"] == "{impersonate}"
			}},
		{"oauth2_client_credentials_private_key_jwt", "oauth2_client_credentials",
			url.Values{"id": {"key_jwt"}, "token_url": {"https://auth.example.com/oauth/token"}},
			func(a *connector.Auth) bool {
				return a.ClientAuth == connector.ClientAuthPrivateKeyJWT && a.PrivateKey == "{private_key}" &&
					a.ClientID == "{client_id}" && a.ClientSecret == ""
			}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			form := url.Values{"kind": {tc.kind}}
			if tc.kind == "oauth2_authorization_code_pkce" {
				form.Set("id", "pkce")
			}
			for k, v := range tc.form {
				form[k] = v
			}
			post(t, form)
			key := tc.id
			if id := form.Get("id"); id != "" {
				key = id
			}
			a := s.draftAuth(t, key)
			if a == nil || !tc.check(a) {
				t.Fatalf("auth type %s as saved: %+v", key, a)
			}
			// The page shows it again as the same kind.
			_, _, page := s.do(t, s.cookie, "GET", draft, nil)
			if !strings.Contains(page, `<option value="`+tc.kind+`" selected>`) {
				t.Fatalf("the page does not show %s as %s", key, tc.kind)
			}
		})
	}

	t.Run("KeepsWhatTheFormDoesNotShow", func(t *testing.T) {
		a := s.draftAuth(t, "oauth2_client_credentials")
		a.TokenParams = map[string]string{"audience": "https://api.example.com"}
		a.ScopeSeparator = ","
		if _, err := s.app.SetDraftAuth(t.Context(), s.admin, s.id, a.Key(), *a); err != nil {
			t.Fatal(err)
		}
		post(t, url.Values{"was": {"oauth2_client_credentials"}, "kind": {"oauth2_client_credentials"},
			"label": {"Client credentials"}, "token_url": {"https://auth.example.com/v2/token"}, "scopes": {"read"}})
		got := s.draftAuth(t, "oauth2_client_credentials")
		if got.Label != "Client credentials" || got.TokenURL != "https://auth.example.com/v2/token" || len(got.Scopes) != 1 ||
			got.TokenParams["audience"] != "https://api.example.com" || got.ScopeSeparator != "," {
			t.Fatalf("saved from the form: %+v", got)
		}
	})
}
