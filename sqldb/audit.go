package sqldb

import (
	"context"
	"database/sql"

	"junction"
)

const auditColumns = "id, tenant_id, at, actor_id, actor_name, action, object_type, object_id, folder_id, ip, request_id, outcome, details, host_only"

func scanAudit(s scanner) (*junction.AuditEntry, error) {
	var e junction.AuditEntry
	var at int64
	var details sql.NullString
	if err := s.Scan(&e.ID, &e.TenantID, &at, &e.ActorID, &e.ActorName, &e.Action, &e.ObjectType, &e.ObjectID,
		&e.FolderID, &e.IP, &e.RequestID, &e.Outcome, &details, &e.HostOnly); err != nil {
		return nil, err
	}
	e.At = fromMicros(at)
	if err := decodeJSON(details.String, &e.Details); err != nil {
		return nil, err
	}
	return &e, nil
}

// AppendAudit stores e, filling an empty ID and a zero At. Details are kept
// as JSON, so numbers read back as float64.
func (h *handle) AppendAudit(ctx context.Context, e *junction.AuditEntry) error {
	newID(&e.ID)
	e.At = stamp(e.At, h.db.now())
	var details any
	if len(e.Details) > 0 {
		s, err := encodeJSON(e.Details)
		if err != nil {
			return internal("append audit: encode details", err)
		}
		details = s
	}
	_, err := h.writer().ExecContext(ctx,
		"INSERT INTO audit_entries ("+auditColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
		e.ID, e.TenantID, toMicros(e.At), e.ActorID, e.ActorName, e.Action, e.ObjectType, e.ObjectID,
		e.FolderID, e.IP, e.RequestID, e.Outcome, details, e.HostOnly)
	if err != nil {
		return writeErr("append audit", "audit entry", err, "an audit entry with this ID already exists", junction.NotFound("tenant"))
	}
	return nil
}

// ListAudit lists entries by ID, which for IDs NewID issued is the order
// they were appended in.
func (h *handle) ListAudit(ctx context.Context, tenantID string, f junction.AuditFilter) ([]*junction.AuditEntry, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	if !f.WithHostOnly {
		c.add("NOT host_only")
	}
	for _, eq := range [][2]string{
		{"actor_id", f.ActorID}, {"object_type", f.ObjectType}, {"object_id", f.ObjectID}, {"action", f.Action},
	} {
		if eq[1] != "" {
			c.add(eq[0] + " = " + c.arg(eq[1]))
		}
	}
	if !f.Since.IsZero() {
		c.add("at >= " + c.arg(toMicros(f.Since)))
	}
	if !f.Until.IsZero() {
		c.add("at < " + c.arg(toMicros(f.Until)))
	}
	tail := c.page(f.Page, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_entries"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list audit", err)
	}
	out, err := collect(rows, scanAudit)
	if err != nil {
		return nil, internal("list audit", err)
	}
	return out, nil
}
