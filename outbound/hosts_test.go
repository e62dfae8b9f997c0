package outbound_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/outbound"
)

func TestParseAllowedHosts(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		got, err := outbound.ParseAllowedHosts("allowed_hosts", []string{
			" API.Example.COM ", "api.example.com.", "*.Example.NET", "bücher.example", "10.0.0.7", "[2001:DB8::1]",
			"::ffff:192.0.2.1", "api.example.com",
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"api.example.com", "*.example.net", "xn--bcher-kva.example", "10.0.0.7", "2001:db8::1", "192.0.2.1"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("canonical %q, want %q", got, want)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, bad := range []string{
			"", "https://api.example.com", "api.example.com/v1", "api.example.com:443", "user@api.example.com",
			"api.*.example.com", "*example.com", "a*.example.com", "*.com", "*", "*.", "-bad.example.com",
			"two words.example", "api..example.com", "api.example.com?x", "[::1]:443", "fe80::1%eth0",
		} {
			_, err := outbound.ParseAllowedHosts("allowed_hosts", []string{"ok.example.com", bad})
			je := requireCode(t, err, junction.EINVALID)
			if je.Field != "allowed_hosts[1]" {
				t.Errorf("%q: field %q, want allowed_hosts[1]", bad, je.Field)
			}
		}
		many := make([]string, outbound.MaxAllowedHosts+1)
		for i := range many {
			many[i] = "h.example.com"
		}
		_, err := outbound.ParseAllowedHosts("allowed_hosts", many)
		requireCode(t, err, junction.EINVALID)
	})
}

