package keyring_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/credstore/awssm/awssmtest"
	"junction/credstore/azurekv/azurekvtest"
	"junction/credstore/vault/vaulttest"
	"junction/keyring"
	"junction/kms"
	"junction/kms/gcpkmstest"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// kmsFixture is one KMS test server, reproducing its vendor's documented
// API over real TLS, with the keys the tests use.
type kmsFixture struct {
	// url returns the KMS URL of the key created by createKey(key).
	url       func(key string) string
	createKey func(key string)
	opts      kms.Options
	// deny makes the KMS refuse Junction's credentials from now on.
	deny func()
}

func writeCA(tb testing.TB, pem string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "kms-ca.pem")
	if err := os.WriteFile(path, []byte(pem), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// syncEnv is an environment tests can change while rings read it.
type syncEnv struct {
	mu sync.Mutex
	m  map[string]string
}

func (e *syncEnv) lookup(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.m[k]
	return v, ok
}

func vaultFixture(t *testing.T) kmsFixture {
	s := vaulttest.New(t, vaulttest.Options{})
	token := s.CreateToken(vaulttest.TokenSpec{})
	env := &syncEnv{m: map[string]string{"VAULT_TOKEN": token}}
	return kmsFixture{
		url:       func(key string) string { return "hashivault://" + key + "?address=" + s.URL() },
		createKey: func(key string) { s.CreateTransitKey("transit", key) },
		opts:      kms.Options{CAFile: writeCA(t, s.CACertPEM()), LookupEnv: env.lookup},
		deny:      func() { s.RevokeToken(token) },
	}
}

// setAWSEnv gives the AWS SDK's default chain the test server's key pair
// and nothing from the machine's own configuration.
func setAWSEnv(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": awssmtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY": awssmtest.SecretAccessKey,
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
}

func awsFixture(t *testing.T) kmsFixture {
	setAWSEnv(t)
	s := awssmtest.New(t)
	return kmsFixture{
		url: func(key string) string {
			return "awskms://alias/" + key + "?region=" + awssmtest.Region + "&endpoint=" + s.URL()
		},
		createKey: func(key string) { s.CreateKMSKey(key) },
		opts:      kms.Options{CAFile: writeCA(t, s.CACertPEM())},
		deny:      func() { s.RejectKey(true) },
	}
}

func azureFixture(t *testing.T) kmsFixture {
	f, _ := newAzureFixture(t)
	return f
}

func newAzureFixture(t *testing.T) (kmsFixture, *azurekvtest.Server) {
	s := azurekvtest.New(t)
	for k, v := range map[string]string{
		"AZURE_TENANT_ID": azurekvtest.TenantID, "AZURE_CLIENT_ID": azurekvtest.ClientID,
		"AZURE_CLIENT_SECRET": azurekvtest.ClientSecret, "AZURE_AUTHORITY_HOST": s.AuthorityURL(),
		"AZURE_CLIENT_CERTIFICATE_PATH": "", "AZURE_USERNAME": "", "AZURE_FEDERATED_TOKEN_FILE": "",
	} {
		t.Setenv(k, v)
	}
	return kmsFixture{
		url:       func(key string) string { return "azurekeyvault://" + azurekvtest.VaultHost + "/keys/" + key },
		createKey: s.CreateKey,
		opts:      kms.Options{CAFile: writeCA(t, s.CACertPEM()), Transport: s.Transport()},
		deny:      func() { s.DenyKeys(true) },
	}, s
}

func gcpFixture(t *testing.T) kmsFixture {
	s := gcpkmstest.New(t)
	env := &syncEnv{m: map[string]string{"GOOGLE_OAUTH_ACCESS_TOKEN": gcpkmstest.AccessToken}}
	return kmsFixture{
		url:       func(key string) string { return "gcpkms://" + gcpkmstest.KeyName(key) + "?endpoint=" + s.URL() },
		createKey: s.CreateKey,
		opts:      kms.Options{CAFile: writeCA(t, s.CACertPEM()), LookupEnv: env.lookup},
		deny:      func() { s.Deny(true) },
	}
}

// kmsFixtures are the KMS test servers the keyring is tested against, by
// name.
var kmsFixtures = []struct {
	name string
	new  func(*testing.T) kmsFixture
}{
	{"Vault", vaultFixture},
	{"AWS", awsFixture},
	{"Azure", azureFixture},
	{"GCP", gcpFixture},
}

// readKeyFileJSON returns the key file's entries as the tests see them.
type keyFileJSON struct {
	Primary string `json:"primary"`
	Keys    []struct {
		ID      string `json:"id"`
		Key     []byte `json:"key"`
		KMS     string `json:"kms"`
		Wrapped []byte `json:"wrapped"`
	} `json:"keys"`
}

func readKeyFileJSON(tb testing.TB, path string) keyFileJSON {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var kf keyFileJSON
	if err := json.Unmarshal(b, &kf); err != nil {
		tb.Fatal(err)
	}
	return kf
}

// unwrappedKeys asks the KMS, as the test, for the master keys the key file
// holds wrapped: what must never be found on disk or in logs.
func unwrappedKeys(tb testing.TB, f kmsFixture, path string) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, e := range readKeyFileJSON(tb, path).Keys {
		if e.KMS == "" {
			continue
		}
		w, err := kms.Open(context.Background(), e.KMS, f.opts)
		if err != nil {
			tb.Fatal(err)
		}
		key, err := w.Unwrap(context.Background(), e.Wrapped)
		if err != nil {
			tb.Fatal(err)
		}
		if keyring.KeyID(key) != e.ID {
			tb.Fatalf("entry %s unwraps to another key", e.ID)
		}
		out = append(out, key)
	}
	return out
}

