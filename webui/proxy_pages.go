package webui

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"junction"
	"junction/app"
)

// The pages of the tenant's Credentials Proxy registrations. A proxy's
// shared key and client key are write-only: the forms take them in
// password inputs and never show them back, set or not.

func (u *UI) proxyRoutes() map[string]func(http.ResponseWriter, *request) error {
	return map[string]func(http.ResponseWriter, *request) error{
		"GET /credential-proxies":              u.proxies,
		"POST /credential-proxies":             u.createProxy,
		"GET /credential-proxies/{id}":         u.proxy,
		"POST /credential-proxies/{id}/edit":   u.updateProxy,
		"POST /credential-proxies/{id}/test":   u.testProxy,
		"GET /credential-proxies/{id}/delete":  u.deleteProxyPage,
		"POST /credential-proxies/{id}/delete": u.deleteProxy,
	}
}

// proxyRow is a registration as the list shows it.
type proxyRow struct {
	*junction.CredentialProxy
	Auth string
}

// proxyAuth says how Junction authenticates to the proxy.
func proxyAuth(cp *junction.CredentialProxy) string {
	var ways []string
	for _, k := range cp.SecretKeys {
		switch k {
		case "key":
			ways = append(ways, "shared key")
		case "client_key":
			ways = append(ways, "client certificate")
		}
	}
	return strings.Join(ways, " and ")
}

// proxyForm is what a refused form shows again: the text fields as typed,
// never a secret.
func proxyForm(r *request) map[string]string {
	form := map[string]string{}
	for _, k := range []string{"name", "urls", "ca_cert", "client_cert"} {
		form[k] = r.PostFormValue(k)
	}
	return form
}

func (u *UI) proxies(w http.ResponseWriter, r *request) error { return u.proxiesPage(w, r, nil) }

func (u *UI) proxiesPage(w http.ResponseWriter, r *request, formErr error) error {
	// A tenant registers a handful of proxies: read them all, then search
	// and page here, as the stores list does.
	all, err := readAll(func(pg junction.Page) (app.List[*junction.CredentialProxy], error) {
		return u.app.ListCredentialProxies(r.Context(), r.p, pg)
	})
	if err != nil {
		return err
	}
	search := strings.TrimSpace(r.URL.Query().Get("q"))
	var rows []proxyRow
	for _, cp := range all {
		if matches(search, append([]string{cp.Name}, cp.URLs...)...) {
			rows = append(rows, proxyRow{CredentialProxy: cp, Auth: proxyAuth(cp)})
		}
	}
	rows, pg := slicePage(r, rows)
	form := map[string]string{}
	if formErr != nil {
		form = proxyForm(r)
	}
	return u.show(w, r, "proxies", "stores", "Credentials proxies", map[string]any{
		"Items": rows, "Pager": pg, "Q": search, "Form": form,
		"CanCreate": r.p.Access.CanTenant(junction.PermCredentialStoresCreate)}, formErr)
}

func (u *UI) createProxy(w http.ResponseWriter, r *request) error {
	cp, err := u.app.CreateCredentialProxy(r.Context(), r.p, app.CreateCredentialProxyInput{
		Name: r.PostFormValue("name"), URLs: hostLines(r.PostFormValue("urls")), CACert: r.PostFormValue("ca_cert"),
		ClientCert: r.PostFormValue("client_cert"), ClientKey: junction.NewSecret(r.PostFormValue("client_key")),
		Key: junction.NewSecret(r.PostFormValue("key"))})
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.proxiesPage(w, r, err)
	}
	return redirect(w, r, "/credential-proxies/"+cp.ID, fmt.Sprintf("Credentials proxy %s registered.", cp.Name))
}

func (u *UI) proxy(w http.ResponseWriter, r *request) error {
	return u.proxyPage(w, r, r.PathValue("id"), nil, nil)
}

