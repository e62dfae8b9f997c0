package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/app"
	"junction/clocktest"
	"junction/connector"
	"junction/engine"
	"junction/keyring"
	"junction/outbound"
	"junction/queue"
	"junction/resolver"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
	"junction/trigger"
)

// triggerEnv is an App with a trigger runtime on a fresh database, a
// folder, a webhook connection and a GitHub connection in it.
type triggerEnv struct {
	a       *app.App
	admin   *junction.Principal
	db      *sqldb.DB
	clock   *clocktest.Clock
	folder  *junction.Folder
	hook    *junction.Connection // the generic HTTP Webhook connector
	github  *junction.Connection
	ctx     context.Context
	ring    junction.Keyring
	runtime *trigger.Runtime
}

func withTriggers(t *testing.T) *triggerEnv {
	t.Helper()
	ctx := context.Background()
	db := sqldbtest.Open(t)
	clock := newClock()
	ring, err := keyring.New(keyring.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	res, err := resolver.New(resolver.Options{Store: db, Keyring: ring, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	cat, err := connector.LoadCatalog(connector.Builtin(), "")
	if err != nil {
		t.Fatal(err)
	}
	// No private network is allowed: loopback targets are refused.
	out, err := outbound.New(outbound.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Options{Store: db, Keyring: ring, Catalog: cat, Resolver: res, Outbound: out, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	q, err := queue.New(ctx, queue.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := trigger.New(trigger.Options{Store: db, Keyring: ring, Catalog: cat, Engine: eng, Queue: q, Outbound: out, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	a := app.New(db, app.Options{Clock: clock, Keyring: ring, Resolver: res, Catalog: cat, Engine: eng,
		Triggers: rt, PublicURL: "https://junction.example.com/", JobRecheck: 10 * time.Millisecond})
	boot, err := a.Bootstrap(ctx, app.BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin := must(a.Authenticate(ctx, boot.Token.Reveal()))
	e := &triggerEnv{a: a, admin: admin, db: db, clock: clock, ctx: ctx, ring: ring, runtime: rt}
	e.folder = must(a.CreateFolder(ctx, admin, app.CreateFolderInput{Name: "Automations"}))
	e.hook = must(a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "webhook",
		Name: "inbound", Fields: map[string]app.FieldInput{"signing_secret": text("shared-hook-secret")}, SkipTest: true}))
	e.github = must(a.CreateConnection(ctx, admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "github",
		Name: "gh", AuthType: "bearer", Fields: map[string]app.FieldInput{"token": text("ghp-test-token")}, SkipTest: true}))
	return e
}

func queueTarget(name string) app.TriggerTargetInput {
	return app.TriggerTargetInput{Type: junction.TargetQueue, Name: name}
}

// A trigger is checked whole before anything is stored; each mistake names
// its field and says what would be right.
func TestCreateTriggerValidation(t *testing.T) {
	e := withTriggers(t)
	secret := junction.NewSecret("target-signing-secret")
	other := must(e.a.CreateFolder(e.ctx, e.admin, app.CreateFolderInput{Name: "Other"}))
	hidden := must(e.a.CreateConnection(e.ctx, e.admin, app.CreateConnectionInput{FolderID: other.ID, Connector: "webhook",
		Name: "hidden", SkipTest: true}))
	// A caller who may create triggers in the folder but sees nothing of
	// the other one.
	user := must(e.a.CreateUser(e.ctx, e.admin, app.CreateUserInput{Name: "builder"})).User
	builder := &junction.Principal{User: user, Access: accessOf(grant{folder: e.folder.ID, perms: roleOf(junction.RoleAutomationDeveloper)})}

	repo := map[string]any{"owner": "acme", "repo": "api"}
	valid := func() app.CreateTriggerInput {
		return app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: e.github.ID, Object: "issue", Event: "created",
			Parameters: repo, Target: queueTarget("triage")}
	}
	for _, tc := range []struct {
		name, field, message string
		caller               *junction.Principal
		change               func(*app.CreateTriggerInput)
	}{
		{"UnknownObject", "object", "issue, pull_request", nil, func(in *app.CreateTriggerInput) { in.Object = "gist" }},
		{"UnknownEvent", "event", "created, updated, closed, deleted", nil, func(in *app.CreateTriggerInput) { in.Event = "starred" }},
		{"PollingOnlyWebhookEvent", "kind", "cannot be polled", nil, func(in *app.CreateTriggerInput) { in.Event = "closed"; in.Kind = junction.TriggerPolling }},
		{"PollInputMissing", "parameters.repo", "required", nil, func(in *app.CreateTriggerInput) {
			in.Parameters = map[string]any{"owner": "acme"}
		}},
		{"BadKind", "kind", "polling or webhook", nil, func(in *app.CreateTriggerInput) { in.Kind = "push" }},
		{"FilterSyntax", "filter", "Syntax error", nil, func(in *app.CreateTriggerInput) { in.Filter = "record.state ==" }},
		{"FilterNotBool", "filter", "must yield a bool", nil, func(in *app.CreateTriggerInput) { in.Filter = `record.title + "x"` }},
		{"FilterUnknownVariable", "filter", "undeclared reference", nil, func(in *app.CreateTriggerInput) { in.Filter = `issue.state == "open"` }},
		{"MissingTarget", "target.type", "webhook or queue", nil, func(in *app.CreateTriggerInput) { in.Target = app.TriggerTargetInput{} }},
		{"QueueWithoutName", "target.name", "queue name", nil, func(in *app.CreateTriggerInput) { in.Target = queueTarget(" ") }},
		{"WebhookWithoutURL", "target.url", "needs a url", nil, func(in *app.CreateTriggerInput) {
			in.Target = app.TriggerTargetInput{Type: junction.TargetWebhook, Secret: &secret}
		}},
		{"WebhookWithoutSecret", "target.secret", "needs a secret", nil, func(in *app.CreateTriggerInput) {
			in.Target = app.TriggerTargetInput{Type: junction.TargetWebhook, URL: "https://93.184.215.14/hook"}
		}},
		{"WebhookURLNotHTTP", "target.url", "http or https", nil, func(in *app.CreateTriggerInput) {
			in.Target = app.TriggerTargetInput{Type: junction.TargetWebhook, URL: "ftp://93.184.215.14/x", Secret: &secret}
		}},
		{"WebhookURLLoopback", "target.url", "", nil, func(in *app.CreateTriggerInput) {
			in.Target = app.TriggerTargetInput{Type: junction.TargetWebhook, URL: "http://127.0.0.1:8080/hook", Secret: &secret}
		}},
		{"WebhookURLPrivate", "target.url", "", nil, func(in *app.CreateTriggerInput) {
			in.Target = app.TriggerTargetInput{Type: junction.TargetWebhook, URL: "http://10.1.2.3/hook", Secret: &secret}
		}},
		{"MissingConnection", "connection_id", "no connection", nil, func(in *app.CreateTriggerInput) { in.ConnectionID = junction.NewID() }},
		{"ConnectionOutOfSight", "connection_id", "no connection", builder, func(in *app.CreateTriggerInput) { in.ConnectionID = hidden.ID }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := valid()
			tc.change(&in)
			caller := tc.caller
			if caller == nil {
				caller = e.admin
			}
			_, err := e.a.CreateTrigger(e.ctx, caller, in)
			var je *junction.Error
			if !errors.As(err, &je) || je.Field != tc.field {
				t.Fatalf("error %v, want one on %s", err, tc.field)
			}
			if je.Code != junction.EINVALID && je.Code != junction.EOUTBOUNDBLOCKED {
				t.Fatalf("code %s, want validation_failed or outbound_blocked", je.Code)
			}
			if !strings.Contains(je.Message, tc.message) {
				t.Fatalf("message %q does not say %q", je.Message, tc.message)
			}
		})
	}
	ts := must(e.a.ListTriggers(e.ctx, e.admin, app.TriggerQuery{}))
	if len(ts.Items) != 0 {
		t.Fatalf("refused triggers were stored: %d", len(ts.Items))
	}
	audit := must(e.a.ListAudit(e.ctx, e.admin, app.AuditQuery{ObjectType: "trigger"}))
	if len(audit.Items) != 0 {
		t.Fatalf("refused triggers were audited: %+v", audit.Items[0])
	}
}

// A webhook trigger gets a URL under the public URL whose token opens its
// intake; everyone who may view the trigger sees the same URL, nobody
// without access learns it exists, and each change is audited.
func TestTriggerLifecycle(t *testing.T) {
	e := withTriggers(t)
	v, err := e.a.CreateTrigger(e.ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: e.hook.ID,
		Object: "event", Event: "received", Filter: `vendor_type == "order.paid"`, Parameters: map[string]any{"team": "ops"},
		Target: queueTarget("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if v.Kind != junction.TriggerWebhook || !v.Enabled || v.Connector != "webhook" {
		t.Fatalf("trigger %+v", v.Trigger)
	}
	token, ok := strings.CutPrefix(v.WebhookURL, "https://junction.example.com/hooks/")
	if !ok || len(token) != 43 {
		t.Fatalf("webhook URL %q", v.WebhookURL)
	}
	if got := must(e.a.GetTrigger(e.ctx, e.admin, v.ID)); got.WebhookURL != v.WebhookURL {
		t.Fatalf("GetTrigger shows %q, create showed %q", got.WebhookURL, v.WebhookURL)
	}
	if hook, err := e.db.GetTriggerByTokenHash(e.ctx, trigger.HashWebhookToken(token)); err != nil || hook.ID != v.ID {
		t.Fatalf("the token finds %v (%v)", hook, err)
	}

	t.Run("PollingByDefault", func(t *testing.T) {
		p := must(e.a.CreateTrigger(e.ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: e.github.ID,
			Object: "issue", Event: "created", Parameters: map[string]any{"owner": "acme", "repo": "api"},
			Target: queueTarget("triage")}))
		if p.Kind != junction.TriggerPolling || p.WebhookURL != "" {
			t.Fatalf("trigger %+v, URL %q", p.Trigger, p.WebhookURL)
		}
		w := must(e.a.CreateTrigger(e.ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: e.github.ID,
			Object: "issue", Event: "created", Kind: junction.TriggerWebhook, Target: queueTarget("triage")}))
		if w.Kind != junction.TriggerWebhook || w.WebhookURL == "" || w.WebhookURL == v.WebhookURL {
			t.Fatalf("webhook trigger %+v, URL %q", w.Trigger, w.WebhookURL)
		}
	})

	t.Run("FolderRule", func(t *testing.T) {
		user := must(e.a.CreateUser(e.ctx, e.admin, app.CreateUserInput{Name: "outsider"})).User
		other := must(e.a.CreateFolder(e.ctx, e.admin, app.CreateFolderInput{Name: "Elsewhere"}))
		outsider := &junction.Principal{User: user, Access: accessOf(grant{folder: other.ID, perms: roleOf(junction.RoleAutomationUser)})}
		if _, err := e.a.GetTrigger(e.ctx, outsider, v.ID); !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatalf("an outsider reads the trigger: %v", err)
		}
		if err := e.a.DeleteTrigger(e.ctx, outsider, v.ID); !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatalf("an outsider deletes the trigger: %v", err)
		}
		if l := must(e.a.ListTriggers(e.ctx, outsider, app.TriggerQuery{})); len(l.Items) != 0 {
			t.Fatalf("an outsider lists %d triggers", len(l.Items))
		}
		viewer := &junction.Principal{User: user, Access: accessOf(grant{folder: e.folder.ID, perms: perms(junction.PermTriggersView)})}
		// The hook URL lets anyone send events: a viewer learns only
		// that there is one.
		if got := must(e.a.GetTrigger(e.ctx, viewer, v.ID)); got.WebhookURL != "" || !got.HasWebhookURL {
			t.Fatalf("a viewer sees URL %q (has_webhook_url %v)", got.WebhookURL, got.HasWebhookURL)
		}
		for _, it := range must(e.a.ListTriggers(e.ctx, viewer, app.TriggerQuery{})).Items {
			if it.WebhookURL != "" {
				t.Fatalf("a viewer lists the URL of %s", it.ID)
			}
		}
		editor := &junction.Principal{User: user, Access: accessOf(grant{folder: e.folder.ID,
			perms: perms(junction.PermTriggersView, junction.PermTriggersEdit)})}
		if got := must(e.a.GetTrigger(e.ctx, editor, v.ID)); got.WebhookURL != v.WebhookURL || v.WebhookURL == "" {
			t.Fatalf("an editor sees URL %q", got.WebhookURL)
		}
		if _, err := e.a.RotateTriggerHook(e.ctx, viewer, v.ID, 0); !junction.IsCode(err, junction.EPERMISSIONDENIED) {
			t.Fatalf("a viewer rotates the hook: %v", err)
		}
		if _, err := e.a.SetTriggerEnabled(e.ctx, viewer, v.ID, false); !junction.IsCode(err, junction.EPERMISSIONDENIED) {
			t.Fatalf("a viewer disables the trigger: %v", err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		f := `vendor_type == "order.refunded"`
		u := must(e.a.UpdateTrigger(e.ctx, e.admin, v.ID, app.UpdateTriggerInput{Filter: &f}))
		if u.Filter != f || u.WebhookURL != v.WebhookURL || u.Parameters["team"] != "ops" {
			t.Fatalf("updated %+v", u.Trigger)
		}
		bad := "record.x >"
		_, err := e.a.UpdateTrigger(e.ctx, e.admin, v.ID, app.UpdateTriggerInput{Filter: &bad})
		wantInvalid(t, err, "filter")
		if got := must(e.a.GetTrigger(e.ctx, e.admin, v.ID)); got.Filter != f {
			t.Fatalf("a refused update changed the filter to %q", got.Filter)
		}
		// A webhook target keeps its sealed secret when none is given again.
		s := junction.NewSecret("first-target-secret")
		if _, err := e.a.UpdateTrigger(e.ctx, e.admin, v.ID, app.UpdateTriggerInput{Target: &app.TriggerTargetInput{
			Type: junction.TargetWebhook, URL: "https://93.184.215.14/in", Secret: &s}}); err != nil {
			t.Fatal(err)
		}
		u = must(e.a.UpdateTrigger(e.ctx, e.admin, v.ID, app.UpdateTriggerInput{Target: &app.TriggerTargetInput{
			Type: junction.TargetWebhook, URL: "https://93.184.215.14/other"}}))
		got, err := trigger.OpenTargetSecret(e.ctx, e.db, e.ring, u.Trigger)
		if err != nil || got.Reveal() != s.Reveal() || !u.Target.SecretSet || u.Target.URL != "https://93.184.215.14/other" {
			t.Fatalf("target %+v, secret kept: %v (%v)", u.Target, got.Reveal() == s.Reveal(), err)
		}
		sealedID := u.Target.SealedID
		u = must(e.a.UpdateTrigger(e.ctx, e.admin, v.ID, app.UpdateTriggerInput{Target: ptrTo(queueTarget("orders"))}))
		if u.Target.SecretSet || u.Target.SealedID != "" {
			t.Fatalf("a queue target kept a secret: %+v", u.Target)
		}
		if _, err := e.db.GetSealed(e.ctx, u.TenantID, sealedID); !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatalf("the old target secret is still stored: %v", err)
		}
	})

	t.Run("EnableDisable", func(t *testing.T) {
		off := must(e.a.SetTriggerEnabled(e.ctx, e.admin, v.ID, false))
		if off.Enabled {
			t.Fatal("still enabled")
		}
		on := must(e.a.SetTriggerEnabled(e.ctx, e.admin, v.ID, true))
		if !on.Enabled || on.ConsecutiveFailures != 0 || on.DisabledReason != "" {
			t.Fatalf("enabled %+v", on.Trigger)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		if err := e.a.DeleteTrigger(e.ctx, e.admin, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.a.GetTrigger(e.ctx, e.admin, v.ID); !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatalf("deleted trigger: %v", err)
		}
		if _, err := e.db.GetTriggerByTokenHash(e.ctx, trigger.HashWebhookToken(token)); !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatalf("the token of a deleted trigger still finds it: %v", err)
		}
		var actions []string
		for _, a := range must(e.a.ListAudit(e.ctx, e.admin, app.AuditQuery{ObjectID: v.ID})).Items {
			actions = append(actions, a.Action)
		}
		want := "trigger.create trigger.update trigger.update trigger.update trigger.update trigger.disable trigger.enable trigger.delete"
		if got := strings.Join(actions, " "); got != want {
			t.Fatalf("audit %s, want %s", got, want)
		}
	})
}

func ptrTo[T any](v T) *T { return &v }

// newJob stores a job of a queue trigger, as the runtime does when the
// trigger fires.
func (e *triggerEnv) newJob(t *testing.T, tr *app.TriggerView, key string) *junction.Job {
	t.Helper()
	j := &junction.Job{TenantID: tr.TenantID, FolderID: tr.FolderID, TriggerID: tr.ID, ConnectionID: tr.ConnectionID,
		Connector: tr.Connector, Event: tr.Event, ObjectType: tr.Object, IdempotencyKey: key, Target: junction.TargetQueue,
		Queue: tr.Target.Name, Status: junction.JobPending, Payload: map[string]any{"key": key}}
	if made, err := e.db.CreateJob(e.ctx, j); err != nil || !made {
		t.Fatalf("create job: %v %v", made, err)
	}
	return j
}

// Workers claim a queue's jobs oldest first, only in folders where they
// hold Jobs.Process; a lease that runs out returns the job, and the worker
// who lost it can no longer complete it.
func TestJobs(t *testing.T) {
	e := withTriggers(t)
	tr := must(e.a.CreateTrigger(e.ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: e.hook.ID,
		Object: "event", Event: "received", Target: queueTarget("orders")}))
	first, second := e.newJob(t, tr, "k1"), e.newJob(t, tr, "k2")

	u1 := must(e.a.CreateUser(e.ctx, e.admin, app.CreateUserInput{Name: "worker1"})).User
	u2 := must(e.a.CreateUser(e.ctx, e.admin, app.CreateUserInput{Name: "worker2"})).User
	processing := grant{folder: e.folder.ID, perms: perms(junction.PermJobsView, junction.PermJobsProcess)}
	w1 := &junction.Principal{User: u1, Access: accessOf(processing)}
	w2 := &junction.Principal{User: u2, Access: accessOf(processing)}
	viewer := &junction.Principal{User: u2, Access: accessOf(grant{folder: e.folder.ID, perms: perms(junction.PermJobsView)})}

	if _, err := e.a.ClaimJob(e.ctx, viewer, app.ClaimJobInput{Queue: "orders"}); !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		t.Fatalf("a viewer claims: %v", err)
	}
	if _, err := e.a.ClaimJob(e.ctx, w1, app.ClaimJobInput{}); !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("a claim without a queue: %v", err)
	}
	c1 := must(e.a.ClaimJob(e.ctx, w1, app.ClaimJobInput{Queue: "orders", Lease: time.Minute}))
	if c1.Job == nil || c1.Job.ID != first.ID || c1.Job.Status != junction.JobClaimed || c1.Job.Attempts != 1 {
		t.Fatalf("first claim %+v", c1.Job)
	}
	c2 := must(e.a.ClaimJob(e.ctx, w2, app.ClaimJobInput{Queue: "orders", Lease: time.Minute}))
	if c2.Job == nil || c2.Job.ID != second.ID {
		t.Fatalf("second claim %+v", c2.Job)
	}
	if c := must(e.a.ClaimJob(e.ctx, w2, app.ClaimJobInput{Queue: "orders"})); c.Job != nil {
		t.Fatalf("a third claim got %s", c.Job.ID)
	}
	if c := must(e.a.ClaimJob(e.ctx, w2, app.ClaimJobInput{Queue: "other"})); c.Job != nil {
		t.Fatalf("another queue's claim got %s", c.Job.ID)
	}

	// w2 completes its job; w1's lease runs out and w2 takes that one too.
	done := must(e.a.CompleteJob(e.ctx, w2, second.ID, map[string]any{"ticket": 42.0}))
	if done.Status != junction.JobCompleted || done.CompletedAt == nil {
		t.Fatalf("completed %+v", done)
	}
	if _, err := e.a.CompleteJob(e.ctx, w2, second.ID, nil); !junction.IsCode(err, junction.ECONFLICT) {
		t.Fatalf("completing twice: %v", err)
	}
	e.clock.Advance(2 * time.Minute)
	again := must(e.a.ClaimJob(e.ctx, w2, app.ClaimJobInput{Queue: "orders"}))
	if again.Job == nil || again.Job.ID != first.ID || again.Job.Attempts != 2 {
		t.Fatalf("claim after the lease ran out %+v", again.Job)
	}
	if _, err := e.a.CompleteJob(e.ctx, w1, first.ID, nil); !junction.IsCode(err, junction.ECONFLICT) {
		t.Fatalf("the worker whose lease ran out completed the job: %v", err)
	}

	// A failure with retry returns the job; without, it fails for good.
	if _, err := e.a.FailJob(e.ctx, w2, first.ID, "", true); !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("a failure without a reason: %v", err)
	}
	retried := must(e.a.FailJob(e.ctx, w2, first.ID, "upstream busy", true))
	if retried.Status != junction.JobPending || retried.Error != "upstream busy" {
		t.Fatalf("retried %+v", retried)
	}
	last := must(e.a.ClaimJob(e.ctx, w1, app.ClaimJobInput{Queue: "orders"}))
	if last.Job == nil || last.Job.ID != first.ID {
		t.Fatalf("claim after a retry %+v", last.Job)
	}
	failed := must(e.a.FailJob(e.ctx, w1, first.ID, "bad payload", false))
	if failed.Status != junction.JobFailed {
		t.Fatalf("failed %+v", failed)
	}

	list := must(e.a.ListJobs(e.ctx, viewer, app.JobQuery{Queue: "orders", Status: junction.JobCompleted}))
	if len(list.Items) != 1 || list.Items[0].ID != second.ID {
		t.Fatalf("completed jobs %+v", list.Items)
	}
	if _, err := e.a.ListJobs(e.ctx, viewer, app.JobQuery{Status: "done"}); !junction.IsCode(err, junction.EINVALID) {
		t.Fatalf("a bad status filter: %v", err)
	}
	outsider := &junction.Principal{User: u1, Access: accessOf()}
	if _, err := e.a.GetJob(e.ctx, outsider, first.ID); !junction.IsCode(err, junction.ENOTFOUND) {
		t.Fatalf("an outsider reads a job: %v", err)
	}
	if l := must(e.a.ListJobs(e.ctx, outsider, app.JobQuery{})); len(l.Items) != 0 {
		t.Fatalf("an outsider lists %d jobs", len(l.Items))
	}
}

// A claim that finds nothing waits, holding no database connection, and
// takes the job made while it waits.
func TestClaimWaits(t *testing.T) {
	e := withTriggers(t)
	tr := must(e.a.CreateTrigger(e.ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: e.hook.ID,
		Object: "event", Event: "received", Target: queueTarget("orders")}))
	got := make(chan *app.ClaimResult, 1)
	errs := make(chan error, 1)
	go func() {
		r, err := e.a.ClaimJob(e.ctx, e.admin, app.ClaimJobInput{Queue: "orders", Wait: app.MaxClaimWait})
		got <- r
		errs <- err
	}()
	j := e.newJob(t, tr, "late")
	e.a.NotifyJobs()
	r := <-got
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if r.Job == nil || r.Job.ID != j.ID {
		t.Fatalf("the waiting claim got %+v", r.Job)
	}

	// A caller that goes away ends its wait.
	ctx, cancel := context.WithCancel(e.ctx)
	go func() {
		r, err := e.a.ClaimJob(ctx, e.admin, app.ClaimJobInput{Queue: "orders", Wait: app.MaxClaimWait})
		got <- r
		errs <- err
	}()
	cancel()
	<-got
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled claim answered %v", err)
	}
}
