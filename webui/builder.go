package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/engine"
)

// The Connector Builder's pages: the tenant's custom connectors, a new
// one from a blank canvas or an imported description, and the draft's
// page with a form per part (auth types, variables, activities,
// triggers), its checklist, a test panel and publishing. Every form posts
// to the services the REST API uses; complex parts of a definition
// (inputs, bodies, outputs, polling settings) are edited as YAML.

// maxImportFormBytes bounds the import form: API descriptions run to
// several megabytes, where other forms hold settings.
const maxImportFormBytes = 32 << 20

// builderRoutes are the builder's pages, registered from routes.
func (u *UI) builderRoutes() map[string]func(http.ResponseWriter, *request) error {
	return map[string]func(http.ResponseWriter, *request) error{
		"GET /builder":                                        u.builderList,
		"GET /builder/new":                                    u.builderNew,
		"POST /builder":                                       u.builderCreate,
		"POST /builder/import":                                u.builderImport,
		"GET /builder/{id}":                                   u.builderDraft,
		"POST /builder/{id}/resources":                        u.builderKeepResources,
		"POST /builder/{id}/settings":                         u.builderSettings,
		"POST /builder/{id}/auth":                             u.builderSetAuth,
		"POST /builder/{id}/auth/{key}/delete":                u.builderDeleteAuth,
		"POST /builder/{id}/auth/{key}/up":                    u.builderAuthUp,
		"POST /builder/{id}/variables":                        u.builderVariables,
		"POST /builder/{id}/activities":                       u.builderSetActivity,
		"POST /builder/{id}/activities/{name}/delete":         u.builderDeleteActivity,
		"POST /builder/{id}/activities/{name}/up":             u.builderActivityUp,
		"POST /builder/{id}/triggers":                         u.builderSetTrigger,
		"POST /builder/{id}/triggers/{object}/{event}/delete": u.builderDeleteTrigger,
		"POST /builder/{id}/triggers/{object}/{event}/up":     u.builderTriggerUp,
		"POST /builder/{id}/test":                             u.builderTest,
		"POST /builder/{id}/publish":                          u.builderPublish,
		"GET /builder/{id}/definition":                        u.builderExport,
		"POST /builder/{id}/definition":                       u.builderApply,
	}
}

func canBuild(p *junction.Principal) bool { return p.Access.CanTenant(junction.PermConnectorsManage) }

func (u *UI) builderList(w http.ResponseWriter, r *request) error {
	list, err := u.app.ListCustomConnectors(r.Context(), r.p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	search, status := strings.TrimSpace(q.Get("q")), q.Get("status")
	var items []*app.CustomConnectorView
	for _, c := range list.Items {
		if matches(search, c.DisplayName, c.Key) && (status == "" || c.Status == status) {
			items = append(items, c)
		}
	}
	items, pg := slicePage(r, items)
	return u.show(w, r, "builder", "builder", "Connector Builder", map[string]any{
		"Items": items, "Q": search, "Status": status, "Pager": pg, "CanManage": canBuild(r.p)}, nil)
}

func (u *UI) builderNew(w http.ResponseWriter, r *request) error {
	return u.builderNewPage(w, r, nil)
}

func (u *UI) builderNewPage(w http.ResponseWriter, r *request, formErr error) error {
	if err := needBuild(r.p); err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"form", "key", "display_name", "base_url", "url", "content"} {
		form[k] = r.FormValue(k)
	}
	return u.show(w, r, "builder_new", "builder", "New custom connector", map[string]any{"Form": form}, formErr)
}

// needBuild refuses the builder's forms to who may not use them before
// anything is read: the services refuse them anyway.
func needBuild(p *junction.Principal) error {
	if !canBuild(p) {
		return &junction.Error{Code: junction.EPERMISSIONDENIED, Message: "this needs the " + string(junction.PermConnectorsManage) + " permission"}
	}
	return nil
}

func (u *UI) builderCreate(w http.ResponseWriter, r *request) error {
	v, err := u.app.CreateCustomConnector(r.Context(), r.p, app.CreateCustomConnectorInput{
		Key: r.PostFormValue("key"), DisplayName: r.PostFormValue("display_name"), BaseURL: r.PostFormValue("base_url")})
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.builderNewPage(w, r, err)
	}
	return redirect(w, r, "/builder/"+v.ID, "Draft created.")
}

