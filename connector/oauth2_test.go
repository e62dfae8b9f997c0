package connector_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"junction/connector"
)

func TestOAuth2Settings(t *testing.T) {
	t.Run("ZendeskSubdomainEndpoints", func(t *testing.T) {
		d := mustDefinition(t, "zendesk")
		s, err := d.OAuth2(connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"subdomain": "acme", "client_id": "junction"}, Secrets: secrets("client_secret", "cs-value")})
		if err != nil {
			t.Fatal(err)
		}
		if s.AuthorizeURL != "https://acme.zendesk.com/oauth/authorizations/new" || s.TokenURL != "https://acme.zendesk.com/oauth/tokens" || !s.PKCE {
			t.Fatalf("got %+v", s)
		}
		if strings.Contains(fmt.Sprintf("%v %+v", s, s), "cs-value") {
			t.Fatal("settings print the client secret")
		}
		cfg := s.Config("https://junction.example.com/oauth/callback")
		u, _ := url.Parse(cfg.AuthCodeURL("state-1", s.AuthCodeOptions(oauth2.GenerateVerifier())...))
		q := u.Query()
		if q.Get("client_id") != "junction" || q.Get("scope") != "read write" || q.Get("code_challenge_method") != "S256" || q.Get("state") != "state-1" {
			t.Errorf("authorize URL = %s", u)
		}
	})
	t.Run("SlackCommaScopes", func(t *testing.T) {
		d := mustDefinition(t, "slack")
		s, err := d.OAuth2(connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"client_id": "1.2"}, Secrets: secrets("client_secret", "x")})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(s.Config("https://j.example.com/cb").AuthCodeURL("s"))
		if got := u.Query().Get("scope"); !strings.HasPrefix(got, "chat:write,channels:read") {
			t.Errorf("scope = %q", got)
		}
	})
	t.Run("GenericClientCredentials", func(t *testing.T) {
		d := mustDefinition(t, "http")
		s, err := d.OAuth2(connector.Credentials{Auth: "oauth2_client_credentials",
			Fields:  map[string]string{"base_url": "https://api.example.com", "token_url": "https://id.example.com/token", "client_id": "c", "scopes": "a b,c"},
			Secrets: secrets("client_secret", "s")})
		if err != nil {
			t.Fatal(err)
		}
		cc := s.ClientCredentialsConfig()
		if cc.TokenURL != "https://id.example.com/token" || strings.Join(cc.Scopes, "|") != "a|b|c" || cc.ClientSecret != "s" {
			t.Errorf("got %+v", cc)
		}
	})
	t.Run("ErrNotOAuth", func(t *testing.T) {
		_, err := mustDefinition(t, "github").OAuth2(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")})
		wantInvalid(t, err, "auth")
	})
	t.Run("ErrPlainHTTPTokenURL", func(t *testing.T) {
		_, err := mustDefinition(t, "http").OAuth2(connector.Credentials{Auth: "oauth2_client_credentials",
			Fields:  map[string]string{"base_url": "https://api.example.com", "token_url": "http://id.example.com/token", "client_id": "c"},
			Secrets: secrets("client_secret", "s")})
		wantInvalid(t, err, "fields.token_url")
	})
}
