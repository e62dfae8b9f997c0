package junction

import (
	"context"
	"time"
)

// ConnectionStatus is the state of a connection.
type ConnectionStatus string

const (
	// ConnectionUntested: nothing has proven the credentials yet (created
	// without a test, a test that could not check them, or credentials or
	// destination changed since). It is used like a connected one; the
	// first test or execution that the API accepts makes it connected.
	ConnectionUntested     ConnectionStatus = "untested"
	ConnectionConnected    ConnectionStatus = "connected"    // proven by a test or an execution
	ConnectionDisconnected ConnectionStatus = "disconnected" // StatusReason says why
	ConnectionDisabled     ConnectionStatus = "disabled"     // by a user
)

// Usable reports whether executions and polls may use the connection.
func (s ConnectionStatus) Usable() bool {
	return s == ConnectionConnected || s == ConnectionUntested
}

// FieldValue is the stored form of one connection field. A non-secret field
// holds Value. A secret field is either a literal, kept sealed with the
// connection's other literal secrets (Set is true), or a reference to a
// credential asset (AssetID, and for a credential asset the Part used:
// "username" or "password"), resolved at run time and never stored.
type FieldValue struct {
	Value   any    `json:"value,omitempty"`
	Set     bool   `json:"set,omitempty"`
	AssetID string `json:"asset_id,omitempty"`
	Part    string `json:"part,omitempty"`
}

