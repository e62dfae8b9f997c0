package main

import (
	"net/http"
	"net/netip"

	"github.com/spf13/pflag"

	"junction"
	"junction/credstore/awssm"
	"junction/credstore/azurekv"
	"junction/credstore/cyberark"
	"junction/credstore/vault"
	"junction/httpapi"
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
	api := httpapi.New(m.app, httpapi.Options{
		Logger:         m.logger,
		Readiness:      m.db.Ping,
		TrustedProxies: proxies,
		Version:        version,
	})
	return api.Handler(), nil
}
