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
