package keyring_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/keyring"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// sealedStore is a real database (SQLite) holding the tenants the tests
// seal values for. It remembers the tenant of each value it stores, so
// that tests can read any value back through the store.
type sealedStore struct {
	*sqldb.DB
	mu       sync.Mutex
	tenantOf map[string]string // by sealed ID
}

// testTenants are the IDs of the tenants newSealedStore creates.
var testTenants = []string{"tenant-0", "tenant-1", "tenant-2"}

func newSealedStore(tb testing.TB) *sealedStore {
	tb.Helper()
	db := sqldbtest.Open(tb)
	for _, id := range testTenants {
		if err := db.CreateTenant(context.Background(), &junction.Tenant{ID: id, Name: id}); err != nil {
			tb.Fatal(err)
		}
	}
	return &sealedStore{DB: db, tenantOf: map[string]string{}}
}

func (s *sealedStore) PutSealed(ctx context.Context, v *junction.SealedValue) error {
	if err := s.DB.PutSealed(ctx, v); err != nil {
		return err
	}
	s.mu.Lock()
	s.tenantOf[v.ID] = v.TenantID
	s.mu.Unlock()
	return nil
}

// get reads the value stored under id.
func (s *sealedStore) get(tb testing.TB, id string) *junction.SealedValue {
	tb.Helper()
	s.mu.Lock()
	tenant := s.tenantOf[id]
	s.mu.Unlock()
	v, err := s.GetSealed(context.Background(), tenant, id)
	if err != nil {
		tb.Fatalf("%s: %v", id, err)
	}
	return v
}

func mustRing(tb testing.TB, primary []byte, previous ...[]byte) *keyring.Ring {
	tb.Helper()
	r, err := keyring.New(primary, previous...)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// assertNoSecret fails when err's text contains the plaintext or a key in
// any encoding an operator might have used.
func assertNoSecret(tb testing.TB, err error, secrets ...[]byte) {
	tb.Helper()
	if err == nil {
		return
	}
	msg := err.Error() + " " + junction.ErrorMessage(err)
	for _, s := range secrets {
		for _, enc := range []string{string(s), base64.StdEncoding.EncodeToString(s), base64.RawURLEncoding.EncodeToString(s), fmt.Sprintf("%x", s)} {
			if enc != "" && strings.Contains(msg, enc) {
				tb.Fatal("error message contains secret material")
			}
		}
	}
}

func TestSealOpen(t *testing.T) {
	key := keyring.GenerateKey()
	r := mustRing(t, key)

	t.Run("OK", func(t *testing.T) {
		for _, pt := range [][]byte{[]byte("s3cr3t-token"), {}, bytes.Repeat([]byte{0xff}, 1<<16)} {
			v, err := r.Seal("tenant-1", "rec-1", pt)
			if err != nil {
				t.Fatal(err)
			}
			if v.ID != "rec-1" || v.TenantID != "tenant-1" || v.KeyID != keyring.KeyID(key) {
				t.Fatalf("sealed value identifies %q/%q/%q", v.TenantID, v.ID, v.KeyID)
			}
			if len(pt) > 4 && bytes.Contains(v.Ciphertext, pt) {
				t.Fatal("ciphertext contains the plaintext")
			}
			got, err := r.Open(v)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatal("round trip changed the plaintext")
			}
		}
	})

	t.Run("FreshDataKeyEachTime", func(t *testing.T) {
		a, _ := r.Seal("t", "id", []byte("same"))
		b, _ := r.Seal("t", "id", []byte("same"))
		if bytes.Equal(a.WrappedKey, b.WrappedKey) || bytes.Equal(a.Ciphertext, b.Ciphertext) {
			t.Fatal("two seals of one value share a data key or ciphertext")
		}
	})

	t.Run("KeyID", func(t *testing.T) {
		id := keyring.KeyID(key)
		if len(id) != 16 || id != keyring.KeyID(bytes.Clone(key)) || id == keyring.KeyID(keyring.GenerateKey()) {
			t.Fatalf("KeyID %q is not a stable 16-digit ID of the key", id)
		}
		if r.PrimaryKeyID() != id {
			t.Fatal("PrimaryKeyID differs from KeyID(primary)")
		}
	})

	t.Run("ErrKeySize", func(t *testing.T) {
		if _, err := keyring.New(make([]byte, 16)); !junction.IsCode(err, junction.EINVALID) {
			t.Fatalf("16-byte key: err = %v", err)
		}
	})
}

