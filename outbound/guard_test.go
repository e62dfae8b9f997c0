package outbound_test

import (
	"net/netip"
	"strings"
	"testing"

	"junction"
	"junction/outbound"
)

func prefixes(ss ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range ss {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}

func TestGuard(t *testing.T) {
	tests := []struct {
		addr    string
		allow   []netip.Prefix
		allowed bool
	}{
		// Public addresses pass.
		{"8.8.8.8", nil, true},
		{"1.1.1.1", nil, true},
		{"2606:4700:4700::1111", nil, true},
		{"64:ff9b::808:808", nil, true}, // NAT64 of 8.8.8.8
		{"::ffff:8.8.8.8", nil, true},

		// Non-public addresses are refused by default.
		{"127.0.0.1", nil, false},
		{"127.8.9.10", nil, false},
		{"::1", nil, false},
		{"10.1.2.3", nil, false},
		{"172.16.0.1", nil, false},
		{"172.31.255.255", nil, false},
		{"192.168.1.1", nil, false},
		{"fc00::1", nil, false},
		{"fd12:3456::1", nil, false},
		{"169.254.1.1", nil, false},
		{"fe80::1", nil, false},
		{"fe80::1%eth0", nil, false},
		{"0.0.0.0", nil, false},
		{"0.1.2.3", nil, false},
		{"::", nil, false},
		{"224.0.0.1", nil, false},
		{"ff02::1", nil, false},
		{"255.255.255.255", nil, false},
		{"100.64.0.1", nil, false},
		{"100.127.255.254", nil, false},
		{"198.18.0.1", nil, false},
		{"240.0.0.1", nil, false},
		{"::ffff:127.0.0.1", nil, false},
		{"::ffff:10.0.0.1", nil, false},
		{"::ffff:169.254.169.254", nil, false},
		{"64:ff9b::a00:1", nil, false},      // NAT64 of 10.0.0.1
		{"64:ff9b::7f00:1", nil, false},     // NAT64 of 127.0.0.1
		{"2002:a00:1::", nil, false},        // 6to4 of 10.0.0.1
		{"2002:a9fe:a9fe::", nil, false},    // 6to4 of 169.254.169.254
		{"::7f00:1", nil, false},            // IPv4-compatible 127.0.0.1
		{"2001:db8::1", nil, false},         // documentation
		{"169.254.169.254", nil, false},     // cloud metadata
		{"fd00:ec2::254", nil, false},       // AWS metadata over IPv6
		{"100.100.100.200", nil, false},     // Alibaba metadata
		{"169.254.170.2", nil, false},       // ECS task credentials
		{"172.15.255.255", nil, true},       // just outside 172.16/12
		{"100.63.255.255", nil, true},       // just outside 100.64/10
		{"100.128.0.0", nil, true},          // just outside 100.64/10
		{"11.0.0.1", nil, true},             // just outside 10/8
		{"192.169.0.1", nil, true},          // just outside 192.168/16
		{"169.255.0.1", nil, true},          // just outside 169.254/16
		{"2001:4860:4860::8888", nil, true}, // public, not Teredo

		// Allowed prefixes exempt what they contain.
		{"127.0.0.1", prefixes("127.0.0.0/8"), true},
		{"::ffff:127.0.0.1", prefixes("127.0.0.0/8"), true},
		{"127.0.0.1", prefixes("::ffff:127.0.0.0/104"), true},
		{"10.1.2.3", prefixes("10.0.0.0/8"), true},
		{"10.1.2.3", prefixes("10.1.2.3/32"), true},
		{"10.1.2.4", prefixes("10.1.2.3/32"), false},
		{"10.1.2.3", prefixes("127.0.0.0/8"), false},
		{"fd12::1", prefixes("fc00::/7"), true},
		{"169.254.1.1", prefixes("169.254.0.0/16"), true},

		// Metadata addresses need to be named exactly.
		{"169.254.169.254", prefixes("169.254.0.0/16"), false},
		{"169.254.169.254", prefixes("0.0.0.0/0"), false},
		{"169.254.169.254", prefixes("169.254.169.254/32"), true},
		{"::ffff:169.254.169.254", prefixes("169.254.169.254/32"), true},
		{"169.254.169.254", prefixes("::ffff:169.254.169.254/128"), true},
		{"fd00:ec2::254", prefixes("fc00::/7"), false},
		{"fd00:ec2::254", prefixes("fd00:ec2::254/128"), true},
		{"100.100.100.200", prefixes("100.64.0.0/10"), false},
		{"100.100.100.200", prefixes("100.100.100.200/32"), true},
	}
	for _, tt := range tests {
		g := outbound.NewGuard(tt.allow)
		err := g.Check("api.example.test", netip.MustParseAddr(tt.addr))
		if got := err == nil; got != tt.allowed {
			t.Errorf("Check(%s) with allow %v: allowed = %v, want %v (err: %v)", tt.addr, tt.allow, got, tt.allowed, err)
			continue
		}
		if err != nil && junction.ErrorCode(err) != outbound.EBLOCKED {
			t.Errorf("Check(%s): code = %s, want %s", tt.addr, junction.ErrorCode(err), outbound.EBLOCKED)
		}
	}
}

func TestGuard_Message(t *testing.T) {
	t.Run("Private", func(t *testing.T) {
		err := outbound.NewGuard(nil).Check("db.internal", netip.MustParseAddr("10.0.0.5"))
		je := requireCode(t, err, outbound.EBLOCKED)
		for _, want := range []string{"db.internal", "10.0.0.5", "private", "--outbound-allow 10.0.0.5/32"} {
			if !strings.Contains(je.Message, want) {
				t.Errorf("message %q does not contain %q", je.Message, want)
			}
		}
	})
	t.Run("Metadata", func(t *testing.T) {
		err := outbound.NewGuard(prefixes("169.254.0.0/16")).Check("", netip.MustParseAddr("169.254.169.254"))
		je := requireCode(t, err, outbound.EBLOCKED)
		for _, want := range []string{"cloud metadata", "--outbound-allow 169.254.169.254/32", "named exactly"} {
			if !strings.Contains(je.Message, want) {
				t.Errorf("message %q does not contain %q", je.Message, want)
			}
		}
	})
}
