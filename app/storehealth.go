package app

import "junction/resolver"

// CredentialStoreHealth tells how reads of a store went on this server,
// from memory, without calling the store: pages show it on every view. The
// caller has listed the store with the caller's permissions; the answer
// holds times only. The zero value when the app runs without a resolver.
func (a *App) CredentialStoreHealth(id string) resolver.StoreHealth {
	if a.resolver == nil {
		return resolver.StoreHealth{}
	}
	return a.resolver.StoreHealth(id)
}
