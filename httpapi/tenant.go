package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

type createTenantRequest struct {
	Name string `json:"name"`
	// AdminName is the first administrator's login name; "admin" when empty.
	AdminName string `json:"admin_name,omitempty"`
}

// tenantCreatedResponse carries the new administrator's token, shown once.
type tenantCreatedResponse struct {
	Tenant  *junction.Tenant `json:"tenant"`
	Admin   *junction.User   `json:"admin"`
	TokenID string           `json:"token_id"`
	Token   string           `json:"token"`
}

func (s *Server) tenantRoutes() []route {
	return []route{
		{method: "POST", path: "/api/v1/tenants", op: "createTenant", access: hostAdmin(), tag: "tenants",
			summary:    "Create a tenant with its first administrator and their token",
			permission: "host administrator", request: createTenantRequest{}, response: tenantCreatedResponse{},
			status: http.StatusCreated, handle: s.createTenant},
		{method: "GET", path: "/api/v1/tenants", op: "listTenants", access: authenticated(), tag: "tenants",
			summary: "List tenants: all for a host administrator, otherwise the caller's own",
			query:   pageParams, response: app.List[*junction.Tenant]{}, status: http.StatusOK, handle: s.listTenants},
	}
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) error {
	var req createTenantRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	res, err := s.app.CreateTenant(r.Context(), principal(r), app.CreateTenantInput{Name: req.Name, AdminName: req.AdminName})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, tenantCreatedResponse{
		Tenant: res.Tenant, Admin: res.Admin, TokenID: res.TokenID,
		Token: res.Token.Reveal(), // shown once, to the host administrator who hands it over
	})
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	list, err := s.app.ListTenants(r.Context(), principal(r), page)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}
