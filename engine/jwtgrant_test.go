package engine_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"junction"
	"junction/connector"
	"junction/credstore/credstoretest"
	"junction/engine"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// jwtVendor stands in for a vendor whose token endpoint takes a signed JWT:
// it verifies the assertion's signature with the public key it holds for
// the client, then the request and claims with check, exactly as the
// vendor documents them, and issues numbered access tokens that its API
// accepts.
type jwtVendor struct {
	srv       *httptest.Server
	clock     interface{ Now() time.Time }
	tokenPath string
	lifetime  int // expires_in of issued tokens
	// check returns the OAuth error code to refuse with, "" to issue.
	check func(v *jwtVendor, form url.Values, header map[string]any, claims jwt.MapClaims) string
	// refusal is the status of a refused token request.
	refusal int

	mu       sync.Mutex
	pub      any
	issued   []string
	refused  int
	sent     []string // every token request body, as sent
	apiCalls int
}

// newJWTVendor starts the stand-in; attach it to the fixture before use.
func newJWTVendor(t *testing.T, tokenPath string, refusal int, apiStatus int, apiBody string) *jwtVendor {
	v := &jwtVendor{tokenPath: tokenPath, lifetime: 3600, refusal: refusal}
	v.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && r.URL.Path == v.tokenPath {
			body, _ := io.ReadAll(r.Body)
			v.mu.Lock()
			defer v.mu.Unlock()
			v.sent = append(v.sent, string(body))
			form, err := url.ParseQuery(string(body))
			code := ""
			switch {
			case err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
				code = "invalid_request"
			default:
				code = v.verify(form)
			}
			if code != "" {
				v.refused++
				w.WriteHeader(v.refusal)
				fmt.Fprintf(w, `{"error":%q,"error_description":"refused by the stand-in"}`, code)
				return
			}
			tok := fmt.Sprintf("jwt-access-%d", len(v.issued)+1)
			v.issued = append(v.issued, tok)
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":%d}`, tok, v.lifetime)
			return
		}
		v.mu.Lock()
		ok := slices.Contains(v.issued, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		v.apiCalls++
		v.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_token"}`)
			return
		}
		w.WriteHeader(apiStatus)
		fmt.Fprint(w, apiBody)
	}))
	t.Cleanup(v.srv.Close)
	return v
}

// attach makes the fixture's engine trust the stand-in, and the stand-in
// keep the fixture's time.
func (v *jwtVendor) attach(f *fixture) {
	f.trust(v.srv)
	v.clock = f.clock
}

// verify checks the signature of the assertion or client assertion, then
// the vendor's rules. Called with v.mu held.
func (v *jwtVendor) verify(form url.Values) string {
	raw := form.Get("assertion")
	if raw == "" {
		raw = form.Get("client_assertion")
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return v.pub, nil },
		jwt.WithValidMethods([]string{"RS256", "ES256"}), jwt.WithTimeFunc(v.clock.Now), jwt.WithIssuedAt(), jwt.WithExpirationRequired())
	if err != nil {
		if form.Get("client_assertion") != "" {
			return "invalid_client"
		}
		return "invalid_grant"
	}
	return v.check(v, form, tok.Header, claims)
}

func (v *jwtVendor) counts() (issued, refused int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.issued), v.refused
}

func (v *jwtVendor) setKey(pub any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pub = pub
}

// formKeys lists a form's parameter names, sorted.
func formKeys(form url.Values) string {
	return strings.Join(slices.Sorted(maps.Keys(form)), ",")
}

// claimKeys lists a JWT's claim names, sorted.
func claimKeys(c jwt.MapClaims) string {
	return strings.Join(slices.Sorted(maps.Keys(c)), ",")
}

