package junction

import (
	"context"
	"crypto/subtle"
	"time"
)

// TriggerKind is how a trigger learns about events.
type TriggerKind string

const (
	// TriggerPolling lists the object on the connection's poll interval and
	// fires for records that are new or changed since the last poll.
	TriggerPolling TriggerKind = "polling"
	// TriggerWebhook receives the vendor's push notifications at a
	// per-trigger URL carrying an unguessable token.
	TriggerWebhook TriggerKind = "webhook"
)

// TargetType is where a fired trigger sends its job.
type TargetType string

const (
	// TargetWebhook POSTs each job, signed, to a URL of the customer's.
	TargetWebhook TargetType = "webhook"
	// TargetQueue keeps each job in a named queue that workers claim from
	// (Jobs.Process).
	TargetQueue TargetType = "queue"
)

// TriggerTarget says what a fired trigger starts. A webhook target has URL
// and a signing secret, sealed under SealedID (SecretSet tells whether one
// is set; the value never leaves the server except as signatures). A queue
// target has Name, the queue that workers claim its jobs from.
type TriggerTarget struct {
	Type      TargetType `json:"type"`
	URL       string     `json:"url,omitempty"`
	Name      string     `json:"name,omitempty"`
	SecretSet bool       `json:"secret_set,omitempty"`
	SealedID  string     `json:"-"`
}

// TriggerMaxConsecutiveFailures and TriggerFailureWindow decide when a
// failing trigger is disabled: after this many failures in a row AND no
// success for this long.
const (
	TriggerMaxConsecutiveFailures = 10
	TriggerFailureWindow          = 24 * time.Hour
)

// DisabledDueToFailures is Trigger.DisabledReason for a trigger the health
// check turned off; the Event type appended then is EventTriggerDisabled.
const (
	DisabledDueToFailures = "disabled_due_to_consecutive_failures"
	EventTriggerDisabled  = "trigger.disabled"
)

