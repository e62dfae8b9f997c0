package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/clocktest"
	"junction/engine"
	"junction/keyring"
	"junction/notify"
	"junction/notify/mailtest"
	"junction/outbound"
	"junction/queue"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// planted is a connection secret that must never reach a notification.
const planted = "sk-live-planted-9f8e7d6c5b4a"

// smtpPassword is the SMTP login's password, which must never be logged.
const smtpPassword = "smtp-password-planted-1234"

var start = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

type env struct {
	ctx      context.Context
	store    junction.Store
	q        *queue.Queue
	ring     junction.Keyring
	clock    *clocktest.Clock
	n        *notify.Notifier
	mail     *mailtest.Server
	logs     *syncBuffer
	tenant   *junction.Tenant
	folder   *junction.Folder
	conn     *junction.Connection
	admin    *junction.User // Folder Administrator of folder
	viewer   *junction.User // Viewer of folder
	outsider *junction.User // no role
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{ctx: t.Context(), clock: clocktest.New(start), logs: &syncBuffer{}, mail: mailtest.Start(t)}
	db := sqldbtest.Open(t)
	e.store = db
	ring, err := keyring.New(keyring.GenerateKey())
	must(t, err)
	e.ring = ring
	e.q, err = queue.New(e.ctx, queue.Options{DB: db})
	must(t, err)
	out, err := outbound.New(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, MaxRetries: -1})
	must(t, err)
	mailer, err := notify.NewSMTP(notify.SMTPConfig{URL: "smtp://junction@" + e.mail.SMTPAddr,
		Password: junction.NewSecret(smtpPassword), From: "Junction <junction@example.com>"})
	must(t, err)
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.n = notify.New(notify.Options{Store: db, Queue: e.q, Keyring: ring, Outbound: out, Mailer: mailer,
		PublicURL: "https://junction.example.com", Clock: e.clock, Logger: logger})
	e.n.Register()

	e.tenant = &junction.Tenant{Name: "acme"}
	must(t, db.CreateTenant(e.ctx, e.tenant))
	e.folder = &junction.Folder{ID: junction.NewID(), TenantID: e.tenant.ID, Name: "Shared"}
	e.folder.Path = []string{e.folder.ID}
	must(t, db.CreateFolder(e.ctx, e.folder))
	roles := map[string]string{}
	for _, r := range junction.BuiltInRoles() {
		r.TenantID, r.BuiltIn = e.tenant.ID, true
		must(t, db.CreateRole(e.ctx, &r))
		roles[r.Name] = r.ID
	}
	user := func(name, role string) *junction.User {
		u := &junction.User{TenantID: e.tenant.ID, Name: name, Email: name + "-" + junction.NewID()[24:] + "@example.com"}
		must(t, db.CreateUser(e.ctx, u))
		if role != "" {
			must(t, db.SetAssignments(e.ctx, e.tenant.ID, u.ID, e.folder.ID, []string{roles[role]}))
		}
		return u
	}
	e.admin = user("ann", junction.RoleFolderAdmin)
	e.viewer = user("vic", junction.RoleViewer)
	e.outsider = user("otto", "")

	e.conn = &junction.Connection{ID: junction.NewID(), TenantID: e.tenant.ID, FolderID: e.folder.ID, Connector: "http",
		Name: "billing-api", AuthType: "bearer", Status: junction.ConnectionConnected,
		Fields: map[string]junction.FieldValue{"token": {Set: true}}, SecretsSealedID: junction.NewID()}
	sv, err := engine.SealSecrets(ring, e.tenant.ID, e.conn.SecretsSealedID, map[string]junction.Secret{"token": junction.NewSecret(planted)})
	must(t, err)
	must(t, db.PutSealed(e.ctx, sv))
	must(t, db.CreateConnection(e.ctx, e.conn))
	return e
}

// disconnect records the event the engine records when the connection's
// credentials fail.
func (e *env) disconnect(t *testing.T, reason string) {
	t.Helper()
	must(t, e.store.AppendEvent(e.ctx, &junction.Event{TenantID: e.tenant.ID, Type: junction.EventConnectionDisconnected,
		ObjectType: "connection", ObjectID: e.conn.ID, FolderID: e.folder.ID, At: e.clock.Now(),
		Details: map[string]any{"reason": reason, "connector": e.conn.Connector, "name": e.conn.Name}}))
}

