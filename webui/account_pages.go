package webui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"junction"
	"junction/app"
)

// accountData is the signed-in user's own page: password, notification
// preferences and API tokens. Form holds what a failed form posted, so it
// is shown again (never a password).
type accountData struct {
	Prefs   []prefRow
	NewRow  int
	Events  []string
	Folders []*junction.Folder
	// FolderEvents are the event types a folder may narrow: the others
	// are about the tenant or a credential store, in no folder.
	FolderEvents []string
	Tokens       []tokenRow
	Form         map[string]string
}

// prefRow is one line of the preferences table: an event type for every
// folder (FolderID empty) or one folder. Set is false when no choice is
// stored and the defaults apply.
type prefRow struct {
	Index      int
	EventType  string
	FolderID   string
	FolderName string
	Set        bool
	InApp      bool
	Email      bool
}

// tokenRow is one of the user's API tokens as listed: never its secret.
type tokenRow struct {
	*junction.Token
	State string
}

// folderScopedEvent tells whether preferences for event type t may name a
// folder (app.SetNotificationPreferences refuses the others).
func folderScopedEvent(t string) bool {
	return t != junction.EventCredentialStoreUnreachable && t != junction.EventQuotaThreshold
}

func (u *UI) accountData(r *request, form map[string]string) (*accountData, error) {
	ctx := r.Context()
	prefs, err := u.app.GetNotificationPreferences(ctx, r.p)
	if err != nil {
		return nil, err
	}
	folders, err := u.app.ListFolders(ctx, r.p, app.FolderQuery{Page: junction.Page{Limit: junction.MaxPageSize}})
	if err != nil {
		return nil, err
	}
	tokens, err := u.app.ListTokens(ctx, r.p, r.p.User.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, f := range folders.Items {
		names[f.ID] = f.Name
	}
	d := &accountData{Events: prefs.EventTypes, Folders: folders.Items, Form: form}
	if d.Form == nil {
		d.Form = map[string]string{}
	}
	for _, t := range prefs.EventTypes {
		row := prefRow{Index: len(d.Prefs), EventType: t}
		for _, p := range prefs.Preferences {
			if p.EventType == t && p.FolderID == "" {
				row.Set, row.InApp, row.Email = true, p.InApp, p.Email
			}
		}
		d.Prefs = append(d.Prefs, row)
		if folderScopedEvent(t) {
			d.FolderEvents = append(d.FolderEvents, t)
		}
	}
	for _, p := range prefs.Preferences {
		if p.FolderID == "" {
			continue
		}
		name := names[p.FolderID]
		if name == "" {
			name = p.FolderID
		}
		d.Prefs = append(d.Prefs, prefRow{Index: len(d.Prefs), EventType: p.EventType, FolderID: p.FolderID,
			FolderName: name, Set: true, InApp: p.InApp, Email: p.Email})
	}
	d.NewRow = len(d.Prefs)
	now := u.opts.Clock.Now()
	for _, t := range tokens {
		state := "active"
		switch {
		case t.RevokedAt != nil:
			state = "revoked"
		case !t.Active(now):
			state = "expired"
		}
		d.Tokens = append(d.Tokens, tokenRow{Token: t, State: state})
	}
	// Newest first: the token just made is at the top.
	slices.SortStableFunc(d.Tokens, func(a, b tokenRow) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return d, nil
}

func (u *UI) account(w http.ResponseWriter, r *request) error {
	return u.showAccount(w, r, nil, nil)
}

// showAccount renders the account page, with formErr next to the form
// it concerns.
func (u *UI) showAccount(w http.ResponseWriter, r *request, form map[string]string, formErr error) error {
	d, err := u.accountData(r, form)
	if err != nil {
		return err
	}
	return u.show(w, r, "account", "account", "Your account", d, formErr)
}

// changePassword changes the caller's own password through the app, which
// checks the current one, applies the password rules, audits the change
// and ends every session of the user. This browser then signs in again
// with the new password, so the person who changed it stays signed in
// while every other session (a thief's included) is shut out.
func (u *UI) changePassword(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	pw, confirm := r.PostFormValue("password"), r.PostFormValue("password_confirm")
	if pw != confirm {
		return u.showAccount(w, r, nil, junction.Invalid("password_confirm", "does not match the new password"))
	}
	err := u.app.SetPassword(ctx, r.p, r.p.User.ID, app.SetPasswordInput{
		Current: junction.NewSecret(r.PostFormValue("current_password")), Password: junction.NewSecret(pw)})
	if err != nil {
		return u.showAccount(w, r, nil, err)
	}
	me, err := u.app.Me(ctx, r.p)
	if err == nil {
		var secret junction.Secret
		_, secret, err = u.app.Login(ctx, app.LoginInput{Tenant: me.Tenant.Name, Username: r.p.User.Name,
			Password: junction.NewSecret(pw), IP: r.p.IP, RequestID: r.p.RequestID})
		if err == nil {
			http.SetCookie(w, u.sessionCookie(secret.Reveal(), int(app.SessionMaxAge/time.Second)))
			return redirect(w, r, "/account", "Password changed. Your other sessions were signed out.")
		}
	}
	// The password is changed and this session ended with the others:
	// signing in again is all that is left.
	u.opts.Logger.WarnContext(ctx, "sign in again after a password change", "error", err)
	http.SetCookie(w, u.sessionCookie("", -1))
	http.Redirect(w, r.Request, "/login?next=/account", http.StatusSeeOther)
	return nil
}

// maxPrefRows bounds the rows a preferences form may post.
const maxPrefRows = 600

// setNotificationPreferences replaces the caller's preferences with the
// table's rows that are set: an unset row goes back to the defaults. The
// last row adds a folder's choice when a folder is picked.
func (u *UI) setNotificationPreferences(w http.ResponseWriter, r *request) error {
	n, err := strconv.Atoi(r.PostFormValue("rows"))
	if err != nil || n < 0 || n > maxPrefRows {
		return junction.Invalid("rows", "must be a row count up to %d", maxPrefRows)
	}
	var prefs []junction.NotificationPreference
	for i := range n {
		k := strconv.Itoa(i)
		if r.PostFormValue("set."+k) == "" {
			continue
		}
		prefs = append(prefs, junction.NotificationPreference{EventType: r.PostFormValue("event." + k),
			FolderID: r.PostFormValue("folder." + k), InApp: r.PostFormValue("in_app."+k) != "", Email: r.PostFormValue("email."+k) != ""})
	}
	if folder := r.PostFormValue("new.folder"); folder != "" {
		prefs = append(prefs, junction.NotificationPreference{EventType: r.PostFormValue("new.event"), FolderID: folder,
			InApp: r.PostFormValue("new.in_app") != "", Email: r.PostFormValue("new.email") != ""})
	}
	if _, err := u.app.SetNotificationPreferences(r.Context(), r.p, prefs); err != nil {
		return u.showAccount(w, r, nil, err)
	}
	return redirect(w, r, "/account", "Notification preferences saved.")
}

// maxTokenDays bounds the lifetime the token form offers.
const maxTokenDays = 3650

// tokenCreatedData is the page that shows a new token's secret, once.
type tokenCreatedData struct {
	Token  *junction.Token
	Secret string
}

func (u *UI) createOwnToken(w http.ResponseWriter, r *request) error {
	form := map[string]string{"token_name": strings.TrimSpace(r.PostFormValue("token_name")),
		"token_days": strings.TrimSpace(r.PostFormValue("token_days"))}
	in := app.CreateTokenInput{Name: form["token_name"]}
	if form["token_name"] == "" {
		return u.showAccount(w, r, form, junction.Invalid("token_name", "must not be empty"))
	}
	if s := form["token_days"]; s != "" {
		days, err := strconv.Atoi(s)
		if err != nil || days < 1 || days > maxTokenDays {
			return u.showAccount(w, r, form, junction.Invalid("token_days", "must be a whole number of days from 1 to %d, or empty for no expiry", maxTokenDays))
		}
		e := u.opts.Clock.Now().Add(time.Duration(days) * 24 * time.Hour)
		in.ExpiresAt = &e
	}
	created, err := u.app.CreateToken(r.Context(), r.p, r.p.User.ID, in)
	if err != nil {
		if p := problemOf(err); p.Field == "name" {
			err = junction.Invalid("token_name", "%s", p.Message)
		}
		return u.showAccount(w, r, form, err)
	}
	// The secret is on this response only: never stored, never cached.
	w.Header().Set("Cache-Control", "no-store")
	return u.show(w, r, "account_token", "account", "New API token",
		tokenCreatedData{Token: created.Token, Secret: created.Secret.Reveal()}, nil)
}

func (u *UI) revokeOwnToken(w http.ResponseWriter, r *request) error {
	// Only the caller's own tokens are revoked from this page; another
	// user's token ID answers not found, as if it did not exist.
	tokens, err := u.app.ListTokens(r.Context(), r.p, r.p.User.ID)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if !slices.ContainsFunc(tokens, func(t *junction.Token) bool { return t.ID == id }) {
		return junction.NotFound("token")
	}
	t, err := u.app.RevokeToken(r.Context(), r.p, id)
	if err != nil {
		return err
	}
	return redirect(w, r, "/account", "Token "+t.Name+" revoked.")
}
