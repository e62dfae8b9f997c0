package webui

import (
	"net/http"

	"junction"
	"junction/app"
)

// setupData drives the first-password page. The link's secret goes back
// in the form only: this page loads nothing from elsewhere and sends no
// Referer off the site.
type setupData struct {
	Token    string
	ShowForm bool
}

func (u *UI) setupPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	u.render(w, http.StatusOK, "setup", &pageData{Title: "Set your password", Data: setupData{Token: tok, ShowForm: tok != ""}})
}

func (u *UI) setup(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	tok := r.PostFormValue("token")
	var err error
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		err = junction.Invalid("confirm", "does not match the password")
	}
	var name string
	if err == nil {
		name, err = u.app.SetFirstPassword(r.Context(), app.SetFirstPasswordInput{Token: junction.NewSecret(tok),
			Password: junction.NewSecret(r.PostFormValue("password")), IP: u.opts.Guard.ClientIP(r), RequestID: u.opts.Guard.RequestID(r)})
	}
	if err != nil {
		valid := junction.IsCode(err, junction.EINVALID)
		if !valid {
			tok = ""
		}
		u.render(w, httpStatus(junction.ErrorCode(err)), "setup", &pageData{Title: "Set your password", Err: problemOf(err),
			Data: setupData{Token: tok, ShowForm: valid}})
		return
	}
	d := loginData{Username: name, SSO: u.sso != nil, Next: "/"}
	u.render(w, http.StatusOK, "login", &pageData{Title: "Sign in", Notice: "Password set: sign in with it.", Data: d})
}
