// Package app holds Junction's services: every change the API can make goes
// through an App method that authorizes the caller, validates the input, and
// writes the change together with its audit entry in one Store transaction.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"junction"
	"junction/connector"
	"junction/engine"
	"junction/importer"
	"junction/resolver"
	"junction/trigger"
)

// Options configures an App. Zero values are replaced by sensible defaults.
type Options struct {
	// Clock tells the time for timestamps and token expiry; SystemClock by
	// default.
	Clock junction.Clock
	// Logger receives operational messages that are not the caller's
	// business (a failed token touch); discarded by default.
	Logger *slog.Logger
	// Keyring seals secrets at rest: credential store logins and the
	// values of assets in the database store.
	Keyring junction.Keyring
	// Resolver resolves secret and credential assets and holds the live
	// credential store adapters. The credential store and asset services
	// need it; without it they answer internal errors.
	Resolver *resolver.Resolver
	// StoreTypes are the external credential store types, by name, as the
	// Resolver has them. The built-in database type needs no entry.
	StoreTypes map[string]junction.CredentialStoreType
	// Catalog is the set of connectors connections may use, and Engine
	// runs their tests, executions and OAuth flows. The connector,
	// connection and execution services need both; without them they
	// answer internal errors.
	Catalog connector.Definitions
	Engine  *engine.Engine
	// OAuthRedirectURI is where providers send the browser back after an
	// OAuth 2.0 consent: the public URL of GET /oauth/callback.
	OAuthRedirectURI string
	// Triggers validates triggers and takes in their webhooks; the trigger
	// services need it and answer internal errors without it.
	Triggers *trigger.Runtime
	// PublicURL is the base of the URLs Junction shows for others to call:
	// a webhook trigger's intake URL is <PublicURL>/hooks/<token>.
	PublicURL string
	// Usage counts consumption and holds executions against quotas; nil
	// counts nothing and enforces no API-call quota.
	Usage UsageMeter
	// System is what GET /api/v1/system tells of this server; System
	// adds the catalog, credential store types and the caller's quotas.
	System SystemInfo
	// JobRecheck is how often a claim waiting for a job looks at the store
	// again; DefaultJobRecheck when zero.
	JobRecheck time.Duration
	// SystemChecks runs the checks of the server itself that Diagnostics
	// reports before the tenant's stores (database, schema, clocks).
	SystemChecks func(ctx context.Context) []junction.Check
}

// App is the service layer. It is safe for concurrent use.
type App struct {
	store   junction.Store
	clock   junction.Clock
	logger  *slog.Logger
	keyring junction.Keyring
	// resolver and storeTypes serve credential stores and assets.
	resolver   *resolver.Resolver
	storeTypes map[string]junction.CredentialStoreType
	// catalog, engine and redirectURI serve connectors, connections and
	// executions.
	catalog     connector.Definitions
	engine      *engine.Engine
	redirectURI string
	// triggers, publicURL, jobRecheck and jobSignal serve triggers and
	// jobs.
	triggers     *trigger.Runtime
	publicURL    string
	jobRecheck   time.Duration
	jobSignal    jobSignal
	usage        UsageMeter
	system       SystemInfo
	systemChecks func(ctx context.Context) []junction.Check
	// access remembers each user's Access between requests.
	access accessMemo
	// checklists and draftDocs remember the checklists and the JSON of
	// unchanged drafts.
	checklists textMemo[[]importer.ChecklistItem]
	draftDocs  textMemo[json.RawMessage]
}