// builderImport drafts a connector from pasted content, a URL or an
// uploaded file, then shows the resources found so that a person keeps
// only those they want.
func (u *UI) builderImport(w http.ResponseWriter, r *request) error {
	in := app.ImportInput{URL: strings.TrimSpace(r.PostFormValue("url")), Key: strings.TrimSpace(r.PostFormValue("key")),
		DisplayName: strings.TrimSpace(r.PostFormValue("display_name"))}
	if c := r.PostFormValue("content"); strings.TrimSpace(c) != "" {
		in.Content = []byte(c)
	}
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		data, err := io.ReadAll(f)
		if err != nil {
			return junction.Invalid("file", "could not be read")
		}
		if len(data) > 0 {
			if len(in.Content) > 0 {
				return u.builderNewPage(w, r, junction.Invalid("file", "give one of the content, a URL or a file"))
			}
			in.Content = data
		}
	}
	v, err := u.app.ImportCustomConnector(r.Context(), r.p, in)
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.builderNewPage(w, r, err)
	}
	return u.show(w, r, "builder_resources", "builder", "Pick the resources of "+v.DisplayName, v, nil)
}

// builderKeepResources keeps the resources ticked in the picker. The
// picker names each resource's activities, since the draft does not keep
// which resource they came from.
func (u *UI) builderKeepResources(w http.ResponseWriter, r *request) error {
	keep := map[string]bool{}
	for _, name := range r.PostForm["resource"] {
		keep[name] = true
	}
	var dropped []string
	for k, v := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "ops."); ok && !keep[name] && len(v) > 0 {
			dropped = append(dropped, strings.Fields(v[0])...)
		}
	}
	if _, err := u.app.KeepResources(r.Context(), r.p, r.PathValue("id"), dropped); err != nil {
		return err
	}
	return redirect(w, r, "/builder/"+r.PathValue("id"), fmt.Sprintf("Kept %d resources.", len(keep)))
}

// draftPage is the draft's page: the definition as forms, with the
// result or problem of the form last posted.
type draftPage struct {
	V         *app.CustomConnectorView
	Def       *connector.Definition
	Versions  []*junction.ConnectorVersion
	CanManage bool
	Auth      []authForm
	AuthKinds []authKind
	Variables string
	// Activities is one page of the activity list; Designer is the one
	// activity form shown (?activity=NAME, or a new activity), so that a
	// description of hundreds of operations stays a page of bounded size.
	Activities []activityRow
	From, Next int
	Prev       int
	Designer   activityForm
	Methods    []string
	Objects    []string
	Triggers   []triggerForm
	Conns      []*junction.Connection
	// Section names the form the page's problem concerns.
	Section   string
	Test      *testOutcome
	TestForm  map[string]string
	Publish   map[string]string
	Breaking  []breakingConnection
	Published string
}

type authKind struct{ Value, Label string }

// authKinds are the guide's kinds of authentication that Junction has.
var authKinds = []authKind{
	{"none", "No authentication"}, {"basic", "Basic (user name and password)"}, {"api_key", "API key"},
	{"bearer", "Personal access token (bearer)"}, {"oauth2_client_credentials", "OAuth 2.0 client credentials"},
	{"oauth2_authorization_code", "OAuth 2.0 authorization code"},
	{"oauth2_authorization_code_pkce", "OAuth 2.0 authorization code with PKCE"},
	{"oauth2_jwt_bearer", "OAuth 2.0 JWT bearer grant (service account key)"},
	{kindPrivateKeyJWT, "OAuth 2.0 client credentials, signed with a private key (private_key_jwt)"},
	{"custom", "Custom headers"},
}

// Kinds of the form that are one auth type with a setting: the form
// offers them as kinds of their own, as the guide does.
const (
	kindPKCE          = "oauth2_authorization_code_pkce"
	kindPrivateKeyJWT = "oauth2_client_credentials_private_key_jwt"
)

// formKind is the kind the form shows an auth type as.
func formKind(a *connector.Auth) string {
	switch {
	case a.Type == connector.AuthOAuth2AuthorizationCode && a.PKCE:
		return kindPKCE
	case a.Type == connector.AuthOAuth2ClientCredentials && a.ClientAuth == connector.ClientAuthPrivateKeyJWT:
		return kindPrivateKeyJWT
	}
	return string(a.Type)
}

