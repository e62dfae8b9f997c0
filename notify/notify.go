// Package notify tells people what happened: it turns the events Junction
// records (a connection disconnected, a trigger disabled, a job failed)
// into in-app notifications for the users who should hear of them, emails
// (at most one per user, object and event type an hour; later ones wait
// for a digest) and a signed POST to the tenant's notification webhook.
// Emails and webhook posts are jobs on the durable queue, retried.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/outbound"
	"junction/queue"
)

// Options configure a Notifier.
type Options struct {
	Store   junction.Store
	Queue   *queue.Queue
	Keyring junction.Keyring
	// Outbound sends webhook posts, through the private-network guard.
	Outbound *outbound.Client
	// Mailer sends emails; nil sends none (no SMTP server configured).
	Mailer Mailer
	// PublicURL is the base of the links notifications carry.
	PublicURL string
	Clock     junction.Clock
	Logger    *slog.Logger
	// DispatchEvery is how often the elected leader turns new events into
	// notifications (DefaultDispatchEvery when zero).
	DispatchEvery time.Duration
}

// Defaults.
const (
	DefaultDispatchEvery = 10 * time.Second
	// EmailWindow is the least time between two emails to one user about
	// one object and event type; what happens meanwhile goes in a digest.
	EmailWindow = time.Hour
	// dispatchBatch bounds the events one pass reads at once.
	dispatchBatch = 100
	// maxAttempts of an email or webhook job before it is given up.
	maxAttempts = 10
)

// Job kinds.
const (
	KindDispatch = "notify_dispatch"
	KindEmail    = "notify_email"
	KindWebhook  = "notify_webhook"
)

// Notifier dispatches events and sends notifications. It is safe for
// concurrent use.
type Notifier struct {
	store     junction.Store
	queue     *queue.Queue
	keyring   junction.Keyring
	out       *outbound.Client
	mailer    Mailer
	publicURL string
	clock     junction.Clock
	logger    *slog.Logger
	every     time.Duration
}

// New returns a Notifier; call Register before the queue starts.
func New(opts Options) *Notifier {
	n := &Notifier{store: opts.Store, queue: opts.Queue, keyring: opts.Keyring, out: opts.Outbound, mailer: opts.Mailer,
		publicURL: strings.TrimRight(opts.PublicURL, "/"), clock: opts.Clock, logger: opts.Logger, every: opts.DispatchEvery}
	if n.clock == nil {
		n.clock = junction.SystemClock{}
	}
	if n.logger == nil {
		n.logger = slog.New(slog.DiscardHandler)
	}
	if n.every <= 0 {
		n.every = DefaultDispatchEvery
	}
	return n
}

// Register adds the notifier's workers and its periodic dispatch to the
// queue.
func (n *Notifier) Register() {
	w := n.queue.Workers()
	river.AddWorker(w, &dispatchWorker{n: n})
	river.AddWorker(w, &emailWorker{n: n})
	river.AddWorker(w, &webhookWorker{n: n})
	n.queue.AddPeriodic(river.NewPeriodicJob(river.PeriodicInterval(n.every),
		func() (river.JobArgs, *river.InsertOpts) { return dispatchArgs{}, nil },
		&river.PeriodicJobOpts{ID: KindDispatch, RunOnStart: true}))
}

// DispatchPending turns every event not yet dispatched into notifications
// and queued emails and webhook posts, and returns how many events it
// dispatched. Each event is dispatched in one transaction with its
// notifications and jobs, by one server only.
func (n *Notifier) DispatchPending(ctx context.Context) (int, error) {
	total := 0
	for {
		events, err := n.store.ListUndispatchedEvents(ctx, dispatchBatch)
		if err != nil {
			return total, err
		}
		for _, e := range events {
			done, err := n.dispatch(ctx, e)
			if err != nil {
				return total, fmt.Errorf("dispatch event %s: %w", e.ID, err)
			}
			if done {
				total++
			}
		}
		if len(events) < dispatchBatch {
			return total, nil
		}
	}
}

// recipient is one user to tell of an event, and how.
type recipient struct {
	user         *junction.User
	inApp, email bool
}

