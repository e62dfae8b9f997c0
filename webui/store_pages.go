package webui

import (
	"net/http"
	"net/url"
	"strings"

	"junction"
	"junction/app"
)

// storeKey is one configuration key of a store's type as its edit form
// shows it: a non-secret key with its value, a secret one only as set or
// not, never with its value.
type storeKey struct {
	junction.ConfigKey
	Value string
	Set   bool
}

// storeTypeOf is the registered type of a store, nil for the database
// store or a type this server does not know.
func (u *UI) storeTypeOf(name string) *junction.CredentialStoreType {
	for _, t := range u.app.StoreTypes() {
		if t.Name == name {
			return &t
		}
	}
	return nil
}

func (u *UI) store(w http.ResponseWriter, r *request) error {
	return u.storePage(w, r, r.PathValue("id"), false, nil)
}

// storePage shows a store and, to those who may change it, its edit form:
// after a refused edit the form keeps what was typed, except secrets.
func (u *UI) storePage(w http.ResponseWriter, r *request, id string, edited bool, formErr error) error {
	s, err := u.app.GetCredentialStore(r.Context(), r.p, id)
	if err != nil {
		return err
	}
	form := map[string]string{"name": s.Name, "proxy_url": s.ProxyURL, "allowed_hosts": strings.Join(s.AllowedHosts, "\n"), "proxy_id": s.ProxyID}
	readOnly, insecure := s.ReadOnly, s.Insecure
	if edited {
		for _, k := range []string{"name", "proxy_url", "allowed_hosts", "proxy_id"} {
			form[k] = r.PostFormValue(k)
		}
		form["proxy_url"] = withoutUserinfo(form["proxy_url"])
		readOnly, insecure = r.PostFormValue("read_only") == "on", r.PostFormValue("insecure") == "on"
	}
	var keys []storeKey
	if t := u.storeTypeOf(s.Type); t != nil {
		for _, k := range t.ConfigKeys {
			sk := storeKey{ConfigKey: k}
			if k.Secret {
				for _, name := range s.SecretKeys {
					sk.Set = sk.Set || name == k.Name
				}
			} else if edited {
				sk.Value = r.PostFormValue("config." + k.Name)
			} else {
				sk.Value = s.Config[k.Name]
			}
			keys = append(keys, sk)
		}
	}
	var proxies []*junction.CredentialProxy
	proxyName := s.ProxyID
	if s.Type == junction.CredentialProxyStoreType {
		proxies = u.proxyChoices(r)
		for _, cp := range proxies {
			if cp.ID == s.ProxyID {
				proxyName = cp.Name
			}
		}
	}
	return u.show(w, r, "store", "stores", "Credential store "+s.Name, map[string]any{
		"S": s, "Form": form, "ReadOnly": readOnly, "Insecure": insecure, "Keys": keys,
		"Proxies": proxies, "ProxyName": proxyName,
		"CanEdit":   !s.BuiltIn && r.p.Access.CanTenant(junction.PermCredentialStoresEdit),
		"CanDelete": !s.BuiltIn && r.p.Access.CanTenant(junction.PermCredentialStoresDelete)}, formErr)
}

// withoutUserinfo drops a password typed into a proxy URL, which the
// service refuses, so that the form shown again does not carry it.
func withoutUserinfo(s string) string {
	if pu, err := url.Parse(strings.TrimSpace(s)); err == nil && pu.User != nil {
		pu.User = nil
		return pu.String()
	}
	return s
}

// hostLines reads a textarea of hosts, one per line; blank lines are
// dropped, and the service checks each host.
func hostLines(s string) []string {
	hosts := []string{}
	for _, line := range strings.Split(s, "\n") {
		if h := strings.TrimSpace(line); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

func (u *UI) updateStore(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	s, err := u.app.GetCredentialStore(r.Context(), r.p, id)
	if err != nil {
		return err
	}
	name, proxy := r.PostFormValue("name"), r.PostFormValue("proxy_url")
	readOnly, insecure := r.PostFormValue("read_only") == "on", r.PostFormValue("insecure") == "on"
	hosts := hostLines(r.PostFormValue("allowed_hosts"))
	in := app.UpdateCredentialStoreInput{Name: &name, ReadOnly: &readOnly, Insecure: &insecure, ProxyURL: &proxy,
		AllowedHosts: &hosts, Config: map[string]*junction.Secret{}}
	if s.Type == junction.CredentialProxyStoreType {
		proxyID := r.PostFormValue("proxy_id")
		in.ProxyID = &proxyID
	}
	if t := u.storeTypeOf(s.Type); t != nil {
		for _, k := range t.ConfigKeys {
			v := r.PostFormValue("config." + k.Name)
			if k.Secret && r.PostFormValue("clear."+k.Name) == "on" {
				in.Config[k.Name] = nil
				continue
			}
			if k.Secret && v == "" {
				continue // an empty secret keeps its sealed value
			}
			sv := junction.NewSecret(v)
			in.Config[k.Name] = &sv
		}
	}
	if _, err := u.app.UpdateCredentialStore(r.Context(), r.p, id, in); err != nil {
		if !isFormError(err) {
			return err
		}
		return u.storePage(w, r, id, true, err)
	}
	return redirect(w, r, "/credential-stores/"+id, "Credential store saved.")
}

func (u *UI) deleteStorePage(w http.ResponseWriter, r *request) error {
	s, err := u.app.GetCredentialStore(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return u.show(w, r, "confirm", "stores", "Delete "+s.Name+"?", confirmData{
		Action: "/credential-stores/" + s.ID + "/delete", Back: "/credential-stores/" + s.ID, Button: "Delete the store",
		What: "The store and its sealed login are deleted. The secrets in the vault stay; a store still used by assets is kept."}, nil)
}

func (u *UI) deleteStore(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	if err := u.app.DeleteCredentialStore(r.Context(), r.p, id); err != nil {
		if !isFormError(err) {
			return err
		}
		return u.storePage(w, r, id, false, err)
	}
	return redirect(w, r, "/credential-stores", "Credential store deleted.")
}
