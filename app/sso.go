package app

import (
	"context"
	"fmt"

	"junction"
)

// SSOLoginInput is a sign-in an identity provider has vouched for: the
// web UI verified the provider's ID token and mapped one of its claims to
// Username. Users signed in this way belong to the default tenant.
type SSOLoginInput struct {
	Username string
	// Email and DisplayName are used only when the user is created.
	Email, DisplayName string
	// Subject and Issuer name the person at the provider, for the audit
	// log.
	Subject, Issuer string
	// CreateUsers lets a name Junction does not know become a new user,
	// holding DefaultRoles tenant-wide; without it such a name is refused.
	CreateUsers  bool
	DefaultRoles []string
	IP           string
	RequestID    string
}

// LoginSSO opens a session for the user an identity provider signed in,
// as Login does for a password: audited as user.login with method oidc.
// An unknown user (unless CreateUsers) or a disabled one answers
// unauthenticated and is audited with the reason. A created user is
// audited as user.create, with no actor: the provider vouched for them.
func (a *App) LoginSSO(ctx context.Context, in SSOLoginInput) (*junction.Principal, junction.Secret, error) {
	t, err := a.store.GetTenantByName(ctx, junction.DefaultTenantName)
	if err != nil {
		return nil, junction.Secret{}, err
	}
	attempt := loginAttempt{TenantID: t.ID, Name: in.Username, Method: LoginOIDC, IP: in.IP, RequestID: in.RequestID}
	refuse := func(userID, reason, message string) (*junction.Principal, junction.Secret, error) {
		attempt.UserID, attempt.Reason = userID, reason
		a.auditLoginFailure(ctx, attempt)
		return nil, junction.Secret{}, junction.Errorf(junction.EUNAUTHENTICATED, "%s", message)
	}
	name, err := cleanLoginName("username", in.Username)
	if err != nil {
		return refuse("", "the provider's user name is not a valid Junction user name",
			"the identity provider's user name cannot be a Junction user name: "+junction.ErrorMessage(err))
	}
	u, err := a.store.GetUserByName(ctx, t.ID, name)
	switch {
	case junction.IsCode(err, junction.ENOTFOUND) && !in.CreateUsers:
		return refuse("", "unknown user", "you are signed in at the identity provider, but Junction has no user named "+name+": ask an administrator to create it")
	case junction.IsCode(err, junction.ENOTFOUND):
		if u, err = a.createSSOUser(ctx, t, name, in); err != nil {
			return nil, junction.Secret{}, err
		}
	case err != nil:
		return nil, junction.Secret{}, err
	}
	if u.Disabled {
		return refuse(u.ID, "user disabled", "your Junction user is disabled")
	}
	return a.openSession(ctx, u, LoginOIDC, in.IP, in.RequestID)
}

// createSSOUser adds the user an identity provider vouched for, with the
// default roles, in one transaction. An e-mail or display name Junction
// would refuse is left out rather than refusing the sign-in.
func (a *App) createSSOUser(ctx context.Context, t *junction.Tenant, name string, in SSOLoginInput) (*junction.User, error) {
	email, err := cleanEmail("email", in.Email)
	if err != nil {
		email = ""
	}
	display, err := cleanDisplayName("display_name", in.DisplayName)
	if err != nil {
		display = ""
	}
	now := a.now()
	u := &junction.User{ID: junction.NewID(), TenantID: t.ID, Name: name, DisplayName: display, Email: email,
		CreatedAt: now, UpdatedAt: now}
	err = a.tx(ctx, func(tx junction.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return conflictName(err, "name", "a user named %q already exists", name)
		}
		roles, err := a.resolveRoles(ctx, tx, &junction.Principal{User: u}, in.DefaultRoles, false)
		if err != nil {
			return err
		}
		if len(roles) > 0 {
			if err := tx.SetAssignments(ctx, t.ID, u.ID, "", roleIDs(roles)); err != nil {
				return err
			}
		}
		return a.auditIn(ctx, tx, t.ID, nil, "user.create", "user", u.ID, "", map[string]any{"name": u.Name,
			"roles": roleNamesOf(roles), "method": LoginOIDC, "issuer": in.Issuer, "subject": in.Subject})
	})
	if junction.IsCode(err, junction.ECONFLICT) {
		// Another sign-in of the same person created it meanwhile.
		return a.store.GetUserByName(ctx, t.ID, name)
	}
	return u, err
}

