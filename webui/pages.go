package webui

import (
	"bytes"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"junction"
	"junction/app"
	"junction/connector"
)

// pageData is what every page template gets: the layout reads the first
// fields, the page its Data.
type pageData struct {
	Title  string
	Nav    string
	User   *junction.User
	CSRF   string
	Err    *problem
	Notice string
	Data   any
	// Switcher is the header's folder switcher, nil when not shown.
	Switcher *switcher
	// SeeUsers and SeeRoles tell whether to link to the users (and
	// folder members) and roles pages, which need Users.View and
	// Roles.View.
	SeeUsers, SeeRoles bool
	// Unread is how many of the user's in-app notifications are unread,
	// shown on the header's bell.
	Unread int
	// SeeUsage and SeeSettings tell whether to link to the usage page
	// (Logs.View somewhere) and the settings page (tenant or host
	// administrators).
	SeeUsage, SeeSettings bool
}

// pageSize is how many rows a list page shows.
const pageSize = 50

func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"hasRole": func(roles []string, name string) bool { return slices.Contains(roles, name) },
		// errFor also takes the problem of one item of a list field
		// ("allowed_hosts[0]") to the list's control.
		"errFor": func(p *problem, field string) *problem {
			if p != nil && (p.Field == field || strings.HasPrefix(p.Field, field+"[")) {
				return p
			}
			return nil
		},
		"filterField": func(form map[string]string, p *problem, ev *eventChoice, check *app.TriggerFilterCheck) filterField {
			return filterField{Filter: form["filter"], Err: p, Event: ev, Check: check}
		},
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				if v.IsZero() {
					return ""
				}
				return v.UTC().Format("2006-01-02 15:04:05Z")
			case *time.Time:
				if v == nil {
					return ""
				}
				return v.UTC().Format("2006-01-02 15:04:05Z")
			}
			return ""
		},
		// multiline tells the settings that hold PEM documents, whose line
		// breaks a one-line input would drop.
		"multiline": func(key string) bool {
			return strings.HasSuffix(key, "_cert") || key == "client_key"
		},
		"proxySelect": func(proxies any, selected string, p *problem) proxySelect {
			ps, _ := proxies.([]*junction.CredentialProxy)
			return proxySelect{Proxies: ps, Selected: selected, Err: p}
		},
		// icon accepts data: images only: the stylesheet's CSP allows no
		// other origin, and a definition's URL must not make the browser
		// call out.
		"icon": func(s string) template.URL {
			if strings.HasPrefix(s, "data:image/svg+xml;base64,") || strings.HasPrefix(s, "data:image/png;base64,") {
				return template.URL(s)
			}
			return ""
		},
	}
	// Files named part_*.html define pieces shared by several pages.
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/part_*.html"))
	names, _ := templateFS.ReadDir("templates")
	out := map[string]*template.Template{}
	for _, e := range names {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" || strings.HasPrefix(name, "part_") {
			continue
		}
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+e.Name()))
	}
	return out
}

