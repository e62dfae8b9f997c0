package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"junction"
	"junction/cli"
)

// testBootstrapToken is the administrator token the servers under test start
// with.
const testBootstrapToken = "jct_e2e-bootstrap-0123456789abcdefghijklmnop"

// syncBuffer collects a server's log output while the server writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// MustRunMain starts a server on 127.0.0.1:0 with dataDir (a fresh temporary
// one when empty) and the given environment, and closes it at the end of the
// test. Its logs go to the returned buffer.
func MustRunMain(tb testing.TB, dataDir, database string, env map[string]string) (*Main, *syncBuffer) {
	tb.Helper()
	return mustRunTunedMain(tb, dataDir, database, env, nil)
}

// mustRunTunedMain is MustRunMain with tune, when not nil, applied to the
// server before it runs (its test-only hooks).
func mustRunTunedMain(tb testing.TB, dataDir, database string, env map[string]string, tune func(*Main)) (*Main, *syncBuffer) {
	tb.Helper()
	if dataDir == "" {
		dataDir = tb.TempDir()
	}
	logs := &syncBuffer{}
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, logs
	m.Getenv = func(k string) string { return env[k] }
	m.ShutdownTimeout = 10 * time.Second
	if tune != nil {
		tune(m)
	}
	if err := m.ParseFlags([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--database", database}); err != nil {
		tb.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatalf("run: %v\nlogs:\n%s", err, logs)
	}
	tb.Cleanup(func() {
		if err := m.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return m, logs
}

// scenario drives servers through the CLI and the REST API, sending each
// request to the next server in turn so that several servers on one
// database must see each other's writes.
type scenario struct {
	t         *testing.T
	urls      []string
	next      int
	configDir string
}

func (s *scenario) url() string {
	u := s.urls[s.next%len(s.urls)]
	s.next++
	return u
}

// cli runs a client command as token and returns its standard output.
func (s *scenario) cli(token string, args ...string) (string, error) {
	s.t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append(args, "--server", s.url(), "--token", token), cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut,
		Getenv:    func(string) string { return "" },
		ConfigDir: func() (string, error) { return s.configDir, nil },
	})
	if code != 0 {
		return out.String(), fmt.Errorf("junction %s: exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

func (s *scenario) mustCLI(token string, args ...string) string {
	s.t.Helper()
	out, err := s.cli(token, args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// mustCreate runs a create command with -o json and returns the new ID.
func (s *scenario) mustCreate(token string, args ...string) string {
	s.t.Helper()
	var v struct {
		ID string `json:"id"`
	}
	out := s.mustCLI(token, append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID == "" {
		s.t.Fatalf("junction %s: no id in %q (%v)", strings.Join(args, " "), out, err)
	}
	return v.ID
}

func (s *scenario) api(token string) *cli.Client {
	s.t.Helper()
	c, err := cli.NewClient(s.url(), junction.NewSecret(token), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// visibleFolders lists, over HTTP, the IDs of the folders token can see.
func (s *scenario) visibleFolders(token string) []string {
	s.t.Helper()
	page, err := s.api(token).List(context.Background(), "/api/v1/folders", nil, true)
	if err != nil {
		s.t.Fatal(err)
	}
	var ids []string
	for _, raw := range page.Items {
		var f junction.Folder
		if err := json.Unmarshal(raw, &f); err != nil {
			s.t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	slices.Sort(ids)
	return ids
}

func (s *scenario) folderCode(token, id string) string {
	s.t.Helper()
	var f junction.Folder
	err := s.api(token).Do(context.Background(), http.MethodGet, "/api/v1/folders/"+id, nil, &f)
	if err == nil && f.ID != id {
		s.t.Fatalf("GET folder %s answered folder %q", id, f.ID)
	}
	return junction.ErrorCode(err)
}

// runFolderScenario is the access-control story end to end: an
// administrator builds a folder tree, gives a new user Automation User on
// one folder and a token; that user sees only that folder and its
// subfolder, and nothing of another tenant. It returns every token created,
// for the leak checks.
func runFolderScenario(t *testing.T, urls ...string) []string {
	s := &scenario{t: t, urls: urls, configDir: t.TempDir()}
	admin := testBootstrapToken

	finance := s.mustCreate(admin, "folders", "create", "Finance")
	payroll := s.mustCreate(admin, "folders", "create", "Payroll", "--parent", finance)
	legal := s.mustCreate(admin, "folders", "create", "Legal")
	bob := s.mustCreate(admin, "users", "create", "bob", "--display-name", "Bob")
	s.mustCLI(admin, "folders", "assign", finance, bob, "--role", junction.RoleAutomationUser)

	members := s.mustCLI(admin, "folders", "members", finance)
	if !strings.Contains(members, "bob") || !strings.Contains(members, junction.RoleAutomationUser) {
		t.Fatalf("folders members:\n%s", members)
	}

	bobToken := strings.TrimSpace(s.mustCLI(admin, "tokens", "create", bob, "--name", "robot", "--expires", "720h"))
	if !strings.HasPrefix(bobToken, "jct_") {
		t.Fatalf("tokens create printed %q", bobToken)
	}
	created := []string{bobToken}

	t.Run("UserSeesOnlyAssignedSubtree", func(t *testing.T) {
		want := []string{finance, payroll}
		slices.Sort(want)
		if got := s.visibleFolders(bobToken); !slices.Equal(got, want) {
			t.Fatalf("bob sees %v, want %v", got, want)
		}
		if code := s.folderCode(bobToken, payroll); code != "" {
			t.Fatalf("bob reading Payroll: %s", code)
		}
		if code := s.folderCode(bobToken, legal); code != junction.ENOTFOUND {
			t.Fatalf("bob reading Legal: %q, want not_found", code)
		}
		out := s.mustCLI(bobToken, "folders", "list")
		if !strings.Contains(out, "Finance") || !strings.Contains(out, "Payroll") || strings.Contains(out, "Legal") || strings.Contains(out, "Shared") {
			t.Fatalf("bob's folders list:\n%s", out)
		}
	})

	t.Run("HiddenFolderIs404OverHTTP", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.url()+"/api/v1/folders/"+legal, nil)
		req.Header.Set("Authorization", "Bearer "+bobToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p struct{ Code string }
		_ = json.NewDecoder(resp.Body).Decode(&p)
		if resp.StatusCode != http.StatusNotFound || p.Code != junction.ENOTFOUND ||
			resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("status %d, code %q, content type %q", resp.StatusCode, p.Code, resp.Header.Get("Content-Type"))
		}
	})

	t.Run("CLIErrorLine", func(t *testing.T) {
		_, err := s.cli(bobToken, "folders", "show", legal)
		if err == nil || !strings.HasSuffix(err.Error(), "error: folder not found (not_found)") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("OtherTenantIsInvisible", func(t *testing.T) {
		var tenant struct {
			Token string `json:"token"`
		}
		out := s.mustCLI(admin, "tenants", "create", "acme", "--admin", "boss", "-o", "json")
		if err := json.Unmarshal([]byte(out), &tenant); err != nil || tenant.Token == "" {
			t.Fatalf("tenants create: %q (%v)", out, err)
		}
		acmeToken := tenant.Token
		created = append(created, acmeToken)
		secret := s.mustCreate(acmeToken, "folders", "create", "Secret")
		if code := s.folderCode(bobToken, secret); code != junction.ENOTFOUND {
			t.Fatalf("bob reading acme's folder: %q", code)
		}
		if code := s.folderCode(admin, secret); code != junction.ENOTFOUND {
			t.Fatalf("default admin reading acme's folder: %q", code)
		}
		if code := s.folderCode(acmeToken, finance); code != junction.ENOTFOUND {
			t.Fatalf("acme admin reading Finance: %q", code)
		}
	})

	t.Run("TenantWideRoleSeesEveryFolder", func(t *testing.T) {
		// A role assigned tenant-wide holds in every folder, so every
		// folder is visible to it, and its objects are found, not
		// not_found while the lists show them.
		carol := s.mustCreate(admin, "users", "create", "carol", "--role", junction.RoleViewer)
		carolToken := strings.TrimSpace(s.mustCLI(admin, "tokens", "create", carol, "--name", "viewer"))
		created = append(created, carolToken)
		if got, want := s.visibleFolders(carolToken), s.visibleFolders(admin); !slices.Equal(got, want) {
			t.Fatalf("a tenant-wide Viewer sees %v, want every folder %v", got, want)
		}
		if code := s.folderCode(carolToken, legal); code != "" {
			t.Fatalf("a tenant-wide Viewer reading Legal: %s", code)
		}
		_, err := s.cli(carolToken, "folders", "create", "Rogue", "--parent", legal)
		if err == nil || !strings.Contains(err.Error(), "(permission_denied)") {
			t.Fatalf("a tenant-wide Viewer creating a folder: %v", err)
		}
	})

	t.Run("UserCannotChangeTheTree", func(t *testing.T) {
		_, err := s.cli(bobToken, "folders", "create", "Rogue", "--parent", finance)
		if err == nil || !strings.Contains(err.Error(), "(permission_denied)") {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("RevokedTokenStops", func(t *testing.T) {
		spare := strings.TrimSpace(s.mustCLI(admin, "tokens", "create", bob, "--name", "spare"))
		var list struct {
			Items []junction.Token `json:"items"`
		}
		if err := json.Unmarshal([]byte(s.mustCLI(admin, "tokens", "list", bob, "-o", "json")), &list); err != nil {
			t.Fatal(err)
		}
		var spareID string
		for _, tok := range list.Items {
			if tok.Name == "spare" {
				spareID = tok.ID
			}
		}
		// Every server has used the token, so each holds it in its cache.
		for range s.urls {
			s.mustCLI(spare, "me")
		}
		s.mustCLI(admin, "tokens", "revoke", spareID)
		// The server that revoked it refuses it at once; the others as
		// soon as the database's change notification reaches them, which
		// is a matter of milliseconds. The wait allows 5 s, far less than
		// the minute a cache entry could otherwise live.
		for range s.urls {
			for deadline := time.Now().Add(5 * time.Second); ; {
				_, err := s.cli(spare, "me")
				if err != nil && !strings.Contains(err.Error(), "(unauthenticated)") {
					t.Fatalf("revoked token: %v", err)
				}
				if err != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("a server still accepted the revoked token after 5s")
				}
				s.next-- // ask the same server again
				time.Sleep(10 * time.Millisecond)
			}
		}
		created = append(created, spare)
	})

	return created
}

func TestServe_SQLite(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data") // Run creates it
	m, logs := MustRunMain(t, dataDir, "", map[string]string{envBootstrapToken: testBootstrapToken})
	tokens := runFolderScenario(t, m.URL())

	if fi, err := os.Stat(dataDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir: %v, mode %v", err, fi.Mode().Perm())
	}

	t.Run("NoSecretAtRest", func(t *testing.T) {
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		assertNoSecretAtRest(t, dataDir, logs.String(), append(tokens, testBootstrapToken))
	})
}

// assertNoSecretAtRest fails when the SQLite files in dataDir or the logs
// hold any of secrets.
func assertNoSecretAtRest(t *testing.T, dataDir, logs string, secrets []string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dataDir, "junction.db*"))
	if len(files) == 0 {
		t.Fatal("no database files in the data dir")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		assertNoSecret(t, filepath.Base(f), b, secrets)
	}
	assertNoSecret(t, "logs", []byte(logs), secrets)
}

// assertNoSecret fails when data holds any of secrets, plain or in base64.
func assertNoSecret(t *testing.T, what string, data []byte, secrets []string) {
	t.Helper()
	for i, s := range secrets {
		if s == "" {
			t.Fatalf("secret %d is empty", i)
		}
		forms := []string{
			s,
			base64.StdEncoding.EncodeToString([]byte(s)),
			base64.RawStdEncoding.EncodeToString([]byte(s)),
			base64.URLEncoding.EncodeToString([]byte(s)),
			base64.RawURLEncoding.EncodeToString([]byte(s)),
			hex.EncodeToString([]byte(s)),
		}
		for _, f := range forms {
			if bytes.Contains(data, []byte(f)) {
				// Say which secret without printing it.
				t.Errorf("%s holds secret %d (%d bytes) in some encoding", what, i, len(s))
			}
		}
	}
}

// postgresURL returns JUNCTION_TEST_POSTGRES pointed at a fresh schema that
// is dropped after the test, or skips the test when the variable is unset.
func postgresURL(t *testing.T) string {
	t.Helper()
	base := os.Getenv("JUNCTION_TEST_POSTGRES")
	if base == "" {
		t.Skip("JUNCTION_TEST_POSTGRES is not set")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema := "junction_e2e_" + rand.Text()[:12]
	schema = strings.ToLower(schema)
	if _, err := db.Exec(`CREATE SCHEMA "` + schema + `"`); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(`DROP SCHEMA "` + schema + `" CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestServe_Postgres(t *testing.T) {
	dsn := postgresURL(t)
	m, logs := MustRunMain(t, "", dsn, map[string]string{envBootstrapToken: testBootstrapToken})
	tokens := runFolderScenario(t, m.URL())
	assertNoSecret(t, "logs", []byte(logs.String()), append(tokens, testBootstrapToken))
	// A normal stop is nothing to warn about.
	before := len(logs.String())
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if tail := logs.String()[before:]; strings.Contains(tail, "level=WARN") || strings.Contains(tail, "level=ERROR") {
		t.Fatalf("shutdown logged a warning:\n%s", tail)
	}
}

// TestServe_PostgresTwoServers runs two servers on one database and sends
// the scenario's requests to them alternately: each sees the other's
// writes, and the second start finds the database already bootstrapped.
func TestServe_PostgresTwoServers(t *testing.T) {
	dsn := postgresURL(t)
	env := map[string]string{envBootstrapToken: testBootstrapToken}
	m1, _ := MustRunMain(t, "", dsn, env)
	m2, logs2 := MustRunMain(t, "", dsn, env)
	if strings.Contains(logs2.String(), "created the default tenant") {
		t.Fatal("the second server bootstrapped the database again")
	}
	runFolderScenario(t, m1.URL(), m2.URL())
}

func TestServeHelp(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"serve", "--help"}, cli.Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	for _, env := range []string{
		"JUNCTION_LISTEN", "JUNCTION_DATA_DIR", "JUNCTION_DATABASE", "JUNCTION_CONFIG", "JUNCTION_LOG_FORMAT",
		"JUNCTION_LOG_LEVEL", "JUNCTION_OUTBOUND_ALLOW", "JUNCTION_CONNECTORS_DIR", "JUNCTION_TRUSTED_PROXIES",
		envBootstrapToken,
	} {
		if !strings.Contains(out.String(), env) {
			t.Errorf("serve --help does not mention %s", env)
		}
	}
}

var generatedToken = regexp.MustCompile(`jct_[A-Za-z0-9_-]{43}`)

func TestBootstrapTokenPrintedOnce(t *testing.T) {
	dataDir := t.TempDir()
	m, logs := MustRunMain(t, dataDir, "", nil)
	found := generatedToken.FindAllString(logs.String(), -1)
	if len(found) != 1 {
		t.Fatalf("want the generated token printed once, found %d times in:\n%s", len(found), logs)
	}
	token := found[0]
	// It is printed plainly, not as a structured log attribute.
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, token) && strings.Contains(line, "level=") {
			t.Fatalf("the token went through the logger: %q", line)
		}
	}
	c, err := cli.NewClient(m.URL(), junction.NewSecret(token), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), http.MethodGet, "/api/v1/me", nil, nil); err != nil {
		t.Fatalf("the printed token does not work: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// A second start on the same data finds the database initialised and
	// prints no token.
	_, logs2 := MustRunMain(t, dataDir, "", nil)
	if generatedToken.MatchString(logs2.String()) {
		t.Fatalf("a token was printed on the second start:\n%s", logs2)
	}
}

// TestSIGTERMDrains runs the real binary, starts a request whose body is
// still arriving, sends SIGTERM, and checks that the listener closes, the
// request still completes, and the process exits 0.
func TestSIGTERMDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "junction")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), envBootstrapToken+"="+testBootstrapToken, "JUNCTION_DATABASE=", "JUNCTION_CONFIG=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(substr string) string {
		t.Helper()
		for line := range lines {
			if strings.Contains(line, substr) {
				return line
			}
		}
		t.Fatalf("the server's output ended before %q", substr)
		return ""
	}
	addr := regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(waitFor("junction listening"))[1]

	// Expect: 100-continue makes the server answer "100 Continue" once the
	// handler starts reading the body: from then on the request is surely
	// in flight, with its body still to come.
	body := `{"name":"Drained"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/folders HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, testBootstrapToken, len(body))
	rd := bufio.NewReader(conn)
	status, err := rd.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 100") {
		t.Fatalf("want 100 Continue, got %q (%v)", status, err)
	}
	if blank, err := rd.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100 Continue: %q (%v)", blank, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor("shutting down")
	// Wait until the listener is closed: new connections are refused while
	// the request above is still in flight.
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}

	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("in-flight request answered %s", resp.Status)
	}
	go func() {
		for range lines { // drain the pipe so the process can exit
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

func TestRotateMasterKey(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{envBootstrapToken: testBootstrapToken}
	m, _ := MustRunMain(t, dataDir, "", env)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dataDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"rotate-master-key", "--data-dir", dataDir},
		cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Added master key") || !strings.Contains(out.String(), "Re-wrapped 0 sealed values") {
		t.Fatalf("output:\n%s", out.String())
	}
	after, err := os.ReadFile(filepath.Join(dataDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(before, after) {
		t.Fatal("the key file did not change")
	}

	// The server starts again with the rotated key file.
	m2, _ := MustRunMain(t, dataDir, "", env)
	c, _ := cli.NewClient(m2.URL(), junction.NewSecret(testBootstrapToken), nil)
	if err := c.Do(context.Background(), http.MethodGet, "/api/v1/me", nil, nil); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrNoDatabase", func(t *testing.T) {
		var errOut bytes.Buffer
		code := run(context.Background(), []string{"rotate-master-key", "--data-dir", filepath.Join(t.TempDir(), "none")},
			cli.Env{Stdout: io.Discard, Stderr: &errOut, Getenv: func(string) string { return "" }})
		if code == 0 || !strings.HasPrefix(errOut.String(), "error: no database at ") {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	})
}

func TestRun_ErrAddressInUse(t *testing.T) {
	m1, _ := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken})
	m2 := NewMain()
	m2.Stderr = io.Discard
	m2.Getenv = func(string) string { return "" }
	if err := m2.ParseFlags([]string{"--listen", m1.Addr(), "--data-dir", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	err := m2.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("err = %v", err)
	}
	if err := m2.Close(); err != nil {
		t.Fatalf("close after a failed run: %v", err)
	}
}

// TestCLI_EndToEnd runs every client command once against the real server,
// so request bodies and answers stay in step with the API.
func TestCLI_EndToEnd(t *testing.T) {
	m, _ := MustRunMain(t, "", "", map[string]string{envBootstrapToken: testBootstrapToken})
	s := &scenario{t: t, urls: []string{m.URL()}, configDir: t.TempDir()}
	admin := testBootstrapToken

	t.Run("LoginThenUseSavedCredentials", func(t *testing.T) {
		env := cli.Env{
			Stdin: strings.NewReader(admin + "\n"), Stdout: io.Discard, Stderr: io.Discard,
			Getenv:    func(string) string { return "" },
			ConfigDir: func() (string, error) { return s.configDir, nil },
		}
		if code := run(context.Background(), []string{"login", "--server", m.URL()}, env); code != 0 {
			t.Fatalf("login exit %d", code)
		}
		var out bytes.Buffer
		env.Stdout = &out
		if code := run(context.Background(), []string{"me"}, env); code != 0 || !strings.Contains(out.String(), "admin") {
			t.Fatalf("me exit %d: %s", code, out.String())
		}
		if code := run(context.Background(), []string{"logout"}, env); code != 0 {
			t.Fatalf("logout exit %d", code)
		}
		if code := run(context.Background(), []string{"me"}, env); code == 0 {
			t.Fatal("me worked after logout")
		}
	})

	a := s.mustCreate(admin, "folders", "create", "A")
	b := s.mustCreate(admin, "folders", "create", "B")
	s.mustCLI(admin, "folders", "rename", a, "Alpha")
	s.mustCLI(admin, "folders", "move", b, "--parent", a)
	if out := s.mustCLI(admin, "folders", "list", "--parent", a); !strings.Contains(out, b) {
		t.Fatalf("children of Alpha:\n%s", out)
	}
	// The view names the parent; its ID is in -o json.
	if out := s.mustCLI(admin, "folders", "show", b); !strings.Contains(out, "Parent:   Alpha") || !strings.Contains(out, "Alpha/B") {
		t.Fatalf("B after the move:\n%s", out)
	}
	s.mustCLI(admin, "folders", "move", b, "--parent", "")

	u := s.mustCreate(admin, "users", "create", "carol", "--display-name", "Carol", "--email", "carol@example.com", "--role", junction.RoleViewer)
	s.mustCLI(admin, "users", "update", u, "--display-name", "Carol C.", "--disabled=false")
	s.mustCLI(admin, "users", "roles", u, "--role", junction.RoleViewer, "--role", junction.RoleAutomationUser)
	if out := s.mustCLI(admin, "users", "show", u); !strings.Contains(out, "Carol C.") || !strings.Contains(out, junction.RoleAutomationUser) {
		t.Fatalf("users show:\n%s", out)
	}
	if out := s.mustCLI(admin, "users", "list", "--all"); !strings.Contains(out, "carol") {
		t.Fatalf("users list:\n%s", out)
	}
	s.mustCLI(admin, "folders", "assign", a, u, "--role", junction.RoleViewer)
	s.mustCLI(admin, "folders", "unassign", a, u)
	if out := s.mustCLI(admin, "folders", "members", a); strings.Contains(out, "carol") {
		t.Fatalf("carol still a member:\n%s", out)
	}
	tok := strings.TrimSpace(s.mustCLI(admin, "tokens", "create", u, "--name", "ci", "--expires", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	if out := s.mustCLI(tok, "me"); !strings.Contains(out, "carol") {
		t.Fatalf("me as carol:\n%s", out)
	}

	s.mustCreate(admin, "roles", "create", "Auditor", "--permission", "Audit.View", "--description", "reads the log")
	if out := s.mustCLI(admin, "roles", "list"); !strings.Contains(out, "Auditor") || !strings.Contains(out, junction.RoleRobot) {
		t.Fatalf("roles list:\n%s", out)
	}
	if out := s.mustCLI(admin, "tenants", "list"); !strings.Contains(out, "default") {
		t.Fatalf("tenants list:\n%s", out)
	}
	out := s.mustCLI(admin, "audit", "--action", "folder.update", "--since", "1h", "--limit", "1", "--all")
	if strings.Count(out, "folder.update") != 3 {
		t.Fatalf("audit of folder.update (rename and two moves):\n%s", out)
	}

	s.mustCLI(admin, "users", "delete", u)
	s.mustCLI(admin, "folders", "delete", a)
	if code := s.folderCode(admin, a); code != junction.ENOTFOUND {
		t.Fatalf("deleted folder: %q", code)
	}
}
