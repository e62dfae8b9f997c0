package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"junction"
)

// NotificationList is one page of the caller's notifications, newest
// first, with how many are unread in all.
type NotificationList struct {
	Items       []*junction.Notification `json:"items"`
	NextCursor  string                   `json:"next_cursor,omitempty"`
	UnreadCount int                      `json:"unread_count"`
}

// ListNotifications lists the caller's in-app notifications. Anyone may
// read their own; nobody anyone else's.
func (a *App) ListNotifications(ctx context.Context, p *junction.Principal, unreadOnly bool, page junction.Page) (NotificationList, error) {
	if err := checkCursor(page); err != nil {
		return NotificationList{}, err
	}
	ns, err := a.store.ListNotifications(ctx, p.TenantID(), p.User.ID,
		junction.NotificationFilter{UnreadOnly: unreadOnly, Page: page.Normalize()})
	if err != nil {
		return NotificationList{}, err
	}
	unread, err := a.store.CountUnreadNotifications(ctx, p.TenantID(), p.User.ID)
	if err != nil {
		return NotificationList{}, err
	}
	l := newList(ns, page, func(n *junction.Notification) string { return n.ID })
	return NotificationList{Items: l.Items, NextCursor: l.NextCursor, UnreadCount: unread}, nil
}

// CountUnreadNotifications tells how many of the caller's in-app
// notifications are unread: one count, cheap enough for every page's
// header.
func (a *App) CountUnreadNotifications(ctx context.Context, p *junction.Principal) (int, error) {
	if p.User == nil {
		return 0, nil
	}
	return a.store.CountUnreadNotifications(ctx, p.TenantID(), p.User.ID)
}

// MarkNotificationRead marks one of the caller's notifications read;
// notification_not_found for any other.
func (a *App) MarkNotificationRead(ctx context.Context, p *junction.Principal, id string) (*junction.Notification, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("notification")
	}
	return a.store.MarkNotificationRead(ctx, p.TenantID(), p.User.ID, id, a.now())
}

// ReadAll is what marking every notification read did.
type ReadAll struct {
	Marked int `json:"marked"`
}

// MarkAllNotificationsRead marks every unread notification of the caller
// read.
func (a *App) MarkAllNotificationsRead(ctx context.Context, p *junction.Principal) (ReadAll, error) {
	n, err := a.store.MarkAllNotificationsRead(ctx, p.TenantID(), p.User.ID, a.now())
	return ReadAll{Marked: n}, err
}

// NotificationPreferences are the caller's choices, and the event types
// there are to choose about. Without a choice for an event type, folder
// administrators (and tenant administrators) get both channels for the
// objects of their folders, tenant administrators for credential stores,
// and everyone else nothing.
type NotificationPreferences struct {
	EventTypes  []string                          `json:"event_types"`
	Preferences []junction.NotificationPreference `json:"preferences"`
}

// GetNotificationPreferences returns the caller's choices.
func (a *App) GetNotificationPreferences(ctx context.Context, p *junction.Principal) (NotificationPreferences, error) {
	prefs, err := a.store.ListNotificationPreferences(ctx, p.TenantID(), p.User.ID)
	if err != nil {
		return NotificationPreferences{}, err
	}
	if prefs == nil {
		prefs = []junction.NotificationPreference{}
	}
	return NotificationPreferences{EventTypes: junction.NotificationEventTypes, Preferences: prefs}, nil
}

// maxPreferences bounds one user's choices.
const maxPreferences = 500