// render executes a page into a buffer first, so that a template error
// never leaves half a page.
func (u *UI) render(w http.ResponseWriter, status int, name string, d *pageData) {
	var buf bytes.Buffer
	if err := u.pages[name].ExecuteTemplate(&buf, "layout.html", d); err != nil {
		u.opts.Logger.Error("render page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// show renders a signed-in page; formErr, when set, is shown with the
// form it concerns and sets the status.
func (u *UI) show(w http.ResponseWriter, r *request, name, nav, title string, data any, formErr error) error {
	status := http.StatusOK
	if formErr != nil {
		status = httpStatus(junction.ErrorCode(formErr))
	}
	u.render(w, status, name, &pageData{Title: title, Nav: nav, User: r.p.User, CSRF: r.csrf,
		Err: problemOf(formErr), Notice: r.URL.Query().Get("notice"), Data: data, Switcher: u.switcherOf(r),
		SeeUsers: r.p.Access.CanTenant(junction.PermUsersView), SeeRoles: r.p.Access.CanTenant(junction.PermRolesView),
		Unread: u.unreadCount(r, data), SeeUsage: canAnywhere(r.p, junction.PermLogsView), SeeSettings: canSettings(r.p)})
	return nil
}

func (u *UI) routes(mux *http.ServeMux) {
	for pattern, h := range map[string]func(http.ResponseWriter, *request) error{
		"GET /{$}":                                 u.overview,
		"GET /connectors":                          u.connectors,
		"GET /connectors/{key}":                    u.connectorPage,
		"GET /connections":                         u.connections,
		"GET /connections/new":                     u.newConnection,
		"POST /connections":                        u.createConnection,
		"GET /connections/{id}":                    u.connection,
		"POST /connections/{id}/test":              u.testConnection,
		"GET /connections/{id}/edit":               u.editConnection,
		"POST /connections/{id}/edit":              u.updateConnection,
		"GET /connections/{id}/delete":             u.deleteConnectionPage,
		"POST /connections/{id}/delete":            u.deleteConnection,
		"POST /connections/{id}/default":           u.setDefaultConnection,
		"POST /connections/{id}/authorize":         u.authorizeConnection,
		"POST /connections/{id}/execute":           u.executeActivity,
		"GET /credential-stores":                   u.stores,
		"POST /credential-stores":                  u.createStore,
		"POST /credential-stores/{id}/test":        u.testStore,
		"GET /credential-stores/{id}":              u.store,
		"POST /credential-stores/{id}/edit":        u.updateStore,
		"GET /credential-stores/{id}/delete":       u.deleteStorePage,
		"POST /credential-stores/{id}/delete":      u.deleteStore,
		"GET /assets":                              u.assets,
		"POST /assets":                             u.createAsset,
		"GET /assets/{id}/reveal":                  u.revealPage,
		"POST /assets/{id}/reveal":                 u.revealAsset,
		"GET /assets/{id}/edit":                    u.editAsset,
		"POST /assets/{id}/edit":                   u.updateAsset,
		"GET /assets/{id}/delete":                  u.deleteAssetPage,
		"POST /assets/{id}/delete":                 u.deleteAsset,
		"GET /folders":                             u.folders,
		"POST /folders":                            u.createFolder,
		"GET /folders/{id}/edit":                   u.editFolder,
		"POST /folders/{id}/edit":                  u.updateFolder,
		"GET /folders/{id}/delete":                 u.deleteFolderPage,
		"POST /folders/{id}/delete":                u.deleteFolder,
		"GET /triggers":                            u.triggers,
		"GET /triggers/new":                        u.newTrigger,
		"POST /triggers":                           u.createTrigger,
		"GET /triggers/{id}":                       u.trigger,
		"POST /triggers/filter-check":              u.checkTriggerFilter,
		"GET /triggers/{id}/edit":                  u.editTrigger,
		"POST /triggers/{id}/edit":                 u.updateTrigger,
		"POST /triggers/{id}/enabled":              u.setTriggerEnabled,
		"GET /triggers/{id}/delete":                u.deleteTriggerPage,
		"POST /triggers/{id}/delete":               u.deleteTrigger,
		"GET /jobs":                                u.jobs,
		"POST /jobs/{id}/{action}":                 u.jobAction,
		"GET /executions":                          u.executions,
		"GET /executions/{id}":                     u.execution,
		"POST /executions/{id}/retry":              u.retryExecution,
		"GET /audit":                               u.audit,
		"GET /users":                               u.users,
		"POST /users":                              u.createUser,
		"POST /users/{id}/roles":                   u.setUserRoles,
		"POST /users/{id}/disabled":                u.setUserDisabled,
		"GET /roles":                               u.roles,
		"GET /folders/{id}/members":                u.members,
		"POST /folders/{id}/members":               u.addMember,
		"POST /folders/{id}/members/{user}/remove": u.removeMember,
		"GET /folder":                              u.switchFolder,
		"GET /notifications":                       u.notifications,
		"POST /notifications/{id}/read":            u.markNotificationRead,
		"POST /notifications/read-all":             u.markAllNotificationsRead,
		"GET /account":                             u.account,
		"POST /account/password":                   u.changePassword,
		"POST /account/notifications":              u.setNotificationPreferences,
		"POST /account/tokens":                     u.createOwnToken,
		"POST /account/tokens/{id}/revoke":         u.revokeOwnToken,
		"GET /usage":                               u.usage,
		"GET /settings":                            u.settings,
		"POST /settings/retention":                 u.setRetention,
		"POST /settings/quotas":                    u.setQuotas,
	} {
		mux.Handle(pattern, u.signedIn(h))
	}
	for pattern, h := range u.builderRoutes() {
		mux.Handle(pattern, u.signedIn(h))
	}
	for pattern, h := range u.proxyRoutes() {
		mux.Handle(pattern, u.signedIn(h))
	}
}

// canAnywhere tells whether p holds perm tenant-wide or on some folder:
// whether to offer the action at all (the service still decides).
func canAnywhere(p *junction.Principal, perm junction.Permission) bool {
	if p.Access.Tenant[perm] {
		return true
	}
	for _, ps := range p.Access.Folders {
		if ps[perm] {
			return true
		}
	}
	return false
}

// pageOf reads ?after= for the next page of a list.
func pageOf(r *request) junction.Page {
	return junction.Page{Limit: pageSize, After: r.URL.Query().Get("after")}
}

// redirect answers a successful form with the page showing its result.
func redirect(w http.ResponseWriter, r *request, path, notice string) error {
	http.Redirect(w, r.Request, path+"?notice="+urlQueryEscape(notice), http.StatusSeeOther)
	return nil
}

// overview -----------------------------------------------------------

type overviewData struct {
	Broken   []*junction.Connection
	ByStatus []countRow
	Triggers []*app.TriggerView
	Chart    *executionChart
	Stores   []storeHealthRow
	Usage    *usageView
}

// usageView is the month's usage on the overview, with the share of the
// API-call quota used when the tenant has one.
type usageView struct {
	*app.MonthUsage
	Percent int64
}

func usageOf(m *app.MonthUsage) *usageView {
	v := &usageView{MonthUsage: m}
	if q := m.APICallsQuota; q != nil {
		if *q > 0 {
			v.Percent = m.TenantAPICalls * 100 / *q
		} else {
			v.Percent = 100
		}
	}
	return v
}

// High is where the quota meter turns to a warning: 80 percent, the
// first threshold the server tells of.
func (v *usageView) High() int64 {
	if v.APICallsQuota == nil {
		return 0
	}
	return *v.APICallsQuota * int64(junction.QuotaThresholds[0]) / 100
}

// countRow is a count shown as "100+" past overviewCap.
type countRow struct {
	Name  string
	Count string
}

// overviewCap bounds what the overview reads per status: it counts up
// to this many and says "more" past it, so that the page costs the same
// with a thousand connections as with ten.
const overviewCap = 100

func capped(name string, n int, more bool) countRow {
	if more {
		return countRow{name, strconv.Itoa(n) + "+"}
	}
	return countRow{name, strconv.Itoa(n)}
}

func (u *UI) overview(w http.ResponseWriter, r *request) error {
	ctx, p := r.Context(), r.p
	var d overviewData
	// Broken first: disconnected, then disabled.
	for _, st := range []junction.ConnectionStatus{junction.ConnectionDisconnected, junction.ConnectionDisabled,
		junction.ConnectionUntested, junction.ConnectionConnected} {
		list, err := u.app.ListConnections(ctx, p, app.ConnectionQuery{Status: st, Page: junction.Page{Limit: overviewCap}})
		if junction.IsCode(err, junction.EPERMISSIONDENIED) {
			break
		} else if err != nil {
			return err
		}
		if len(list.Items) > 0 {
			d.ByStatus = append(d.ByStatus, capped(string(st), len(list.Items), list.NextCursor != ""))
		}
		if st == junction.ConnectionDisconnected || st == junction.ConnectionDisabled {
			d.Broken = append(d.Broken, list.Items...)
		}
	}
	off := false
	if trs, err := u.app.ListTriggers(ctx, p, app.TriggerQuery{Enabled: &off, Page: junction.Page{Limit: overviewCap}}); err == nil {
		d.Triggers = trs.Items
	}
	if trs, err := u.app.ListTriggers(ctx, p, app.TriggerQuery{Page: junction.Page{Limit: overviewCap}}); err == nil {
		for _, t := range trs.Items {
			if t.Enabled && t.ConsecutiveFailures > 0 {
				d.Triggers = append(d.Triggers, t)
			}
		}
	}
	// The chart is left out, as the other sections are, when the caller
	// may not see executions or the server runs none.
	if chart, err := u.executionChart(ctx, p); err == nil {
		d.Chart = chart
	}
	if stores, err := u.app.ListCredentialStores(ctx, p, junction.Page{Limit: overviewCap}); err == nil {
		d.Stores = u.storeHealth(stores.Items)
	}
	// From the daily aggregates: the same few rows a month whatever the
	// number of executions.
	if m, err := u.app.GetMonthUsage(ctx, p); err == nil {
		d.Usage = usageOf(m)
	}
	return u.show(w, r, "overview", "overview", "Overview", d, nil)
}

// connectors ---------------------------------------------------------

func (u *UI) connectors(w http.ResponseWriter, r *request) error {
	list, err := u.app.ListConnectors(r.Context(), r.p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	search, category, auth := strings.TrimSpace(q.Get("q")), q.Get("category"), q.Get("auth")
	var items []*app.ConnectorSummary
	categories, auths := map[string]bool{}, map[string]bool{}
	for _, c := range list.Items {
		for _, x := range c.Categories {
			categories[x] = true
		}
		for _, x := range c.AuthTypes {
			auths[x] = true
		}
		if matches(search, c.DisplayName, c.Key, strings.Join(c.Categories, " ")) &&
			(category == "" || slices.Contains(c.Categories, category)) && (auth == "" || slices.Contains(c.AuthTypes, auth)) {
			items = append(items, c)
		}
	}
	items, pg := slicePage(r, items)
	return u.show(w, r, "connectors", "connectors", "Connectors", map[string]any{
		"Items": items, "Q": search, "Category": category, "Auth": auth, "Pager": pg,
		"Categories": slices.Sorted(maps.Keys(categories)), "AuthTypes": slices.Sorted(maps.Keys(auths)),
		"CanCreate": canAnywhere(r.p, junction.PermConnectionsCreate)}, nil)
}

func (u *UI) connectorPage(w http.ResponseWriter, r *request) error {
	def, err := u.app.GetConnector(r.Context(), r.p, r.PathValue("key"), "")
	if err != nil {
		return err
	}
	return u.show(w, r, "connector", "connectors", def.DisplayName, map[string]any{
		"Def": def, "CanCreate": canAnywhere(r.p, junction.PermConnectionsCreate)}, nil)
}

// connections --------------------------------------------------------

func (u *UI) connections(w http.ResponseWriter, r *request) error {
	q := r.URL.Query()
	list, err := u.app.ListConnections(r.Context(), r.p, app.ConnectionQuery{NameContains: q.Get("q"),
		FolderID: r.folder, Subfolders: r.folder != "", Connector: q.Get("connector"),
		Status: junction.ConnectionStatus(q.Get("status")), Page: pageOf(r)})
	if err != nil {
		return err
	}
	connectors, err := u.app.ListConnectors(r.Context(), r.p)
	if err != nil && !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return err
	}
	return u.show(w, r, "connections", "connections", "Connections", map[string]any{
		"List": list, "Q": q.Get("q"), "Status": q.Get("status"), "Pager": cursorPager(r, list.NextCursor),
		"Connector": q.Get("connector"), "Connectors": connectors.Items,
		"Statuses":  []junction.ConnectionStatus{junction.ConnectionConnected, junction.ConnectionDisconnected, junction.ConnectionUntested, junction.ConnectionDisabled},
		"CanCreate": canAnywhere(r.p, junction.PermConnectionsCreate)}, nil)
}

func (u *UI) connection(w http.ResponseWriter, r *request) error {
	return u.connectionView(w, r, r.PathValue("id"), connectionResults{}, nil)
}

func (u *UI) testConnection(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	res, err := u.app.TestConnection(r.Context(), r.p, id)
	if err != nil && !isFormError(err) {
		return err
	}
	return u.connectionView(w, r, id, connectionResults{Test: res}, err)
}

// isFormError tells the errors a form shows beside itself from those that
// replace the page.
func isFormError(err error) bool {
	switch junction.ErrorCode(err) {
	case junction.ENOTFOUND, junction.EINTERNAL, junction.EUNAUTHENTICATED:
		return false
	}
	return true
}

// newConnectionData drives the form generated from a connector's
// definition: its fields and those of the chosen auth type, each secret
// field with the assets that may stand in for a literal.
type newConnectionData struct {
	// Edit is the connection being changed; nil for a new one.
	Edit     *junction.Connection
	Def      *connector.Definition
	Auth     *connector.Auth
	Fields   []formField
	Folders  []*junction.Folder
	Form     map[string]string
	Assets   []assetChoice
	FolderID string
	// PollIntervals are the poll intervals offered (minutes) when the
	// connector has events that poll; none otherwise.
	PollIntervals []int
}

type formField struct {
	connector.Field
	Value string
}

type assetChoice struct {
	Value, Label string
}

func (u *UI) newConnection(w http.ResponseWriter, r *request) error {
	return u.connectionForm(w, r, nil)
}

// credential stores ----------------------------------------------------

func (u *UI) stores(w http.ResponseWriter, r *request) error {
	return u.storesPage(w, r, nil, nil)
}

func (u *UI) storesPage(w http.ResponseWriter, r *request, test *app.StoreTestResult, formErr error) error {
	// A tenant configures a handful of stores: read them all, then
	// search, filter and page here.
	all, err := readAll(func(pg junction.Page) (app.List[*app.CredentialStoreView], error) {
		return u.app.ListCredentialStores(r.Context(), r.p, pg)
	})
	if err != nil {
		return err
	}
	q := r.URL.Query()
	search, kind := strings.TrimSpace(q.Get("q")), q.Get("kind")
	var items []*app.CredentialStoreView
	kinds := map[string]bool{}
	for _, s := range all {
		kinds[s.Type] = true
		if matches(search, s.Name) && (kind == "" || s.Type == kind) {
			items = append(items, s)
		}
	}
	items, pg := slicePage(r, items)
	typeName := r.FormValue("type")
	var types []string
	var chosen *junction.CredentialStoreType
	for _, t := range u.app.StoreTypes() {
		types = append(types, t.Name)
		if t.Name == typeName {
			chosen = &t
		}
	}
	form := map[string]string{}
	for k, v := range r.Form {
		if k != "csrf" && len(v) > 0 {
			form[k] = v[0]
		}
	}
	if chosen != nil {
		for _, k := range chosen.ConfigKeys {
			if k.Secret {
				delete(form, "config."+k.Name) // never echo a secret
			}
		}
	}
	var proxies []*junction.CredentialProxy
	if chosen != nil && chosen.Name == junction.CredentialProxyStoreType {
		proxies = u.proxyChoices(r)
	}
	return u.show(w, r, "stores", "stores", "Credential stores", map[string]any{
		"Items": items, "Pager": pg, "Q": search, "Kind": kind, "Kinds": slices.Sorted(maps.Keys(kinds)),
		"Types": types, "Type": chosen, "Form": form, "Test": test, "Proxies": proxies,
		"CanCreate": r.p.Access.CanTenant(junction.PermCredentialStoresCreate),
		"CanTest":   r.p.Access.CanTenant(junction.PermCredentialStoresView)}, formErr)
}

func (u *UI) createStore(w http.ResponseWriter, r *request) error {
	in := app.CreateCredentialStoreInput{Name: r.PostFormValue("name"), Type: r.PostFormValue("type"),
		ReadOnly: r.PostFormValue("read_only") == "on", Insecure: r.PostFormValue("insecure") == "on",
		ProxyURL: r.PostFormValue("proxy_url"), AllowedHosts: hostLines(r.PostFormValue("allowed_hosts")),
		ProxyID: r.PostFormValue("proxy_id"), Config: map[string]junction.Secret{}}
	for k, v := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "config."); ok && len(v) > 0 && v[0] != "" {
			in.Config[name] = junction.NewSecret(v[0])
		}
	}
	s, err := u.app.CreateCredentialStore(r.Context(), r.p, in)
	if err != nil {
		if !isFormError(err) {
			return err
		}
		return u.storesPage(w, r, nil, err)
	}
	return redirect(w, r, "/credential-stores", fmt.Sprintf("Credential store %s created.", s.Name))
}

func (u *UI) testStore(w http.ResponseWriter, r *request) error {
	res, err := u.app.TestCredentialStore(r.Context(), r.p, r.PathValue("id"))
	if err != nil && !isFormError(err) {
		return err
	}
	return u.storesPage(w, r, res, err)
}

// assets -------------------------------------------------------------

func (u *UI) assets(w http.ResponseWriter, r *request) error { return u.assetsPage(w, r, nil) }

func (u *UI) assetsPage(w http.ResponseWriter, r *request, formErr error) error {
	ctx := r.Context()
	var filterErr *problem // a problem of the list's filters, not of the form
	q := r.URL.Query()
	list, err := u.app.ListAssets(ctx, r.p, app.AssetQuery{NameContains: q.Get("q"), Page: pageOf(r),
		Type: junction.AssetType(q.Get("type")), StoreID: q.Get("store"),
		FolderID: r.folder, Subfolders: r.folder != ""})
	if err != nil {
		// A filter the list refuses is shown beside the filter.
		if !isFormError(err) || formErr != nil {
			return err
		}
		formErr, list = err, app.List[*app.AssetView]{}
		filterErr = problemOf(err)
	}
	folders, err := u.app.ListFolders(ctx, r.p, app.FolderQuery{Page: junction.Page{Limit: junction.MaxPageSize}})
	if err != nil {
		return err
	}
	stores, err := u.app.ListCredentialStores(ctx, r.p, junction.Page{Limit: junction.MaxPageSize})
	if err != nil && !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"folder_id", "name", "type", "store_id", "external_name", "username", "description"} {
		form[k] = r.PostFormValue(k)
	}
	return u.show(w, r, "assets", "assets", "Assets", map[string]any{
		"List": list, "FilterErr": filterErr, "CreateErr": createErrOf(formErr, filterErr), "Q": q.Get("q"), "Type": q.Get("type"), "Store": q.Get("store"), "Pager": cursorPager(r, list.NextCursor),
		"Folders": folders.Items, "Stores": stores.Items, "Form": form,
		"CanResolve": resolvableAssets(r.p, list.Items, folders.Items),
		"CanEdit":    assetsAllowed(r.p, junction.PermAssetsEdit, list.Items, folders.Items),
		"CanDelete":  assetsAllowed(r.p, junction.PermAssetsDelete, list.Items, folders.Items),
		"Types":      []junction.AssetType{junction.AssetCredential, junction.AssetSecret, junction.AssetText, junction.AssetInteger, junction.AssetBoolean},
		"CanCreate":  canAnywhere(r.p, junction.PermAssetsCreate)}, formErr)
}

