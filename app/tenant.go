package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"junction"
)

// seededTenant is what a new tenant starts with.
type seededTenant struct {
	Tenant *junction.Tenant
	Admin  *junction.User
	Token  *junction.Token
}

// seedTenant creates a tenant with the built-in roles, the Shared folder,
// the built-in database credential store, and an administrator holding
// Tenant Administrator tenant-wide, with one API token whose secret is
// rawToken. It writes to tx only; the caller owns the transaction and the
// audit entries.
func (a *App) seedTenant(ctx context.Context, tx junction.Store, name, adminName string, hostAdmin bool, rawToken junction.Secret) (*seededTenant, error) {
	now := a.now()
	t := &junction.Tenant{ID: junction.NewID(), Name: name, CreatedAt: now}
	if err := tx.CreateTenant(ctx, t); err != nil {
		return nil, conflictName(err, "name", "a tenant named %q already exists", name)
	}
	var adminRoleID string
	for _, r := range junction.BuiltInRoles() {
		r.ID, r.TenantID, r.BuiltIn, r.CreatedAt, r.UpdatedAt = junction.NewID(), t.ID, true, now, now
		if err := tx.CreateRole(ctx, &r); err != nil {
			return nil, err
		}
		if r.Name == junction.RoleTenantAdmin {
			adminRoleID = r.ID
		}
	}
	shared := &junction.Folder{ID: junction.NewID(), TenantID: t.ID, Name: junction.SharedFolderName, CreatedAt: now, UpdatedAt: now}
	shared.Path = []string{shared.ID}
	if err := tx.CreateFolder(ctx, shared); err != nil {
		return nil, err
	}
	if err := tx.CreateCredentialStore(ctx, newDatabaseStore(t.ID, now)); err != nil {
		return nil, err
	}
	admin := &junction.User{
		ID: junction.NewID(), TenantID: t.ID, Name: adminName, DisplayName: "Administrator",
		HostAdmin: hostAdmin, CreatedAt: now, UpdatedAt: now,
	}
	if err := tx.CreateUser(ctx, admin); err != nil {
		return nil, err
	}
	if err := tx.SetAssignments(ctx, t.ID, admin.ID, "", []string{adminRoleID}); err != nil {
		return nil, err
	}
	tok := &junction.Token{
		ID: junction.NewID(), TenantID: t.ID, UserID: admin.ID, Name: "initial administrator token",
		Hash: hashToken(rawToken.Reveal()), CreatedAt: now,
	}
	if err := tx.CreateToken(ctx, tok); err != nil {
		return nil, err
	}
	return &seededTenant{Tenant: t, Admin: admin, Token: tok}, nil
}

// BootstrapOptions configures the first start.
type BootstrapOptions struct {
	// AdminName is the login name of the first administrator; "admin" when
	// empty.
	AdminName string
	// Token, when set, becomes the administrator's API token (from
	// JUNCTION_BOOTSTRAP_TOKEN), so automated installs know it in advance.
	// It must be at least MinBootstrapTokenLen characters: only its SHA-256
	// is stored, which is safe for long random strings only.
	Token junction.Secret
	// Password, when set, becomes the administrator's password for the web
	// UI (from JUNCTION_BOOTSTRAP_PASSWORD), checked by the usual rules.
	Password junction.Secret
}

// MinBootstrapTokenLen is the shortest token Bootstrap accepts.
const MinBootstrapTokenLen = 32

// BootstrapResult tells what Bootstrap did.
type BootstrapResult struct {
	// Created is false when the database already held a tenant; then
	// nothing was written and the other fields are empty.
	Created bool
	Tenant  *junction.Tenant
	Admin   *junction.User
	TokenID string
	// Token is the generated administrator token, to be shown once. It is
	// empty when BootstrapOptions.Token was given.
	Token junction.Secret
	// SetupToken, when no password was given, is the secret of a one-time
	// link that lets the administrator set theirs (SetFirstPassword),
	// valid for SetupTokenTTL, to be shown once.
	SetupToken junction.Secret
}

