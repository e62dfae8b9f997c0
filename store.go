package junction

import (
	"context"
	"time"
)

// Page asks for one page of a list. Lists are ordered by ID, which for UUIDv7
// IDs is creation order (most lists run oldest first, some newest first, as
// each method says), so a cursor is simply the last ID of the previous
// page.
type Page struct {
	Limit int // 0 means DefaultPageSize; values above MaxPageSize are capped
	// After returns the items that come after this ID in the list's
	// order: greater IDs oldest first, smaller newest first.
	After string
}

const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Normalize returns a copy with Limit in [1, MaxPageSize].
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageSize
	}
	if p.Limit > MaxPageSize {
		p.Limit = MaxPageSize
	}
	return p
}

// FolderFilter narrows ListFolders.
type FolderFilter struct {
	// ParentID, when set, returns direct children of that folder only.
	ParentID string
	// TopLevel returns folders without a parent.
	TopLevel bool
	// Within, when set, returns the folder with that ID and all its descendants.
	Within []string
	// NameContains matches names case-insensitively.
	NameContains string
	Page
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	// NameContains matches the login name or the display name,
	// case-insensitively.
	NameContains string
	// Disabled, when set, keeps the users whose Disabled equals it.
	Disabled *bool
	// RoleID, when set, keeps the users holding that role through any
	// assignment: tenant-wide or on any folder.
	RoleID string
	Page
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	ActorID    string
	ObjectType string
	ObjectID   string
	Action     string
	Since      time.Time // inclusive; zero means no bound
	Until      time.Time // exclusive; zero means no bound
	// WithHostOnly includes host-only entries, which are left out
	// otherwise.
	WithHostOnly bool
	Page
}

// Store is Junction's persistence: SQLite or PostgreSQL behind one contract.
// Every method is safe for concurrent use. Every tenant-owned object is read
// and written with its tenant ID, and an object of another tenant is
// indistinguishable from a missing one.
//
// Errors: a missing object returns an *Error with ENOTFOUND; a unique-name
// clash returns ECONFLICT; anything else is wrapped as EINTERNAL. Returned
// objects are owned by the caller.
type Store interface {
	// InTx runs fn inside one transaction: if fn returns an error, nothing it
	// wrote is kept. The Store passed to fn must not be used after fn returns.
	// Nested calls run in the same transaction.
	InTx(ctx context.Context, fn func(tx Store) error) error

	TenantStore
	FolderStore
	UserStore
	RoleStore
	TokenStore
	AuditStore
	SealedStore
	CredentialStoreStore
	CredentialProxyStore
	AssetStore
	ConnectionStore
	ExecutionStore
	TriggerStore
	JobStore
	CustomConnectorStore
	LoginStore

	NotificationStore
	RetentionStore
	UsageStore
}

// TenantStore persists tenants.
type TenantStore interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	GetTenantByName(ctx context.Context, name string) (*Tenant, error)
	ListTenants(ctx context.Context, p Page) ([]*Tenant, error)
	// CountTenants tells whether the database is empty (first start).
	CountTenants(ctx context.Context) (int, error)
}

// FolderStore persists the folder tree. Names are unique among siblings.
type FolderStore interface {
	// CreateFolder stores f; f.Path must already end with f.ID.
	CreateFolder(ctx context.Context, f *Folder) error
	GetFolder(ctx context.Context, tenantID, id string) (*Folder, error)
	ListFolders(ctx context.Context, tenantID string, f FolderFilter) ([]*Folder, error)
	// UpdateFolder saves a new name and/or parent. When the parent changes,
	// f.Path is the new path and the paths of all descendants are rewritten.
	UpdateFolder(ctx context.Context, f *Folder) error
	// DeleteFolder removes a folder, its subfolders and their role
	// assignments. While the folder or a subfolder holds assets or
	// connections it returns ECONFLICT with Details["assets"] and
	// Details["connections"] set to the counts.
	DeleteFolder(ctx context.Context, tenantID, id string) error
}

// UserStore persists users. Names are unique per tenant.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, tenantID, id string) (*User, error)
	GetUserByName(ctx context.Context, tenantID, name string) (*User, error)
	ListUsers(ctx context.Context, tenantID string, f UserFilter) ([]*User, error)
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes the user with its tokens and role assignments.
	DeleteUser(ctx context.Context, tenantID, id string) error
}