// Trigger starts jobs when an event happens on an object of a connection:
// a record is created or updated (polling), or the vendor pushes a
// notification (webhook).
type Trigger struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	FolderID string `json:"folder_id"`
	// Name is optional; a named trigger is the only one of its name in
	// its folder, so people can refer to it by name.
	Name         string `json:"name,omitempty"`
	ConnectionID string `json:"connection_id"`
	// Connector is the connection's connector key, copied when the trigger
	// is created (a connection never changes connector).
	Connector string `json:"connector"`
	// Object and Event name an event of the connector definition
	// (connector.Object.Events).
	Object string      `json:"object"`
	Event  string      `json:"event"`
	Kind   TriggerKind `json:"kind"`
	// Filter is a CEL expression that must evaluate to true for an event to
	// fire the trigger; empty fires for every event. See trigger.CompileFilter
	// for the variables it sees.
	Filter string `json:"filter,omitempty"`
	// Parameters are copied into every job the trigger starts. Those of a
	// polling trigger whose names are inputs of the event's list operation
	// (owner and repo of a repository's issues) are also the poll's input;
	// triggers with the same input share one poll.
	Parameters map[string]any `json:"parameters,omitempty"`
	Target     TriggerTarget  `json:"target"`

	Enabled bool `json:"enabled"`
	// DisabledReason says why a disabled trigger is off: empty when a user
	// turned it off, DisabledDueToFailures when the health check did.
	DisabledReason      string     `json:"disabled_reason,omitempty"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	LastSuccessAt       *time.Time `json:"last_success_at,omitempty"`
	LastFailureAt       *time.Time `json:"last_failure_at,omitempty"`
	// BaselineAt is when the first poll after the trigger was created (or
	// re-enabled) ran: records that poll saw were existing ones and fired
	// nothing. Nil until then; webhook triggers never need one.
	BaselineAt *time.Time `json:"baseline_at,omitempty"`

	// WebhookTokenHash is the SHA-256 of the token in the trigger's webhook
	// URL (webhook triggers only); intake finds the trigger by it. The token
	// itself is sealed under WebhookTokenSealedID so the URL can be shown
	// again to those who may see the trigger.
	WebhookTokenHash     []byte `json:"-"`
	WebhookTokenSealedID string `json:"-"`
	// WebhookSecretSealedID names the sealed signing secret a vendor's
	// handshake handed over (Asana's X-Hook-Secret), which verifies the
	// trigger's later deliveries; empty until such a handshake.
	WebhookSecretSealedID string `json:"-"`
	// PreviousWebhookTokenHash is the hash of the token a rotation
	// replaced, still accepted until PreviousWebhookTokenExpiresAt so the
	// vendor can be given the new URL meanwhile; after that the old URL
	// answers like one that never existed (AcceptsWebhookToken).
	PreviousWebhookTokenHash      []byte     `json:"-"`
	PreviousWebhookTokenExpiresAt *time.Time `json:"previous_hook_expires_at,omitempty"`

	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AcceptsWebhookToken reports whether a webhook delivery whose URL token
// hashes to hash is for t at now: the current token's, or the previous
// one's before it retires.
func (t *Trigger) AcceptsWebhookToken(hash []byte, now time.Time) bool {
	if len(hash) == 0 {
		return false
	}
	if subtle.ConstantTimeCompare(hash, t.WebhookTokenHash) == 1 {
		return true
	}
	return t.PreviousWebhookTokenExpiresAt != nil && now.Before(*t.PreviousWebhookTokenExpiresAt) &&
		subtle.ConstantTimeCompare(hash, t.PreviousWebhookTokenHash) == 1
}

// TriggerFilter narrows ListTriggers.
type TriggerFilter struct {
	// FolderIDs, when non-nil, keeps triggers in these folders; empty
	// matches none.
	FolderIDs    []string
	ConnectionID string
	// NameContains keeps triggers whose name contains it, ignoring case.
	NameContains string
	Kind         TriggerKind
	// Enabled, when non-nil, keeps enabled (true) or disabled triggers.
	Enabled *bool
	Page
}

// TriggerRecordStatus is the outcome of one event for one trigger.
type TriggerRecordStatus string

const (
	TriggerFired    TriggerRecordStatus = "fired"   // a job was started
	TriggerFailed   TriggerRecordStatus = "failed"  // a poll, signature check or delivery failed
	TriggerSkipped  TriggerRecordStatus = "skipped" // the filter did not match; Reason says why
	TriggerDisabled TriggerRecordStatus = DisabledDueToFailures
	// TriggerDuplicate: a webhook event that was received before (same
	// vendor event ID, or same body) made no second job; JobID is the
	// first one's.
	TriggerDuplicate TriggerRecordStatus = "duplicate"
	// TriggerRejectedSignature counts the deliveries refused for a
	// missing or bad signature in one minute (At, truncated), in one
	// record (Count): anyone may post to a hook URL, and a row each would
	// let them fill the database.
	TriggerRejectedSignature TriggerRecordStatus = "rejected_signature"
	// TriggerPing: the vendor's unsigned ping when a webhook is saved
	// (WooCommerce's) was answered; it made no job. One record per
	// trigger and minute at most: anyone may send one.
	TriggerPing TriggerRecordStatus = "ping"
)

// TriggerRecordStatuses are the statuses history may be filtered by.
var TriggerRecordStatuses = []TriggerRecordStatus{TriggerFired, TriggerFailed, TriggerSkipped, TriggerDisabled,
	TriggerDuplicate, TriggerRejectedSignature, TriggerPing}

// TriggerRecord is one entry of a trigger's history. It never holds a
// payload or headers.
type TriggerRecord struct {
	ID        string              `json:"id"`
	TenantID  string              `json:"tenant_id"`
	TriggerID string              `json:"trigger_id"`
	FolderID  string              `json:"folder_id"`
	At        time.Time           `json:"at"`
	Status    TriggerRecordStatus `json:"status"`
	Reason    string              `json:"reason,omitempty"`
	// EventType is the vendor's event type (webhooks) or the event name.
	EventType      string `json:"event_type,omitempty"`
	ObjectID       string `json:"object_id,omitempty"`
	JobID          string `json:"job_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Count is how many events the record stands for: 1, except for the
	// records TallyTriggerRecord keeps (TriggerRejectedSignature).
	Count int `json:"count"`
}

// TriggerRecordFilter narrows ListTriggerRecords.
type TriggerRecordFilter struct {
	FolderIDs []string // nil: any; empty: none
	TriggerID string
	Status    TriggerRecordStatus
	Since     time.Time // inclusive on At; zero: no bound
	Until     time.Time // exclusive on At; zero: no bound
	Page
}

