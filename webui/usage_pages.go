package webui

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"junction"
	"junction/app"
)

// Usage chart geometry, in SVG user units: one bar per row, the bars
// scaled to the widest chart a day-by-day span may need.
const (
	usageBarW      = 8
	usageBarGap    = 2
	usageChartH    = 100
	usageChartRows = app.MaxUsageDays
	// usageChartTop is how many bars a chart by connector, connection or
	// folder draws at most.
	usageChartTop = 50
)

// usagePageData is the usage page: the query as typed, the report, its
// chart, and the tenant's quotas when any is set.
type usagePageData struct {
	From, To, GroupBy string
	Groups            []string
	Report            *app.UsageReport
	// Rows is the table's page of the report: days in order, the other
	// groupings largest first (API calls), pageSize at a time.
	Rows     []usageRow
	Pager    pager
	Chart    *usageChart
	Quotas   *app.SystemLimits
	HasQuota bool
}

// usageRow is a report item with its key as a person reads it: a folder's
// name, a connection's page.
type usageRow struct {
	junction.UsageRow
	Label, Link string
}

// usageChart draws API calls per row as bars, without script (the CSP
// allows none inline).
type usageChart struct {
	Bars          []usageBar
	Max           int64
	Width, Height int
	Title         string
	// Top, when set, says only the Top largest rows are drawn.
	Top int
}

type usageBar struct {
	X, Y, H, W int
	Label      string
	APICalls   int64
	Executions int64
}

func (u *UI) usage(w http.ResponseWriter, r *request) error {
	q := r.URL.Query()
	today := u.opts.Clock.Now().UTC().Truncate(24 * time.Hour)
	d := &usagePageData{From: q.Get("from"), To: q.Get("to"), GroupBy: q.Get("group_by"),
		Groups: []string{string(junction.UsageByDay), string(junction.UsageByConnector), string(junction.UsageByConnection), string(junction.UsageByFolder)}}
	if d.GroupBy == "" {
		d.GroupBy = string(junction.UsageByDay)
	}
	if d.To == "" {
		d.To = today.Format(junction.UsageDay)
	}
	if d.From == "" {
		d.From = today.AddDate(0, 0, -(app.DefaultUsageDays - 1)).Format(junction.UsageDay)
	}
	// To is inclusive on the page, as people say "to the 31st"; the app
	// takes the day after.
	var formErr error
	from, err := time.Parse(junction.UsageDay, d.From)
	if err != nil {
		formErr = junction.Invalid("from", "must be a date, as 2030-01-31")
	}
	to, err := time.Parse(junction.UsageDay, d.To)
	if err != nil && formErr == nil {
		formErr = junction.Invalid("to", "must be a date, as 2030-01-31")
	}
	if formErr == nil {
		d.Report, formErr = u.app.GetUsage(r.Context(), r.p, app.UsageQuery{From: from, To: to.AddDate(0, 0, 1),
			GroupBy: junction.UsageGroup(d.GroupBy)})
		if formErr != nil && junction.ErrorCode(formErr) != junction.EINVALID {
			return formErr
		}
	}
	if d.Report != nil {
		if err := u.usageRows(r, d); err != nil {
			return err
		}
	}
	// The quotas and their use span every folder: shown, as on the
	// overview, to those whose report does too.
	if r.p.Access.CanTenant(junction.PermLogsView) {
		sys, err := u.app.System(r.Context(), r.p)
		if err != nil {
			return err
		}
		d.Quotas = &sys.Limits
		d.HasQuota = sys.Limits.Quotas.APICallsPerMonth != nil || sys.Limits.Quotas.Connections != nil || sys.Limits.Quotas.Triggers != nil
	}
	return u.show(w, r, "usage", "usage", "Usage", d, formErr)
}