// SetNotificationPreferences replaces the caller's choices. Each names a
// known event type and, optionally, a folder the caller sees; a type and
// folder may appear once.
func (a *App) SetNotificationPreferences(ctx context.Context, p *junction.Principal, prefs []junction.NotificationPreference) (NotificationPreferences, error) {
	if len(prefs) > maxPreferences {
		return NotificationPreferences{}, junction.Invalid("preferences", "must be at most %d", maxPreferences)
	}
	seen := map[[2]string]bool{}
	for i, pr := range prefs {
		if !slices.Contains(junction.NotificationEventTypes, pr.EventType) {
			return NotificationPreferences{}, junction.Invalid("preferences", "item %d: event_type must be one of %v",
				i, junction.NotificationEventTypes)
		}
		if pr.FolderID != "" {
			if pr.EventType == junction.EventCredentialStoreUnreachable || pr.EventType == junction.EventQuotaThreshold {
				return NotificationPreferences{}, junction.Invalid("preferences",
					"item %d: %s is not about a folder; leave folder_id out", i, pr.EventType)
			}
			if _, err := a.folderFor(ctx, a.store, p, pr.FolderID, ""); err != nil {
				return NotificationPreferences{}, err
			}
		}
		k := [2]string{pr.EventType, pr.FolderID}
		if seen[k] {
			return NotificationPreferences{}, junction.Invalid("preferences", "item %d: %s is given twice for this folder", i, pr.EventType)
		}
		seen[k] = true
	}
	if err := a.store.SetNotificationPreferences(ctx, p.TenantID(), p.User.ID, prefs); err != nil {
		return NotificationPreferences{}, err
	}
	return a.GetNotificationPreferences(ctx, p)
}

// Settings are tenant administration: reading them needs Audit.View
// tenant-wide, changing them Audit.View and Roles.Edit, which together
// only the Tenant Administrator role holds among the built-in roles.
var (
	settingsView = []junction.Permission{junction.PermAuditView}
	settingsEdit = []junction.Permission{junction.PermAuditView, junction.PermRolesEdit}
)

func requireAll(p *junction.Principal, perms []junction.Permission) error {
	for _, perm := range perms {
		if err := requireTenant(p, perm); err != nil {
			return err
		}
	}
	return nil
}

// Retention bounds, in days.
const (
	minRetentionDays = 1
	maxRetentionDays = 3650
)

// GetRetention returns how long the caller's tenant keeps its records,
// defaults filled in.
func (a *App) GetRetention(ctx context.Context, p *junction.Principal) (junction.Retention, error) {
	if err := requireAll(p, settingsView); err != nil {
		return junction.Retention{}, err
	}
	s, err := a.store.GetTenantSettings(ctx, p.TenantID())
	if err != nil {
		return junction.Retention{}, err
	}
	return s.Retention.WithDefaults(), nil
}

// SetRetention changes how long the tenant keeps its records; a field left
// at 0 goes back to its default. Records past the new retention go at the
// next pruning.
func (a *App) SetRetention(ctx context.Context, p *junction.Principal, r junction.Retention) (junction.Retention, error) {
	if err := requireAll(p, settingsEdit); err != nil {
		return junction.Retention{}, err
	}
	for field, v := range map[string]int{"executions_days": r.ExecutionsDays, "trigger_history_days": r.TriggerHistoryDays,
		"audit_days": r.AuditDays, "jobs_days": r.JobsDays} {
		if v != 0 && (v < minRetentionDays || v > maxRetentionDays) {
			return junction.Retention{}, junction.Invalid(field, "must be between %d and %d days (0: the default)",
				minRetentionDays, maxRetentionDays)
		}
	}
	err := a.tx(ctx, func(tx junction.Store) error {
		s, err := tx.GetTenantSettings(ctx, p.TenantID())
		if err != nil {
			return err
		}
		s.Retention, s.UpdatedAt = r, a.now()
		if err := tx.PutTenantSettings(ctx, s); err != nil {
			return err
		}
		w := r.WithDefaults()
		return a.audit(ctx, tx, p, "settings.retention.update", "tenant", p.TenantID(), "", map[string]any{
			"executions_days": w.ExecutionsDays, "trigger_history_days": w.TriggerHistoryDays,
			"audit_days": w.AuditDays, "jobs_days": w.JobsDays})
	})
	if err != nil {
		return junction.Retention{}, err
	}
	return r.WithDefaults(), nil
}

