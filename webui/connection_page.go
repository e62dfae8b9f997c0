package webui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/engine"
)

// connectionResults are what a POST on the connection page answers with,
// shown on the page itself.
type connectionResults struct {
	Test *app.ConnectionTestResult
	Run  *activityRun
}

// activityRun is the outcome of "try an activity": the execution record
// and the output as indented JSON, cut at maxShownOutput (Truncated).
// Pages and MorePages are the pages an activity that pages read and
// whether the API had more (engine.Result.Pages, Truncated).
type activityRun struct {
	ExecutionID, Status, Output string
	HTTPStatus, Attempts, Pages int
	DurationMS                  int64
	Truncated, MorePages        bool
}

// maxShownOutput bounds the output a page shows: a list activity may
// return megabytes, which belong to the API or the CLI.
const maxShownOutput = 64 << 10

// activityChoice is an activity offered on the connection page.
type activityChoice struct {
	Name, Label string
}

// activityInput is one input of the chosen activity, as a form control.
type activityInput struct {
	connector.Input
	Value string
	// Multiple lets a file input take several files: a multipart body
	// repeats the part for each.
	Multiple bool
}

// formInputs are the controls of a named activity or object operation;
// false when def has no such thing.
func formInputs(def *connector.Definition, name string) ([]activityInput, bool) {
	inputs, enc, ok := activityInputs(def, name)
	if !ok {
		return nil, false
	}
	form := make([]activityInput, len(inputs))
	for i, in := range inputs {
		form[i] = activityInput{Input: in, Multiple: in.Type == connector.TypeFile && enc == connector.BodyMultipart}
	}
	return form, true
}

func (u *UI) connectionView(w http.ResponseWriter, r *request, id string, res connectionResults, formErr error) error {
	ctx := r.Context()
	c, err := u.app.GetConnection(ctx, r.p, id)
	if err != nil {
		return err
	}
	folder, err := u.app.GetFolder(ctx, r.p, c.FolderID)
	if err != nil {
		return err
	}
	exs, err := u.app.ListExecutions(ctx, r.p, app.ExecutionQuery{ConnectionID: c.ID, Page: junction.Page{Limit: 20}})
	if err != nil && !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return err
	}
	trs, err := u.app.ListTriggers(ctx, r.p, app.TriggerQuery{ConnectionID: c.ID, Page: junction.Page{Limit: 20}})
	if err != nil && !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return err
	}
	canExecute := r.p.Access.Can(junction.PermConnectionsExecute, folder)
	d := map[string]any{
		"C": c, "Folder": folder, "Executions": exs.Items, "Triggers": trs.Items, "Test": res.Test, "Run": res.Run,
		"CanTest": canExecute, "CanExecute": canExecute,
		"CanEdit":          r.p.Access.Can(junction.PermConnectionsEdit, folder),
		"CanDelete":        r.p.Access.Can(junction.PermConnectionsDelete, folder),
		"CanCreateTrigger": r.p.Access.Can(junction.PermTriggersCreate, folder),
		"ConsentError":     consentErrorCode(r.URL.Query().Get("consent_error")),
		"Activity":         "",
	}
	// A connection whose connector version is gone still shows, without
	// what its definition offers.
	if def, err := u.app.GetConnector(ctx, r.p, c.Connector, c.ConnectorVersion); err == nil {
		auth := def.AuthByID(c.AuthType)
		d["OAuth"] = auth != nil && auth.Type == connector.AuthOAuth2AuthorizationCode
		d["Activities"] = activitiesOf(def)
		name := r.FormValue("activity")
		if form, ok := formInputs(def, name); ok && canExecute {
			for i := range form {
				if form[i].Type != connector.TypeFile {
					form[i].Value = r.FormValue("input." + form[i].Name)
				}
			}
			d["Activity"], d["Inputs"] = name, form
			if slices.ContainsFunc(form, func(in activityInput) bool { return in.Type == connector.TypeFile }) {
				d["UploadLimit"] = byteSize(u.opts.Guard.MaxExecuteBodyBytes())
			}
			if followsPages(def, name) {
				d["MaxPages"], d["PagesCap"] = r.FormValue("max_pages"), engine.MaxPages
			}
		}
	} else if !junction.IsCode(err, junction.ENOTFOUND) {
		return err
	}
	return u.show(w, r, "connection", "connections", c.Name, d, formErr)
}

// activitiesOf lists what "try an activity" offers: the curated
// activities, the generic request when the connector allows it, then each
// object's standard operations, named "object.operation" (activity and
// object names hold no dot, so the two cannot be confused).
func activitiesOf(def *connector.Definition) []activityChoice {
	var out []activityChoice
	for _, a := range def.Activities {
		label := a.DisplayName
		if label == "" {
			label = a.Name
		}
		out = append(out, activityChoice{a.Name, label})
	}
	if def.HTTPRequestEnabled() {
		out = append(out, activityChoice{connector.HTTPRequestActivity, "HTTP request"})
	}
	for i := range def.Objects {
		o := &def.Objects[i]
		label := o.DisplayName
		if label == "" {
			label = o.Name
		}
		for _, op := range connector.OperationNames {
			if o.Operations.ByName(op) != nil {
				out = append(out, activityChoice{o.Name + "." + op, label + ": " + op})
			}
		}
	}
	return out
}