func (n *Notifier) dispatch(ctx context.Context, e *junction.Event) (bool, error) {
	rs, err := n.recipients(ctx, e)
	if err != nil {
		return false, err
	}
	settings, err := n.store.GetTenantSettings(ctx, e.TenantID)
	if err != nil {
		return false, err
	}
	msg := render(e, n.link(e))
	now := n.clock.Now()
	done := false
	err = n.store.InTx(ctx, func(tx junction.Store) error {
		ok, err := tx.MarkEventDispatched(ctx, e.TenantID, e.ID, now)
		if err != nil || !ok {
			done = false
			return err
		}
		done = true
		for _, r := range rs {
			if err := n.notify(ctx, tx, e, msg, r, now); err != nil {
				return err
			}
		}
		if settings.WebhookURL != "" {
			if _, err := n.queue.InsertTx(ctx, tx, webhookArgs{TenantID: e.TenantID, EventID: e.ID},
				&river.InsertOpts{MaxAttempts: maxAttempts}); err != nil {
				return err
			}
		}
		return nil
	})
	return done, err
}

// notify stores one user's notification and, when they get email, queues
// the email: now when they had none about this object and event type in
// the last EmailWindow, else at the window's end, when one job sends all
// that came meanwhile as a digest.
func (n *Notifier) notify(ctx context.Context, tx junction.Store, e *junction.Event, msg message, r recipient, now time.Time) error {
	email := r.email && n.mailer != nil && r.user.Email != ""
	if !r.inApp && !email {
		return nil
	}
	nt := &junction.Notification{TenantID: e.TenantID, UserID: r.user.ID, EventID: e.ID, Type: e.Type,
		ObjectType: e.ObjectType, ObjectID: e.ObjectID, FolderID: e.FolderID, Title: msg.title, Body: msg.body,
		Link: msg.link, At: e.At, InApp: r.inApp}
	if email {
		nt.EmailState = junction.EmailPending
	}
	if err := tx.CreateNotification(ctx, nt); err != nil {
		return err
	}
	if !email {
		return nil
	}
	last, err := tx.LastEmailedAt(ctx, e.TenantID, r.user.ID, e.ObjectID, e.Type)
	if err != nil {
		return err
	}
	due := now
	if !last.IsZero() && last.Add(EmailWindow).After(now) {
		due = last.Add(EmailWindow)
	}
	return n.queueEmail(ctx, tx, emailArgs{TenantID: e.TenantID, UserID: r.user.ID, ObjectID: e.ObjectID, Type: e.Type,
		Due: due.Unix()}, due)
}

// queueEmail inserts an email job unless one for the same user, object,
// event type and time waits already: that one will send this
// notification too.
func (n *Notifier) queueEmail(ctx context.Context, tx junction.Store, a emailArgs, due time.Time) error {
	_, err := n.queue.InsertTx(ctx, tx, a, &river.InsertOpts{MaxAttempts: maxAttempts, ScheduledAt: due,
		UniqueOpts: river.UniqueOpts{ByArgs: true}})
	return err
}

// recipients decides who hears of e: each enabled user who can see the
// object and either chose to (a preference for the event type on the
// object's folder or an ancestor, or for every folder; the most specific
// wins) or, having chosen nothing, gets it by default (DefaultRecipient).
func (n *Notifier) recipients(ctx context.Context, e *junction.Event) ([]recipient, error) {
	var folder *junction.Folder
	if e.FolderID != "" {
		f, err := n.store.GetFolder(ctx, e.TenantID, e.FolderID)
		if junction.IsCode(err, junction.ENOTFOUND) {
			return nil, nil // the folder is gone, and the object with it
		}
		if err != nil {
			return nil, err
		}
		folder = f
	}
	roles, err := n.rolesByID(ctx, e.TenantID)
	if err != nil {
		return nil, err
	}
	var out []recipient
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		users, err := n.store.ListUsers(ctx, e.TenantID, junction.UserFilter{Page: page})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.Disabled {
				continue
			}
			as, err := n.store.ListAssignments(ctx, e.TenantID, u.ID)
			if err != nil {
				return nil, err
			}
			if !CanSee(junction.NewAccess(as, roles), e, folder) {
				continue
			}
			prefs, err := n.store.ListNotificationPreferences(ctx, e.TenantID, u.ID)
			if err != nil {
				return nil, err
			}
			inApp, email := Choose(prefs, e.Type, folder, DefaultRecipient(as, e, folder))
			if inApp || email {
				out = append(out, recipient{user: u, inApp: inApp, email: email})
			}
		}
		if len(users) < page.Limit {
			return out, nil
		}
		page.After = users[len(users)-1].ID
	}
}

