package webui

import (
	"net/http"
	"slices"
	"strings"

	"junction"
	"junction/app"
)

// folderRow is a folder in the tree: Depth is how far below the top of
// what the caller sees it sits.
type folderRow struct {
	*junction.Folder
	Depth              int
	CanEdit, CanDelete bool
}

// Indent is the row's indentation, a few spaces per level; the strict
// CSP allows no inline style to do it.
func (f folderRow) Indent() string { return strings.Repeat("\u00a0\u00a0\u00a0\u00a0", f.Depth) }

// allFolders reads every folder the caller sees, page by page.
func (u *UI) allFolders(r *request) ([]*junction.Folder, error) {
	var out []*junction.Folder
	q := app.FolderQuery{Page: junction.Page{Limit: junction.MaxPageSize}}
	for {
		list, err := u.app.ListFolders(r.Context(), r.p, q)
		if err != nil {
			return nil, err
		}
		out = append(out, list.Items...)
		if list.NextCursor == "" {
			return out, nil
		}
		q.After = list.NextCursor
	}
}

// folderTree orders folders depth first, children under their parent by
// name. A folder whose parent the caller cannot see starts a tree of its
// own.
func folderTree(p *junction.Principal, folders []*junction.Folder) []folderRow {
	seen := map[string]bool{}
	children := map[string][]*junction.Folder{}
	for _, f := range folders {
		seen[f.ID] = true
	}
	for _, f := range folders {
		parent := f.ParentID
		if !seen[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], f)
	}
	for _, fs := range children {
		slices.SortFunc(fs, func(a, b *junction.Folder) int {
			return strings.Compare(strings.ToLower(a.Name)+"\x00"+a.ID, strings.ToLower(b.Name)+"\x00"+b.ID)
		})
	}
	var out []folderRow
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, f := range children[parent] {
			out = append(out, folderRow{Folder: f, Depth: depth,
				CanEdit: p.Access.Can(junction.PermFoldersEdit, f), CanDelete: p.Access.Can(junction.PermFoldersDelete, f)})
			walk(f.ID, depth+1)
		}
	}
	walk("", 0)
	return out
}

func (u *UI) editFolder(w http.ResponseWriter, r *request) error {
	return u.folderEditPage(w, r, false, nil)
}

// folderEditPage shows the rename and move form. The parents offered are
// the folders the caller may edit, without the folder itself and what is
// under it.
func (u *UI) folderEditPage(w http.ResponseWriter, r *request, edited bool, formErr error) error {
	f, err := u.app.GetFolder(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	all, err := u.allFolders(r)
	if err != nil {
		return err
	}
	var parents []folderRow
	for _, row := range folderTree(r.p, all) {
		if row.CanEdit && !slices.Contains(row.Path, f.ID) {
			parents = append(parents, row)
		}
	}
	form := map[string]string{"name": f.Name, "parent_id": f.ParentID}
	if edited {
		form["name"], form["parent_id"] = r.PostFormValue("name"), r.PostFormValue("parent_id")
	}
	return u.show(w, r, "folder_edit", "folders", "Folder "+f.Name, map[string]any{
		"F": f, "Form": form, "Parents": parents,
		"CanEdit":   r.p.Access.Can(junction.PermFoldersEdit, f),
		"CanDelete": r.p.Access.Can(junction.PermFoldersDelete, f)}, formErr)
}

func (u *UI) updateFolder(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	name, parent := r.PostFormValue("name"), r.PostFormValue("parent_id")
	f, err := u.app.UpdateFolder(r.Context(), r.p, id, app.UpdateFolderInput{Name: &name, ParentID: &parent})
	if err != nil {
		if !isFormError(err) && !junction.IsCode(err, junction.ENOTFOUND) {
			return err
		}
		if _, gerr := u.app.GetFolder(r.Context(), r.p, id); gerr != nil {
			return gerr
		}
		return u.folderEditPage(w, r, true, err)
	}
	return redirect(w, r, "/folders", "Folder "+f.Name+" saved.")
}

func (u *UI) deleteFolderPage(w http.ResponseWriter, r *request) error {
	f, err := u.app.GetFolder(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	subs, err := u.app.ListFolders(r.Context(), r.p, app.FolderQuery{ParentID: f.ID, Page: junction.Page{Limit: junction.MaxPageSize}})
	if err != nil {
		return err
	}
	return u.show(w, r, "confirm", "folders", "Delete "+f.Name+"?", confirmData{
		Action: "/folders/" + f.ID + "/delete", Back: "/folders/" + f.ID + "/edit", Button: "Delete the folder",
		What:  "The folder, its subfolders and their role assignments are deleted. A folder that still holds assets or connections is kept.",
		Count: len(subs.Items), CountOf: "subfolder"}, nil)
}

func (u *UI) deleteFolder(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	if err := u.app.DeleteFolder(r.Context(), r.p, id); err != nil {
		if !isFormError(err) {
			return err
		}
		return u.folderEditPage(w, r, false, err)
	}
	return redirect(w, r, "/folders", "Folder deleted.")
}
