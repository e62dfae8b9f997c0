package outbound_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"junction"
	"junction/outbound"
)

func TestMain(m *testing.M) {
	// A proxy in the developer's environment would swallow the loopback
	// test traffic addressed by name.
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"} {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}

// StartDNS runs a DNS server on loopback UDP that answers A and AAAA queries
// from records (name → addresses) and NXDOMAIN for anything else, and returns
// a resolver that asks only it.
func StartDNS(tb testing.TB, records map[string][]string) *net.Resolver {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	table := map[string][]netip.Addr{}
	for name, addrs := range records {
		for _, a := range addrs {
			table[strings.ToLower(name)+"."] = append(table[strings.ToLower(name)+"."], netip.MustParseAddr(a))
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if reply, err := answerDNS(buf[:n], table); err == nil {
				_, _ = pc.WriteTo(reply, from)
			}
		}
	})
	tb.Cleanup(func() {
		pc.Close()
		wg.Wait()
	})
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", pc.LocalAddr().String())
		},
	}
}

func answerDNS(query []byte, table map[string][]netip.Addr) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	addrs, known := table[strings.ToLower(q.Name.String())]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	for _, a := range addrs {
		hdr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET}
		switch {
		case q.Type == dnsmessage.TypeA && a.Is4():
			err = b.AResource(hdr, dnsmessage.AResource{A: a.As4()})
		case q.Type == dnsmessage.TypeAAAA && a.Is6():
			err = b.AAAAResource(hdr, dnsmessage.AAAAResource{AAAA: a.As16()})
		}
		if err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// SleepRecorder stands in for Options.Sleep: it records the waits and
// returns at once.
type SleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *SleepRecorder) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays = append(s.delays, d)
	return ctx.Err()
}

func (s *SleepRecorder) Delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.delays...)
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// MustNew returns a client that never sleeps for real.
func MustNew(tb testing.TB, opts outbound.Options) (*outbound.Client, *SleepRecorder) {
	tb.Helper()
	rec := &SleepRecorder{}
	if opts.Sleep == nil {
		opts.Sleep = rec.Sleep
	}
	c, err := outbound.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.CloseIdleConnections)
	return c, rec
}

func mustRequest(tb testing.TB, method, url string, body io.Reader) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

// countingServer answers every request with handler and counts them.
func countingServer(tb testing.TB, handler http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	tb.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		handler(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv, &n
}

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }

// requireCode fails unless err is an *junction.Error with the code.
func requireCode(tb testing.TB, err error, code string) *junction.Error {
	tb.Helper()
	var je *junction.Error
	if !errors.As(err, &je) {
		tb.Fatalf("error = %v, want *junction.Error with code %s", err, code)
	}
	if je.Code != code {
		tb.Fatalf("code = %s (%s), want %s", je.Code, je.Message, code)
	}
	return je
}

// portOf returns the port of a test server's URL.
func portOf(tb testing.TB, srv *httptest.Server) string {
	tb.Helper()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// Proxy is a forward proxy on loopback that handles both absolute-form
// requests (plain http targets) and CONNECT tunnels (https targets), and
// counts them. It resolves names with the given resolver (nil: the system's).
type Proxy struct {
	*httptest.Server
	Forwarded atomic.Int64
	Tunnels   atomic.Int64
	wg        sync.WaitGroup
	mu        sync.Mutex
	conns     []net.Conn // hijacked, so closed by us and not by the server
	dialer    *net.Dialer
}

func StartProxy(tb testing.TB, resolver *net.Resolver) *Proxy {
	tb.Helper()
	p := &Proxy{dialer: &net.Dialer{Resolver: resolver}}
	transport := &http.Transport{Proxy: nil, DialContext: p.dialer.DialContext}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			p.Tunnels.Add(1)
			p.tunnel(w, r)
			return
		}
		p.Forwarded.Add(1)
		out := r.Clone(r.Context())
		out.RequestURI = ""
		resp, err := transport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	tb.Cleanup(func() {
		p.Server.Close()
		transport.CloseIdleConnections()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	upstream, err := p.dialer.DialContext(r.Context(), "tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	client, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, client, upstream)
	p.mu.Unlock()
	_, _ = io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n")
	p.wg.Go(func() {
		_, _ = io.Copy(upstream, client)
		upstream.Close()
		client.Close()
	})
	p.wg.Go(func() {
		_, _ = io.Copy(client, upstream)
		upstream.Close()
		client.Close()
	})
}