// assertNotIn fails when any file under dir, or text, holds one of keys in
// an encoding an operator or a log might use.
func assertNotIn(tb testing.TB, keys [][]byte, text string, dirs ...string) {
	tb.Helper()
	hay := []string{text}
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				hay = append(hay, string(b))
			}
			return nil
		})
	}
	for _, k := range keys {
		for _, enc := range []string{string(k), base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k), fmt.Sprintf("%x", k)} {
			for _, h := range hay {
				if strings.Contains(h, enc) {
					tb.Fatal("an unwrapped master key was found on disk or in the logs")
				}
			}
		}
	}
}

// TestKMS runs the keyring against each KMS test server. It is not
// parallel: the AWS, Azure and Google credential chains read the process
// environment.
func TestKMS(t *testing.T) {
	for _, fx := range kmsFixtures {
		t.Run(fx.name, func(t *testing.T) { testKMS(t, fx.new(t)) })
	}
}

func testKMS(t *testing.T, f kmsFixture) {
	ctx := context.Background()
	f.createKey("junction")
	f.createKey("junction-next")
	kmsOpts := func(dir string, logs *bytes.Buffer, keyURL string) keyring.LoadOptions {
		return keyring.LoadOptions{DataDir: dir, LookupEnv: envLookup(nil), Logger: slog.New(slog.NewTextHandler(logs, nil)),
			KMS: keyURL, OpenKMS: kms.Opener(f.opts)}
	}

	t.Run("SealRestartOpen", func(t *testing.T) {
		dir, dbDir := t.TempDir(), t.TempDir()
		var logs bytes.Buffer
		opts := kmsOpts(dir, &logs, f.url("junction"))
		r, err := keyring.Load(opts)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, keyring.DefaultKeyFileName)
		kf := readKeyFileJSON(t, path)
		if len(kf.Keys) != 1 || kf.Keys[0].KMS != f.url("junction") || len(kf.Keys[0].Wrapped) == 0 || len(kf.Keys[0].Key) != 0 {
			t.Fatalf("key file does not hold one KMS-wrapped key: %+v", kf)
		}
		if r.PrimaryKeyID() != kf.Primary || r.PrimaryKMS() != f.url("junction") {
			t.Fatalf("primary %s (kms %q), key file says %s", r.PrimaryKeyID(), r.PrimaryKMS(), kf.Primary)
		}

		db := sqldbtest.MustOpen(t, filepath.Join(dbDir, "junction.db"), sqldb.Options{})
		store := &sealedStore{DB: db, tenantOf: map[string]string{}}
		for _, id := range testTenants {
			if err := db.CreateTenant(ctx, &junction.Tenant{ID: id, Name: id}); err != nil {
				t.Fatal(err)
			}
		}
		want := sealMany(t, store, r, "kms", 20)
		r.Close()

		r2, err := keyring.Load(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer r2.Close()
		if r2.PrimaryKeyID() != r.PrimaryKeyID() {
			t.Fatal("restart made a new master key")
		}
		assertAllOpen(t, store, r2, want)
		if _, err := r.Seal("tenant-0", "after-close", []byte("x")); err == nil {
			t.Fatal("a closed ring still seals")
		}
		assertNotIn(t, unwrappedKeys(t, f, path), logs.String(), dir, dbDir)
	})

	t.Run("RotateFileToKMSAndBack", func(t *testing.T) {
		dir := t.TempDir()
		var logs bytes.Buffer
		path := filepath.Join(dir, keyring.DefaultKeyFileName)
		fileOpts := kmsOpts(dir, &logs, "")
		fileRing, err := keyring.Load(fileOpts)
		if err != nil {
			t.Fatal(err)
		}
		fileKey := readKeyFileJSON(t, path).Keys[0].Key
		store := newSealedStore(t)
		want := sealMany(t, store, fileRing, "rot", 30)

		// To the KMS: the new key is wrapped, the file key stays until
		// retired.
		toKMS := kmsOpts(dir, &logs, f.url("junction"))
		res, err := keyring.RotateMasterKey(ctx, store, toKMS)
		if err != nil || res.Rewrapped != 30 || len(res.Failed) != 0 {
			t.Fatalf("rotate to KMS: %+v, %v", res, err)
		}
		if _, err := keyring.RetireKeys(ctx, store, path); err != nil {
			t.Fatal(err)
		}
		kf := readKeyFileJSON(t, path)
		if len(kf.Keys) != 1 || kf.Keys[0].KMS == "" || bytes.Contains(mustRead(t, path), []byte(base64.StdEncoding.EncodeToString(fileKey))) {
			t.Fatal("after retiring, the key file still holds a key of its own")
		}
		kmsRing, err := keyring.Load(toKMS)
		if err != nil {
			t.Fatal(err)
		}
		assertAllOpen(t, store, kmsRing, want)
		// The running file-key server follows the file to the KMS key.
		assertAllOpen(t, store, fileRing, want)

		// To another KMS key.
		next := kmsOpts(dir, &logs, f.url("junction-next"))
		res, err = keyring.RotateMasterKey(ctx, store, next)
		if err != nil || res.Rewrapped != 30 {
			t.Fatalf("rotate to the next KMS key: %+v, %v", res, err)
		}
		r, err := keyring.Load(next)
		if err != nil {
			t.Fatal(err)
		}
		if r.PrimaryKMS() != f.url("junction-next") || len(r.KeyIDs()) != 2 {
			t.Fatalf("primary kms %q, keys %v", r.PrimaryKMS(), r.KeyIDs())
		}
		assertAllOpen(t, store, r, want)
		assertNotIn(t, unwrappedKeys(t, f, path), logs.String(), dir)

		// And back to a key held in the file.
		res, err = keyring.RotateMasterKey(ctx, store, fileOpts)
		if err != nil || res.Rewrapped != 30 {
			t.Fatalf("rotate back to the file: %+v, %v", res, err)
		}
		if _, err := keyring.RetireKeys(ctx, store, path); err != nil {
			t.Fatal(err)
		}
		plain, err := keyring.Load(keyring.LoadOptions{DataDir: dir, LookupEnv: envLookup(nil)})
		if err != nil {
			t.Fatalf("a key file without KMS-wrapped keys needs no KMS: %v", err)
		}
		assertAllOpen(t, store, plain, want)
	})

	t.Run("ErrWrongKey", func(t *testing.T) {
		dir := t.TempDir()
		var logs bytes.Buffer
		if _, err := keyring.Load(kmsOpts(dir, &logs, f.url("junction"))); err != nil {
			t.Fatal(err)
		}
		// The entry claims another KMS key than the one that wrapped it.
		path := filepath.Join(dir, keyring.DefaultKeyFileName)
		b := bytes.ReplaceAll(mustRead(t, path), []byte(jsonString(f.url("junction"))), []byte(jsonString(f.url("junction-next"))))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := keyring.Load(kmsOpts(dir, &logs, f.url("junction-next")))
		// Vault and AWS call it an invalid ciphertext, Azure a key version
		// it does not know; none calls it an outage.
		if code := junction.ErrorCode(err); code != junction.EINVALID && code != junction.EPERMISSIONDENIED && code != junction.ENOTFOUND {
			t.Fatalf("unwrap with the wrong KMS key: err = %v, want validation_failed, permission_denied or not_found", err)
		}
		if !strings.Contains(junction.ErrorMessage(err), "did not unwrap") {
			t.Fatalf("message %q does not say the KMS did not unwrap the key", junction.ErrorMessage(err))
		}
	})

	t.Run("ErrRefused", func(t *testing.T) {
		dir := t.TempDir()
		var logs bytes.Buffer
		opts := kmsOpts(dir, &logs, f.url("junction"))
		if _, err := keyring.Load(opts); err != nil {
			t.Fatal(err)
		}
		keys := unwrappedKeys(t, f, filepath.Join(dir, keyring.DefaultKeyFileName))
		f.deny()
		_, err := keyring.Load(opts)
		if !junction.IsCode(err, junction.EPERMISSIONDENIED) {
			t.Fatalf("Load with the KMS refusing: err = %v, want permission_denied", err)
		}
		msg := junction.ErrorMessage(err)
		if !strings.Contains(msg, "junction") || !strings.Contains(msg, "did not unwrap") {
			t.Fatalf("message %q does not name the KMS key and what failed", msg)
		}
		assertNoSecret(t, err, keys...)
		// A new key file cannot be made either.
		_, err = keyring.Load(kmsOpts(t.TempDir(), &logs, f.url("junction")))
		if !junction.IsCode(err, junction.EPERMISSIONDENIED) {
			t.Fatalf("creating a key file with the KMS refusing: err = %v", err)
		}
		assertNotIn(t, keys, logs.String()+err.Error(), dir)
	})
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// jsonString is s as encoding/json writes it inside a document.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

func TestLoad_KMSErrors(t *testing.T) {
	t.Run("ErrWithEnvKey", func(t *testing.T) {
		_, err := keyring.Load(keyring.LoadOptions{KMS: "hashivault://junction", OpenKMS: kms.Opener(kms.Options{}),
			LookupEnv: envLookup(map[string]string{keyring.EnvMasterKey: base64.StdEncoding.EncodeToString(keyring.GenerateKey())})})
		if !junction.IsCode(err, junction.EINVALID) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrWrappedWithoutKMS", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "k")
		doc := `{"primary":"0123456789abcdef","keys":[{"id":"0123456789abcdef","kms":"hashivault://junction","wrapped":"dmF1bHQ6djE6eA=="}]}`
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := keyring.Load(keyring.LoadOptions{LookupEnv: envLookup(map[string]string{keyring.EnvMasterKeyFile: path})})
		if !junction.IsCode(err, junction.EINVALID) || !strings.Contains(err.Error(), "KMS") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrDamagedEntry", func(t *testing.T) {
		for name, entry := range map[string]string{
			"NoWrapped":     `{"id":"0123456789abcdef","kms":"hashivault://junction"}`,
			"NoID":          `{"kms":"hashivault://junction","wrapped":"eA=="}`,
			"BothKeys":      `{"id":"0123456789abcdef","kms":"hashivault://junction","wrapped":"eA==","key":"` + base64.StdEncoding.EncodeToString(keyring.GenerateKey()) + `"}`,
			"CredentialURL": `{"id":"0123456789abcdef","kms":"hashivault://user:pw@junction","wrapped":"eA=="}`,
		} {
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "k")
				if err := os.WriteFile(path, []byte(`{"primary":"0123456789abcdef","keys":[`+entry+`]}`), 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := keyring.Load(keyring.LoadOptions{LookupEnv: envLookup(map[string]string{keyring.EnvMasterKeyFile: path}),
					OpenKMS: kms.Opener(kms.Options{})})
				if !junction.IsCode(err, junction.EINVALID) {
					t.Fatalf("err = %v", err)
				}
			})
		}
	})
}

