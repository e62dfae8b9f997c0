package connector

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"junction"
)

// Definitions finds the connector definitions a tenant may use: the
// built-in catalog's and the tenant's own published custom connectors. Its
// users (the services, the engine, the trigger runtime) depend on this
// rather than on where definitions come from. Implementations are safe for
// concurrent use; returned definitions are shared and must not be modified.
type Definitions interface {
	// Definition returns connector key as tenantID sees it. version picks
	// a published version of a custom connector, the newest when empty;
	// built-in connectors have one version and ignore it. ENOTFOUND for an
	// unknown key or version.
	Definition(ctx context.Context, tenantID, key, version string) (*Definition, error)
	// Definitions lists every connector the tenant may use, ordered by
	// key, each custom one at its newest published version.
	Definitions(ctx context.Context, tenantID string) ([]*Definition, error)
}

var (
	_ Definitions = (*Catalog)(nil)
	_ Definitions = (*Library)(nil)
)

// Definition answers from the catalog alone: the same for every tenant.
func (c *Catalog) Definition(_ context.Context, _, key, _ string) (*Definition, error) {
	return c.Get(key)
}

// Definitions lists the catalog.
func (c *Catalog) Definitions(context.Context, string) ([]*Definition, error) { return c.List(), nil }

// Has reports whether key is a built-in (or operator-loaded) connector.
func (c *Catalog) Has(key string) bool { _, ok := c.byKey[key]; return ok }

// VersionStore is what Library reads custom connectors from; the Store
// satisfies it.
type VersionStore interface {
	GetCustomConnectorByKey(ctx context.Context, tenantID, key string) (*junction.CustomConnector, error)
	ListCustomConnectors(ctx context.Context, tenantID string) ([]*junction.CustomConnector, error)
	ListConnectorVersions(ctx context.Context, tenantID, connectorID string) ([]*junction.ConnectorVersion, error)
	GetConnectorVersion(ctx context.Context, tenantID, key, version string) (*junction.ConnectorVersion, error)
}

// Library is the catalog plus each tenant's published custom connectors.
// Built-in connectors are answered from the catalog without touching the
// store, so executions through them cost what they did before custom
// connectors existed. A published version never changes, so its parsed
// definition is kept in memory for good once read; only "which version is
// the newest" is asked of the store each time.
type Library struct {
	catalog *Catalog
	store   VersionStore

	mu     sync.RWMutex
	parsed map[versionKey]*Definition
}

type versionKey struct{ tenantID, key, version string }

// NewLibrary returns a Library over the catalog and the store.
func NewLibrary(catalog *Catalog, store VersionStore) *Library {
	return &Library{catalog: catalog, store: store, parsed: map[versionKey]*Definition{}}
}

// Catalog returns the built-in catalog.
func (l *Library) Catalog() *Catalog { return l.catalog }

// Definition implements Definitions.
func (l *Library) Definition(ctx context.Context, tenantID, key, version string) (*Definition, error) {
	if d, ok := l.catalog.byKey[key]; ok {
		return d, nil
	}
	if version == "" {
		c, err := l.store.GetCustomConnectorByKey(ctx, tenantID, key)
		if err != nil {
			return nil, notFoundAs(err, "connector "+key)
		}
		vs, err := l.store.ListConnectorVersions(ctx, tenantID, c.ID)
		if err != nil {
			return nil, err
		}
		if version = NewestVersion(vs); version == "" {
			return nil, junction.NotFound("connector " + key + " (it has no published version yet)")
		}
	}
	k := versionKey{tenantID, key, version}
	l.mu.RLock()
	d := l.parsed[k]
	l.mu.RUnlock()
	if d != nil {
		return d, nil
	}
	v, err := l.store.GetConnectorVersion(ctx, tenantID, key, version)
	if err != nil {
		return nil, notFoundAs(err, "version "+version+" of connector "+key)
	}
	d, err = ParsePublished(v)
	if err != nil {
		return nil, junction.Internal(err)
	}
	l.mu.Lock()
	if prev := l.parsed[k]; prev != nil {
		d = prev
	} else {
		l.parsed[k] = d
	}
	l.mu.Unlock()
	return d, nil
}