type authForm struct {
	Was, Kind, ID, Label, In, Name, Value, TokenURL, AuthorizeURL, Scopes, Claims, Headers, Fields string
	// DPoP is the OAuth kinds' DPoP setting as the form offers it: off
	// (""), on (dpopOn) or from a boolean connection field (dpopField).
	DPoP string
}

// The DPoP select's values besides off (empty).
const (
	dpopOn    = "true"
	dpopField = "field"
)

// dpopFieldName is the boolean field a scheme's DPoP comes from when the
// form chooses "from a field" and the scheme names none yet.
const dpopFieldName = "dpop"

// dpopOfForm is the select's value for a scheme's dpop setting.
func dpopOfForm(dpop string) string {
	switch {
	case dpop == "true":
		return dpopOn
	case dpopFieldOf(dpop) != "":
		return dpopField
	}
	return ""
}

// dpopFieldOf is the field a dpop setting of one placeholder names, ""
// for any other setting.
func dpopFieldOf(dpop string) string {
	name, ok := strings.CutPrefix(dpop, "{")
	if name, ok = strings.CutSuffix(name, "}"); !ok || name == "" || strings.ContainsAny(name, "{}") {
		return ""
	}
	return name
}

type activityForm struct {
	Was, Name, DisplayName, Description, Method, Path, Inputs, Body, Outputs, Records, Pagination string
}

// activityPage is how many activities the draft's page lists at once.
const activityPage = 50

type activityRow struct {
	Name, DisplayName, Method, Path string
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

type triggerForm struct {
	Object, Event, DisplayName, Description, Kind, Settings string
}

type testOutcome struct {
	OK      bool
	Code    string
	Message string
	Trial   *engine.Trial
	Body    string
	Output  string
}

type breakingConnection struct {
	Name    string
	Removed []string
}

func (u *UI) builderDraft(w http.ResponseWriter, r *request) error {
	return u.draftView(w, r, r.PathValue("id"), func(*draftPage) {}, nil)
}

// draftView renders the draft's page; adjust puts the posted form's
// values (and results) in place of what the draft holds.
func (u *UI) draftView(w http.ResponseWriter, r *request, id string, adjust func(*draftPage), formErr error) error {
	ctx := r.Context()
	v, err := u.app.GetCustomConnector(ctx, r.p, id)
	if err != nil {
		return err
	}
	// A draft that does not validate yet is still shown as far as it
	// reads: its checklist says what to fix. The view holds it parsed
	// already; JSON carries it over far faster than parsing the YAML again.
	var def connector.Definition
	if b, err := json.Marshal(v.Definition); err == nil {
		_ = json.Unmarshal(b, &def)
	}
	vs, err := u.app.ListConnectorVersions(ctx, r.p, id)
	if err != nil {
		return err
	}
	d := &draftPage{V: v, Def: &def, Versions: vs.Items, CanManage: canBuild(r.p), AuthKinds: authKinds,
		Methods: []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}, TestForm: map[string]string{}, Publish: map[string]string{}}
	for _, a := range def.Auth {
		d.Auth = append(d.Auth, authFormOf(a))
	}
	d.Auth = append(d.Auth, authForm{Kind: "api_key"})
	if len(def.Fields) > 0 {
		d.Variables = yamlText(def.Fields)
	}
	d.Designer = activityForm{Method: "GET"}
	chosen := r.URL.Query().Get("activity")
	for _, a := range def.Activities {
		if a.Name == chosen {
			d.Designer = activityFormOf(a)
		}
	}
	d.From, d.Prev = max(0, atoi(r.URL.Query().Get("from"))), -1
	for i, a := range def.Activities {
		if i >= d.From && i < d.From+activityPage {
			d.Activities = append(d.Activities, activityRow{Name: a.Name, DisplayName: a.DisplayName, Method: a.Method, Path: a.Path})
		}
	}
	if d.From+activityPage < len(def.Activities) {
		d.Next = d.From + activityPage
	}
	if d.From > 0 {
		d.Prev = max(0, d.From-activityPage)
	}
	for _, o := range def.Objects {
		d.Objects = append(d.Objects, o.Name)
		for _, ev := range o.Events {
			d.Triggers = append(d.Triggers, triggerFormOf(o.Name, ev))
		}
	}
	d.Triggers = append(d.Triggers, triggerForm{Kind: "polling"})
	if conns, err := u.app.ListConnections(ctx, r.p, app.ConnectionQuery{Connector: v.Key, Page: junction.Page{Limit: junction.MaxPageSize}}); err == nil {
		d.Conns = conns.Items
	}
	adjust(d)
	return u.show(w, r, "builder_draft", "builder", v.DisplayName, d, formErr)
}

