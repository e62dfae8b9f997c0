package engine

import (
	"context"
	"sync"
	"time"

	"junction"
)

// reauthCheck remembers when this engine last looked for credentials about
// to expire, so that the hourly housekeeping looks once a day.
type reauthCheck struct {
	mu   sync.Mutex
	last time.Time
}

// CheckReauthorization looks, at most once a day, for connected OAuth
// connections whose refresh token expires within
// junction.ReauthorizationWarning, and records a
// connection.reauthorization_needed event for each: people are told while
// the connection still works. It returns how many it found; 0 when it
// looked less than a day ago.
func (e *Engine) CheckReauthorization(ctx context.Context) (int, error) {
	now := e.clock.Now()
	e.reauth.mu.Lock()
	if !e.reauth.last.IsZero() && now.Sub(e.reauth.last) < 24*time.Hour {
		e.reauth.mu.Unlock()
		return 0, nil
	}
	e.reauth.last = now
	e.reauth.mu.Unlock()

	found := 0
	tenants := junction.Page{Limit: junction.MaxPageSize}
	for {
		ts, err := e.store.ListTenants(ctx, tenants)
		if err != nil {
			return found, err
		}
		for _, t := range ts {
			n, err := e.checkTenantReauthorization(ctx, t.ID, now)
			found += n
			if err != nil {
				return found, err
			}
		}
		if len(ts) < tenants.Limit {
			return found, nil
		}
		tenants.After = ts[len(ts)-1].ID
	}
}

func (e *Engine) checkTenantReauthorization(ctx context.Context, tenantID string, now time.Time) (int, error) {
	found := 0
	f := junction.ConnectionFilter{Status: junction.ConnectionConnected, Page: junction.Page{Limit: junction.MaxPageSize}}
	for {
		cs, err := e.store.ListConnections(ctx, tenantID, f)
		if err != nil {
			return found, err
		}
		for _, c := range cs {
			if c.TokenSealedID == "" {
				continue
			}
			t, err := openToken(ctx, e.store, e.keyring, c.TenantID, c.TokenSealedID)
			if err != nil || t.RefreshExpiry.IsZero() || t.RefreshExpiry.Sub(now) > junction.ReauthorizationWarning {
				continue
			}
			found++
			if err := e.store.AppendEvent(ctx, &junction.Event{TenantID: c.TenantID,
				Type: junction.EventConnectionReauthorizationNeeded, ObjectType: "connection", ObjectID: c.ID,
				FolderID: c.FolderID, At: now, Details: map[string]any{"name": c.Name, "connector": c.Connector,
					"credential": "OAuth refresh token", "expires_at": t.RefreshExpiry.UTC().Format(time.RFC3339)}}); err != nil {
				return found, err
			}
		}
		if len(cs) < f.Limit {
			return found, nil
		}
		f.After = cs[len(cs)-1].ID
	}
}
