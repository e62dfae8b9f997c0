package sqldb

import (
	"context"
	"database/sql"
	"time"

	"junction"
)

// AddUsage adds to each day's row in one statement per record, inside one
// transaction: the ON CONFLICT addition is atomic on both databases, so
// servers flushing the same row at once both count.
func (h *handle) AddUsage(ctx context.Context, recs []junction.UsageRecord) error {
	if len(recs) == 0 {
		return nil
	}
	return h.InTx(ctx, func(tx junction.Store) error {
		w := tx.(*handle).writer()
		for _, r := range recs {
			_, err := w.ExecContext(ctx, `INSERT INTO usage_daily (tenant_id, day, folder_id, connector, connection_id,
				executions, api_calls, trigger_events, polls, jobs_delivered) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
				ON CONFLICT (tenant_id, day, folder_id, connector, connection_id) DO UPDATE SET
				executions = usage_daily.executions + excluded.executions,
				api_calls = usage_daily.api_calls + excluded.api_calls,
				trigger_events = usage_daily.trigger_events + excluded.trigger_events,
				polls = usage_daily.polls + excluded.polls,
				jobs_delivered = usage_daily.jobs_delivered + excluded.jobs_delivered`,
				r.TenantID, r.Day, r.FolderID, r.Connector, r.ConnectionID,
				r.Executions, r.APICalls, r.TriggerEvents, r.Polls, r.JobsDelivered)
			if err != nil {
				return internal("add usage", err)
			}
		}
		return nil
	})
}

// usageGroupColumn is the column each grouping sums by; the table maps
// only known groupings, so no caller text reaches the query.
var usageGroupColumn = map[junction.UsageGroup]string{
	junction.UsageByDay:        "day",
	junction.UsageByConnector:  "connector",
	junction.UsageByConnection: "connection_id",
	junction.UsageByFolder:     "folder_id",
	junction.UsageTotal:        "''",
}

func (h *handle) SumUsage(ctx context.Context, tenantID string, f junction.UsageFilter) ([]junction.UsageRow, error) {
	col, ok := usageGroupColumn[f.GroupBy]
	if !ok {
		return nil, junction.Invalid("group_by", "must be day, connector, connection or folder")
	}
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	if f.From != "" {
		c.add("day >= " + c.arg(f.From))
	}
	if f.To != "" {
		c.add("day < " + c.arg(f.To))
	}
	c.in("folder_id", f.FolderIDs)
	q := "SELECT " + col + ", COALESCE(SUM(executions), 0), COALESCE(SUM(api_calls), 0), COALESCE(SUM(trigger_events), 0), " +
		"COALESCE(SUM(polls), 0), COALESCE(SUM(jobs_delivered), 0) FROM usage_daily" + c.clause()
	if f.GroupBy != junction.UsageTotal {
		q += " GROUP BY " + col + " ORDER BY " + col
	}
	rows, err := h.reader().QueryContext(ctx, q, c.args...)
	if err != nil {
		return nil, internal("sum usage", err)
	}
	out, err := collect(rows, func(s scanner) (junction.UsageRow, error) {
		var r junction.UsageRow
		err := s.Scan(&r.Key, &r.Executions, &r.APICalls, &r.TriggerEvents, &r.Polls, &r.JobsDelivered)
		return r, err
	})
	if err != nil {
		return nil, internal("sum usage", err)
	}
	if out == nil {
		out = []junction.UsageRow{}
	}
	return out, nil
}

func quotaOf(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	n := v.Int64
	return &n
}

func nullQuota(p *int64) sql.NullInt64 {
	if p == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: *p, Valid: true}
}

func (h *handle) GetQuotas(ctx context.Context, tenantID string) (*junction.Quotas, error) {
	var api, conns, trigs sql.NullInt64
	err := h.reader().QueryRowContext(ctx,
		"SELECT api_calls_per_month, connections, triggers FROM tenant_quotas WHERE tenant_id = $1", tenantID).
		Scan(&api, &conns, &trigs)
	if err == sql.ErrNoRows {
		return &junction.Quotas{}, nil
	}
	if err != nil {
		return nil, internal("get quotas", err)
	}
	return &junction.Quotas{APICallsPerMonth: quotaOf(api), Connections: quotaOf(conns), Triggers: quotaOf(trigs)}, nil
}

func (h *handle) PutQuotas(ctx context.Context, tenantID string, q *junction.Quotas, at time.Time) error {
	_, err := h.writer().ExecContext(ctx, `INSERT INTO tenant_quotas (tenant_id, api_calls_per_month, connections, triggers, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id) DO UPDATE SET api_calls_per_month = excluded.api_calls_per_month,
		connections = excluded.connections, triggers = excluded.triggers, updated_at = excluded.updated_at`,
		tenantID, nullQuota(q.APICallsPerMonth), nullQuota(q.Connections), nullQuota(q.Triggers), toMicros(stamp(at, h.db.now())))
	if err != nil {
		return writeErr("put quotas", "quotas", err, "", junction.NotFound("tenant"))
	}
	return nil
}

func (h *handle) ListQuotas(ctx context.Context) (map[string]junction.Quotas, error) {
	rows, err := h.reader().QueryContext(ctx, "SELECT tenant_id, api_calls_per_month, connections, triggers FROM tenant_quotas")
	if err != nil {
		return nil, internal("list quotas", err)
	}
	type row struct {
		tenant string
		q      junction.Quotas
	}
	list, err := collect(rows, func(s scanner) (row, error) {
		var r row
		var api, conns, trigs sql.NullInt64
		err := s.Scan(&r.tenant, &api, &conns, &trigs)
		r.q = junction.Quotas{APICallsPerMonth: quotaOf(api), Connections: quotaOf(conns), Triggers: quotaOf(trigs)}
		return r, err
	})
	if err != nil {
		return nil, internal("list quotas", err)
	}
	out := make(map[string]junction.Quotas, len(list))
	for _, r := range list {
		out[r.tenant] = r.q
	}
	return out, nil
}

func (h *handle) count(ctx context.Context, op, table, tenantID string) (int64, error) {
	var n int64
	if err := h.reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" WHERE tenant_id = $1", tenantID).Scan(&n); err != nil {
		return 0, internal(op, err)
	}
	return n, nil
}

func (h *handle) CountConnections(ctx context.Context, tenantID string) (int64, error) {
	return h.count(ctx, "count connections", "connections", tenantID)
}

func (h *handle) CountTriggers(ctx context.Context, tenantID string) (int64, error) {
	return h.count(ctx, "count triggers", "triggers", tenantID)
}

// ClaimQuotaThreshold inserts the threshold's row unless it exists; the
// primary key decides between servers.
func (h *handle) ClaimQuotaThreshold(ctx context.Context, tenantID, month string, percent int) (bool, error) {
	res, err := h.writer().ExecContext(ctx, `INSERT INTO quota_thresholds (tenant_id, month, percent) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, month, percent) DO NOTHING`, tenantID, month, percent)
	if err != nil {
		return false, internal("claim quota threshold", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, internal("claim quota threshold", err)
	}
	return n == 1, nil
}