// createErrOf is the problem the create form shows beside its fields:
// none when the problem is the list filters'.
func createErrOf(formErr error, filterErr *problem) *problem {
	if filterErr != nil {
		return nil
	}
	return problemOf(formErr)
}

func (u *UI) createAsset(w http.ResponseWriter, r *request) error {
	in := app.CreateAssetInput{FolderID: r.PostFormValue("folder_id"), Name: r.PostFormValue("name"),
		Type: junction.AssetType(r.PostFormValue("type")), Description: r.PostFormValue("description"),
		StoreID: r.PostFormValue("store_id"), ExternalName: r.PostFormValue("external_name")}
	if v := r.PostFormValue("value"); v != "" {
		s := junction.NewSecret(v)
		in.Value = &s
	}
	if v := r.PostFormValue("username"); v != "" {
		in.Username = &v
	}
	if v := r.PostFormValue("password"); v != "" {
		s := junction.NewSecret(v)
		in.Password = &s
	}
	a, err := u.app.CreateAsset(r.Context(), r.p, in)
	if err != nil {
		if !isFormError(err) && !junction.IsCode(err, junction.ENOTFOUND) {
			return err
		}
		return u.assetsPage(w, r, err)
	}
	return redirect(w, r, "/assets", fmt.Sprintf("Asset %s created.", a.Name))
}