// lifetimeOK checks iat is the vendor's now (give or take a minute) and exp
// at most max after it.
func lifetimeOK(v *jwtVendor, c jwt.MapClaims, max time.Duration) bool {
	iat, err1 := c.GetIssuedAt()
	exp, err2 := c.GetExpirationTime()
	if err1 != nil || err2 != nil || iat == nil || exp == nil {
		return false
	}
	now := v.clock.Now()
	return iat.Sub(now).Abs() <= time.Minute && exp.After(now) && exp.Sub(iat.Time) <= max
}

// Test keys: RSA generation is slow, so each is made once.
var (
	jwtKeyA = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	jwtKeyB = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA() })
	jwtKeyE = sync.OnceValue(func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func pkcs8PEM(t testing.TB, k any) string {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
}

// keyPlants are the forms in which a private key must never be seen: the
// whole PEM, and each line of its body, which catches a partial copy.
func keyPlants(pemKey string) []junction.Secret {
	out := []junction.Secret{junction.NewSecret(pemKey)}
	for _, line := range strings.Split(pemKey, "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			out = append(out, junction.NewSecret(line))
		}
	}
	return out
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// jwtFixture is a fixture whose engine logs everything at debug level into
// logs and whose database, on SQLite, is a file the test can read.
func jwtFixture(t *testing.T, extra string) (*fixture, *syncBuffer, string) {
	logs := &syncBuffer{}
	var (
		store  junction.Store
		dbFile string
	)
	if os.Getenv(sqldbtest.PostgresEnv) == "" {
		dbFile = filepath.Join(t.TempDir(), "junction.db")
		store = sqldbtest.MustOpen(t, dbFile, sqldb.Options{})
	}
	f := newFixture(t, fixtureOptions{store: store, extra: extra, engine: func(o *engine.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	return f, logs, dbFile
}

// assertKeyNowhere scans what Junction keeps and shows for the planted
// key: logs, errors, execution records, the connection as the API shows
// it, the database file, and what was sent to the vendor (the key signs,
// it is never sent).
func assertKeyNowhere(t *testing.T, f *fixture, v *jwtVendor, logs *syncBuffer, dbFile string, errs []error, conn *junction.Connection, plants []junction.Secret) {
	t.Helper()
	credstoretest.AssertNoLeak(t, "logs", logs.String(), plants...)
	for _, err := range errs {
		if err != nil {
			credstoretest.AssertNoLeak(t, "error", fmt.Sprintf("%v %+v %#v", err, err, err), plants...)
		}
	}
	for _, e := range f.executions(t) {
		credstoretest.AssertNoLeak(t, "execution record", mustJSON(t, e), plants...)
	}
	credstoretest.AssertNoLeak(t, "connection", mustJSON(t, f.reload(t, conn)), plants...)
	v.mu.Lock()
	sent := strings.Join(v.sent, "\n")
	v.mu.Unlock()
	credstoretest.AssertNoLeak(t, "token requests", sent, plants...)
	if dbFile != "" {
		credstoretest.AssertNoLeak(t, "database file", readDB(dbFile), plants...)
	}
}

// readDB is what a SQLite database holds on disk, its write-ahead log
// included.
func readDB(dbFile string) string {
	var all []byte
	for _, p := range []string{dbFile, dbFile + "-wal"} {
		b, err := os.ReadFile(p)
		if err == nil {
			all = append(all, b...)
		}
	}
	return string(all)
}

func googleServiceAccountKey(t testing.TB, k *rsa.PrivateKey, keyID string) string {
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "acme-prod", "private_key_id": keyID,
		"private_key": pkcs8PEM(t, k), "client_email": "junction@acme-prod.iam.gserviceaccount.com",
		"client_id": "104629577152049128346", "auth_uri": "https://accounts.google.com/o/oauth2/auth",
		"token_uri": "https://oauth2.googleapis.com/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Google Drive with a service account whose JSON key is a credential
// asset, acting as a Workspace user. The token endpoint checks the request
// as https://developers.google.com/identity/protocols/oauth2/service-account
// ("Preparing to make an authorized API call", HTTP/REST) describes it:
// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and assertion
// only; an RS256 JWT with the key's private_key_id as kid; claims iss (the
// client_email), scope (space-delimited), aud (the token endpoint), exp
// (at most an hour after iat), iat, and sub for domain-wide delegation.
// A bad signature answers 400 invalid_grant. When the key is rotated in
// the vault (and Google knows only the new one), the refused assertion
// makes the engine read the asset again and sign with the new key.
func TestJWTGrantGoogleServiceAccount(t *testing.T) {
	v := newJWTVendor(t, "/token", http.StatusBadRequest, http.StatusOK, `{"user":{"displayName":"Ann","emailAddress":"ann@acme.com"}}`)
	f, logs, dbFile := jwtFixture(t, standInDefinition(t, "google-drive", v.srv.URL, []string{"https://www.googleapis.com/drive/v3", "https://oauth2.googleapis.com"}))
	v.attach(f)
	v.lifetime = 600
	wantKID := "4f1b2c3d4e5f60718293a4b5c6d7e8f901a2b3c4"
	v.check = func(v *jwtVendor, form url.Values, h map[string]any, c jwt.MapClaims) string {
		if formKeys(form) != "assertion,grant_type" || form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			t.Errorf("token request parameters %s", formKeys(form))
			return "invalid_request"
		}
		if h["alg"] != "RS256" || h["typ"] != "JWT" || h["kid"] != wantKID {
			t.Errorf("JWT header %v", h)
			return "invalid_grant"
		}
		if claimKeys(c) != "aud,exp,iat,iss,scope,sub" || c["iss"] != "junction@acme-prod.iam.gserviceaccount.com" ||
			c["aud"] != v.srv.URL+"/token" || c["scope"] != "https://www.googleapis.com/auth/drive" || c["sub"] != "ann@acme.com" ||
			!lifetimeOK(v, c, time.Hour) {
			t.Errorf("claims %v", c)
			return "invalid_grant"
		}
		return ""
	}
	v.setKey(&jwtKeyA().PublicKey)
	keyA := googleServiceAccountKey(t, jwtKeyA(), wantKID)
	asset := f.vaultAsset(t, "drive-sa", junction.AssetSecret, map[string]string{"value": keyA})
	conn := f.connection(t, "google-drive-standin", "service_account", map[string]junction.FieldValue{
		"service_account_key": {AssetID: asset.ID},
		"subject":             {Value: "ann@acme.com"},
	}, nil)

	var errs []error
	test := func() {
		t.Helper()
		_, err := f.eng.Test(f.ctx, conn)
		errs = append(errs, err)
		if err != nil {
			t.Fatalf("test: %v", err)
		}
	}
	test()
	test()
	if issued, _ := v.counts(); issued != 1 {
		t.Fatalf("%d tokens for two tests; the first should be reused", issued)
	}
	res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Caller: "user-1", Activity: connector.HTTPRequestActivity,
		Input: map[string]any{"path": "/about", "query": map[string]any{"fields": "user"}}})
	errs = append(errs, err)
	if err != nil || res.Attempts != 1 {
		t.Fatalf("execute: %+v %v", res, err)
	}

	// Rotation: a new key in the vault and at Google; the cached token has
	// expired, the resolver still holds the old key.
	wantKID = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3"
	keyB := googleServiceAccountKey(t, jwtKeyB(), wantKID)
	f.vault.Put("secret/apps/drive-sa", map[string]string{"value": keyB})
	v.setKey(&jwtKeyB().PublicKey)
	f.clock.Advance(11 * time.Minute)
	test()
	if issued, refused := v.counts(); issued != 2 || refused != 1 {
		t.Fatalf("after rotation: %d issued, %d refused; want the old key refused once, then a token", issued, refused)
	}

	// A key Google does not know is an authentication failure.
	v.setKey(&jwtKeyA().PublicKey)
	f.clock.Advance(11 * time.Minute)
	_, err = f.eng.Test(f.ctx, conn)
	errs = append(errs, err)
	je := wantCode(t, err, junction.ECONNAUTHFAILED)
	if !strings.Contains(je.Message, "invalid_grant") {
		t.Errorf("message %q", je.Message)
	}
	plants := append(keyPlants(pkcs8PEM(t, jwtKeyA())), keyPlants(pkcs8PEM(t, jwtKeyB()))...)
	plants = append(plants, junction.NewSecret(keyA), junction.NewSecret(keyB))
	assertKeyNowhere(t, f, v, logs, dbFile, errs, conn, plants)
}

// DocuSign's JWT Grant with the RSA key as a literal (sealed) secret. The
// token endpoint checks the request as
// https://developers.docusign.com/platform/auth/jwt-get-token/ describes
// it: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and
// assertion; an RS256 JWT with iss (the integration key), sub (the user
// ID), aud (account-d.docusign.com, without a scheme), iat, exp and scope
// "signature impersonation". Until the user consents it answers 400
// consent_required.
func TestJWTGrantDocuSign(t *testing.T) {
	v := newJWTVendor(t, "/oauth/token", http.StatusBadRequest, http.StatusOK, `{"accountId":"f0f3f3d5","accountName":"Acme"}`)
	f, logs, dbFile := jwtFixture(t, standInDefinition(t, "docusign", v.srv.URL, []string{"https://{base_host}", "https://{auth_host}"}))
	v.attach(f)
	consented := false
	v.check = func(v *jwtVendor, form url.Values, h map[string]any, c jwt.MapClaims) string {
		if formKeys(form) != "assertion,grant_type" || form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			t.Errorf("token request parameters %s", formKeys(form))
			return "invalid_request"
		}
		if h["alg"] != "RS256" {
			t.Errorf("JWT header %v", h)
			return "invalid_grant"
		}
		if claimKeys(c) != "aud,exp,iat,iss,scope,sub" || c["iss"] != "7c2b8d7e-83c3-4940-af5e-dda8b7f0d1a2" ||
			c["sub"] != "4c3b2a19-0f1e-4d2c-9b8a-7f6e5d4c3b2a" || c["aud"] != "account-d.docusign.com" ||
			c["scope"] != "signature impersonation" || !lifetimeOK(v, c, time.Hour) {
			t.Errorf("claims %v", c)
			return "invalid_grant"
		}
		if !consented {
			return "consent_required"
		}
		return ""
	}
	v.setKey(&jwtKeyA().PublicKey)
	key := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(jwtKeyA())}))
	conn := f.connection(t, "docusign-standin", "jwt_grant", map[string]junction.FieldValue{
		"base_host": {Value: "demo.docusign.net"}, "account_id": {Value: "f0f3f3d5"}, "auth_host": {Value: "account-d.docusign.com"},
		"integration_key": {Value: "7c2b8d7e-83c3-4940-af5e-dda8b7f0d1a2"}, "user_id": {Value: "4c3b2a19-0f1e-4d2c-9b8a-7f6e5d4c3b2a"},
		"consent_redirect_uri": {Value: "https://localhost/consented"},
	}, map[string]junction.Secret{"rsa_private_key": junction.NewSecret(key)})

	// The consent page of
	// https://developers.docusign.com/platform/auth/consent/obtaining-individual-consent/,
	// on the sign-in host (here the stand-in), from public fields only.
	consentURL := v.srv.URL + "/oauth/auth?client_id=7c2b8d7e-83c3-4940-af5e-dda8b7f0d1a2" +
		"&redirect_uri=https%3A%2F%2Flocalhost%2Fconsented&response_type=code&scope=signature%20impersonation"
	_, err1 := f.eng.Test(f.ctx, conn)
	je := wantCode(t, err1, junction.ECONNAUTHFAILED)
	if !strings.Contains(je.Message, "consent") || !strings.Contains(je.Message, consentURL) || je.Details["consent_url"] != consentURL {
		t.Errorf("error %q %v does not give the consent page %s", je.Message, je.Details, consentURL)
	}
	// Executions that meet it disconnect the connection at the limit,
	// whose status reason then gives the page too.
	errs := []error{err1}
	for range engine.AuthFailureLimit {
		_, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Caller: "user-1", Activity: connector.HTTPRequestActivity,
			Input: map[string]any{"path": "/accounts/f0f3f3d5"}})
		wantCode(t, err, junction.ECONNAUTHFAILED)
		errs = append(errs, err)
	}
	if got := f.reload(t, conn); got.Status != junction.ConnectionDisconnected || got.StatusReason != "consent required: open "+consentURL {
		t.Errorf("status %s %q", got.Status, got.StatusReason)
	}
	consented = true
	res, err2 := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Caller: "user-1", Activity: connector.HTTPRequestActivity,
		Input: map[string]any{"path": "/accounts/f0f3f3d5"}})
	if err2 != nil || res.Attempts != 1 {
		t.Fatalf("execute: %+v %v", res, err2)
	}
	assertKeyNowhere(t, f, v, logs, dbFile, append(errs, err2), conn, append(keyPlants(key), junction.NewSecret(key)))
}