// JobStatus is where a job is in its life.
type JobStatus string

const (
	JobPending   JobStatus = "pending"   // waiting to be claimed (queue) or delivered (webhook)
	JobClaimed   JobStatus = "claimed"   // a worker holds it until LeaseExpiresAt
	JobCompleted JobStatus = "completed" // done; Result holds what the worker reported
	JobFailed    JobStatus = "failed"    // given up; Error says why
	JobCancelled JobStatus = "cancelled" // stopped by an operator; Error says why; never claimed or delivered
)

// Job is what a fired trigger starts: one event, with its payload, handed
// to a queue's workers or delivered to a webhook target. IdempotencyKey is
// unique per trigger and derived from the event, so an event processed
// twice (after a crash, a vendor's redelivery, an overlapping poll) never
// makes a second job; consumers use it to drop repeats of deliveries.
type Job struct {
	ID           string `json:"id"`
	TenantID     string `json:"tenant_id"`
	FolderID     string `json:"folder_id"`
	TriggerID    string `json:"trigger_id"`
	ConnectionID string `json:"connection_id"`
	Connector    string `json:"connector"`
	Event        string `json:"event"`
	ObjectType   string `json:"object_type"`
	ObjectID     string `json:"object_id,omitempty"`
	// Payload is the record (polling) or the vendor's event body (webhook),
	// decoded from JSON.
	Payload        any            `json:"payload,omitempty"`
	Parameters     map[string]any `json:"parameters,omitempty"`
	IdempotencyKey string         `json:"idempotency_key"`
	// Target is the trigger's target type when the job was made; Queue the
	// queue name for TargetQueue.
	Target TargetType `json:"target"`
	Queue  string     `json:"queue,omitempty"`

	Status   JobStatus `json:"status"`
	Attempts int       `json:"attempts"`
	// LeaseExpiresAt is when a claimed job returns to the queue unless
	// completed or failed first; ClaimedBy names the worker holding it.
	LeaseExpiresAt *time.Time `json:"lease_expires_at,omitempty"`
	ClaimedBy      string     `json:"claimed_by,omitempty"`
	Result         any        `json:"result,omitempty"`
	Error          string     `json:"error,omitempty"`
	// CreatedAt is when the job's event arrived: a webhook event's receipt
	// time (and the job's ID is the event's, made at intake), a poll's
	// time. Queues hand jobs out in this order (JobStore.ClaimJob).
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
}

// JobFilter narrows ListJobs.
type JobFilter struct {
	FolderIDs []string // nil: any; empty: none
	TriggerID string
	Queue     string
	Status    JobStatus
	Page
}

// PollSeenMax bounds PollState.Seen.
const PollSeenMax = 500

// SeenRecord is a record a poll already reported, with the time (its
// update time, else its creation time) it had then: the same record
// changed again is new, the same record at the same time is a repeat.
type SeenRecord struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// PollState is what polling remembers between polls of one (connection,
// object, event, input), shared by every trigger polling with that input,
// so that neither a restart nor clock skew nor records with equal
// timestamps make an event fire twice or never.
type PollState struct {
	TenantID     string `json:"tenant_id"`
	ConnectionID string `json:"connection_id"`
	Object       string `json:"object"`
	Event        string `json:"event"`
	// InputHash identifies the input the poll sends to the list operation:
	// the SHA-256, in hex, of its canonical JSON (trigger.PollInputHash).
	// Polls of one repository's issues and of another's keep apart states.
	InputHash string `json:"input_hash"`
	// Watermark is the newest record time seen so far, by the API's clock
	// (never Junction's, so Junction's clock skew does not matter); the
	// next poll asks from a little before it (the connector's look-back)
	// and Seen drops what was reported already. Stored to the nanosecond.
	Watermark time.Time `json:"watermark"`
	// Floor, set by the baseline poll to the watermark it found and kept
	// from then on, makes every later poll ignore records at or before it:
	// they existed at the baseline, though the baseline, which asked for
	// everything, could not classify them as this event's.
	Floor time.Time `json:"floor"`
	// Cursor is an opaque continuation the API gave (a sync token), for
	// APIs that page changes that way.
	Cursor string `json:"cursor,omitempty"`
	// Seen holds the records reported within the overlap window, newest
	// last, at most PollSeenMax.
	Seen []SeenRecord `json:"seen,omitempty"`
	// Baselined is set once the first poll has read the existing records
	// (which fire nothing).
	Baselined bool `json:"baselined"`
	// Slot is the start of the last poll interval this state was polled
	// for; a poll commits only for a later slot, so servers sharing the
	// database poll each interval once.
	Slot      time.Time `json:"slot"`
	UpdatedAt time.Time `json:"updated_at"`
}

