package junction_test

import (
	"testing"

	"junction/credstore/awssm"
	"junction/credstore/conjur"
	"junction/credstore/gcpsm"
	"junction/credstore/vault"
)

func TestServerIdentity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		typ     string
		config  map[string]string
		key     string
		ambient bool
	}{
		{"GCPOwnKey", gcpsm.TypeName, map[string]string{"project": "p", "credentials_json": "{}"}, "", false},
		{"GCPFile", gcpsm.TypeName, map[string]string{"project": "p", "credentials_file": "/k.json"}, "credentials_file", true},
		{"GCPEnv", gcpsm.TypeName, map[string]string{"project": "p", "credentials_env": "K"}, "credentials_env", true},
		{"GCPAmbient", gcpsm.TypeName, map[string]string{"project": "p"}, "", true},
		{"GCPBlankIsUnset", gcpsm.TypeName, map[string]string{"project": "p", "credentials_json": "  "}, "", true},
		{"AWSKeys", awssm.TypeName, map[string]string{"region": "r", "access_key_id": "a", "secret_access_key": "s"}, "", false},
		{"AWSChain", awssm.TypeName, map[string]string{"region": "r"}, "", true},
		{"ConjurJWTFile", conjur.TypeName, map[string]string{"jwt_service_id": "k8s", "jwt_file": "/var/run/token"}, "jwt_file", true},
		{"ConjurAPIKey", conjur.TypeName, map[string]string{"login": "host/x", "api_key": "k"}, "", false},
		{"VaultNever", vault.TypeName, map[string]string{"address": "https://v", "auth_method": "token"}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			types := map[string]interface {
				ServerIdentity(map[string]string) (string, bool)
			}{gcpsm.TypeName: gcpsm.Type, awssm.TypeName: awssm.Type(), conjur.TypeName: conjur.Type, vault.TypeName: vault.Type}
			key, ok := types[tc.typ].ServerIdentity(tc.config)
			if key != tc.key || ok != tc.ambient {
				t.Fatalf("ServerIdentity = %q, %v; want %q, %v", key, ok, tc.key, tc.ambient)
			}
		})
	}
}