// objectOperation splits a choice naming an object's operation; false for
// an activity.
func objectOperation(name string) (object, operation string, ok bool) {
	return strings.Cut(name, ".")
}

// activityInputs are the inputs of a named activity or object operation,
// with how its body is written; false when def has no such thing.
func activityInputs(def *connector.Definition, name string) ([]connector.Input, connector.BodyEncoding, bool) {
	if object, operation, ok := objectOperation(name); ok {
		if o := def.Object(object); o != nil {
			if op := o.Operations.ByName(operation); op != nil {
				return op.Inputs, op.BodyEncoding, true
			}
		}
		return nil, "", false
	}
	if name == connector.HTTPRequestActivity && def.HTTPRequestEnabled() {
		return connector.HTTPRequestInputs, connector.BodyJSON, true
	}
	if a := def.Activity(name); a != nil {
		return a.Inputs, a.BodyEncoding, true
	}
	return nil, "", false
}

// followsPages reports whether the choice named can follow pages when
// asked: an object's list operation, or a curated activity whose
// definition says how it pages.
func followsPages(def *connector.Definition, name string) bool {
	if _, operation, ok := objectOperation(name); ok {
		return operation == "list"
	}
	if name == connector.HTTPRequestActivity && def.HTTPRequestEnabled() {
		return false
	}
	a := def.Activity(name)
	return a != nil && a.Pagination != nil
}

// inputValue reads one input of the activity form as the JSON type the
// definition gives it. Empty inputs are left out (false).
func inputValue(in connector.Input, v string) (any, bool, error) {
	if v == "" {
		return nil, false, nil
	}
	switch in.Type {
	case connector.TypeInteger:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, false, junction.Invalid("input."+in.Name, "is not a whole number")
		}
		return n, true, nil
	case connector.TypeNumber:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, false, junction.Invalid("input."+in.Name, "is not a number")
		}
		return n, true, nil
	case connector.TypeBoolean:
		return v == "on" || v == "true", true, nil
	case connector.TypeObject, connector.TypeArray:
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			if in.Name == "body" {
				return v, true, nil // the request activity sends a string as it is
			}
			return nil, false, junction.Invalid("input."+in.Name, "is not JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return x, true, nil
	}
	return v, true, nil
}

// executeActivity runs "try an activity" and shows its outcome on the
// connection page.
func (u *UI) executeActivity(w http.ResponseWriter, r *request) error {
	c, def, err := u.connectionAndDefinition(r)
	if err != nil {
		return err
	}
	name := r.PostFormValue("activity")
	inputs, ok := formInputs(def, name)
	if !ok {
		return u.connectionView(w, r, c.ID, connectionResults{}, junction.Invalid("activity", "%q is not an activity or object operation of %s", name, def.DisplayName))
	}
	in := map[string]any{}
	limit := u.opts.Guard.MaxExecuteBodyBytes()
	budget := limit
	for _, i := range inputs {
		var v any
		var set bool
		var err error
		if i.Type == connector.TypeFile {
			v, set, err = uploadedFiles(r, i, &budget, limit)
		} else {
			v, set, err = inputValue(i.Input, r.PostFormValue("input."+i.Name))
		}
		if err != nil {
			return u.connectionView(w, r, c.ID, connectionResults{}, err)
		}
		if set {
			in[i.Name] = v
		}
	}
	// An object's operation runs as the API runs it: object and
	// operation, never as an activity of that name.
	exec := app.ExecuteInput{Activity: name, Input: in}
	if object, operation, ok := objectOperation(name); ok {
		exec = app.ExecuteInput{Object: object, Operation: operation, Input: in}
	}
	if v := r.PostFormValue("max_pages"); v != "" && followsPages(def, name) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > engine.MaxPages {
			return u.connectionView(w, r, c.ID, connectionResults{}, junction.Invalid("max_pages", "must be a whole number from 1 to %d", engine.MaxPages))
		}
		exec.MaxPages = n
	}
	res, err := u.app.Execute(r.Context(), r.p, c.ID, exec)
	if err != nil && !isFormError(err) {
		return err
	}
	var run *activityRun
	if res != nil {
		run = runOf(res)
	} else if id := failedExecution(err); id != "" {
		run = &activityRun{ExecutionID: id, Status: "failed"}
	}
	return u.connectionView(w, r, c.ID, connectionResults{Run: run}, err)
}

