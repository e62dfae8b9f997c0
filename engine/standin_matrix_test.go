package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/connector"
	"junction/engine"
)

// The catalog matrix runs every built-in connector, with every auth type
// it declares, through the engine against one generic loopback stand-in
// that records what it is sent and answers {} (or, for pages and polls,
// records shaped as the definition reads them). Nothing about a connector
// is written here: field values come from the field definitions, inputs
// from the input schemas. What it proves is that the engine builds a
// well-formed request from each definition: the declared method and path
// with every template filled, the credential where the auth type puts it,
// required query and body members present, a valid JSON body, later pages
// and polls that keep their parameters, and no planted secret in an error,
// an execution record or the log. Whether a definition matches its vendor
// is for the contract tests and the hand-written stand-ins.
//
// Each definition is copied with every https://host it names (base URL,
// consent and token endpoints) turned into a path on the stand-in,
// https://127.0.0.1:port/<key>/host, so a {variable} in a host is still
// filled and checked rather than replaced away.

// matrixSkips are what the matrix cannot run generically, with the
// reason: a connector ("key"), an auth type ("key auth") or an operation
// ("key activity", "key object.operation").
var matrixSkips = map[string]string{
	"webhook": "receives webhooks only: no request to build",
}

var matrixHostRE = regexp.MustCompile(`https://((?:[A-Za-z0-9._-]|\{[A-Za-z_][A-Za-z0-9_]*\})+)`)

// matrixRequest is one request the stand-in received.
type matrixRequest struct {
	method, path, rawPath, rawQuery string
	query                           url.Values
	header                          http.Header
	body                            []byte
	req                             *http.Request // for the SigV4 check; body read
}

// matrixVendor records the requests meant for one connector's vendor and
// plays its consent and token endpoints.
type matrixVendor struct {
	mu       sync.Mutex
	requests []matrixRequest
	tokens   []url.Values // token endpoint forms, with basic credentials as client_id/client_secret
	// tokenQueries are the token requests' query strings, one for each
	// of tokens.
	tokenQueries []url.Values
	// authorizePath and tokenPath are the stand-in paths of the OAuth
	// endpoints of the auth type under test.
	authorizePath, tokenPath string
	status                   int // the answer to API requests; 200 when zero
	access                   string
	// answers are the bodies of the next API requests, in turn; the last
	// one answers the rest. {} when empty.
	answers [][]byte
	// pager, when set, answers the API requests instead: n counts them
	// from 0.
	pager func(w http.ResponseWriter, r *http.Request, n int)
	paged int
	// now is the vendor's clock, for the assertions it verifies; jwts
	// are the assertions of the token requests since the last take.
	now  func() time.Time
	jwts []matrixJWT
	// download, when set, is the file the next API requests are
	// answered with, and disposition the filename it is served under.
	download    []byte
	disposition string
	// consentPath and consentAnswer are the scheme's after_consent
	// request and the list it answers; consents counts them.
	consentPath   string
	consentAnswer []byte
	consents      int
}

func (v *matrixVendor) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case v.authorizePath != "" && r.Method == http.MethodGet && r.URL.Path == v.authorizePath:
		q := r.URL.Query()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code=matrix-code&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
		return
	case v.tokenPath != "" && r.Method == http.MethodPost && r.URL.Path == v.tokenPath:
		form, _ := url.ParseQuery(string(body))
		if id, secret, ok := r.BasicAuth(); ok {
			form.Set("client_id", id)
			form.Set("client_secret", secret)
		}
		v.tokens = append(v.tokens, form)
		v.tokenQueries = append(v.tokenQueries, r.URL.Query())
		if j, ok := v.verifyAssertion(form); ok {
			v.jwts = append(v.jwts, j)
			if j.err != nil {
				// As RFC 6749 section 5.2 has it: a client that cannot
				// be authenticated is 401 invalid_client, a bad grant
				// 400 invalid_grant.
				if form.Has("client_assertion") {
					w.WriteHeader(http.StatusUnauthorized)
					_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
					return
				}
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
				return
			}
		}
		_, _ = io.WriteString(w, `{"access_token":"`+v.access+`","refresh_token":"matrix-refresh","token_type":"Bearer","expires_in":3600}`)
		return
	case v.consentPath != "" && r.Method == http.MethodGet && r.URL.Path == v.consentPath:
		if r.Header.Get("Authorization") != "Bearer "+v.access {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		v.consents++
		_, _ = w.Write(v.consentAnswer)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	v.requests = append(v.requests, matrixRequest{
		method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(), rawQuery: r.URL.RawQuery,
		query: r.URL.Query(), header: r.Header.Clone(), body: body, req: r,
	})
	if v.pager != nil {
		v.pager(w, r, v.paged)
		v.paged++
		return
	}
	if v.download != nil && v.status == 0 {
		w.Header().Set("Content-Type", "application/pdf")
		if v.disposition != "" {
			w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": v.disposition}))
		}
		_, _ = w.Write(v.download)
		return
	}
	if v.status != 0 {
		w.WriteHeader(v.status)
	}
	answer := []byte(`{}`)
	if len(v.answers) > 0 {
		answer = v.answers[0]
		if len(v.answers) > 1 {
			v.answers = v.answers[1:]
		}
	}
	_, _ = w.Write(answer)
}

// wire is what a request carried in its path, query, headers and body,
// unescaped, for finding a value in.
func (r matrixRequest) wire() string {
	q, _ := url.QueryUnescape(r.rawQuery)
	w := r.path + "\n" + q + "\n" + string(r.body) + "\n" + fmt.Sprint(r.header)
	if f, err := url.QueryUnescape(string(r.body)); err == nil {
		w += "\n" + f
	}
	return w
}

// take returns the API requests received since the last take.
func (v *matrixVendor) take() []matrixRequest {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := v.requests
	v.requests = nil
	return out
}

func (v *matrixVendor) takeTokens() []url.Values {
	forms, _ := v.takeTokenRequests()
	return forms
}

// takeTokenRequests returns the forms and the query strings of the token
// requests received since the last take.
func (v *matrixVendor) takeTokenRequests() (forms, queries []url.Values) {
	v.mu.Lock()
	defer v.mu.Unlock()
	forms, queries = v.tokens, v.tokenQueries
	v.tokens, v.tokenQueries = nil, nil
	return forms, queries
}

// matrixCounts are what the matrix ran, for the summary it logs.
type matrixCounts struct {
	mu                                        sync.Mutex
	connectors, auths, operations, ran, polls int
	activities, paged, variants               int
	// jwts counts the assertions verified, files the files found in
	// bodies, encoded the multipart, binary and NDJSON bodies checked,
	// downloads the files answered, and ownBase the operations with a
	// base URL of their own.
	jwts, files, encoded, downloads, ownBase int
	// authBase, authTest and tokenQuery count the auth types with a base
	// URL or a connection test of their own, and with token_query.
	authBase, authTest, tokenQuery int
	skipped                        []string
}

func (c *matrixCounts) add(connectors, auths, operations, ran, polls int, skipped ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.polls += polls
	c.connectors += connectors
	c.auths += auths
	c.operations += operations
	c.ran += ran
	c.skipped = append(c.skipped, skipped...)
}

