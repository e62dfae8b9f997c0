package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/app"
	"junction/clocktest"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/storecache"
)

func newClock() *clocktest.Clock { return clocktest.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

// bootstrap prepares an App on a fresh database and returns it with the
// administrator's principal.
func bootstrap(t *testing.T, store junction.Store) (*app.App, *junction.Principal) {
	t.Helper()
	ctx := context.Background()
	a := app.New(store, app.Options{Clock: newClock()})
	res, err := a.Bootstrap(ctx, app.BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := a.Authenticate(ctx, res.Token.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	return a, admin
}

// must returns v, panicking (and so failing the test) on error; it keeps
// setup steps to one line each.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// access builds what a caller may do without going through role
// assignments, so each case states its permissions plainly.
type grant struct {
	folder string // "" for tenant-wide
	perms  []junction.Permission
}

func accessOf(grants ...grant) junction.Access {
	acc := junction.Access{Tenant: map[junction.Permission]bool{}, Folders: map[string]map[junction.Permission]bool{}}
	for _, g := range grants {
		for _, p := range g.perms {
			if g.folder == "" {
				acc.Tenant[p] = true
				continue
			}
			if acc.Folders[g.folder] == nil {
				acc.Folders[g.folder] = map[junction.Permission]bool{}
			}
			acc.Folders[g.folder][p] = true
		}
	}
	return acc
}

func roleOf(name string) []junction.Permission {
	for _, r := range junction.BuiltInRoles() {
		if r.Name == name {
			return r.Permissions
		}
	}
	panic("no built-in role " + name)
}

func perms(ps ...junction.Permission) []junction.Permission { return ps }

// TestAuthorization states who may do what, and what everyone else hears:
// not_found for folders out of sight, permission_denied for visible objects
// and tenant-level rights they lack.
func TestAuthorization(t *testing.T) {
	ctx := context.Background()
	a, admin := bootstrap(t, sqldbtest.Open(t))
	folderA := must(a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "A"}))
	folderA1 := must(a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "A1", ParentID: folderA.ID}))
	folderB := must(a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "B"}))
	trash := must(a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "Trash"}))
	user := must(a.CreateUser(ctx, admin, app.CreateUserInput{Name: "user"})).User
	other := must(a.CreateUser(ctx, admin, app.CreateUserInput{Name: "other"})).User
	roles := must(a.ListRoles(ctx, admin, junction.Page{}))
	var viewerRoleID string
	for _, r := range roles.Items {
		if r.Name == junction.RoleViewer {
			viewerRoleID = r.ID
		}
	}

	onA := grant{folder: folderA.ID, perms: roleOf(junction.RoleAutomationUser)}
	name := func(s string) *string { return &s }

	for _, tc := range []struct {
		name   string
		access junction.Access
		op     func(p *junction.Principal) error
		want   string // error code, "" for success
	}{
		{"FolderRoleSeesSubfolder", accessOf(onA), func(p *junction.Principal) error {
			_, err := a.GetFolder(ctx, p, folderA1.ID)
			return err
		}, ""},
		{"FolderRoleDoesNotSeeSibling", accessOf(onA), func(p *junction.Principal) error {
			_, err := a.GetFolder(ctx, p, folderB.ID)
			return err
		}, junction.ENOTFOUND},
		{"TenantViewSeesAll", accessOf(grant{perms: perms(junction.PermFoldersView)}), func(p *junction.Principal) error {
			_, err := a.GetFolder(ctx, p, folderB.ID)
			return err
		}, ""},
		{"NoRoleSeesNothing", accessOf(), func(p *junction.Principal) error {
			l, err := a.ListFolders(ctx, p, app.FolderQuery{})
			if err == nil && len(l.Items) != 0 {
				t.Errorf("a caller without roles lists %d folders", len(l.Items))
			}
			return err
		}, ""},
		{"VisibleWithoutEdit", accessOf(onA), func(p *junction.Principal) error {
			_, err := a.UpdateFolder(ctx, p, folderA.ID, app.UpdateFolderInput{Name: name("A2")})
			return err
		}, junction.EPERMISSIONDENIED},
		{"InvisibleWithoutEdit", accessOf(onA), func(p *junction.Principal) error {
			_, err := a.UpdateFolder(ctx, p, folderB.ID, app.UpdateFolderInput{Name: name("B2")})
			return err
		}, junction.ENOTFOUND},
		{"EditWithoutSightIsNotFound", accessOf(grant{perms: perms(junction.PermFoldersEdit)}), func(p *junction.Principal) error {
			_, err := a.UpdateFolder(ctx, p, folderB.ID, app.UpdateFolderInput{Name: name("B2")})
			return err
		}, junction.ENOTFOUND},
		{"CreateTopLevelWithoutRight", accessOf(onA), func(p *junction.Principal) error {
			_, err := a.CreateFolder(ctx, p, app.CreateFolderInput{Name: "x"})
			return err
		}, junction.EPERMISSIONDENIED},
		{"CreateInVisibleWithoutRight", accessOf(onA), func(p *junction.Principal) error {
			_, err := a.CreateFolder(ctx, p, app.CreateFolderInput{Name: "x", ParentID: folderA.ID})
			return err
		}, junction.EPERMISSIONDENIED},
		{"CreateInInvisible", accessOf(onA, grant{perms: perms(junction.PermFoldersCreate)}), func(p *junction.Principal) error {
			_, err := a.CreateFolder(ctx, p, app.CreateFolderInput{Name: "x", ParentID: folderB.ID})
			return err
		}, junction.ENOTFOUND},
		{"CreateInVisible", accessOf(onA, grant{perms: perms(junction.PermFoldersCreate)}), func(p *junction.Principal) error {
			_, err := a.CreateFolder(ctx, p, app.CreateFolderInput{Name: "x", ParentID: folderA.ID})
			return err
		}, ""},
		{"Delete", accessOf(grant{perms: perms(junction.PermFoldersView, junction.PermFoldersDelete)}), func(p *junction.Principal) error {
			return a.DeleteFolder(ctx, p, trash.ID)
		}, ""},
		{"MembersNeedUsersEdit", accessOf(onA, grant{perms: perms(junction.PermFoldersEdit)}), func(p *junction.Principal) error {
			_, err := a.SetFolderMember(ctx, p, folderA.ID, other.ID, []string{junction.RoleViewer})
			return err
		}, junction.EPERMISSIONDENIED},
		{"MembersOfInvisibleFolder", accessOf(onA, grant{perms: perms(junction.PermUsersEdit)}), func(p *junction.Principal) error {
			_, err := a.SetFolderMember(ctx, p, folderB.ID, other.ID, []string{junction.RoleViewer})
			return err
		}, junction.ENOTFOUND},
		{"ReadSelf", accessOf(), func(p *junction.Principal) error {
			_, err := a.GetUser(ctx, p, user.ID)
			return err
		}, ""},
		{"ReadOther", accessOf(), func(p *junction.Principal) error {
			_, err := a.GetUser(ctx, p, other.ID)
			return err
		}, junction.EPERMISSIONDENIED},
		{"ListUsers", accessOf(onA), func(p *junction.Principal) error {
			_, err := a.ListUsers(ctx, p, app.UserQuery{})
			return err
		}, junction.EPERMISSIONDENIED},
		{"GrantRolesNeedsUsersEdit", accessOf(grant{perms: perms(junction.PermUsersCreate)}), func(p *junction.Principal) error {
			_, err := a.CreateUser(ctx, p, app.CreateUserInput{Name: "x", Roles: []string{junction.RoleTenantAdmin}})
			return err
		}, junction.EPERMISSIONDENIED},
		{"OwnToken", accessOf(), func(p *junction.Principal) error {
			_, err := a.CreateToken(ctx, p, user.ID, app.CreateTokenInput{Name: "mine"})
			return err
		}, ""},
		{"OthersToken", accessOf(grant{perms: perms(junction.PermUsersView)}), func(p *junction.Principal) error {
			_, err := a.CreateToken(ctx, p, other.ID, app.CreateTokenInput{Name: "theirs"})
			return err
		}, junction.EPERMISSIONDENIED},
		{"CreateTenant", accessOf(grant{perms: roleOf(junction.RoleTenantAdmin)}), func(p *junction.Principal) error {
			_, err := a.CreateTenant(ctx, p, app.CreateTenantInput{Name: "x"})
			return err
		}, junction.EPERMISSIONDENIED},
		{"Audit", accessOf(grant{perms: perms(junction.PermUsersView)}), func(p *junction.Principal) error {
			_, err := a.ListAudit(ctx, p, app.AuditQuery{})
			return err
		}, junction.EPERMISSIONDENIED},
		{"CreateRole", accessOf(grant{perms: perms(junction.PermRolesView)}), func(p *junction.Principal) error {
			_, err := a.CreateRole(ctx, p, app.CreateRoleInput{Name: "x", Permissions: perms(junction.PermAssetsView)})
			return err
		}, junction.EPERMISSIONDENIED},
		{"ChangeBuiltInRole", accessOf(grant{perms: perms(junction.PermRolesEdit)}), func(p *junction.Principal) error {
			_, err := a.UpdateRole(ctx, p, viewerRoleID, app.UpdateRoleInput{Name: name("Looker")})
			return err
		}, junction.ECONFLICT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &junction.Principal{User: user, Access: tc.access}
			err := tc.op(p)
			if got := junction.ErrorCode(err); got != tc.want {
				t.Fatalf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Run("GivenToken", func(t *testing.T) {
				a := app.New(b.Open(t, sqldb.Options{}), app.Options{Clock: newClock()})
				token := junction.NewSecret("operator-chosen-token-0123456789abcdef")
				res := must(a.Bootstrap(ctx, app.BootstrapOptions{AdminName: "root", Token: token}))
				if !res.Created || !res.Token.IsZero() || res.Admin.Name != "root" || !res.Admin.HostAdmin ||
					res.Tenant.Name != junction.DefaultTenantName {
					t.Fatalf("result = %+v", res)
				}
				p := must(a.Authenticate(ctx, token.Reveal()))
				if !p.User.HostAdmin || !p.Access.CanTenant(junction.PermUsersEdit) || !p.Access.CanTenant(junction.PermAuditView) {
					t.Fatalf("bootstrap admin access: %+v", p.Access)
				}
				folders := must(a.ListFolders(ctx, p, app.FolderQuery{}))
				if len(folders.Items) != 1 || folders.Items[0].Name != junction.SharedFolderName {
					t.Fatalf("folders = %+v", folders.Items)
				}

				// A second start, with another token, changes nothing.
				other := junction.NewSecret("another-token-that-nobody-knows-0123456789")
				res = must(a.Bootstrap(ctx, app.BootstrapOptions{Token: other}))
				if res.Created {
					t.Fatal("bootstrapped twice")
				}
				if _, err := a.Authenticate(ctx, other.Reveal()); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
					t.Fatalf("an ignored bootstrap token authenticates: %v", err)
				}
			})
			t.Run("ErrShortToken", func(t *testing.T) {
				a := app.New(b.Open(t, sqldb.Options{}), app.Options{})
				_, err := a.Bootstrap(ctx, app.BootstrapOptions{Token: junction.NewSecret("short")})
				if !junction.IsCode(err, junction.EINVALID) {
					t.Fatalf("err = %v", err)
				}
			})
		})
	}
}

