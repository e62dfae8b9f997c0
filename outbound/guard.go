package outbound

import (
	"net/netip"

	"junction/netguard"
)

// Guard decides which network addresses outbound calls may connect to: see
// netguard.Guard. Connector traffic gets the strict policy, private ranges
// included, because a connector's base URL is whatever a tenant typed.
type Guard = netguard.Guard

// NewGuard returns the guard of connector traffic, which lets through the
// addresses inside allow (the values of --outbound-allow) and no other
// non-public address.
func NewGuard(allow []netip.Prefix) *Guard {
	return netguard.New(netguard.Policy{Allow: allow, Setting: "--outbound-allow"})
}