func TestCatalogMatrix(t *testing.T) {
	vendors := map[string]*matrixVendor{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		v := vendors[key]
		if v == nil {
			t.Errorf("a request for no connector: %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		v.serve(w, r, body)
	}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	var keys []string
	entries, err := fs.ReadDir(connector.Builtin(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		key, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		data, err := fs.ReadFile(connector.Builtin(), e.Name())
		if err != nil {
			t.Fatal(err)
		}
		s := standInKeyRE.ReplaceAllString(string(data), "key: ${1}-matrix")
		s = matrixHostRE.ReplaceAllString(s, srv.URL+"/"+key+"/$1")
		if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
		vendors[key] = &matrixVendor{access: "matrix-access-" + key}
	}
	logs := &syncBuffer{}
	f := newFixture(t, fixtureOptions{extra: dir, engine: func(o *engine.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}})
	f.trust(srv)
	for _, v := range vendors {
		v.now = f.clock.Now
	}

	var planted sync.Map // every planted secret value, and the tokens handed out
	planted.Store("matrix-refresh", true)
	for _, v := range vendors {
		planted.Store(v.access, true)
	}
	counts := &matrixCounts{}
	t.Run("connectors", func(t *testing.T) {
		for _, key := range keys {
			t.Run(key, func(t *testing.T) {
				t.Parallel()
				if reason, ok := matrixSkips[key]; ok {
					counts.add(0, 0, 0, 0, 0, key+": "+reason)
					t.Skip(reason)
				}
				def, err := f.cat.Get(key + "-matrix")
				if err != nil {
					t.Fatal(err)
				}
				m := &matrixRun{t: t, f: f, srv: srv, key: key, def: def, v: vendors[key], planted: &planted, counts: counts}
				m.run(counts)
			})
		}
	})

	// No planted secret reached the execution records or the log.
	records := mustJSON(t, f.executions(t))
	logText := logs.String()
	planted.Range(func(k, _ any) bool {
		s := k.(string)
		if strings.Contains(records, s) {
			t.Errorf("the execution records hold a planted secret (%.12s...)", s)
		}
		if strings.Contains(logText, s) {
			t.Errorf("the log holds a planted secret (%.12s...)", s)
		}
		return true
	})
	// Nor did a file's content: bodies that are not text are summarised.
	for _, content := range []string{"matrix file ", string(matrixDownload)} {
		if strings.Contains(records, content) {
			t.Errorf("the execution records hold a file's content (%q)", content)
		}
		if strings.Contains(logText, content) {
			t.Errorf("the log holds a file's content (%q)", content)
		}
	}
	t.Logf("catalog matrix: %d connectors, %d auth types (%d with a base URL of their own, %d with a test of their own, %d with token_query), %d operations (%d activities; %d run; %d on a base URL of their own), %d paged lists and activities, %d polling events, %d further connections, %d signed assertions verified, %d multipart/binary/NDJSON bodies carrying %d files, %d files downloaded; skipped: %s",
		counts.connectors, counts.auths, counts.authBase, counts.authTest, counts.tokenQuery, counts.operations, counts.activities, counts.ran, counts.ownBase, counts.paged, counts.polls, counts.variants,
		counts.jwts, counts.encoded, counts.files, counts.downloads, strings.Join(counts.skipped, "; "))
}

// matrixRun is one connector's walk.
type matrixRun struct {
	t       *testing.T
	f       *fixture
	srv     *httptest.Server
	key     string
	def     *connector.Definition
	v       *matrixVendor
	planted *sync.Map
	values  map[string]string // the connection's field values under test
	auth    *connector.Auth   // the connection's auth type under test
	skipped []string
	// paged and variants count the lists and activities read to a second page and the
	// further connections made for select choices, optional fields and
	// time zones.
	paged, variants int
	// everyField fills optional fields without a default too.
	everyField bool
	counts     *matrixCounts
}

func (m *matrixRun) run(counts *matrixCounts) {
	ops := m.operations()
	var skipped []string
	ran, polls := 0, 0
	for i, a := range m.def.Auth {
		name := a.Key()
		if reason, ok := matrixSkips[m.key+" "+name]; ok {
			skipped = append(skipped, m.key+" "+name+": "+reason)
			continue
		}
		values, conn := m.connect(&a, nil)
		if conn == nil {
			continue
		}
		m.values, m.auth = values, &a
		m.testRequest(&a, values, conn)
		m.selectVariants(&a, values)
		m.everyFieldVariant(&a)
		if m.def.HTTPRequestEnabled() {
			m.httpRequest(&a, values, conn)
		}
		// The first auth type runs every operation with every input
		// variant and every poll; the others run every operation once,
		// and every list to its second page, for where the credential
		// goes.
		if i != 0 {
			for _, op := range ops {
				if _, skip := matrixSkips[m.key+" "+op.name]; skip {
					continue
				}
				m.execute(&a, values, conn, op, "required inputs", requiredInputs(op.op.Inputs))
				// A later page must carry the credential too, a query
				// one included.
				if pages(op) {
					m.paginate(&a, values, conn, op)
				}
			}
			continue
		}
		for _, op := range ops {
			if reason, ok := matrixSkips[m.key+" "+op.name]; ok {
				skipped = append(skipped, m.key+" "+op.name+": "+reason)
				continue
			}
			m.operation(&a, values, conn, op)
			ran++
		}
		polls += m.polls(&a, values, conn)
		m.zoneVariants(&a)
	}
	skipped = append(skipped, m.skipped...)
	counts.add(1, len(m.def.Auth), len(ops), ran, polls, skipped...)
	counts.mu.Lock()
	counts.activities += len(m.def.Activities)
	for _, op := range ops {
		if op.op.BaseURL != "" {
			counts.ownBase++
		}
	}
	for _, a := range m.def.Auth {
		if _, skip := matrixSkips[m.key+" "+a.Key()]; skip {
			continue
		}
		if a.BaseURL != "" {
			counts.authBase++
		}
		if a.Test != nil {
			counts.authTest++
		}
		if len(a.TokenQuery) > 0 {
			counts.tokenQuery++
		}
	}
	counts.paged += m.paged
	counts.variants += m.variants
	counts.mu.Unlock()
}

// pages reports whether an execution of mo follows pages when asked: an
// object's list or an activity, either declaring pagination.
func pages(mo matrixOp) bool {
	return mo.op.Pagination != nil && (mo.operation == "list" || mo.activity != "")
}

// matrixOp is an activity or an object's operation.
type matrixOp struct {
	name                        string
	activity, object, operation string
	op                          *connector.Operation
}

func (m *matrixRun) operations() []matrixOp {
	var out []matrixOp
	for i := range m.def.Activities {
		a := &m.def.Activities[i]
		out = append(out, matrixOp{name: a.Name, activity: a.Name, op: &a.Operation})
	}
	for i := range m.def.Objects {
		o := &m.def.Objects[i]
		for _, n := range connector.OperationNames {
			if op := o.Operations.ByName(n); op != nil {
				out = append(out, matrixOp{name: o.Name + "." + n, object: o.Name, operation: n, op: op})
			}
		}
	}
	return out
}

// connect stores a connection with plausible values for every field of
// the definition and of auth: the first choice of a select, the default,
// a placeholder, and for secrets a value unique to the connector, auth type
// and field. For OAuth 2.0 authorization code it goes through consent.
func (m *matrixRun) connect(a *connector.Auth, override map[string]string) (map[string]string, *junction.Connection) {
	t := m.t
	values := map[string]string{}
	fields := map[string]junction.FieldValue{}
	secrets := map[string]junction.Secret{}
	all := append(slices.Clone(m.def.Fields), a.Fields...)
	for _, fd := range all {
		var v string
		switch o, ok := override[fd.Name]; {
		case ok:
			v = o
		case fd.Type == connector.FieldSecret && signsJWT(a) && a.PrivateKey == "{"+fd.Name+"}":
			// A key the stand-in's token endpoint verifies the assertion with.
			v = m.matrixKey(a)
			secrets[fd.Name] = junction.NewSecret(v)
			values[fd.Name] = v
			continue
		case fd.Type == connector.FieldSecret:
			v = fmt.Sprintf("planted-%s-%s-%s-%s", m.key, a.Key(), fd.Name, junction.NewID()[20:])
			m.planted.Store(v, true)
			secrets[fd.Name] = junction.NewSecret(v)
			values[fd.Name] = v
			continue
		case fd.Default != "":
			v = fd.Default
		case fd.Type == connector.FieldSelect && len(fd.Options) > 0:
			v = fd.Options[0].Value
		case fd.Type == connector.FieldBoolean:
			v = "true"
		case fd.Type == connector.FieldNumber:
			v = "7"
		case a.AuthorizeURL == "{"+fd.Name+"}":
			v = m.srv.URL + "/" + m.key + "/auth.example.com/authorize"
		case a.TokenURL == "{"+fd.Name+"}":
			v = m.srv.URL + "/" + m.key + "/auth.example.com/token"
		case m.baseURL(a) == "{"+fd.Name+"}":
			// The whole base URL is the field's: the stand-in's.
			v = m.srv.URL + "/" + m.key + "/api.example.com"
		case m.def.TestFor(a.Key()) != nil && m.def.TestFor(a.Key()).PathField == fd.Name:
			v = "/matrix-test"
		case !fd.Required && !m.everyField:
			continue
		default:
			v = "acme" + strings.ReplaceAll(fd.Name, "_", "")
		}
		values[fd.Name] = v
		fields[fd.Name] = junction.FieldValue{Value: v}
	}
	conn := m.f.connection(t, m.key+"-matrix", a.Key(), fields, secrets)
	if a.Type != connector.AuthOAuth2AuthorizationCode {
		return values, conn
	}
	m.v.mu.Lock()
	m.v.authorizePath = m.standInPath(fill(a.AuthorizeURL, values))
	m.v.tokenPath = m.standInPath(fill(a.TokenURL, values))
	consentFills := m.consentAnswer(a, values)
	m.v.mu.Unlock()
	authURL, err := m.f.eng.BeginAuthorize(m.f.ctx, conn, "user-1", redirectURI)
	if err != nil {
		t.Errorf("%s: begin authorize: %v", a.Key(), err)
		m.noSecretIn(err.Error())
		return nil, nil
	}
	if !strings.HasPrefix(authURL, m.srv.URL+"/"+m.key+"/") {
		t.Errorf("%s: consent at %s, not at the definition's authorize URL", a.Key(), authURL)
		return nil, nil
	}
	m.checkConsent(a, values, authURL)
	// A client of its own: the subtests share the server's.
	browser := &http.Client{Transport: m.srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := resp.Location()
	if err != nil {
		t.Errorf("%s: consent at %s answered %d: the authorize URL is not %s", a.Key(), authURL, resp.StatusCode, a.AuthorizeURL)
		return nil, nil
	}
	if _, err := m.f.eng.CompleteAuthorize(m.f.ctx, back.Query().Get("state"), back.Query().Get("code")); err != nil {
		t.Errorf("%s: complete authorize: %v", a.Key(), err)
		m.noSecretIn(err.Error())
		return nil, nil
	}
	conn = m.f.reload(t, conn)
	if len(consentFills) > 0 {
		m.v.mu.Lock()
		asked := m.v.consents
		m.v.consents = 0
		m.v.mu.Unlock()
		if asked != 1 {
			t.Errorf("%s: after_consent asked %d times", a.Key(), asked)
		}
	}
	for name, v := range consentFills {
		if got := conn.Fields[name].Value; got != v {
			t.Errorf("%s: after consent %s = %v, want %s", a.Key(), name, got, v)
		}
		values[name] = v
	}
	for _, form := range m.v.takeTokens() {
		if form.Get("grant_type") != "authorization_code" || form.Get("code") != "matrix-code" {
			t.Errorf("%s: code exchange sent grant_type %q", a.Key(), form.Get("grant_type"))
		}
		if want := fill(a.ClientID, values); form.Get("client_id") != want {
			t.Errorf("%s: code exchange sent client_id %q, want %q", a.Key(), form.Get("client_id"), want)
		}
		if a.PKCE != form.Has("code_verifier") {
			t.Errorf("%s: PKCE %v, but the code exchange carries a verifier: %v", a.Key(), a.PKCE, form.Has("code_verifier"))
		}
	}
	return values, conn
}

// consentAnswer sets the vendor up to answer the scheme's after_consent
// request, when it has one and a field it fills is empty, with a list of
// one entry, the one its match asks for, and returns the values that
// entry fills. The caller holds m.v.mu.
func (m *matrixRun) consentAnswer(a *connector.Auth, values map[string]string) map[string]string {
	lk := a.AfterConsent
	m.v.consentPath, m.v.consentAnswer = "", nil
	if lk == nil {
		return nil
	}
	entry := map[string]any{}
	fills := map[string]string{}
	for name, path := range lk.Fill {
		if values[name] != "" {
			continue
		}
		fills[name] = "matrix-" + strings.ReplaceAll(name, "_", "-")
		setMatrixPath(entry, path, fills[name])
	}
	if len(fills) == 0 {
		return nil
	}
	if lk.Match != nil {
		if v, ok := filled(lk.Match.Value, values); ok {
			setMatrixPath(entry, lk.Match.Path, v)
		}
	}
	var answer any = []any{entry}
	if lk.Records != "" {
		doc := map[string]any{}
		setMatrixPath(doc, lk.Records, answer)
		answer = doc
	}
	m.v.consentPath = m.standInPath(fill(lk.URL, values))
	m.v.consentAnswer, _ = json.Marshal(answer)
	return fills
}

// setMatrixPath sets a dotted path of plain keys in doc.
func setMatrixPath(doc map[string]any, path string, v any) {
	keys := strings.Split(strings.TrimPrefix(strings.TrimPrefix(path, "$"), "."), ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := doc[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			doc[k] = next
		}
		doc = next
	}
	doc[keys[len(keys)-1]] = v
}

// testRequest runs the connection test and checks the request it sent.
func (m *matrixRun) testRequest(a *connector.Auth, values map[string]string, conn *junction.Connection) {
	t := m.t
	// The auth type's own test when it has one (an Okta service app has
	// no user for /users/me), else the definition's.
	tr := m.def.TestFor(a.Key())
	if tr == nil {
		return
	}
	if a.Type == connector.AuthOAuth2ClientCredentials || a.Type == connector.AuthOAuth2JWTBearer {
		m.v.mu.Lock()
		m.v.tokenPath = m.standInPath(m.tokenURL(a, values))
		m.v.mu.Unlock()
	}
	m.v.mu.Lock()
	m.v.status = 0
	if len(tr.ExpectStatus) > 0 {
		m.v.status = tr.ExpectStatus[0]
	}
	m.v.mu.Unlock()
	_, err := m.f.eng.Test(m.f.ctx, conn)
	m.v.mu.Lock()
	m.v.status = 0
	m.v.mu.Unlock()
	if err != nil {
		t.Errorf("%s: test: %v", a.Key(), err)
		m.noSecretIn(err.Error())
	}
	reqs := m.v.take()
	if len(reqs) == 0 {
		t.Errorf("%s: the test sent no request", a.Key())
		return
	}
	method := tr.Method
	if method == "" {
		method = http.MethodGet
	}
	path := tr.Path
	if tr.PathField != "" {
		path = values[tr.PathField]
	}
	r := reqs[0]
	m.checkRequest(a.Key()+": test", r, method, path)
	for k := range tr.Query {
		if !r.query.Has(k) {
			t.Errorf("%s: test: no %s in the query", a.Key(), k)
		}
	}
	m.checkCredential(a, values, "test", reqs)
	switch a.Type {
	case connector.AuthOAuth2ClientCredentials:
		m.checkClientCredentials(a, values)
	case connector.AuthOAuth2JWTBearer:
		m.checkJWTBearer(a, values)
	}
	if signsJWT(a) {
		m.checkAssertion(a, values)
	}
	m.refused(a, conn)
}

// refused checks that the vendor's refusal of the credentials fails the
// connection test as an authentication failure, with no secret in the
// error.
func (m *matrixRun) refused(a *connector.Auth, conn *junction.Connection) {
	status := http.StatusUnauthorized
	if af := m.def.AuthFailure; af != nil && len(af.Status) > 0 {
		status = af.Status[0]
	} else if af != nil && len(af.Body) > 0 {
		return // told by the body, which the stand-in does not write
	}
	if slices.Contains(m.def.TestFor(a.Key()).ExpectStatus, status) {
		return
	}
	m.v.mu.Lock()
	m.v.status = status
	m.v.mu.Unlock()
	_, err := m.f.eng.Test(m.f.ctx, conn)
	m.v.mu.Lock()
	m.v.status = 0
	m.v.mu.Unlock()
	m.v.take()
	m.v.takeTokens()
	m.v.takeJWTs()
	if junction.ErrorCode(err) != junction.ECONNAUTHFAILED {
		m.t.Errorf("%s: a %d to the test gave %v, want %s", a.Key(), status, err, junction.ECONNAUTHFAILED)
	}
	if err != nil {
		m.noSecretIn(err.Error())
	}
}

// operation runs one activity or object operation with its required
// inputs, with every input and with each further enum choice, reads a
// list's second page, and checks the requests it built.
func (m *matrixRun) operation(a *connector.Auth, values map[string]string, conn *junction.Connection, mo matrixOp) {
	m.execute(a, values, conn, mo, "required inputs", requiredInputs(mo.op.Inputs))
	if len(mo.op.Inputs) > 0 {
		m.execute(a, values, conn, mo, "every input", everyInput(mo.op.Inputs))
	}
	if pages(mo) {
		m.paginate(a, values, conn, mo)
		m.paged++
	}
	// Each further choice of an enum, which may pick a path or a body shape.
	for _, in := range mo.op.Inputs {
		for _, e := range in.Enum[min(1, len(in.Enum)):] {
			input := requiredInputs(mo.op.Inputs)
			input[in.Name] = e
			m.execute(a, values, conn, mo, fmt.Sprintf("%s=%v", in.Name, e), input)
		}
	}
}

func (m *matrixRun) execute(a *connector.Auth, values map[string]string, conn *junction.Connection, mo matrixOp, what string, input map[string]any) {
	t := m.t
	name := mo.name + " (" + what + ")"
	input = withFiles(mo.op.Inputs, input, what == "every input")
	if cu := mo.op.ChunkedUpload; cu != nil && cu.AboveInput != "" {
		// The matrix checks the one-request form; the chunked one has its
		// stand-ins in upload_test.go.
		delete(input, cu.AboveInput)
	}
	if l := mo.op.Link; l != nil {
		// A link as the API answers it: a path with a query.
		input[l.Input] = matrixLink(l.Input)
	}
	input = withMessage(mo.op, input, what == "every input")
	disposition := ""
	if mo.op.OutputFile != nil {
		// Named by Content-Disposition once, by the operation's template
		// otherwise.
		if what == "every input" {
			disposition = "matrix-served.pdf"
		}
		m.v.mu.Lock()
		m.v.download, m.v.disposition = matrixDownload, disposition
		m.v.mu.Unlock()
		defer func() {
			m.v.mu.Lock()
			m.v.download, m.v.disposition = nil, ""
			m.v.mu.Unlock()
		}()
	}
	res, err := m.f.eng.Execute(m.f.ctx, engine.ExecuteRequest{Connection: conn, Activity: mo.activity, Object: mo.object, Operation: mo.operation, Input: input})
	if err != nil {
		m.noSecretIn(err.Error())
		// The stand-in answers {} to everything: an operation that reads
		// records from its answer finds none. Any other error is the
		// request's.
		if junction.ErrorCode(err) != junction.EPROVIDER {
			t.Errorf("%s: %v", name, err)
		}
	}
	reqs := m.v.take()
	if len(reqs) == 0 {
		t.Errorf("%s: sent no request (%v)", name, err)
		return
	}
	r := reqs[0]
	m.checkOpRequest(name, r, mo.op)
	m.checkCredential(a, values, name, reqs[:1])
	m.checkInputs(name, mo, input, r)
	if mo.op.OutputFile != nil {
		if err != nil {
			t.Errorf("%s: a download failed: %v", name, err)
		}
		m.checkDownload(name, mo.op, input, disposition, res, r)
	}
}

// everyInput makes a value for every input: the first of its enum, or a
// placeholder; strings name their input, so that where each went can be
// told.
func everyInput(ins []connector.Input) map[string]any {
	out := map[string]any{}
	for _, in := range ins {
		if len(in.Enum) > 0 {
			out[in.Name] = in.Enum[0]
			continue
		}
		switch in.Type {
		case connector.TypeInteger, connector.TypeNumber:
			out[in.Name] = 7
		case connector.TypeBoolean:
			out[in.Name] = true
		case connector.TypeArray:
			out[in.Name] = []any{"x", "y"}
		case connector.TypeObject:
			out[in.Name] = map[string]any{"k": "v"}
		case connector.TypeFile:
			out[in.Name] = fileInput(in, true)
		default:
			out[in.Name] = matrixValue(in.Name)
		}
	}
	return out
}

// matrixValue is the placeholder of a string input.
func matrixValue(name string) string { return "v" + strings.ReplaceAll(name, "_", "") + "7" }

// checkOpRequest is checkRequest for an operation, on its own base URL
// when it has one.
func (m *matrixRun) checkOpRequest(name string, r matrixRequest, op *connector.Operation) {
	if l := op.Link; l != nil {
		// Under the auth type's base URL, its trim cut off.
		m.checkRequestAt(name, r, op.Method, strings.TrimSuffix(m.baseURL(m.auth), l.Trim), strings.SplitN(matrixLink(l.Input), "?", 2)[0])
		if r.query.Get("version") != "1" {
			m.t.Errorf("%s: the link's query is not sent: %s", name, r.rawQuery)
		}
		return
	}
	m.checkRequestAt(name, r, op.Method, op.BaseURL, op.Path)
}

// matrixLink is the value of a link input.
func matrixLink(name string) string { return "/" + matrixValue(name) + "/x.bin?version=1" }

// checkRequest checks the method, and that the path is the declared
// template (base URL and path) with every variable filled.
func (m *matrixRun) checkRequest(name string, r matrixRequest, method, path string) {
	m.checkRequestAt(name, r, method, "", path)
}

// checkRequestAt is checkRequest on base, an operation's own base URL
// (turned into a stand-in path like every host of the definition), or
// the definition's when empty.
func (m *matrixRun) checkRequestAt(name string, r matrixRequest, method, base, path string) {
	t := m.t
	if r.method != strings.ToUpper(method) {
		t.Errorf("%s: method %s, want %s", name, r.method, method)
	}
	if strings.ContainsAny(r.path+r.rawQuery, "{}") || strings.Contains(r.rawPath, "%7B") || strings.Contains(r.rawQuery, "%7B") {
		t.Errorf("%s: an unresolved template in %s?%s", name, r.rawPath, r.rawQuery)
	}
	if strings.Contains(r.path, "//") || strings.HasSuffix(strings.TrimSuffix(r.path, "/"), "/.") {
		t.Errorf("%s: an empty path segment in %s", name, r.rawPath)
	}
	full := path
	switch {
	case strings.HasPrefix(path, "https://"):
	case base != "":
		full = strings.TrimSuffix(base, "/") + path
	default:
		// The auth type's base URL when it has one (Confluence's OAuth
		// 2.0 (3LO) goes through api.atlassian.com), else the definition's.
		b := m.baseURL(m.auth)
		full = strings.TrimSuffix(b, "/") + path
		if strings.HasPrefix(b, "{") {
			full = m.srv.URL + "/" + m.key + "/api.example.com" + path
		}
	}
	want := m.standInPath(full)
	if !templateRE(want).MatchString(r.path) {
		t.Errorf("%s: path %s, want %s", name, r.path, want)
	}
	if len(r.body) > 0 {
		switch {
		case r.method == http.MethodGet || r.method == http.MethodHead:
			t.Errorf("%s: a %s with a body", name, r.method)
		case r.header.Get("Content-Type") == "":
			t.Errorf("%s: a body without a Content-Type", name)
		}
	}
	for k, tmpl := range m.def.Headers {
		if v, ok := filled(tmpl, m.values); ok && r.header.Get(k) != v {
			t.Errorf("%s: header %s %q, want %q", name, k, r.header.Get(k), v)
		}
	}
}

// baseURL is the base URL of the connections using a: the auth type's
// own when it has one, else the definition's.
func (m *matrixRun) baseURL(a *connector.Auth) string {
	if a != nil && a.BaseURL != "" {
		return a.BaseURL
	}
	return m.def.BaseURL
}

// standInPath is the stand-in path of a definition's URL.
func (m *matrixRun) standInPath(u string) string {
	return strings.TrimPrefix(u, m.srv.URL)
}

// templateRE matches a path template with each {variable} filled.
func templateRE(tmpl string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	rest := tmpl
	for {
		loc := placeholderRE.FindStringIndex(rest)
		if loc == nil {
			b.WriteString(regexp.QuoteMeta(rest))
			break
		}
		b.WriteString(regexp.QuoteMeta(rest[:loc[0]]))
		b.WriteString(`[^/]+`)
		rest = rest[loc[1]:]
	}
	b.WriteString("/?$")
	return regexp.MustCompile(b.String())
}

var placeholderRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// fill fills a template from values; unknown names become empty.
func fill(tmpl string, values map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(tmpl, func(p string) string { return values[p[1:len(p)-1]] })
}

// filled is fill that reports whether every name had a value.
func filled(tmpl string, values map[string]string) (string, bool) {
	ok := true
	s := placeholderRE.ReplaceAllStringFunc(tmpl, func(p string) string {
		v, found := values[p[1:len(p)-1]]
		if !found || v == "" {
			ok = false
		}
		return v
	})
	return s, ok
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkCredential checks that each request carries the credential where
// the auth type puts it.
func (m *matrixRun) checkCredential(a *connector.Auth, values map[string]string, name string, reqs []matrixRequest) {
	t := m.t
	for _, r := range reqs {
		// Whatever the template says, the auth type's required secrets
		// are what is sent: a template naming the wrong field is caught
		// here. OAuth secrets go to the token endpoint, SigV4's into a
		// signature.
		// A secret in a URL ends up in access logs: only an auth type
		// that puts it in the query may.
		inQuery := a.Type == connector.AuthAPIKey && (a.In == "query" || fill(a.In, values) == "query") || a.Type == connector.AuthCustom && len(a.Query) > 0
		if !inQuery {
			q, _ := url.QueryUnescape(r.rawQuery)
			m.planted.Range(func(k, _ any) bool {
				if strings.Contains(r.path+"?"+q, k.(string)) {
					m.t.Errorf("%s: %s: a secret in the URL", a.Key(), name)
				}
				return true
			})
		}
		if !a.Type.IsOAuth2() && a.Type != connector.AuthAWSSigV4 {
			wire := r.wire()
			if user, pass, ok := r.req.BasicAuth(); ok {
				wire += "\n" + user + ":" + pass
			}
			for _, fd := range a.Fields {
				if fd.Type == connector.FieldSecret && fd.Required && !strings.Contains(wire, values[fd.Name]) {
					t.Errorf("%s: %s: the secret %s is not sent", a.Key(), name, fd.Name)
				}
			}
		}
		switch a.Type {
		case connector.AuthNone:
		case connector.AuthBasic:
			user, pass, ok := r.req.BasicAuth()
			if !ok || user != fill(or(a.Username, "{username}"), values) || pass != fill(or(a.Password, "{password}"), values) {
				t.Errorf("%s: %s: no basic credentials of the auth type", a.Key(), name)
			}
		case connector.AuthAPIKey:
			in := a.In
			if in != "header" && in != "query" {
				in = fill(in, values)
			}
			key, value := fill(a.Name, values), fill(or(a.Value, "{api_key}"), values)
			got := r.header.Get(key)
			if in == "query" {
				got = r.query.Get(key)
			}
			if got != value {
				t.Errorf("%s: %s: the API key is not in the %s %s", a.Key(), name, in, key)
			}
		case connector.AuthBearer:
			if r.header.Get("Authorization") != "Bearer "+fill(or(a.Token, "{token}"), values) {
				t.Errorf("%s: %s: no bearer token", a.Key(), name)
			}
		case connector.AuthOAuth2ClientCredentials, connector.AuthOAuth2AuthorizationCode, connector.AuthOAuth2JWTBearer:
			header, want := "Authorization", "Bearer "+m.v.access
			if a.Name != "" {
				header, want = fill(a.Name, values), m.v.access
			}
			if r.header.Get(header) != want {
				t.Errorf("%s: %s: the access token is not in %s", a.Key(), name, header)
			}
		case connector.AuthCustom:
			for k, tmpl := range a.Headers {
				if v, ok := filled(tmpl, values); ok && r.header.Get(fill(k, values)) != v {
					t.Errorf("%s: %s: no header %s of the auth type", a.Key(), name, k)
				}
			}
			for k, tmpl := range a.Query {
				if v, ok := filled(tmpl, values); ok && r.query.Get(k) != v {
					t.Errorf("%s: %s: no query parameter %s of the auth type", a.Key(), name, k)
				}
			}
		case connector.AuthAWSSigV4:
			id := fill(or(a.AccessKeyID, "{access_key_id}"), values)
			secret := fill(or(a.SecretAccessKey, "{secret_access_key}"), values)
			region := fill(or(a.Region, "{region}"), values)
			if !awsSigned(r.req, r.body, id, secret, fill(a.Service, values), region) {
				t.Errorf("%s: %s: not signed with SigV4 for %s in %s", a.Key(), name, a.Service, region)
			}
		default:
			t.Errorf("%s: an auth type the matrix does not know: %s", a.Key(), a.Type)
		}
	}
}

// scopes are the scopes of an OAuth 2.0 auth type as sent.
func (m *matrixRun) scopes(a *connector.Auth, values map[string]string) string {
	var out []string
	for _, sc := range a.Scopes {
		v := fill(sc, values)
		if strings.Trim(sc, "{}") != sc && placeholderRE.FindString(sc) == sc {
			out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' })...)
		} else if v != "" {
			out = append(out, v)
		}
	}
	return strings.Join(out, or(a.ScopeSeparator, " "))
}

// checkConsent checks the authorize URL the engine sends a user to.
func (m *matrixRun) checkConsent(a *connector.Auth, values map[string]string, authURL string) {
	t := m.t
	u, err := url.Parse(authURL)
	if err != nil {
		t.Errorf("%s: consent URL: %v", a.Key(), err)
		return
	}
	q := u.Query()
	if q.Get("response_type") != "code" || q.Get("client_id") != fill(a.ClientID, values) || q.Get("redirect_uri") != redirectURI || q.Get("state") == "" {
		t.Errorf("%s: consent URL lacks response_type, client_id, redirect_uri or state: %v", a.Key(), sortedKeys(q))
	}
	if scopes := m.scopes(a, values); scopes != "" && q.Get("scope") != scopes {
		t.Errorf("%s: consent scope %q, want %q", a.Key(), q.Get("scope"), scopes)
	}
	if a.PKCE != (q.Get("code_challenge_method") == "S256" && q.Get("code_challenge") != "") {
		t.Errorf("%s: PKCE %v, consent challenge %q", a.Key(), a.PKCE, q.Get("code_challenge_method"))
	}
	for k, tmpl := range a.AuthorizeParams {
		if v, ok := filled(tmpl, values); ok && q.Get(k) != v {
			t.Errorf("%s: consent %s %q, want %q", a.Key(), k, q.Get(k), v)
		}
	}
	m.noSecretIn(authURL)
}

func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkClientCredentials checks the token request of a client credentials
// connection test.
func (m *matrixRun) checkClientCredentials(a *connector.Auth, values map[string]string) {
	t := m.t
	forms, queries := m.v.takeTokenRequests()
	if len(forms) == 0 {
		t.Errorf("%s: the token endpoint %s was not called", a.Key(), a.TokenURL)
		return
	}
	grant := "client_credentials"
	if g, ok := a.TokenParams["grant_type"]; ok {
		grant = g
	}
	form, query := forms[0], queries[0]
	// Token parameters the definition puts in the token URL's query
	// (Zoom's grant_type=account_credentials&account_id=...) are sent
	// there; a grant_type there replaces the body's, which then carries
	// none.
	if g, ok := a.TokenQuery["grant_type"]; ok {
		grant = g
		if query.Get("grant_type") != grant {
			t.Errorf("%s: token request query grant_type %q, want %q", a.Key(), query.Get("grant_type"), grant)
		}
		if form.Has("grant_type") {
			t.Errorf("%s: token request body grant_type %q besides the query's", a.Key(), form.Get("grant_type"))
		}
	} else if form.Get("grant_type") != grant {
		t.Errorf("%s: token request grant_type %q, want %q", a.Key(), form.Get("grant_type"), grant)
	}
	for k, tmpl := range a.TokenQuery {
		if v, ok := filled(tmpl, values); ok && query.Get(k) != v {
			t.Errorf("%s: token request query %s %q, want %q", a.Key(), k, query.Get(k), v)
		}
		if _, inBody := a.TokenParams[k]; !inBody && k != "grant_type" && form.Has(k) {
			t.Errorf("%s: token request body carries %s, which the definition puts in the query", a.Key(), k)
		}
	}
	// A secret in the token URL ends up in access logs.
	for k, vs := range query {
		m.planted.Range(func(p, _ any) bool {
			if slices.ContainsFunc(vs, func(v string) bool { return strings.Contains(v, p.(string)) }) {
				t.Errorf("%s: a secret in the token URL's %s", a.Key(), k)
			}
			return true
		})
	}
	// A private_key_jwt client names itself in its signed assertion
	// (checked there), not in the form.
	if a.ClientAuth != connector.ClientAuthPrivateKeyJWT && (form.Get("client_id") != fill(a.ClientID, values) || form.Get("client_secret") != fill(a.ClientSecret, values)) {
		t.Errorf("%s: the token request does not carry the client's credentials", a.Key())
	}
	if scopes := m.scopes(a, values); scopes != "" && form.Get("scope") != scopes {
		t.Errorf("%s: token request scope %q, want %q", a.Key(), form.Get("scope"), scopes)
	}
	for k, tmpl := range a.TokenParams {
		if v, ok := filled(tmpl, values); ok && form.Get(k) != v {
			t.Errorf("%s: token request %s %q, want %q", a.Key(), k, form.Get(k), v)
		}
	}
}

// checkInputs checks that the inputs given reached the query or the body,
// and that a JSON body is valid.
func (m *matrixRun) checkInputs(name string, mo matrixOp, input map[string]any, r matrixRequest) {
	t := m.t
	op := mo.op
	// Every string input given reached the wire somewhere.
	wire := r.wire()
	for _, in := range op.Inputs {
		if op.MIMEMessage != nil && messageRoles(op.MIMEMessage)[in.Name] != "" {
			continue // in the message, base64url-encoded: checked below
		}
		if s, ok := input[in.Name].(string); ok && s == matrixValue(in.Name) && !strings.Contains(wire, s) {
			t.Errorf("%s: the input %s was sent nowhere", name, in.Name)
		}
	}
	var body map[string]any
	// A multipart, binary or NDJSON body is checked as its encoding
	// says: the file inputs' bytes and the other body inputs in it.
	encoded := m.checkEncodedBody(name, op, input, r)
	jsonBody := strings.Contains(r.header.Get("Content-Type"), "json") && !encoded
	if jsonBody && len(r.body) > 0 {
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Errorf("%s: the JSON body is not valid: %v", name, err)
		}
		body, _ = v.(map[string]any)
	}
	var form url.Values
	if strings.Contains(r.header.Get("Content-Type"), "x-www-form-urlencoded") {
		var err error
		if form, err = url.ParseQuery(string(r.body)); err != nil {
			t.Errorf("%s: the form body is not valid: %v", name, err)
		}
	}
	for _, in := range op.Inputs {
		if _, given := input[in.Name]; !given {
			continue
		}
		where := in.In
		if where == "" {
			switch {
			case op.Link != nil && op.Link.Input == in.Name:
				continue // the request's path, checked there
			case strings.Contains(op.Path, "{"+in.Name+"}"):
				where = "path"
			case op.Method == http.MethodGet || op.Method == http.MethodHead || op.Method == http.MethodDelete:
				where = "query"
			default:
				where = "body"
			}
		}
		wire := in.WireName()
		if where == "body" && (m.inJSONHeader(name, op, in, input, r) || m.inMessage(name, op, in, input, r)) {
			continue
		}
		if where == "body" && encoded && op.BodyEncoding != connector.BodyNDJSON {
			continue // checked with the parts
		}
		switch where {
		case "query":
			if !queryHas(r.query, wire) {
				t.Errorf("%s: the required input %s is not in the query", name, in.Name)
			}
			// A list of two is written as the input's style says.
			if list, ok := input[in.Name].([]any); ok && len(list) == 2 && list[1] == "y" {
				var got []string
				switch or(in.Style, "repeat") {
				case "repeat":
					got = r.query[wire]
				case "comma":
					got = strings.Split(r.query.Get(wire), ",")
				case "brackets":
					got = r.query[wire+"[]"]
				}
				if !slices.Equal(got, []string{"x", "y"}) {
					t.Errorf("%s: the list %s is not written %s style: %s", name, in.Name, or(in.Style, "repeat"), r.rawQuery)
				}
			}
		case "header":
			if r.header.Get(wire) == "" {
				t.Errorf("%s: the required input %s is not in the headers", name, in.Name)
			}
		case "body":
			if op.Body != nil && bodyNames(op.Body, in.Name) {
				// The body template places it; its value must be somewhere.
				if len(r.body) == 0 {
					t.Errorf("%s: the required input %s is not in the (empty) body", name, in.Name)
				}
				continue
			}
			switch {
			case form != nil:
				if !queryHas(form, wire) {
					t.Errorf("%s: the required input %s is not in the form body", name, in.Name)
				}
			case jsonBody:
				if _, ok := body[wire]; !ok {
					t.Errorf("%s: the required input %s is not in the JSON body", name, in.Name)
				}
			default:
				if len(r.body) == 0 {
					t.Errorf("%s: the required input %s sent no body", name, in.Name)
				}
			}
		}
	}
	m.checkOpHeaders(name, op, input, r)
	for k, tmpl := range op.Query {
		names := placeholderRE.FindAllStringSubmatch(tmpl, -1)
		present := true
		for _, n := range names {
			if _, ok := input[n[1]]; !ok && !m.fieldHas(n[1]) {
				present = false
			}
		}
		if present && !r.query.Has(k) {
			t.Errorf("%s: the query parameter %s is missing", name, k)
		}
	}
}

// fieldHas reports whether the definition has a connection field name.
func (m *matrixRun) fieldHas(name string) bool {
	for _, fd := range m.def.Fields {
		if fd.Name == name {
			return fd.Required || fd.Default != ""
		}
	}
	return false
}

// queryHas reports whether q holds name, plainly or in bracket notation.
func queryHas(q url.Values, name string) bool {
	for k := range q {
		if k == name || strings.HasPrefix(k, name+"[") {
			return true
		}
	}
	return false
}

// bodyNames reports whether a body template names the input.
func bodyNames(body any, name string) bool {
	b, _ := json.Marshal(body)
	return bytes.Contains(b, []byte("{"+name+"}"))
}

// noSecretIn fails when text holds a planted secret.
func (m *matrixRun) noSecretIn(text string) {
	m.planted.Range(func(k, _ any) bool {
		if strings.Contains(text, k.(string)) {
			m.t.Errorf("an error message holds a planted secret (%.12s...)", k.(string))
		}
		return true
	})
}

// zoneVariants polls again with each time zone field set far from UTC
// on either side.
func (m *matrixRun) zoneVariants(a *connector.Auth) {
	zoneFields := map[string]bool{}
	for _, oe := range m.def.Events() {
		p := oe.Event.Polling
		if p == nil {
			continue
		}
		for _, tmpl := range []string{sinceZone(p), timeZone(p.Created), timeZone(p.Updated)} {
			for _, v := range placeholderRE.FindAllStringSubmatch(tmpl, -1) {
				zoneFields[v[1]] = true
			}
		}
	}
	for field := range zoneFields {
		for _, zone := range []string{"Pacific/Kiritimati", "Pacific/Pago_Pago"} {
			vals, conn := m.connect(a, map[string]string{field: zone})
			if conn == nil {
				continue
			}
			m.variants++
			m.t.Run(field+"="+zone, func(t *testing.T) {
				v := *m
				v.t, v.values = t, vals
				v.polls(a, vals, conn)
			})
		}
	}
}

func sinceZone(p *connector.Polling) string {
	if p.Since == nil {
		return ""
	}
	return p.Since.TimeZone
}

func timeZone(tf *connector.TimeField) string {
	if tf == nil {
		return ""
	}
	return tf.TimeZone
}

// everyFieldVariant runs the connection test once more with every
// optional field given a value.
func (m *matrixRun) everyFieldVariant(a *connector.Auth) {
	v := *m
	v.everyField = true
	vals, conn := v.connect(a, nil)
	if conn == nil {
		return
	}
	v.values = vals
	v.testRequest(a, vals, conn)
	m.variants++
}

// selectVariants runs the connection test once more for each further
// choice of every select field: another region's host, an API key in the
// query rather than a header.
func (m *matrixRun) selectVariants(a *connector.Auth, values map[string]string) {
	for _, fd := range append(slices.Clone(m.def.Fields), a.Fields...) {
		if fd.Type != connector.FieldSelect {
			continue
		}
		for _, o := range fd.Options {
			if o.Value == values[fd.Name] {
				continue
			}
			vals, conn := m.connect(a, map[string]string{fd.Name: o.Value})
			if conn == nil {
				continue
			}
			m.variants++
			m.t.Run(a.Key()+"/"+fd.Name+"="+o.Value, func(t *testing.T) {
				v := *m
				v.t, v.values = t, vals
				v.testRequest(a, vals, conn)
			})
		}
	}
}

// polls runs every polling event of the definition once from a watermark
// (and once from a cursor, where the API hands one out), and checks the
// request: the operation's, well formed, carrying the since value as the
// definition writes it.
func (m *matrixRun) polls(a *connector.Auth, values map[string]string, conn *junction.Connection) int {
	// Mid-morning, and half a minute past midnight, where a look-back or a
	// time zone moves the since value to the day before.
	n := m.pollsAt(a, values, conn, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	m.pollsAt(a, values, conn, time.Date(2026, 12, 6, 0, 0, 30, 0, time.UTC))
	return n
}

func (m *matrixRun) pollsAt(a *connector.Auth, values map[string]string, conn *junction.Connection, watermark time.Time) int {
	t := m.t
	n := 0
	for _, oe := range m.def.Events() {
		ev := oe.Event
		if ev.Polling == nil {
			continue
		}
		n++
		p := ev.Polling
		name := oe.Object.Name + "." + ev.Name + " poll from " + watermark.Format(time.RFC3339)
		var op *connector.Operation
		if p.Activity != "" {
			op = &m.def.Activity(p.Activity).Operation
		} else {
			op = oe.Object.Operations.ByName(or(p.Operation, "list"))
		}
		input := requiredInputs(op.Inputs)
		for k := range p.Inputs {
			delete(input, k)
		}
		if p.Since != nil {
			delete(input, p.Since.Input)
		}
		if p.Cursor != nil {
			delete(input, p.Cursor.Input)
		}
		states := []connector.PollState{{Watermark: watermark}}
		if p.Cursor != nil {
			states = append(states, connector.PollState{Watermark: watermark, Cursor: "matrix-cursor-7"})
		}
		record, empty, wantID, at, why := m.pollAnswer(oe, op, values, watermark)
		for i, st := range states {
			m.v.mu.Lock()
			m.v.answers = nil
			if i == 0 && why == "" {
				m.v.answers = [][]byte{record, empty}
			}
			m.v.mu.Unlock()
			res, err := m.f.eng.Poll(m.f.ctx, engine.PollRequest{Connection: conn, Object: oe.Object.Name, Event: ev.Name, Input: input, State: st})
			m.v.mu.Lock()
			m.v.answers = nil
			m.v.mu.Unlock()
			switch {
			case i != 0:
			case why != "":
				m.skipped = append(m.skipped, m.key+" "+name+" records: "+why)
			case err != nil:
				t.Errorf("%s: a page of one record: %v", name, err)
			case len(res.Records) != 1 || res.Records[0].ID != wantID || !res.State.Watermark.Equal(at):
				t.Errorf("%s: one record changed at %s, a watermark of %s: reported %d, watermark now %s (answer %s)",
					name, at.Format(time.RFC3339), watermark.Format(time.RFC3339), len(res.Records), res.State.Watermark.Format(time.RFC3339), record)
			}
			if err != nil {
				m.noSecretIn(err.Error())
				if junction.ErrorCode(err) != junction.EPROVIDER && !(i == 0 && why == "") {
					t.Errorf("%s: %v", name, err)
				}
			}
			reqs := m.v.take()
			if len(reqs) == 0 {
				t.Errorf("%s: sent no request (%v)", name, err)
				continue
			}
			r := reqs[0]
			m.checkOpRequest(name, r, op)
			m.checkCredential(a, values, name, reqs[:1])
			wire := r.wire()
			switch {
			case st.Cursor != "":
				if !strings.Contains(wire, st.Cursor) {
					t.Errorf("%s: the cursor is not in the request", name)
				}
			case p.Since != nil:
				want := m.sinceText(p, values, watermark)
				if !strings.Contains(wire, want) && !strings.Contains(wire, strings.ReplaceAll(want, `"`, `\"`)) {
					t.Errorf("%s: the since value %q is not in the request: %s", name, want, wire)
				}
			}
			for k, v := range p.Inputs {
				if !onWire(wire, v) {
					t.Errorf("%s: the polling input %s is not in the request", name, k)
				}
			}
		}
	}
	return n
}

// pollAnswer is a page of one record for a poll, as the definition reads
// it: the ID, and the created and updated times in the vendor's format, an
// hour after the watermark (an updated event's record created two days
// before); and the empty page that follows it. why tells why none can be
// made.
func (m *matrixRun) pollAnswer(oe connector.ObjectEvent, op *connector.Operation, values map[string]string, watermark time.Time) (record, empty []byte, wantID string, at time.Time, why string) {
	p := oe.Event.Polling
	id := or(p.ID, oe.Object.IDField)
	paths := []string{id, op.Records}
	if p.Created != nil {
		paths = append(paths, p.Created.Path)
	}
	if p.Updated != nil {
		paths = append(paths, p.Updated.Path)
	}
	for _, path := range paths {
		if strings.ContainsAny(path, "[*$") {
			return nil, nil, "", at, "the path " + path + " is not a plain dotted one"
		}
	}
	at = watermark.Add(time.Hour)
	rec := map[string]any{}
	setPath(rec, id, "rec-1")
	put := func(tf *connector.TimeField, t time.Time) {
		loc := time.UTC
		if zone := fill(tf.TimeZone, values); zone != "" {
			if l, err := time.LoadLocation(zone); err == nil {
				loc = l
			}
		}
		var v any
		switch tf.Format {
		case "", "rfc3339":
			v = t.In(loc).Format(time.RFC3339)
		case "unix":
			v = t.Unix()
		case "unix_ms":
			v = t.UnixMilli()
		case connector.TimeMSJSON:
			v = fmt.Sprintf("/Date(%d+0000)/", t.UnixMilli())
		default:
			v = t.In(loc).Format(tf.Format)
		}
		setPath(rec, tf.Path, v)
	}
	if tf := p.Created; tf != nil {
		created := at
		if oe.Event.Name == connector.EventUpdated {
			created = at.Add(-48 * time.Hour)
		}
		put(tf, created)
	}
	if tf := p.Updated; tf != nil {
		put(tf, at)
	}
	page := func(records []any) []byte {
		var doc any = records
		if op.Records != "" {
			d := map[string]any{}
			setPath(d, op.Records, records)
			doc = d
		}
		b, _ := json.Marshal(doc)
		return b
	}
	// An ID that is also a time (Slack's ts) is that time.
	wantID = fmt.Sprint(getPath(rec, id))
	return page([]any{rec}), page([]any{}), wantID, at, ""
}

// getPath reads a dotted path of m.
func getPath(m map[string]any, path string) any {
	var v any = m
	for _, p := range strings.Split(path, ".") {
		o, _ := v.(map[string]any)
		v = o[p]
	}
	return v
}

// onWire reports whether wire holds a value, every element of a list.
func onWire(wire string, v any) bool {
	if list, ok := v.([]any); ok {
		for _, e := range list {
			if !onWire(wire, e) {
				return false
			}
		}
		return true
	}
	return strings.Contains(wire, fmt.Sprint(v))
}

// sinceText is the watermark less the look-back as a poll must send it,
// worked out here from the definition rather than by the connector
// package.
func (m *matrixRun) sinceText(p *connector.Polling, values map[string]string, watermark time.Time) string {
	s := p.Since
	loc := time.UTC
	if zone := fill(s.TimeZone, values); zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil {
			m.t.Fatalf("time zone %q: %v", zone, err)
		}
		loc = l
	}
	var lookback time.Duration
	if p.Lookback != "" {
		d, err := time.ParseDuration(p.Lookback)
		if err != nil {
			m.t.Fatalf("lookback %q: %v", p.Lookback, err)
		}
		lookback = d
	}
	at := watermark.Add(-lookback)
	var text string
	switch s.Format {
	case "unix":
		text = fmt.Sprint(at.Unix())
	case "unix_ms":
		text = fmt.Sprint(at.UnixMilli())
	case connector.TimeMSJSON:
		text = fmt.Sprintf("/Date(%d+0000)/", at.UnixMilli())
	case "", "rfc3339":
		text = at.In(loc).Format(time.RFC3339)
	default:
		text = at.In(loc).Format(s.Format)
	}
	if s.Template != "" {
		text = strings.ReplaceAll(s.Template, "{since}", text)
	}
	return text
}

var lastCursorRE = regexp.MustCompile(`^([A-Za-z0-9_.]*)\[-1\]\.([A-Za-z0-9_.]+)$`)

// paginate reads two pages of a paged operation: the first answered so
// that the definition's pagination goes on (a full page, a next cursor, a
// next link), and checks the second request: the same operation with the
// same parameters, moved on by the pagination's own, with the credential.
func (m *matrixRun) paginate(a *connector.Auth, values map[string]string, conn *junction.Connection, mo matrixOp) {
	t := m.t
	op, pg := mo.op, mo.op.Pagination
	name := mo.name + " (second page)"
	for _, p := range []string{op.Records, pg.HasMorePath, pg.EndPath} {
		if strings.ContainsAny(p, "[*$") {
			m.skipped = append(m.skipped, m.key+" "+name+": the path "+p+" is not a plain dotted one")
			return
		}
	}
	const cursor = "matrix-cursor-2"
	size := max(pg.PageSize, 1)
	record := func(i int) map[string]any { return map[string]any{"id": fmt.Sprint("r", i)} }
	var cursorField string
	if pg.Type == connector.PageCursor {
		if sub := lastCursorRE.FindStringSubmatch(pg.NextCursorPath); sub != nil && sub[1] == op.Records {
			cursorField = sub[2]
		} else if strings.ContainsAny(pg.NextCursorPath, "[*$") {
			m.skipped = append(m.skipped, m.key+" "+name+": the cursor path "+pg.NextCursorPath+" is not a plain dotted one")
			return
		}
	}
	m.v.mu.Lock()
	m.v.paged = 0
	m.v.pager = func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		// A full page is what the request asked for: the page size the
		// definition sends, or the one an input's default sent.
		if n == 0 && pg.LimitParam != "" {
			if l := atoi(r.URL.Query().Get(pg.LimitParam)); l > 0 {
				size = l
			}
		}
		count := size
		if n > 0 {
			count = 0
		}
		records := make([]any, count)
		for i := range records {
			rec := record(i)
			if cursorField != "" {
				setPath(rec, cursorField, cursor)
			}
			records[i] = rec
		}
		doc := map[string]any{}
		var body any = records
		if op.Records != "" {
			setPath(doc, op.Records, records)
			body = doc
		}
		if n == 0 {
			next := "https://" + r.Host + r.URL.Path + "?" + r.URL.RawQuery + "&matrixpage=2"
			switch pg.Type {
			case connector.PageCursor:
				if cursorField == "" {
					setPath(doc, pg.NextCursorPath, cursor)
				}
			case connector.PageNextURL:
				setPath(doc, pg.NextURLPath, next)
			case connector.PageLinkHeader:
				w.Header().Set("Link", "<"+next+`>; rel="next"`)
			}
			if pg.HasMorePath != "" {
				setPath(doc, pg.HasMorePath, true)
			}
			if pg.EndPath != "" {
				setPath(doc, pg.EndPath, false)
			}
			if op.Records == "" && len(doc) > 0 {
				t.Errorf("%s: a page that is a bare list cannot carry the pagination's %v", name, doc)
			}
		}
		b, _ := json.Marshal(body)
		_, _ = w.Write(b)
	}
	m.v.mu.Unlock()
	defer func() {
		m.v.mu.Lock()
		m.v.pager = nil
		m.v.mu.Unlock()
	}()
	_, err := m.f.eng.Execute(m.f.ctx, engine.ExecuteRequest{Connection: conn, Activity: mo.activity, Object: mo.object, Operation: mo.operation,
		Input: requiredInputs(op.Inputs), MaxPages: 2})
	if err != nil {
		m.noSecretIn(err.Error())
		if junction.ErrorCode(err) != junction.EPROVIDER {
			t.Errorf("%s: %v", name, err)
		}
	}
	reqs := m.v.take()
	if len(reqs) < 2 {
		t.Errorf("%s: %d requests, want a second page (%v)", name, len(reqs), err)
		return
	}
	first, second := reqs[0], reqs[1]
	m.checkCredential(a, values, name, reqs[1:2])
	if pc := pg.Continue; pc != nil {
		m.checkContinuePage(name, first, second, op, pc, cursor)
		return
	}
	m.checkOpRequest(name, second, op)
	if second.path != first.path {
		t.Errorf("%s: path %s, the first page's %s", name, second.path, first.path)
	}
	// Every parameter of the first page is kept but the pagination's.
	moved := map[string]bool{pg.CursorParam: true, pg.OffsetParam: true, pg.PageParam: true}
	for k, vs := range first.query {
		if !moved[k] && !slices.Equal(second.query[k], vs) {
			t.Errorf("%s: %s=%v, the first page's %v", name, k, second.query[k], vs)
		}
	}
	switch pg.Type {
	case connector.PageCursor:
		if pg.CursorIn == "body" {
			if !bytes.Contains(second.body, []byte(cursor)) {
				t.Errorf("%s: the cursor is not in the body", name)
			}
		} else if second.query.Get(pg.CursorParam) != cursor {
			t.Errorf("%s: %s=%q, want the cursor", name, pg.CursorParam, second.query.Get(pg.CursorParam))
		}
	case connector.PageOffset:
		if got := second.query.Get(pg.OffsetParam); got != fmt.Sprint(size) && got != fmt.Sprint(atoi(first.query.Get(pg.OffsetParam))+size) {
			t.Errorf("%s: %s=%q after %d records", name, pg.OffsetParam, got, size)
		}
	case connector.PageNumber:
		start := max(pg.StartPage, 1)
		if pg.StartPage != 0 {
			start = pg.StartPage
		}
		if got := second.query.Get(pg.PageParam); got != fmt.Sprint(start+1) && got != fmt.Sprint(atoi(first.query.Get(pg.PageParam))+1) {
			t.Errorf("%s: %s=%q on the second page", name, pg.PageParam, got)
		}
	case connector.PageNextURL, connector.PageLinkHeader:
		if second.query.Get("matrixpage") != "2" {
			t.Errorf("%s: the next link was not followed: %s", name, second.rawQuery)
		}
	}
}

// checkContinuePage checks a later page sent to the pagination's own
// endpoint: its method and path under the operation's base URL, no query
// but the credential the auth type puts there, and a JSON body that is the
// template filled with the cursor, nothing of the first page's input.
func (m *matrixRun) checkContinuePage(name string, first, second matrixRequest, op *connector.Operation, pc *connector.PageContinue, cursor string) {
	t := m.t
	m.checkRequestAt(name, second, pc.HTTPMethod(), op.BaseURL, pc.Path)
	for k := range second.query {
		if m.auth == nil || m.auth.Name != k || first.query.Get(k) != second.query.Get(k) {
			t.Errorf("%s: %s=%v in the query of a page that carries the cursor alone", name, k, second.query[k])
		}
	}
	want, err := json.Marshal(fillCursor(pc.Body, cursor))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(second.body), want) {
		t.Errorf("%s: body %s, want %s", name, second.body, want)
	}
	if ct := second.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", name, ct)
	}
}

// fillCursor is a continue body template with {cursor} filled, read
// independently of the connector's own renderer.
func fillCursor(v any, cursor string) any {
	switch t := v.(type) {
	case string:
		return strings.ReplaceAll(t, "{cursor}", cursor)
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			out[k] = fillCursor(e, cursor)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = fillCursor(e, cursor)
		}
		return out
	}
	return v
}