func TestOpen_Tampered(t *testing.T) {
	key := keyring.GenerateKey()
	r := mustRing(t, key)
	pt := []byte("correct horse battery staple")
	orig, err := r.Seal("tenant-1", "rec-1", pt)
	if err != nil {
		t.Fatal(err)
	}

	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i] ^= 0x01; return b }
	type tamper struct {
		name string
		edit func(v *junction.SealedValue)
	}
	var cases []tamper
	for i := range orig.WrappedKey {
		cases = append(cases, tamper{fmt.Sprintf("WrappedKey[%d]", i), func(v *junction.SealedValue) { v.WrappedKey = flip(v.WrappedKey, i) }})
	}
	for i := range orig.Nonce {
		cases = append(cases, tamper{fmt.Sprintf("Nonce[%d]", i), func(v *junction.SealedValue) { v.Nonce = flip(v.Nonce, i) }})
	}
	for i := range orig.Ciphertext {
		cases = append(cases, tamper{fmt.Sprintf("Ciphertext[%d]", i), func(v *junction.SealedValue) { v.Ciphertext = flip(v.Ciphertext, i) }})
	}
	cases = append(cases,
		tamper{"TenantID", func(v *junction.SealedValue) { v.TenantID = "tenant-2" }},
		tamper{"ID", func(v *junction.SealedValue) { v.ID = "rec-2" }},
		tamper{"WrappedKeyTruncated", func(v *junction.SealedValue) { v.WrappedKey = v.WrappedKey[:len(v.WrappedKey)-1] }},
		tamper{"WrappedKeyExtended", func(v *junction.SealedValue) { v.WrappedKey = append(bytes.Clone(v.WrappedKey), 0) }},
		tamper{"NonceShort", func(v *junction.SealedValue) { v.Nonce = v.Nonce[:8] }},
		tamper{"CiphertextTruncated", func(v *junction.SealedValue) { v.Ciphertext = v.Ciphertext[:len(v.Ciphertext)-1] }},
		tamper{"CiphertextEmpty", func(v *junction.SealedValue) { v.Ciphertext = nil }},
	)
	for _, tc := range cases {
		v := *orig
		tc.edit(&v)
		got, err := r.Open(&v)
		if err == nil {
			t.Fatalf("%s: tampered value opened", tc.name)
		}
		if got != nil {
			t.Fatalf("%s: plaintext returned with an error", tc.name)
		}
		if !errors.Is(err, keyring.ErrInvalidSealed) || !junction.IsCode(err, junction.EINTERNAL) {
			t.Fatalf("%s: err = %v, want ErrInvalidSealed", tc.name, err)
		}
		assertNoSecret(t, err, pt, key)
	}

	t.Run("KeyID", func(t *testing.T) {
		v := *orig
		v.KeyID = keyring.KeyID(keyring.GenerateKey())
		if _, err := r.Open(&v); !errors.Is(err, keyring.ErrUnknownKey) {
			t.Fatalf("err = %v, want ErrUnknownKey", err)
		}
	})

	t.Run("Nil", func(t *testing.T) {
		if _, err := r.Open(nil); err == nil {
			t.Fatal("nil value opened")
		}
	})
}

func TestOpen_Swapped(t *testing.T) {
	r := mustRing(t, keyring.GenerateKey())
	a, _ := r.Seal("tenant-1", "rec-a", []byte("value of a"))
	b, _ := r.Seal("tenant-1", "rec-b", []byte("value of b"))
	c, _ := r.Seal("tenant-2", "rec-c", []byte("value of c"))

	t.Run("WholeValueOntoAnotherRecord", func(t *testing.T) {
		v := *a
		v.ID = b.ID
		if _, err := r.Open(&v); err == nil {
			t.Fatal("value of rec-a opened as rec-b")
		}
	})
	t.Run("IntoAnotherTenant", func(t *testing.T) {
		v := *c
		v.TenantID = "tenant-1"
		if _, err := r.Open(&v); err == nil {
			t.Fatal("value of tenant-2 opened in tenant-1")
		}
	})
	t.Run("WrappedKeyOfAnotherRecord", func(t *testing.T) {
		v := *b
		v.WrappedKey = a.WrappedKey
		if _, err := r.Open(&v); err == nil {
			t.Fatal("data key of rec-a accepted for rec-b")
		}
	})
	t.Run("CiphertextOfAnotherRecord", func(t *testing.T) {
		v := *b
		v.Nonce, v.Ciphertext = a.Nonce, a.Ciphertext
		if _, err := r.Open(&v); err == nil {
			t.Fatal("ciphertext of rec-a opened under rec-b's data key")
		}
	})
}

