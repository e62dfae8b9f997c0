package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

type createFolderRequest struct {
	Name     string `json:"name"`
	ParentID string `json:"parent_id,omitempty"`
}

// updateFolderRequest renames and/or moves a folder. A parent_id of ""
// moves it to the top level; leaving parent_id out (or null) keeps it.
type updateFolderRequest struct {
	Name     *string `json:"name,omitempty"`
	ParentID *string `json:"parent_id,omitempty"`
}

type setRolesRequest struct {
	Roles []string `json:"roles"`
}

func (s *Server) folderRoutes() []route {
	const tag = "folders"
	return []route{
		{method: "POST", path: "/api/v1/folders", op: "createFolder", access: tenantWide(junction.PermFoldersCreate), tag: tag, summary: "Create a folder",
			permission: string(junction.PermFoldersCreate), request: createFolderRequest{}, response: junction.Folder{},
			status: http.StatusCreated, handle: s.createFolder},
		{method: "GET", path: "/api/v1/folders", op: "listFolders", access: authenticated(), tag: tag,
			summary: "List the folders the caller can see",
			query: append([]queryParam{
				{name: "parent_id", description: "Only the direct children of this folder."},
				{name: "name", description: "Only folders whose name contains this, ignoring case."},
			}, pageParams...),
			response: app.List[*junction.Folder]{}, status: http.StatusOK, handle: s.listFolders},
		{method: "GET", path: "/api/v1/folders/{id}", op: "getFolder", access: inFolder(), tag: tag, summary: "Get a folder",
			response: junction.Folder{}, status: http.StatusOK, handle: s.getFolder},
		{method: "PATCH", path: "/api/v1/folders/{id}", op: "updateFolder", access: inFolder(junction.PermFoldersEdit), tag: tag, summary: "Rename or move a folder",
			permission: string(junction.PermFoldersEdit), request: updateFolderRequest{}, response: junction.Folder{},
			status: http.StatusOK, handle: s.updateFolder},
		{method: "DELETE", path: "/api/v1/folders/{id}", op: "deleteFolder", access: inFolder(junction.PermFoldersDelete), tag: tag,
			summary:    "Delete a folder with its subfolders",
			permission: string(junction.PermFoldersDelete), status: http.StatusNoContent, handle: s.deleteFolder},
		{method: "GET", path: "/api/v1/folders/{id}/members", op: "listFolderMembers", access: inFolder(junction.PermUsersView), tag: tag,
			summary: "List the roles assigned directly on a folder", permission: string(junction.PermUsersView),
			response: app.List[app.FolderMember]{}, status: http.StatusOK, handle: s.listFolderMembers},
		{method: "PUT", path: "/api/v1/folders/{id}/members/{user_id}", op: "setFolderMember", access: inFolder(junction.PermUsersEdit).targetsUsers(), tag: tag,
			summary:    "Replace the roles a user holds on a folder",
			permission: string(junction.PermUsersEdit), request: setRolesRequest{}, response: app.FolderMember{},
			status: http.StatusOK, handle: s.setFolderMember},
		{method: "DELETE", path: "/api/v1/folders/{id}/members/{user_id}", op: "removeFolderMember", access: inFolder(junction.PermUsersEdit).targetsUsers(), tag: tag,
			summary:    "Remove a user's roles on a folder",
			permission: string(junction.PermUsersEdit), status: http.StatusNoContent, handle: s.removeFolderMember},
	}
}

func (s *Server) createFolder(w http.ResponseWriter, r *http.Request) error {
	var req createFolderRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	f, err := s.app.CreateFolder(r.Context(), principal(r), app.CreateFolderInput{Name: req.Name, ParentID: req.ParentID})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

func (s *Server) listFolders(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.app.ListFolders(r.Context(), principal(r), app.FolderQuery{
		ParentID: q.Get("parent_id"), NameContains: q.Get("name"), Page: page,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getFolder(w http.ResponseWriter, r *http.Request) error {
	f, err := s.app.GetFolder(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (s *Server) updateFolder(w http.ResponseWriter, r *http.Request) error {
	var req updateFolderRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	f, err := s.app.UpdateFolder(r.Context(), principal(r), r.PathValue("id"), app.UpdateFolderInput{Name: req.Name, ParentID: req.ParentID})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (s *Server) deleteFolder(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteFolder(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listFolderMembers(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.app.ListFolderMembers(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app.List[app.FolderMember]{Items: ms})
}

func (s *Server) setFolderMember(w http.ResponseWriter, r *http.Request) error {
	var req setRolesRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.Roles == nil {
		return junction.Invalid("roles", "is required; send [] to remove every role")
	}
	m, err := s.app.SetFolderMember(r.Context(), principal(r), r.PathValue("id"), r.PathValue("user_id"), req.Roles)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) removeFolderMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.RemoveFolderMember(r.Context(), principal(r), r.PathValue("id"), r.PathValue("user_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
