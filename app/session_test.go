package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"junction"
	"junction/app"
	"junction/sqldb/sqldbtest"
)

// TestPasswordsAndSessions walks a password's life and a session's: the
// rules on passwords, who may set whose, sign-in and its failures
// (audited, never with the password), both timeouts on the injected
// clock, and sessions ended by a password change.
func TestPasswordsAndSessions(t *testing.T) {
	ctx := context.Background()
	store := sqldbtest.Open(t)
	clock := newClock()
	a := app.New(store, app.Options{Clock: clock})
	const adminPW = "correct horse battery staple"
	res := must(a.Bootstrap(ctx, app.BootstrapOptions{Password: junction.NewSecret(adminPW)}))
	admin := must(a.Authenticate(ctx, res.Token.Reveal()))
	ann := must(a.CreateUser(ctx, admin, app.CreateUserInput{Name: "ann", Roles: []string{junction.RoleViewer}})).User
	annP := &junction.Principal{User: ann, Access: admin.Access} // her own password only
	pw := junction.NewSecret

	t.Run("Rules", func(t *testing.T) {
		for _, tc := range []struct{ pw, field string }{
			{"short", "password"},
			{"my name is ANN and more", "password"},
		} {
			err := a.SetPassword(ctx, admin, ann.ID, app.SetPasswordInput{Password: pw(tc.pw)})
			if !junction.IsCode(err, junction.EINVALID) || fieldOf(err) != tc.field {
				t.Fatalf("%q: got %v, want invalid %s", tc.pw, err, tc.field)
			}
		}
		_, err := a.Bootstrap(ctx, app.BootstrapOptions{Password: pw("admin-is-my-password")})
		if !junction.IsCode(err, junction.EINVALID) {
			t.Fatalf("bootstrap password with the name: %v", err)
		}
	})

	t.Run("SignIn", func(t *testing.T) {
		must(0, a.SetPassword(ctx, admin, ann.ID, app.SetPasswordInput{Password: pw("first passphrase!")}))
		_, _, err := a.Login(ctx, app.LoginInput{Username: "ann", Password: pw("wrong passphrase!"), IP: "192.0.2.1"})
		if !junction.IsCode(err, junction.EUNAUTHENTICATED) {
			t.Fatalf("wrong password: %v", err)
		}
		_, _, err = a.Login(ctx, app.LoginInput{Username: "nobody", Password: pw("wrong passphrase!")})
		if !junction.IsCode(err, junction.EUNAUTHENTICATED) {
			t.Fatalf("unknown user: %v", err)
		}
		p, secret, err := a.Login(ctx, app.LoginInput{Username: "ann", Password: pw("first passphrase!")})
		if err != nil || p.User.ID != ann.ID {
			t.Fatalf("login: %v", err)
		}
		got, _, err := a.SessionPrincipal(ctx, secret.Reveal())
		if err != nil || got.User.ID != ann.ID || got.Access.Tenant[junction.PermUsersEdit] {
			t.Fatalf("session: %v", err)
		}
		if _, _, err := a.Login(ctx, app.LoginInput{Username: "admin", Password: pw(adminPW)}); err != nil {
			t.Fatalf("bootstrap password: %v", err)
		}

		// Her own change needs the current password and ends her sessions.
		err = a.SetPassword(ctx, annP, ann.ID, app.SetPasswordInput{Current: pw("not it at all"), Password: pw("second passphrase")})
		if fieldOf(err) != "current_password" {
			t.Fatalf("wrong current password: %v", err)
		}
		must(0, a.SetPassword(ctx, annP, ann.ID, app.SetPasswordInput{Current: pw("first passphrase!"), Password: pw("second passphrase")}))
		if _, _, err := a.SessionPrincipal(ctx, secret.Reveal()); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
			t.Fatalf("session after a password change: %v", err)
		}

		entries := must(a.ListAudit(ctx, admin, app.AuditQuery{Action: "user.login"}))
		var failed int
		for _, e := range entries.Items {
			if e.Outcome == junction.EUNAUTHENTICATED {
				failed++
			}
		}
		if failed != 2 {
			t.Fatalf("failed logins audited: %d, want 2", failed)
		}
		for _, e := range must(a.ListAudit(ctx, admin, app.AuditQuery{})).Items {
			b := must(json.Marshal(e))
			for _, s := range []string{"passphrase", adminPW, "argon2"} {
				if bytes.Contains(b, []byte(s)) {
					t.Fatalf("audit entry %s holds %q", e.Action, s)
				}
			}
		}
	})

	t.Run("Timeouts", func(t *testing.T) {
		login := func() string {
			_, s := must2(a.Login(ctx, app.LoginInput{Username: "ann", Password: pw("second passphrase")}))
			return s.Reveal()
		}
		idle := login()
		clock.Advance(app.SessionIdleTimeout - time.Second)
		must2(a.SessionPrincipal(ctx, idle)) // activity keeps it alive
		clock.Advance(app.SessionIdleTimeout - time.Second)
		must2(a.SessionPrincipal(ctx, idle))
		clock.Advance(app.SessionIdleTimeout)
		if _, _, err := a.SessionPrincipal(ctx, idle); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
			t.Fatalf("idle session: %v", err)
		}

		busy := login()
		for range 12*4 - 1 { // a request every quarter hour, up to 11h45m
			clock.Advance(15 * time.Minute)
			must2(a.SessionPrincipal(ctx, busy))
		}
		clock.Advance(15 * time.Minute)
		if _, _, err := a.SessionPrincipal(ctx, busy); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
			t.Fatalf("session past its absolute end: %v", err)
		}
	})

	t.Run("HostAdmin", func(t *testing.T) {
		tenantAdmin := must(a.CreateUser(ctx, admin, app.CreateUserInput{Name: "tina", Roles: []string{junction.RoleTenantAdmin}})).User
		tp := &junction.Principal{User: tenantAdmin, Access: admin.Access}
		err := a.SetPassword(ctx, tp, admin.User.ID, app.SetPasswordInput{Password: pw("taken over, ha ha")})
		if !junction.IsCode(err, junction.EPERMISSIONDENIED) {
			t.Fatalf("tenant administrator set the host administrator's password: %v", err)
		}
		viewer := &junction.Principal{User: ann, Access: junction.Access{}}
		err = a.SetPassword(ctx, viewer, tenantAdmin.ID, app.SetPasswordInput{Password: pw("taken over, ha ha")})
		if !junction.IsCode(err, junction.EPERMISSIONDENIED) {
			t.Fatalf("viewer set another's password: %v", err)
		}
	})
}

func fieldOf(err error) string {
	var e *junction.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}