func TestOpen_UnknownKey(t *testing.T) {
	oldKey, newKey := keyring.GenerateKey(), keyring.GenerateKey()
	v, _ := mustRing(t, oldKey).Seal("t", "rec", []byte("secret"))

	_, err := mustRing(t, newKey).Open(v)
	if !errors.Is(err, keyring.ErrUnknownKey) || !junction.IsCode(err, junction.EINTERNAL) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
	if !strings.Contains(err.Error(), v.KeyID) {
		t.Fatal("error does not name the missing key ID")
	}
	assertNoSecret(t, err, oldKey, newKey, []byte("secret"))

	// Keeping the old key as a previous key opens it; new seals use the new key.
	r := mustRing(t, newKey, oldKey)
	if got, err := r.Open(v); err != nil || string(got) != "secret" {
		t.Fatalf("Open with previous key: %v", err)
	}
	if v2, _ := r.Seal("t", "rec", nil); v2.KeyID != keyring.KeyID(newKey) {
		t.Fatal("seal did not use the primary key")
	}
}

func envLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoad_Env(t *testing.T) {
	cur, prev1, prev2 := keyring.GenerateKey(), keyring.GenerateKey(), keyring.GenerateKey()
	b64 := base64.StdEncoding.EncodeToString

	t.Run("OK", func(t *testing.T) {
		dir := t.TempDir()
		r, err := keyring.Load(keyring.LoadOptions{DataDir: dir, LookupEnv: envLookup(map[string]string{
			keyring.EnvMasterKey:         b64(cur),
			keyring.EnvMasterKeyPrevious: b64(prev1) + ", " + base64.RawURLEncoding.EncodeToString(prev2) + ",",
		})})
		if err != nil {
			t.Fatal(err)
		}
		if r.PrimaryKeyID() != keyring.KeyID(cur) || r.KeyFile() != "" {
			t.Fatal("env key is not the primary")
		}
		ids := r.KeyIDs()
		slices.Sort(ids)
		want := []string{keyring.KeyID(cur), keyring.KeyID(prev1), keyring.KeyID(prev2)}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("KeyIDs = %v, want %v", ids, want)
		}
		old, _ := mustRing(t, prev2).Seal("t", "r", []byte("x"))
		if _, err := r.Open(old); err != nil {
			t.Fatalf("previous key does not open: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, keyring.DefaultKeyFileName)); !os.IsNotExist(err) {
			t.Fatal("a key file was created although the key came from the environment")
		}
	})

	for name, env := range map[string]map[string]string{
		"ErrNotBase64":         {keyring.EnvMasterKey: "not base64 at all!"},
		"ErrShortKey":          {keyring.EnvMasterKey: b64(cur[:16])},
		"ErrBadPrevious":       {keyring.EnvMasterKey: b64(cur), keyring.EnvMasterKeyPrevious: b64(prev1) + "," + b64(prev2[:31])},
		"ErrPreviousWithout":   {keyring.EnvMasterKeyPrevious: b64(prev1)},
		"ErrNoKeyNoDataDirEnv": {},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := keyring.Load(keyring.LoadOptions{LookupEnv: envLookup(env)})
			if !junction.IsCode(err, junction.EINVALID) {
				t.Fatalf("err = %v, want validation_failed", err)
			}
			assertNoSecret(t, err, cur, prev1, prev2, cur[:16], prev2[:31])
		})
	}
}

