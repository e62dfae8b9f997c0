package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"time"

	"junction"
)

// Sessions of the web UI end after SessionIdleTimeout without a request,
// and SessionMaxAge after sign-in whatever the activity.
const (
	SessionIdleTimeout = 30 * time.Minute
	SessionMaxAge      = 12 * time.Hour
)

// sessionPrefix starts every session secret, so that one found in a log
// or a paste is recognised as such.
const sessionPrefix = "jcs_"

// SetPasswordInput changes a user's password. Current is needed when
// users change their own password and already have one.
type SetPasswordInput struct {
	Current  junction.Secret
	Password junction.Secret
}

// SetPassword sets a user's password. Users may set their own (giving the
// current one when they have one); setting another's needs Users.Edit, and
// being a host administrator to set one's. Every session of the user ends,
// so a password changed after a theft shuts the thief out.
func (a *App) SetPassword(ctx context.Context, p *junction.Principal, userID string, in SetPasswordInput) error {
	self := userID == p.User.ID
	if !self {
		if err := requireTenant(p, junction.PermUsersEdit); err != nil {
			return err
		}
	}
	return a.tx(ctx, func(tx junction.Store) error {
		u, err := a.userIn(ctx, tx, p, userID)
		if err != nil {
			return err
		}
		if err := guardHostAdmin(p, u); err != nil {
			return err
		}
		if err := checkPassword("password", in.Password, u.Name); err != nil {
			return err
		}
		if self {
			cur, err := tx.GetPasswordHash(ctx, u.TenantID, u.ID)
			if err != nil {
				return err
			}
			if cur != "" && !verifyPassword(cur, in.Current) {
				return junction.Invalid("current_password", "is not your current password")
			}
		}
		if err := tx.SetPasswordHash(ctx, u.TenantID, u.ID, hashPassword(in.Password)); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.TenantID, u.ID); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "user.password.set", "user", u.ID, "", map[string]any{"name": u.Name, "own": self})
	})
}

// LoginInput is a sign-in attempt. IP and RequestID are recorded in the
// audit log.
type LoginInput struct {
	Tenant    string // the tenant's name; the default tenant when empty
	Username  string
	Password  junction.Secret
	IP        string
	RequestID string
}

// Login checks a user name and password and opens a session. It returns
// the signed-in Principal and the session's secret, for the browser's
// cookie only. Every failure (unknown tenant or user, no password, a wrong
// one, a disabled user) answers the same unauthenticated error after the
// same work, and is audited in the tenant when the tenant exists.
func (a *App) Login(ctx context.Context, in LoginInput) (*junction.Principal, junction.Secret, error) {
	fail := func(tenantID, userID, reason string) (*junction.Principal, junction.Secret, error) {
		a.auditLoginFailure(ctx, loginAttempt{TenantID: tenantID, UserID: userID, Name: in.Username,
			Method: LoginPassword, Reason: reason, IP: in.IP, RequestID: in.RequestID})
		return nil, junction.Secret{}, junction.Errorf(junction.EUNAUTHENTICATED, "wrong user name or password")
	}
	tenantName := in.Tenant
	if tenantName == "" {
		tenantName = junction.DefaultTenantName
	}
	t, err := a.store.GetTenantByName(ctx, tenantName)
	if junction.IsCode(err, junction.ENOTFOUND) {
		verifyPassword(dummyHash, in.Password)
		return fail("", "", "unknown tenant")
	} else if err != nil {
		return nil, junction.Secret{}, err
	}
	u, err := a.store.GetUserByName(ctx, t.ID, in.Username)
	if junction.IsCode(err, junction.ENOTFOUND) {
		verifyPassword(dummyHash, in.Password)
		return fail(t.ID, "", "unknown user")
	} else if err != nil {
		return nil, junction.Secret{}, err
	}
	hash, err := a.store.GetPasswordHash(ctx, t.ID, u.ID)
	if err != nil {
		return nil, junction.Secret{}, err
	}
	if !verifyPassword(hash, in.Password) {
		reason := "wrong password"
		if hash == "" {
			reason = "no password set"
		}
		return fail(t.ID, u.ID, reason)
	}
	if u.Disabled {
		return fail(t.ID, u.ID, "user disabled")
	}

	return a.openSession(ctx, u, LoginPassword, in.IP, in.RequestID)
}

// Sign-in methods, as the audit log names them.
const (
	LoginPassword = "password"
	LoginOIDC     = "oidc"
)

// loginAttempt is a refused sign-in as the audit log records it.
type loginAttempt struct {
	TenantID, UserID, Name, Method, Reason, IP, RequestID string
}