// folders ------------------------------------------------------------

func (u *UI) folders(w http.ResponseWriter, r *request) error { return u.foldersPage(w, r, nil) }

func (u *UI) foldersPage(w http.ResponseWriter, r *request, formErr error) error {
	all, err := u.allFolders(r)
	if err != nil {
		return err
	}
	tree := folderTree(r.p, all)
	search := strings.TrimSpace(r.URL.Query().Get("q"))
	var rows []folderRow
	for _, f := range tree {
		if matches(search, f.Name) {
			rows = append(rows, f)
		}
	}
	rows, pg := slicePage(r, rows)
	return u.show(w, r, "folders", "folders", "Folders", map[string]any{
		"Tree": tree, "Rows": rows, "Q": search, "Pager": pg, "Form": map[string]string{"name": r.PostFormValue("name"), "parent_id": r.PostFormValue("parent_id")},
		"CanCreate": canAnywhere(r.p, junction.PermFoldersCreate)}, formErr)
}

func (u *UI) createFolder(w http.ResponseWriter, r *request) error {
	f, err := u.app.CreateFolder(r.Context(), r.p, app.CreateFolderInput{Name: r.PostFormValue("name"), ParentID: r.PostFormValue("parent_id")})
	if err != nil {
		if !isFormError(err) && !junction.IsCode(err, junction.ENOTFOUND) {
			return err
		}
		return u.foldersPage(w, r, err)
	}
	return redirect(w, r, "/folders", fmt.Sprintf("Folder %s created.", f.Name))
}

