package junction

import (
	"context"
	"time"
)

// Event types that notifications deliver. Each is appended as an Event in
// the transaction of the change it reports; notifications are made from
// events, never directly, so there is one place that decides who is told.
const (
	// EventConnectionDisconnected: a connection's credentials failed;
	// Details["reason"] says how.
	EventConnectionDisconnected = "connection.disconnected"
	// EventConnectionReauthorizationNeeded: an OAuth refresh token or a
	// credential expires within ReauthorizationWarning.
	EventConnectionReauthorizationNeeded = "connection.reauthorization_needed"
	// EventCredentialStoreUnreachable: a credential store has failed for
	// StoreUnreachableAfter (Details["state"] "unreachable"), or has
	// answered again after that (Details["state"] "recovered").
	EventCredentialStoreUnreachable = "credential_store.unreachable"
	// EventTriggerFailing: a trigger failed TriggerFailingAfter times in a
	// row (it is disabled later, see EventTriggerDisabled).
	EventTriggerFailing = "trigger.failing"
	// EventJobFailed: a job's delivery exhausted its attempts.
	EventJobFailed = "job.failed"
)

// Thresholds of the notification events.
const (
	TriggerFailingAfter    = 5
	StoreUnreachableAfter  = 5 * time.Minute
	ReauthorizationWarning = 7 * 24 * time.Hour
)

// NotificationEventTypes lists the event types a user can choose about, in
// display order.
var NotificationEventTypes = []string{
	EventConnectionDisconnected, EventConnectionReauthorizationNeeded, EventCredentialStoreUnreachable,
	EventTriggerDisabled, EventTriggerFailing, EventJobFailed, EventQuotaThreshold,
}

// Email states of a notification.
const (
	EmailNone    = ""        // no email for this notification
	EmailPending = "pending" // waits for its email or digest
	EmailSent    = "sent"
)

// Notification is one user's copy of an event. Title and Body are written
// for people and never hold a secret; Link points at the object.
type Notification struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	UserID     string     `json:"user_id"`
	EventID    string     `json:"event_id"`
	Type       string     `json:"type"`
	ObjectType string     `json:"object_type,omitempty"`
	ObjectID   string     `json:"object_id,omitempty"`
	FolderID   string     `json:"folder_id,omitempty"`
	Title      string     `json:"title"`
	Body       string     `json:"body,omitempty"`
	Link       string     `json:"link,omitempty"`
	At         time.Time  `json:"at"`
	ReadAt     *time.Time `json:"read_at,omitempty"`
	// InApp says whether the notification shows in the user's list; a
	// notification made for email only does not.
	InApp      bool       `json:"-"`
	EmailState string     `json:"-"`
	EmailedAt  *time.Time `json:"-"`
}

// NotificationPreference is a user's choice about one event type, for one
// folder and its subfolders, or for every folder (FolderID empty). The
// most specific one wins; without any, the defaults apply (see
// app.DefaultRecipient).
type NotificationPreference struct {
	EventType string `json:"event_type"`
	FolderID  string `json:"folder_id,omitempty"`
	InApp     bool   `json:"in_app"`
	Email     bool   `json:"email"`
}

// Retention says how many days each kind of record is kept. Zero means the
// default (DefaultRetention).
type Retention struct {
	ExecutionsDays     int `json:"executions_days"`
	TriggerHistoryDays int `json:"trigger_history_days"`
	AuditDays          int `json:"audit_days"`
	// JobsDays counts from the job's end (completed, failed or cancelled);
	// jobs still to do are never pruned.
	JobsDays int `json:"jobs_days"`
}

// DefaultRetention is what a tenant keeps unless it says otherwise.
var DefaultRetention = Retention{ExecutionsDays: 30, TriggerHistoryDays: 30, AuditDays: 365, JobsDays: 30}

// WithDefaults fills zero fields from DefaultRetention.
func (r Retention) WithDefaults() Retention {
	d := DefaultRetention
	if r.ExecutionsDays > 0 {
		d.ExecutionsDays = r.ExecutionsDays
	}
	if r.TriggerHistoryDays > 0 {
		d.TriggerHistoryDays = r.TriggerHistoryDays
	}
	if r.AuditDays > 0 {
		d.AuditDays = r.AuditDays
	}
	if r.JobsDays > 0 {
		d.JobsDays = r.JobsDays
	}
	return d
}

