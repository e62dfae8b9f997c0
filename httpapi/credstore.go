package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

// createCredentialStoreRequest configures an external credential store.
// Config holds the type's keys, secret ones included (see GET
// /api/v1/credential-store-types); secret keys are sealed and never
// returned.
type createCredentialStoreRequest struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	ReadOnly bool   `json:"read_only,omitempty"`
	Insecure bool   `json:"insecure,omitempty"`
	ProxyURL string `json:"proxy_url,omitempty"`
	// ProxyID names the credential proxy the store goes through (type
	// credentials-proxy, the default then; config names the proxy's store).
	ProxyID string `json:"proxy_id,omitempty"`
	// AllowedHosts confine where the values of the store's secrets may be
	// sent, through any of its assets, whoever made them.
	AllowedHosts []string                   `json:"allowed_hosts,omitempty"`
	Config       map[string]junction.Secret `json:"config,omitempty"`
}

// updateCredentialStoreRequest changes a store; fields left out stay as
// they are. In config, a key left out keeps its value (a secret key its
// sealed value), and a key set to "" or null is removed.
type updateCredentialStoreRequest struct {
	Name     *string `json:"name,omitempty"`
	ReadOnly *bool   `json:"read_only,omitempty"`
	Insecure *bool   `json:"insecure,omitempty"`
	ProxyURL *string `json:"proxy_url,omitempty"`
	// ProxyID changes the credential proxy the store goes through.
	ProxyID *string `json:"proxy_id,omitempty"`
	// AllowedHosts replaces the store's allowed hosts; [] lifts them.
	AllowedHosts *[]string                   `json:"allowed_hosts,omitempty"`
	Config       map[string]*junction.Secret `json:"config,omitempty"`
}

// credentialStoreType describes a kind of store that can be created.
type credentialStoreType struct {
	Name       string               `json:"name"`
	Writable   bool                 `json:"writable"`
	ConfigKeys []junction.ConfigKey `json:"config_keys"`
	// Choices say which keys go together (one way to log in or another).
	Choices []junction.ConfigChoice `json:"choices"`
}

func (s *Server) credentialStoreRoutes() []route {
	const tag = "credential-stores"
	return []route{
		{method: "GET", path: "/api/v1/credential-store-types", op: "listCredentialStoreTypes", access: authenticated(), tag: tag,
			summary:  "List the credential store types that can be created, with their configuration keys",
			response: app.List[credentialStoreType]{}, status: http.StatusOK, handle: s.listCredentialStoreTypes},
		{method: "POST", path: "/api/v1/credential-stores", op: "createCredentialStore", access: tenantWide(junction.PermCredentialStoresCreate), tag: tag,
			summary:    "Create an external credential store (the configuration is checked, the vault is not contacted)",
			permission: string(junction.PermCredentialStoresCreate), request: createCredentialStoreRequest{},
			response: app.CredentialStoreView{}, status: http.StatusCreated, handle: s.createCredentialStore},
		{method: "GET", path: "/api/v1/credential-stores", op: "listCredentialStores", access: tenantWide(junction.PermCredentialStoresView), tag: tag,
			summary:    "List the tenant's credential stores, the built-in database store included",
			permission: string(junction.PermCredentialStoresView), query: pageParams,
			response: app.List[*app.CredentialStoreView]{}, status: http.StatusOK, handle: s.listCredentialStores},
		{method: "GET", path: "/api/v1/credential-stores/{id}", op: "getCredentialStore", access: tenantWide(junction.PermCredentialStoresView), tag: tag,
			summary:    "Get a credential store; secret configuration keys are named in secret_keys, never shown",
			permission: string(junction.PermCredentialStoresView),
			response:   app.CredentialStoreView{}, status: http.StatusOK, handle: s.getCredentialStore},
		{method: "PATCH", path: "/api/v1/credential-stores/{id}", op: "updateCredentialStore", access: tenantWide(junction.PermCredentialStoresEdit), tag: tag,
			summary:    "Change a credential store; config keys left out are kept, keys set to \"\" or null are removed",
			permission: string(junction.PermCredentialStoresEdit), request: updateCredentialStoreRequest{},
			response: app.CredentialStoreView{}, status: http.StatusOK, handle: s.updateCredentialStore},
		{method: "DELETE", path: "/api/v1/credential-stores/{id}", op: "deleteCredentialStore", access: tenantWide(junction.PermCredentialStoresDelete), tag: tag,
			summary:    "Delete a credential store no asset uses (409 conflict with the count otherwise)",
			permission: string(junction.PermCredentialStoresDelete), status: http.StatusNoContent, handle: s.deleteCredentialStore},
		{method: "POST", path: "/api/v1/credential-stores/{id}/test", op: "testCredentialStore", access: tenantWide(junction.PermCredentialStoresEdit), tag: tag,
			summary: "Log in to the store and prove it reachable without reading a secret. A failed test " +
				"still answers 200, with ok false and a code and message saying what to fix (login, permissions); " +
				"a store that cannot be reached gets one message whatever the cause, which only host administrators see in detail",
			permission: string(junction.PermCredentialStoresEdit),
			response:   app.StoreTestResult{}, status: http.StatusOK, handle: s.testCredentialStore},
	}
}

func (s *Server) listCredentialStoreTypes(w http.ResponseWriter, r *http.Request) error {
	types := s.app.StoreTypes()
	out := app.List[credentialStoreType]{Items: make([]credentialStoreType, 0, len(types))}
	for _, t := range types {
		keys := t.ConfigKeys
		if keys == nil {
			keys = []junction.ConfigKey{}
		}
		choices := t.Choices
		if choices == nil {
			choices = []junction.ConfigChoice{}
		}
		out.Items = append(out.Items, credentialStoreType{Name: t.Name, Writable: t.Writable, ConfigKeys: keys, Choices: choices})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createCredentialStore(w http.ResponseWriter, r *http.Request) error {
	var req createCredentialStoreRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	cs, err := s.app.CreateCredentialStore(r.Context(), principal(r), app.CreateCredentialStoreInput{
		Name: req.Name, Type: req.Type, ReadOnly: req.ReadOnly, Insecure: req.Insecure,
		ProxyURL: req.ProxyURL, ProxyID: req.ProxyID, AllowedHosts: req.AllowedHosts, Config: req.Config,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, cs)
}

func (s *Server) listCredentialStores(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	list, err := s.app.ListCredentialStores(r.Context(), principal(r), page)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getCredentialStore(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.app.GetCredentialStore(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cs)
}

func (s *Server) updateCredentialStore(w http.ResponseWriter, r *http.Request) error {
	var req updateCredentialStoreRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	cs, err := s.app.UpdateCredentialStore(r.Context(), principal(r), r.PathValue("id"), app.UpdateCredentialStoreInput{
		Name: req.Name, ReadOnly: req.ReadOnly, Insecure: req.Insecure, ProxyURL: req.ProxyURL, ProxyID: req.ProxyID,
		AllowedHosts: req.AllowedHosts, Config: req.Config,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cs)
}

func (s *Server) deleteCredentialStore(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteCredentialStore(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) testCredentialStore(w http.ResponseWriter, r *http.Request) error {
	res, err := s.app.TestCredentialStore(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
