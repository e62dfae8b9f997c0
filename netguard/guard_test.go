package netguard_test

import (
	"net/netip"
	"strings"
	"testing"

	"junction"
	"junction/netguard"
)

// The credential store policy: private ranges are where vaults live, so they
// pass; everything else that is not public, and metadata services above all,
// needs the operator's allowance.
func TestGuard_AllowPrivate(t *testing.T) {
	tests := []struct {
		addr    string
		allow   []string
		allowed bool
	}{
		{"8.8.8.8", nil, true},
		{"10.1.2.3", nil, true},
		{"172.16.0.1", nil, true},
		{"192.168.1.1", nil, true},
		{"fd12:3456::1", nil, true},
		{"::ffff:10.0.0.1", nil, true},
		{"64:ff9b::a00:1", nil, true}, // NAT64 of 10.0.0.1

		{"127.0.0.1", nil, false},
		{"::1", nil, false},
		{"169.254.1.1", nil, false},
		{"fe80::1", nil, false},
		{"0.0.0.0", nil, false},
		{"0.1.2.3", nil, false},
		{"224.0.0.1", nil, false},
		{"ff02::1", nil, false},
		{"100.64.0.1", nil, false},
		{"169.254.169.254", nil, false},
		{"fd00:ec2::254", nil, false}, // inside fc00::/7, still metadata
		{"100.100.100.200", nil, false},
		{"::ffff:169.254.169.254", nil, false},
		{"64:ff9b::a9fe:a9fe", nil, false}, // NAT64 of 169.254.169.254

		{"127.0.0.1", []string{"127.0.0.1/32"}, true},
		{"127.0.0.2", []string{"127.0.0.1/32"}, false},
		{"169.254.169.254", []string{"169.254.0.0/16"}, false},
		{"169.254.169.254", []string{"169.254.169.254/32"}, true},
		{"fd00:ec2::254", []string{"fd00:ec2::/32"}, false},
		{"fd00:ec2::254", []string{"fd00:ec2::254/128"}, true},
	}
	for _, tt := range tests {
		var allow []netip.Prefix
		for _, p := range tt.allow {
			allow = append(allow, netip.MustParsePrefix(p))
		}
		g := netguard.New(netguard.Policy{Allow: allow, AllowPrivate: true, Setting: "--store-allow"})
		err := g.Check("vault.example.test", netip.MustParseAddr(tt.addr))
		if got := err == nil; got != tt.allowed {
			t.Errorf("Check(%s) with allow %v: allowed = %v, want %v (err: %v)", tt.addr, tt.allow, got, tt.allowed, err)
			continue
		}
		if err == nil {
			continue
		}
		if junction.ErrorCode(err) != netguard.EBLOCKED {
			t.Errorf("Check(%s): code = %s, want %s", tt.addr, junction.ErrorCode(err), netguard.EBLOCKED)
		}
		if msg := junction.ErrorMessage(err); !strings.Contains(msg, "--store-allow") {
			t.Errorf("Check(%s): message %q does not name --store-allow", tt.addr, msg)
		}
	}
}
