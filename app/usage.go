package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"junction"
)

// UsageMeter counts what tenants consume and holds their API calls
// against their quotas. *usage.Meter implements it.
type UsageMeter interface {
	Count(scope junction.UsageScope, n junction.UsageCounts)
	// CheckAPICalls returns quota_exceeded when the tenant has made its
	// month's API calls.
	CheckAPICalls(ctx context.Context, tenantID string) error
	// MonthAPICalls is the tenant's API calls this UTC month, stored and
	// not yet written.
	MonthAPICalls(ctx context.Context, tenantID string) (int64, error)
	// SetQuotas makes changed quotas count at once on this server.
	SetQuotas(tenantID string, q junction.Quotas)
	// Flush writes the counts held in memory.
	Flush(ctx context.Context) error
}

// UsageQuery asks for usage over the days [From, To) (UTC), summed by
// GroupBy.
type UsageQuery struct {
	From, To time.Time
	GroupBy  junction.UsageGroup
}

// UsageReport is what GetUsage answers: one item per group, ordered by
// key, and their total.
type UsageReport struct {
	From    string               `json:"from"`
	To      string               `json:"to"`
	GroupBy junction.UsageGroup  `json:"group_by,omitempty"`
	Items   []junction.UsageRow  `json:"items"`
	Total   junction.UsageCounts `json:"total"`
}

// Usage spans.
const (
	DefaultUsageDays = 30
	MaxUsageDays     = 400
)

// GetUsage sums the tenant's usage in the folders where the caller holds
// Logs.View (everything with it tenant-wide, as tenant administrators
// have): consumption is part of the record of what ran, and someone who
// may read a folder's executions may read what they cost. Counts still in
// memory are written first, so the report includes the executions just
// made on this server.
func (a *App) GetUsage(ctx context.Context, p *junction.Principal, q UsageQuery) (*UsageReport, error) {
	if !q.GroupBy.Valid() {
		return nil, junction.Invalid("group_by", "must be day, connector, connection or folder")
	}
	now := a.now()
	to := q.To
	if to.IsZero() {
		to = now.AddDate(0, 0, 1)
	}
	from := q.From
	if from.IsZero() {
		from = to.AddDate(0, 0, -DefaultUsageDays)
	}
	fromDay, toDay := from.UTC().Format(junction.UsageDay), to.UTC().Format(junction.UsageDay)
	if fromDay >= toDay {
		return nil, junction.Invalid("to", "must be at least a day after from")
	}
	if to.Sub(from) > MaxUsageDays*24*time.Hour {
		return nil, junction.Invalid("from", "the span may be at most %d days", MaxUsageDays)
	}
	ids, all, err := a.folderScope(ctx, p, junction.PermLogsView, "", false)
	if err != nil {
		return nil, err
	}
	if !all && len(ids) == 0 {
		return nil, denied(junction.PermLogsView)
	}
	if all {
		ids = nil
	}
	if a.usage != nil {
		if err := a.usage.Flush(ctx); err != nil {
			a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "write usage counts before reading them", slog.Any("error", err))
		}
	}
	rows, err := a.store.SumUsage(ctx, p.TenantID(), junction.UsageFilter{From: fromDay, To: toDay, FolderIDs: ids, GroupBy: q.GroupBy})
	if err != nil {
		return nil, err
	}
	r := &UsageReport{From: fromDay, To: toDay, GroupBy: q.GroupBy, Items: []junction.UsageRow{}}
	for _, row := range rows {
		r.Total.Add(row.UsageCounts)
		if q.GroupBy != junction.UsageTotal {
			r.Items = append(r.Items, row)
		}
	}
	return r, nil
}

// TenantQuotas is a tenant's quotas with what it uses of each.
type TenantQuotas struct {
	TenantID string          `json:"tenant_id"`
	Quotas   junction.Quotas `json:"quotas"`
	Used     QuotaUse        `json:"used"`
}

// QuotaUse is what a tenant uses of what quotas bound.
type QuotaUse struct {
	APICallsThisMonth int64 `json:"api_calls_this_month"`
	Connections       int64 `json:"connections"`
	Triggers          int64 `json:"triggers"`
}

func needHostAdmin(p *junction.Principal) error {
	if !p.User.HostAdmin {
		return junction.Errorf(junction.EPERMISSIONDENIED, "only a host administrator can see or change tenants' quotas")
	}
	return nil
}