// auditLoginFailure records a refused sign-in in its tenant, when there is
// one. A failure to record is logged only: the caller answers the refusal
// either way.
func (a *App) auditLoginFailure(ctx context.Context, f loginAttempt) {
	if f.TenantID == "" {
		return
	}
	e := &junction.AuditEntry{ID: junction.NewID(), TenantID: f.TenantID, At: a.now(), Action: "user.login",
		ObjectType: "user", ObjectID: f.UserID, Outcome: junction.EUNAUTHENTICATED, IP: f.IP, RequestID: f.RequestID,
		Details: map[string]any{"name": f.Name, "method": f.Method, "reason": f.Reason}}
	if err := a.store.AppendAudit(ctx, e); err != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelError, "audit failed login", slog.Any("error", err))
	}
}

// openSession signs u in: a new session, audited as user.login with the
// method. It returns the session's secret, for the browser's cookie only.
func (a *App) openSession(ctx context.Context, u *junction.User, method, ip, requestID string) (*junction.Principal, junction.Secret, error) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails; see crypto/rand.Read
	secret := junction.NewSecret(sessionPrefix + base64.RawURLEncoding.EncodeToString(b[:]))
	now := a.now()
	s := &junction.Session{ID: junction.NewID(), TenantID: u.TenantID, UserID: u.ID, Hash: hashToken(secret.Reveal()),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionMaxAge)}
	p, err := a.principalOf(ctx, a.store, u)
	if err != nil {
		return nil, junction.Secret{}, err
	}
	p.IP, p.RequestID = ip, requestID
	err = a.tx(ctx, func(tx junction.Store) error {
		if err := tx.CreateSession(ctx, s); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "user.login", "user", u.ID, "", map[string]any{"name": u.Name, "method": method})
	})
	if err != nil {
		return nil, junction.Secret{}, err
	}
	// Sessions that ran out are removed by the sign-ins that follow them;
	// a failure here only leaves them for the next one.
	if _, err := a.store.DeleteSessionsBefore(ctx, now, now.Add(-SessionIdleTimeout)); err != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "remove expired sessions", slog.Any("error", err))
	}
	return p, secret, nil
}

// principalOf builds the Principal of a user from their role assignments.
func (a *App) principalOf(ctx context.Context, st junction.Store, u *junction.User) (*junction.Principal, error) {
	as, err := st.ListAssignments(ctx, u.TenantID, u.ID)
	if err != nil {
		return nil, err
	}
	roles := make(map[string]*junction.Role, len(as))
	for _, x := range as {
		if _, ok := roles[x.RoleID]; ok {
			continue
		}
		r, err := st.GetRole(ctx, u.TenantID, x.RoleID)
		if err != nil {
			return nil, err
		}
		roles[r.ID] = r
	}
	return &junction.Principal{User: u, Access: a.access.get(u.ID, as, roles)}, nil
}

// SessionPrincipal turns a session secret into the signed-in Principal and
// records the activity. An unknown secret, a session idle for
// SessionIdleTimeout or older than SessionMaxAge, and a disabled user all
// answer unauthenticated; a session found expired is removed. The
// returned Principal has no IP or RequestID.
func (a *App) SessionPrincipal(ctx context.Context, secret string) (*junction.Principal, *junction.Session, error) {
	unauth := junction.Errorf(junction.EUNAUTHENTICATED, "not signed in, or the session has ended")
	if secret == "" {
		return nil, nil, unauth
	}
	hash := hashToken(secret)
	s, err := a.store.GetSessionByHash(ctx, hash)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil, nil, unauth
	} else if err != nil {
		return nil, nil, err
	}
	if subtle.ConstantTimeCompare(hash, s.Hash) != 1 {
		return nil, nil, unauth
	}
	now := a.now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) >= SessionIdleTimeout {
		if err := a.store.DeleteSession(ctx, s.ID); err != nil {
			a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "remove expired session", slog.Any("error", err))
		}
		return nil, nil, unauth
	}
	u, err := a.store.GetUser(ctx, s.TenantID, s.UserID)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil, nil, unauth
	} else if err != nil {
		return nil, nil, err
	}
	if u.Disabled {
		return nil, nil, unauth
	}
	p, err := a.principalOf(ctx, a.store, u)
	if err != nil {
		return nil, nil, err
	}
	// Activity is recorded at most once a minute, which is all the idle
	// timeout needs, so reading pages costs no write each.
	if now.Sub(s.LastSeenAt) >= touchInterval {
		if err := a.store.TouchSession(ctx, s.ID, now); err != nil {
			a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "record session use", slog.Any("error", err))
		}
		s.LastSeenAt = now
	}
	return p, s, nil
}

// Logout ends the session of p and audits it.
func (a *App) Logout(ctx context.Context, p *junction.Principal, s *junction.Session) error {
	return a.tx(ctx, func(tx junction.Store) error {
		if err := tx.DeleteSession(ctx, s.ID); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "user.logout", "user", p.User.ID, "", nil)
	})
}
