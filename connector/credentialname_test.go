package connector_test

import (
	"testing"

	"junction/connector"
)

func TestNamesCredential(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"X-Api-Key", true},
		{"api_key", true},
		{"X-Auth-Token", true},
		{"client_secret", true},
		{"X-Hub-Signature", true},
		{"Authorization", true},
		{"PASSWORD", true},
		{"owner", false},
		{"repo", false},
		{"labels", false},
		{"", false},
	} {
		if got := connector.NamesCredential(tc.name); got != tc.want {
			t.Errorf("NamesCredential(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