func (e *env) dispatch(t *testing.T, want int) {
	t.Helper()
	n, err := e.n.DispatchPending(e.ctx)
	must(t, err)
	if n != want {
		t.Fatalf("dispatched %d events, want %d", n, want)
	}
}

func (e *env) inApp(t *testing.T, u *junction.User) []*junction.Notification {
	t.Helper()
	ns, err := e.store.ListNotifications(e.ctx, e.tenant.ID, u.ID, junction.NotificationFilter{})
	must(t, err)
	return ns
}

// emailJobs returns the queued email jobs, by scheduled time.
func (e *env) emailJobs(t *testing.T) []time.Time {
	t.Helper()
	res, err := e.q.Client().JobList(e.ctx, river.NewJobListParams().Kinds(notify.KindEmail).First(100))
	must(t, err)
	var out []time.Time
	for _, j := range res.Jobs {
		out = append(out, j.ScheduledAt.UTC().Truncate(time.Second))
	}
	return out
}

func (e *env) sendEmail(t *testing.T, u *junction.User) {
	t.Helper()
	must(t, e.n.SendEmail(e.ctx, e.tenant.ID, u.ID, e.conn.ID, junction.EventConnectionDisconnected))
}

func TestDisconnectedConnectionTellsFolderAdministrator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const reason = "the API answered 401 Unauthorized twice in a row"
	e.disconnect(t, reason)
	e.dispatch(t, 1)
	e.dispatch(t, 0) // once only

	ns := e.inApp(t, e.admin)
	if len(ns) != 1 || !strings.Contains(ns[0].Title, "billing-api") || !strings.Contains(ns[0].Body, reason) ||
		ns[0].Link != "https://junction.example.com/connections/"+e.conn.ID {
		t.Fatalf("folder administrator's notifications = %+v", ns)
	}
	if got := e.inApp(t, e.viewer); len(got) != 0 {
		t.Fatalf("a viewer got %d notifications by default", len(got))
	}
	if got := e.inApp(t, e.outsider); len(got) != 0 {
		t.Fatalf("a user who cannot see the connection got %d notifications", len(got))
	}

	e.sendEmail(t, e.admin)
	msgs := e.mail.Messages(t, e.admin.Email)
	if len(msgs) != 1 {
		t.Fatalf("received %d emails, want 1", len(msgs))
	}
	m := msgs[0]
	link := "https://junction.example.com/connections/" + e.conn.ID
	if !strings.Contains(m.Subject, "billing-api") || !strings.Contains(m.Text, reason) || !strings.Contains(m.Text, link) ||
		!strings.Contains(m.HTML, `href="`+link+`"`) {
		t.Fatalf("email = %+v", m)
	}
	for what, s := range map[string]string{"raw email": m.Raw, "logs": e.logs.String(), "in-app": ns[0].Title + ns[0].Body} {
		if strings.Contains(s, planted) || strings.Contains(s, smtpPassword) {
			t.Fatalf("the %s hold a secret", what)
		}
	}
}

func TestEmailsFoldIntoAnHourlyDigest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.disconnect(t, "first")
	e.dispatch(t, 1)
	e.sendEmail(t, e.admin)
	sentAt := e.clock.Now()

	// Two more within the hour: no email now, one job at the window's end.
	for _, r := range []string{"second", "third"} {
		e.clock.Advance(10 * time.Minute)
		e.disconnect(t, r)
		e.dispatch(t, 1)
	}
	jobs := e.emailJobs(t)
	var later int
	for _, at := range jobs {
		if at.Equal(sentAt.Add(notify.EmailWindow).Truncate(time.Second)) {
			later++
		} else if at.After(sentAt.Add(time.Minute)) {
			t.Fatalf("email job at %v", at)
		}
	}
	if len(jobs) != 2 || later != 1 {
		t.Fatalf("email jobs at %v: want the first and one at the window's end", jobs)
	}
	if got := len(e.mail.Messages(t, e.admin.Email)); got != 1 {
		t.Fatalf("%d emails before the window ended, want 1", got)
	}
	e.clock.Advance(time.Hour)
	e.sendEmail(t, e.admin)
	msgs := e.mail.Messages(t, e.admin.Email)
	if len(msgs) != 2 {
		t.Fatalf("%d emails, want 2", len(msgs))
	}
	d := msgs[1]
	if !strings.Contains(d.Subject, "2 notifications") || !strings.Contains(d.Text, "second") || !strings.Contains(d.Text, "third") {
		t.Fatalf("digest = %+v", d)
	}
	if got := len(e.inApp(t, e.admin)); got != 3 {
		t.Fatalf("%d in-app notifications, want one per event", got)
	}
}

