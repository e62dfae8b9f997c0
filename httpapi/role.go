package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

type createRoleRequest struct {
	Name        string                `json:"name"`
	Description string                `json:"description,omitempty"`
	Permissions []junction.Permission `json:"permissions"`
}

// updateRoleRequest changes a custom role; fields left out stay as they are.
type updateRoleRequest struct {
	Name        *string                `json:"name,omitempty"`
	Description *string                `json:"description,omitempty"`
	Permissions *[]junction.Permission `json:"permissions,omitempty"`
}

func (s *Server) roleRoutes() []route {
	const tag = "roles"
	return []route{
		{method: "POST", path: "/api/v1/roles", op: "createRole", access: tenantWide(junction.PermRolesCreate), tag: tag, summary: "Create a custom role",
			permission: string(junction.PermRolesCreate), request: createRoleRequest{}, response: junction.Role{},
			status: http.StatusCreated, handle: s.createRole},
		{method: "GET", path: "/api/v1/roles", op: "listRoles", access: tenantWide(junction.PermRolesView), tag: tag, summary: "List roles, built-in ones included",
			permission: string(junction.PermRolesView), query: pageParams,
			response: app.List[*junction.Role]{}, status: http.StatusOK, handle: s.listRoles},
		{method: "GET", path: "/api/v1/roles/{id}", op: "getRole", access: tenantWide(junction.PermRolesView), tag: tag, summary: "Get a role",
			permission: string(junction.PermRolesView), response: junction.Role{}, status: http.StatusOK, handle: s.getRole},
		{method: "PATCH", path: "/api/v1/roles/{id}", op: "updateRole", access: tenantWide(junction.PermRolesEdit), tag: tag, summary: "Change a custom role",
			permission: string(junction.PermRolesEdit), request: updateRoleRequest{}, response: junction.Role{},
			status: http.StatusOK, handle: s.updateRole},
		{method: "DELETE", path: "/api/v1/roles/{id}", op: "deleteRole", access: tenantWide(junction.PermRolesDelete), tag: tag, summary: "Delete a custom role that nobody holds",
			permission: string(junction.PermRolesDelete), status: http.StatusNoContent, handle: s.deleteRole},
	}
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request) error {
	var req createRoleRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	role, err := s.app.CreateRole(r.Context(), principal(r), app.CreateRoleInput{
		Name: req.Name, Description: req.Description, Permissions: req.Permissions,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, role)
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	list, err := s.app.ListRoles(r.Context(), principal(r), page)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request) error {
	role, err := s.app.GetRole(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, role)
}

func (s *Server) updateRole(w http.ResponseWriter, r *http.Request) error {
	var req updateRoleRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	role, err := s.app.UpdateRole(r.Context(), principal(r), r.PathValue("id"), app.UpdateRoleInput{
		Name: req.Name, Description: req.Description, Permissions: req.Permissions,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, role)
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteRole(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