// usageRows labels the report's rows, draws their chart and pages the
// table. A grouping other than by day lists the largest first: with a
// thousand connections, what a person looks for is who makes the calls,
// and a page of them (not a thousand rows) keeps the page small.
func (u *UI) usageRows(r *request, d *usagePageData) error {
	rows := make([]usageRow, 0, len(d.Report.Items))
	c := &usageChart{Height: usageChartH}
	for _, it := range d.Report.Items {
		row := usageRow{UsageRow: it, Label: it.Key}
		switch d.GroupBy {
		case string(junction.UsageByConnection):
			if junction.ValidID(it.Key) {
				row.Link = "/connections/" + it.Key
			}
		case string(junction.UsageByConnector):
			row.Link = "/connectors/" + it.Key
		}
		rows = append(rows, row)
		c.Max = max(c.Max, it.APICalls)
	}
	if d.GroupBy != string(junction.UsageByDay) {
		slices.SortStableFunc(rows, func(a, b usageRow) int { return cmp.Compare(b.APICalls, a.APICalls) })
	}
	d.Rows, d.Pager = slicePage(r, rows)
	if err := u.usageLabels(r, d); err != nil {
		return err
	}
	bars := rows
	if d.GroupBy != string(junction.UsageByDay) && len(bars) > usageChartTop {
		// Only the largest are drawn: a thousand connections' bars would
		// be too thin to read and weigh more than the table.
		bars = bars[:usageChartTop]
		c.Top = usageChartTop
	}
	bars = bars[:min(len(bars), usageChartRows)]
	if len(bars) == 0 {
		return nil
	}
	c.Width = len(bars) * (usageBarW + usageBarGap)
	for i, row := range bars {
		b := usageBar{X: i * (usageBarW + usageBarGap), W: usageBarW, Label: row.Label, APICalls: row.APICalls, Executions: row.Executions}
		if c.Max > 0 {
			b.H = int(row.APICalls * usageChartH / c.Max)
			if row.APICalls > 0 && b.H == 0 {
				b.H = 1 // a bar with any call stays visible
			}
		}
		b.Y = usageChartH - b.H
		c.Bars = append(c.Bars, b)
	}
	c.Title = "API calls by " + d.GroupBy
	if c.Top > 0 {
		c.Title = "API calls of the " + strconv.Itoa(c.Top) + " largest by " + d.GroupBy
	}
	c.Title += ", " + d.Report.From + " to " + d.Report.To + " (exclusive): " +
		strconv.FormatInt(d.Report.Total.APICalls, 10) + " in all"
	d.Chart = c
	return nil
}

// usageLabels names the rows of the table's page: folders by their names,
// connections by theirs (looked up for the page's rows only, so a report
// over thousands of connections reads at most a page of them). A
// connection deleted since, or one the reader may no longer see, keeps its
// ID. Rows with no key (usage counted outside any folder or connection)
// read "(none)".
func (u *UI) usageLabels(r *request, d *usagePageData) error {
	switch d.GroupBy {
	case string(junction.UsageByFolder):
		folders, err := u.app.ListFolders(r.Context(), r.p, app.FolderQuery{Page: junction.Page{Limit: junction.MaxPageSize}})
		if err != nil {
			return err
		}
		names := make(map[string]string, len(folders.Items))
		for _, f := range folders.Items {
			names[f.ID] = f.Name
		}
		for i := range d.Rows {
			if n := names[d.Rows[i].Key]; n != "" {
				d.Rows[i].Label = n
			}
		}
	case string(junction.UsageByConnection):
		for i := range d.Rows {
			if d.Rows[i].Link == "" {
				continue
			}
			c, err := u.app.GetConnection(r.Context(), r.p, d.Rows[i].Key)
			switch {
			case err == nil:
				d.Rows[i].Label = c.Name
			case junction.ErrorCode(err) != junction.ENOTFOUND && junction.ErrorCode(err) != junction.EPERMISSIONDENIED:
				return err
			}
		}
	}
	for i := range d.Rows {
		if d.Rows[i].Label == "" {
			d.Rows[i].Label = "(none)"
		}
	}
	return nil
}

// settingsData is the settings page: the tenant's log retention, and its
// quotas (editable by host administrators only).
type settingsData struct {
	Retention     *junction.Retention
	CanEditRet    bool
	RetForm       map[string]string
	Quotas        *app.TenantQuotas
	CanEditQuotas bool
	QuotaForm     map[string]string
	// Tenants lets a host administrator pick whose quotas to set.
	Tenants []*junction.Tenant
	Tenant  string
}

var retentionFields = []string{"executions_days", "trigger_history_days", "audit_days", "jobs_days"}

var quotaFields = []string{"api_calls_per_month", "connections", "triggers"}

// canSettings tells whether p may see the settings page at all: with the
// permissions GetRetention needs, or as a host administrator.
func canSettings(p *junction.Principal) bool {
	return p.User.HostAdmin || p.Access.CanTenant(junction.PermAuditView)
}

func (u *UI) settings(w http.ResponseWriter, r *request) error {
	return u.showSettings(w, r, nil, nil, nil)
}