// TestKMS_Azure covers what only Key Vault does: keys get new versions,
// and a token comes from Entra ID first.
func TestKMS_Azure(t *testing.T) {
	f, s := newAzureFixture(t)
	f.createKey("junction")
	dir := t.TempDir()
	opts := keyring.LoadOptions{DataDir: dir, LookupEnv: envLookup(nil), KMS: f.url("junction"), OpenKMS: kms.Opener(f.opts)}
	r, err := keyring.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.Seal("tenant-0", "rec", []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("NewKeyVersion", func(t *testing.T) {
		f.createKey("junction") // a new current version; the key file's entry names the old one
		r2, err := keyring.Load(opts)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r2.Open(v); err != nil || string(got) != "kept" {
			t.Fatalf("open after the KMS key got a new version: %v", err)
		}
	})

	t.Run("ErrLoginRefused", func(t *testing.T) {
		s.RejectLogins(true)
		defer s.RejectLogins(false)
		_, err := keyring.Load(opts)
		if !junction.IsCode(err, junction.EPERMISSIONDENIED) || !strings.Contains(junction.ErrorMessage(err), "no Azure token") {
			t.Fatalf("err = %v, want permission_denied saying there is no token", err)
		}
		assertNoSecret(t, err, []byte(azurekvtest.ClientSecret))
	})
}

// TestKMS_ErrUnreachable covers a KMS that cannot be used at all: down, or
// behind a certificate Junction was not told to trust.
func TestKMS_ErrUnreachable(t *testing.T) {
	s := vaulttest.New(t, vaulttest.Options{})
	s.CreateTransitKey("transit", "junction")
	env := &syncEnv{m: map[string]string{"VAULT_TOKEN": s.CreateToken(vaulttest.TokenSpec{})}}
	keyURL := "hashivault://junction?address=" + s.URL()
	opts := func(caFile string) keyring.LoadOptions {
		return keyring.LoadOptions{DataDir: t.TempDir(), LookupEnv: envLookup(nil), KMS: keyURL,
			OpenKMS: kms.Opener(kms.Options{CAFile: caFile, LookupEnv: env.lookup})}
	}

	t.Run("ErrUntrustedCertificate", func(t *testing.T) {
		_, err := keyring.Load(opts(""))
		if !junction.IsCode(err, junction.EUNAVAILABLE) || !strings.Contains(junction.ErrorMessage(err), "not trusted") {
			t.Fatalf("err = %v, want unavailable saying the certificate is not trusted", err)
		}
	})

	t.Run("ErrDown", func(t *testing.T) {
		s.Stop()
		defer s.Start()
		_, err := keyring.Load(opts(writeCA(t, s.CACertPEM())))
		if !junction.IsCode(err, junction.EUNAVAILABLE) || !strings.Contains(junction.ErrorMessage(err), "cannot be reached") {
			t.Fatalf("err = %v, want unavailable saying the KMS cannot be reached", err)
		}
	})
}