// Two servers starting at once on one database bootstrap it once; the
// loser returns without error.
func TestBootstrapConcurrent(t *testing.T) {
	ctx := context.Background()
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			var stores []junction.Store
			if b.Name == sqldb.DialectPostgres {
				dsn := sqldbtest.PostgresSchema(t)
				stores = []junction.Store{sqldbtest.MustOpen(t, dsn, sqldb.Options{}), sqldbtest.MustOpen(t, dsn, sqldb.Options{})}
			} else {
				db := b.Open(t, sqldb.Options{})
				stores = []junction.Store{db, db}
			}
			results := make([]app.BootstrapResult, len(stores))
			errs := make([]error, len(stores))
			var wg sync.WaitGroup
			for i, st := range stores {
				wg.Go(func() {
					results[i], errs[i] = app.New(st, app.Options{}).Bootstrap(ctx, app.BootstrapOptions{})
				})
			}
			wg.Wait()
			created := 0
			for i := range stores {
				if errs[i] != nil {
					t.Fatalf("start %d: %v", i, errs[i])
				}
				if results[i].Created {
					created++
				}
			}
			if created != 1 {
				t.Fatalf("%d starts bootstrapped, want 1", created)
			}
			if n := must(stores[0].CountTenants(ctx)); n != 1 {
				t.Fatalf("%d tenants", n)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	a := app.New(sqldbtest.Open(t), app.Options{Clock: clock})
	res := must(a.Bootstrap(ctx, app.BootstrapOptions{}))
	if tok := res.Token.Reveal(); len(tok) != 47 || tok[:4] != app.TokenPrefix {
		t.Fatalf("generated token %q", tok)
	}
	admin := must(a.Authenticate(ctx, res.Token.Reveal()))
	expires := clock.Now().Add(time.Hour)
	created := must(a.CreateToken(ctx, admin, admin.User.ID, app.CreateTokenInput{Name: "hour", ExpiresAt: &expires}))

	must(a.Authenticate(ctx, created.Secret.Reveal()))
	clock.Set(expires)
	for _, tok := range []string{created.Secret.Reveal(), "", "jct_unknown", res.Token.Reveal() + "x"} {
		if _, err := a.Authenticate(ctx, tok); !junction.IsCode(err, junction.EUNAUTHENTICATED) {
			t.Fatalf("token of %d characters: %v", len(tok), err)
		}
	}
	tokens := must(a.ListTokens(ctx, admin, admin.User.ID))
	for _, tok := range tokens {
		if tok.ID == res.TokenID && tok.LastUsedAt == nil {
			t.Error("authentication did not record the token's use")
		}
	}
}

// BenchmarkAuthenticate measures the cost every API request pays before
// its handler runs.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	a := app.New(sqldbtest.Open(b), app.Options{})
	res := must(a.Bootstrap(ctx, app.BootstrapOptions{}))
	token := res.Token.Reveal()
	for b.Loop() {
		if _, err := a.Authenticate(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// A change to a user's role takes effect at the user's next request, with
// the server's store cache in front of the database as in production.
func TestAuthenticateSeesRoleChanges(t *testing.T) {
	ctx := context.Background()
	store := storecache.New(sqldbtest.Open(t), storecache.Options{})
	a, admin := bootstrap(t, store)
	role := must(a.CreateRole(ctx, admin, app.CreateRoleInput{Name: "auditor", Permissions: perms(junction.PermAuditView)}))
	user := must(a.CreateUser(ctx, admin, app.CreateUserInput{Name: "ann", Roles: []string{"auditor"}}))
	tok := must(a.CreateToken(ctx, admin, user.ID, app.CreateTokenInput{Name: "ann"})).Secret.Reveal()

	for range 2 { // the second answer comes from the store cache and the access memo
		if p := must(a.Authenticate(ctx, tok)); !p.Access.CanTenant(junction.PermAuditView) || p.Access.CanTenant(junction.PermUsersView) {
			t.Fatalf("ann's access: %v", p.Access.TenantPermissionList())
		}
	}
	must(a.UpdateRole(ctx, admin, role.ID, app.UpdateRoleInput{Permissions: &[]junction.Permission{junction.PermUsersView}}))
	if p := must(a.Authenticate(ctx, tok)); p.Access.CanTenant(junction.PermAuditView) || !p.Access.CanTenant(junction.PermUsersView) {
		t.Fatalf("after the role changed, ann's access is %v", p.Access.TenantPermissionList())
	}
}