func TestLoad_File(t *testing.T) {
	noEnv := envLookup(nil)

	t.Run("CreatedOnFirstStart", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		r, err := keyring.Load(keyring.LoadOptions{DataDir: dir, LookupEnv: noEnv})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, keyring.DefaultKeyFileName)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode %04o, want 0600", fi.Mode().Perm())
		}
		if r.KeyFile() != path {
			t.Fatalf("KeyFile = %q", r.KeyFile())
		}
		v, _ := r.Seal("t", "rec", []byte("kept across restarts"))

		r2, err := keyring.Load(keyring.LoadOptions{DataDir: dir, LookupEnv: noEnv})
		if err != nil {
			t.Fatal(err)
		}
		if r2.PrimaryKeyID() != r.PrimaryKeyID() {
			t.Fatal("second start made a different key")
		}
		if got, err := r2.Open(v); err != nil || string(got) != "kept across restarts" {
			t.Fatalf("Open after restart: %v", err)
		}
		b, _ := os.ReadFile(path)
		if !bytes.Contains(b, []byte(`"primary"`)) || !bytes.Contains(b, []byte(r.PrimaryKeyID())) {
			t.Fatal("key file is not the documented JSON document")
		}
		if matches, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(matches) > 0 {
			t.Fatalf("temporary files left behind: %v", matches)
		}
	})

	t.Run("EnvFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "junction.key")
		key := keyring.GenerateKey()
		if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := keyring.Load(keyring.LoadOptions{DataDir: t.TempDir(), LookupEnv: envLookup(map[string]string{keyring.EnvMasterKeyFile: path})})
		if err != nil {
			t.Fatal(err)
		}
		if r.PrimaryKeyID() != keyring.KeyID(key) {
			t.Fatal("a file holding one base64 key is not loaded as that key")
		}
	})

	t.Run("ErrReadableByOthers", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := keyring.Load(keyring.LoadOptions{DataDir: dir, LookupEnv: noEnv}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, keyring.DefaultKeyFileName)
		for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := keyring.Load(keyring.LoadOptions{DataDir: dir, LookupEnv: noEnv})
			if !junction.IsCode(err, junction.EINVALID) || !strings.Contains(err.Error(), "chmod 600") {
				t.Fatalf("mode %04o: err = %v, want a validation error telling to chmod 600", mode, err)
			}
		}
	})

	t.Run("ErrDamaged", func(t *testing.T) {
		key := keyring.GenerateKey()
		k64 := base64.StdEncoding.EncodeToString(key)
		for name, content := range map[string]string{
			"NotJSON":       `{"primary": "` + k64,
			"UnknownField":  `{"primary":"x","keys":[],"extra":"` + k64 + `"}`,
			"WrongID":       `{"primary":"0000000000000000","keys":[{"id":"0000000000000000","key":"` + k64 + `"}]}`,
			"NoPrimary":     `{"primary":"0000000000000000","keys":[{"key":"` + k64 + `"},{"key":"` + base64.StdEncoding.EncodeToString(keyring.GenerateKey()) + `"}]}`,
			"ShortKey":      `{"keys":[{"key":"` + base64.StdEncoding.EncodeToString(key[:8]) + `"}]}`,
			"NoKeys":        `{"primary":"","keys":[]}`,
			"GarbageBase64": k64[:20],
		} {
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "k")
				if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := keyring.Load(keyring.LoadOptions{LookupEnv: envLookup(map[string]string{keyring.EnvMasterKeyFile: path})})
				if !junction.IsCode(err, junction.EINVALID) {
					t.Fatalf("err = %v, want validation_failed", err)
				}
				assertNoSecret(t, err, key)
			})
		}
	})
}

// sealMany stores n values sealed by r and returns their plaintexts by ID.
func sealMany(tb testing.TB, store *sealedStore, r *keyring.Ring, prefix string, n int) map[string]string {
	tb.Helper()
	want := map[string]string{}
	for i := range n {
		id := fmt.Sprintf("%s-%04d", prefix, i)
		pt := "secret " + id
		v, err := r.Seal(fmt.Sprintf("tenant-%d", i%3), id, []byte(pt))
		if err != nil {
			tb.Fatal(err)
		}
		if err := store.PutSealed(context.Background(), v); err != nil {
			tb.Fatal(err)
		}
		want[id] = pt
	}
	return want
}

func assertAllOpen(tb testing.TB, store *sealedStore, r *keyring.Ring, want map[string]string) {
	tb.Helper()
	for id, pt := range want {
		got, err := r.Open(store.get(tb, id))
		if err != nil {
			tb.Fatalf("%s: %v", id, err)
		}
		if string(got) != pt {
			tb.Fatalf("%s: wrong plaintext after rotation", id)
		}
	}
}

