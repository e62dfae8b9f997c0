package webui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"junction"
	"junction/app"
	"junction/connector"
)

// postedForm is what a form sent, for showing it again: never a secret
// typed in, nor the CSRF token.
func postedForm(r *request) map[string]string {
	form := map[string]string{}
	for k, v := range r.Form {
		if !strings.HasPrefix(k, "literal.") && k != "csrf" && len(v) > 0 {
			form[k] = v[0]
		}
	}
	return form
}

func (u *UI) connectionForm(w http.ResponseWriter, r *request, formErr error) error {
	form := postedForm(r)
	if len(r.Form) == 0 {
		for k, v := range r.URL.Query() {
			form[k] = v[0]
		}
	}
	key := form["connector"]
	if key == "" {
		return u.show(w, r, "connection_pick", "connections", "New connection", nil, formErr)
	}
	def, err := u.app.GetConnector(r.Context(), r.p, key, "")
	if err != nil {
		return err
	}
	return u.connectionFormPage(w, r, def, form, nil, formErr)
}

// schemeOf finds the auth scheme a form names, by its key or its type.
func schemeOf(def *connector.Definition, name string) *connector.Auth {
	for i := range def.Auth {
		if def.Auth[i].Key() == name || string(def.Auth[i].Type) == name || (name == "" && len(def.Auth) == 1) {
			return &def.Auth[i]
		}
	}
	return nil
}

// formFields are the fields a connection of def with the given scheme has.
func formFields(def *connector.Definition, auth *connector.Auth) []connector.Field {
	fields := slices.Clone(def.Fields)
	if auth != nil {
		fields = append(fields, auth.Fields...)
	}
	return fields
}

// connectionFormPage renders the form generated from def, new (edit nil)
// or changing edit, with form's values.
func (u *UI) connectionFormPage(w http.ResponseWriter, r *request, def *connector.Definition, form map[string]string, edit *junction.Connection, formErr error) error {
	ctx := r.Context()
	d := newConnectionData{Def: def, Form: form, Edit: edit, Auth: schemeOf(def, form["auth_type"])}
	if polls(def) {
		d.PollIntervals = app.PollIntervals
		if form["poll_interval_minutes"] == "" {
			form["poll_interval_minutes"] = strconv.Itoa(app.DefaultPollInterval)
		}
	}
	for _, f := range formFields(def, d.Auth) {
		v, ok := form["field."+f.Name]
		if !ok && edit == nil {
			v = f.Default
		}
		d.Fields = append(d.Fields, formField{Field: f, Value: v})
	}
	folders, err := u.app.ListFolders(ctx, r.p, app.FolderQuery{Page: junction.Page{Limit: junction.MaxPageSize}})
	if err != nil {
		return err
	}
	d.Folders = folders.Items
	assets, err := u.app.ListAssets(ctx, r.p, app.AssetQuery{Page: junction.Page{Limit: junction.MaxPageSize}})
	if err != nil && !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return err
	}
	for _, a := range assets.Items {
		switch a.Type {
		case junction.AssetSecret:
			d.Assets = append(d.Assets, assetChoice{a.ID, a.Name})
		case junction.AssetCredential:
			d.Assets = append(d.Assets, assetChoice{a.ID + ":password", a.Name + " (password)"},
				assetChoice{a.ID + ":username", a.Name + " (username)"})
		}
	}
	if edit != nil {
		return u.show(w, r, "connection_new", "connections", "Edit "+edit.Name, d, formErr)
	}
	return u.show(w, r, "connection_new", "connections", "New "+def.DisplayName+" connection", d, formErr)
}

// polls tells whether a connector has events that poll, whose triggers
// poll at their connection's interval.
func polls(def *connector.Definition) bool {
	return slices.ContainsFunc(def.Events(), func(oe connector.ObjectEvent) bool { return oe.Event.Polling != nil })
}

// pollInterval reads the poll interval a connection form sent; nil when
// it sent none (its connector does not poll).
func pollInterval(r *request) (*int, error) {
	v := r.PostFormValue("poll_interval_minutes")
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, junction.Invalid("poll_interval_minutes", "must be a number of minutes")
	}
	return &n, nil
}

