package engine_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"junction"
	"junction/connector"
	"junction/credstore/credstoretest"
	"junction/credstore/vault"
	"junction/credstore/vault/vaulttest"
	"junction/engine"
	"junction/keyring"
	"junction/outbound"
	"junction/resolver"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// openStores returns n Store handles on one fresh database, as n servers
// sharing it would have: PostgreSQL when JUNCTION_TEST_POSTGRES is set,
// else an SQLite file.
func openStores(tb testing.TB, n int) []junction.Store {
	tb.Helper()
	dsn := filepath.Join(tb.TempDir(), "junction.db")
	if os.Getenv(sqldbtest.PostgresEnv) != "" {
		dsn = sqldbtest.PostgresSchema(tb)
	}
	out := make([]junction.Store, n)
	for i := range out {
		out[i] = sqldbtest.MustOpen(tb, dsn, sqldb.Options{})
	}
	return out
}

// fixture is one tenant with a folder, a HashiCorp Vault test server
// configured as a credential store, and an engine over real components.
type fixture struct {
	ctx    context.Context
	store  junction.Store
	ring   junction.Keyring
	clock  *credstoretest.Clock
	vault  *vaulttest.Server
	res    *resolver.Resolver
	out    *outbound.Client
	cat    *connector.Catalog
	eng    *engine.Engine
	tenant *junction.Tenant
	folder *junction.Folder
	vstore *junction.CredentialStoreConfig
	roots  *x509.CertPool
}

type fixtureOptions struct {
	store   junction.Store // default: a fresh database
	ring    junction.Keyring
	clock   *credstoretest.Clock
	extra   string // directory of extra connector definitions
	roots   *x509.CertPool
	tenant  *junction.Tenant
	folder  *junction.Folder
	vault   *vaulttest.Server
	vstore  *junction.CredentialStoreConfig
	noSetup bool // the store already holds tenant, folder and vault store
	// engine adjusts the engine's options.
	engine func(*engine.Options)
	// sleep replaces the outbound client's waits (Retry-After), so that
	// tests record them instead of sleeping.
	sleep func(context.Context, time.Duration) error
}

