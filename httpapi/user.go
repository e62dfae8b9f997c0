package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

type createUserRequest struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	// Roles are granted tenant-wide.
	Roles []string `json:"roles,omitempty"`
}

// updateUserRequest changes a user; fields left out stay as they are.
type updateUserRequest struct {
	DisplayName *string   `json:"display_name,omitempty"`
	Email       *string   `json:"email,omitempty"`
	Disabled    *bool     `json:"disabled,omitempty"`
	Roles       *[]string `json:"roles,omitempty"`
}

func (s *Server) userRoutes() []route {
	const tag = "users"
	return []route{
		{method: "POST", path: "/api/v1/users", op: "createUser", access: tenantWide(junction.PermUsersCreate), tag: tag, summary: "Create a user",
			permission: string(junction.PermUsersCreate) + " (and " + string(junction.PermUsersEdit) + " to grant roles)",
			request:    createUserRequest{}, response: app.UserWithRoles{}, status: http.StatusCreated, handle: s.createUser},
		{method: "GET", path: "/api/v1/users", op: "listUsers", access: tenantWide(junction.PermUsersView), tag: tag, summary: "List users",
			permission: string(junction.PermUsersView),
			query: append([]queryParam{
				{name: "name", description: "Only users whose name contains this, ignoring case."},
				{name: "status", description: "Only users in this status: active or disabled."},
				{name: "role", description: "Only users holding the role of this name, tenant-wide or on any folder."},
			}, pageParams...),
			response: app.List[*junction.User]{}, status: http.StatusOK, handle: s.listUsers},
		{method: "GET", path: "/api/v1/users/{id}", op: "getUser", access: selfOr(junction.PermUsersView), tag: tag, summary: "Get a user with their tenant-wide roles",
			permission: string(junction.PermUsersView) + " (or the user themselves)",
			response:   app.UserWithRoles{}, status: http.StatusOK, handle: s.getUser},
		{method: "PATCH", path: "/api/v1/users/{id}", op: "updateUser", access: tenantWide(junction.PermUsersEdit).targetsUsers(), tag: tag, summary: "Change a user",
			permission: string(junction.PermUsersEdit), request: updateUserRequest{}, response: app.UserWithRoles{},
			status: http.StatusOK, handle: s.updateUser},
		{method: "DELETE", path: "/api/v1/users/{id}", op: "deleteUser", access: tenantWide(junction.PermUsersDelete).targetsUsers(), tag: tag, summary: "Delete a user with their tokens",
			permission: string(junction.PermUsersDelete), status: http.StatusNoContent, handle: s.deleteUser},
		{method: "PUT", path: "/api/v1/users/{id}/roles", op: "setUserRoles", access: tenantWide(junction.PermUsersEdit).targetsUsers(), tag: tag,
			summary:    "Replace the roles a user holds tenant-wide",
			permission: string(junction.PermUsersEdit), request: setRolesRequest{}, response: app.UserWithRoles{},
			status: http.StatusOK, handle: s.setUserRoles},
		{method: "PUT", path: "/api/v1/users/{id}/password", op: "setUserPassword", access: selfOr(junction.PermUsersEdit).targetsUsers(), tag: tag,
			summary:    "Set a user's password for signing in to the web UI; every session of the user ends",
			permission: "the user themselves (with current_password when they have one), or " + string(junction.PermUsersEdit),
			request:    setPasswordRequest{}, status: http.StatusNoContent, handle: s.setUserPassword},
	}
}

// setPasswordRequest sets a password: at least 12 characters, not
// containing the user's name. current_password is needed when users
// change their own password and already have one.
type setPasswordRequest struct {
	Password        junction.Secret `json:"password"`
	CurrentPassword junction.Secret `json:"current_password,omitzero"`
}

func (s *Server) setUserPassword(w http.ResponseWriter, r *http.Request) error {
	var req setPasswordRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if err := s.app.SetPassword(r.Context(), principal(r), r.PathValue("id"),
		app.SetPasswordInput{Current: req.CurrentPassword, Password: req.Password}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req createUserRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.app.CreateUser(r.Context(), principal(r), app.CreateUserInput{
		Name: req.Name, DisplayName: req.DisplayName, Email: req.Email, Roles: req.Roles,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.app.ListUsers(r.Context(), principal(r), app.UserQuery{NameContains: q.Get("name"),
		Status: q.Get("status"), Role: q.Get("role"), Page: page})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.app.GetUser(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	var req updateUserRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	u, err := s.app.UpdateUser(r.Context(), principal(r), r.PathValue("id"), app.UpdateUserInput{
		DisplayName: req.DisplayName, Email: req.Email, Disabled: req.Disabled, Roles: req.Roles,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteUser(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) setUserRoles(w http.ResponseWriter, r *http.Request) error {
	var req setRolesRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Roles == nil {
		return junction.Invalid("roles", "is required; send [] to remove every role")
	}
	u, err := s.app.SetUserRoles(r.Context(), principal(r), r.PathValue("id"), req.Roles)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}