func TestRotate_KeyFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := keyring.LoadOptions{DataDir: dir, LookupEnv: envLookup(nil)}
	path := filepath.Join(dir, keyring.DefaultKeyFileName)

	// A server that keeps running, unaware of the rotation.
	server, err := keyring.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	oldID := server.PrimaryKeyID()
	store := newSealedStore(t)
	want := sealMany(t, store, server, "rec", 250) // more than one batch
	before := map[string]*junction.SealedValue{}
	for id := range want {
		before[id] = store.get(t, id)
	}

	res, err := keyring.RotateMasterKey(ctx, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.NewKey || res.KeyFile != path || res.PrimaryKeyID == oldID || res.Rewrapped != 250 || len(res.Failed) != 0 {
		t.Fatalf("result = %+v", res)
	}
	for id := range want {
		v := store.get(t, id)
		if v.KeyID != res.PrimaryKeyID {
			t.Fatalf("%s still wrapped with %s", id, v.KeyID)
		}
		if !bytes.Equal(v.Ciphertext, before[id].Ciphertext) || !bytes.Equal(v.Nonce, before[id].Nonce) {
			t.Fatalf("%s: rotation rewrote the ciphertext", id)
		}
	}

	t.Run("NewServerOpensAll", func(t *testing.T) {
		r, err := keyring.Load(opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.PrimaryKeyID() != res.PrimaryKeyID || len(r.KeyIDs()) != 2 {
			t.Fatalf("after rotation: primary %s, keys %v", r.PrimaryKeyID(), r.KeyIDs())
		}
		assertAllOpen(t, store, r, want)
	})

	t.Run("RunningServerFollowsFile", func(t *testing.T) {
		// The running server meets the new key id and re-reads the file.
		assertAllOpen(t, store, server, want)
		v, err := server.Seal("tenant-0", "fresh", []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if v.KeyID != res.PrimaryKeyID {
			t.Fatal("running server still wraps new values with the rotated-away key")
		}
	})

	t.Run("OldValuesStillOpenDuringRotation", func(t *testing.T) {
		r, err := keyring.Load(opts)
		if err != nil {
			t.Fatal(err)
		}
		for id, v := range before {
			if got, err := r.Open(v); err != nil || string(got) != want[id] {
				t.Fatalf("%s: old-wrapped value does not open with the rotated ring: %v", id, err)
			}
		}
	})

	t.Run("RetireKeys", func(t *testing.T) {
		// A value still on the old key blocks retirement.
		stale := *before["rec-0007"]
		stale.ID = "stale"
		if err := store.PutSealed(ctx, &stale); err != nil {
			t.Fatal(err)
		}
		if _, err := keyring.RetireKeys(ctx, store, path); !junction.IsCode(err, junction.ECONFLICT) {
			t.Fatalf("RetireKeys with a value left on the old key: err = %v, want conflict", err)
		}
		if err := store.DeleteSealed(ctx, stale.TenantID, "stale"); err != nil {
			t.Fatal(err)
		}

		retired, err := keyring.RetireKeys(ctx, store, path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(retired, []string{oldID}) {
			t.Fatalf("retired %v, want [%s]", retired, oldID)
		}
		r, err := keyring.Load(opts)
		if err != nil {
			t.Fatal(err)
		}
		if ids := r.KeyIDs(); len(ids) != 1 || ids[0] != res.PrimaryKeyID {
			t.Fatalf("keys after retirement: %v", ids)
		}
		assertAllOpen(t, store, r, want)
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("rewritten key file mode %04o", fi.Mode().Perm())
		}
	})
}

func TestRotate_Env(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := keyring.GenerateKey(), keyring.GenerateKey()
	store := newSealedStore(t)
	want := sealMany(t, store, mustRing(t, oldKey), "rec", 120)
	b64 := base64.StdEncoding.EncodeToString
	opts := keyring.LoadOptions{DataDir: t.TempDir(), LookupEnv: envLookup(map[string]string{
		keyring.EnvMasterKey:         b64(newKey),
		keyring.EnvMasterKeyPrevious: b64(oldKey),
	})}

	res, err := keyring.RotateMasterKey(ctx, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.NewKey || res.KeyFile != "" || res.PrimaryKeyID != keyring.KeyID(newKey) || res.Rewrapped != 120 || len(res.Failed) != 0 {
		t.Fatalf("result = %+v", res)
	}
	// After rotation the old key is no longer needed.
	assertAllOpen(t, store, mustRing(t, newKey), want)

	// A second pass finds nothing to do.
	res, err = keyring.RotateMasterKey(ctx, store, opts)
	if err != nil || res.Rewrapped != 0 {
		t.Fatalf("second pass: %+v, %v", res, err)
	}
}

func TestRotate_UnknownKeysDoNotStall(t *testing.T) {
	ctx := context.Background()
	lost, cur := keyring.GenerateKey(), keyring.GenerateKey()
	store := newSealedStore(t)
	// More unopenable values than one batch, sorting before the good ones.
	sealMany(t, store, mustRing(t, lost), "a-lost", 130)
	want := sealMany(t, store, mustRing(t, cur), "b-ok", 40)
	r := mustRing(t, keyring.GenerateKey(), cur)

	res, err := keyring.Rotate(ctx, store, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rewrapped != 40 || len(res.Failed) != 130 {
		t.Fatalf("rewrapped %d, failed %d; want 40 and 130", res.Rewrapped, len(res.Failed))
	}
	assertAllOpen(t, store, r, want)
}

func TestRotate_ErrTooManyUnknown(t *testing.T) {
	store := newSealedStore(t)
	sealMany(t, store, mustRing(t, keyring.GenerateKey()), "a-lost", junction.MaxPageSize)
	sealMany(t, store, mustRing(t, keyring.GenerateKey()), "b-lost", 10)
	_, err := keyring.Rotate(context.Background(), store, mustRing(t, keyring.GenerateKey()), nil)
	if !errors.Is(err, keyring.ErrUnknownKey) || !strings.Contains(err.Error(), keyring.EnvMasterKeyPrevious) {
		t.Fatalf("err = %v, want a stop naming the likely missing key", err)
	}
}

func TestRotate_ErrNoKeyFile(t *testing.T) {
	_, err := keyring.RotateMasterKey(context.Background(), newSealedStore(t),
		keyring.LoadOptions{DataDir: t.TempDir(), LookupEnv: envLookup(nil)})
	if !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("err = %v, want validation_failed", err)
	}
}

func FuzzOpen(f *testing.F) {
	key := keyring.GenerateKey()
	r := mustRing(f, key)
	v, _ := r.Seal("tenant", "id", []byte("fuzz seed plaintext"))
	f.Add(v.TenantID, v.ID, v.KeyID, v.WrappedKey, v.Nonce, v.Ciphertext)
	f.Add("", "", "", []byte{}, []byte{}, []byte{})
	f.Add("t", "i", v.KeyID, []byte{1}, make([]byte, 12), make([]byte, 16))
	f.Fuzz(func(t *testing.T, tenantID, id, keyID string, wrapped, nonce, ct []byte) {
		sv := &junction.SealedValue{ID: id, TenantID: tenantID, KeyID: keyID, WrappedKey: wrapped, Nonce: nonce, Ciphertext: ct}
		got, err := r.Open(sv)
		if err == nil {
			// Only the untouched seed may open, and then to its plaintext.
			if string(got) != "fuzz seed plaintext" {
				t.Fatal("a forged value opened")
			}
			return
		}
		if got != nil {
			t.Fatal("plaintext returned with an error")
		}
	})
}

// TestRotate_WhileServing rotates a key file while a server seals and opens
// values from it: every value keeps opening, and a second pass leaves
// nothing on the old key.
func TestRotate_WhileServing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := keyring.LoadOptions{DataDir: dir, LookupEnv: envLookup(nil)}
	server, err := keyring.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	oldID := server.PrimaryKeyID()
	store := newSealedStore(t)
	want := sealMany(t, store, server, "pre", 150)

	var wg sync.WaitGroup
	var mu sync.Mutex
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("live-%d-%05d", w, i)
				v, err := server.Seal("tenant-0", id, []byte("secret "+id))
				if err != nil {
					t.Error(err)
					return
				}
				store.PutSealed(ctx, v)
				got, err := store.GetSealed(ctx, "tenant-0", id)
				if err != nil {
					t.Error(err)
					return
				}
				if pt, err := server.Open(got); err != nil || string(pt) != "secret "+id {
					t.Errorf("%s: %v", id, err)
					return
				}
				mu.Lock()
				want[id] = "secret " + id
				mu.Unlock()
			}
		})
	}
	res, err := keyring.RotateMasterKey(ctx, store, opts)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Rotate(ctx, store, server, nil); err != nil {
		t.Fatal(err)
	}
	if left, _ := store.ListSealedNotWrappedWith(ctx, res.PrimaryKeyID, 1); len(left) != 0 {
		t.Fatalf("value %s left on key %s (old key %s)", left[0].ID, left[0].KeyID, oldID)
	}
	fresh, err := keyring.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	assertAllOpen(t, store, fresh, want)
}