func TestHostAllowed(t *testing.T) {
	patterns, err := outbound.ParseAllowedHosts("allowed_hosts", []string{"*.example.com", "api.example.org", "bücher.example", "10.0.0.7", "2001:db8::1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"a.example.com", true},
		{"a.b.example.com", true},
		{"A.EXAMPLE.COM", true},
		{"a.example.com.", true},
		{"example.com", false},
		{"evilexample.com", false},
		{"a.example.com.evil.test", false},
		{"example.com.", false},
		{"api.example.org", true},
		{"API.Example.Org.", true},
		{"x.api.example.org", false},
		{"example.org", false},
		{"api.example.org.evil.test", false},
		{"bücher.example", true},
		{"BÜCHER.example", true},
		{"xn--bcher-kva.example", true},
		{"bucher.example", false},
		{"10.0.0.7", true},
		{"10.0.0.70", false},
		{"2001:db8::1", true},
		{"2001:DB8:0::1", true},
		{"::ffff:10.0.0.7", true},
		{"", false},
		{"a.example.com..", false},
	} {
		host, ok := outbound.CanonicalHost(tc.host)
		if got := ok && outbound.HostAllowed(patterns, host); got != tc.want {
			t.Errorf("%q (canonical %q): allowed %v, want %v", tc.host, host, got, tc.want)
		}
	}
	if outbound.HostAllowed(nil, "a.example.com") {
		t.Error("an empty list allows nothing by itself; callers treat it as no restriction")
	}
}

// refuseUnless is a CheckHost that allows only the given canonical host and
// records every host it is asked about.
type hostLog struct {
	mu    sync.Mutex
	hosts []string
}

func (l *hostLog) refuseUnless(allowed string) func(string) error {
	return func(host string) error {
		l.mu.Lock()
		l.hosts = append(l.hosts, host)
		l.mu.Unlock()
		if host != allowed {
			return &junction.Error{Code: junction.ECREDNOTALLOWED, Message: "not allowed: " + host}
		}
		return nil
	}
}

func TestDo_CheckHost(t *testing.T) {
	const secret = "top-secret-value"
	// received records everything a server was sent.
	type received struct {
		mu  sync.Mutex
		all strings.Builder
	}
	recording := func(rec *received, then http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			rec.mu.Lock()
			_ = r.Header.Write(&rec.all)
			rec.all.WriteString(r.URL.String())
			b, _ := io.ReadAll(r.Body)
			rec.all.Write(b)
			rec.mu.Unlock()
			then(w, r)
		}
	}
	withSecret := func(t *testing.T, url string) *http.Request {
		req := mustRequest(t, "POST", url, strings.NewReader("client_secret="+secret))
		req.Header.Set("Authorization", "Bearer "+secret)
		return req
	}

	t.Run("OK", func(t *testing.T) {
		srv, hits := countingServer(t, ok)
		dns := StartDNS(t, map[string][]string{"api.example.test": {"127.0.0.1"}})
		c, _ := MustNew(t, outbound.Options{Allow: loopback, Resolver: dns})
		var log hostLog
		_, err := c.Do(context.Background(), withSecret(t, "http://API.Example.Test.:"+portOf(t, srv)+"/"),
			outbound.RequestOptions{CheckHost: log.refuseUnless("api.example.test")})
		if err != nil {
			t.Fatal(err)
		}
		if hits.Load() != 1 || len(log.hosts) != 1 {
			t.Errorf("hits %d, hosts checked %q", hits.Load(), log.hosts)
		}
	})
	t.Run("ErrRefusedBeforeSending", func(t *testing.T) {
		srv, hits := countingServer(t, ok)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		var log hostLog
		_, err := c.Do(context.Background(), withSecret(t, srv.URL), outbound.RequestOptions{CheckHost: log.refuseUnless("api.example.test")})
		requireCode(t, err, junction.ECREDNOTALLOWED)
		if hits.Load() != 0 {
			t.Errorf("the refused host got %d requests", hits.Load())
		}
	})
	t.Run("ErrRedirectToOtherHostNotFollowed", func(t *testing.T) {
		var evil received
		attacker, attackerHits := countingServer(t, recording(&evil, ok))
		// A 307 would replay the body, client secret and all.
		allowed, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://evil.example.test:"+portOf(t, attacker)+"/steal", http.StatusTemporaryRedirect)
		})
		dns := StartDNS(t, map[string][]string{"api.example.test": {"127.0.0.1"}, "evil.example.test": {"127.0.0.1"}})
		c, _ := MustNew(t, outbound.Options{Allow: loopback, Resolver: dns})
		var log hostLog
		_, err := c.Do(context.Background(), withSecret(t, "http://api.example.test:"+portOf(t, allowed)+"/token"),
			outbound.RequestOptions{CheckHost: log.refuseUnless("api.example.test")})
		je := requireCode(t, err, junction.ECREDNOTALLOWED)
		if !strings.Contains(je.Message, "evil.example.test") {
			t.Errorf("message %q should name the refused hop", je.Message)
		}
		if attackerHits.Load() != 0 {
			t.Errorf("the redirect was followed: %d requests", attackerHits.Load())
		}
		evil.mu.Lock()
		defer evil.mu.Unlock()
		if strings.Contains(evil.all.String(), secret) {
			t.Error("the secret reached the other host")
		}
	})
	t.Run("RedirectWithinAllowedHostFollowed", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
		})
		mux.HandleFunc("/new", ok)
		srv, hits := countingServer(t, mux.ServeHTTP)
		c, _ := MustNew(t, outbound.Options{Allow: loopback})
		var log hostLog
		resp, err := c.Do(context.Background(), withSecret(t, srv.URL+"/old"), outbound.RequestOptions{CheckHost: log.refuseUnless("127.0.0.1")})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || hits.Load() != 2 || len(log.hosts) != 2 {
			t.Errorf("status %d hits %d hosts checked %q", resp.StatusCode, hits.Load(), log.hosts)
		}
	})
	t.Run("ErrPlainHTTPProxyMustBeAllowed", func(t *testing.T) {
		// A proxy reads a plain http request whole, credentials included.
		target, hits := countingServer(t, ok)
		proxy := StartProxy(t, nil)
		dns := StartDNS(t, map[string][]string{"api.example.test": {"127.0.0.1"}})
		c, _ := MustNew(t, outbound.Options{Allow: loopback, Resolver: dns})
		var log hostLog
		_, err := c.Do(context.Background(), withSecret(t, "http://api.example.test:"+portOf(t, target)+"/"),
			outbound.RequestOptions{ProxyURL: proxy.URL, CheckHost: log.refuseUnless("api.example.test")})
		requireCode(t, err, junction.ECREDNOTALLOWED)
		if proxy.Forwarded.Load()+proxy.Tunnels.Load() != 0 || hits.Load() != 0 {
			t.Errorf("sent anyway: forwarded %d tunnels %d hits %d", proxy.Forwarded.Load(), proxy.Tunnels.Load(), hits.Load())
		}
	})
}