// An Okta service app with an EC key from the vault. The token endpoint
// checks the request as
// https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/
// ("Get an access token") and
// https://developer.okta.com/docs/guides/build-self-signed-jwt/ describe
// it: grant_type=client_credentials, scope, client_assertion_type
// urn:ietf:params:oauth:client-assertion-type:jwt-bearer and
// client_assertion, with no client secret; the JWT's kid names the app's
// key, iss and sub are the client ID, aud the token endpoint, exp at most
// an hour on, and a jti Okta refuses to see twice. A refused assertion is
// 401 invalid_client.
func TestPrivateKeyJWTOktaServiceApp(t *testing.T) {
	v := newJWTVendor(t, "/oauth2/v1/token", http.StatusUnauthorized, http.StatusOK, `{"id":"0oa1b2c3d4e5f6g7h8i9"}`)
	f, logs, dbFile := jwtFixture(t, standInDefinition(t, "okta", v.srv.URL, []string{"https://{okta_domain}"}))
	v.attach(f)
	jtis := map[any]bool{}
	v.check = func(v *jwtVendor, form url.Values, h map[string]any, c jwt.MapClaims) string {
		if formKeys(form) != "client_assertion,client_assertion_type,grant_type,scope" || form.Get("grant_type") != "client_credentials" ||
			form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
			form.Get("scope") != "okta.users.read okta.groups.read" {
			t.Errorf("token request %v", form)
			return "invalid_request"
		}
		if h["alg"] != "ES256" || h["kid"] != "jwks1" {
			t.Errorf("JWT header %v", h)
			return "invalid_client"
		}
		if claimKeys(c) != "aud,exp,iat,iss,jti,sub" || c["iss"] != "0oa1b2c3d4e5f6g7h8i9" || c["sub"] != "0oa1b2c3d4e5f6g7h8i9" ||
			c["aud"] != v.srv.URL+"/oauth2/v1/token" || !lifetimeOK(v, c, time.Hour) || jtis[c["jti"]] {
			t.Errorf("claims %v", c)
			return "invalid_client"
		}
		jtis[c["jti"]] = true
		return ""
	}
	v.setKey(&jwtKeyE().PublicKey)
	key := pkcs8PEM(t, jwtKeyE())
	asset := f.vaultAsset(t, "okta-service-app", junction.AssetSecret, map[string]string{"value": key})
	conn := f.connection(t, "okta-standin", "service_app", map[string]junction.FieldValue{
		"okta_domain": {Value: "acme.okta.com"}, "client_id": {Value: "0oa1b2c3d4e5f6g7h8i9"}, "key_id": {Value: "jwks1"},
		"scopes": {Value: "okta.users.read okta.groups.read"}, "private_key": {AssetID: asset.ID},
	}, nil)
	var errs []error
	for range 2 {
		_, err := f.eng.Test(f.ctx, conn)
		errs = append(errs, err)
		if err != nil {
			t.Fatalf("test: %v", err)
		}
		f.clock.Advance(time.Hour) // each test needs a new token, so a new jti
	}
	if issued, refused := v.counts(); issued != 2 || refused != 0 {
		t.Fatalf("%d issued, %d refused", issued, refused)
	}
	// A key Okta does not hold: 401 invalid_client, an authentication
	// failure, after one re-read of the vault found nothing new.
	v.setKey(&jwtKeyA().PublicKey)
	_, err := f.eng.Test(f.ctx, conn)
	errs = append(errs, err)
	wantCode(t, err, junction.ECONNAUTHFAILED)
	assertKeyNowhere(t, f, v, logs, dbFile, errs, conn, append(keyPlants(key), junction.NewSecret(key)))
}