// PollSubscription is one (connection, object, event) that enabled polling
// triggers watch, with the connection's interval, and what they poll with.
type PollSubscription struct {
	TenantID     string
	ConnectionID string
	// Connector is the connection's connector key.
	Connector string
	Object    string
	Event     string
	// Parameters, as listed by ListPollSubscriptions, are the parameters of
	// some of the triggers on it (each distinct set is listed once); the
	// trigger runtime derives Input and InputHash from them, so sets that
	// differ only in names the list operation does not take share a poll.
	Parameters map[string]any
	// Input is the input the poll sends to the list operation and
	// InputHash its hash (PollState.InputHash). An empty InputHash given
	// to the runtime's Poll stands for every input the triggers have.
	Input     map[string]any
	InputHash string
	// PageKey is where this subscription sits in ListPollSubscriptions'
	// order: pass the last one's as after to read the next page.
	PageKey             string
	PollIntervalMinutes int
}

// PollStateKey names one PollState: a (connection, object, event, input
// hash). Connection IDs are unique across tenants.
type PollStateKey struct {
	ConnectionID string
	Object       string
	Event        string
	InputHash    string
}

// TriggerEvent is one webhook delivery received from a vendor, kept until
// processed so that an acknowledged event is never lost.
type TriggerEvent struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenant_id"`
	TriggerID string `json:"trigger_id"`
	// EventType and ObjectID are what the connector read from the
	// delivery; IdempotencyKey the vendor's event ID, or a hash of the body.
	EventType      string     `json:"event_type,omitempty"`
	ObjectID       string     `json:"object_id,omitempty"`
	IdempotencyKey string     `json:"idempotency_key"`
	Payload        []byte     `json:"-"`
	ReceivedAt     time.Time  `json:"received_at"`
	ProcessedAt    *time.Time `json:"processed_at,omitempty"`
}

