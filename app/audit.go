package app

import (
	"context"
	"time"

	"junction"
)

// List is one page of a list: the items and, when more may follow, the
// cursor to pass as Page.After for the next page.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func newList[T any](items []T, page junction.Page, id func(T) string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, NextCursor: nextCursor(items, page, id)}
}

// Outcome of a change that went through.
const outcomeSuccess = "success"

// audit appends the audit entry for a change to the transaction tx, so the
// entry exists exactly when the change does. details must not hold secrets.
func (a *App) audit(ctx context.Context, tx junction.Store, p *junction.Principal, action, objType, objID, folderID string, details map[string]any) error {
	return a.auditIn(ctx, tx, p.TenantID(), p, action, objType, objID, folderID, details)
}

// hostActorName is how a tenant's audit log names a host administrator
// acting on it from outside: the log must not reveal who holds host
// administration, nor which tenant they live in.
const hostActorName = "host administrator"

// auditIn is audit for a given tenant: a host administrator creating a
// tenant leaves an entry in the new tenant too, and bootstrap has no caller
// at all (p nil). An entry in another tenant than the caller's names the
// caller only as the host administrator, with no ID or address.
func (a *App) auditIn(ctx context.Context, tx junction.Store, tenantID string, p *junction.Principal, action, objType, objID, folderID string, details map[string]any) error {
	e := &junction.AuditEntry{
		ID:         junction.NewID(),
		TenantID:   tenantID,
		At:         a.now(),
		Action:     action,
		ObjectType: objType,
		ObjectID:   objID,
		FolderID:   folderID,
		Outcome:    outcomeSuccess,
		Details:    details,
	}
	switch {
	case p == nil:
	case p.User != nil && p.User.TenantID != tenantID:
		e.RequestID, e.ActorName = p.RequestID, hostActorName
	default:
		e.IP, e.RequestID = p.IP, p.RequestID
		if p.User != nil {
			e.ActorID, e.ActorName = p.User.ID, p.User.Name
		}
	}
	return tx.AppendAudit(ctx, e)
}

// auditHost records host administration in the host administrator's own
// tenant, visible to host administrators only, since it names other
// tenants.
func (a *App) auditHost(ctx context.Context, tx junction.Store, p *junction.Principal, action, objType, objID string, details map[string]any) error {
	e := &junction.AuditEntry{
		ID: junction.NewID(), TenantID: p.TenantID(), At: a.now(), Action: action,
		ObjectType: objType, ObjectID: objID, Outcome: outcomeSuccess, Details: details, HostOnly: true,
		ActorID: p.User.ID, ActorName: p.User.Name, IP: p.IP, RequestID: p.RequestID,
	}
	return tx.AppendAudit(ctx, e)
}

// AuditQuery narrows ListAudit.
type AuditQuery struct {
	ActorID    string
	ObjectType string
	ObjectID   string
	Action     string
	Since      time.Time
	Until      time.Time
	junction.Page
}

// ListAudit returns the caller's tenant's audit log, oldest first. Needs
// Audit.View; host administration shows to host administrators only.
func (a *App) ListAudit(ctx context.Context, p *junction.Principal, q AuditQuery) (List[*junction.AuditEntry], error) {
	if err := requireTenant(p, junction.PermAuditView); err != nil {
		return List[*junction.AuditEntry]{}, err
	}
	if err := checkCursor(q.Page); err != nil {
		return List[*junction.AuditEntry]{}, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return List[*junction.AuditEntry]{}, junction.Invalid("until", "must be after since")
	}
	entries, err := a.store.ListAudit(ctx, p.TenantID(), junction.AuditFilter{
		ActorID: q.ActorID, ObjectType: q.ObjectType, ObjectID: q.ObjectID, Action: q.Action,
		Since: q.Since, Until: q.Until, WithHostOnly: p.User.HostAdmin, Page: q.Page.Normalize(),
	})
	if err != nil {
		return List[*junction.AuditEntry]{}, err
	}
	return newList(entries, q.Page, func(e *junction.AuditEntry) string { return e.ID }), nil
}
