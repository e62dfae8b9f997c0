package netguard

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"junction"
)

// Resolver looks up the addresses of a host name. *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialerOptions configure a Dialer. Zero values take the defaults.
type DialerOptions struct {
	// Resolver resolves host names before the guard checks them (default
	// net.DefaultResolver).
	Resolver Resolver
	// Timeout bounds connecting to one address (default 30s), so that a
	// filtered port fails instead of hanging.
	Timeout time.Duration
	// KeepAlive is the TCP keep-alive period (default 30s).
	KeepAlive time.Duration
	// Connect, when set, makes the connection to an IP address and port the
	// guard accepted, in place of a net.Dialer whose Control hook checks the
	// address again. Tests use it to stand in for the network.
	Connect func(ctx context.Context, network, address string) (net.Conn, error)
}

// Dialer connects only to addresses its Guard accepts. It is meant as an
// http.Transport's DialContext: every connection the transport makes (the
// first request, each redirect hop, a proxy, an SDK's own login calls) goes
// through it. A Dialer is safe for concurrent use.
type Dialer struct {
	guard    *Guard
	resolver Resolver
	connect  func(ctx context.Context, network, address string) (net.Conn, error)
}

// NewDialer returns a dialer that applies g.
func NewDialer(g *Guard, opts DialerOptions) *Dialer {
	d := &Dialer{guard: g, resolver: opts.Resolver}
	if d.resolver == nil {
		d.resolver = net.DefaultResolver
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	keepAlive := opts.KeepAlive
	if keepAlive == 0 {
		keepAlive = 30 * time.Second
	}
	d.connect = opts.Connect
	if d.connect == nil {
		d.connect = (&net.Dialer{Timeout: timeout, KeepAlive: keepAlive, Control: g.Control}).DialContext
	}
	return d
}

// Control is a net.Dialer Control hook applying the guard. It is the last
// line of defence: whatever produced the address (a resolver, a proxy URL,
// an IP literal), the socket is checked just before connect, so a DNS
// answer that changes between check and use cannot slip through.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &junction.Error{Code: EBLOCKED, Message: fmt.Sprintf("outbound connection to %q refused: not an IP address and port", address)}
	}
	return g.Check("", ap.Addr())
}

// Guard returns the dialer's guard.
func (d *Dialer) Guard() *Guard { return d.guard }

// DialContext resolves addr with the dialer's resolver and connects to the
// first address the guard accepts. The Control hook checks again at the
// socket, so this check is for the clear message naming the host. When
// every address is refused the error is the guard's (code EBLOCKED).
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := d.lookup(ctx, network, host)
	if err != nil {
		return nil, err
	}
	var blocked, dialErr error
	for _, ip := range addrs {
		if err := d.guard.Check(host, ip); err != nil {
			if blocked == nil {
				blocked = err
			}
			continue
		}
		conn, err := d.connect(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if junction.IsCode(err, EBLOCKED) {
			// Refused by the Control hook, which knows only the address.
			err = d.guard.blockedError(host, ip)
		}
		dialErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, blocked
}

// CheckHost resolves host and checks every address it has, for a
// destination that someone else (a forward proxy) will connect to. The
// proxy resolves the name again, so this cannot stop a DNS answer that
// changes in between: the proxy's own egress rules are the defence there. A
// name that cannot be resolved here is refused rather than passed on
// unchecked.
func (d *Dialer) CheckHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return d.guard.Check(host, ip)
	}
	addrs, err := d.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return &junction.Error{
			Code:    EBLOCKED,
			Message: fmt.Sprintf("outbound request to %s refused: the name cannot be resolved to check it before it is sent to the proxy", host),
			Details: map[string]any{"host": host},
			Err:     err,
		}
	}
	for _, ip := range addrs {
		if err := d.guard.Check(host, ip); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dialer) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	addrs, err := d.resolver.LookupNetIP(ctx, ipNetwork(network), host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

func ipNetwork(network string) string {
	switch network {
	case "tcp4":
		return "ip4"
	case "tcp6":
		return "ip6"
	}
	return "ip"
}
