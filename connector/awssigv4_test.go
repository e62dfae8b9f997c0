package connector_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"junction/clocktest"
	"junction/connector"
	"junction/outbound"
)

const sigv4Vector = `
key: sigv4-vector
display_name: Signature vector
version: 1.0.0
base_url: https://example.amazonaws.com
auth:
  - type: aws_sigv4
    region: us-east-1
    service: service
    fields:
      - {name: access_key_id, type: text, required: true}
      - {name: secret_access_key, type: secret, required: true}
test: {path: /}
`

// The "get-vanilla" case of AWS's Signature Version 4 test suite
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html,
// aws-sig-v4-test-suite/get-vanilla): GET / on example.amazonaws.com at
// 2015-08-30T12:36:00Z with the documentation's example key.
func TestAWSSigV4DocumentedVector(t *testing.T) {
	d := mustParse(t, sigv4Vector)
	r, err := d.BuildTest(connector.Credentials{
		Fields:  map[string]string{"access_key_id": "AKIDEXAMPLE"},
		Secrets: secrets("secret_access_key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
	})
	if err != nil {
		t.Fatal(err)
	}
	hr, err := r.HTTPRequest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Del("Accept") // the vector signs host and x-amz-date only
	if err := r.Signer()(hr, time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	const want = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	if got := hr.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
	if got := hr.Header.Get("X-Amz-Date"); got != "20150830T123600Z" {
		t.Errorf("X-Amz-Date = %q", got)
	}
	// The built request itself carries no signature: it is made per attempt.
	if r.Header.Get("Authorization") != "" || r.Header.Get("X-Amz-Date") != "" {
		t.Errorf("the built request is signed: %v", r.Header)
	}
}

// sigv4Server is a loopback stand-in for an AWS endpoint: it checks each
// request's signature by the documented rules (computed here by hand, not
// with the SDK that signs), refuses one dated more than five minutes from
// its clock as AWS does, and answers 503 to the first attempt so that a
// retry must sign afresh.
type sigv4Server struct {
	secrets map[string]string // access key ID -> secret
	clock   *clocktest.Clock
	mu      sync.Mutex
	seen    []string // X-Amz-Date of each attempt
	errs    []string
	fail    int // attempts still to answer 503
}

func (s *sigv4Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r.Header.Get("X-Amz-Date"))
	if err := s.verify(r, body); err != nil {
		s.errs = append(s.errs, err.Error())
		w.Header().Set("X-Amzn-Errortype", "InvalidSignatureException")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}`)
		return
	}
	if s.fail > 0 {
		s.fail--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	fmt.Fprint(w, `{"MessageId":"0100018f-example"}`)
}

func (s *sigv4Server) verify(r *http.Request, body []byte) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return fmt.Errorf("no AWS4-HMAC-SHA256 authorization")
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(p, "=")
		parts[k] = v
	}
	scope := strings.Split(parts["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return fmt.Errorf("bad credential scope %q", parts["Credential"])
	}
	secret, ok := s.secrets[scope[0]]
	if !ok {
		return fmt.Errorf("unknown access key")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	at, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || at.Format("20060102") != scope[1] {
		return fmt.Errorf("bad X-Amz-Date %q", amzDate)
	}
	if d := s.clock.Now().Sub(at); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("signature expired: %s is %s from now", amzDate, d)
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date") {
		return fmt.Errorf("host and x-amz-date must be signed: %v", signed)
	}
	var canonHeaders strings.Builder
	for _, h := range signed {
		v := r.Header.Values(h)
		if h == "host" {
			v = []string{r.Host}
		}
		for i := range v {
			v[i] = strings.Join(strings.Fields(v[i]), " ")
		}
		fmt.Fprintf(&canonHeaders, "%s:%s\n", h, strings.Join(v, ","))
	}
	q := r.URL.Query()
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, awsEscape(k, false)+"="+awsEscape(v, false))
		}
	}
	sort.Strings(pairs)
	sum := sha256.Sum256(body)
	canonical := strings.Join([]string{r.Method, awsEscape(r.URL.EscapedPath(), true), strings.Join(pairs, "&"),
		canonHeaders.String(), parts["SignedHeaders"], hex.EncodeToString(sum[:])}, "\n")
	csum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + strings.Join(scope[1:], "/") + "\n" + hex.EncodeToString(csum[:])
	key := []byte("AWS4" + secret)
	for _, p := range append(scope[1:4], "aws4_request") {
		key = hmacSHA256(key, p)
	}
	if want := hex.EncodeToString(hmacSHA256(key, toSign)); !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return fmt.Errorf("signature mismatch for canonical request:\n%s", canonical)
	}
	return nil
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// awsEscape is the URI encoding of the Signature Version 4 rules: every
// byte but the unreserved ones as %XX, '/' kept in paths.
func awsEscape(s string, path bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~', path && c == '/':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// TestAWSSigV4SendsAndResigns sends SES requests through the outbound
// client to a loopback server that verifies every signature; the first
// attempt is refused with 503 and the clock moves ten minutes before the
// retry, which AWS would refuse unless it were signed again.
func TestAWSSigV4SendsAndResigns(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	srv := &sigv4Server{clock: clock, secrets: map[string]string{"AKIAEXAMPLE": "s3cr3t/KEY+example", "ASIATEMP": "temp-secret"}}
	ts := httptest.NewTLSServer(srv)
	defer ts.Close()
	client, err := outbound.New(outbound.Options{
		Allow:   []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		RootCAs: poolOf(ts),
		Clock:   clock,
		Sleep:   func(context.Context, time.Duration) error { clock.Advance(10 * time.Minute); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	d := mustDefinition(t, "amazon-ses")
	send := func(t *testing.T, cred connector.Credentials, activity string, input map[string]any, retrySafe bool) *outbound.Response {
		t.Helper()
		r, err := d.BuildActivity(cred, activity, input)
		if err != nil {
			t.Fatal(err)
		}
		r.URL.Scheme, r.URL.Host = "https", strings.TrimPrefix(ts.URL, "https://")
		hr, err := r.HTTPRequest(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(context.Background(), hr, outbound.RequestOptions{RetrySafe: retrySafe, Sign: r.Signer()})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	cred := connector.Credentials{Fields: map[string]string{"region": "eu-west-1", "access_key_id": "AKIAEXAMPLE"},
		Secrets: secrets("secret_access_key", "s3cr3t/KEY+example")}

	t.Run("RetrySignsAgain", func(t *testing.T) {
		srv.mu.Lock()
		srv.fail, srv.seen, srv.errs = 1, nil, nil
		srv.mu.Unlock()
		resp := send(t, cred, "get_account", nil, true)
		srv.mu.Lock()
		defer srv.mu.Unlock()
		if resp.StatusCode != 200 || resp.Attempts != 2 {
			t.Fatalf("status %d after %d attempts; server saw %v", resp.StatusCode, resp.Attempts, srv.errs)
		}
		if len(srv.seen) != 2 || srv.seen[0] == srv.seen[1] {
			t.Errorf("attempts dated %v, want two different times", srv.seen)
		}
	})
	t.Run("BodyQueryAndPathSigned", func(t *testing.T) {
		srv.mu.Lock()
		srv.fail, srv.errs = 0, nil
		srv.mu.Unlock()
		resp := send(t, cred, "send_email", map[string]any{"from": "ops@example.com", "to": []any{"ann+1@example.com"}, "subject": "Héllo", "text": "Hi"}, false)
		if resp.StatusCode != 200 {
			t.Fatalf("send_email: %d %s %v", resp.StatusCode, resp.Body, srv.errs)
		}
		r, err := d.BuildOperation(cred, "contact", "get", map[string]any{"ContactListName": "news letter", "EmailAddress": "ann+1@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		r.URL.Scheme, r.URL.Host = "https", strings.TrimPrefix(ts.URL, "https://")
		hr, _ := r.HTTPRequest(context.Background())
		resp, err = client.Do(context.Background(), hr, outbound.RequestOptions{RetrySafe: true, Sign: r.Signer()})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("get contact: %v %v %v", err, resp, srv.errs)
		}
	})
	t.Run("SessionToken", func(t *testing.T) {
		c := connector.Credentials{Fields: map[string]string{"region": "eu-west-1", "access_key_id": "ASIATEMP"},
			Secrets: secrets("secret_access_key", "temp-secret", "session_token", "FwoGZXIvYXdzEXAMPLE")}
		r, err := d.BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		hr, _ := r.HTTPRequest(context.Background())
		if err := r.Signer()(hr, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if got := hr.Header.Get("X-Amz-Security-Token"); got != "FwoGZXIvYXdzEXAMPLE" {
			t.Errorf("X-Amz-Security-Token = %q", got)
		}
		if !strings.Contains(hr.Header.Get("Authorization"), "x-amz-security-token") {
			t.Errorf("the session token is not signed: %s", hr.Header.Get("Authorization"))
		}
	})
	t.Run("WrongSecretRefused", func(t *testing.T) {
		c := cred
		c.Secrets = secrets("secret_access_key", "not-the-secret")
		resp := send(t, c, "get_account", nil, true)
		if resp.StatusCode != 403 || !d.IsAuthFailure(connector.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: resp.Body}) {
			t.Errorf("got %d %s, want an authentication failure", resp.StatusCode, resp.Body)
		}
	})
}

// The SDK's signer caches derived keys by region and service, checking only
// the access key ID: two connections naming the same key ID with different
// secrets must still sign with their own.
func TestAWSSigV4NoSharedKeyCache(t *testing.T) {
	t.Parallel()
	d := mustParse(t, sigv4Vector)
	sign := func(secret string) string {
		r, err := d.BuildTest(connector.Credentials{Fields: map[string]string{"access_key_id": "AKIDEXAMPLE"}, Secrets: secrets("secret_access_key", secret)})
		if err != nil {
			t.Fatal(err)
		}
		hr, _ := r.HTTPRequest(context.Background())
		if err := r.Signer()(hr, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		return hr.Header.Get("Authorization")
	}
	if a, b := sign("first-secret"), sign("second-secret"); a == b {
		t.Errorf("two secrets gave one signature: %s", a)
	}
}

func TestAWSSigV4Secrets(t *testing.T) {
	t.Parallel()
	const secret = "PLANTED-secret-access-key-9f8e7d"
	d := mustDefinition(t, "amazon-ses")
	cred := connector.Credentials{Fields: map[string]string{"region": "us-east-1", "access_key_id": "AKIAEXAMPLE"},
		Secrets: secrets("secret_access_key", secret, "session_token", "PLANTED-token-1234")}
	r, err := d.BuildActivity(cred, "send_email", map[string]any{"from": "a@example.com", "to": []any{"b@example.com"}, "subject": "s", "text": "t"})
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := r.HTTPRequest(context.Background())
	if err := r.Signer()(hr, time.Now()); err != nil {
		t.Fatal(err)
	}
	// What is logged or shown (the request's text, JSON, and the wire
	// form the tests print) holds neither secret; what is sent holds the
	// token (AWS wants it) but never the secret key, only a signature.
	b, _ := r.MarshalJSON()
	for _, s := range []string{r.String(), fmt.Sprintf("%v %+v %#v", r, r, r), wire(r), string(b)} {
		if strings.Contains(s, "PLANTED") {
			t.Errorf("secret leaked: %s", s)
		}
	}
	if strings.Contains(fmt.Sprint(hr.Header), secret) {
		t.Errorf("the secret key is sent: %v", hr.Header)
	}

	t.Run("Invalid", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"region": "us-east-1"}
		_, err := d.BuildTest(c)
		wantInvalid(t, err, "fields.access_key_id")
		c.Fields = map[string]string{"region": "us-east-1", "access_key_id": "AKIA"}
		c.Secrets = nil
		_, err = d.BuildTest(c)
		wantInvalid(t, err, "fields.secret_access_key")
		c.Fields = map[string]string{"region": "evil.example.com/x", "access_key_id": "AKIA"}
		c.Secrets = secrets("secret_access_key", "s")
		_, err = d.BuildTest(c)
		wantInvalid(t, err, "fields.region")
	})
	t.Run("Validator", func(t *testing.T) {
		_, err := connector.Parse([]byte(strings.Replace(sigv4Vector, "service: service", "service: Bad_Name", 1)))
		if err == nil || !strings.Contains(err.Error(), "service") {
			t.Errorf("bad service accepted: %v", err)
		}
		_, err = connector.Parse([]byte(strings.Replace(sigv4Vector, "    region: us-east-1\n", "", 1)))
		if err == nil || !strings.Contains(err.Error(), "region") {
			t.Errorf("missing region accepted: %v", err)
		}
	})
}

func poolOf(ts *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	return pool
}

// BenchmarkAWSSigV4Sign is what signing adds to each attempt of an SES
// send: hashing the body, deriving the key (a fresh signer each time, see
// awsSigning.sign) and signing.
func BenchmarkAWSSigV4Sign(b *testing.B) {
	d := mustDefinition(b, "amazon-ses")
	cred := connector.Credentials{Fields: map[string]string{"region": "eu-west-1", "access_key_id": "AKIAEXAMPLE"},
		Secrets: secrets("secret_access_key", "s3cr3t/KEY+example")}
	r, err := d.BuildActivity(cred, "send_email", map[string]any{"from": "ops@example.com", "to": []any{"ann@example.com"},
		"subject": "Deploy done", "html": strings.Repeat("<p>All green</p>", 200)})
	if err != nil {
		b.Fatal(err)
	}
	sign, now := r.Signer(), time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		hr, _ := r.HTTPRequest(context.Background())
		if err := sign(hr, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAWSSigV4Build is building the same request without signing it,
// for comparison.
func BenchmarkAWSSigV4Build(b *testing.B) {
	d := mustDefinition(b, "amazon-ses")
	cred := connector.Credentials{Fields: map[string]string{"region": "eu-west-1", "access_key_id": "AKIAEXAMPLE"},
		Secrets: secrets("secret_access_key", "s3cr3t/KEY+example")}
	r, err := d.BuildActivity(cred, "send_email", map[string]any{"from": "ops@example.com", "to": []any{"ann@example.com"},
		"subject": "Deploy done", "html": strings.Repeat("<p>All green</p>", 200)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.HTTPRequest(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
