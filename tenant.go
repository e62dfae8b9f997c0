package junction

import "time"

// DefaultTenantName is the tenant a first start creates.
const DefaultTenantName = "default"

// SharedFolderName is the folder every new tenant starts with.
const SharedFolderName = "Shared"

// Tenant is an isolated organisation. Nothing crosses tenants: every object
// belongs to exactly one, and every query is scoped by it.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Folder groups connections, assets and triggers. Folders nest; a role
// assigned on a folder holds in all its subfolders.
type Folder struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	// ParentID is empty for a top-level folder.
	ParentID string `json:"parent_id,omitempty"`
	Name     string `json:"name"`
	// Path is the chain of folder IDs from the top-level folder down to and
	// including this one. Permission inheritance and subtree queries use it.
	Path      []string  `json:"path"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// User is a person or a robot account in one tenant.
type User struct {
	ID          string `json:"id"`
	TenantID    string `json:"tenant_id"`
	Name        string `json:"name"` // login name, unique per tenant
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	// HostAdmin users administer the installation itself: they create
	// tenants. Only the first administrator of the default tenant is one.
	HostAdmin bool      `json:"host_admin"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Token is an API token. Its secret part is shown once, at creation; only a
// SHA-256 hash is stored. Tokens are 256-bit random, so a fast hash is enough
// and no slow key-derivation function sits on the request path.
type Token struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"tenant_id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Hash       []byte     `json:"-"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Active reports whether the token may authenticate at time now.
func (t *Token) Active(now time.Time) bool {
	if t.RevokedAt != nil {
		return false
	}
	return t.ExpiresAt == nil || now.Before(*t.ExpiresAt)
}

// AuditEntry records one change, or one secret resolution: who did what to
// which object, when and from where. It never holds a secret value.
type AuditEntry struct {
	ID         string         `json:"id"`
	TenantID   string         `json:"tenant_id"`
	At         time.Time      `json:"at"`
	ActorID    string         `json:"actor_id,omitempty"`
	ActorName  string         `json:"actor_name,omitempty"`
	Action     string         `json:"action"` // "folder.create", "asset.resolve", ...
	ObjectType string         `json:"object_type"`
	ObjectID   string         `json:"object_id,omitempty"`
	FolderID   string         `json:"folder_id,omitempty"`
	IP         string         `json:"ip,omitempty"`
	RequestID  string         `json:"request_id,omitempty"`
	Outcome    string         `json:"outcome"` // "success" or an error code
	Details    map[string]any `json:"details,omitempty"`
	// HostOnly marks host administration recorded in the host
	// administrator's own tenant (creating another tenant): it names other
	// tenants, so only host administrators see it.
	HostOnly bool `json:"host_only,omitempty"`
}