func atoi(s string) int {
	n := 0
	_, _ = fmt.Sscan(s, &n)
	return n
}

// httpRequest runs the generic http_request activity: the path is joined to
// the base URL, the query and JSON body sent as given, the credential added.
func (m *matrixRun) httpRequest(a *connector.Auth, values map[string]string, conn *junction.Connection) {
	t := m.t
	name := a.Key() + ": http_request"
	_, err := m.f.eng.Execute(m.f.ctx, engine.ExecuteRequest{Connection: conn, Activity: connector.HTTPRequestActivity, Input: map[string]any{
		"method": "POST", "path": "/matrix/generic?a=1", "query": map[string]any{"b": "2"}, "body": map[string]any{"k": "v"},
	}})
	if err != nil {
		m.noSecretIn(err.Error())
		t.Errorf("%s: %v", name, err)
	}
	reqs := m.v.take()
	if len(reqs) != 1 {
		t.Errorf("%s: %d requests", name, len(reqs))
		return
	}
	r := reqs[0]
	m.checkRequest(name, r, http.MethodPost, "/matrix/generic")
	m.checkCredential(a, values, name, reqs)
	if r.query.Get("a") != "1" || r.query.Get("b") != "2" || !bytes.Equal(bytes.TrimSpace(r.body), []byte(`{"k":"v"}`)) {
		t.Errorf("%s: query %s, body %s", name, r.rawQuery, r.body)
	}
}
