package storetest

import (
	"testing"
	"time"

	"junction"
)

func testNotifications(t *testing.T, open Open) {
	t.Run("Dispatch", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		e1 := &junction.Event{TenantID: tn.ID, Type: junction.EventConnectionDisconnected, At: base}
		e2 := &junction.Event{TenantID: tn.ID, Type: junction.EventJobFailed, At: base}
		must(t, s.AppendEvent(ctx, e1))
		must(t, s.AppendEvent(ctx, e2))
		es, err := s.ListUndispatchedEvents(ctx, 10)
		must(t, err)
		wantIDs(t, "undispatched", ids(es, func(e *junction.Event) string { return e.ID }), []string{e1.ID, e2.ID})
		ok, err := s.MarkEventDispatched(ctx, tn.ID, e1.ID, base)
		must(t, err)
		wantEqual(t, "first mark", ok, true)
		ok, err = s.MarkEventDispatched(ctx, tn.ID, e1.ID, base)
		must(t, err)
		wantEqual(t, "second mark", ok, false)
		es, err = s.ListUndispatchedEvents(ctx, 10)
		must(t, err)
		wantIDs(t, "undispatched after mark", ids(es, func(e *junction.Event) string { return e.ID }), []string{e2.ID})
		got, err := s.GetEvent(ctx, tn.ID, e2.ID)
		must(t, err)
		wantEqual(t, "event type", got.Type, junction.EventJobFailed)
		_, err = s.GetEvent(ctx, mustTenant(t, s, "other").ID, e2.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("InApp", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		u := mustUser(t, s, tn.ID, "ann")
		other := mustUser(t, s, tn.ID, "bob")
		var made []string
		for i := range 3 {
			n := &junction.Notification{TenantID: tn.ID, UserID: u.ID, EventID: junction.NewID(),
				Type: junction.EventConnectionDisconnected, ObjectType: "connection", ObjectID: "c1",
				Title: "Connection disconnected", At: base.Add(time.Duration(i) * time.Second), InApp: true}
			must(t, s.CreateNotification(ctx, n))
			made = append(made, n.ID)
		}
		emailOnly := &junction.Notification{TenantID: tn.ID, UserID: u.ID, EventID: junction.NewID(), Type: "job.failed",
			Title: "x", At: base, EmailState: junction.EmailPending}
		must(t, s.CreateNotification(ctx, emailOnly))
		dup := &junction.Notification{TenantID: tn.ID, UserID: u.ID, EventID: emailOnly.EventID, Type: "job.failed", Title: "x"}
		wantCode(t, s.CreateNotification(ctx, dup), junction.ECONFLICT)

		list, err := s.ListNotifications(ctx, tn.ID, u.ID, junction.NotificationFilter{})
		must(t, err)
		wantIDs(t, "in-app, newest first", ids(list, func(n *junction.Notification) string { return n.ID }), newestFirst(made...))
		testPaging(t, newestFirst(made...), func(p junction.Page) []string {
			l, err := s.ListNotifications(ctx, tn.ID, u.ID, junction.NotificationFilter{Page: p})
			must(t, err)
			return ids(l, func(n *junction.Notification) string { return n.ID })
		})
		n, err := s.CountUnreadNotifications(ctx, tn.ID, u.ID)
		must(t, err)
		wantEqual(t, "unread", n, 3)

		read, err := s.MarkNotificationRead(ctx, tn.ID, u.ID, made[0], base.Add(time.Hour))
		must(t, err)
		if read.ReadAt == nil || !read.ReadAt.Equal(base.Add(time.Hour)) {
			t.Fatalf("read_at = %v", read.ReadAt)
		}
		again, err := s.MarkNotificationRead(ctx, tn.ID, u.ID, made[0], base.Add(2*time.Hour))
		must(t, err)
		wantTime(t, "read twice keeps the first", *again.ReadAt, base.Add(time.Hour))
		_, err = s.MarkNotificationRead(ctx, tn.ID, other.ID, made[1], base)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.MarkNotificationRead(ctx, tn.ID, u.ID, emailOnly.ID, base)
		wantCode(t, err, junction.ENOTFOUND)

		unread, err := s.ListNotifications(ctx, tn.ID, u.ID, junction.NotificationFilter{UnreadOnly: true})
		must(t, err)
		wantEqual(t, "unread listed", len(unread), 2)
		all, err := s.MarkAllNotificationsRead(ctx, tn.ID, u.ID, base)
		must(t, err)
		wantEqual(t, "marked all", all, 2)
		n, err = s.CountUnreadNotifications(ctx, tn.ID, u.ID)
		must(t, err)
		wantEqual(t, "unread after all", n, 0)
	})

	t.Run("Email", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		u := mustUser(t, s, tn.ID, "ann")
		last, err := s.LastEmailedAt(ctx, tn.ID, u.ID, "c1", junction.EventConnectionDisconnected)
		must(t, err)
		wantEqual(t, "never emailed", last.IsZero(), true)
		var pending []string
		for _, obj := range []string{"c1", "c1", "c2"} {
			n := &junction.Notification{TenantID: tn.ID, UserID: u.ID, EventID: junction.NewID(),
				Type: junction.EventConnectionDisconnected, ObjectID: obj, Title: "t", EmailState: junction.EmailPending}
			must(t, s.CreateNotification(ctx, n))
			if obj == "c1" {
				pending = append(pending, n.ID)
			}
		}
		got, err := s.ListPendingEmails(ctx, tn.ID, u.ID, "c1", junction.EventConnectionDisconnected)
		must(t, err)
		wantIDs(t, "pending", ids(got, func(n *junction.Notification) string { return n.ID }), pending)
		must(t, s.MarkEmailed(ctx, tn.ID, pending, base))
		got, err = s.ListPendingEmails(ctx, tn.ID, u.ID, "c1", junction.EventConnectionDisconnected)
		must(t, err)
		wantEqual(t, "pending after sent", len(got), 0)
		last, err = s.LastEmailedAt(ctx, tn.ID, u.ID, "c1", junction.EventConnectionDisconnected)
		must(t, err)
		wantTime(t, "last emailed", last, base)
	})

	t.Run("Preferences", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		u := mustUser(t, s, tn.ID, "ann")
		prefs := []junction.NotificationPreference{
			{EventType: junction.EventJobFailed, InApp: true},
			{EventType: junction.EventJobFailed, FolderID: "f1", Email: true},
		}
		must(t, s.SetNotificationPreferences(ctx, tn.ID, u.ID, prefs))
		got, err := s.ListNotificationPreferences(ctx, tn.ID, u.ID)
		must(t, err)
		if len(got) != 2 || got[0] != prefs[0] || got[1] != prefs[1] {
			t.Fatalf("preferences = %+v, want %+v", got, prefs)
		}
		must(t, s.SetNotificationPreferences(ctx, tn.ID, u.ID, prefs[1:]))
		got, err = s.ListNotificationPreferences(ctx, tn.ID, u.ID)
		must(t, err)
		wantEqual(t, "replaced", len(got), 1)
		wantCode(t, s.SetNotificationPreferences(ctx, tn.ID, u.ID, []junction.NotificationPreference{prefs[0], prefs[0]}),
			junction.ECONFLICT)
		got, err = s.ListNotificationPreferences(ctx, tn.ID, u.ID)
		must(t, err)
		wantEqual(t, "a failed replace keeps the old", len(got), 1)
	})

	t.Run("TenantSettings", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		got, err := s.GetTenantSettings(ctx, tn.ID)
		must(t, err)
		if got.TenantID != tn.ID || got.Retention != (junction.Retention{}) || got.WebhookURL != "" {
			t.Fatalf("settings never stored = %+v", got)
		}
		want := &junction.TenantSettings{TenantID: tn.ID, Retention: junction.Retention{ExecutionsDays: 7, AuditDays: 400},
			WebhookURL: "https://hooks.example.com/junction", WebhookSealedID: "sealed-1", UpdatedAt: base}
		must(t, s.PutTenantSettings(ctx, want))
		want.Retention.JobsDays = 3
		must(t, s.PutTenantSettings(ctx, want))
		got, err = s.GetTenantSettings(ctx, tn.ID)
		must(t, err)
		if got.Retention != want.Retention || got.WebhookURL != want.WebhookURL || got.WebhookSealedID != "sealed-1" {
			t.Fatalf("settings = %+v, want %+v", got, want)
		}
		wantCode(t, s.PutTenantSettings(ctx, &junction.TenantSettings{TenantID: junction.NewID()}), junction.ENOTFOUND)
	})
}