// New returns an App working on store.
func New(store junction.Store, opts Options) *App {
	a := &App{store: store, clock: opts.Clock, logger: opts.Logger, keyring: opts.Keyring,
		resolver: opts.Resolver, storeTypes: opts.StoreTypes,
		catalog: opts.Catalog, engine: opts.Engine, redirectURI: opts.OAuthRedirectURI,
		triggers: opts.Triggers, publicURL: opts.PublicURL, jobRecheck: opts.JobRecheck,
		usage: opts.Usage, system: opts.System, systemChecks: opts.SystemChecks}
	if a.clock == nil {
		a.clock = junction.SystemClock{}
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if a.jobRecheck <= 0 {
		a.jobRecheck = DefaultJobRecheck
	}
	return a
}

type loggerKey struct{}

// WithLogger returns a context whose operations log through l. The HTTP
// layer passes a logger carrying the request ID, so the services' log lines
// about a request can be found with it.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// log returns the logger for work done under ctx.
func (a *App) log(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return a.logger
}

// now returns the current time in UTC, truncated to microseconds: that is
// what both databases keep, so an object returned by a create equals the
// same object read back later.
func (a *App) now() time.Time { return a.clock.Now().UTC().Truncate(time.Microsecond) }

// tx runs fn in one store transaction.
func (a *App) tx(ctx context.Context, fn func(tx junction.Store) error) error {
	return a.store.InTx(ctx, fn)
}

// requireTenant fails with permission_denied unless the caller holds perm
// tenant-wide. Use it for tenant-level objects (users, roles, audit); objects
// inside folders go through folderFor, which applies the not-found rule.
func requireTenant(p *junction.Principal, perm junction.Permission) error {
	if p.Access.CanTenant(perm) {
		return nil
	}
	return denied(perm)
}

func denied(perm junction.Permission) error {
	return &junction.Error{
		Code:    junction.EPERMISSIONDENIED,
		Message: "this needs the " + string(perm) + " permission",
		Details: map[string]any{"permission": string(perm)},
	}
}

// folderFor loads a folder for the caller and applies the rule for objects
// in folders: a folder the caller cannot see answers not_found, exactly as a
// missing one does, so its existence does not leak; a visible folder on which
// the caller lacks perm answers permission_denied. An empty perm only asks
// for visibility. st is the store to read from, usually the transaction.
func (a *App) folderFor(ctx context.Context, st junction.Store, p *junction.Principal, folderID string, perm junction.Permission) (*junction.Folder, error) {
	if !junction.ValidID(folderID) {
		return nil, junction.NotFound("folder")
	}
	f, err := st.GetFolder(ctx, p.TenantID(), folderID)
	if err != nil {
		return nil, err
	}
	if err := checkFolder(p, f, perm); err != nil {
		return nil, err
	}
	return f, nil
}

// checkFolder applies the folder rule to a folder already read: not found
// unless the caller sees it, denied without perm (when perm is set).
func checkFolder(p *junction.Principal, f *junction.Folder, perm junction.Permission) error {
	if !p.Access.SeesFolder(f) {
		return junction.NotFound("folder")
	}
	if perm != "" && !p.Access.Can(perm, f) {
		return denied(perm)
	}
	return nil
}

// Limits on names people type.
const (
	maxNameLen        = 100
	maxDescriptionLen = 1000
)

// cleanName trims s and checks it is a usable display name: non-empty, at
// most maxNameLen characters, no control characters.
func cleanName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", junction.Invalid(field, "must not be empty")
	}
	if !utf8.ValidString(s) {
		return "", junction.Invalid(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > maxNameLen {
		return "", junction.Invalid(field, "must be at most %d characters, not %d", maxNameLen, n)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", junction.Invalid(field, "must not contain control characters")
		}
	}
	return s, nil
}

// cleanLoginName checks a user or tenant name: 1 to 64 characters of
// letters, digits and . _ - @, starting with a letter or digit. These names
// appear in URLs, audit logs and shell commands, so they stay plain.
func cleanLoginName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", junction.Invalid(field, "must not be empty")
	}
	if len(s) > 64 {
		return "", junction.Invalid(field, "must be at most 64 characters")
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			i > 0 && (r == '.' || r == '_' || r == '-' || r == '@')
		if !ok {
			return "", junction.Invalid(field, "may hold only letters, digits and . _ - @, and must start with a letter or digit")
		}
	}
	return s, nil
}

func cleanDescription(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxDescriptionLen {
		return "", junction.Invalid(field, "must be at most %d characters", maxDescriptionLen)
	}
	return s, nil
}

// conflictName turns a store's unique-name clash into a message that says
// which name to change; other errors pass through.
func conflictName(err error, field, format string, args ...any) error {
	if junction.IsCode(err, junction.ECONFLICT) {
		e := junction.Errorf(junction.ECONFLICT, format, args...)
		e.Field = field
		e.Err = err
		return e
	}
	return err
}

// nextCursor returns the cursor for the page after items: the last ID when
// the page is full, "" when there is nothing more.
func nextCursor[T any](items []T, page junction.Page, id func(T) string) string {
	if len(items) == 0 || len(items) < page.Normalize().Limit {
		return ""
	}
	return id(items[len(items)-1])
}

// checkCursor rejects a cursor that cannot be an ID we issued.
func checkCursor(page junction.Page) error {
	if page.After != "" && !junction.ValidID(page.After) {
		return junction.Invalid("cursor", "is not a valid cursor")
	}
	return nil
}

func asError(err error, target **junction.Error) bool { return errors.As(err, target) }