func yamlText(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func authFormOf(a connector.Auth) authForm {
	f := authForm{Was: a.Key(), Kind: formKind(&a), ID: a.ID, Label: a.Label, In: a.In, Name: a.Name, Value: a.Value,
		TokenURL: a.TokenURL, AuthorizeURL: a.AuthorizeURL, Scopes: strings.Join(a.Scopes, " "), DPoP: dpopOfForm(a.DPoP)}
	if len(a.Claims) > 0 {
		f.Claims = yamlText(a.Claims)
	}
	if len(a.Headers) > 0 {
		f.Headers = yamlText(a.Headers)
	}
	if len(a.Fields) > 0 {
		f.Fields = yamlText(a.Fields)
	}
	return f
}

func activityFormOf(a connector.Activity) activityForm {
	f := activityForm{Was: a.Name, Name: a.Name, DisplayName: a.DisplayName, Description: a.Description,
		Method: a.Method, Path: a.Path, Records: a.Records}
	if len(a.Inputs) > 0 {
		f.Inputs = yamlText(a.Inputs)
	}
	if a.Body != nil {
		f.Body = yamlText(a.Body)
	}
	if len(a.Outputs) > 0 {
		f.Outputs = yamlText(a.Outputs)
	}
	if a.Pagination != nil {
		f.Pagination = yamlText(a.Pagination)
	}
	return f
}

func triggerFormOf(object string, ev connector.Event) triggerForm {
	f := triggerForm{Object: object, Event: ev.Name, DisplayName: ev.DisplayName, Description: ev.Description, Kind: "polling"}
	if ev.Webhook != nil {
		f.Kind, f.Settings = "webhook", yamlText(ev.Webhook)
	} else if ev.Polling != nil {
		f.Settings = yamlText(ev.Polling)
	}
	return f
}

// yamlInto decodes a form's YAML member strictly, naming it when it does
// not read.
func yamlInto(field, text string, v any) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return junction.Invalid(field, "is not valid YAML for this part: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// formAnswer re-renders the draft with a form's problem beside it, or
// goes back to the draft with a notice.
func (u *UI) formAnswer(w http.ResponseWriter, r *request, section, notice string, adjust func(*draftPage), err error) error {
	id := r.PathValue("id")
	if err == nil {
		http.Redirect(w, r.Request, "/builder/"+id+"?notice="+urlQueryEscape(notice)+"#"+section, http.StatusSeeOther)
		return nil
	}
	if !isFormError(err) {
		return err
	}
	return u.draftView(w, r, id, func(d *draftPage) {
		d.Section = section
		if adjust != nil {
			adjust(d)
		}
	}, err)
}

func (u *UI) builderSettings(w http.ResponseWriter, r *request) error {
	name, base := r.PostFormValue("display_name"), r.PostFormValue("base_url")
	_, err := u.app.UpdateCustomConnector(r.Context(), r.p, r.PathValue("id"), app.UpdateCustomConnectorInput{DisplayName: &name, BaseURL: &base})
	return u.formAnswer(w, r, "settings", "Settings saved.", nil, err)
}

// auth types ---------------------------------------------------------

func (u *UI) builderSetAuth(w http.ResponseWriter, r *request) error {
	f := authForm{}
	for k, p := range map[string]*string{"was": &f.Was, "kind": &f.Kind, "id": &f.ID, "label": &f.Label, "in": &f.In,
		"name": &f.Name, "value": &f.Value, "token_url": &f.TokenURL, "authorize_url": &f.AuthorizeURL,
		"scopes": &f.Scopes, "claims": &f.Claims, "headers": &f.Headers, "fields": &f.Fields, "dpop": &f.DPoP} {
		*p = strings.TrimSpace(r.PostFormValue(k))
	}
	keep := func(d *draftPage) { replaceForm(d.Auth, func(a authForm) bool { return a.Was == f.Was }, f) }
	var was *connector.Auth
	if f.Was != "" {
		text, err := u.app.CustomConnectorDraft(r.Context(), r.p, r.PathValue("id"))
		if err != nil {
			return err
		}
		var def connector.Definition
		_ = yaml.Unmarshal(text, &def) // a draft that does not parse has nothing to keep
		was = def.AuthByID(f.Was)
	}
	auth, err := f.auth(was)
	if err != nil {
		return u.formAnswer(w, r, "auth", "", keep, err)
	}
	key := f.Was
	if key == "" {
		key = auth.Key()
	}
	_, err = u.app.SetDraftAuth(r.Context(), r.p, r.PathValue("id"), key, auth)
	return u.formAnswer(w, r, "auth", "Auth type "+auth.Key()+" saved.", keep, err)
}

// auth turns the form into an auth type, with the usual connection
// fields and templates of its kind where the form names none. was is the
// auth type the form edits, if any: what the form does not show of it
// (token parameters, a scope separator, a signing algorithm...) is kept
// as long as the kind stays the same, so saving the form loses nothing
// the YAML said.
func (f authForm) auth(was *connector.Auth) (connector.Auth, error) {
	if !slices.ContainsFunc(authKinds, func(k authKind) bool { return k.Value == f.Kind }) {
		return connector.Auth{}, junction.Invalid("kind", "pick one of the kinds of authentication offered")
	}
	var a connector.Auth
	if was != nil && formKind(was) == f.Kind {
		a = *was
	}
	a.Type, a.ID, a.Label = connector.AuthType(f.Kind), f.ID, f.Label
	a.Fields, a.Headers = nil, nil
	switch f.Kind {
	case kindPKCE:
		a.Type, a.PKCE = connector.AuthOAuth2AuthorizationCode, true
	case kindPrivateKeyJWT:
		a.Type, a.ClientAuth = connector.AuthOAuth2ClientCredentials, connector.ClientAuthPrivateKeyJWT
	}
	if err := yamlInto("fields", f.Fields, &a.Fields); err != nil {
		return a, err
	}
	if err := yamlInto("headers", f.Headers, &a.Headers); err != nil {
		return a, err
	}
	secret := func(name, label string) connector.Field {
		return connector.Field{Name: name, Label: label, Type: connector.FieldSecret, Required: true}
	}
	text := func(name, label string) connector.Field {
		return connector.Field{Name: name, Label: label, Type: connector.FieldText, Required: true}
	}
	orTemplate := func(v *string, field string) {
		if *v == "" {
			*v = "{" + field + "}"
		}
	}
	usual := func(fields ...connector.Field) {
		if a.Fields == nil {
			a.Fields = fields
		}
	}
	oauth := func() error {
		a.TokenURL, a.Name, a.Scopes = f.TokenURL, f.Name, strings.Fields(f.Scopes)
		if a.Type == connector.AuthOAuth2AuthorizationCode {
			a.AuthorizeURL = f.AuthorizeURL
		}
		if a.Type == connector.AuthOAuth2JWTBearer || a.ClientAuth == connector.ClientAuthPrivateKeyJWT {
			a.Claims = nil
			if err := yamlInto("claims", f.Claims, &a.Claims); err != nil {
				return err
			}
			orTemplate(&a.PrivateKey, "private_key")
		}
		return nil
	}
	switch a.Type {
	case connector.AuthAPIKey:
		a.In, a.Name, a.Value = f.In, f.Name, f.Value
		usual(secret("api_key", "API key"))
	case connector.AuthBasic:
		usual(text("username", "User name"), secret("password", "Password"))
	case connector.AuthBearer:
		usual(secret("token", "Token"))
	case connector.AuthOAuth2ClientCredentials, connector.AuthOAuth2AuthorizationCode:
		if err := oauth(); err != nil {
			return a, err
		}
		orTemplate(&a.ClientID, "client_id")
		if a.ClientAuth == connector.ClientAuthPrivateKeyJWT {
			a.ClientSecret = ""
			usual(text("client_id", "Client ID"), secret("private_key", "Private key (PEM)"))
		} else {
			orTemplate(&a.ClientSecret, "client_secret")
			usual(text("client_id", "Client ID"), secret("client_secret", "Client secret"))
		}
	case connector.AuthOAuth2JWTBearer:
		if err := oauth(); err != nil {
			return a, err
		}
		usual(secret("private_key", "Private key (PEM, or the service account's JSON key)"))
	}
	return a, f.dpop(&a)
}

// dpop sets the scheme's DPoP from the form: off, on, or from a boolean
// field, which keeps the field the scheme named already and declares
// one (off unless the connection turns it on) when the fields have none.
func (f authForm) dpop(a *connector.Auth) error {
	switch f.DPoP {
	case "":
		a.DPoP = ""
		return nil
	case dpopOn, dpopField:
	default:
		return junction.Invalid("dpop", "pick off, on, or from a boolean field")
	}
	if !a.Type.IsOAuth2() {
		return junction.Invalid("dpop", "DPoP binds OAuth 2.0 tokens: pick an OAuth 2.0 kind, or turn DPoP off")
	}
	if f.DPoP == dpopOn {
		a.DPoP = "true"
		return nil
	}
	name := dpopFieldOf(a.DPoP)
	if name == "" {
		name = dpopFieldName
	}
	a.DPoP = "{" + name + "}"
	if !slices.ContainsFunc(a.Fields, func(fd connector.Field) bool { return fd.Name == name }) {
		a.Fields = append(a.Fields, connector.Field{Name: name, Label: "Require DPoP", Type: connector.FieldBoolean, Default: "false"})
	}
	return nil
}

func (u *UI) builderDeleteAuth(w http.ResponseWriter, r *request) error {
	_, err := u.app.DeleteDraftAuth(r.Context(), r.p, r.PathValue("id"), r.PathValue("key"))
	return u.formAnswer(w, r, "auth", "Auth type removed.", nil, err)
}

func (u *UI) builderAuthUp(w http.ResponseWriter, r *request) error {
	return u.moveUp(w, r, "auth", r.PathValue("key"), func(d *connector.Definition) []string {
		var keys []string
		for _, a := range d.Auth {
			keys = append(keys, a.Key())
		}
		return keys
	}, u.app.OrderDraftAuth)
}

func (u *UI) builderActivityUp(w http.ResponseWriter, r *request) error {
	return u.moveUp(w, r, "activities", r.PathValue("name"), func(d *connector.Definition) []string {
		var names []string
		for _, a := range d.Activities {
			names = append(names, a.Name)
		}
		return names
	}, u.app.OrderDraftActivities)
}

// moveUp moves one item of a list a place up, through the list's reorder.
func (u *UI) moveUp(w http.ResponseWriter, r *request, section, key string, keys func(*connector.Definition) []string,
	order func(ctx context.Context, p *junction.Principal, id string, names []string) (*app.CustomConnectorView, error)) error {
	id := r.PathValue("id")
	text, err := u.app.CustomConnectorDraft(r.Context(), r.p, id)
	if err != nil {
		return err
	}
	var def connector.Definition
	_ = yaml.Unmarshal(text, &def)
	names := keys(&def)
	if i := slices.Index(names, key); i > 0 {
		names[i-1], names[i] = names[i], names[i-1]
	}
	_, err = order(r.Context(), r.p, id, names)
	return u.formAnswer(w, r, section, key+" moved up.", nil, err)
}

// variables ------------------------------------------------------------

func (u *UI) builderVariables(w http.ResponseWriter, r *request) error {
	text := r.PostFormValue("variables")
	var fields []connector.Field
	err := yamlInto("variables", text, &fields)
	if err == nil {
		if fields == nil {
			fields = []connector.Field{}
		}
		_, err = u.app.SetDraftVariables(r.Context(), r.p, r.PathValue("id"), fields)
	}
	return u.formAnswer(w, r, "variables", "Variables saved.", func(d *draftPage) { d.Variables = text }, err)
}

// activities -----------------------------------------------------------

func (u *UI) builderSetActivity(w http.ResponseWriter, r *request) error {
	f := activityForm{}
	for k, p := range map[string]*string{"was": &f.Was, "name": &f.Name, "display_name": &f.DisplayName,
		"description": &f.Description, "method": &f.Method, "path": &f.Path, "inputs": &f.Inputs, "body": &f.Body,
		"outputs": &f.Outputs, "records": &f.Records, "pagination": &f.Pagination} {
		*p = strings.TrimSpace(r.PostFormValue(k))
	}
	keep := func(d *draftPage) { d.Designer = f }
	act := connector.Activity{Name: f.Name, DisplayName: f.DisplayName}
	act.Description, act.Method, act.Path, act.Records = f.Description, f.Method, f.Path, f.Records
	err := errors.Join(yamlInto("inputs", f.Inputs, &act.Inputs), yamlInto("body", f.Body, &act.Body),
		yamlInto("outputs", f.Outputs, &act.Outputs), yamlInto("pagination", f.Pagination, &act.Pagination))
	if err != nil {
		return u.formAnswer(w, r, "designer", "", keep, firstError(err))
	}
	key := f.Was
	if key == "" {
		key = f.Name
	}
	if _, err = u.app.SetDraftActivity(r.Context(), r.p, r.PathValue("id"), key, act); err == nil {
		http.Redirect(w, r.Request, "/builder/"+r.PathValue("id")+"?activity="+urlQueryEscape(f.Name)+
			"&notice="+urlQueryEscape("Activity "+f.Name+" saved.")+"#designer", http.StatusSeeOther)
		return nil
	}
	return u.formAnswer(w, r, "designer", "", keep, err)
}

// firstError is the first of joined errors: a form shows one problem.
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		return j.Unwrap()[0]
	}
	return err
}

