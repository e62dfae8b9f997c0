package resolver

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"junction"
)

// storeHealth follows each external store's reads on this server, to tell
// people when one has been unreachable for junction.StoreUnreachableAfter,
// and again when it answers after that: a credential_store.unreachable
// event each time, with Details["state"] "unreachable" or "recovered".
// Only reads made on a cache miss count; a store nobody reads from is
// not watched. Each server watches its own reads; the store's health
// report (ClaimStoreHealthReport) lets one of them tell people.
type storeHealth struct {
	mu      sync.Mutex
	failing map[string]*failure // by store ID
	// answered is when each store last answered a read, by store ID.
	answered map[string]time.Time
}

// StoreHealth is what this server saw of an external store's reads. A
// store nobody read from since the server started has neither time.
type StoreHealth struct {
	// UnreachableSince is set while the store's reads fail to reach it:
	// when the first of them failed.
	UnreachableSince time.Time
	// AnsweredAt is when the store last answered a read.
	AnsweredAt time.Time
}

// StoreHealth tells how the store's reads went on this server, from
// memory: asking costs no call to the store.
func (r *Resolver) StoreHealth(id string) StoreHealth {
	h := &r.health
	h.mu.Lock()
	defer h.mu.Unlock()
	out := StoreHealth{AnsweredAt: h.answered[id]}
	if f := h.failing[id]; f != nil {
		out.UnreachableSince = f.since
	}
	return out
}

type failure struct {
	since    time.Time
	reported bool
}

// observe records a read's outcome, and appends the event when the store
// crosses the threshold or recovers after having crossed it. Only an
// unreachable store counts: a missing secret is an answer.
func (h *storeHealth) observe(ctx context.Context, r *Resolver, cfg *junction.CredentialStoreConfig, err error) {
	var unreachable *junction.StoreUnreachableError
	down := errors.As(err, &unreachable) || junction.IsCode(err, junction.ECREDSTOREUNAVAILABLE)
	now := r.opts.Clock.Now()
	h.mu.Lock()
	if !down {
		if h.answered == nil {
			h.answered = map[string]time.Time{}
		}
		h.answered[cfg.ID] = now
	}
	f := h.failing[cfg.ID]
	var event *junction.Event
	switch {
	case down && f == nil:
		h.failing[cfg.ID] = &failure{since: now}
	case down && !f.reported && now.Sub(f.since) >= junction.StoreUnreachableAfter:
		f.reported = true
		reason := "it did not answer"
		if unreachable != nil {
			reason = unreachable.Diagnosis
		}
		event = storeEvent(cfg, now, map[string]any{"state": junction.StoreUnreachable, "reason": reason,
			"since": f.since.UTC().Format(time.RFC3339)})
	case !down && f != nil:
		delete(h.failing, cfg.ID)
		if f.reported {
			event = storeEvent(cfg, now, map[string]any{"state": junction.StoreRecovered,
				"since": f.since.UTC().Format(time.RFC3339)})
		}
	}
	h.mu.Unlock()
	if event == nil {
		return
	}
	// The reader's context may end with its request; the event is still
	// worth keeping. Every server reading from the store sees the outage:
	// the claim and the event are one transaction, so exactly one of them
	// tells people, of the outage and of the recovery alike.
	ctx = context.WithoutCancel(ctx)
	werr := r.opts.Store.InTx(ctx, func(tx junction.Store) error {
		first, err := tx.ClaimStoreHealthReport(ctx, cfg.TenantID, cfg.ID, event.Details["state"].(string), now)
		if err != nil || !first {
			return err
		}
		return tx.AppendEvent(ctx, event)
	})
	if werr != nil {
		r.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "credential store health event not recorded",
			slog.String("credential_store_id", cfg.ID), slog.String("error", werr.Error()))
	}
}

func storeEvent(cfg *junction.CredentialStoreConfig, at time.Time, details map[string]any) *junction.Event {
	details["name"] = cfg.Name
	details["type"] = cfg.Type
	return &junction.Event{TenantID: cfg.TenantID, Type: junction.EventCredentialStoreUnreachable,
		ObjectType: "credential_store", ObjectID: cfg.ID, At: at, Details: details}
}