// TriggerStore persists triggers, their history, poll state and received
// webhook events. Every method is safe for concurrent use; the errors are
// those of Store.
type TriggerStore interface {
	// CreateTrigger stores t, filling an empty ID and the timestamps.
	// ENOTFOUND (Field "connection_id" or "folder_id") when the connection
	// or folder does not exist in the tenant; ECONFLICT when the webhook
	// token hash is taken.
	CreateTrigger(ctx context.Context, t *Trigger) error
	GetTrigger(ctx context.Context, tenantID, id string) (*Trigger, error)
	// GetTriggerByTokenHash finds a webhook trigger by the SHA-256 of its
	// URL token, across tenants (intake starts from the token alone): its
	// current token, or its previous one until PreviousWebhookTokenExpiresAt
	// by the store's clock. ENOTFOUND otherwise.
	GetTriggerByTokenHash(ctx context.Context, hash []byte) (*Trigger, error)
	ListTriggers(ctx context.Context, tenantID string, f TriggerFilter) ([]*Trigger, error)
	// UpdateTrigger saves FolderID, Filter, Parameters, Target, Enabled,
	// DisabledReason, ConsecutiveFailures, LastSuccessAt, LastFailureAt,
	// BaselineAt, the webhook token fields and UpdatedAt. The rest is read
	// back into t.
	UpdateTrigger(ctx context.Context, t *Trigger) error
	// DeleteTrigger removes the trigger, its history, its unprocessed
	// events, its jobs, and the sealed values it points at. Deleting a
	// connection deletes its triggers the same way.
	DeleteTrigger(ctx context.Context, tenantID, id string) error
	// RecordTriggerResult atomically resets (ok) or increments the
	// consecutive failure count and stamps LastSuccessAt or LastFailureAt
	// with at; it returns the trigger as updated.
	RecordTriggerResult(ctx context.Context, tenantID, id string, ok bool, at time.Time) (*Trigger, error)
	// DisableTriggerForFailures turns an enabled trigger off with
	// DisabledReason DisabledDueToFailures, provided it still has at least
	// minFailures consecutive failures and no success since notSince (one
	// that never succeeded counts from its creation). It
	// reports whether it did, so that of several servers only one appends
	// the event.
	DisableTriggerForFailures(ctx context.Context, tenantID, id string, minFailures int, notSince, at time.Time) (bool, error)
	// RecordTriggerSuccesses records a success of each trigger, across
	// tenants, as RecordTriggerResult does, in one statement.
	RecordTriggerSuccesses(ctx context.Context, ids []string, at time.Time) error
	// SetTriggerBaseline sets BaselineAt where it is still nil.
	SetTriggerBaseline(ctx context.Context, tenantID, id string, at time.Time) error

	AppendTriggerRecord(ctx context.Context, r *TriggerRecord) error
	// TallyTriggerRecord adds one to the Count of the trigger's record
	// with r's Status and At, making it (Count 1, r's Reason) when there
	// is none, and reads its ID and Count back into r; Reason becomes
	// r's, the latest. The database keeps one such record per trigger
	// and At, so servers sharing it count into the same one. Only
	// TriggerRejectedSignature is kept this way (EINVALID otherwise); the
	// caller truncates At to the period counted. ENOTFOUND when the
	// trigger does not exist.
	TallyTriggerRecord(ctx context.Context, r *TriggerRecord) error
	// ListTriggerRecords lists history by ID, in the order it was
	// recorded (oldest first). That is the order events were processed,
	// not received: webhook events are processed concurrently, so two
	// events received close together may be recorded either way round.
	// Jobs, not history, keep the order of receipt (ClaimJob).
	ListTriggerRecords(ctx context.Context, tenantID string, f TriggerRecordFilter) ([]*TriggerRecord, error)

	// ListPollSubscriptions returns, across tenants, every (connection,
	// object, event, parameters) of enabled polling triggers on connected
	// connections, ordered by connection ID, object, event and parameters,
	// with Parameters set and Input and InputHash left to the caller.
	// after is the PageKey of the last subscription of the previous page,
	// or "" to start.
	ListPollSubscriptions(ctx context.Context, after string, limit int) ([]PollSubscription, error)
	// GetPollState returns the state of one (connection, object, event,
	// input hash); ENOTFOUND before the first poll.
	GetPollState(ctx context.Context, tenantID, connectionID, object, event, inputHash string) (*PollState, error)
	// PollSlots returns, across tenants, the Slot of each poll state named
	// in keys that exists; keys without a state (never polled) are absent
	// from the map. It lets the scheduler tell which polls are due for a
	// whole page of subscriptions in one read.
	PollSlots(ctx context.Context, keys []PollStateKey) (map[PollStateKey]time.Time, error)
	// PutPollState stores s provided the stored state's Slot is earlier
	// than s.Slot (or there is none), and reports whether it did: false
	// means another poll of the same interval got there first, and
	// whatever the caller was about to fire with it must be dropped (call
	// it in the same transaction).
	PutPollState(ctx context.Context, s *PollState) (bool, error)
	// ListPollingTriggers returns, across tenants, the enabled polling
	// triggers on the given connections, ordered by connection ID and ID:
	// what a batch of polls applies its results to, in one read.
	ListPollingTriggers(ctx context.Context, connectionIDs []string) ([]*Trigger, error)
	// PollStates returns, across tenants, the state of each key that has
	// one; keys without a state (never polled) are absent from the map.
	PollStates(ctx context.Context, keys []PollStateKey) (map[PollStateKey]*PollState, error)
	// ClaimPollSlot takes the interval starting at slot for one poll state:
	// it sets the state's Slot to slot, making an empty state where there
	// is none, provided the stored Slot is earlier, and reports whether it
	// did. Of several servers claiming the same interval exactly one
	// succeeds, before any of them polls; the winner then stores the
	// poll's outcome with PutClaimedPollState, or gives the interval back
	// with ReleasePollSlot.
	ClaimPollSlot(ctx context.Context, tenantID string, key PollStateKey, slot time.Time) (bool, error)
	// ClaimPollSlots is ClaimPollSlot for many existing states at once:
	// it sets the Slot of each state named in keys to slot where the
	// stored Slot is earlier, and returns the keys it set. Keys without a
	// state are left out (claim those with ClaimPollSlot).
	ClaimPollSlots(ctx context.Context, slot time.Time, keys []PollStateKey) ([]PollStateKey, error)
	// PutClaimedPollState stores s (all but Slot) provided the stored
	// state's Slot is still s.Slot, the interval the caller claimed, and
	// reports whether it did: false means a later interval was claimed
	// meanwhile, and what the caller was about to fire with s must be
	// dropped (call it in the same transaction).
	PutClaimedPollState(ctx context.Context, s *PollState) (bool, error)
	// ReleasePollSlot sets a state's Slot back to prev provided it is
	// still slot: a claimed interval whose poll could not be completed is
	// polled again by the next attempt.
	ReleasePollSlot(ctx context.Context, key PollStateKey, slot, prev time.Time) error

	// CreateTriggerEvent stores a received webhook event, filling an empty
	// ID and ReceivedAt.
	CreateTriggerEvent(ctx context.Context, e *TriggerEvent) error
	GetTriggerEvent(ctx context.Context, tenantID, id string) (*TriggerEvent, error)
	// MarkTriggerEventProcessed stamps ProcessedAt.
	MarkTriggerEventProcessed(ctx context.Context, tenantID, id string, at time.Time) error
	// DeleteProcessedTriggerEvents removes events processed before cutoff
	// and returns how many.
	DeleteProcessedTriggerEvents(ctx context.Context, before time.Time) (int, error)
}

