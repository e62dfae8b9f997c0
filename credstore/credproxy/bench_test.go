package credproxy_test

import (
	"testing"
	"time"

	"junction"
	"junction/credstore/credproxy"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
)

// BenchmarkRead compares a read from the Vault test server made directly
// with one made through a proxy (both over TLS, connections kept alive):
// the proxy's cost is one more TLS hop and a JSON round trip.
func BenchmarkRead(b *testing.B) {
	srv, clock := newVault(b)
	srv.Put("secret/junction/bench", map[string]string{"value": "bench-value-0f3a"})
	def := vaultDefinition(srv)
	opts := junction.CredentialStoreOptions{Name: "bench", Clock: clock, Timeout: 10 * time.Second, Allow: credstoretest.Loopback}

	b.Run("Direct", func(b *testing.B) {
		s, err := vault.Open(def.Config, opts)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		for b.Loop() {
			if _, err := s.Read(b.Context(), junction.KindSecret, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ThroughProxy", func(b *testing.B) {
		ps, err := credproxy.NewServer(credproxy.ServerOptions{Stores: map[string]credproxy.Definition{storeRef: def},
			Types: map[string]junction.CredentialStoreType{vault.TypeName: vault.Type}, Keys: []junction.Secret{junction.NewSecret(proxyKey)},
			Allow: credstoretest.Loopback, Clock: clock})
		if err != nil {
			b.Fatal(err)
		}
		defer ps.Close()
		ts := credstoretest.NewTLSServer(b, ps.Handler(), credstoretest.TLSServerConfig{})
		s, err := credproxy.Open(map[string]string{"url": ts.URL(), "store": storeRef, "ca_cert": ts.CACertPEM(), "key": proxyKey}, opts)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		for b.Loop() {
			if _, err := s.Read(b.Context(), junction.KindSecret, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
