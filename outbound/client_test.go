package outbound_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"junction"
	"junction/outbound"
)

func TestDo_Guard(t *testing.T) {
	t.Run("LoopbackRefusedByDefault", func(t *testing.T) {
		srv, hits := countingServer(t, ok)
		c, _ := MustNew(t, outbound.Options{})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		je := requireCode(t, err, outbound.EBLOCKED)
		if !strings.Contains(je.Message, "127.0.0.1") || !strings.Contains(je.Message, "--outbound-allow") {
			t.Errorf("message %q should name the address and the flag", je.Message)
		}
		if je.Details["attempts"] != 1 {
			t.Errorf("attempts = %v, want 1: a refusal is never retried", je.Details["attempts"])
		}
		if hits.Load() != 0 {
			t.Errorf("server got %d requests, want 0", hits.Load())
		}
	})
	t.Run("LoopbackAllowed", func(t *testing.T) {
		srv, _ := countingServer(t, ok)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || string(resp.Body) != "ok" || resp.Attempts != 1 {
			t.Errorf("got status %d body %q attempts %d", resp.StatusCode, resp.Body, resp.Attempts)
		}
	})
	t.Run("NameResolvingToPrivateRefusedAtDial", func(t *testing.T) {
		srv, hits := countingServer(t, ok)
		dns := StartDNS(t, map[string][]string{"api.example.test": {"127.0.0.1"}})
		url := "http://api.example.test:" + portOf(t, srv) + "/v1/things"

		c, _ := MustNew(t, outbound.Options{Resolver: dns})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", url, nil), outbound.RequestOptions{})
		je := requireCode(t, err, outbound.EBLOCKED)
		if !strings.Contains(je.Message, "api.example.test") || !strings.Contains(je.Message, "loopback") {
			t.Errorf("message %q should name the host and why", je.Message)
		}
		if hits.Load() != 0 {
			t.Errorf("server got %d requests, want 0", hits.Load())
		}

		// The same name passes once its address is allowed: the dialer
		// connects to the address the resolver gave and the guard checked.
		c, _ = MustNew(t, outbound.Options{Resolver: dns, Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", url, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || hits.Load() != 1 {
			t.Errorf("status %d, hits %d", resp.StatusCode, hits.Load())
		}
	})
	t.Run("MetadataRefusedUnderBroadAllow", func(t *testing.T) {
		// Refused before any packet leaves: the guard runs before connect.
		dns := StartDNS(t, map[string][]string{"metadata.example.test": {"169.254.169.254"}})
		c, _ := MustNew(t, outbound.Options{Resolver: dns, Allow: prefixes("169.254.0.0/16")})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", "http://metadata.example.test/latest/meta-data/", nil), outbound.RequestOptions{})
		je := requireCode(t, err, outbound.EBLOCKED)
		if !strings.Contains(je.Message, "cloud metadata") {
			t.Errorf("message %q should say it is a metadata address", je.Message)
		}
		// Named exactly, it is allowed (checked on the guard alone, so no
		// traffic goes to a link-local address from a test).
		c, _ = MustNew(t, outbound.Options{Allow: prefixes("169.254.0.0/16", "169.254.169.254/32")})
		if err := c.Guard().Check("metadata.example.test", netip.MustParseAddr("169.254.169.254")); err != nil {
			t.Errorf("named metadata address refused: %v", err)
		}
	})
	t.Run("MixedAnswerConnectsOnlyToAllowed", func(t *testing.T) {
		srv, hits := countingServer(t, ok)
		// 127.0.0.2 is refused, 127.0.0.1 allowed: the dialer skips the first.
		dns := StartDNS(t, map[string][]string{"api.example.test": {"127.0.0.2", "127.0.0.1"}})
		c, _ := MustNew(t, outbound.Options{Resolver: dns, Allow: prefixes("127.0.0.1/32")})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", "http://api.example.test:"+portOf(t, srv)+"/", nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || hits.Load() != 1 {
			t.Errorf("status %d, hits %d", resp.StatusCode, hits.Load())
		}
	})
}

