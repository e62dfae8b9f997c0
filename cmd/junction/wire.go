package main

import (
	"fmt"
	"net/http"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/pflag"

	"junction"
	"junction/connector"
	"junction/credstore/awssm"
	"junction/credstore/azurekv"
	"junction/credstore/cyberark"
	"junction/credstore/vault"
	"junction/engine"
	"junction/httpapi"
	"junction/outbound"
	"junction/resolver"
)

// storeTypes is the registry of external credential store types, by the
// name used in a store's "type". Adding a vault means adding its package
// here; the built-in "database" type needs no entry.
func storeTypes() map[string]junction.CredentialStoreType {
	return map[string]junction.CredentialStoreType{
		vault.TypeName:    vault.Type,
		cyberark.TypeName: cyberark.Type,
		azurekv.TypeName:  azurekv.Type(),
		awssm.TypeName:    awssm.Type(),
	}
}

func newFlagSet() *pflag.FlagSet {
	return pflag.NewFlagSet("serve", pflag.ContinueOnError)
}

// handler builds the HTTP API over the app.
func (m *Main) handler() (http.Handler, error) {
	proxies := make([]netip.Prefix, 0, len(m.Config.TrustedProxies))
	for _, p := range m.Config.TrustedProxies {
		// validate already checked every prefix.
		proxies = append(proxies, netip.MustParsePrefix(p).Masked())
	}
	opts := httpapi.Options{
		Logger:         m.logger,
		Readiness:      m.db.Ping,
		TrustedProxies: proxies,
		Version:        version,
	}
	if m.Config.MetricsEnabled() {
		opts.Metrics = m.metrics
	}
	api := httpapi.New(m.app, opts)
	return api.Handler(), nil
}

// newMetricsRegistry makes the one registry /metrics serves: the Go
// runtime, the process, and the secret cache's counters; the engine adds
// its own.
func newMetricsRegistry(res *resolver.Resolver) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		res.Collector(),
	)
	return reg
}

// newEngine builds the engine over the outbound client, which may reach
// the private networks --outbound-allow names and no others.
func (m *Main) newEngine(catalog *connector.Catalog) (*engine.Engine, error) {
	allow := make([]netip.Prefix, 0, len(m.Config.OutboundAllow))
	for _, p := range m.Config.OutboundAllow {
		// validate already checked every prefix.
		allow = append(allow, netip.MustParsePrefix(p).Masked())
	}
	out, err := outbound.New(outbound.Options{Allow: allow, Clock: m.Clock, Logger: m.logger})
	if err != nil {
		return nil, fmt.Errorf("outbound client: %w", err)
	}
	eng, err := engine.New(engine.Options{
		Store: m.db, Keyring: m.keyring, Catalog: catalog, Resolver: m.resolver, Outbound: out,
		Clock: m.Clock, Logger: m.logger, Registerer: m.metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	return eng, nil
}