// replaceForm puts the posted form in place of the one it was posted
// from, so that a refused form shows what was typed.
func replaceForm[T any](forms []T, same func(T) bool, posted T) {
	for i := range forms {
		if same(forms[i]) {
			forms[i] = posted
			return
		}
	}
}

func (u *UI) builderDeleteActivity(w http.ResponseWriter, r *request) error {
	_, err := u.app.DeleteDraftActivity(r.Context(), r.p, r.PathValue("id"), r.PathValue("name"))
	return u.formAnswer(w, r, "activities", "Activity removed.", nil, err)
}

// triggers ---------------------------------------------------------------

func (u *UI) builderSetTrigger(w http.ResponseWriter, r *request) error {
	f := triggerForm{}
	for k, p := range map[string]*string{"object": &f.Object, "event": &f.Event, "display_name": &f.DisplayName,
		"description": &f.Description, "kind": &f.Kind, "settings": &f.Settings} {
		*p = strings.TrimSpace(r.PostFormValue(k))
	}
	keep := func(d *draftPage) {
		replaceForm(d.Triggers, func(t triggerForm) bool { return t.Object == f.Object && t.Event == f.Event || t.Event == "" }, f)
	}
	ev := connector.Event{Name: f.Event, DisplayName: f.DisplayName, Description: f.Description}
	var err error
	if f.Kind == "webhook" {
		ev.Webhook = &connector.Webhook{}
		err = yamlInto("settings", f.Settings, ev.Webhook)
	} else {
		ev.Polling = &connector.Polling{}
		err = yamlInto("settings", f.Settings, ev.Polling)
	}
	if err == nil {
		_, err = u.app.SetDraftTrigger(r.Context(), r.p, r.PathValue("id"), f.Object, f.Event, ev)
	}
	return u.formAnswer(w, r, "triggers", "Trigger "+f.Object+"."+f.Event+" saved.", keep, err)
}