func TestDo_Retry(t *testing.T) {
	// flaky answers each request with the next status in turn, then 200.
	flaky := func(t *testing.T, header http.Header, statuses ...int) (*httptest.Server, *atomic.Int64) {
		var i atomic.Int64
		return countingServer(t, func(w http.ResponseWriter, r *http.Request) {
			n := int(i.Add(1)) - 1
			if n < len(statuses) {
				for k, v := range header {
					w.Header()[k] = v
				}
				w.WriteHeader(statuses[n])
				return
			}
			body, _ := io.ReadAll(r.Body)
			_, _ = w.Write(append([]byte("ok:"), body...))
		})
	}

	t.Run("503ThenOK", func(t *testing.T) {
		srv, hits := flaky(t, nil, 503)
		c, rec := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Attempts != 2 || hits.Load() != 2 {
			t.Errorf("status %d attempts %d hits %d, want 200 2 2", resp.StatusCode, resp.Attempts, hits.Load())
		}
		d := rec.Delays()
		if len(d) != 1 || d[0] < 250*time.Millisecond || d[0] > 500*time.Millisecond {
			t.Errorf("delays %v, want one backoff in [250ms, 500ms]", d)
		}
	})
	t.Run("GivesUpAfterMaxRetries", func(t *testing.T) {
		srv, hits := flaky(t, nil, 502, 503, 504, 500)
		c, rec := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 504 || resp.Attempts != 3 || hits.Load() != 3 {
			t.Errorf("status %d attempts %d hits %d, want 504 3 3", resp.StatusCode, resp.Attempts, hits.Load())
		}
		if d := rec.Delays(); len(d) != 2 || d[1] < 500*time.Millisecond || d[1] > time.Second {
			t.Errorf("delays %v, want two, the second in [500ms, 1s]", d)
		}
	})
	t.Run("RetriesDisabled", func(t *testing.T) {
		srv, _ := flaky(t, nil, 503)
		c, _ := MustNew(t, outbound.Options{Allow: loopback, MaxRetries: -1})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 503 || resp.Attempts != 1 {
			t.Errorf("status %d attempts %d, want 503 1", resp.StatusCode, resp.Attempts)
		}
	})
	t.Run("RetryAfterSeconds", func(t *testing.T) {
		srv, _ := flaky(t, http.Header{"Retry-After": {"7"}}, 429)
		c, rec := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Attempts != 2 {
			t.Errorf("attempts %d, want 2", resp.Attempts)
		}
		if d := rec.Delays(); len(d) != 1 || d[0] != 7*time.Second {
			t.Errorf("delays %v, want [7s]", d)
		}
	})
	t.Run("RetryAfterCapped", func(t *testing.T) {
		srv, _ := flaky(t, http.Header{"Retry-After": {"3600"}}, 503)
		c, rec := MustNew(t, outbound.Options{Allow: loopback, MaxRetryAfter: 20 * time.Second})
		if _, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{}); err != nil {
			t.Fatal(err)
		}
		if d := rec.Delays(); len(d) != 1 || d[0] != 20*time.Second {
			t.Errorf("delays %v, want [20s]", d)
		}
	})
	t.Run("RetryAfterDate", func(t *testing.T) {
		now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		srv, _ := flaky(t, http.Header{"Retry-After": {now.Add(12 * time.Second).Format(http.TimeFormat)}}, 503)
		c, rec := MustNew(t, outbound.Options{Allow: loopback, Clock: fixedClock{now}})
		if _, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{}); err != nil {
			t.Fatal(err)
		}
		if d := rec.Delays(); len(d) != 1 || d[0] != 12*time.Second {
			t.Errorf("delays %v, want [12s]", d)
		}
	})
	t.Run("RetryAfterUnreadable", func(t *testing.T) {
		srv, _ := flaky(t, http.Header{"Retry-After": {"soon"}}, 503)
		c, rec := MustNew(t, outbound.Options{Allow: loopback})
		if _, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{}); err != nil {
			t.Fatal(err)
		}
		if d := rec.Delays(); len(d) != 1 || d[0] < 250*time.Millisecond || d[0] > 500*time.Millisecond {
			t.Errorf("delays %v, want one backoff in [250ms, 500ms]", d)
		}
	})
	t.Run("501NotRetried", func(t *testing.T) {
		srv, hits := flaky(t, nil, 501)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 501 || resp.Attempts != 1 || hits.Load() != 1 {
			t.Errorf("status %d attempts %d hits %d, want 501 1 1", resp.StatusCode, resp.Attempts, hits.Load())
		}
	})
	t.Run("4xxNotRetried", func(t *testing.T) {
		srv, hits := flaky(t, nil, 401)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 401 || resp.Attempts != 1 || hits.Load() != 1 {
			t.Errorf("status %d attempts %d hits %d, want 401 1 1", resp.StatusCode, resp.Attempts, hits.Load())
		}
	})
	t.Run("PostNotRetried", func(t *testing.T) {
		srv, hits := flaky(t, nil, 503)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "POST", srv.URL, strings.NewReader("payload")), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 503 || resp.Attempts != 1 || hits.Load() != 1 {
			t.Errorf("status %d attempts %d hits %d, want 503 1 1", resp.StatusCode, resp.Attempts, hits.Load())
		}
	})
	t.Run("PostRetriedWhenMarked", func(t *testing.T) {
		srv, _ := flaky(t, nil, 503)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "POST", srv.URL, strings.NewReader("payload")), outbound.RequestOptions{RetrySafe: true})
		if err != nil {
			t.Fatal(err)
		}
		// The body is replayed whole on the second attempt.
		if resp.StatusCode != 200 || resp.Attempts != 2 || string(resp.Body) != "ok:payload" {
			t.Errorf("status %d attempts %d body %q, want 200 2 ok:payload", resp.StatusCode, resp.Attempts, resp.Body)
		}
	})
	t.Run("PostWithIdempotencyKeyRetried", func(t *testing.T) {
		srv, _ := flaky(t, nil, 503)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		req := mustRequest(t, "POST", srv.URL, strings.NewReader("payload"))
		req.Header.Set("Idempotency-Key", "order-42")
		resp, err := c.Do(context.Background(), req, outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Attempts != 2 {
			t.Errorf("attempts %d, want 2", resp.Attempts)
		}
	})
	t.Run("UnreplayableBodyNotRetried", func(t *testing.T) {
		srv, _ := flaky(t, nil, 503)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		req := mustRequest(t, "PUT", srv.URL, io.MultiReader(strings.NewReader("payload")))
		resp, err := c.Do(context.Background(), req, outbound.RequestOptions{RetrySafe: true})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 503 || resp.Attempts != 1 {
			t.Errorf("status %d attempts %d, want 503 1", resp.StatusCode, resp.Attempts)
		}
	})
	t.Run("ConnectionDroppedThenOK", func(t *testing.T) {
		var i atomic.Int64
		srv, hits := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
			if i.Add(1) == 1 {
				// Close the connection without answering.
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			ok(w, r)
		})
		c, rec := MustNew(t, outbound.Options{Allow: loopback})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Attempts != 2 || hits.Load() != 2 || len(rec.Delays()) != 1 {
			t.Errorf("status %d attempts %d hits %d delays %v", resp.StatusCode, resp.Attempts, hits.Load(), rec.Delays())
		}
	})
	t.Run("ConnectionRefused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		c, rec := MustNew(t, outbound.Options{Allow: loopback})
		_, err = c.Do(context.Background(), mustRequest(t, "GET", "http://"+addr+"/", nil), outbound.RequestOptions{})
		je := requireCode(t, err, junction.EUNAVAILABLE)
		if je.Details["attempts"] != 3 || len(rec.Delays()) != 2 {
			t.Errorf("attempts %v delays %v, want 3 attempts", je.Details["attempts"], rec.Delays())
		}
		if !strings.Contains(je.Message, addr) {
			t.Errorf("message %q should name %s", je.Message, addr)
		}
	})
	t.Run("CancelledWhileWaiting", func(t *testing.T) {
		srv, hits := flaky(t, nil, 503, 503, 503)
		ctx, cancel := context.WithCancel(context.Background())
		c, _ := MustNew(t, outbound.Options{Allow: loopback, Sleep: func(context.Context, time.Duration) error {
			cancel()
			return context.Canceled
		}})
		_, err := c.Do(ctx, mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		requireCode(t, err, junction.EUNAVAILABLE)
		if !errors.Is(err, context.Canceled) || hits.Load() != 1 {
			t.Errorf("err %v hits %d, want context.Canceled after 1 request", err, hits.Load())
		}
	})
}

