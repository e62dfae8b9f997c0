package webui

import (
	"net/http"

	"junction"
)

// errorCatalogPage lists every code; errorCodePage explains one. Both are
// public: problem documents link to them, and whoever holds one may not
// be signed in (a failed token is why they have it).
func (u *UI) errorCatalogPage(w http.ResponseWriter, r *http.Request) {
	u.render(w, http.StatusOK, "errorcodes", &pageData{Title: "Error codes", Data: junction.ErrorCatalog()})
}

func (u *UI) errorCodePage(w http.ResponseWriter, r *http.Request) {
	e, ok := junction.LookupError(r.PathValue("code"))
	if !ok {
		u.render(w, http.StatusNotFound, "errorcodes", &pageData{Title: "Error codes",
			Err:  &problem{Code: junction.ENOTFOUND, Message: "No error has this code; every code Junction answers with is listed below."},
			Data: junction.ErrorCatalog()})
		return
	}
	u.render(w, http.StatusOK, "errorcode", &pageData{Title: e.Title, Data: e})
}

// notFoundPage answers a path no page has with the error page, not the
// bare text of the standard library: same language, heading, landmarks
// and way back as every other page. It is public like the error codes;
// a signed-in user gets the header too.
func (u *UI) notFoundPage(w http.ResponseWriter, r *http.Request) {
	d := &pageData{Title: "Not found", Err: &problem{Code: junction.ENOTFOUND, Message: "No page has this address."}}
	if c, err := r.Cookie(u.cookie); err == nil {
		if p, _, err := u.app.SessionPrincipal(r.Context(), c.Value); err == nil {
			req := &request{Request: r, p: p, csrf: csrfToken(c.Value), folder: currentFolder(r)}
			d.User, d.CSRF, d.Switcher = p.User, req.csrf, u.switcherOf(req)
			d.SeeUsers, d.SeeRoles = p.Access.CanTenant(junction.PermUsersView), p.Access.CanTenant(junction.PermRolesView)
		}
	}
	u.render(w, http.StatusNotFound, "error", d)
}
