package junction

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// SecretKind says what shape a secret in a credential store has.
type SecretKind string

const (
	// KindCredential is a username and password pair.
	KindCredential SecretKind = "credential"
	// KindSecret is a single value (an API key, a client secret).
	KindSecret SecretKind = "secret"
)

// StoredSecret is a value read from, or written to, a credential store. For
// KindSecret only Value is set.
type StoredSecret struct {
	Username string
	Value    Secret
	// ValidFor is how long the store says a value it read stays valid (a
	// Vault lease or ttl, a check-out's duration, a secret's expiry), from
	// the read; zero when it does not say. The secret cache keeps a value
	// no longer than this, and never longer than its own limit.
	ValidFor time.Duration
	// Lease names what the read holds in the store until it is released (a
	// Password Safe request kept checked out), for the store's
	// LeaseReleaser; empty when the read holds nothing. It is an opaque
	// handle, never a secret.
	Lease string
}

// LeaseReleaser is implemented by stores whose reads hold something in the
// vault until told to let go (StoredSecret.Lease). The secret cache
// releases a lease when it drops or replaces the value that came with it.
// ReleaseLease of a lease the store no longer holds (released, expired, or
// from an earlier instance of the store) does nothing; it is safe for
// concurrent use, and a store's Close releases every lease it still holds.
type LeaseReleaser interface {
	ReleaseLease(ctx context.Context, lease string) error
}

// CredentialStore is a live client of one external vault (or of Junction's
// own database store). Implementations are safe for concurrent use, log in
// lazily, keep their login fresh (renewing or logging in again), and never put
// a secret value in an error or a log line.
//
// Errors, as *Error:
//   - ECREDNOTFOUND when no secret exists under name (the message names it);
//   - ECREDSTOREAUTH when the vault refuses Junction's own login;
//   - ECREDSTOREUNAVAILABLE when the vault cannot be reached, is sealed, or
//     answers 5xx (the message names the store, never the secret). When the
//     network path failed (DNS, connecting, TLS, a timeout, the network
//     guard) the message is the same whatever the cause, and the cause is a
//     *StoreUnreachableError in the chain;
//   - EINVALID when the secret exists but lacks the expected keys.
type CredentialStore interface {
	// Check logs in and proves reachability, TLS and authentication without
	// reading any secret.
	Check(ctx context.Context) error
	// Read fetches the secret stored under name (the asset's external name).
	Read(ctx context.Context, kind SecretKind, name string) (StoredSecret, error)
}

// WritableCredentialStore is implemented by stores Junction may write to. A
// store configured read_only is never asked to write, even if it could.
type WritableCredentialStore interface {
	CredentialStore
	Write(ctx context.Context, kind SecretKind, name string, v StoredSecret) error
	Delete(ctx context.Context, name string) error
}

// Closer is implemented by stores that hold background resources (a token
// renewal loop). The owner calls Close when the store is replaced or removed.
type Closer interface {
	Close() error
}

// CredentialStoreOptions are what every store adapter is given besides its
// own configuration.
type CredentialStoreOptions struct {
	Name   string // the store's display name, for messages
	Clock  Clock
	Logger *slog.Logger
	// Insecure allows plain http:// addresses (local development only).
	Insecure bool
	// ProxyURL, when set, routes the store's traffic through this proxy;
	// otherwise HTTPS_PROXY / NO_PROXY apply.
	ProxyURL string
	// Transport, when set, is the base HTTP transport to use; adapters add
	// their TLS settings (CA, client certificate) to a clone of it. Every
	// connection still goes through the network guard: its DialContext, if
	// any, is only asked to connect to the IP address the guard accepted.
	Transport *http.Transport
	// Timeout bounds one request to the store.
	Timeout time.Duration
	// Allow lists the addresses the store may connect to beyond public and
	// private ones (from --store-allow). Loopback, link-local, cloud metadata
	// and other special addresses are refused without it, whatever name
	// leads to them; a metadata address needs a single-address prefix.
	Allow []netip.Prefix
	// Resolver, when set, resolves host names before the network guard
	// checks them (default: the system resolver). Tests point names at
	// their servers with it.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
}