// triggers, executions, audit ------------------------------------------

func (u *UI) triggers(w http.ResponseWriter, r *request) error {
	// The list answers its filters by address (?q=, ?kind=, ?enabled=),
	// whether or not the page's form offers them yet.
	q := r.URL.Query()
	var enabled *bool
	if v, err := strconv.ParseBool(q.Get("enabled")); err == nil {
		enabled = &v
	}
	conn, err := u.triggerListConnection(r)
	if err != nil && !isFormError(err) {
		return err
	}
	var list app.List[*app.TriggerView]
	if err == nil {
		list, err = u.app.ListTriggers(r.Context(), r.p, app.TriggerQuery{ConnectionID: conn.ID,
			NameContains: q.Get("q"), Kind: junction.TriggerKind(q.Get("kind")), Enabled: enabled,
			FolderID: r.folder, Subfolders: r.folder != "", Page: pageOf(r)})
		if err != nil {
			return err
		}
	}
	return u.show(w, r, "triggers", "triggers", "Triggers", map[string]any{"List": list, "Pager": cursorPager(r, list.NextCursor),
		"Q": q.Get("q"), "Kind": q.Get("kind"), "Enabled": q.Get("enabled"), "Connection": conn,
		"CanCreate": canAnywhere(r.p, junction.PermTriggersCreate)}, err)
}