func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{ctx: ctx, store: o.store, ring: o.ring, clock: o.clock, vault: o.vault, roots: o.roots,
		tenant: o.tenant, folder: o.folder, vstore: o.vstore}
	if f.clock == nil {
		f.clock = credstoretest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	}
	if f.store == nil {
		f.store = openStores(t, 1)[0]
	}
	if f.ring == nil {
		ring, err := keyring.New(keyring.GenerateKey())
		if err != nil {
			t.Fatal(err)
		}
		f.ring = ring
	}
	if f.vault == nil {
		f.vault = vaulttest.New(t, vaulttest.Options{Clock: f.clock})
		f.vault.SetAppRole("approle", "role-1", "secret-id-1")
	}
	if f.roots == nil {
		f.roots = x509.NewCertPool()
	}
	if !o.noSetup {
		f.setupTenant(t)
	}

	cat, err := connector.LoadCatalog(connector.Builtin(), o.extra)
	if err != nil {
		t.Fatal(err)
	}
	f.cat = cat
	res, err := resolver.New(resolver.Options{
		Store: f.store, Keyring: f.ring, Clock: f.clock,
		Types:      map[string]junction.CredentialStoreType{vault.TypeName: vault.Type},
		StoreAllow: credstoretest.Loopback,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Close() })
	f.res = res
	out, err := outbound.New(outbound.Options{
		Allow:      []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RootCAs:    f.roots,
		Clock:      f.clock,
		MaxRetries: -1,
		Sleep:      o.sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(out.CloseIdleConnections)
	f.out = out
	eo := engine.Options{Store: f.store, Keyring: f.ring, Catalog: cat, Resolver: res, Outbound: out, Clock: f.clock}
	if o.engine != nil {
		o.engine(&eo)
	}
	eng, err := engine.New(eo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	f.eng = eng
	return f
}

func (f *fixture) setupTenant(t testing.TB) {
	t.Helper()
	now := f.clock.Now()
	f.tenant = &junction.Tenant{ID: junction.NewID(), Name: "acme", CreatedAt: now}
	if err := f.store.CreateTenant(f.ctx, f.tenant); err != nil {
		t.Fatal(err)
	}
	f.folder = &junction.Folder{ID: junction.NewID(), TenantID: f.tenant.ID, Name: "Shared", CreatedAt: now, UpdatedAt: now}
	f.folder.Path = []string{f.folder.ID}
	if err := f.store.CreateFolder(f.ctx, f.folder); err != nil {
		t.Fatal(err)
	}
	sealedID := junction.NewID()
	sv, err := resolver.SealStoreSecrets(f.ring, f.tenant.ID, sealedID, map[string]string{"secret_id": "secret-id-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.PutSealed(f.ctx, sv); err != nil {
		t.Fatal(err)
	}
	f.vstore = &junction.CredentialStoreConfig{
		ID: junction.NewID(), TenantID: f.tenant.ID, Name: "corp-vault", Type: vault.TypeName,
		Config: map[string]string{
			"address": f.vault.URL(), "ca_cert": f.vault.CACertPEM(), "auth_method": "approle", "role_id": "role-1",
			"engine": "kv-v2", "mount": "secret", "data_path": "apps",
		},
		SecretKeys: []string{"secret_id"}, SealedID: sealedID, CreatedAt: now, UpdatedAt: now,
	}
	if err := f.store.CreateCredentialStore(f.ctx, f.vstore); err != nil {
		t.Fatal(err)
	}
}

// trust adds a test server's certificate to the engine's roots. Every
// httptest TLS server presents the same certificate, so one call covers
// them all.
func (f *fixture) trust(srv *httptest.Server) { f.roots.AddCert(srv.Certificate()) }

// vaultAsset stores value in the vault under apps/<name> and makes an asset
// of the given type for it.
func (f *fixture) vaultAsset(t testing.TB, name string, typ junction.AssetType, data map[string]string) *junction.Asset {
	t.Helper()
	f.vault.Put("secret/apps/"+name, data)
	now := f.clock.Now()
	a := &junction.Asset{
		ID: junction.NewID(), TenantID: f.tenant.ID, FolderID: f.folder.ID, Name: name, Type: typ,
		StoreID: f.vstore.ID, ExternalName: name, CreatedAt: now, UpdatedAt: now,
	}
	if err := f.store.CreateAsset(f.ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// connection stores a connection in the folder.
func (f *fixture) connection(t testing.TB, connectorKey, authType string, fields map[string]junction.FieldValue, literal map[string]junction.Secret) *junction.Connection {
	t.Helper()
	now := f.clock.Now()
	c := &junction.Connection{
		ID: junction.NewID(), TenantID: f.tenant.ID, FolderID: f.folder.ID, Connector: connectorKey,
		Name: connectorKey + "-" + authType + "-" + junction.NewID()[28:], AuthType: authType, Fields: fields,
		Status: junction.ConnectionConnected, CreatedAt: now, UpdatedAt: now,
	}
	if len(literal) > 0 {
		c.SecretsSealedID = junction.NewID()
		sv, err := engine.SealSecrets(f.ring, f.tenant.ID, c.SecretsSealedID, literal)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.PutSealed(f.ctx, sv); err != nil {
			t.Fatal(err)
		}
		for name := range literal {
			fields[name] = junction.FieldValue{Set: true}
		}
	}
	if err := f.store.CreateConnection(f.ctx, c); err != nil {
		t.Fatal(err)
	}
	return f.reload(t, c)
}

func (f *fixture) reload(t testing.TB, c *junction.Connection) *junction.Connection {
	t.Helper()
	got, err := f.store.GetConnection(f.ctx, c.TenantID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f *fixture) executions(t testing.TB) []*junction.Execution {
	t.Helper()
	if err := f.eng.Flush(f.ctx); err != nil {
		t.Fatal(err)
	}
	list, err := f.store.ListExecutions(f.ctx, f.tenant.ID, junction.ExecutionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func wantCode(t testing.TB, err error, code string) *junction.Error {
	t.Helper()
	if junction.ErrorCode(err) != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	var je *junction.Error
	_ = asError(err, &je)
	return je
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeDefinition puts a connector definition in a fresh directory for
// LoadCatalog's extraDir.
func writeDefinition(t testing.TB, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "def.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}