// Connection is a connector plus credentials, living in a folder.
type Connection struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenant_id"`
	FolderID  string `json:"folder_id"`
	Connector string `json:"connector"`
	// ConnectorVersion is the published version of a custom connector the
	// connection uses; empty for a built-in connector, which has one.
	ConnectorVersion string                `json:"connector_version,omitempty"`
	Name             string                `json:"name"`
	AuthType         string                `json:"auth_type"`
	Fields           map[string]FieldValue `json:"fields"`
	// IsDefault marks the folder's default connection for its connector.
	IsDefault    bool             `json:"is_default"`
	Status       ConnectionStatus `json:"status"`
	StatusReason string           `json:"status_reason,omitempty"`
	// PollIntervalMinutes is how often triggers on this connection poll.
	PollIntervalMinutes int `json:"poll_interval_minutes"`
	// ProxyURL routes this connection's traffic through a forward proxy.
	ProxyURL string `json:"proxy_url,omitempty"`
	// DebugUntil, while in the future, makes each execution keep what it
	// sent and got (Execution.Debug), secrets masked. Nil is off.
	DebugUntil *time.Time `json:"debug_until" nullable:"true"`
	// SecretsSealedID points at the sealed JSON object of literal secret
	// field values; TokenSealedID at the sealed OAuth token set.
	SecretsSealedID string `json:"-"`
	TokenSealedID   string `json:"-"`
	// AuthFailures counts consecutive authentication failures; three in a
	// row disconnect the connection.
	AuthFailures int       `json:"-"`
	CreatedBy    string    `json:"created_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// ConnectionFilter narrows ListConnections.
type ConnectionFilter struct {
	FolderIDs []string
	// IDs, when non-nil, keeps these connections; empty matches none.
	IDs          []string
	Connector    string
	Status       ConnectionStatus
	NameContains string
	Page
}

// Execution records one activity run through a connection. It holds
// request or response headers and bodies only in Debug, masked, while its
// connection's debug logging was on.
type Execution struct {
	ID           string `json:"id"`
	TenantID     string `json:"tenant_id"`
	FolderID     string `json:"folder_id"`
	ConnectionID string `json:"connection_id"`
	Connector    string `json:"connector"`
	Activity     string `json:"activity"` // activity name, or "object.operation"
	Status       string `json:"status"`   // "succeeded" or "failed"
	HTTPStatus   int    `json:"http_status,omitempty"`
	ErrorCode    string `json:"error_code,omitempty"`
	// ErrorMessage is what a failed execution told its caller: the
	// problem's field and detail, the text an API caller saw, which never
	// holds a secret or the upstream API's body. "internal error" for
	// failures whose cause is kept for the logs only.
	ErrorMessage string    `json:"error_message,omitempty"`
	Attempts     int       `json:"attempts"`
	DurationMS   int64     `json:"duration_ms"`
	CallerID     string    `json:"caller_id,omitempty"`
	StartedAt    time.Time `json:"started_at"`
	// RetryOf is the execution an operator retried to make this one.
	RetryOf string `json:"retry_of,omitempty"`
	// InputSealedID points at the sealed request (activity, object,
	// operation, input) a failed execution keeps so that it can be
	// retried: the input may hold what the caller typed, personal data
	// or secrets, so it is kept sealed, and only for failures. Empty when
	// nothing was kept.
	InputSealedID string `json:"-"`
	// Input, when set on an execution being appended, is that sealed
	// request: it is stored with the record, in the same transaction,
	// under its own ID, which becomes InputSealedID. Reads leave it nil.
	Input *SealedValue `json:"-"`
	// Debug is what the execution sent and got, kept while its
	// connection's debug logging was on; nil otherwise.
	Debug *ExecutionDebug `json:"debug,omitempty"`
}

// MaxDebugWindow is how far ahead debug logging may be switched on: bodies
// may hold business data, so it must end by itself.
const MaxDebugWindow = 24 * time.Hour

// DebugBodyLimit is how much of each request and response body a debug
// record keeps.
const DebugBodyLimit = 64 << 10

// DebugOn reports whether the connection's debug logging is on at now.
func (c *Connection) DebugOn(now time.Time) bool {
	return c.DebugUntil != nil && now.Before(*c.DebugUntil)
}

// ExecutionDebug is what an execution sent and got, each attempt in the
// order sent, with every credential-carrying header and every secret value
// of the connection replaced by [redacted] before it was kept.
type ExecutionDebug struct {
	Attempts []DebugAttempt `json:"attempts"`
}

// DebugAttempt is one request sent and the response it got (nil when none
// came: the request failed before an answer).
type DebugAttempt struct {
	Request  DebugRequest   `json:"request"`
	Response *DebugResponse `json:"response,omitempty"`
	Error    string         `json:"error,omitempty"`
}

// DebugRequest is one request as sent, masked. BodyTruncated is set when
// the body was cut at DebugBodyLimit.
type DebugRequest struct {
	Method        string              `json:"method"`
	URL           string              `json:"url"`
	Headers       map[string][]string `json:"headers,omitempty"`
	Body          string              `json:"body,omitempty"`
	BodyTruncated bool                `json:"body_truncated,omitempty"`
}

// DebugResponse is one response as received, masked.
type DebugResponse struct {
	Status        int                 `json:"status"`
	Headers       map[string][]string `json:"headers,omitempty"`
	Body          string              `json:"body,omitempty"`
	BodyTruncated bool                `json:"body_truncated,omitempty"`
}

// ExecutionFilter narrows ListExecutions.
type ExecutionFilter struct {
	FolderIDs    []string
	ConnectionID string
	Status       string
	Since        time.Time
	Until        time.Time
	// Text, when set, keeps executions with Text in their activity,
	// connector, error code, error message or connection's name, case
	// aside; LIKE
	// wildcards in it match only themselves.
	Text string
	Page
}

// ExecutionCount is how many executions of a status started in one period
// (CountExecutions): from Start, for the period asked.
type ExecutionCount struct {
	Start  time.Time
	Status string
	Count  int
}

// Event is something that happened that people may want to be told about
// (connection.disconnected, trigger.disabled). Notifications deliver them.
type Event struct {
	ID         string         `json:"id"`
	TenantID   string         `json:"tenant_id"`
	Type       string         `json:"type"`
	ObjectType string         `json:"object_type"`
	ObjectID   string         `json:"object_id"`
	FolderID   string         `json:"folder_id,omitempty"`
	At         time.Time      `json:"at"`
	Details    map[string]any `json:"details,omitempty"`
}

// ConnectionStore persists connections. Names are unique per folder; at most
// one connection per connector and folder is the default.
type ConnectionStore interface {
	CreateConnection(ctx context.Context, c *Connection) error
	GetConnection(ctx context.Context, tenantID, id string) (*Connection, error)
	// GetConnectionWithFolder is GetConnection with the connection's folder
	// read in the same query, for the permission check every execution
	// makes.
	GetConnectionWithFolder(ctx context.Context, tenantID, id string) (*Connection, *Folder, error)
	ListConnections(ctx context.Context, tenantID string, f ConnectionFilter) ([]*Connection, error)
	// UpdateConnection saves every mutable column. Setting IsDefault clears
	// the flag on the folder's other connections of the same connector.
	UpdateConnection(ctx context.Context, c *Connection) error
	// DeleteConnection removes the connection with its pending OAuth flows
	// and the sealed values it points at (literal secrets, tokens, PKCE
	// verifiers), and the inputs its failed executions kept
	// (Execution.InputSealedID); the execution records stay.
	DeleteConnection(ctx context.Context, tenantID, id string) error
	// RecordAuthResult atomically resets (ok) or increments the consecutive
	// authentication failure count and returns the new count, so servers
	// sharing a database count failures together.
	RecordAuthResult(ctx context.Context, tenantID, id string, ok bool) (int, error)
	// LockConnection reads a connection and holds a write lock on it until
	// the surrounding transaction ends (SELECT ... FOR UPDATE on
	// PostgreSQL; SQLite's single writer serialises already). It must be
	// called inside InTx. OAuth refreshes use it so that servers sharing a
	// database never spend one refresh token twice.
	LockConnection(ctx context.Context, tenantID, id string) (*Connection, error)

	// CreateOAuthState records a pending authorization-code flow.
	CreateOAuthState(ctx context.Context, s *OAuthState) error
	// TakeOAuthState returns and deletes the pending flow with that state
	// hash, atomically, so a callback can complete it once only. Expired or
	// unknown states are ENOTFOUND.
	TakeOAuthState(ctx context.Context, stateHash []byte, now time.Time) (*OAuthState, error)
}

// OAuthState is a pending OAuth 2.0 authorization-code flow. Only a hash of
// the state parameter is stored; the PKCE verifier is sealed (SealedID).
type OAuthState struct {
	ID           string
	TenantID     string
	ConnectionID string
	UserID       string
	StateHash    []byte
	RedirectURI  string
	SealedID     string
	ExpiresAt    time.Time
	CreatedAt    time.Time
}

// ExecutionStore persists execution records and events.
//
// A record's text (connector, activity, status, error code, caller) is
// stored whatever it holds: a NUL character reads back as the six
// characters \u0000 and invalid UTF-8 as U+FFFD, on every database, so
// that no execution goes unrecorded for what a caller or an upstream API
// put in it.
type ExecutionStore interface {
	// AppendExecution stores e, and e.Input when set (see Execution.Input).
	AppendExecution(ctx context.Context, e *Execution) error
	// AppendExecutions stores a batch in one transaction: all or none.
	AppendExecutions(ctx context.Context, es []*Execution) error
	ListExecutions(ctx context.Context, tenantID string, f ExecutionFilter) ([]*Execution, error)
	// CountExecutions counts the executions f matches (its Page aside) by
	// status and by period of the given length from f.Since, which is
	// required: EINVALID without it or with a period under a second. Only
	// periods with executions are returned, in no particular order.
	CountExecutions(ctx context.Context, tenantID string, f ExecutionFilter, period time.Duration) ([]ExecutionCount, error)
	// GetExecution returns one execution record; ENOTFOUND when there is
	// none (a record the engine has not flushed yet is none).
	GetExecution(ctx context.Context, tenantID, id string) (*Execution, error)
	// ForgetExecutionInputs deletes, across tenants, the inputs kept by up
	// to limit executions started before startedBefore (oldest first), and
	// clears their InputSealedID; it returns how many it forgot.
	ForgetExecutionInputs(ctx context.Context, startedBefore time.Time, limit int) (int, error)
	AppendEvent(ctx context.Context, e *Event) error
	ListEvents(ctx context.Context, tenantID string, p Page) ([]*Event, error)
}