// NotificationWebhook is the tenant's notification webhook as shown: the
// secret is write-only.
type NotificationWebhook struct {
	URL       string     `json:"url"`
	SecretSet bool       `json:"secret_set"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// NotificationWebhookInput sets the webhook. An empty URL removes it.
// Secret signs every post (X-Junction-Signature, as trigger deliveries);
// it is required when none is set yet, and kept when left out.
type NotificationWebhookInput struct {
	URL    string           `json:"url"`
	Secret *junction.Secret `json:"secret,omitempty"`
}

// minWebhookSecret is the shortest signing secret accepted.
const minWebhookSecret = 16

func webhookView(s *junction.TenantSettings) NotificationWebhook {
	v := NotificationWebhook{URL: s.WebhookURL, SecretSet: s.WebhookSealedID != ""}
	if !s.UpdatedAt.IsZero() {
		t := s.UpdatedAt
		v.UpdatedAt = &t
	}
	return v
}

// GetNotificationWebhook returns the tenant's notification webhook.
func (a *App) GetNotificationWebhook(ctx context.Context, p *junction.Principal) (NotificationWebhook, error) {
	if err := requireAll(p, settingsView); err != nil {
		return NotificationWebhook{}, err
	}
	s, err := a.store.GetTenantSettings(ctx, p.TenantID())
	if err != nil {
		return NotificationWebhook{}, err
	}
	return webhookView(s), nil
}

// SetNotificationWebhook sets or removes the tenant's notification
// webhook. The URL is checked like a trigger's webhook target (absolute
// http(s), not a private address unless allowed).
func (a *App) SetNotificationWebhook(ctx context.Context, p *junction.Principal, in NotificationWebhookInput) (NotificationWebhook, error) {
	if err := requireAll(p, settingsEdit); err != nil {
		return NotificationWebhook{}, err
	}
	if in.URL != "" {
		if a.triggers == nil || a.keyring == nil {
			return NotificationWebhook{}, junction.Internal(errors.New("app: no trigger runtime or keyring to check and seal the webhook"))
		}
		if err := a.triggers.CheckTargetURL(ctx, in.URL); err != nil {
			return NotificationWebhook{}, relabel(err, "url")
		}
		if in.Secret != nil && len(in.Secret.Reveal()) < minWebhookSecret {
			return NotificationWebhook{}, junction.Invalid("secret", "must be at least %d characters", minWebhookSecret)
		}
	}
	var out NotificationWebhook
	err := a.tx(ctx, func(tx junction.Store) error {
		s, err := tx.GetTenantSettings(ctx, p.TenantID())
		if err != nil {
			return err
		}
		drop := ""
		switch {
		case in.URL == "":
			drop, s.WebhookSealedID = s.WebhookSealedID, ""
		case in.Secret != nil:
			id := junction.NewID()
			sv, err := a.keyring.Seal(p.TenantID(), id, []byte(in.Secret.Reveal()))
			if err != nil {
				return junction.Internal(err)
			}
			if err := tx.PutSealed(ctx, sv); err != nil {
				return err
			}
			drop, s.WebhookSealedID = s.WebhookSealedID, id
		case s.WebhookSealedID == "":
			return junction.Invalid("secret", "is required: the webhook's posts are signed with it")
		}
		if drop != "" {
			if err := tx.DeleteSealed(ctx, p.TenantID(), drop); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
				return err
			}
		}
		s.WebhookURL, s.UpdatedAt = in.URL, a.now()
		if err := tx.PutTenantSettings(ctx, s); err != nil {
			return err
		}
		out = webhookView(s)
		return a.audit(ctx, tx, p, "settings.notification_webhook.update", "tenant", p.TenantID(), "",
			map[string]any{"url": in.URL, "secret_changed": in.Secret != nil})
	})
	return out, err
}

// relabel names field on a validation error that named another (the
// trigger target check says target.url).
func relabel(err error, field string) error {
	var je *junction.Error
	if errors.As(err, &je) && je.Field != "" {
		c := *je
		c.Field = field
		return &c
	}
	return err
}
