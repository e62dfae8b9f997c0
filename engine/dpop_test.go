package engine_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
)

// dpopVendor stands in for an authorization server and API that use DPoP
// (RFC 9449) the way Okta documents it
// (https://developer.okta.com/docs/guides/dpop/oktaresourceserver/main/):
// the token endpoint wants a proof on each request and a nonce in it,
// answering 400 use_dpop_nonce with a DPoP-Nonce header until it has one,
// and issues token_type DPoP bound to the proof's key; the API wants
// "Authorization: DPoP <token>" and a proof with the token's hash, signed
// by the key the token is bound to, and asks for its own nonce with 401
// and WWW-Authenticate: DPoP error="use_dpop_nonce". Every proof is
// checked strictly: signature with its jwk, typ, htm, htu, iat within a
// minute, jti never seen before, ath, nonce.
type dpopVendor struct {
	srv   *httptest.Server
	clock interface{ Now() time.Time }
	// requireDPoP is the app's "Require DPoP header in token requests".
	requireDPoP bool
	// assertionKey, when set, verifies private_key_jwt client assertions,
	// whose jti Okta accepts once.
	assertionKey any

	mu            sync.Mutex
	jtis          map[string]bool
	tokenNonce    string
	apiNonce      string
	nonces        int
	codes         map[string]bool   // authorization codes not yet spent
	access        map[string]string // access token -> jkt ("" for bearer)
	refresh       map[string]string // refresh token -> jkt
	grants        map[string]int
	nonceAsks     map[string]int // "token", "api"
	proofProblems []string
	sent          []string // every request's headers and body
	apiOK         int
}

func newDPoPVendor(t *testing.T, requireDPoP bool) *dpopVendor {
	v := &dpopVendor{requireDPoP: requireDPoP, jtis: map[string]bool{}, codes: map[string]bool{"code-1": true},
		access: map[string]string{}, refresh: map[string]string{}, grants: map[string]int{}, nonceAsks: map[string]int{}}
	v.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		v.mu.Lock()
		defer v.mu.Unlock()
		var sent strings.Builder
		_ = r.Header.Write(&sent)
		v.sent = append(v.sent, sent.String()+string(body))
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/token") {
			v.token(w, r, body)
			return
		}
		v.api(w, r)
	}))
	t.Cleanup(v.srv.Close)
	return v
}

func (v *dpopVendor) attach(f *fixture) {
	f.trust(v.srv)
	v.clock = f.clock
}

func (v *dpopVendor) newNonce(prefix string) string {
	v.nonces++
	return fmt.Sprintf("%s-nonce-%d", prefix, v.nonces)
}

