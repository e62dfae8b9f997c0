package netguard_test

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"junction"
	"junction/netguard"
)

// staticResolver answers every name from a table, standing in for DNS.
type staticResolver map[string][]netip.Addr

func (r staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	resolver := staticResolver{
		"vault.example.test":    {netip.MustParseAddr("127.0.0.1")},
		"metadata.example.test": {netip.MustParseAddr("169.254.169.254")},
	}
	dialer := func(allow ...string) *netguard.Dialer {
		var ps []netip.Prefix
		for _, a := range allow {
			ps = append(ps, netip.MustParsePrefix(a))
		}
		return netguard.NewDialer(netguard.New(netguard.Policy{Allow: ps, AllowPrivate: true, Setting: "--store-allow"}),
			netguard.DialerOptions{Resolver: resolver})
	}
	ctx := context.Background()

	t.Run("LoopbackRefused", func(t *testing.T) {
		for _, host := range []string{"127.0.0.1", "vault.example.test", "localhost"} {
			_, err := dialer().DialContext(ctx, "tcp", net.JoinHostPort(host, port))
			if host == "localhost" {
				// The real resolver: localhost is loopback wherever it points.
				_, err = netguard.NewDialer(netguard.New(netguard.Policy{AllowPrivate: true}), netguard.DialerOptions{}).
					DialContext(ctx, "tcp", net.JoinHostPort(host, port))
			}
			if !junction.IsCode(err, netguard.EBLOCKED) {
				t.Errorf("dial %s: %v, want %s", host, err, netguard.EBLOCKED)
			}
		}
	})
	t.Run("LoopbackAllowed", func(t *testing.T) {
		c, err := dialer("127.0.0.1/32").DialContext(ctx, "tcp", net.JoinHostPort("vault.example.test", port))
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	})
	t.Run("MetadataByName", func(t *testing.T) {
		// Allowing all of link-local does not open the metadata service,
		// whatever name leads to it.
		_, err := dialer("169.254.0.0/16").DialContext(ctx, "tcp", "metadata.example.test:80")
		if !junction.IsCode(err, netguard.EBLOCKED) {
			t.Fatalf("dial metadata by name: %v, want %s", err, netguard.EBLOCKED)
		}
	})
	t.Run("CheckHost", func(t *testing.T) {
		d := dialer()
		if err := d.CheckHost(ctx, "metadata.example.test"); !junction.IsCode(err, netguard.EBLOCKED) {
			t.Errorf("CheckHost(metadata) = %v", err)
		}
		if err := d.CheckHost(ctx, "unknown.example.test"); !junction.IsCode(err, netguard.EBLOCKED) {
			t.Errorf("CheckHost(unresolvable) = %v", err)
		}
		if err := d.CheckHost(ctx, "10.0.0.8"); err != nil {
			t.Errorf("CheckHost(private) = %v", err)
		}
	})
}