// RoleStore persists roles and role assignments. Role names are unique per
// tenant.
type RoleStore interface {
	CreateRole(ctx context.Context, r *Role) error
	GetRole(ctx context.Context, tenantID, id string) (*Role, error)
	GetRoleByName(ctx context.Context, tenantID, name string) (*Role, error)
	ListRoles(ctx context.Context, tenantID string, p Page) ([]*Role, error)
	UpdateRole(ctx context.Context, r *Role) error
	// DeleteRole returns ECONFLICT while the role is assigned.
	DeleteRole(ctx context.Context, tenantID, id string) error

	// SetAssignments replaces the roles a user holds at one scope (folderID
	// empty for tenant-wide). An empty roleIDs removes the user from it.
	SetAssignments(ctx context.Context, tenantID, userID, folderID string, roleIDs []string) error
	// ListAssignments returns every assignment of a user, with role names.
	ListAssignments(ctx context.Context, tenantID, userID string) ([]RoleAssignment, error)
	// ListFolderAssignments returns the assignments made directly on a folder.
	ListFolderAssignments(ctx context.Context, tenantID, folderID string) ([]RoleAssignment, error)
}

// TokenStore persists API tokens (hashes only).
type TokenStore interface {
	CreateToken(ctx context.Context, t *Token) error
	GetToken(ctx context.Context, tenantID, id string) (*Token, error)
	// GetTokenByHash finds a token by the SHA-256 of its secret, across
	// tenants: authentication starts from the token alone. The hash is
	// unique. Callers still compare hashes in constant time.
	GetTokenByHash(ctx context.Context, hash []byte) (*Token, error)
	ListTokens(ctx context.Context, tenantID, userID string) ([]*Token, error)
	RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error
	// TouchToken records a use; implementations may coalesce writes.
	TouchToken(ctx context.Context, id string, at time.Time) error
	// GetTokenPrincipal finds a token by hash, as GetTokenByHash does, with
	// everything authenticating it needs, read in one go so that a request
	// costs one round trip: the token's user, the user's assignments (in
	// ListAssignments order) and the roles they name. ENOTFOUND when the
	// token or its user does not exist. Whether the token is active and the
	// user enabled is for the caller to check, as is the hash.
	GetTokenPrincipal(ctx context.Context, hash []byte) (*TokenPrincipal, error)
}

// TokenPrincipal is what GetTokenPrincipal reads: enough to build a
// Principal with NewAccess(Assignments, Roles).
type TokenPrincipal struct {
	Token       *Token
	User        *User
	Assignments []RoleAssignment
	Roles       map[string]*Role // by ID
}

// AuditStore persists the audit log. Entries are append-only.
type AuditStore interface {
	AppendAudit(ctx context.Context, e *AuditEntry) error
	ListAudit(ctx context.Context, tenantID string, f AuditFilter) ([]*AuditEntry, error)
}

// SealedValue is one encrypted secret at rest (an OAuth token, a literal
// connection secret, a credential store's login, a database-held asset
// value). Envelope encryption: Ciphertext is sealed with a random per-record
// data key; WrappedKey is that data key sealed with the master key KeyID.
// Rotating the master key re-wraps WrappedKey only.
type SealedValue struct {
	ID         string
	TenantID   string
	KeyID      string
	WrappedKey []byte
	Nonce      []byte
	Ciphertext []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SealedStore persists encrypted values. Other tables refer to them by ID.
type SealedStore interface {
	// PutSealed inserts or replaces a sealed value by ID.
	PutSealed(ctx context.Context, v *SealedValue) error
	GetSealed(ctx context.Context, tenantID, id string) (*SealedValue, error)
	DeleteSealed(ctx context.Context, tenantID, id string) error
	// ListSealedNotWrappedWith returns up to limit values (of any tenant)
	// whose data key is wrapped with a master key other than keyID, for
	// re-wrapping after a rotation.
	ListSealedNotWrappedWith(ctx context.Context, keyID string, limit int) ([]*SealedValue, error)
	// RewrapSealed replaces KeyID and WrappedKey of one value, provided it
	// still holds oldKeyID and oldWrapped, as read before re-wrapping. It
	// returns ECONFLICT otherwise: another rotation got there first, or the
	// value was re-sealed with a new data key meanwhile, which the re-wrapped
	// old data key must not replace. ENOTFOUND when the value is gone.
	RewrapSealed(ctx context.Context, id, oldKeyID string, oldWrapped []byte, newKeyID string, wrapped []byte) error
}

// Keyring seals and opens secrets at rest with envelope encryption. It is
// safe for concurrent use.
type Keyring interface {
	// Seal encrypts plaintext for the record id. The id is bound as
	// additional data, so a sealed value copied onto another record fails
	// to open.
	Seal(tenantID, id string, plaintext []byte) (*SealedValue, error)
	// Open decrypts v. A value wrapped with an unknown master key, or
	// tampered with, returns an error; never a wrong plaintext.
	Open(v *SealedValue) ([]byte, error)
}