func (u *UI) builderDeleteTrigger(w http.ResponseWriter, r *request) error {
	_, err := u.app.DeleteDraftTrigger(r.Context(), r.p, r.PathValue("id"), r.PathValue("object"), r.PathValue("event"))
	return u.formAnswer(w, r, "triggers", "Trigger removed.", nil, err)
}

// builderTriggerUp moves an event a place up among its object's events:
// the order the trigger pickers show them in.
func (u *UI) builderTriggerUp(w http.ResponseWriter, r *request) error {
	object := r.PathValue("object")
	return u.moveUp(w, r, "triggers", r.PathValue("event"), func(d *connector.Definition) []string {
		var names []string
		for _, o := range d.Objects {
			if o.Name == object {
				for _, ev := range o.Events {
					names = append(names, ev.Name)
				}
			}
		}
		return names
	}, func(ctx context.Context, p *junction.Principal, id string, names []string) (*app.CustomConnectorView, error) {
		return u.app.OrderDraftTriggers(ctx, p, id, object, names)
	})
}

// test panel -------------------------------------------------------------

func (u *UI) builderTest(w http.ResponseWriter, r *request) error {
	ctx, id := r.Context(), r.PathValue("id")
	form := map[string]string{}
	for _, k := range []string{"connection_id", "auth_type", "activity", "input"} {
		form[k] = r.PostFormValue(k)
	}
	in := app.DraftTestInput{ConnectionID: form["connection_id"], Activity: form["activity"]}
	var err error
	if strings.TrimSpace(form["input"]) != "" {
		if jerr := json.Unmarshal([]byte(form["input"]), &in.Input); jerr != nil {
			err = junction.Invalid("input", "is not a JSON object: %v", jerr)
		}
	}
	if err == nil && in.ConnectionID == "" {
		in.AuthType = form["auth_type"]
		in.Fields, err = u.testFields(r, id, in.AuthType)
	}
	var trial *engine.Trial
	if err == nil {
		trial, err = u.app.TestDraft(ctx, r.p, id, in)
	}
	out := &testOutcome{OK: err == nil, Trial: trial}
	if err != nil {
		if trial == nil || trial.Request == "" {
			return u.formAnswer(w, r, "test", "", func(d *draftPage) { d.TestForm = form }, err)
		}
		out.Code, out.Message = junction.ErrorCode(err), junction.ErrorMessage(err)
	}
	if trial != nil {
		out.Body, out.Output = jsonText(trial.Body), jsonText(trial.Output)
	}
	return u.draftView(w, r, id, func(d *draftPage) { d.Section, d.Test, d.TestForm = "test", out, form }, nil)
}

