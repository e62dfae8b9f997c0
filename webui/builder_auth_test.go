package webui_test

import (
	"net/http"
	"net/url"
	"regexp"
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

// The auth form's DPoP select turns DPoP off, on, or to a boolean
// connection field, shows what the scheme says, and keeps a field the
// YAML named when the form is saved.
func TestBuilderAuthDPoP(t *testing.T) {
	t.Parallel()
	s := newBuilderSite(t)
	draft := "/builder/" + s.id
	_, _, page := s.do(t, s.cookie, "GET", draft, nil)
	if !strings.Contains(page, `id="auth-new"`) || !strings.Contains(page, `name="dpop"`) {
		t.Fatal("the auth form has no DPoP select")
	}
	csrf := csrfRE.FindStringSubmatch(page)[1]
	post := func(t *testing.T, form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf", csrf)
		status, _, body := s.do(t, s.cookie, "POST", draft+"/auth", form)
		return status, body
	}
	cc := func(was, dpop string) url.Values {
		return url.Values{"was": {was}, "kind": {"oauth2_client_credentials"}, "id": {"cc"},
			"token_url": {"https://auth.example.com/oauth/token"}, "dpop": {dpop}}
	}
	// shown is the DPoP option the page selects for the auth type cc.
	shown := func(t *testing.T) string {
		t.Helper()
		_, _, page := s.do(t, s.cookie, "GET", draft, nil)
		card := page[strings.Index(page, `id="auth-cc"`):]
		card = card[:strings.Index(card, "</details>")]
		m := regexp.MustCompile(`<option value="([a-z]*)" selected>(Off|On|From a boolean connection field)</option>`).FindStringSubmatch(card)
		if m == nil {
			t.Fatalf("no DPoP option selected:\n%s", card)
		}
		return m[1]
	}
	for _, tc := range []struct {
		name, was, dpop string
		want            string // the scheme's dpop as saved
	}{
		{"On", "", "true", "true"},
		{"FromAField", "cc", "field", "{dpop}"},
		{"Off", "cc", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := post(t, cc(tc.was, tc.dpop)); status != http.StatusSeeOther {
				t.Fatalf("save: %d %.600s", status, body[max(0, strings.Index(body, `class="error"`)):])
			}
			a := s.draftAuth(t, "cc")
			if a == nil || a.DPoP != tc.want {
				t.Fatalf("saved %+v, want dpop %q", a, tc.want)
			}
			if got := shown(t); got != tc.dpop {
				t.Fatalf("the page shows DPoP %q, want %q", got, tc.dpop)
			}
		})
	}

	t.Run("FieldDeclaredOnce", func(t *testing.T) {
		for range 2 {
			if status, _ := post(t, cc("cc", "field")); status != http.StatusSeeOther {
				t.Fatalf("save: %d", status)
			}
		}
		a := s.draftAuth(t, "cc")
		var dpop []connector.Field
		for _, f := range a.Fields {
			if f.Name == "dpop" {
				dpop = append(dpop, f)
			}
		}
		if len(dpop) != 1 || dpop[0].Type != connector.FieldBoolean {
			t.Fatalf("fields %+v: want one boolean dpop field", a.Fields)
		}
	})

	// A field the YAML named stays the one the form saves.
	t.Run("KeepsTheYAMLField", func(t *testing.T) {
		a := s.draftAuth(t, "cc")
		a.DPoP = "{require_dpop}"
		a.Fields = append(a.Fields, connector.Field{Name: "require_dpop", Type: connector.FieldBoolean})
		if _, err := s.app.SetDraftAuth(t.Context(), s.admin, s.id, a.Key(), *a); err != nil {
			t.Fatal(err)
		}
		if got := shown(t); got != "field" {
			t.Fatalf("the page shows DPoP %q, want field", got)
		}
		form := cc("cc", "field")
		form.Set("label", "Client credentials")
		if status, _ := post(t, form); status != http.StatusSeeOther {
			t.Fatalf("save: %d", status)
		}
		if got := s.draftAuth(t, "cc"); got.DPoP != "{require_dpop}" || got.Label != "Client credentials" {
			t.Fatalf("saved %+v", got)
		}
	})

	t.Run("ErrNotOAuth", func(t *testing.T) {
		status, body := post(t, url.Values{"kind": {"bearer"}, "id": {"tok"}, "dpop": {"true"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "OAuth 2.0") || !strings.Contains(body, "<code>dpop</code>") {
			t.Fatalf("DPoP on a bearer kind: %d %.600s", status, body[max(0, strings.Index(body, `class="error"`)):])
		}
		if s.draftAuth(t, "tok") != nil {
			t.Fatal("the auth type was saved")
		}
	})
}
