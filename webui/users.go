package webui

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"junction"
	"junction/app"
)

// Users, roles and folder members: who may do what. The pages offer only
// the actions the signed-in user's permissions allow; the services check
// again.

type userRow struct {
	*junction.User
	Roles []string
}

func (u *UI) users(w http.ResponseWriter, r *request) error { return u.usersPage(w, r, nil) }

func (u *UI) usersPage(w http.ResponseWriter, r *request, formErr error) error {
	ctx := r.Context()
	q := r.URL.Query()
	list, err := u.app.ListUsers(ctx, r.p, app.UserQuery{NameContains: q.Get("q"), Status: q.Get("status"), Role: q.Get("role"), Page: pageOf(r)})
	if junction.IsCode(err, junction.EINVALID) {
		// A filter refused (an unknown role) is shown beside it, over an
		// empty list.
		if formErr == nil {
			formErr = err
		}
	} else if err != nil {
		return err
	}
	rows := make([]userRow, 0, len(list.Items))
	for _, x := range list.Items {
		wr, err := u.app.GetUser(ctx, r.p, x.ID)
		if err != nil {
			return err
		}
		rows = append(rows, userRow{User: x, Roles: wr.Roles})
	}
	roles, err := u.app.ListRoles(ctx, r.p, junction.Page{Limit: junction.MaxPageSize})
	if err != nil && !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return err
	}
	return u.show(w, r, "users", "users", "Users", map[string]any{
		"Rows": rows, "Pager": cursorPager(r, list.NextCursor), "Q": q.Get("q"), "Roles": roles.Items,
		"Status": q.Get("status"), "Statuses": []string{app.UserActive, app.UserDisabled}, "Role": q.Get("role"),
		"Form":      map[string]string{"name": r.PostFormValue("name"), "email": r.PostFormValue("email")},
		"CanCreate": r.p.Access.CanTenant(junction.PermUsersCreate),
		"CanEdit":   r.p.Access.CanTenant(junction.PermUsersEdit), "Me": r.p.User.ID}, formErr)
}

func (u *UI) createUser(w http.ResponseWriter, r *request) error {
	_ = r.ParseForm()
	x, err := u.app.CreateUser(r.Context(), r.p, app.CreateUserInput{Name: r.PostFormValue("name"),
		Email: r.PostFormValue("email"), Roles: r.PostForm["roles"]})
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.usersPage(w, r, err)
	}
	return redirect(w, r, "/users", fmt.Sprintf("User %s created.", x.Name))
}

func (u *UI) setUserRoles(w http.ResponseWriter, r *request) error {
	_ = r.ParseForm()
	x, err := u.app.SetUserRoles(r.Context(), r.p, r.PathValue("id"), r.PostForm["roles"])
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.usersPage(w, r, err)
	}
	return redirect(w, r, "/users", fmt.Sprintf("Roles of %s set.", x.Name))
}

func (u *UI) setUserDisabled(w http.ResponseWriter, r *request) error {
	disabled := r.PostFormValue("disabled") == "true"
	x, err := u.app.UpdateUser(r.Context(), r.p, r.PathValue("id"), app.UpdateUserInput{Disabled: &disabled})
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.usersPage(w, r, err)
	}
	what := "enabled"
	if disabled {
		what = "disabled"
	}
	return redirect(w, r, "/users", fmt.Sprintf("User %s %s.", x.Name, what))
}

func (u *UI) roles(w http.ResponseWriter, r *request) error {
	// A tenant has a few dozen roles at most: read them all, then search,
	// filter and page here.
	all, err := readAll(func(pg junction.Page) (app.List[*junction.Role], error) { return u.app.ListRoles(r.Context(), r.p, pg) })
	if err != nil {
		return err
	}
	q := r.URL.Query()
	search, kind := strings.TrimSpace(q.Get("q")), q.Get("kind")
	var items []*junction.Role
	for _, x := range all {
		perms := make([]string, len(x.Permissions))
		for i, p := range x.Permissions {
			perms[i] = string(p)
		}
		if matches(search, x.Name, x.Description, strings.Join(perms, " ")) &&
			(kind == "" || (kind == "built_in") == x.BuiltIn) {
			items = append(items, x)
		}
	}
	items, pg := slicePage(r, items)
	return u.show(w, r, "roles", "roles", "Roles", map[string]any{"Items": items, "Pager": pg, "Q": search, "Kind": kind}, nil)
}

// folder members -------------------------------------------------------

func (u *UI) members(w http.ResponseWriter, r *request) error { return u.membersPage(w, r, nil) }

