package main

import (
	"net/http"
	"net/netip"

	"github.com/spf13/pflag"

	"junction/httpapi"
)

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
	api := httpapi.New(m.app, httpapi.Options{
		Logger:         m.logger,
		Readiness:      m.db.Ping,
		TrustedProxies: proxies,
		Version:        version,
	})
	return api.Handler(), nil
}