// TenantSettings are what a tenant configures about itself. A tenant
// without a stored row has the zero value (defaults everywhere).
type TenantSettings struct {
	TenantID  string
	Retention Retention
	// WebhookURL receives every notification event of the tenant, signed
	// with the secret sealed under WebhookSealedID. Empty: none.
	WebhookURL      string
	WebhookSealedID string
	UpdatedAt       time.Time
}

// NotificationFilter narrows ListNotifications. Lists run newest first.
type NotificationFilter struct {
	UnreadOnly bool
	Page
}

// NotificationStore persists notifications, preferences and tenant
// settings, and hands out events to dispatch.
type NotificationStore interface {
	// ListUndispatchedEvents returns up to limit events of any tenant not
	// yet dispatched, oldest first.
	ListUndispatchedEvents(ctx context.Context, limit int) ([]*Event, error)
	// MarkEventDispatched stamps an event dispatched and reports whether
	// this call did: false when another server got there first. Call it
	// in the transaction that stores the event's notifications.
	MarkEventDispatched(ctx context.Context, tenantID, id string, at time.Time) (bool, error)
	// GetEvent returns one event; ENOTFOUND when there is none.
	GetEvent(ctx context.Context, tenantID, id string) (*Event, error)

	// CreateNotification stores n, filling an empty ID. A second
	// notification of the same event for the same user is ECONFLICT.
	CreateNotification(ctx context.Context, n *Notification) error
	// ListNotifications lists a user's in-app notifications, newest first.
	ListNotifications(ctx context.Context, tenantID, userID string, f NotificationFilter) ([]*Notification, error)
	CountUnreadNotifications(ctx context.Context, tenantID, userID string) (int, error)
	// MarkNotificationRead stamps one in-app notification read (once: a
	// second call keeps the first time). ENOTFOUND when the user has no
	// such notification.
	MarkNotificationRead(ctx context.Context, tenantID, userID, id string, at time.Time) (*Notification, error)
	// MarkAllNotificationsRead stamps every unread in-app notification of
	// the user and returns how many.
	MarkAllNotificationsRead(ctx context.Context, tenantID, userID string, at time.Time) (int, error)
	// ListPendingEmails returns a user's notifications about one object
	// and event type whose email is pending, oldest first.
	ListPendingEmails(ctx context.Context, tenantID, userID, objectID, eventType string) ([]*Notification, error)
	// MarkEmailed marks notifications' email sent at at.
	MarkEmailed(ctx context.Context, tenantID string, ids []string, at time.Time) error
	// LastEmailedAt is when the user was last emailed about the object
	// and event type; zero when never.
	LastEmailedAt(ctx context.Context, tenantID, userID, objectID, eventType string) (time.Time, error)

	ListNotificationPreferences(ctx context.Context, tenantID, userID string) ([]NotificationPreference, error)
	// SetNotificationPreferences replaces all of a user's preferences.
	SetNotificationPreferences(ctx context.Context, tenantID, userID string, prefs []NotificationPreference) error

	// GetTenantSettings returns the tenant's settings, the zero value
	// (with TenantID set) when it never stored any.
	GetTenantSettings(ctx context.Context, tenantID string) (*TenantSettings, error)
	// PutTenantSettings inserts or replaces the tenant's settings.
	PutTenantSettings(ctx context.Context, s *TenantSettings) error
}

// RetentionStore removes records past their retention, a bounded batch at
// a time, oldest first, so that each call is one short transaction that
// writers never wait long behind. Each returns how many rows it removed.
type RetentionStore interface {
	// PruneExecutions removes execution records started before cutoff,
	// with the inputs they kept.
	PruneExecutions(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error)
	// PruneTriggerRecords removes trigger history entries made before
	// cutoff.
	PruneTriggerRecords(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error)
	// PruneAudit removes audit entries made before cutoff.
	PruneAudit(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error)
	// PruneJobs removes jobs that ended (completed, failed or cancelled)
	// before cutoff; jobs still to do stay whatever their age.
	PruneJobs(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error)
	// PruneNotifications removes notifications made before cutoff.
	PruneNotifications(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, error)
}