// GetTenantQuotas returns a tenant's quotas and use. Host administrators
// only: quotas are the installation's terms, not the tenant's settings.
func (a *App) GetTenantQuotas(ctx context.Context, p *junction.Principal, tenantID string) (*TenantQuotas, error) {
	if err := needHostAdmin(p); err != nil {
		return nil, err
	}
	if !junction.ValidID(tenantID) {
		return nil, junction.NotFound("tenant")
	}
	if _, err := a.store.GetTenant(ctx, tenantID); err != nil {
		return nil, err
	}
	q, err := a.store.GetQuotas(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return a.quotaView(ctx, tenantID, *q)
}

func (a *App) quotaView(ctx context.Context, tenantID string, q junction.Quotas) (*TenantQuotas, error) {
	v := &TenantQuotas{TenantID: tenantID, Quotas: q}
	var err error
	if v.Used.Connections, err = a.store.CountConnections(ctx, tenantID); err != nil {
		return nil, err
	}
	if v.Used.Triggers, err = a.store.CountTriggers(ctx, tenantID); err != nil {
		return nil, err
	}
	if a.usage != nil {
		if v.Used.APICallsThisMonth, err = a.usage.MonthAPICalls(ctx, tenantID); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// SetTenantQuotas replaces a tenant's quotas (a null or absent field is
// unlimited). Lowering a quota below what the tenant uses removes nothing:
// connections and triggers stay, and executions are refused until use is
// under it again.
func (a *App) SetTenantQuotas(ctx context.Context, p *junction.Principal, tenantID string, q junction.Quotas) (*TenantQuotas, error) {
	if err := needHostAdmin(p); err != nil {
		return nil, err
	}
	if !junction.ValidID(tenantID) {
		return nil, junction.NotFound("tenant")
	}
	for field, v := range map[string]*int64{"api_calls_per_month": q.APICallsPerMonth, "connections": q.Connections, "triggers": q.Triggers} {
		if v != nil && *v < 0 {
			return nil, junction.Invalid(field, "must be 0 or more, or null for unlimited")
		}
	}
	err := a.tx(ctx, func(tx junction.Store) error {
		if _, err := tx.GetTenant(ctx, tenantID); err != nil {
			return err
		}
		if err := tx.PutQuotas(ctx, tenantID, &q, a.now()); err != nil {
			return err
		}
		return a.auditIn(ctx, tx, tenantID, p, "tenant.quotas.update", "tenant", tenantID, "", map[string]any{
			"api_calls_per_month": q.APICallsPerMonth, "connections": q.Connections, "triggers": q.Triggers})
	})
	if err != nil {
		return nil, err
	}
	if a.usage != nil {
		a.usage.SetQuotas(tenantID, q)
	}
	return a.quotaView(ctx, tenantID, q)
}

// checkAPICalls refuses an execution over the tenant's month of API calls.
func (a *App) checkAPICalls(ctx context.Context, tenantID string) error {
	if a.usage == nil {
		return nil
	}
	return a.usage.CheckAPICalls(ctx, tenantID)
}

// checkCountQuota refuses one more connection or trigger over the
// tenant's quota, read in the creating transaction tx. On SQLite, whose
// one writer runs such transactions one after the other, the count is
// exact; on PostgreSQL, creations racing in parallel may each see room
// for one.
func checkCountQuota(ctx context.Context, tx junction.Store, tenantID, kind string) error {
	q, err := tx.GetQuotas(ctx, tenantID)
	if err != nil {
		return err
	}
	limit, count := q.Connections, tx.CountConnections
	if kind == "triggers" {
		limit, count = q.Triggers, tx.CountTriggers
	}
	if limit == nil {
		return nil
	}
	n, err := count(ctx, tenantID)
	if err != nil {
		return err
	}
	if n < *limit {
		return nil
	}
	return &junction.Error{Code: junction.EQUOTAEXCEEDED,
		Message: fmt.Sprintf("the tenant has %d %s, its quota is %d: delete one, or have a host administrator raise the quota",
			n, kind, *limit),
		Details: map[string]any{"quota": kind, "limit": *limit, "used": n}}
}

// SystemInfo is what this server offers, as GET /api/v1/system shows it:
// nothing secret and no address of an internal service.
type SystemInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	BuildDate string `json:"build_date,omitempty"`
	// Database is "sqlite" or "postgres".
	Database string `json:"database"`
	// CredentialStoreTypes are the store types a credential store may
	// have, "database" (built in) included.
	CredentialStoreTypes []string `json:"credential_store_types"`
	// Connectors counts the connectors the caller's tenant may use:
	// built in and its own published ones.
	Connectors int `json:"connectors"`
	// OIDC, SMTP and SeveralServers tell whether sign-in through an
	// OpenID provider, email notifications and several servers sharing
	// the database (PostgreSQL) are configured.
	OIDC           bool         `json:"oidc"`
	SMTP           bool         `json:"smtp"`
	SeveralServers bool         `json:"several_servers"`
	Limits         SystemLimits `json:"limits"`
}

// SystemLimits are the limits in force.
type SystemLimits struct {
	RequestBodyBytes       int64 `json:"request_body_bytes"`
	WebhookBodyBytes       int64 `json:"webhook_body_bytes"`
	UpstreamResponseBytes  int64 `json:"upstream_response_bytes"`
	UpstreamTimeoutSeconds int64 `json:"upstream_timeout_seconds"`
	DeliveryTimeoutSeconds int64 `json:"delivery_timeout_seconds"`
	MaxPages               int   `json:"max_pages"`
	// UsageFlushSeconds is how often usage counts are written: what a
	// crash may lose, and by how much servers together may overshoot an
	// API-call quota.
	UsageFlushSeconds int64 `json:"usage_flush_seconds"`
	// Quotas are the caller's tenant's, with what it uses of them.
	Quotas junction.Quotas `json:"quotas"`
	Used   QuotaUse        `json:"used"`
}

// System describes this server to any authenticated caller, with the
// quotas of the caller's own tenant.
func (a *App) System(ctx context.Context, p *junction.Principal) (*SystemInfo, error) {
	info := a.system
	info.CredentialStoreTypes = []string{junction.DatabaseStoreType}
	for name := range a.storeTypes {
		info.CredentialStoreTypes = append(info.CredentialStoreTypes, name)
	}
	slices.Sort(info.CredentialStoreTypes[1:])
	if a.catalog != nil {
		defs, err := a.catalog.Definitions(ctx, p.TenantID())
		if err != nil {
			return nil, err
		}
		info.Connectors = len(defs)
	}
	q, err := a.store.GetQuotas(ctx, p.TenantID())
	if err != nil {
		return nil, err
	}
	v, err := a.quotaView(ctx, p.TenantID(), *q)
	if err != nil {
		return nil, err
	}
	info.Limits.Quotas, info.Limits.Used = v.Quotas, v.Used
	return &info, nil
}

// MonthUsage is what the tenant used in the current UTC month, as the web
// UI's overview shows it.
type MonthUsage struct {
	// Month is the month, as 2006-01.
	Month string `json:"month"`
	// Used sums the month's stored usage in the folders where the caller
	// holds Logs.View: counts are written every few seconds, so the last
	// moments may be missing.
	Used junction.UsageCounts `json:"used"`
	// APICallsQuota is the tenant's monthly API-call quota, and
	// TenantAPICalls what the tenant made of it this month, counts not yet
	// written included, as the quota counts them. Both are given to
	// callers holding Logs.View tenant-wide only (they sum every folder),
	// and the quota only when one is set.
	APICallsQuota  *int64 `json:"api_calls_quota,omitempty"`
	TenantAPICalls int64  `json:"tenant_api_calls,omitempty"`
}

// GetMonthUsage sums the current month's usage from the daily aggregates,
// reading no execution record and writing nothing: cheap enough for a
// page shown at every sign-in. Needs Logs.View somewhere.
func (a *App) GetMonthUsage(ctx context.Context, p *junction.Principal) (*MonthUsage, error) {
	start := junction.MonthStart(a.now())
	ids, all, err := a.folderScope(ctx, p, junction.PermLogsView, "", false)
	if err != nil {
		return nil, err
	}
	if !all && len(ids) == 0 {
		return nil, denied(junction.PermLogsView)
	}
	if all {
		ids = nil
	}
	rows, err := a.store.SumUsage(ctx, p.TenantID(), junction.UsageFilter{From: start.Format(junction.UsageDay),
		To: start.AddDate(0, 1, 0).Format(junction.UsageDay), FolderIDs: ids})
	if err != nil {
		return nil, err
	}
	u := &MonthUsage{Month: start.Format("2006-01")}
	for _, row := range rows {
		u.Used.Add(row.UsageCounts)
	}
	if !all {
		return u, nil
	}
	q, err := a.store.GetQuotas(ctx, p.TenantID())
	if err != nil {
		return nil, err
	}
	if q.APICallsPerMonth == nil {
		return u, nil
	}
	u.APICallsQuota, u.TenantAPICalls = q.APICallsPerMonth, u.Used.APICalls
	if a.usage != nil {
		if u.TenantAPICalls, err = a.usage.MonthAPICalls(ctx, p.TenantID()); err != nil {
			return nil, err
		}
	}
	return u, nil
}