func (n *Notifier) rolesByID(ctx context.Context, tenantID string) (map[string]*junction.Role, error) {
	out := map[string]*junction.Role{}
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		rs, err := n.store.ListRoles(ctx, tenantID, page)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out[r.ID] = r
		}
		if len(rs) < page.Limit {
			return out, nil
		}
		page.After = rs[len(rs)-1].ID
	}
}

// CanSee reports whether a user with access a may hear of e at all: they
// could read the object it is about.
func CanSee(a junction.Access, e *junction.Event, folder *junction.Folder) bool {
	switch e.ObjectType {
	case "credential_store":
		return a.CanTenant(junction.PermCredentialStoresView)
	case "tenant":
		// The tenant's usage against its quotas (quota.threshold): those
		// who may read the whole tenant's usage, which needs Logs.View.
		return a.CanTenant(junction.PermLogsView)
	case "connection":
		return folder != nil && a.Can(junction.PermConnectionsView, folder)
	case "trigger":
		return folder != nil && a.Can(junction.PermTriggersView, folder)
	case "job":
		return folder != nil && a.Can(junction.PermJobsView, folder)
	}
	return false
}

// DefaultRecipient reports whether a user with these role assignments
// hears of e without having chosen: folder administrators (the Folder
// Administrator role on the object's folder or an ancestor) and tenant
// administrators hear of the connection, trigger and job events of their
// folders; tenant administrators of credential store events.
func DefaultRecipient(as []junction.RoleAssignment, e *junction.Event, folder *junction.Folder) bool {
	for _, a := range as {
		if a.FolderID == "" && a.RoleName == junction.RoleTenantAdmin {
			return true
		}
		if e.ObjectType != "credential_store" && folder != nil && a.RoleName == junction.RoleFolderAdmin &&
			slices.Contains(folder.Path, a.FolderID) {
			return true
		}
	}
	return false
}

// Choose applies a user's preferences to an event of type eventType in
// folder (nil for events outside folders): the preference for the deepest
// folder on the folder's path wins, then the one for every folder; with
// none, def gives both channels or neither.
func Choose(prefs []junction.NotificationPreference, eventType string, folder *junction.Folder, def bool) (inApp, email bool) {
	best, depth := -1, -1
	for i, p := range prefs {
		if p.EventType != eventType {
			continue
		}
		d := 0
		if p.FolderID != "" {
			if folder == nil {
				continue
			}
			k := slices.Index(folder.Path, p.FolderID)
			if k < 0 {
				continue
			}
			d = k + 1
		}
		if d > depth {
			best, depth = i, d
		}
	}
	if best < 0 {
		return def, def
	}
	return prefs[best].InApp, prefs[best].Email
}

// link is where a notification points: the object's page in the web UI,
// which a person reading an email or the bell can open (the API answers
// their browser with a bearer-token challenge only).
func (n *Notifier) link(e *junction.Event) string {
	if n.publicURL == "" || e.ObjectID == "" {
		return ""
	}
	switch e.ObjectType {
	case "connection":
		return n.publicURL + "/connections/" + e.ObjectID
	case "trigger":
		return n.publicURL + "/triggers/" + e.ObjectID
	case "job":
		return n.publicURL + "/jobs?id=" + e.ObjectID
	case "credential_store":
		return n.publicURL + "/credential-stores?id=" + e.ObjectID
	}
	// A quota threshold is about the whole tenant: the usage page shows
	// what used it up and the quota beside it.
	if e.Type == junction.EventQuotaThreshold {
		return n.publicURL + "/usage"
	}
	return ""
}

// errNoMailer is returned by an email job on a server without SMTP.
var errNoMailer = errors.New("notify: no SMTP server is configured")
