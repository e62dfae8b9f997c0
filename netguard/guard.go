// Package netguard decides which network addresses Junction may connect to
// on a tenant's behalf, and dials only those. Connector traffic (outbound)
// and credential store traffic (storehttp) share it, each with its policy.
package netguard

import (
	"fmt"
	"net/netip"
	"slices"

	"junction"
)

// EBLOCKED is the code of a refusal.
const EBLOCKED = junction.EOUTBOUNDBLOCKED

// Policy is what one kind of traffic may reach.
type Policy struct {
	// Allow lists the prefixes exempted from the guard (from the server
	// option named by Setting). Cloud metadata addresses need a
	// single-address prefix.
	Allow []netip.Prefix
	// AllowPrivate lets the private ranges (RFC 1918, fc00::/7, and their
	// IPv6 transition forms) through without an Allow entry: credential
	// stores live there. Cloud metadata addresses inside them stay refused.
	AllowPrivate bool
	// Setting is the server option that adds to Allow, named in refusals
	// so the operator knows what to change ("--outbound-allow").
	Setting string
}

// Guard decides which network addresses a kind of traffic may connect to.
// The address of a connector's base URL or of a credential store is chosen
// by whoever configures it, so without a guard it could point Junction at its
// own loopback services, the network around it, or the cloud metadata service
// that hands out the host's credentials.
//
// Refused unless an allowed prefix contains the address: loopback, private
// (RFC 1918, fc00::/7; unless the policy allows private ranges), link-local,
// unspecified, multicast, shared address space (100.64.0.0/10), the other
// IANA special-purpose ranges that are not globally reachable, and IPv6
// forms that embed such an IPv4 address (IPv4-mapped, NAT64, 6to4). Cloud
// metadata addresses are refused unless an allowed prefix names exactly that
// one address: allowing 169.254.0.0/16 for a link-local appliance must not
// also expose the host's instance credentials.
//
// A Guard is immutable and safe for concurrent use.
type Guard struct {
	allow        []netip.Prefix
	allowPrivate bool
	setting      string
}

// New returns a guard applying p.
func New(p Policy) *Guard {
	g := &Guard{allowPrivate: p.AllowPrivate, setting: p.Setting}
	if g.setting == "" {
		g.setting = "--outbound-allow"
	}
	for _, p := range p.Allow {
		if !p.IsValid() {
			continue
		}
		// An IPv4-mapped prefix such as ::ffff:10.0.0.0/104 means the IPv4 range.
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g
}

// metadataAddrs are the instance metadata services of the major clouds. They
// answer any process on the host with credentials, so reaching them is the
// usual goal of server-side request forgery.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, Azure, GCP, OpenStack, DigitalOcean, Oracle
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata and credentials
	netip.MustParseAddr("169.254.170.23"),  // AWS EKS pod identity agent
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
	netip.MustParseAddr("fd00:ec2::23"),    // AWS EKS pod identity agent over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("192.0.0.192"),     // Oracle Cloud (legacy)
}

// reservedPrefixes are special-purpose ranges that are not globally reachable
// and that netip's predicates do not already cover.
var reservedPrefixes = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\""},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2001::/32"), "Teredo tunnel"},
}

var (
	nat64Prefix      = netip.MustParsePrefix("64:ff9b::/96")
	nat64LocalPrefix = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFourPrefix  = netip.MustParsePrefix("2002::/16")
)

// Check returns nil when a connection to addr may be made, and otherwise an
// *junction.Error with code EBLOCKED naming host (the name the caller asked
// for; addr alone when empty) and saying how to allow it.
func (g *Guard) Check(host string, addr netip.Addr) error {
	addr = addr.Unmap().WithZone("")
	kind, class := classify(addr)
	switch class {
	case classPublic:
		return nil
	case classMetadata:
		if slices.ContainsFunc(g.allow, func(p netip.Prefix) bool { return p.IsSingleIP() && p.Addr() == addr }) {
			return nil
		}
		return g.refusal(host, addr, kind, true)
	case classPrivate:
		if g.allowPrivate {
			return nil
		}
	}
	if slices.ContainsFunc(g.allow, func(p netip.Prefix) bool { return p.Contains(addr) }) {
		return nil
	}
	return g.refusal(host, addr, kind, false)
}

// blockedError is the refusal for an address already known to be blocked.
func (g *Guard) blockedError(host string, addr netip.Addr) error {
	addr = addr.Unmap().WithZone("")
	kind, class := classify(addr)
	return g.refusal(host, addr, kind, class == classMetadata)
}

// class groups addresses by how a policy treats them.
type class int

const (
	classPublic   class = iota // globally reachable
	classPrivate               // RFC 1918, fc00::/7: refused or allowed by policy
	classMetadata              // a cloud metadata service: allowed only by name
	classOther                 // every other non-public address
)

// classify names the kind of non-public address addr is, or returns "" and
// classPublic for a globally reachable one. addr is already unmapped.
func classify(addr netip.Addr) (kind string, c class) {
	if slices.Contains(metadataAddrs, addr) {
		return "cloud metadata", classMetadata
	}
	switch {
	case !addr.IsValid():
		return "invalid", classOther
	case addr.IsUnspecified():
		return "unspecified", classOther
	case addr.IsLoopback():
		return "loopback", classOther
	case addr.IsPrivate():
		return "private", classPrivate
	case addr.IsLinkLocalUnicast():
		return "link-local", classOther
	case addr.IsMulticast():
		return "multicast", classOther
	case addr.Is4() && addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast", classOther
	}
	for _, r := range reservedPrefixes {
		if r.prefix.Contains(addr) {
			return r.kind, classOther
		}
	}
	// IPv6 transition forms carry an IPv4 address that the translator will
	// reach on Junction's behalf: judge them by the embedded address.
	if embedded, ok := embeddedIPv4(addr); ok {
		if kind, c := classify(embedded); c != classPublic {
			return kind + " (embedded in " + addr.String() + ")", c
		}
	}
	if addr.Is6() && !addr.IsGlobalUnicast() {
		return "non-global IPv6", classOther
	}
	return "", classPublic
}

func embeddedIPv4(addr netip.Addr) (netip.Addr, bool) {
	if !addr.Is6() {
		return netip.Addr{}, false
	}
	b := addr.As16()
	switch {
	case nat64Prefix.Contains(addr), nat64LocalPrefix.Contains(addr):
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}), true
	case sixToFourPrefix.Contains(addr):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), true
	}
	return netip.Addr{}, false
}

func (g *Guard) refusal(host string, addr netip.Addr, kind string, metadata bool) error {
	single := netip.PrefixFrom(addr, addr.BitLen()).String()
	target := addr.String()
	if host != "" && host != target {
		target = fmt.Sprintf("%s (%s)", host, addr)
	}
	msg := fmt.Sprintf("outbound connection to %s refused: it is a %s address; to allow it, start Junction with %s %s", target, kind, g.setting, single)
	if metadata {
		msg += " (a cloud metadata address is allowed only when named exactly, never by a broader range)"
	}
	return &junction.Error{
		Code:    EBLOCKED,
		Message: msg,
		Details: map[string]any{"host": host, "address": addr.String()},
	}
}