// StoreUnreachableError is the cause kept in an ECREDSTOREUNAVAILABLE error
// whose network path failed: DNS, connecting, TLS, a timeout, or the network
// guard. The error's own message is the same for all of them, since telling
// a closed port from an open one, or a refused address from an unreachable
// one, would let anyone who may configure a store map the networks around
// the server. The specific cause is for the server log and the host's
// administrators.
type StoreUnreachableError struct {
	// Host is the host:port (or host) that could not be reached.
	Host string
	// Diagnosis says what went wrong in one sentence, naming no request URL
	// and no secret.
	Diagnosis string
	// Blocked reports that the network guard refused the address.
	Blocked bool
	// Err is the transport error, stripped of request URLs.
	Err error
}

func (e *StoreUnreachableError) Error() string {
	if e.Host == "" {
		return e.Diagnosis
	}
	return e.Host + ": " + e.Diagnosis
}

func (e *StoreUnreachableError) Unwrap() error { return e.Err }

// ConfigKey describes one key of a credential store type's configuration.
type ConfigKey struct {
	Name     string `json:"name"`
	Secret   bool   `json:"secret"`   // stored sealed, never returned
	Required bool   `json:"required"` // always, or depending on other keys (checked by Open)
	// Server marks a key that names something of the Junction server
	// itself (a file, an environment variable) the store logs in with:
	// see CredentialStoreType.ServerIdentity.
	Server bool   `json:"server,omitempty"`
	Help   string `json:"help,omitempty"`
}

// ConfigChoice is one decision a store's configuration makes between ways
// that exclude each other, such as how the store logs in: each option
// lists the keys that go together.
type ConfigChoice struct {
	Name string `json:"name"` // what is chosen: "authentication"
	// Key, when set, is the key whose value picks the option
	// ("auth_method"); otherwise the keys given pick it.
	Key     string         `json:"key,omitempty"`
	Options []ConfigOption `json:"options"`
}

// ConfigOption is one way of a ConfigChoice.
type ConfigOption struct {
	Value string   `json:"value,omitempty"` // Key's value for this option
	Keys  []string `json:"keys"`            // the keys it needs; none for an ambient login
	Help  string   `json:"help,omitempty"`
}

// CredentialStoreType is one kind of store (hashicorp-vault, cyberark-ccp,
// ...): its configuration keys and its constructor. Types are registered by
// name in an explicit map in main.
type CredentialStoreType struct {
	Name       string
	Writable   bool // whether the type can write and delete secrets
	ConfigKeys []ConfigKey
	// Choices say which keys go together: a key listed in an option is
	// needed exactly when that option is taken.
	Choices []ConfigChoice
	// CheckName, when set, refuses an external name the vault could never
	// hold (EINVALID on "external_name"), so that an asset is refused when
	// it is created, not at its first resolve.
	CheckName func(name string) error
	// Open validates config (rejecting unknown keys and naming the key at
	// fault with EINVALID) and returns a store. It does not contact the
	// vault: that happens on first use or on Check.
	Open func(config map[string]string, opts CredentialStoreOptions) (CredentialStore, error)
}

// ServerIdentity reports whether config makes the store log in as the
// Junction server rather than with credentials of its own: with a file or
// an environment variable of the server (a key marked Server), or with
// the server's ambient cloud identity (a choice whose option without keys
// is taken because none of its keys is set). Such a store reaches whatever
// the server's own identity may read, so the server decides which tenants
// may configure one. It returns the key to blame, "" for an ambient
// login, and false when the store brings its own credentials.
func (t CredentialStoreType) ServerIdentity(config map[string]string) (key string, ok bool) {
	set := func(k string) bool { return strings.TrimSpace(config[k]) != "" }
	for _, k := range t.ConfigKeys {
		if k.Server && set(k.Name) {
			return k.Name, true
		}
	}
	for _, c := range t.Choices {
		if c.Key != "" {
			continue
		}
		ambient, chosen := false, false
		for _, o := range c.Options {
			ambient = ambient || len(o.Keys) == 0
			for _, k := range o.Keys {
				chosen = chosen || set(k)
			}
		}
		if ambient && !chosen {
			return "", true
		}
	}
	return "", false
}