// Forget drops the parsed versions of a deleted custom connector, so that
// a new connector given the same key and version numbers is read afresh.
func (l *Library) Forget(tenantID, key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.parsed {
		if k.tenantID == tenantID && k.key == key {
			delete(l.parsed, k)
		}
	}
}

// ForgetAll drops every parsed custom connector version, for when another
// server deleted a custom connector and this one cannot tell which: the
// next use of each version reads and parses it again.
func (l *Library) ForgetAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.parsed)
}

// Definitions implements Definitions. Custom connectors without a
// published version are left out: nothing can use them yet.
func (l *Library) Definitions(ctx context.Context, tenantID string) ([]*Definition, error) {
	out := l.catalog.List()
	cs, err := l.store.ListCustomConnectors(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		d, err := l.Definition(ctx, tenantID, c.Key, "")
		if junction.IsCode(err, junction.ENOTFOUND) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sortByKey(out)
	return out, nil
}

// ParsePublished parses a published version's frozen text, marking the
// definition custom and giving it the version it was published as.
func ParsePublished(v *junction.ConnectorVersion) (*Definition, error) {
	d, err := Parse([]byte(v.Definition))
	if err != nil {
		return nil, err
	}
	d.Version, d.Custom = v.Version, true
	d.Source = "custom connector " + v.ConnectorID + " version " + v.Version
	return d, nil
}

func notFoundAs(err error, what string) error {
	if junction.IsCode(err, junction.ENOTFOUND) {
		return junction.NotFound(what)
	}
	return err
}

// NewestVersion returns the highest semantic version among vs, or "".
func NewestVersion(vs []*junction.ConnectorVersion) string {
	newest := ""
	for _, v := range vs {
		if newest == "" || CompareVersions(v.Version, newest) > 0 {
			newest = v.Version
		}
	}
	return newest
}

// ValidVersion reports whether s is a semantic version MAJOR.MINOR.PATCH,
// optionally with a pre-release suffix ("1.2.0", "2.0.0-beta.1").
func ValidVersion(s string) bool {
	core, pre, hasPre := strings.Cut(s, "-")
	if hasPre && pre == "" {
		return false
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 1 && p[0] == '0' {
			return false
		}
		if _, err := strconv.ParseUint(p, 10, 32); err != nil {
			return false
		}
	}
	for _, id := range strings.Split(pre, ".") {
		if hasPre && id == "" {
			return false
		}
		for _, r := range id {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
				return false
			}
		}
	}
	return true
}

// CompareVersions orders two valid semantic versions: -1, 0 or +1. A
// pre-release sorts before its release.
func CompareVersions(a, b string) int {
	ac, ap, aPre := strings.Cut(a, "-")
	bc, bp, bPre := strings.Cut(b, "-")
	as, bs := strings.Split(ac, "."), strings.Split(bc, ".")
	for i := 0; i < 3 && i < len(as) && i < len(bs); i++ {
		x, _ := strconv.ParseUint(as[i], 10, 32)
		y, _ := strconv.ParseUint(bs[i], 10, 32)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case aPre == bPre && ap == bp:
		return 0
	case !aPre:
		return 1
	case !bPre:
		return -1
	}
	ai, bi := strings.Split(ap, "."), strings.Split(bp, ".")
	for i := 0; i < len(ai) && i < len(bi); i++ {
		if ai[i] == bi[i] {
			continue
		}
		x, xerr := strconv.ParseUint(ai[i], 10, 32)
		y, yerr := strconv.ParseUint(bi[i], 10, 32)
		switch {
		case xerr == nil && yerr == nil:
			if x < y {
				return -1
			}
			return 1
		case xerr == nil:
			return -1
		case yerr == nil:
			return 1
		case ai[i] < bi[i]:
			return -1
		default:
			return 1
		}
	}
	switch {
	case len(ai) < len(bi):
		return -1
	case len(ai) > len(bi):
		return 1
	}
	return 0
}