// fieldInputs reads the connection fields of a posted form:
// prefix+"field."+name for plain values, prefix+"literal."+name for a
// secret typed in, and prefix+"asset."+name for a credential asset
// standing in for it. cur, the fields of the connection being changed (nil
// for a new one), decides what an empty input means: a secret left empty
// keeps its value, a plain field emptied is cleared.
func fieldInputs(r *request, fields []connector.Field, prefix string, cur map[string]junction.FieldValue) (map[string]app.FieldInput, error) {
	out := map[string]app.FieldInput{}
	for _, f := range fields {
		v := r.PostFormValue(prefix + "field." + f.Name)
		_, had := cur[f.Name]
		switch f.Type {
		case connector.FieldSecret:
			if ref := r.PostFormValue(prefix + "asset." + f.Name); ref != "" {
				id, part, _ := strings.Cut(ref, ":")
				out[f.Name] = app.FieldInput{Ref: &app.AssetRef{AssetID: id, Part: part}}
			} else if lit := r.PostFormValue(prefix + "literal." + f.Name); lit != "" {
				s := junction.NewSecret(lit)
				out[f.Name] = app.FieldInput{Literal: &s}
			}
		case connector.FieldBoolean:
			out[f.Name] = app.FieldInput{Value: v == "on" || v == "true"}
		case connector.FieldNumber:
			if v != "" {
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return nil, junction.Invalid("fields."+f.Name, "is not a number")
				}
				out[f.Name] = app.FieldInput{Value: n}
			} else if had {
				out[f.Name] = app.FieldInput{Clear: true}
			}
		default:
			// Strings come as literals, as in the API's JSON: plain fields
			// are stored as given once validated.
			if v != "" {
				s := junction.NewSecret(v)
				out[f.Name] = app.FieldInput{Literal: &s}
			} else if had {
				out[f.Name] = app.FieldInput{Clear: true}
			}
		}
	}
	return out, nil
}

func (u *UI) createConnection(w http.ResponseWriter, r *request) error {
	def, err := u.app.GetConnector(r.Context(), r.p, r.PostFormValue("connector"), "")
	if err != nil {
		return err
	}
	authType := r.PostFormValue("auth_type")
	fields, err := fieldInputs(r, formFields(def, schemeOf(def, authType)), "", nil)
	if err != nil {
		return u.connectionForm(w, r, err)
	}
	poll, err := pollInterval(r)
	if err != nil {
		return u.connectionForm(w, r, err)
	}
	in := app.CreateConnectionInput{FolderID: r.PostFormValue("folder_id"),
		Connector: def.Key, Name: r.PostFormValue("name"), AuthType: authType, Fields: fields, SkipTest: true}
	if poll != nil {
		in.PollIntervalMinutes = *poll
	}
	c, err := u.app.CreateConnection(r.Context(), r.p, in)
	if err != nil {
		if !isFormError(err) && !junction.IsCode(err, junction.ENOTFOUND) {
			return err
		}
		return u.connectionForm(w, r, err)
	}
	return redirect(w, r, "/connections/"+c.ID, "Connection created.")
}

// editConnection shows the form of a connection with what it holds:
// plain values and asset choices, never a secret.
func (u *UI) editConnection(w http.ResponseWriter, r *request) error {
	c, def, err := u.connectionAndDefinition(r)
	if err != nil {
		return err
	}
	form := map[string]string{"name": c.Name, "auth_type": c.AuthType, "folder_id": c.FolderID}
	if c.PollIntervalMinutes != 0 {
		form["poll_interval_minutes"] = strconv.Itoa(c.PollIntervalMinutes)
	}
	for k, v := range c.Fields {
		switch {
		case v.AssetID != "" && v.Part != "":
			form["asset."+k] = v.AssetID + ":" + v.Part
		case v.AssetID != "":
			form["asset."+k] = v.AssetID
		case v.Value != nil:
			form["field."+k] = formValue(v.Value)
		}
	}
	return u.connectionFormPage(w, r, def, form, c, nil)
}

// formValue is a stored plain value as a form input holds it.
func formValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func (u *UI) connectionAndDefinition(r *request) (*junction.Connection, *connector.Definition, error) {
	c, err := u.app.GetConnection(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return nil, nil, err
	}
	def, err := u.app.GetConnector(r.Context(), r.p, c.Connector, c.ConnectorVersion)
	if err != nil {
		return nil, nil, err
	}
	return c, def, nil
}

func (u *UI) updateConnection(w http.ResponseWriter, r *request) error {
	c, def, err := u.connectionAndDefinition(r)
	if err != nil {
		return err
	}
	again := func(err error) error {
		form := postedForm(r)
		form["auth_type"], form["folder_id"] = c.AuthType, c.FolderID
		return u.connectionFormPage(w, r, def, form, c, err)
	}
	fields, err := fieldInputs(r, formFields(def, def.AuthByID(c.AuthType)), "", c.Fields)
	if err != nil {
		return again(err)
	}
	poll, err := pollInterval(r)
	if err != nil {
		return again(err)
	}
	name := r.PostFormValue("name")
	if _, err := u.app.UpdateConnection(r.Context(), r.p, c.ID, app.UpdateConnectionInput{Name: &name, Fields: fields, PollIntervalMinutes: poll}); err != nil {
		if !isFormError(err) {
			return err
		}
		return again(err)
	}
	return redirect(w, r, "/connections/"+c.ID, "Connection saved.")
}