func runOf(res *engine.Result) *activityRun {
	run := &activityRun{ExecutionID: res.ExecutionID, Status: res.Status, HTTPStatus: res.HTTPStatus,
		Attempts: res.Attempts, DurationMS: res.DurationMS, Pages: res.Pages, MorePages: res.Truncated}
	if f, ok := res.Output.(*connector.File); ok {
		// A file's content in base64 tells a person nothing; the API
		// returns it (with Accept naming its type, as bytes).
		run.Output = f.String()
		return run
	}
	if res.Output != nil {
		b, err := json.MarshalIndent(res.Output, "", "  ")
		if err != nil {
			b = []byte("(the output is not JSON)")
		}
		if len(b) > maxShownOutput {
			b, run.Truncated = b[:maxShownOutput], true
		}
		run.Output = string(b)
	}
	return run
}

func (u *UI) deleteConnectionPage(w http.ResponseWriter, r *request) error {
	c, err := u.app.GetConnection(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	trs, err := u.app.ListTriggers(r.Context(), r.p, app.TriggerQuery{ConnectionID: c.ID, Page: junction.Page{Limit: junction.MaxPageSize}})
	if err != nil && !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return err
	}
	return u.show(w, r, "confirm", "connections", "Delete "+c.Name+"?", confirmData{
		Action: "/connections/" + c.ID + "/delete", Back: "/connections/" + c.ID, Button: "Delete the connection",
		What:  "The connection, its sealed secrets, tokens and pending authorizations are deleted. Assets it refers to stay.",
		Count: len(trs.Items), CountOf: "trigger of this connection"}, nil)
}

// confirmData drives the confirmation page every delete goes through.
type confirmData struct {
	Action, Back, Button, What string
	// Count, when set, warns of what depends on the object.
	Count   int
	CountOf string
}

func (u *UI) deleteConnection(w http.ResponseWriter, r *request) error {
	if err := u.app.DeleteConnection(r.Context(), r.p, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/connections", "Connection deleted.")
}

func (u *UI) setDefaultConnection(w http.ResponseWriter, r *request) error {
	on := r.PostFormValue("default") == "true"
	c, err := u.app.UpdateConnection(r.Context(), r.p, r.PathValue("id"), app.UpdateConnectionInput{IsDefault: &on})
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.connectionView(w, r, r.PathValue("id"), connectionResults{}, err)
	}
	notice := "No longer the default connection of " + c.Connector + "."
	if on {
		notice = "Now the default connection of " + c.Connector + "."
	}
	return redirect(w, r, "/connections/"+c.ID, notice)
}

// consentCookie remembers, for the OAuth callback, which connection this
// browser started a consent for: the callback then comes back to its
// page. It holds an ID only, and is sent to the callback path only.
const consentCookie = "junction_consent"

// consentMaxAge is longer than a person takes at the provider's consent
// page; a later callback shows the API's own page instead.
const consentMaxAge = 15 * 60

// authorizeConnection starts the OAuth consent (Connect, or re-authorise)
// and sends the browser to the provider. The POST carries the CSRF token,
// so no other site can start it; the provider URL comes from the
// connector definition and the connection, never from the request.
func (u *UI) authorizeConnection(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	to, err := u.app.AuthorizeConnection(r.Context(), r.p, id)
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.connectionView(w, r, id, connectionResults{}, err)
	}
	if pu, perr := url.Parse(to); perr != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return u.connectionView(w, r, id, connectionResults{},
			junction.Invalid("authorize_url", "is not an http(s) URL, so the browser cannot be sent to it"))
	}
	http.SetCookie(w, &http.Cookie{Name: consentCookie, Value: id, Path: "/oauth/callback", MaxAge: consentMaxAge,
		HttpOnly: true, Secure: u.opts.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r.Request, to, http.StatusSeeOther)
	return nil
}

// ReturnFromConsent answers the OAuth callback of a consent this browser
// started on a connection page: back to that page, with the outcome. It
// reports false, leaving the answer to the caller, for consents started
// elsewhere (the CLI, the API) or a cookie naming another connection.
func (u *UI) ReturnFromConsent(w http.ResponseWriter, r *http.Request, c *junction.Connection, err error) bool {
	ck, cerr := r.Cookie(consentCookie)
	if cerr != nil || !connectionIDPattern.MatchString(ck.Value) || (err == nil && c.ID != ck.Value) {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: consentCookie, Path: "/oauth/callback", MaxAge: -1,
		HttpOnly: true, Secure: u.opts.Secure, SameSite: http.SameSiteLaxMode})
	to := "/connections/" + url.PathEscape(ck.Value)
	if err != nil {
		to += "?consent_error=" + url.QueryEscape(junction.ErrorCode(err))
	} else {
		to += "?notice=" + url.QueryEscape("Connected: the provider granted access.")
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, to, http.StatusSeeOther)
	return true
}

// connectionIDPattern keeps a cookie from making the redirect anything but
// a connection page of this site.
var connectionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// consentErrorCode is the code a failed consent came back with, when it
// looks like one: the page shows it, with a message of its own.
func consentErrorCode(s string) string {
	if s == "" || len(s) > 64 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return ""
	}
	return s
}
