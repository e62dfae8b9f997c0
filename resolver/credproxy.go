package resolver

import (
	"context"
	"strings"

	"junction"
)

// ProxySettingKeys are the configuration keys a store that goes through a
// registered credential proxy takes from the proxy: its addresses, CA,
// client certificate, and sealed key and client key. The store's own
// configuration names only what the proxy serves.
var ProxySettingKeys = []string{"url", "ca_cert", "client_cert", "client_key", "key"}

// addProxySettings completes the configuration of a store that names a
// credential proxy with the proxy's settings, its sealed ones opened.
func (r *Resolver) addProxySettings(ctx context.Context, cfg *junction.CredentialStoreConfig, merged map[string]string) error {
	if cfg.ProxyID == "" {
		return nil
	}
	p, err := r.opts.Store.GetCredentialProxy(ctx, cfg.TenantID, cfg.ProxyID)
	if err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) {
			return junction.Invalid("proxy_id", "names no credential proxy of this tenant")
		}
		return err
	}
	for _, k := range ProxySettingKeys {
		delete(merged, k)
	}
	merged["url"] = strings.Join(p.URLs, ",")
	if p.CACert != "" {
		merged["ca_cert"] = p.CACert
	}
	if p.ClientCert != "" {
		merged["client_cert"] = p.ClientCert
	}
	if p.SealedID != "" {
		secrets, err := OpenStoreSecrets(ctx, r.opts.Store, r.opts.Keyring, p.TenantID, p.SealedID)
		if err != nil {
			return err
		}
		for k, v := range secrets {
			merged[k] = v
		}
		clear(secrets)
	}
	return nil
}