// proxyPage shows a registration and, to those who may change it, its
// edit form and Test button; after a refused edit the form keeps what was
// typed, except secrets.
func (u *UI) proxyPage(w http.ResponseWriter, r *request, id string, test *app.StoreTestResult, formErr error) error {
	cp, err := u.app.GetCredentialProxy(r.Context(), r.p, id)
	if err != nil {
		return err
	}
	form := map[string]string{"name": cp.Name, "urls": strings.Join(cp.URLs, "\n"), "ca_cert": cp.CACert, "client_cert": cp.ClientCert}
	if formErr != nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/edit") {
		form = proxyForm(r)
	}
	canEdit := r.p.Access.CanTenant(junction.PermCredentialStoresEdit)
	return u.show(w, r, "proxy", "stores", "Credentials proxy "+cp.Name, map[string]any{
		"P": cp, "Auth": proxyAuth(cp), "Form": form, "Test": test,
		"HasKey": slices.Contains(cp.SecretKeys, "key"), "HasClientKey": slices.Contains(cp.SecretKeys, "client_key"),
		"CanEdit": canEdit, "CanTest": canEdit,
		"CanDelete": r.p.Access.CanTenant(junction.PermCredentialStoresDelete)}, formErr)
}

// updateProxy saves the fields that changed: every save of an unchanged
// field would reopen the stores going through the proxy on every server.
// An empty secret keeps the sealed one; only the explicit boxes remove.
func (u *UI) updateProxy(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	cur, err := u.app.GetCredentialProxy(r.Context(), r.p, id)
	if err != nil {
		return err
	}
	var in app.UpdateCredentialProxyInput
	if name := r.PostFormValue("name"); name != cur.Name {
		in.Name = &name
	}
	if urls := hostLines(r.PostFormValue("urls")); strings.Join(urls, "\n") != strings.Join(cur.URLs, "\n") {
		in.URLs = &urls
	}
	if ca := strings.TrimSpace(r.PostFormValue("ca_cert")); ca != cur.CACert {
		in.CACert = &ca
	}
	none := junction.Secret{}
	if r.PostFormValue("remove_client_cert") == "on" {
		empty := ""
		in.ClientCert, in.ClientKey = &empty, &none
	} else {
		if cert := strings.TrimSpace(r.PostFormValue("client_cert")); cert != cur.ClientCert {
			in.ClientCert = &cert
		}
		if v := r.PostFormValue("client_key"); v != "" {
			k := junction.NewSecret(v)
			in.ClientKey = &k
		}
	}
	if r.PostFormValue("remove_key") == "on" {
		in.Key = &none
	} else if v := r.PostFormValue("key"); v != "" {
		k := junction.NewSecret(v)
		in.Key = &k
	}
	if _, err := u.app.UpdateCredentialProxy(r.Context(), r.p, id, in); err != nil {
		if !isFormError(err) {
			return err
		}
		return u.proxyPage(w, r, id, nil, err)
	}
	return redirect(w, r, "/credential-proxies/"+id, "Credentials proxy saved.")
}

func (u *UI) testProxy(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	res, err := u.app.TestCredentialProxy(r.Context(), r.p, id)
	if err != nil && !isFormError(err) {
		return err
	}
	return u.proxyPage(w, r, id, res, err)
}

func (u *UI) deleteProxyPage(w http.ResponseWriter, r *request) error {
	cp, err := u.app.GetCredentialProxy(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return u.show(w, r, "confirm", "stores", "Delete "+cp.Name+"?", confirmData{
		Action: "/credential-proxies/" + cp.ID + "/delete", Back: "/credential-proxies/" + cp.ID, Button: "Delete the registration",
		What: "The registration and its sealed key are deleted; the proxy itself keeps running. A proxy that stores still go through is kept."}, nil)
}

func (u *UI) deleteProxy(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	if err := u.app.DeleteCredentialProxy(r.Context(), r.p, id); err != nil {
		if !isFormError(err) {
			return err
		}
		return u.proxyPage(w, r, id, nil, err)
	}
	return redirect(w, r, "/credential-proxies", "Credentials proxy deleted.")
}

// proxySelect is what the store forms' select of proxies shows.
type proxySelect struct {
	Proxies  []*junction.CredentialProxy
	Selected string
	Err      *problem
}

// proxyChoices are the tenant's proxies a credentials-proxy store may
// name, for the store forms' select; nil when the user may not list them.
func (u *UI) proxyChoices(r *request) []*junction.CredentialProxy {
	all, err := readAll(func(pg junction.Page) (app.List[*junction.CredentialProxy], error) {
		return u.app.ListCredentialProxies(r.Context(), r.p, pg)
	})
	if err != nil {
		return nil
	}
	return all
}