// SSOLoginFailed audits a single sign-on refused before any user was
// known (a forged or expired state, a token the provider did not sign).
func (a *App) SSOLoginFailed(ctx context.Context, name, reason, ip, requestID string) {
	t, err := a.store.GetTenantByName(ctx, junction.DefaultTenantName)
	if err != nil {
		a.log(ctx).ErrorContext(ctx, "audit failed single sign-on", "error", err)
		return
	}
	a.auditLoginFailure(ctx, loginAttempt{TenantID: t.ID, Name: name, Method: LoginOIDC, Reason: reason, IP: ip, RequestID: requestID})
}

// CheckRoleNames fails with invalid when a role named in names does not
// exist in the default tenant: the server checks --oidc-default-roles at
// start rather than at the first sign-in.
func (a *App) CheckRoleNames(ctx context.Context, field string, names []string) error {
	t, err := a.store.GetTenantByName(ctx, junction.DefaultTenantName)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := a.store.GetRoleByName(ctx, t.ID, n); junction.IsCode(err, junction.ENOTFOUND) {
			return junction.Invalid(field, "there is no role named %q", n)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// CheckSSOClientSecretAsset fails unless assetID names a secret or
// credential asset of the default tenant: the server checks
// --oidc-client-secret-asset at start, without reading the value, so that
// a credential store down at start keeps no one from signing in with a
// password.
func (a *App) CheckSSOClientSecretAsset(ctx context.Context, assetID string) error {
	_, err := a.ssoSecretAsset(ctx, assetID)
	return err
}

// SSOClientSecret resolves the OpenID Connect client secret from the
// secret or credential asset assetID of the default tenant (a credential's
// password), through the resolver and its cache, at each sign-in: a value
// rotated in its store is used once the cache lets it go, or at once with
// refresh, which reads the store again. The value goes to the provider
// only; nothing of it is written.
func (a *App) SSOClientSecret(ctx context.Context, assetID string, refresh bool) (junction.Secret, error) {
	as, err := a.ssoSecretAsset(ctx, assetID)
	if err != nil {
		return junction.Secret{}, err
	}
	if err := a.needResolver(); err != nil {
		return junction.Secret{}, err
	}
	var v junction.StoredSecret
	if refresh {
		v, _, err = a.resolver.Refresh(ctx, as)
	} else {
		v, err = a.resolver.Resolve(ctx, as)
	}
	if err != nil {
		return junction.Secret{}, fmt.Errorf("resolve the OpenID Connect client secret from asset %q: %w", as.Name, err)
	}
	if v.Value.IsZero() {
		return junction.Secret{}, junction.Invalid("oidc_client_secret_asset", "asset %q holds no value", as.Name)
	}
	return v.Value, nil
}

func (a *App) ssoSecretAsset(ctx context.Context, assetID string) (*junction.Asset, error) {
	if !junction.ValidID(assetID) {
		return nil, junction.Invalid("oidc_client_secret_asset", "is not an asset ID")
	}
	t, err := a.store.GetTenantByName(ctx, junction.DefaultTenantName)
	if err != nil {
		return nil, err
	}
	as, err := a.store.GetAsset(ctx, t.ID, assetID)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil, junction.Invalid("oidc_client_secret_asset", "the default tenant has no asset %s", assetID)
	} else if err != nil {
		return nil, err
	}
	if !as.Type.Sensitive() {
		return nil, junction.Invalid("oidc_client_secret_asset", "asset %q is a %s asset: the client secret must be a secret or credential asset", as.Name, as.Type)
	}
	return as, nil
}