func (u *UI) trigger(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	t, err := u.app.GetTrigger(ctx, r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	hist, err := u.app.TriggerHistory(ctx, r.p, t.ID, app.TriggerHistoryQuery{
		Status: junction.TriggerRecordStatus(status), Page: pageOf(r)})
	if err != nil {
		return err
	}
	folder, err := u.app.GetFolder(ctx, r.p, t.FolderID)
	if err != nil {
		return err
	}
	return u.show(w, r, "trigger", "triggers", "Trigger "+triggerLabel(t), map[string]any{"T": t, "History": hist,
		"Status": status, "Statuses": triggerRecordStatuses, "After": r.URL.Query().Get("after"),
		"CanEdit":   r.p.Access.Can(junction.PermTriggersEdit, folder),
		"CanDelete": r.p.Access.Can(junction.PermTriggersDelete, folder), "Poll": u.triggerPollView(r, t)}, nil)
}

// triggerRecordStatuses are the statuses a trigger's history filters by.
var triggerRecordStatuses = []junction.TriggerRecordStatus{junction.TriggerFired, junction.TriggerSkipped, junction.TriggerFailed,
	junction.TriggerDuplicate, junction.TriggerRejectedSignature, junction.TriggerPing, junction.TriggerDisabled}

func (u *UI) audit(w http.ResponseWriter, r *request) error {
	q := r.URL.Query()
	since, err := parseFormTime("since", q.Get("since"))
	var until time.Time
	if err == nil {
		until, err = parseFormTime("until", q.Get("until"))
	}
	var list app.List[*junction.AuditEntry]
	if err == nil {
		list, err = u.app.ListAudit(r.Context(), r.p, app.AuditQuery{Action: q.Get("action"), ObjectType: q.Get("object_type"),
			ObjectID: q.Get("object_id"), Since: since, Until: until, Page: pageOf(r)})
		if err != nil && !isFormError(err) {
			return err
		}
	}
	return u.show(w, r, "audit", "audit", "Audit log", map[string]any{"List": list, "Action": q.Get("action"),
		"ObjectType": q.Get("object_type"), "ObjectID": q.Get("object_id"), "Since": q.Get("since"), "Until": q.Get("until"),
		"Pager": cursorPager(r, list.NextCursor)}, err)
}