// Sheets and Gmail take the same service-account key as Drive, each with
// its own scope; Gmail acts as the mailbox's owner. Their connection tests
// pass with the token the stand-in issues (Sheets' test expects 404).
func TestJWTGrantGoogleSheetsAndGmail(t *testing.T) {
	for _, tc := range []struct {
		key, base, scope, subject string
		status                    int
	}{
		{"google-sheets", "https://sheets.googleapis.com/v4", "https://www.googleapis.com/auth/spreadsheets", "", http.StatusNotFound},
		{"gmail", "https://gmail.googleapis.com/gmail/v1", "https://www.googleapis.com/auth/gmail.modify", "ann@acme.com", http.StatusOK},
	} {
		t.Run(tc.key, func(t *testing.T) {
			v := newJWTVendor(t, "/token", http.StatusBadRequest, tc.status, `{}`)
			f, logs, dbFile := jwtFixture(t, standInDefinition(t, tc.key, v.srv.URL, []string{tc.base, "https://oauth2.googleapis.com"}))
			v.attach(f)
			wantClaims := "aud,exp,iat,iss,scope"
			if tc.subject != "" {
				wantClaims = "aud,exp,iat,iss,scope,sub"
			}
			v.check = func(v *jwtVendor, form url.Values, h map[string]any, c jwt.MapClaims) string {
				if formKeys(form) != "assertion,grant_type" || form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" ||
					h["alg"] != "RS256" || h["kid"] != "0123456789abcdef0123456789abcdef01234567" || claimKeys(c) != wantClaims ||
					c["iss"] != "junction@acme-prod.iam.gserviceaccount.com" || c["aud"] != v.srv.URL+"/token" || c["scope"] != tc.scope ||
					(tc.subject != "" && c["sub"] != tc.subject) || !lifetimeOK(v, c, time.Hour) {
					t.Errorf("token request %v, header %v, claims %v", form, h, c)
					return "invalid_grant"
				}
				return ""
			}
			v.setKey(&jwtKeyA().PublicKey)
			key := googleServiceAccountKey(t, jwtKeyA(), "0123456789abcdef0123456789abcdef01234567")
			fields := map[string]junction.FieldValue{}
			if tc.subject != "" {
				fields["subject"] = junction.FieldValue{Value: tc.subject}
			}
			conn := f.connection(t, tc.key+"-standin", "service_account", fields, map[string]junction.Secret{"service_account_key": junction.NewSecret(key)})
			_, err := f.eng.Test(f.ctx, conn)
			if err != nil {
				t.Fatalf("test: %v", err)
			}
			if issued, _ := v.counts(); issued != 1 {
				t.Fatalf("%d tokens issued", issued)
			}
			assertKeyNowhere(t, f, v, logs, dbFile, nil, conn, append(keyPlants(pkcs8PEM(t, jwtKeyA())), junction.NewSecret(key)))
		})
	}
}