// Bootstrap prepares an empty database on first start: the default tenant
// with the built-in roles, the Shared folder, and an administrator who is a
// host administrator and Tenant Administrator, with one API token. All of it
// is written in one transaction.
//
// On a database that already holds a tenant it does nothing, even when
// opts.Token is set but unknown: a bootstrap token never adds access to an
// existing installation (a warning is logged so the operator knows the
// variable was ignored). When two servers start at once on one PostgreSQL,
// the loser's insert of the default tenant conflicts; it then finds the
// database initialised and returns Created false without error.
func (a *App) Bootstrap(ctx context.Context, opts BootstrapOptions) (BootstrapResult, error) {
	adminName := opts.AdminName
	if adminName == "" {
		adminName = "admin"
	}
	adminName, err := cleanLoginName("admin_name", adminName)
	if err != nil {
		return BootstrapResult{}, err
	}
	token, generated := opts.Token, false
	if token.IsZero() {
		token, generated = newTokenSecret(), true
	} else if len(token.Reveal()) < MinBootstrapTokenLen || strings.ContainsAny(token.Reveal(), " \t\r\n") {
		return BootstrapResult{}, junction.Invalid("bootstrap_token",
			"must be at least %d characters without spaces", MinBootstrapTokenLen)
	}
	if !opts.Password.IsZero() {
		if err := checkPassword("bootstrap_password", opts.Password, adminName); err != nil {
			return BootstrapResult{}, err
		}
	}

	var res BootstrapResult
	err = a.tx(ctx, func(tx junction.Store) error {
		n, err := tx.CountTenants(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return errAlreadyBootstrapped
		}
		s, err := a.seedTenant(ctx, tx, junction.DefaultTenantName, adminName, true, token)
		if err != nil {
			return err
		}
		var setup junction.Secret
		if !opts.Password.IsZero() {
			if err := tx.SetPasswordHash(ctx, s.Tenant.ID, s.Admin.ID, hashPassword(opts.Password)); err != nil {
				return err
			}
		} else if setup, err = a.newSetupToken(ctx, tx, s.Admin); err != nil {
			return err
		}
		if err := a.auditIn(ctx, tx, s.Tenant.ID, nil, "tenant.bootstrap", "tenant", s.Tenant.ID, "",
			map[string]any{"admin_id": s.Admin.ID, "admin_name": s.Admin.Name}); err != nil {
			return err
		}
		res = BootstrapResult{Created: true, Tenant: s.Tenant, Admin: s.Admin, TokenID: s.Token.ID, SetupToken: setup}
		if generated {
			res.Token = token
		}
		return nil
	})
	if err == nil {
		return res, nil
	}
	if !errors.Is(err, errAlreadyBootstrapped) && !junction.IsCode(err, junction.ECONFLICT) {
		return BootstrapResult{}, err
	}
	// Either the database was initialised before, or a concurrent start won
	// the race; in both cases make sure it is really initialised.
	if n, cerr := a.store.CountTenants(ctx); cerr != nil {
		return BootstrapResult{}, cerr
	} else if n == 0 {
		return BootstrapResult{}, err
	}
	if !generated {
		if _, terr := a.store.GetTokenByHash(ctx, hashToken(token.Reveal())); junction.IsCode(terr, junction.ENOTFOUND) {
			a.log(ctx).WarnContext(ctx, "the database is already initialised; the bootstrap token is not one of its tokens and was ignored")
		}
	}
	return BootstrapResult{}, nil
}

var errAlreadyBootstrapped = errors.New("database already initialised")

// CreateTenantInput describes a new tenant.
type CreateTenantInput struct {
	Name string
	// AdminName is the login name of the tenant's first administrator;
	// "admin" when empty.
	AdminName string
}

// TenantCreated is a new tenant with its first administrator and that
// administrator's token, shown once. The host administrator hands the token
// over; they get no access to the new tenant themselves.
type TenantCreated struct {
	Tenant  *junction.Tenant
	Admin   *junction.User
	TokenID string
	Token   junction.Secret
}

// CreateTenant creates a tenant with the built-in roles, the Shared folder
// and an administrator. Host administrators only.
func (a *App) CreateTenant(ctx context.Context, p *junction.Principal, in CreateTenantInput) (*TenantCreated, error) {
	if !p.User.HostAdmin {
		return nil, junction.Errorf(junction.EPERMISSIONDENIED, "only a host administrator can create tenants")
	}
	name, err := cleanLoginName("name", in.Name)
	if err != nil {
		return nil, err
	}
	adminName := in.AdminName
	if adminName == "" {
		adminName = "admin"
	}
	if adminName, err = cleanLoginName("admin_name", adminName); err != nil {
		return nil, err
	}
	token := newTokenSecret()
	var out *TenantCreated
	err = a.tx(ctx, func(tx junction.Store) error {
		s, err := a.seedTenant(ctx, tx, name, adminName, false, token)
		if err != nil {
			return err
		}
		details := map[string]any{"name": s.Tenant.Name, "admin_id": s.Admin.ID, "admin_name": s.Admin.Name}
		if err := a.auditHost(ctx, tx, p, "tenant.create", "tenant", s.Tenant.ID, details); err != nil {
			return err
		}
		// The new tenant's own log starts with its creation, by "the host
		// administrator", naming nothing outside the tenant.
		details = map[string]any{"admin_id": s.Admin.ID, "admin_name": s.Admin.Name}
		if err := a.auditIn(ctx, tx, s.Tenant.ID, p, "tenant.create", "tenant", s.Tenant.ID, "", details); err != nil {
			return err
		}
		out = &TenantCreated{Tenant: s.Tenant, Admin: s.Admin, TokenID: s.Token.ID, Token: token}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.log(ctx).LogAttrs(ctx, slog.LevelInfo, "tenant created", slog.String("tenant_id", out.Tenant.ID), slog.String("tenant", out.Tenant.Name))
	return out, nil
}

// ListTenants lists tenants: all of them for a host administrator, the
// caller's own otherwise.
func (a *App) ListTenants(ctx context.Context, p *junction.Principal, page junction.Page) (List[*junction.Tenant], error) {
	if err := checkCursor(page); err != nil {
		return List[*junction.Tenant]{}, err
	}
	if !p.User.HostAdmin {
		if page.After != "" {
			return newList([]*junction.Tenant{}, page, nil), nil
		}
		t, err := a.store.GetTenant(ctx, p.TenantID())
		if err != nil {
			return List[*junction.Tenant]{}, err
		}
		return List[*junction.Tenant]{Items: []*junction.Tenant{t}}, nil
	}
	ts, err := a.store.ListTenants(ctx, page.Normalize())
	if err != nil {
		return List[*junction.Tenant]{}, err
	}
	return newList(ts, page, func(t *junction.Tenant) string { return t.ID }), nil
}