// token is the token endpoint. Called with v.mu held.
func (v *dpopVendor) token(w http.ResponseWriter, r *http.Request, body []byte) {
	refuse := func(status int, code string) {
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":%q,"error_description":"refused by the stand-in"}`, code)
	}
	form, _ := url.ParseQuery(string(body))
	jkt := ""
	if len(r.Header.Values("DPoP")) == 0 {
		if v.requireDPoP {
			refuse(http.StatusBadRequest, "invalid_dpop_proof") // "The DPoP proof JWT header is missing."
			return
		}
	} else {
		var nonce string
		var problem string
		jkt, nonce, problem = v.verifyProof(r, v.srv.URL+r.URL.Path, "")
		if problem != "" {
			v.proofProblems = append(v.proofProblems, "token: "+problem)
			refuse(http.StatusBadRequest, "invalid_dpop_proof")
			return
		}
		if v.tokenNonce == "" || nonce != v.tokenNonce {
			v.nonceAsks["token"]++
			if v.tokenNonce == "" {
				v.tokenNonce = v.newNonce("token")
			}
			w.Header().Set("DPoP-Nonce", v.tokenNonce)
			refuse(http.StatusBadRequest, "use_dpop_nonce")
			return
		}
	}
	grant := form.Get("grant_type")
	switch grant {
	case "client_credentials":
		if v.assertionKey != nil {
			claims := jwt.MapClaims{}
			_, err := jwt.ParseWithClaims(form.Get("client_assertion"), claims, func(*jwt.Token) (any, error) { return v.assertionKey, nil },
				jwt.WithValidMethods([]string{"ES256", "RS256"}), jwt.WithTimeFunc(v.clock.Now))
			jti, _ := claims["jti"].(string)
			if err != nil || jti == "" || v.jtis["assertion:"+jti] {
				refuse(http.StatusUnauthorized, "invalid_client")
				return
			}
			v.jtis["assertion:"+jti] = true
		}
	case "authorization_code":
		if !v.codes[form.Get("code")] {
			refuse(http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(v.codes, form.Get("code"))
	case "refresh_token":
		// A refresh token bound to a key is spent with that key; one
		// issued without DPoP (a confidential client's) with any.
		bound, ok := v.refresh[form.Get("refresh_token")]
		if !ok || (bound != "" && bound != jkt) {
			refuse(http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(v.refresh, form.Get("refresh_token")) // it rotates
	default:
		refuse(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	v.grants[grant]++
	n := len(v.access) + 1
	tok := fmt.Sprintf("dpop-access-plant-%d-9c41", n)
	v.access[tok] = jkt
	typ := "Bearer"
	if jkt != "" {
		typ = "DPoP"
	}
	answer := map[string]any{"access_token": tok, "token_type": typ, "expires_in": 3600, "scope": form.Get("scope")}
	if grant != "client_credentials" {
		rt := fmt.Sprintf("dpop-refresh-plant-%d-77d2", n)
		v.refresh[rt] = jkt
		answer["refresh_token"] = rt
	}
	_ = json.NewEncoder(w).Encode(answer)
}

// api is the resource server. Called with v.mu held.
func (v *dpopVendor) api(w http.ResponseWriter, r *http.Request) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	jkt, ok := v.access[tok]
	switch {
	case !ok:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errorCode":"E0000011"}`)
		return
	case jkt == "" && scheme == "Bearer":
	case jkt == "":
		w.WriteHeader(http.StatusUnauthorized)
		return
	default:
		if !strings.EqualFold(scheme, "DPoP") {
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token", error_description="DPoP-bound token sent as a bearer token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		pjkt, nonce, problem := v.verifyProof(r, "https://"+r.Host+r.URL.Path, tok)
		if problem == "" && pjkt != jkt {
			problem = "the proof's key is not the token's"
		}
		if problem != "" {
			v.proofProblems = append(v.proofProblems, "api: "+problem)
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_dpop_proof"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if v.apiNonce == "" || nonce != v.apiNonce {
			v.nonceAsks["api"]++
			if v.apiNonce == "" {
				v.apiNonce = v.newNonce("api")
			}
			w.Header().Set("DPoP-Nonce", v.apiNonce)
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
	}
	v.apiOK++
	fmt.Fprint(w, `[{"id":"00u1","status":"ACTIVE"}]`)
}

// verifyProof checks the request's one DPoP proof for htu and, for a
// resource request, the access token; it returns the key's thumbprint
// (RFC 7638), the proof's nonce, and what is wrong with it.
func (v *dpopVendor) verifyProof(r *http.Request, htu, access string) (jkt, nonce, problem string) {
	proofs := r.Header.Values("DPoP")
	if len(proofs) != 1 {
		return "", "", fmt.Sprintf("%d DPoP headers", len(proofs))
	}
	claims := jwt.MapClaims{}
	var pub *ecdsa.PublicKey
	tok, err := jwt.ParseWithClaims(proofs[0], claims, func(tok *jwt.Token) (any, error) {
		var err error
		pub, jkt, err = publicJWK(tok.Header["jwk"])
		return pub, err
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(v.clock.Now))
	if err != nil {
		return "", "", "signature: " + err.Error()
	}
	if tok.Header["typ"] != "dpop+jwt" {
		return "", "", fmt.Sprintf("typ %v", tok.Header["typ"])
	}
	iat, _ := claims["iat"].(float64)
	if d := time.Unix(int64(iat), 0).Sub(v.clock.Now()); d < -time.Minute || d > time.Minute {
		return "", "", fmt.Sprintf("iat %v", claims["iat"])
	}
	jti, _ := claims["jti"].(string)
	if jti == "" || v.jtis[jti] {
		return "", "", "jti missing or seen before"
	}
	v.jtis[jti] = true
	if claims["htm"] != r.Method || claims["htu"] != htu {
		return "", "", fmt.Sprintf("htm %v htu %v, want %s %s", claims["htm"], claims["htu"], r.Method, htu)
	}
	if access == "" {
		if claims["ath"] != nil {
			return "", "", "ath on a token request"
		}
	} else {
		sum := sha256.Sum256([]byte(access))
		if claims["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return "", "", "ath is not the token's hash"
		}
	}
	nonce, _ = claims["nonce"].(string)
	return jkt, nonce, ""
}

// publicJWK reads a proof's jwk: an EC P-256 public key and nothing
// private, with its RFC 7638 thumbprint.
func publicJWK(v any) (*ecdsa.PublicKey, string, error) {
	m, ok := v.(map[string]any)
	if !ok || m["kty"] != "EC" || m["crv"] != "P-256" {
		return nil, "", fmt.Errorf("jwk %v", v)
	}
	if _, private := m["d"]; private {
		return nil, "", fmt.Errorf("the jwk holds the private key")
	}
	x, _ := m["x"].(string)
	y, _ := m["y"].(string)
	xb, err1 := base64.RawURLEncoding.DecodeString(x)
	yb, err2 := base64.RawURLEncoding.DecodeString(y)
	if err1 != nil || err2 != nil || len(xb) != 32 || len(yb) != 32 {
		return nil, "", fmt.Errorf("jwk coordinates")
	}
	pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(xb), Y: new(big.Int).SetBytes(yb)}
	if !pub.Curve.IsOnCurve(pub.X, pub.Y) {
		return nil, "", fmt.Errorf("jwk point not on the curve")
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, x, y)))
	return pub, base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

func (v *dpopVendor) snapshot() (grants, nonceAsks map[string]int, problems []string, apiOK int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	grants, nonceAsks = map[string]int{}, map[string]int{}
	for k, n := range v.grants {
		grants[k] = n
	}
	for k, n := range v.nonceAsks {
		nonceAsks[k] = n
	}
	return grants, nonceAsks, append([]string(nil), v.proofProblems...), v.apiOK
}

// tokens are every token issued, the forms in which none may be seen.
func (v *dpopVendor) tokens() []junction.Secret {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []junction.Secret
	for tok := range v.access {
		out = append(out, junction.NewSecret(tok))
	}
	for tok := range v.refresh {
		out = append(out, junction.NewSecret(tok))
	}
	return out
}

func (v *dpopVendor) want(t *testing.T, step string, grants, nonceAsks map[string]int) {
	t.Helper()
	g, n, problems, _ := v.snapshot()
	if len(problems) > 0 {
		t.Fatalf("%s: proofs refused: %v", step, problems)
	}
	if fmt.Sprint(g) != fmt.Sprint(grants) || fmt.Sprint(n) != fmt.Sprint(nonceAsks) {
		t.Fatalf("%s: grants %v, nonce requests %v; want %v, %v", step, g, n, grants, nonceAsks)
	}
}

// An Okta service app that requires DPoP: the token request is refused
// once for a nonce and again with the nonce, the API asks for its own
// nonce once; both nonces are remembered, so later tokens and calls are
// not refused first. A nonce the API changes is followed.
func TestDPoPOktaServiceApp(t *testing.T) {
	v := newDPoPVendor(t, true)
	f, logs, dbFile := jwtFixture(t, standInDefinition(t, "okta", v.srv.URL, []string{"https://{okta_domain}"}))
	v.attach(f)
	v.assertionKey = &jwtKeyE().PublicKey
	key := pkcs8PEM(t, jwtKeyE())
	conn := f.connection(t, "okta-standin", "service_app", map[string]junction.FieldValue{
		"okta_domain": {Value: "acme.okta.com"}, "client_id": {Value: "0oa1b2c3d4e5f6g7h8i9"}, "key_id": {Value: "jwks1"},
		"scopes": {Value: "okta.users.read"}, "dpop": {Value: true},
	}, map[string]junction.Secret{"private_key": junction.NewSecret(key)})
	debug := f.clock.Now().Add(24 * time.Hour)
	conn.DebugUntil = &debug
	if err := f.store.UpdateConnection(f.ctx, conn); err != nil {
		t.Fatal(err)
	}
	var errs []error
	test := func(step string) {
		t.Helper()
		_, err := f.eng.Test(f.ctx, conn)
		errs = append(errs, err)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	list := func(step string) {
		t.Helper()
		_, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: f.reload(t, conn), Caller: "user-1", Object: "user", Operation: "list", Input: map[string]any{"q": "ann"}})
		errs = append(errs, err)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	test("first test")
	v.want(t, "first test", map[string]int{"client_credentials": 1}, map[string]int{"token": 1, "api": 1})
	list("list")
	v.want(t, "list", map[string]int{"client_credentials": 1}, map[string]int{"token": 1, "api": 1})

	f.clock.Advance(2 * time.Hour) // a new token, with the nonce already known
	test("after expiry")
	v.want(t, "after expiry", map[string]int{"client_credentials": 2}, map[string]int{"token": 1, "api": 1})

	v.mu.Lock()
	v.apiNonce = v.newNonce("api") // the API moves on to a new nonce
	v.mu.Unlock()
	list("new API nonce")
	v.want(t, "new API nonce", map[string]int{"client_credentials": 2}, map[string]int{"token": 1, "api": 2})
	if _, _, _, ok := v.snapshot(); ok != 4 {
		t.Fatalf("%d API calls answered", ok)
	}
	assertDPoPSecretsNowhere(t, f, v, logs, dbFile, errs, conn, keyPlants(key))
}

// One connector serves apps with and without DPoP: with the field off a
// bearer token is used as before, and an app that requires DPoP refuses
// it with a message that says what to change.
func TestDPoPOktaServiceAppFieldOff(t *testing.T) {
	for _, tc := range []struct {
		name    string
		require bool
	}{{"AppWithoutDPoP", false}, {"AppRequiresDPoP", true}} {
		t.Run(tc.name, func(t *testing.T) {
			v := newDPoPVendor(t, tc.require)
			f, _, _ := jwtFixture(t, standInDefinition(t, "okta", v.srv.URL, []string{"https://{okta_domain}"}))
			v.attach(f)
			conn := f.connection(t, "okta-standin", "service_app", map[string]junction.FieldValue{
				"okta_domain": {Value: "acme.okta.com"}, "client_id": {Value: "0oa1b2c3d4e5f6g7h8i9"},
				"scopes": {Value: "okta.users.read"}, "dpop": {Value: false},
			}, map[string]junction.Secret{"private_key": junction.NewSecret(pkcs8PEM(t, jwtKeyE()))})
			_, err := f.eng.Test(f.ctx, conn)
			if !tc.require {
				if err != nil {
					t.Fatal(err)
				}
				v.want(t, "bearer", map[string]int{"client_credentials": 1}, map[string]int{})
				return
			}
			if e := wantCode(t, err, junction.ECONNAUTHFAILED); !strings.Contains(e.Message, "DPoP") {
				t.Errorf("message %q", e.Message)
			}
		})
	}
}

const dpopCodeDefinition = `
key: dpop-code
display_name: DPoP code flow
version: 1.0.0
base_url: %[1]s
auth:
  - type: oauth2_authorization_code
    authorize_url: %[1]s/authorize
    token_url: %[1]s/oauth/token
    client_id: "{client_id}"
    client_secret: "{client_secret}"
    scopes: [offline_access]
    dpop: "{dpop}"
    fields:
      - {name: dpop, type: boolean, default: true}
      - {name: client_id, type: text, required: true}
      - {name: client_secret, type: secret, required: true}
test:
  path: /me
activities:
  - {name: me, method: GET, path: /me}
`

// Two servers on one database share an authorization-code token bound to
// one key: the key is sealed with the token set, so the server that did
// not authorize proves possession as well, and the refresh that either
// makes (the refresh token rotates and is bound too) keeps the key.
func TestDPoPAuthorizationCodeTwoServers(t *testing.T) {
	v := newDPoPVendor(t, true)
	extra := writeDefinition(t, fmt.Sprintf(dpopCodeDefinition, v.srv.URL))
	stores := openStores(t, 2)
	logs := &syncBuffer{}
	a := newFixture(t, fixtureOptions{store: stores[0], extra: extra, engine: withLogs(logs)})
	b := newFixture(t, fixtureOptions{store: stores[1], extra: extra, ring: a.ring, clock: a.clock, vault: a.vault, roots: a.roots,
		tenant: a.tenant, folder: a.folder, vstore: a.vstore, noSetup: true, engine: withLogs(logs)})
	v.attach(a)
	conn := a.connection(t, "dpop-code", "", map[string]junction.FieldValue{"client_id": {Value: "junction"}},
		map[string]junction.Secret{"client_secret": junction.NewSecret("dpop-client-secret-plant-3f1e")})

	authURL, err := a.eng.BeginAuthorize(a.ctx, conn, "user-1", redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	done, err := a.eng.CompleteAuthorize(a.ctx, mustURL(t, authURL).Query().Get("state"), "code-1")
	if err != nil {
		t.Fatal(err)
	}
	conn = done.Connection
	v.want(t, "authorized", map[string]int{"authorization_code": 1}, map[string]int{"token": 1})

	var errs []error
	me := func(f *fixture) error {
		_, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: f.reload(t, conn), Caller: "user-1", Activity: "me"})
		errs = append(errs, err)
		return err
	}
	// The other server uses the token and the key it did not make.
	if err := me(b); err != nil {
		t.Fatal(err)
	}
	if err := me(a); err != nil {
		t.Fatal(err)
	}
	v.want(t, "both servers", map[string]int{"authorization_code": 1}, map[string]int{"token": 1, "api": 2})

	for round := 1; round <= 2; round++ {
		a.clock.Advance(2 * time.Hour) // expired for both
		var wg sync.WaitGroup
		res := make([]error, 2)
		for i, f := range []*fixture{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, res[i] = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: f.reload(t, conn), Caller: "user-1", Activity: "me"})
			}()
		}
		wg.Wait()
		for i, err := range res {
			errs = append(errs, err)
			if err != nil {
				t.Fatalf("round %d, server %d: %v", round, i, err)
			}
		}
		if g, _, problems, _ := v.snapshot(); g["refresh_token"] != round || len(problems) > 0 {
			t.Fatalf("round %d: grants %v, proofs refused %v", round, g, problems)
		}
	}

	// The key is in the sealed token set, and nowhere else.
	sv, err := a.store.GetSealed(a.ctx, conn.TenantID, a.reload(t, conn).TokenSealedID)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := a.ring.Open(sv)
	if err != nil {
		t.Fatal(err)
	}
	var sealed struct {
		TokenType string `json:"token_type"`
		DPoPKey   []byte `json:"dpop_key"`
	}
	if err := json.Unmarshal(plain, &sealed); err != nil || sealed.TokenType != "DPoP" || len(sealed.DPoPKey) == 0 {
		t.Fatalf("sealed token set: %v %q", err, sealed.TokenType)
	}
	pk, err := x509.ParsePKCS8PrivateKey(sealed.DPoPKey)
	if err != nil {
		t.Fatal(err)
	}
	d := pk.(*ecdsa.PrivateKey).D.FillBytes(make([]byte, 32))
	plants := []junction.Secret{
		junction.NewSecret(base64.StdEncoding.EncodeToString(sealed.DPoPKey)),
		junction.NewSecret(base64.RawURLEncoding.EncodeToString(d)),
		junction.NewSecret(base64.StdEncoding.EncodeToString(d)),
	}
	assertDPoPSecretsNowhere(t, a, v, logs, "", errs, conn, plants)
}

func withLogs(logs *syncBuffer) func(*engine.Options) {
	return func(o *engine.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// assertDPoPSecretsNowhere scans logs, errors, execution records, the
// connection, the database file and what the vendor received for the
// keys and for every token issued (which the vendor alone may see).
func assertDPoPSecretsNowhere(t *testing.T, f *fixture, v *dpopVendor, logs *syncBuffer, dbFile string, errs []error, conn *junction.Connection, keyPlants []junction.Secret) {
	t.Helper()
	tokens := v.tokens()
	all := append(append([]junction.Secret(nil), keyPlants...), tokens...)
	credstoretest.AssertNoLeak(t, "logs", logs.String(), all...)
	for _, err := range errs {
		if err != nil {
			credstoretest.AssertNoLeak(t, "error", fmt.Sprintf("%v %+v %#v", err, err, err), all...)
		}
	}
	for _, e := range f.executions(t) {
		credstoretest.AssertNoLeak(t, "execution record", mustJSON(t, e), all...)
	}
	credstoretest.AssertNoLeak(t, "connection", mustJSON(t, f.reload(t, conn)), all...)
	v.mu.Lock()
	sent := strings.Join(v.sent, "\n")
	v.mu.Unlock()
	credstoretest.AssertNoLeak(t, "requests to the vendor", sent, keyPlants...)
	if dbFile != "" {
		credstoretest.AssertNoLeak(t, "database file", readDB(dbFile), all...)
	}
}

// A connection authorized before DPoP was turned on holds a bearer token
// set sealed without a key: it is read as before, and once the connection
// turns DPoP on, the next refresh makes a key, seals it with the new
// DPoP-bound token, and API calls prove possession of it.
func TestDPoPTurnedOnAfterAuthorization(t *testing.T) {
	v := newDPoPVendor(t, false)
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, fmt.Sprintf(dpopCodeDefinition, v.srv.URL))})
	v.attach(f)
	conn := f.connection(t, "dpop-code", "", map[string]junction.FieldValue{"client_id": {Value: "junction"}, "dpop": {Value: false}},
		map[string]junction.Secret{"client_secret": junction.NewSecret("dpop-client-secret-plant-3f1e")})
	authURL, err := f.eng.BeginAuthorize(f.ctx, conn, "user-1", redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.CompleteAuthorize(f.ctx, mustURL(t, authURL).Query().Get("state"), "code-1"); err != nil {
		t.Fatal(err)
	}
	me := func(step string) {
		t.Helper()
		if _, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: f.reload(t, conn), Caller: "user-1", Activity: "me"}); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	me("bearer")
	v.want(t, "bearer", map[string]int{"authorization_code": 1}, map[string]int{})

	conn = f.reload(t, conn)
	conn.Fields["dpop"] = junction.FieldValue{Value: true}
	if err := f.store.UpdateConnection(f.ctx, conn); err != nil {
		t.Fatal(err)
	}
	me("DPoP on, bearer token still valid")
	f.clock.Advance(2 * time.Hour)
	me("refreshed with DPoP")
	v.want(t, "refreshed with DPoP", map[string]int{"authorization_code": 1, "refresh_token": 1}, map[string]int{"token": 1, "api": 1})
	f.clock.Advance(2 * time.Hour)
	me("refreshed again with the sealed key")
	v.want(t, "refreshed again", map[string]int{"authorization_code": 1, "refresh_token": 2}, map[string]int{"token": 1, "api": 1})
}
