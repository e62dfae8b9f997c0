package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

// createCredentialProxyRequest registers a Credentials Proxy. Key and
// client_key are sealed and never returned.
type createCredentialProxyRequest struct {
	Name string `json:"name"`
	// URL is the proxy's https:// address; URLs, several tried in order.
	URL        string          `json:"url,omitempty"`
	URLs       []string        `json:"urls,omitempty"`
	CACert     string          `json:"ca_cert,omitempty"`
	ClientCert string          `json:"client_cert,omitempty"`
	ClientKey  junction.Secret `json:"client_key,omitzero"`
	Key        junction.Secret `json:"key,omitzero"`
}

// updateCredentialProxyRequest changes a registration; fields left out
// stay as they are. A key or client_key set to "" is removed.
type updateCredentialProxyRequest struct {
	Name       *string          `json:"name,omitempty"`
	URLs       *[]string        `json:"urls,omitempty"`
	CACert     *string          `json:"ca_cert,omitempty"`
	ClientCert *string          `json:"client_cert,omitempty"`
	ClientKey  *junction.Secret `json:"client_key,omitempty"`
	Key        *junction.Secret `json:"key,omitempty"`
}

func (s *Server) credentialProxyRoutes() []route {
	const tag = "credential-proxies"
	return []route{
		{method: "POST", path: "/api/v1/credential-proxies", op: "createCredentialProxy", access: tenantWide(junction.PermCredentialStoresCreate), tag: tag,
			summary:    "Register a Credentials Proxy that reaches vaults inside a private network (checked, not contacted)",
			permission: string(junction.PermCredentialStoresCreate), request: createCredentialProxyRequest{},
			response: junction.CredentialProxy{}, status: http.StatusCreated, handle: s.createCredentialProxy},
		{method: "GET", path: "/api/v1/credential-proxies", op: "listCredentialProxies", access: tenantWide(junction.PermCredentialStoresView), tag: tag,
			summary:    "List the tenant's Credentials Proxies",
			permission: string(junction.PermCredentialStoresView), query: pageParams,
			response: app.List[*junction.CredentialProxy]{}, status: http.StatusOK, handle: s.listCredentialProxies},
		{method: "GET", path: "/api/v1/credential-proxies/{id}", op: "getCredentialProxy", access: tenantWide(junction.PermCredentialStoresView), tag: tag,
			summary:    "Get a Credentials Proxy; its key and client key are named in secret_keys, never shown",
			permission: string(junction.PermCredentialStoresView),
			response:   junction.CredentialProxy{}, status: http.StatusOK, handle: s.getCredentialProxy},
		{method: "PATCH", path: "/api/v1/credential-proxies/{id}", op: "updateCredentialProxy", access: tenantWide(junction.PermCredentialStoresEdit), tag: tag,
			summary:    "Change a Credentials Proxy (a new key, other addresses); the stores going through it are reopened",
			permission: string(junction.PermCredentialStoresEdit), request: updateCredentialProxyRequest{},
			response: junction.CredentialProxy{}, status: http.StatusOK, handle: s.updateCredentialProxy},
		{method: "DELETE", path: "/api/v1/credential-proxies/{id}", op: "deleteCredentialProxy", access: tenantWide(junction.PermCredentialStoresDelete), tag: tag,
			summary:    "Delete a Credentials Proxy no store goes through (409 conflict otherwise)",
			permission: string(junction.PermCredentialStoresDelete), status: http.StatusNoContent, handle: s.deleteCredentialProxy},
		{method: "POST", path: "/api/v1/credential-proxies/{id}/test", op: "testCredentialProxy", access: tenantWide(junction.PermCredentialStoresEdit), tag: tag,
			summary: "Prove the proxy reachable, its certificate trusted and Junction's key or client certificate accepted. " +
				"A failed test still answers 200, with ok false and a code and message",
			permission: string(junction.PermCredentialStoresEdit),
			response:   app.StoreTestResult{}, status: http.StatusOK, handle: s.testCredentialProxy},
	}
}

func (s *Server) createCredentialProxy(w http.ResponseWriter, r *http.Request) error {
	var req createCredentialProxyRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	urls := req.URLs
	if req.URL != "" {
		urls = append([]string{req.URL}, urls...)
	}
	cp, err := s.app.CreateCredentialProxy(r.Context(), principal(r), app.CreateCredentialProxyInput{
		Name: req.Name, URLs: urls, CACert: req.CACert, ClientCert: req.ClientCert, ClientKey: req.ClientKey, Key: req.Key,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, cp)
}

func (s *Server) listCredentialProxies(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	list, err := s.app.ListCredentialProxies(r.Context(), principal(r), page)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getCredentialProxy(w http.ResponseWriter, r *http.Request) error {
	cp, err := s.app.GetCredentialProxy(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cp)
}

func (s *Server) updateCredentialProxy(w http.ResponseWriter, r *http.Request) error {
	var req updateCredentialProxyRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	cp, err := s.app.UpdateCredentialProxy(r.Context(), principal(r), r.PathValue("id"), app.UpdateCredentialProxyInput{
		Name: req.Name, URLs: req.URLs, CACert: req.CACert, ClientCert: req.ClientCert, ClientKey: req.ClientKey, Key: req.Key,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cp)
}

func (s *Server) deleteCredentialProxy(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteCredentialProxy(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) testCredentialProxy(w http.ResponseWriter, r *http.Request) error {
	res, err := s.app.TestCredentialProxy(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