func TestPreferencesChooseChannels(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The viewer asks for email only about this folder; the administrator
	// wants nothing in-app anywhere.
	must(t, e.store.SetNotificationPreferences(e.ctx, e.tenant.ID, e.viewer.ID, []junction.NotificationPreference{
		{EventType: junction.EventConnectionDisconnected, FolderID: e.folder.ID, Email: true}}))
	must(t, e.store.SetNotificationPreferences(e.ctx, e.tenant.ID, e.admin.ID, []junction.NotificationPreference{
		{EventType: junction.EventConnectionDisconnected, Email: true}}))
	// The outsider opting in still hears nothing: they cannot see it.
	must(t, e.store.SetNotificationPreferences(e.ctx, e.tenant.ID, e.outsider.ID, []junction.NotificationPreference{
		{EventType: junction.EventConnectionDisconnected, InApp: true, Email: true}}))
	e.disconnect(t, "revoked")
	e.dispatch(t, 1)
	if len(e.inApp(t, e.viewer)) != 0 || len(e.inApp(t, e.admin)) != 0 || len(e.inApp(t, e.outsider)) != 0 {
		t.Fatal("in-app notifications against the preferences")
	}
	e.sendEmail(t, e.viewer)
	if got := len(e.mail.Messages(t, e.viewer.Email)); got != 1 {
		t.Fatalf("viewer got %d emails, want 1", got)
	}
	must(t, e.n.SendEmail(e.ctx, e.tenant.ID, e.outsider.ID, e.conn.ID, junction.EventConnectionDisconnected))
	if got := len(e.mail.Messages(t, e.outsider.Email)); got != 0 {
		t.Fatalf("outsider got %d emails", got)
	}
}

func TestWebhookIsSignedLikeTriggerDeliveries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const secret = "notification-webhook-secret-0123"
	type got struct {
		header http.Header
		body   []byte
	}
	received := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received <- got{r.Header.Clone(), b}
	}))
	t.Cleanup(srv.Close)
	sealedID := junction.NewID()
	sv, err := e.ring.Seal(e.tenant.ID, sealedID, []byte(secret))
	must(t, err)
	must(t, e.store.PutSealed(e.ctx, sv))
	must(t, e.store.PutTenantSettings(e.ctx, &junction.TenantSettings{TenantID: e.tenant.ID, WebhookURL: srv.URL,
		WebhookSealedID: sealedID}))

	e.disconnect(t, "revoked")
	e.dispatch(t, 1)
	res, err := e.q.Client().JobList(e.ctx, river.NewJobListParams().Kinds(notify.KindWebhook))
	must(t, err)
	if len(res.Jobs) != 1 {
		t.Fatalf("%d webhook jobs queued, want 1", len(res.Jobs))
	}
	var args struct {
		TenantID, EventID string `json:"-"`
	}
	var raw map[string]string
	must(t, json.Unmarshal(res.Jobs[0].EncodedArgs, &raw))
	args.TenantID, args.EventID = raw["tenant_id"], raw["event_id"]
	must(t, e.n.PostWebhook(e.ctx, args.TenantID, args.EventID))
	r := <-received
	if !trigger.VerifySignature(junction.NewSecret(secret), r.header.Get(trigger.HeaderSignature),
		r.header.Get(trigger.HeaderTimestamp), r.body, e.clock.Now(), time.Minute) {
		t.Fatalf("signature does not verify: %v", r.header)
	}
	var body notify.WebhookBody
	must(t, json.Unmarshal(r.body, &body))
	if body.Type != junction.EventConnectionDisconnected || body.ObjectID != e.conn.ID || body.ID != args.EventID ||
		r.header.Get(trigger.HeaderIdempotencyKey) != args.EventID {
		t.Fatalf("webhook body = %s", r.body)
	}
	if bytes.Contains(r.body, []byte(planted)) || bytes.Contains(r.body, []byte(secret)) ||
		strings.Contains(e.logs.String(), secret) {
		t.Fatal("a secret left in the webhook or the logs")
	}
}
