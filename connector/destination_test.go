package connector_test

import (
	"slices"
	"testing"
)

func TestDestinationFields(t *testing.T) {
	for _, tc := range []struct {
		connector, auth string
		want            []string
	}{
		{"http", "bearer", []string{"base_url"}},
		{"http", "oauth2_client_credentials", []string{"base_url", "token_url"}},
		{"http", "oauth2_authorization_code", []string{"base_url", "token_url", "authorize_url"}},
		{"jira", "basic", []string{"site"}},
		{"zendesk", "oauth2_authorization_code", []string{"subdomain"}},
		{"github", "bearer", nil},
	} {
		got := mustDefinition(t, tc.connector).DestinationFields(tc.auth)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: %q, want %q", tc.connector, tc.auth, got, tc.want)
		}
	}
}

func TestAuthSentFields(t *testing.T) {
	for _, tc := range []struct {
		connector, auth         string
		request, token, consent []string
	}{
		{"http", "bearer", []string{"token"}, nil, nil},
		{"http", "basic", []string{"username", "password"}, nil, nil},
		{"http", "api_key", []string{"api_key", "api_key_name"}, nil, nil},
		{"http", "custom", []string{"header_name", "header_value"}, nil, nil},
		{"http", "oauth2_client_credentials", nil, []string{"client_id", "client_secret"}, nil},
		{"http", "oauth2_authorization_code", nil, []string{"client_id", "client_secret"}, []string{"client_id"}},
		{"twilio", "api_key", []string{"api_key_sid", "api_key_secret"}, nil, nil},
	} {
		a := mustDefinition(t, tc.connector).AuthByID(tc.auth)
		if got := a.RequestFields(); !slices.Equal(got, tc.request) {
			t.Errorf("%s %s: request fields %q, want %q", tc.connector, tc.auth, got, tc.request)
		}
		if got := a.TokenFields(); !slices.Equal(got, tc.token) {
			t.Errorf("%s %s: token fields %q, want %q", tc.connector, tc.auth, got, tc.token)
		}
		if got := a.AuthorizeFields(); !slices.Equal(got, tc.consent) {
			t.Errorf("%s %s: authorize fields %q, want %q", tc.connector, tc.auth, got, tc.consent)
		}
	}
}