func (u *UI) showSettings(w http.ResponseWriter, r *request, retForm, quotaForm map[string]string, formErr error) error {
	ctx := r.Context()
	if !canSettings(r.p) {
		return junction.Errorf(junction.EPERMISSIONDENIED, "the settings are for tenant administrators: you need %s tenant-wide", junction.PermAuditView)
	}
	d := &settingsData{RetForm: retForm, QuotaForm: quotaForm,
		CanEditRet: r.p.Access.CanTenant(junction.PermAuditView) && r.p.Access.CanTenant(junction.PermRolesEdit)}
	if r.p.Access.CanTenant(junction.PermAuditView) {
		ret, err := u.app.GetRetention(ctx, r.p)
		if err != nil {
			return err
		}
		d.Retention = &ret
		if d.RetForm == nil {
			d.RetForm = map[string]string{"executions_days": strconv.Itoa(ret.ExecutionsDays),
				"trigger_history_days": strconv.Itoa(ret.TriggerHistoryDays), "audit_days": strconv.Itoa(ret.AuditDays),
				"jobs_days": strconv.Itoa(ret.JobsDays)}
		}
	}
	if r.p.User.HostAdmin {
		d.CanEditQuotas = true
		d.Tenant = r.URL.Query().Get("tenant")
		if t := r.PostFormValue("tenant"); r.Method == http.MethodPost && t != "" {
			d.Tenant = t
		}
		if d.Tenant == "" {
			d.Tenant = r.p.TenantID()
		}
		tenants, err := u.app.ListTenants(ctx, r.p, junction.Page{Limit: junction.MaxPageSize})
		if err != nil {
			return err
		}
		d.Tenants = tenants.Items
		q, err := u.app.GetTenantQuotas(ctx, r.p, d.Tenant)
		if err != nil {
			return err
		}
		d.Quotas = q
	} else {
		// Tenant administrators see their tenant's quotas as every
		// caller may (GET /api/v1/system), without a form.
		sys, err := u.app.System(ctx, r.p)
		if err != nil {
			return err
		}
		d.Quotas = &app.TenantQuotas{TenantID: r.p.TenantID(), Quotas: sys.Limits.Quotas, Used: sys.Limits.Used}
	}
	if d.QuotaForm == nil {
		d.QuotaForm = map[string]string{}
		for f, v := range map[string]*int64{"api_calls_per_month": d.Quotas.Quotas.APICallsPerMonth,
			"connections": d.Quotas.Quotas.Connections, "triggers": d.Quotas.Quotas.Triggers} {
			if v != nil {
				d.QuotaForm[f] = strconv.FormatInt(*v, 10)
			}
		}
	}
	return u.show(w, r, "settings", "settings", "Settings", d, formErr)
}

func (u *UI) setRetention(w http.ResponseWriter, r *request) error {
	form := map[string]string{}
	var ret junction.Retention
	dst := map[string]*int{"executions_days": &ret.ExecutionsDays, "trigger_history_days": &ret.TriggerHistoryDays,
		"audit_days": &ret.AuditDays, "jobs_days": &ret.JobsDays}
	for _, f := range retentionFields {
		form[f] = strings.TrimSpace(r.PostFormValue(f))
		if form[f] == "" {
			continue // the default
		}
		n, err := strconv.Atoi(form[f])
		if err != nil {
			return u.showSettings(w, r, form, nil, junction.Invalid(f, "must be a whole number of days, or empty for the default"))
		}
		*dst[f] = n
	}
	if _, err := u.app.SetRetention(r.Context(), r.p, ret); err != nil {
		if junction.ErrorCode(err) == junction.EINVALID {
			return u.showSettings(w, r, form, nil, err)
		}
		return err
	}
	return redirect(w, r, "/settings", "Retention saved. Records past it go at the next pruning.")
}

func (u *UI) setQuotas(w http.ResponseWriter, r *request) error {
	tenant := r.PostFormValue("tenant")
	form := map[string]string{}
	var q junction.Quotas
	dst := map[string]**int64{"api_calls_per_month": &q.APICallsPerMonth, "connections": &q.Connections, "triggers": &q.Triggers}
	for _, f := range quotaFields {
		form[f] = strings.TrimSpace(r.PostFormValue(f))
		if form[f] == "" {
			continue // unlimited
		}
		n, err := strconv.ParseInt(form[f], 10, 64)
		if err != nil {
			return u.showSettings(w, r, nil, form, junction.Invalid(f, "must be a whole number, or empty for unlimited"))
		}
		*dst[f] = &n
	}
	if _, err := u.app.SetTenantQuotas(r.Context(), r.p, tenant, q); err != nil {
		if junction.ErrorCode(err) == junction.EINVALID {
			return u.showSettings(w, r, nil, form, err)
		}
		return err
	}
	http.Redirect(w, r.Request, "/settings?tenant="+urlQueryEscape(tenant)+"&notice="+urlQueryEscape("Quotas saved."), http.StatusSeeOther)
	return nil
}
