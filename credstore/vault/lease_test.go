package vault_test

import (
	"testing"
	"time"

	"junction"
	"junction/credstore/vault"
)

// A read says how long its value stays valid: the lease KV v1 answers
// with (the secret's ttl key, else the mount's month), or the ttl key a
// KV v2 secret carries, which Vault does not turn into a lease there.
func TestRead_ValidFor(t *testing.T) {
	for _, tc := range []struct {
		engine, mount string
		data          map[string]any
		want          time.Duration
	}{
		{vault.EngineKV1, "kv", map[string]any{"value": "v1-ttl-4c1e", "ttl": "10m"}, 10 * time.Minute},
		{vault.EngineKV1, "kv", map[string]any{"value": "v1-none-77a0"}, 32 * 24 * time.Hour},
		{vault.EngineKV2, "secret", map[string]any{"value": "v2-ttl-0b3d", "ttl": "10m"}, 10 * time.Minute},
		{vault.EngineKV2, "secret", map[string]any{"value": "v2-seconds-19ff", "ttl": 600.0}, 10 * time.Minute},
		{vault.EngineKV2, "secret", map[string]any{"value": "v2-none-5e2a"}, 0},
		{vault.EngineKV2, "secret", map[string]any{"value": "v2-bad-8d6c", "ttl": "soon"}, 0},
	} {
		t.Run(tc.engine, func(t *testing.T) {
			srv, clock := newServer(t)
			cfg := baseConfig(srv, vault.AuthAppRole)
			cfg["engine"], cfg["mount"] = tc.engine, tc.mount
			srv.PutJSON(tc.mount+"/leased", tc.data)
			s := mustOpen(t, cfg, clock)
			v, err := s.Read(t.Context(), junction.KindSecret, "leased")
			if err != nil {
				t.Fatal(err)
			}
			if v.ValidFor != tc.want || v.Value.Reveal() != tc.data["value"] {
				t.Fatalf("read valid for %s, want %s", v.ValidFor, tc.want)
			}
		})
	}
}