// JobStore persists jobs. Every method is safe for concurrent use.
type JobStore interface {
	// CreateJob stores j unless the trigger already has a job with the same
	// IdempotencyKey, and reports whether it did. When it did not, j is
	// left as given (call GetJobByKey for the existing one). ENOTFOUND when
	// the trigger does not exist.
	CreateJob(ctx context.Context, j *Job) (bool, error)
	GetJob(ctx context.Context, tenantID, id string) (*Job, error)
	GetJobByKey(ctx context.Context, tenantID, triggerID, key string) (*Job, error)
	ListJobs(ctx context.Context, tenantID string, f JobFilter) ([]*Job, error)
	// ClaimJob atomically claims the first job of the queue, among queue
	// target jobs in the given folders (nil: any folder; empty: none), that
	// is pending or whose lease has expired by now: it becomes claimed by
	// worker until now+lease, with Attempts incremented. First is the
	// least CreatedAt, then the least ID, which is first in, first out by
	// the time the events were received (see Job.CreatedAt) whatever
	// order they were processed in. ENOTFOUND when none is waiting. Two
	// workers never hold the same job at once.
	ClaimJob(ctx context.Context, tenantID string, folderIDs []string, queue, worker string, lease time.Duration, now time.Time) (*Job, error)
	// CompleteJob marks a job claimed by worker completed with result.
	// ECONFLICT when the job is not claimed by worker (the lease expired
	// and another worker claimed it, or it was completed already).
	CompleteJob(ctx context.Context, tenantID, id, worker string, result any, now time.Time) (*Job, error)
	// FailJob records a failed attempt of a job claimed by worker: with
	// retry the job returns to pending for another claim, otherwise it
	// becomes failed. ECONFLICT as for CompleteJob.
	FailJob(ctx context.Context, tenantID, id, worker, reason string, retry bool, now time.Time) (*Job, error)
	// SetJobStatus records the outcome of a webhook target delivery (no
	// claim involved): status, attempts, error and completion time. A
	// cancelled job is left as it is: an operator's cancel wins over a
	// delivery that was under way.
	SetJobStatus(ctx context.Context, tenantID, id string, status JobStatus, attempts int, errMsg string, now time.Time) error

	// RetryJob returns a failed or cancelled job to pending for a new
	// round of attempts: Attempts back to zero, Error, Result, the claim
	// and the completion time cleared. ECONFLICT when the job is in
	// another status.
	RetryJob(ctx context.Context, tenantID, id string, now time.Time) (*Job, error)
	// CancelJob stops a pending or claimed job: it becomes cancelled with
	// reason as its Error and its lease ended, so no worker claims it and
	// the worker holding it can no longer complete or fail it. ECONFLICT
	// when the job is completed, failed or cancelled already.
	CancelJob(ctx context.Context, tenantID, id, reason string, now time.Time) (*Job, error)
	// DeleteJob removes a job in any status.
	DeleteJob(ctx context.Context, tenantID, id string) error
}
