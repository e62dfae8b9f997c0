package storehttp_test

import (
	"errors"
	"net"
	"net/http"
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

func TestNewTransport_Proxy(t *testing.T) {
	tr, err := storehttp.NewTransport(junction.CredentialStoreOptions{ProxyURL: "http://proxy.internal:3128"}, storehttp.TLS{})
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
	if _, err := storehttp.NewTransport(junction.CredentialStoreOptions{ProxyURL: "::bad"}, storehttp.TLS{}); !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("bad proxy URL: %v", err)
	}
}

func TestUnavailable_Diagnosis(t *testing.T) {
	srv := credstoretest.NewTLSServer(t, http.NotFoundHandler(), credstoretest.TLSServerConfig{})
	get := func(t *testing.T, target string, tlsConf storehttp.TLS) error {
		t.Helper()
		c, err := storehttp.NewClient(junction.CredentialStoreOptions{}, tlsConf)
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
	for _, tc := range []struct {
		name, want string
		err        func(t *testing.T) error
	}{
		{"UnknownAuthority", "unknown authority", func(t *testing.T) error {
			return get(t, srv.URL(), storehttp.TLS{})
		}},
		{"HostnameMismatch", "not valid for host", func(t *testing.T) error {
			return get(t, srv.URL(), storehttp.TLS{CACertPEM: srv.CACertPEM(), ServerName: "vault.example.com"})
		}},
		{"Refused", "connection refused", func(t *testing.T) error {
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			addr := ln.Addr().String()
			ln.Close()
			return get(t, "https://"+addr, storehttp.TLS{})
		}},
		{"DNS", "does not resolve", func(t *testing.T) error {
			return storehttp.Unavailable("ops vault", &url.Error{Op: "Get", URL: "https://vault.invalid/v1/secret/x",
				Err: &net.OpError{Op: "dial", Err: &net.DNSError{Name: "vault.invalid", Err: "no such host", IsNotFound: true}}})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err(t)
			msg := junction.ErrorMessage(err)
			if !junction.IsCode(err, junction.ECREDSTOREUNAVAILABLE) || !strings.Contains(msg, tc.want) || !strings.Contains(msg, "ops vault") {
				t.Fatalf("error = %v, want unavailable naming the store and saying %q", err, tc.want)
			}
			var je *junction.Error
			if errors.As(err, &je) && je.Err != nil && strings.Contains(je.Err.Error(), "secret/x") {
				t.Fatalf("kept cause repeats the request URL: %v", je.Err)
			}
		})
	}
}