func TestDo_ResponseLimit(t *testing.T) {
	srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(bytes.Repeat([]byte("x"), 2048))
	})
	t.Run("OverLimit", func(t *testing.T) {
		c, _ := MustNew(t, outbound.Options{Allow: loopback, MaxResponseBytes: 1024})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		je := requireCode(t, err, outbound.ERESPONSETOOLARGE)
		for _, want := range []string{"1024", "--outbound-max-response-bytes", "127.0.0.1"} {
			if !strings.Contains(je.Message, want) {
				t.Errorf("message %q does not contain %q", je.Message, want)
			}
		}
	})
	t.Run("AtLimit", func(t *testing.T) {
		c, _ := MustNew(t, outbound.Options{Allow: loopback, MaxResponseBytes: 2048})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Body) != 2048 {
			t.Errorf("body %d bytes, want 2048", len(resp.Body))
		}
	})
	t.Run("PerRequestOverride", func(t *testing.T) {
		c, _ := MustNew(t, outbound.Options{Allow: loopback, MaxResponseBytes: 1024})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{MaxResponseBytes: 4096})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Body) != 2048 {
			t.Errorf("body %d bytes, want 2048", len(resp.Body))
		}
	})
}

func TestDo_TLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(ok))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)

	t.Run("UnknownCA", func(t *testing.T) {
		c, rec := MustNew(t, outbound.Options{Allow: loopback})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		je := requireCode(t, err, junction.EUNAVAILABLE)
		if !strings.Contains(je.Message, "TLS connection to 127.0.0.1") || !strings.Contains(je.Message, "certificate") {
			t.Errorf("message %q should say the certificate could not be verified", je.Message)
		}
		if je.Details["attempts"] != 1 || len(rec.Delays()) != 0 {
			t.Errorf("attempts %v: a verification failure is not retried", je.Details["attempts"])
		}
	})
	t.Run("TrustedCA", func(t *testing.T) {
		c, _ := MustNew(t, outbound.Options{Allow: loopback, RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestDo_Redirect(t *testing.T) {
	type seen struct {
		mu      sync.Mutex
		headers http.Header
	}
	record := func(s *seen) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.headers = r.Header.Clone()
			s.mu.Unlock()
			ok(w, r)
		}
	}
	withCredentials := func(t *testing.T, url string) *http.Request {
		req := mustRequest(t, "GET", url, nil)
		req.Header.Set("Authorization", "Bearer top-secret")
		req.Header.Set("X-Api-Key", "top-secret")
		req.Header.Set("Cookie", "session=top-secret")
		req.Header.Set("Accept", "application/json")
		return req
	}

	t.Run("OtherHostDropsCredentials", func(t *testing.T) {
		var landed seen
		b, _ := countingServer(t, record(&landed))
		a, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://files.example.test:"+portOf(t, b)+"/download", http.StatusFound)
		})
		dns := StartDNS(t, map[string][]string{"api.example.test": {"127.0.0.1"}, "files.example.test": {"127.0.0.1"}})
		c, _ := MustNew(t, outbound.Options{Allow: loopback, Resolver: dns})
		resp, err := c.Do(context.Background(), withCredentials(t, "http://api.example.test:"+portOf(t, a)+"/file"), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.URL.Host != "files.example.test:"+portOf(t, b) {
			t.Errorf("status %d url %s", resp.StatusCode, resp.URL)
		}
		landed.mu.Lock()
		defer landed.mu.Unlock()
		for _, h := range []string{"Authorization", "X-Api-Key", "Cookie"} {
			if v := landed.headers.Get(h); v != "" {
				t.Errorf("%s forwarded to another host: %q", h, v)
			}
		}
		if landed.headers.Get("Accept") != "application/json" {
			t.Errorf("Accept not forwarded: %q", landed.headers.Get("Accept"))
		}
	})
	t.Run("SameHostKeepsCredentials", func(t *testing.T) {
		var landed seen
		mux := http.NewServeMux()
		mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusMovedPermanently) })
		mux.HandleFunc("/new", record(&landed))
		srv, _ := countingServer(t, mux.ServeHTTP)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		if _, err := c.Do(context.Background(), withCredentials(t, srv.URL+"/old"), outbound.RequestOptions{}); err != nil {
			t.Fatal(err)
		}
		landed.mu.Lock()
		defer landed.mu.Unlock()
		if landed.headers.Get("Authorization") == "" || landed.headers.Get("X-Api-Key") == "" {
			t.Errorf("credentials dropped on a same-host redirect: %v", landed.headers)
		}
	})
	t.Run("OtherPortDropsCredentials", func(t *testing.T) {
		// Go's own redirect rule compares host names only; a different port
		// may be a different service.
		var landed seen
		b, _ := countingServer(t, record(&landed))
		a, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, b.URL, http.StatusFound) })
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		if _, err := c.Do(context.Background(), withCredentials(t, a.URL), outbound.RequestOptions{}); err != nil {
			t.Fatal(err)
		}
		landed.mu.Lock()
		defer landed.mu.Unlock()
		if landed.headers.Get("Authorization") != "" || landed.headers.Get("X-Api-Key") != "" {
			t.Errorf("credentials forwarded to another port: %v", landed.headers)
		}
	})
	t.Run("HopGuarded", func(t *testing.T) {
		a, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.2:"+portOf(t, a0(t))+"/", http.StatusFound)
		})
		c, _ := MustNew(t, outbound.Options{Allow: prefixes("127.0.0.1/32")})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", a.URL, nil), outbound.RequestOptions{})
		je := requireCode(t, err, outbound.EBLOCKED)
		if !strings.Contains(je.Message, "127.0.0.2") {
			t.Errorf("message %q should name the refused hop", je.Message)
		}
	})
	t.Run("HTTPSDowngradeRefused", func(t *testing.T) {
		plain, hits := countingServer(t, ok)
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, plain.URL, http.StatusFound)
		}))
		t.Cleanup(srv.Close)
		c, _ := MustNew(t, outbound.Options{Allow: loopback, RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		requireCode(t, err, outbound.EBLOCKED)
		if hits.Load() != 0 {
			t.Errorf("plain server got %d requests", hits.Load())
		}
	})
	t.Run("TooMany", func(t *testing.T) {
		srv, hits := countingServer(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/again", http.StatusFound) })
		c, _ := MustNew(t, outbound.Options{Allow: loopback, MaxRedirects: 3})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		requireCode(t, err, junction.EPROVIDER)
		if hits.Load() != 4 {
			t.Errorf("hits %d, want 4 (the request and 3 redirects)", hits.Load())
		}
	})
	t.Run("NotFollowed", func(t *testing.T) {
		srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) })
		c, _ := MustNew(t, outbound.Options{Allow: loopback, MaxRedirects: -1})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", srv.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/elsewhere" {
			t.Errorf("status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// a0 is a server that must never be reached.
func a0(t *testing.T) *httptest.Server {
	srv, hits := countingServer(t, ok)
	t.Cleanup(func() {
		if hits.Load() != 0 {
			t.Errorf("refused server got %d requests", hits.Load())
		}
	})
	return srv
}

func TestDo_Proxy(t *testing.T) {
	t.Run("PlainHTTPThroughOptionsProxy", func(t *testing.T) {
		target, hits := countingServer(t, ok)
		proxy := StartProxy(t, nil)
		c, _ := MustNew(t, outbound.Options{Allow: loopback, ProxyURL: proxy.URL})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", target.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || proxy.Forwarded.Load() != 1 || hits.Load() != 1 {
			t.Errorf("status %d forwarded %d hits %d", resp.StatusCode, proxy.Forwarded.Load(), hits.Load())
		}
	})
	t.Run("HTTPSThroughConnect", func(t *testing.T) {
		target := httptest.NewTLSServer(http.HandlerFunc(ok))
		t.Cleanup(target.Close)
		proxy := StartProxy(t, nil)
		c, _ := MustNew(t, outbound.Options{Allow: loopback, ProxyURL: proxy.URL,
			RootCAs: target.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", target.URL, nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || proxy.Tunnels.Load() != 1 {
			t.Errorf("status %d tunnels %d", resp.StatusCode, proxy.Tunnels.Load())
		}
	})
	t.Run("PerRequestProxy", func(t *testing.T) {
		target, _ := countingServer(t, ok)
		clientProxy, connProxy := StartProxy(t, nil), StartProxy(t, nil)
		c, _ := MustNew(t, outbound.Options{Allow: loopback, ProxyURL: clientProxy.URL})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", target.URL, nil), outbound.RequestOptions{ProxyURL: connProxy.URL})
		if err != nil {
			t.Fatal(err)
		}
		if clientProxy.Forwarded.Load() != 0 || connProxy.Forwarded.Load() != 1 {
			t.Errorf("client proxy %d, connection proxy %d; want 0, 1", clientProxy.Forwarded.Load(), connProxy.Forwarded.Load())
		}
	})
	t.Run("EnvironmentProxy", func(t *testing.T) {
		target, _ := countingServer(t, ok)
		dns := StartDNS(t, map[string][]string{"api.example.test": {"127.0.0.1"}})
		proxy := StartProxy(t, dns)
		t.Setenv("HTTP_PROXY", proxy.URL)
		c, _ := MustNew(t, outbound.Options{Allow: loopback, Resolver: dns})
		resp, err := c.Do(context.Background(), mustRequest(t, "GET", "http://api.example.test:"+portOf(t, target)+"/", nil), outbound.RequestOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || proxy.Forwarded.Load() != 1 {
			t.Errorf("status %d forwarded %d, want 200 1", resp.StatusCode, proxy.Forwarded.Load())
		}
	})
	t.Run("ProxyAddressGuarded", func(t *testing.T) {
		proxy := StartProxy(t, nil)
		c, _ := MustNew(t, outbound.Options{ProxyURL: proxy.URL})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", "http://8.8.8.8/", nil), outbound.RequestOptions{})
		je := requireCode(t, err, outbound.EBLOCKED)
		if !strings.Contains(je.Message, "127.0.0.1") {
			t.Errorf("message %q should name the proxy address", je.Message)
		}
		if proxy.Forwarded.Load()+proxy.Tunnels.Load() != 0 {
			t.Error("the refused proxy was contacted")
		}
	})
	t.Run("TargetCheckedBeforeConnect", func(t *testing.T) {
		proxy := StartProxy(t, nil)
		dns := StartDNS(t, map[string][]string{"intranet.example.test": {"10.20.30.40"}})
		c, _ := MustNew(t, outbound.Options{Allow: prefixes("127.0.0.1/32"), ProxyURL: proxy.URL, Resolver: dns})
		for _, url := range []string{"https://intranet.example.test/", "http://intranet.example.test/", "https://10.20.30.40/"} {
			_, err := c.Do(context.Background(), mustRequest(t, "GET", url, nil), outbound.RequestOptions{})
			requireCode(t, err, outbound.EBLOCKED)
		}
		if proxy.Forwarded.Load()+proxy.Tunnels.Load() != 0 {
			t.Error("a refused target was sent to the proxy")
		}
	})
	t.Run("UnresolvableTargetRefused", func(t *testing.T) {
		proxy := StartProxy(t, nil)
		dns := StartDNS(t, nil)
		c, _ := MustNew(t, outbound.Options{Allow: loopback, ProxyURL: proxy.URL, Resolver: dns})
		_, err := c.Do(context.Background(), mustRequest(t, "GET", "http://nowhere.example.test/", nil), outbound.RequestOptions{})
		requireCode(t, err, outbound.EBLOCKED)
		if proxy.Forwarded.Load() != 0 {
			t.Error("an unchecked target was sent to the proxy")
		}
	})
	t.Run("MalformedProxyURL", func(t *testing.T) {
		_, err := outbound.New(outbound.Options{ProxyURL: "ftp://proxy.example.test"})
		requireCode(t, err, junction.EINVALID)
		c, _ := MustNew(t, outbound.Options{})
		_, err = c.Do(context.Background(), mustRequest(t, "GET", "http://8.8.8.8/", nil), outbound.RequestOptions{ProxyURL: "::"})
		requireCode(t, err, junction.EINVALID)
	})
}

func TestDo_InvalidURL(t *testing.T) {
	c, _ := MustNew(t, outbound.Options{})
	for _, u := range []string{"ftp://example.test/", "/relative"} {
		_, err := c.Do(context.Background(), mustRequest(t, "GET", u, nil), outbound.RequestOptions{})
		requireCode(t, err, junction.EINVALID)
	}
}

func TestDo_ErrorHidesURL(t *testing.T) {
	// The query of an API URL may hold a key: messages name the host only.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, _ := MustNew(t, outbound.Options{Allow: loopback, MaxRetries: -1})
	_, err = c.Do(context.Background(), mustRequest(t, "GET", "http://"+addr+"/v1?api_key=top-secret", nil), outbound.RequestOptions{})
	if err == nil || strings.Contains(err.Error(), "top-secret") {
		t.Errorf("error %v leaks the URL query", err)
	}
}