// testFields reads the inline connection's fields of the chosen auth
// type: test.<auth type>.<field>, secrets never shown again.
func (u *UI) testFields(r *request, id, authType string) (map[string]app.FieldInput, error) {
	text, err := u.app.CustomConnectorDraft(r.Context(), r.p, id)
	if err != nil {
		return nil, err
	}
	var def connector.Definition
	_ = yaml.Unmarshal(text, &def)
	if def.AuthByID(authType) == nil {
		return nil, junction.Invalid("auth_type", "pick one of the draft's auth types, or an existing connection")
	}
	return fieldInputs(r, def.ConnectionFields(authType), "test."+authType+".", nil)
}

func jsonText(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// publish ------------------------------------------------------------------

func (u *UI) builderPublish(w http.ResponseWriter, r *request) error {
	form := map[string]string{"version": strings.TrimSpace(r.PostFormValue("version")), "force": r.PostFormValue("force")}
	v, err := u.app.Publish(r.Context(), r.p, r.PathValue("id"), app.PublishInput{Version: form["version"], Force: form["force"] == "on"})
	if err == nil {
		return redirect(w, r, "/builder/"+r.PathValue("id"), "Version "+v.Version+" published.")
	}
	return u.formAnswer(w, r, "publish", "", func(d *draftPage) {
		d.Publish = form
		var je *junction.Error
		if errors.As(err, &je) {
			conns, _ := je.Details["connections"].([]map[string]any)
			for _, c := range conns {
				removed, _ := c["removed"].([]string)
				d.Breaking = append(d.Breaking, breakingConnection{Name: fmt.Sprint(c["name"]), Removed: removed})
			}
		}
	}, err)
}

// export and apply ---------------------------------------------------------

func (u *UI) builderExport(w http.ResponseWriter, r *request) error {
	v, err := u.app.GetCustomConnector(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	text, err := u.app.CustomConnectorDraft(r.Context(), r.p, v.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Content-Disposition", `attachment; filename="`+v.Key+`.yaml"`)
	_, _ = w.Write(text)
	return nil
}

func (u *UI) builderApply(w http.ResponseWriter, r *request) error {
	var text []byte
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		if text, err = io.ReadAll(f); err != nil {
			return junction.Invalid("file", "could not be read")
		}
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return u.formAnswer(w, r, "apply", "", nil, junction.Invalid("file", "is required: a connector definition file (YAML)"))
	}
	_, err := u.app.ReplaceDraft(r.Context(), r.p, r.PathValue("id"), text)
	return u.formAnswer(w, r, "apply", "Definition file applied.", nil, err)
}