func (u *UI) membersPage(w http.ResponseWriter, r *request, formErr error) error {
	ctx := r.Context()
	f, err := u.app.GetFolder(ctx, r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	all, err := u.app.ListFolderMembers(ctx, r.p, f.ID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	search, role := strings.TrimSpace(q.Get("q")), q.Get("role")
	var members []app.FolderMember
	held := map[string]bool{}
	for _, m := range all {
		for _, x := range m.Roles {
			held[x] = true
		}
		if matches(search, m.UserName) && (role == "" || slices.Contains(m.Roles, role)) {
			members = append(members, m)
		}
	}
	members, pg := slicePage(r, members)
	d := map[string]any{"Folder": f, "Members": members, "Q": search, "Role": role, "Held": slices.Sorted(maps.Keys(held)), "Pager": pg, "CanEdit": r.p.Access.CanTenant(junction.PermUsersEdit)}
	if d["CanEdit"] == true {
		users, err := u.app.ListUsers(ctx, r.p, app.UserQuery{Page: junction.Page{Limit: junction.MaxPageSize}})
		if err != nil {
			return err
		}
		roles, err := u.app.ListRoles(ctx, r.p, junction.Page{Limit: junction.MaxPageSize})
		if err != nil {
			return err
		}
		var folderRoles []*junction.Role
		for _, x := range roles.Items {
			if slices.ContainsFunc(x.Permissions, junction.Permission.IsFolderPermission) {
				folderRoles = append(folderRoles, x)
			}
		}
		d["Users"], d["Roles"] = users.Items, folderRoles
	}
	return u.show(w, r, "members", "folders", "Members of "+f.Name, d, formErr)
}

// addMember gives a user one more role on the folder, keeping those they
// hold there.
func (u *UI) addMember(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	folderID, userID, role := r.PathValue("id"), r.PostFormValue("user_id"), r.PostFormValue("role")
	members, err := u.app.ListFolderMembers(ctx, r.p, folderID)
	if err != nil {
		return err
	}
	roles := []string{role}
	for _, m := range members {
		if m.UserID == userID {
			roles = append(roles, m.Roles...)
		}
	}
	m, err := u.app.SetFolderMember(ctx, r.p, folderID, userID, roles)
	if err != nil {
		if !isFormError(err) && !junction.IsCode(err, junction.ENOTFOUND) {
			return err
		}
		return u.membersPage(w, r, err)
	}
	return redirect(w, r, "/folders/"+folderID+"/members", fmt.Sprintf("%s is a member with %s.", m.UserName, role))
}

func (u *UI) removeMember(w http.ResponseWriter, r *request) error {
	folderID := r.PathValue("id")
	if err := u.app.RemoveFolderMember(r.Context(), r.p, folderID, r.PathValue("user")); err != nil {
		if !isFormError(err) {
			return err
		}
		return u.membersPage(w, r, err)
	}
	return redirect(w, r, "/folders/"+folderID+"/members", "Member removed.")
}

// folder switcher ------------------------------------------------------

// folderCookie remembers the folder chosen in the header for the browser;
// ?folder= overrides it for one page, so that a link can name a folder.
const folderCookie = "junction_folder"

// currentFolder is the folder the header's switcher names: ?folder= when
// given, else the browser's last choice. Empty means every folder.
func currentFolder(r *http.Request) string {
	if f, ok := r.URL.Query()["folder"]; ok {
		return f[0]
	}
	if c, err := r.Cookie(folderCookie); err == nil {
		return c.Value
	}
	return ""
}

// switchFolder remembers the header's choice and goes back to the page it
// was made on, a page of this site only.
func (u *UI) switchFolder(w http.ResponseWriter, r *request) error {
	f := r.URL.Query().Get("folder")
	if f != "" && !junction.ValidID(f) {
		return junction.Invalid("folder", "is not a folder ID")
	}
	http.SetCookie(w, &http.Cookie{Name: folderCookie, Value: f, Path: "/", MaxAge: int(app.SessionMaxAge.Seconds()),
		HttpOnly: true, Secure: u.opts.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r.Request, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}

// switcher is what the header shows: the folders the user can see, the
// chosen one, and where to come back to.
type switcher struct {
	Folders []*junction.Folder
	Current string
	Here    string
}

func (u *UI) switcherOf(r *request) *switcher {
	list, err := u.app.ListFolders(r.Context(), r.p, app.FolderQuery{Page: junction.Page{Limit: junction.MaxPageSize}})
	if err != nil {
		return nil // a header without the switcher beats no page
	}
	return &switcher{Folders: list.Items, Current: r.folder, Here: r.URL.Path}
}