// testRetention proves each prune removes only rows past the cutoff, of
// its tenant, at most limit at a time.
func testRetention(t *testing.T, open Open) {
	s := open(t)
	ctx := ctxFor(t)
	tn := mustTenant(t, s, "acme")
	other := mustTenant(t, s, "other")
	cutoff := base.Add(10 * 24 * time.Hour)
	old, recent := base, cutoff.Add(time.Hour)

	f := mustFolder(t, s, tn.ID, nil, "f")
	of := mustFolder(t, s, other.ID, nil, "f")
	c := mustConnection(t, s, f, "http", "api", false)
	oc := mustConnection(t, s, of, "http", "api", false)
	for _, at := range []time.Time{old, old, old, recent} {
		must(t, s.AppendExecution(ctx, execution(c, "success", at)))
		must(t, s.AppendAudit(ctx, &junction.AuditEntry{TenantID: tn.ID, At: at, Action: "x.y", Outcome: "success"}))
	}
	must(t, s.AppendExecution(ctx, execution(oc, "success", old)))
	must(t, s.AppendAudit(ctx, &junction.AuditEntry{TenantID: other.ID, At: old, Action: "x.y", Outcome: "success"}))

	tr := mustTrigger(t, s, c, junction.TriggerPolling, "created")
	for i, at := range []time.Time{old, old, old, recent} {
		must(t, s.AppendTriggerRecord(ctx, &junction.TriggerRecord{TenantID: tn.ID, TriggerID: tr.ID, At: at,
			Status: junction.TriggerFailed}))
		j := mustJob(t, s, tr, "k"+string(rune('a'+i)), at)
		must(t, s.SetJobStatus(ctx, tn.ID, j.ID, junction.JobCompleted, 1, "", at))
	}
	pendingJob := mustJob(t, s, tr, "still-to-do", old)

	for _, p := range []struct {
		name  string
		prune func(limit int) (int, error)
		count func() int
	}{
		{"executions", func(l int) (int, error) { return s.PruneExecutions(ctx, tn.ID, cutoff, l) }, func() int {
			es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{})
			must(t, err)
			return len(es)
		}},
		{"audit", func(l int) (int, error) { return s.PruneAudit(ctx, tn.ID, cutoff, l) }, func() int {
			es, err := s.ListAudit(ctx, tn.ID, junction.AuditFilter{})
			must(t, err)
			return len(es)
		}},
		{"trigger history", func(l int) (int, error) { return s.PruneTriggerRecords(ctx, tn.ID, cutoff, l) }, func() int {
			rs, err := s.ListTriggerRecords(ctx, tn.ID, junction.TriggerRecordFilter{TriggerID: tr.ID})
			must(t, err)
			return len(rs)
		}},
		{"jobs", func(l int) (int, error) { return s.PruneJobs(ctx, tn.ID, cutoff, l) }, func() int {
			js, err := s.ListJobs(ctx, tn.ID, junction.JobFilter{})
			must(t, err)
			return len(js)
		}},
	} {
		before := p.count()
		n, err := p.prune(2)
		must(t, err)
		wantEqual(t, p.name+": first batch", n, 2)
		n, err = p.prune(2)
		must(t, err)
		wantEqual(t, p.name+": second batch", n, 1)
		n, err = p.prune(2)
		must(t, err)
		wantEqual(t, p.name+": nothing left past the cutoff", n, 0)
		wantEqual(t, p.name+": rows kept", p.count(), before-3)
	}
	if _, err := s.GetJob(ctx, tn.ID, pendingJob.ID); err != nil {
		t.Fatalf("a job still to do was pruned: %v", err)
	}
	es, err := s.ListExecutions(ctx, other.ID, junction.ExecutionFilter{})
	must(t, err)
	wantEqual(t, "the other tenant's executions", len(es), 1)
	as, err := s.ListAudit(ctx, other.ID, junction.AuditFilter{})
	must(t, err)
	wantEqual(t, "the other tenant's audit", len(as), 1)
}
