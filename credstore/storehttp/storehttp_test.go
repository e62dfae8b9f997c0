package storehttp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"junction"
	"junction/credstore/credstoretest"
	"junction/credstore/storehttp"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		address  string
		insecure bool
		ok       bool
	}{
		{"https://vault.example.com:8200", false, true},
		{"http://vault.example.com:8200", false, false},
		{"http://vault.example.com:8200", true, true},
		{"ftp://vault.example.com", false, false},
		{"vault.example.com", false, false},
		{"https://user:pw@vault.example.com", false, false},
		{"", false, false},
	} {
		logger, logs := credstoretest.NewLogger()
		_, err := storehttp.ParseAddress("address", tc.address, junction.CredentialStoreOptions{Insecure: tc.insecure, Logger: logger})
		if (err == nil) != tc.ok {
			t.Errorf("ParseAddress(%q, insecure=%v) = %v, want ok=%v", tc.address, tc.insecure, err, tc.ok)
		}
		if err != nil && !junction.IsCode(err, junction.EINVALID) {
			t.Errorf("ParseAddress(%q) code = %s", tc.address, junction.ErrorCode(err))
		}
		if tc.insecure && tc.ok && !strings.Contains(logs.String(), "plain http") {
			t.Errorf("insecure address logged no warning")
		}
		credstoretest.AssertNoLeak(t, "error", junction.ErrorMessage(err), junction.NewSecret("pw"))
	}
}

// staticResolver answers names from a table, standing in for DNS.
type staticResolver map[string]string

func (r staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestNewTransport_Proxy(t *testing.T) {
	opts := junction.CredentialStoreOptions{ProxyURL: "http://proxy.internal:3128",
		Resolver: staticResolver{"vault.example.com": "10.0.0.5", "metadata.example.com": "169.254.169.254"}}
	tr, err := storehttp.NewTransport(opts, storehttp.TLS{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tr.Proxy(&http.Request{URL: &url.URL{Scheme: "https", Host: "vault.example.com"}})
	if err != nil || p == nil || p.Host != "proxy.internal:3128" {
		t.Fatalf("proxy = %v, %v", p, err)
	}
	if tr.TLSClientConfig.MinVersion < 0x0303 {
		t.Fatalf("MinVersion = %x, want TLS 1.2 or later", tr.TLSClientConfig.MinVersion)
	}
	// The proxy, not our dialer, connects to the target: it is checked
	// before it is handed over.
	for _, host := range []string{"metadata.example.com", "169.254.169.254", "unresolvable.example.com"} {
		if p, err := tr.Proxy(&http.Request{URL: &url.URL{Scheme: "https", Host: host}}); err == nil {
			t.Errorf("proxy for %s = %v, want a refusal", host, p)
		}
	}
	if _, err := storehttp.NewTransport(junction.CredentialStoreOptions{ProxyURL: "::bad"}, storehttp.TLS{}); !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("bad proxy URL: %v", err)
	}
}

// Whatever keeps a request from its answer, the message is the same, so
// that whoever configures a store learns nothing about the network from it;
// the cause kept for the server log says what to fix.
func TestUnavailable_Diagnosis(t *testing.T) {
	srv := credstoretest.NewTLSServer(t, http.NotFoundHandler(), credstoretest.TLSServerConfig{})
	get := func(t *testing.T, target string, tlsConf storehttp.TLS, allow []netip.Prefix) error {
		t.Helper()
		c, err := storehttp.NewClient(junction.CredentialStoreOptions{Allow: allow}, tlsConf)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Get(target)
		if err == nil {
			resp.Body.Close()
			t.Fatal("request unexpectedly succeeded")
		}
		return storehttp.Unavailable("ops vault", err)
	}
	host := strings.TrimPrefix(srv.URL(), "https://")
	closed := func() string {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	for _, tc := range []struct {
		name, want string
		blocked    bool
		err        func(t *testing.T) (error, string)
	}{
		{"UnknownAuthority", "unknown authority", false, func(t *testing.T) (error, string) {
			return get(t, srv.URL(), storehttp.TLS{}, credstoretest.Loopback), host
		}},
		{"HostnameMismatch", "not valid for host", false, func(t *testing.T) (error, string) {
			return get(t, srv.URL(), storehttp.TLS{CACertPEM: srv.CACertPEM(), ServerName: "vault.example.com"}, credstoretest.Loopback), host
		}},
		{"Refused", "connection refused", false, func(t *testing.T) (error, string) {
			addr := closed()
			return get(t, "https://"+addr, storehttp.TLS{}, credstoretest.Loopback), addr
		}},
		{"Guard", "--store-allow 127.0.0.1/32", true, func(t *testing.T) (error, string) {
			return get(t, srv.URL(), storehttp.TLS{CACertPEM: srv.CACertPEM()}, nil), host
		}},
		{"DNS", "does not resolve", false, func(t *testing.T) (error, string) {
			return storehttp.Unavailable("ops vault", &url.Error{Op: "Get", URL: "https://vault.invalid/v1/secret/x",
				Err: &net.OpError{Op: "dial", Err: &net.DNSError{Name: "vault.invalid", Err: "no such host", IsNotFound: true}}}), "vault.invalid"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err, host := tc.err(t)
			if !junction.IsCode(err, junction.ECREDSTOREUNAVAILABLE) {
				t.Fatalf("error = %v, want %s", err, junction.ECREDSTOREUNAVAILABLE)
			}
			if got, want := junction.ErrorMessage(err), storehttp.UnreachableMessage("ops vault", host); got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
			var ue *junction.StoreUnreachableError
			if !errors.As(err, &ue) || !strings.Contains(ue.Diagnosis, tc.want) || ue.Blocked != tc.blocked || ue.Host != host {
				t.Fatalf("cause = %+v, want a diagnosis saying %q at %s (blocked %v)", ue, tc.want, host, tc.blocked)
			}
			if ue.Err != nil && strings.Contains(ue.Err.Error(), "secret/x") {
				t.Fatalf("kept cause repeats the request URL: %v", ue.Err)
			}
		})
	}
}

// SDKs that follow redirects themselves use the transport: each hop is
// dialled through the guard, so an allowed vault cannot send Junction on to
// the metadata service, whatever name it uses.
func TestNewTransport_RedirectGuarded(t *testing.T) {
	srv := credstoretest.NewTLSServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://metadata.example.test/latest/meta-data/", http.StatusFound)
	}), credstoretest.TLSServerConfig{})
	tr, err := storehttp.NewTransport(junction.CredentialStoreOptions{Allow: credstoretest.Loopback,
		Resolver: staticResolver{"metadata.example.test": "169.254.169.254"}}, storehttp.TLS{CACertPEM: srv.CACertPEM()})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr} // follows redirects
	resp, err := c.Get(srv.URL() + "/v1/sys/health")
	if err == nil {
		resp.Body.Close()
		t.Fatal("the redirect to the metadata service was followed")
	}
	var ue *junction.StoreUnreachableError
	if err := storehttp.Unavailable("ops vault", err); !errors.As(err, &ue) || !ue.Blocked || ue.Host != "metadata.example.test" {
		t.Fatalf("error = %v (cause %+v), want a guard refusal of metadata.example.test", err, ue)
	}
}
