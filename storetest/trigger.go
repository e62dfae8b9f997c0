package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"junction"
)

func mustTrigger(t *testing.T, s junction.Store, c *junction.Connection, kind junction.TriggerKind, event string) *junction.Trigger {
	t.Helper()
	tr := &junction.Trigger{ID: junction.NewID(), TenantID: c.TenantID, FolderID: c.FolderID, ConnectionID: c.ID,
		Connector: c.Connector, Object: "issue", Event: event, Kind: kind, Filter: `record.state == "open"`,
		Parameters: map[string]any{"flow": "triage"}, Enabled: true,
		Target:    junction.TriggerTarget{Type: junction.TargetQueue, Name: "inbox"},
		CreatedBy: "user-1", CreatedAt: base, UpdatedAt: base}
	if kind == junction.TriggerWebhook {
		tr.WebhookTokenHash = randomHash()
		tr.WebhookTokenSealedID = junction.NewID()
	}
	must(t, s.CreateTrigger(ctxFor(t), tr))
	return tr
}

func mustJob(t *testing.T, s junction.Store, tr *junction.Trigger, key string, at time.Time) *junction.Job {
	t.Helper()
	j := &junction.Job{TenantID: tr.TenantID, FolderID: tr.FolderID, TriggerID: tr.ID, ConnectionID: tr.ConnectionID,
		Connector: tr.Connector, Event: tr.Event, ObjectType: tr.Object, ObjectID: key,
		Payload: map[string]any{"id": key}, Parameters: tr.Parameters, IdempotencyKey: key,
		Target: junction.TargetQueue, Queue: "inbox", CreatedAt: at, UpdatedAt: at}
	made, err := s.CreateJob(ctxFor(t), j)
	must(t, err)
	if !made {
		t.Fatalf("job %s not made", key)
	}
	return j
}

func testTriggers(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "gh", false)
		tr := mustTrigger(t, s, c, junction.TriggerWebhook, "created")
		got, err := s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		wantEqual(t, "filter", got.Filter, tr.Filter)
		wantEqual(t, "kind", got.Kind, junction.TriggerWebhook)
		wantEqual(t, "target", got.Target.Name, "inbox")
		wantEqual(t, "parameter", got.Parameters["flow"], any("triage"))
		wantEqual(t, "enabled", got.Enabled, true)
		wantTime(t, "created", got.CreatedAt, base)
		byHash, err := s.GetTriggerByTokenHash(ctx, tr.WebhookTokenHash)
		must(t, err)
		wantEqual(t, "by hash", byHash.ID, tr.ID)
		_, err = s.GetTriggerByTokenHash(ctx, randomHash())
		wantCode(t, err, junction.ENOTFOUND)

		// The token hash is unique.
		dup := &junction.Trigger{TenantID: tn.ID, FolderID: f.ID, ConnectionID: c.ID, Connector: "github", Object: "issue",
			Event: "created", Kind: junction.TriggerWebhook, Target: tr.Target, WebhookTokenHash: tr.WebhookTokenHash}
		wantCode(t, s.CreateTrigger(ctx, dup), junction.ECONFLICT)

		got.Enabled, got.DisabledReason, got.Filter = false, "paused", ""
		must(t, s.UpdateTrigger(ctx, got))
		again, err := s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		wantEqual(t, "enabled after update", again.Enabled, false)
		wantEqual(t, "filter after update", again.Filter, "")

		off := false
		list, err := s.ListTriggers(ctx, tn.ID, junction.TriggerFilter{Enabled: &off})
		must(t, err)
		wantEqual(t, "disabled listed", len(list), 1)
		list, err = s.ListTriggers(ctx, tn.ID, junction.TriggerFilter{FolderIDs: []string{}})
		must(t, err)
		wantEqual(t, "empty folder list", len(list), 0)

		// Other tenants see nothing.
		other := mustTenant(t, s, "other")
		_, err = s.GetTrigger(ctx, other.ID, tr.ID)
		wantCode(t, err, junction.ENOTFOUND)

		must(t, s.DeleteTrigger(ctx, tn.ID, tr.ID))
		wantCode(t, s.DeleteTrigger(ctx, tn.ID, tr.ID), junction.ENOTFOUND)
	})
	t.Run("Names", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		g := mustFolder(t, s, tn.ID, nil, "G")
		c := mustConnection(t, s, f, "github", "gh", false)
		named := func(folder *junction.Folder, name string) *junction.Trigger {
			return &junction.Trigger{TenantID: tn.ID, FolderID: folder.ID, ConnectionID: c.ID, Connector: "github",
				Object: "issue", Event: "created", Kind: junction.TriggerPolling, Name: name,
				Target: junction.TriggerTarget{Type: junction.TargetQueue, Name: "q"}}
		}
		first := named(f, "New issues")
		must(t, s.CreateTrigger(ctx, first))
		got, err := s.GetTrigger(ctx, tn.ID, first.ID)
		must(t, err)
		wantEqual(t, "name", got.Name, "New issues")

		// A name is the only one of its name in its folder.
		err = s.CreateTrigger(ctx, named(f, "New issues"))
		wantCode(t, err, junction.ECONFLICT)
		var e *junction.Error
		if !errors.As(err, &e) || e.Field != "name" {
			t.Fatalf("name clash: want field name, got %v", err)
		}
		// The same name in another folder is fine, and so are many
		// unnamed triggers in one.
		other := named(g, "New issues")
		must(t, s.CreateTrigger(ctx, other))
		for range 3 {
			must(t, s.CreateTrigger(ctx, named(f, "")))
		}
		// Renaming onto a taken name clashes; renaming to a free one works.
		unnamed := named(f, "")
		must(t, s.CreateTrigger(ctx, unnamed))
		unnamed.Name = "New issues"
		wantCode(t, s.UpdateTrigger(ctx, unnamed), junction.ECONFLICT)
		unnamed.Name = "Closed issues"
		must(t, s.UpdateTrigger(ctx, unnamed))
		got, err = s.GetTrigger(ctx, tn.ID, unnamed.ID)
		must(t, err)
		wantEqual(t, "renamed", got.Name, "Closed issues")
		// Moving a named trigger into a folder that has its name clashes.
		other.FolderID = f.ID
		wantCode(t, s.UpdateTrigger(ctx, other), junction.ECONFLICT)

		list, err := s.ListTriggers(ctx, tn.ID, junction.TriggerFilter{NameContains: "issues"})
		must(t, err)
		wantEqual(t, "name contains", len(list), 3)
		list, err = s.ListTriggers(ctx, tn.ID, junction.TriggerFilter{NameContains: "closed", FolderIDs: []string{f.ID}})
		must(t, err)
		wantEqual(t, "name contains, ignoring case", len(list), 1)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		tr := &junction.Trigger{TenantID: tn.ID, FolderID: f.ID, ConnectionID: junction.NewID(), Connector: "github",
			Object: "issue", Event: "created", Kind: junction.TriggerPolling,
			Target: junction.TriggerTarget{Type: junction.TargetQueue, Name: "q"}}
		wantCode(t, s.CreateTrigger(ctx, tr), junction.ENOTFOUND)
		tr.FolderID = junction.NewID()
		wantCode(t, s.CreateTrigger(ctx, tr), junction.ENOTFOUND)
		_, err := s.GetTrigger(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
	})
	t.Run("Health", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "gh", false)
		tr := mustTrigger(t, s, c, junction.TriggerPolling, "created")
		at := base.Add(time.Hour)
		for i := 1; i <= 3; i++ {
			u, err := s.RecordTriggerResult(ctx, tn.ID, tr.ID, false, at)
			must(t, err)
			wantEqual(t, "failures", u.ConsecutiveFailures, i)
		}
		// Too few failures: not disabled.
		off, err := s.DisableTriggerForFailures(ctx, tn.ID, tr.ID, 4, at, at)
		must(t, err)
		wantEqual(t, "disabled with too few failures", off, false)
		// Created within the window and never succeeded: not yet.
		off, err = s.DisableTriggerForFailures(ctx, tn.ID, tr.ID, 3, base.Add(-time.Hour), at)
		must(t, err)
		wantEqual(t, "disabled within the window", off, false)
		off, err = s.DisableTriggerForFailures(ctx, tn.ID, tr.ID, 3, at, at)
		must(t, err)
		wantEqual(t, "disabled", off, true)
		off, err = s.DisableTriggerForFailures(ctx, tn.ID, tr.ID, 3, at, at)
		must(t, err)
		wantEqual(t, "disabled twice", off, false)
		got, err := s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		wantEqual(t, "reason", got.DisabledReason, junction.DisabledDueToFailures)
		u, err := s.RecordTriggerResult(ctx, tn.ID, tr.ID, true, at)
		must(t, err)
		wantEqual(t, "failures after success", u.ConsecutiveFailures, 0)
		wantTime(t, "last success", *u.LastSuccessAt, at)

		must(t, s.SetTriggerBaseline(ctx, tn.ID, tr.ID, at))
		must(t, s.SetTriggerBaseline(ctx, tn.ID, tr.ID, at.Add(time.Hour)))
		got, err = s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		wantTime(t, "baseline kept", *got.BaselineAt, at)

		r := &junction.TriggerRecord{TenantID: tn.ID, TriggerID: tr.ID, FolderID: f.ID, At: at,
			Status: junction.TriggerSkipped, Reason: "filter did not match", ObjectID: "7"}
		must(t, s.AppendTriggerRecord(ctx, r))
		rs, err := s.ListTriggerRecords(ctx, tn.ID, junction.TriggerRecordFilter{TriggerID: tr.ID, Status: junction.TriggerSkipped})
		must(t, err)
		wantEqual(t, "records", len(rs), 1)
		wantEqual(t, "reason", rs[0].Reason, r.Reason)
	})
	t.Run("PollState", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "gh", false)
		mustTrigger(t, s, c, junction.TriggerPolling, "created")
		subs, err := s.ListPollSubscriptions(ctx, "", 10)
		must(t, err)
		wantEqual(t, "subscriptions", len(subs), 1)
		wantEqual(t, "connector", subs[0].Connector, "github")
		wantEqual(t, "parameters", subs[0].Parameters["flow"], any("triage"))
		const repoA, repoB = "hash-of-repo-a", "hash-of-repo-b"
		_, err = s.GetPollState(ctx, tn.ID, c.ID, "issue", "created", repoA)
		wantCode(t, err, junction.ENOTFOUND)
		wm := time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC) // nanoseconds kept
		st := &junction.PollState{TenantID: tn.ID, ConnectionID: c.ID, Object: "issue", Event: "created", InputHash: repoA,
			Watermark: wm, Seen: []junction.SeenRecord{{ID: "1", At: wm}}, Baselined: true, Slot: base}
		ok, err := s.PutPollState(ctx, st)
		must(t, err)
		wantEqual(t, "stored", ok, true)
		ok, err = s.PutPollState(ctx, st)
		must(t, err)
		wantEqual(t, "stored for the same slot", ok, false)

		// Another input of the same (connection, object, event) has a
		// state of its own, polled in the same interval.
		other := &junction.PollState{TenantID: tn.ID, ConnectionID: c.ID, Object: "issue", Event: "created", InputHash: repoB,
			Cursor: "b1", Slot: base}
		ok, err = s.PutPollState(ctx, other)
		must(t, err)
		wantEqual(t, "stored for another input in the same slot", ok, true)

		st.Slot = base.Add(5 * time.Minute)
		st.Cursor = "c2"
		ok, err = s.PutPollState(ctx, st)
		must(t, err)
		wantEqual(t, "stored for a later slot", ok, true)
		got, err := s.GetPollState(ctx, tn.ID, c.ID, "issue", "created", repoA)
		must(t, err)
		wantEqual(t, "input hash", got.InputHash, repoA)
		wantTime(t, "watermark", got.Watermark, wm)
		wantEqual(t, "cursor", got.Cursor, "c2")
		wantEqual(t, "seen", len(got.Seen), 1)
		wantTime(t, "slot", got.Slot, st.Slot)
		got, err = s.GetPollState(ctx, tn.ID, c.ID, "issue", "created", repoB)
		must(t, err)
		wantEqual(t, "other input's cursor", got.Cursor, "b1")
		wantTime(t, "other input's slot", got.Slot, base)

		// The scheduler's batch read: one slot per existing state.
		key := func(hash string) junction.PollStateKey {
			return junction.PollStateKey{ConnectionID: c.ID, Object: "issue", Event: "created", InputHash: hash}
		}
		slots, err := s.PollSlots(ctx, []junction.PollStateKey{key(repoA), key(repoB), key("never-polled"),
			{ConnectionID: junction.NewID(), Object: "issue", Event: "created", InputHash: repoA}})
		must(t, err)
		wantEqual(t, "slots", len(slots), 2)
		wantTime(t, "slot of A", slots[key(repoA)], st.Slot)
		wantTime(t, "slot of B", slots[key(repoB)], base)
		slots, err = s.PollSlots(ctx, nil)
		must(t, err)
		wantEqual(t, "slots of nothing", len(slots), 0)
	})
	t.Run("PollClaims", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "gh", false)
		base := time.Date(2025, 3, 14, 15, 0, 0, 0, time.UTC)
		key := junction.PollStateKey{ConnectionID: c.ID, Object: "issue", Event: "created", InputHash: "h"}
		states, err := s.PollStates(ctx, []junction.PollStateKey{key})
		must(t, err)
		wantEqual(t, "states before the first claim", len(states), 0)

		// The first claim makes an empty state; a second claim of the
		// same interval fails.
		ok, err := s.ClaimPollSlot(ctx, tn.ID, key, base)
		must(t, err)
		wantEqual(t, "claimed", ok, true)
		ok, err = s.ClaimPollSlot(ctx, tn.ID, key, base)
		must(t, err)
		wantEqual(t, "claimed twice", ok, false)
		got, err := s.GetPollState(ctx, tn.ID, c.ID, "issue", "created", "h")
		must(t, err)
		wantEqual(t, "baselined", got.Baselined, false)
		wantTime(t, "slot", got.Slot, base)

		// The claimant stores its outcome; a poll of an earlier interval
		// cannot.
		wm := time.Date(2025, 3, 14, 14, 59, 0, 123456789, time.UTC)
		st := &junction.PollState{TenantID: tn.ID, ConnectionID: c.ID, Object: "issue", Event: "created", InputHash: "h",
			Watermark: wm, Seen: []junction.SeenRecord{{ID: "1", At: wm}}, Baselined: true, Slot: base}
		ok, err = s.PutClaimedPollState(ctx, st)
		must(t, err)
		wantEqual(t, "stored by the claimant", ok, true)
		stale := *st
		stale.Slot, stale.Cursor = base.Add(-time.Minute), "stale"
		ok, err = s.PutClaimedPollState(ctx, &stale)
		must(t, err)
		wantEqual(t, "stored for another interval", ok, false)
		states, err = s.PollStates(ctx, []junction.PollStateKey{key, {ConnectionID: c.ID, Object: "issue", Event: "created",
			InputHash: "never-polled"}})
		must(t, err)
		wantEqual(t, "states", len(states), 1)
		wantTime(t, "watermark", states[key].Watermark, wm)
		wantEqual(t, "cursor", states[key].Cursor, "")
		wantEqual(t, "seen", len(states[key].Seen), 1)

		// A claim keeps the state; a release gives the interval back.
		next := base.Add(time.Minute)
		ok, err = s.ClaimPollSlot(ctx, tn.ID, key, next)
		must(t, err)
		wantEqual(t, "claimed the next interval", ok, true)
		must(t, s.ReleasePollSlot(ctx, key, next, base))
		got, err = s.GetPollState(ctx, tn.ID, c.ID, "issue", "created", "h")
		must(t, err)
		wantTime(t, "slot after the release", got.Slot, base)
		wantTime(t, "watermark kept", got.Watermark, wm)
		wantEqual(t, "baselined kept", got.Baselined, true)
		ok, err = s.ClaimPollSlot(ctx, tn.ID, key, next)
		must(t, err)
		wantEqual(t, "claimed again after the release", ok, true)

		// The triggers a batch of polls applies its results to: the
		// enabled polling ones on the connections asked for.
		polled := mustTrigger(t, s, c, junction.TriggerPolling, "created")
		mustTrigger(t, s, c, junction.TriggerWebhook, "created")
		off := mustTrigger(t, s, c, junction.TriggerPolling, "updated")
		off.Enabled = false
		must(t, s.UpdateTrigger(ctx, off))
		other := mustConnection(t, s, f, "github", "gh2", false)
		mustTrigger(t, s, other, junction.TriggerPolling, "created")
		ts, err := s.ListPollingTriggers(ctx, []string{c.ID, junction.NewID()})
		must(t, err)
		wantEqual(t, "polling triggers", len(ts), 1)
		wantEqual(t, "polling trigger", ts[0].ID, polled.ID)
		ts, err = s.ListPollingTriggers(ctx, nil)
		must(t, err)
		wantEqual(t, "polling triggers of no connection", len(ts), 0)

		// Successes recorded together reset the failure count.
		_, err = s.RecordTriggerResult(ctx, tn.ID, polled.ID, false, base)
		must(t, err)
		ok2 := base.Add(time.Minute)
		must(t, s.RecordTriggerSuccesses(ctx, []string{polled.ID, off.ID}, ok2))
		got2, err := s.GetTrigger(ctx, tn.ID, polled.ID)
		must(t, err)
		wantEqual(t, "failures after a success", got2.ConsecutiveFailures, 0)
		wantTime(t, "last success", *got2.LastSuccessAt, ok2)
		must(t, s.RecordTriggerSuccesses(ctx, nil, ok2))

		// Claims of many states at once: only existing states with an
		// earlier slot are claimed.
		later := next.Add(time.Minute)
		other2 := junction.PollStateKey{ConnectionID: other.ID, Object: "issue", Event: "created", InputHash: "h"}
		ok, err = s.ClaimPollSlot(ctx, tn.ID, other2, later)
		must(t, err)
		wantEqual(t, "claimed the other connection", ok, true)
		set, err := s.ClaimPollSlots(ctx, later, []junction.PollStateKey{key, other2,
			{ConnectionID: c.ID, Object: "issue", Event: "created", InputHash: "never-polled"}})
		must(t, err)
		wantEqual(t, "claimed together", len(set), 1)
		wantEqual(t, "claimed together", set[0], key)
		set, err = s.ClaimPollSlots(ctx, later, []junction.PollStateKey{key})
		must(t, err)
		wantEqual(t, "claimed together twice", len(set), 0)
		got, err = s.GetPollState(ctx, tn.ID, c.ID, "issue", "created", "h")
		must(t, err)
		wantTime(t, "slot claimed together", got.Slot, later)
		wantTime(t, "watermark kept", got.Watermark, wm)

		// A connection that is gone claims nothing, without an error.
		ok, err = s.ClaimPollSlot(ctx, tn.ID, junction.PollStateKey{ConnectionID: junction.NewID(), Object: "issue",
			Event: "created", InputHash: "h"}, base)
		must(t, err)
		wantEqual(t, "claimed for a missing connection", ok, false)
	})
	t.Run("PollSubscriptions", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "gh", false)
		repo := func(name string) map[string]any { return map[string]any{"owner": "octo", "repo": name} }
		// Two triggers on one repository are one subscription; a third on
		// another repository, and a webhook or disabled trigger, are not.
		for _, p := range []map[string]any{repo("a"), repo("a"), repo("b"), repo("c")} {
			tr := mustTrigger(t, s, c, junction.TriggerPolling, "created")
			tr.Parameters = p
			must(t, s.UpdateTrigger(ctx, tr))
		}
		off := mustTrigger(t, s, c, junction.TriggerPolling, "created")
		off.Parameters, off.Enabled = repo("d"), false
		must(t, s.UpdateTrigger(ctx, off))
		mustTrigger(t, s, c, junction.TriggerWebhook, "created")

		var got []string
		after := ""
		for range 5 {
			page, err := s.ListPollSubscriptions(ctx, after, 2)
			must(t, err)
			for _, sub := range page {
				wantEqual(t, "connection", sub.ConnectionID, c.ID)
				wantEqual(t, "tenant", sub.TenantID, tn.ID)
				got = append(got, sub.Parameters["repo"].(string))
			}
			if len(page) < 2 {
				break
			}
			after = page[len(page)-1].PageKey
		}
		wantEqual(t, "subscriptions", strings.Join(got, ","), "a,b,c")
	})
	t.Run("JobClaimOrder", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "gh", false)
		tr := mustTrigger(t, s, c, junction.TriggerWebhook, "created")
		// Jobs are made in whatever order their events are processed;
		// workers get them in the order the events were received
		// (CreatedAt), then by ID.
		mustJob(t, s, tr, "late", base.Add(2*time.Second))
		mustJob(t, s, tr, "early", base)
		mustJob(t, s, tr, "tie-a", base.Add(time.Second))
		mustJob(t, s, tr, "tie-b", base.Add(time.Second))
		var got []string
		for i := range 5 {
			j, err := s.ClaimJob(ctx, tn.ID, nil, "inbox", "w", time.Minute, base.Add(time.Hour))
			if i == 4 {
				wantCode(t, err, junction.ENOTFOUND)
				break
			}
			must(t, err)
			got = append(got, j.ObjectID)
		}
		wantEqual(t, "claim order", strings.Join(got, ","), "early,tie-a,tie-b,late")
	})
	t.Run("WebhookTokenRotation", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "gh", false)
		tr := mustTrigger(t, s, c, junction.TriggerWebhook, "created")
		old := tr.WebhookTokenHash

		// Rotated with a grace period: both hashes find the trigger.
		now := time.Now().UTC().Truncate(time.Millisecond)
		expires := now.Add(time.Hour)
		tr.PreviousWebhookTokenHash, tr.PreviousWebhookTokenExpiresAt = old, &expires
		tr.WebhookTokenHash = randomHash()
		must(t, s.UpdateTrigger(ctx, tr))
		for name, h := range map[string][]byte{"new": tr.WebhookTokenHash, "old": old} {
			got, err := s.GetTriggerByTokenHash(ctx, h)
			must(t, err)
			wantEqual(t, name+" token finds the trigger", got.ID, tr.ID)
			wantTime(t, name+" token: previous expiry", *got.PreviousWebhookTokenExpiresAt, expires)
			wantEqual(t, name+" token: accepted", got.AcceptsWebhookToken(h, now), true)
			wantEqual(t, name+" token: accepted after the grace", got.AcceptsWebhookToken(h, expires), name == "new")
		}

		// Past its expiry the old hash finds nothing.
		gone := now.Add(-time.Second)
		tr.PreviousWebhookTokenExpiresAt = &gone
		must(t, s.UpdateTrigger(ctx, tr))
		_, err := s.GetTriggerByTokenHash(ctx, old)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetTriggerByTokenHash(ctx, tr.WebhookTokenHash)
		must(t, err)

		// A previous hash is unique too: no other trigger may take it.
		other := mustTrigger(t, s, c, junction.TriggerWebhook, "created")
		other.PreviousWebhookTokenHash, other.PreviousWebhookTokenExpiresAt = old, &expires
		wantCode(t, s.UpdateTrigger(ctx, other), junction.ECONFLICT)

		// Rotated with no grace: the old hash is dropped.
		tr.PreviousWebhookTokenHash, tr.PreviousWebhookTokenExpiresAt = nil, nil
		must(t, s.UpdateTrigger(ctx, tr))
		got, err := s.GetTrigger(ctx, tn.ID, tr.ID)
		must(t, err)
		if got.PreviousWebhookTokenHash != nil || got.PreviousWebhookTokenExpiresAt != nil {
			t.Fatalf("previous token kept: %x %v", got.PreviousWebhookTokenHash, got.PreviousWebhookTokenExpiresAt)
		}
	})

	t.Run("TallyTriggerRecord", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "gh", false)
		tr := mustTrigger(t, s, c, junction.TriggerWebhook, "created")
		other := mustTrigger(t, s, c, junction.TriggerWebhook, "created")
		minute := base.Truncate(time.Minute)
		tally := func(tr *junction.Trigger, at time.Time, reason string) *junction.TriggerRecord {
			t.Helper()
			r := &junction.TriggerRecord{TenantID: tn.ID, TriggerID: tr.ID, FolderID: tr.FolderID, At: at,
				Status: junction.TriggerRejectedSignature, Reason: reason}
			must(t, s.TallyTriggerRecord(ctx, r))
			return r
		}
		first := tally(tr, minute, "no signature")
		wantEqual(t, "first count", first.Count, 1)
		var last *junction.TriggerRecord
		for range 4 {
			last = tally(tr, minute, "bad signature")
		}
		wantEqual(t, "same record", last.ID, first.ID)
		wantEqual(t, "count", last.Count, 5)
		next := tally(tr, minute.Add(time.Minute), "bad signature")
		wantEqual(t, "next minute count", next.Count, 1)
		wantEqual(t, "other trigger count", tally(other, minute, "bad signature").Count, 1)
		// An ordinary record at the same time is not counted into.
		must(t, s.AppendTriggerRecord(ctx, &junction.TriggerRecord{TenantID: tn.ID, TriggerID: tr.ID, FolderID: f.ID,
			At: minute, Status: junction.TriggerFailed, Reason: "body is not JSON"}))

		recs, err := s.ListTriggerRecords(ctx, tn.ID, junction.TriggerRecordFilter{TriggerID: tr.ID})
		must(t, err)
		wantEqual(t, "records", len(recs), 3)
		wantEqual(t, "tallied", recs[0].Count, 5)
		wantEqual(t, "latest reason", recs[0].Reason, "bad signature")
		wantEqual(t, "status", recs[0].Status, junction.TriggerRejectedSignature)
		wantEqual(t, "an appended record counts one", recs[2].Count, 1)

		wantCode(t, s.TallyTriggerRecord(ctx, &junction.TriggerRecord{TenantID: tn.ID, TriggerID: tr.ID,
			Status: junction.TriggerFailed}), junction.EINVALID)
		wantCode(t, s.TallyTriggerRecord(ctx, &junction.TriggerRecord{TenantID: tn.ID, TriggerID: junction.NewID(),
			At: minute, Status: junction.TriggerRejectedSignature}), junction.ENOTFOUND)
	})

	t.Run("Job", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		g := mustFolder(t, s, tn.ID, nil, "G")
		c := mustConnection(t, s, f, "github", "gh", false)
		tr := mustTrigger(t, s, c, junction.TriggerPolling, "created")
		j1 := mustJob(t, s, tr, "k1", base)
		mustJob(t, s, tr, "k2", base)
		again := &junction.Job{TenantID: tn.ID, FolderID: f.ID, TriggerID: tr.ID, IdempotencyKey: "k1",
			Target: junction.TargetQueue, Queue: "inbox"}
		made, err := s.CreateJob(ctx, again)
		must(t, err)
		wantEqual(t, "duplicate key made a job", made, false)
		byKey, err := s.GetJobByKey(ctx, tn.ID, tr.ID, "k1")
		must(t, err)
		wantEqual(t, "by key", byKey.ID, j1.ID)
		wantEqual(t, "payload", byKey.Payload.(map[string]any)["id"], any("k1"))

		_, err = s.ClaimJob(ctx, tn.ID, []string{g.ID}, "inbox", "w", time.Minute, base)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.ClaimJob(ctx, tn.ID, nil, "other", "w", time.Minute, base)
		wantCode(t, err, junction.ENOTFOUND)
		c1, err := s.ClaimJob(ctx, tn.ID, []string{f.ID}, "inbox", "w1", time.Minute, base)
		must(t, err)
		wantEqual(t, "oldest first", c1.ID, j1.ID)
		wantEqual(t, "status", c1.Status, junction.JobClaimed)
		wantEqual(t, "attempts", c1.Attempts, 1)
		wantTime(t, "lease", *c1.LeaseExpiresAt, base.Add(time.Minute))
		c2, err := s.ClaimJob(ctx, tn.ID, nil, "inbox", "w2", time.Minute, base)
		must(t, err)
		_, err = s.ClaimJob(ctx, tn.ID, nil, "inbox", "w3", time.Minute, base)
		wantCode(t, err, junction.ENOTFOUND)

		_, err = s.FailJob(ctx, tn.ID, c1.ID, "w1", "busy", true, base)
		must(t, err)
		back, err := s.ClaimJob(ctx, tn.ID, nil, "inbox", "w3", time.Minute, base)
		must(t, err)
		wantEqual(t, "retried job", back.ID, c1.ID)
		wantEqual(t, "attempts after retry", back.Attempts, 2)
		done, err := s.CompleteJob(ctx, tn.ID, back.ID, "w3", map[string]any{"n": 1}, base)
		must(t, err)
		wantEqual(t, "completed", done.Status, junction.JobCompleted)
		_, err = s.CompleteJob(ctx, tn.ID, back.ID, "w3", nil, base)
		wantCode(t, err, junction.ECONFLICT)
		_, err = s.CompleteJob(ctx, tn.ID, junction.NewID(), "w3", nil, base)
		wantCode(t, err, junction.ENOTFOUND)

		// An expired lease returns the job to the queue.
		late := base.Add(2 * time.Minute)
		taken, err := s.ClaimJob(ctx, tn.ID, nil, "inbox", "w4", time.Minute, late)
		must(t, err)
		wantEqual(t, "taken over", taken.ID, c2.ID)
		_, err = s.FailJob(ctx, tn.ID, c2.ID, "w2", "late", false, late)
		wantCode(t, err, junction.ECONFLICT)

		list, err := s.ListJobs(ctx, tn.ID, junction.JobFilter{Status: junction.JobCompleted})
		must(t, err)
		wantEqual(t, "completed jobs", len(list), 1)

		// Deleting the trigger deletes its jobs.
		must(t, s.DeleteTrigger(ctx, tn.ID, tr.ID))
		_, err = s.GetJob(ctx, tn.ID, j1.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})
	t.Run("JobOperator", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn, other := mustTenant(t, s, "acme"), mustTenant(t, s, "other")
		c := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "F"), "github", "gh", false)
		tr := mustTrigger(t, s, c, junction.TriggerPolling, "created")
		j := mustJob(t, s, tr, "k1", base)
		at := base.Add(time.Minute)

		// Cancelling a claimed job takes it from its worker.
		_, err := s.ClaimJob(ctx, tn.ID, nil, "inbox", "w1", time.Hour, base)
		must(t, err)
		got, err := s.CancelJob(ctx, tn.ID, j.ID, "cancelled: wrong customer", at)
		must(t, err)
		wantEqual(t, "status", got.Status, junction.JobCancelled)
		wantEqual(t, "error", got.Error, "cancelled: wrong customer")
		wantEqual(t, "lease", got.LeaseExpiresAt == nil, true)
		wantTime(t, "completed", *got.CompletedAt, at)
		_, err = s.CompleteJob(ctx, tn.ID, j.ID, "w1", nil, at)
		wantCode(t, err, junction.ECONFLICT)
		_, err = s.ClaimJob(ctx, tn.ID, nil, "inbox", "w2", time.Hour, base.Add(2*time.Hour))
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.CancelJob(ctx, tn.ID, j.ID, "again", at)
		wantCode(t, err, junction.ECONFLICT)
		// A delivery under way does not undo a cancel.
		must(t, s.SetJobStatus(ctx, tn.ID, j.ID, junction.JobPending, 2, "the target answered HTTP 503", at))
		got, err = s.GetJob(ctx, tn.ID, j.ID)
		must(t, err)
		wantEqual(t, "status after a delivery's write", got.Status, junction.JobCancelled)

		// A retry starts a new round: pending, nothing of the last one left.
		got, err = s.RetryJob(ctx, tn.ID, j.ID, at)
		must(t, err)
		wantEqual(t, "status", got.Status, junction.JobPending)
		wantEqual(t, "attempts", got.Attempts, 0)
		wantEqual(t, "error", got.Error, "")
		wantEqual(t, "claimed by", got.ClaimedBy, "")
		wantEqual(t, "completed", got.CompletedAt == nil, true)
		wantTime(t, "updated", got.UpdatedAt, at)
		_, err = s.RetryJob(ctx, tn.ID, j.ID, at)
		wantCode(t, err, junction.ECONFLICT)
		claimed, err := s.ClaimJob(ctx, tn.ID, nil, "inbox", "w2", time.Hour, at)
		must(t, err)
		wantEqual(t, "claimed again", claimed.ID, j.ID)
		wantEqual(t, "attempts of the new round", claimed.Attempts, 1)
		_, err = s.FailJob(ctx, tn.ID, j.ID, "w2", "bad payload", false, at)
		must(t, err)
		got, err = s.RetryJob(ctx, tn.ID, j.ID, at)
		must(t, err)
		wantEqual(t, "failed job retried", got.Status, junction.JobPending)
		claimed, err = s.ClaimJob(ctx, tn.ID, nil, "inbox", "w3", time.Hour, at)
		must(t, err)
		_, err = s.CompleteJob(ctx, tn.ID, claimed.ID, "w3", map[string]any{"ok": true}, at)
		must(t, err)
		_, err = s.RetryJob(ctx, tn.ID, j.ID, at)
		wantCode(t, err, junction.ECONFLICT)
		_, err = s.CancelJob(ctx, tn.ID, j.ID, "late", at)
		wantCode(t, err, junction.ECONFLICT)

		// Another tenant's job is as missing as a job that is gone.
		_, err = s.RetryJob(ctx, other.ID, j.ID, at)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.CancelJob(ctx, other.ID, j.ID, "x", at)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.DeleteJob(ctx, other.ID, j.ID), junction.ENOTFOUND)
		must(t, s.DeleteJob(ctx, tn.ID, j.ID))
		_, err = s.GetJob(ctx, tn.ID, j.ID)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.DeleteJob(ctx, tn.ID, j.ID), junction.ENOTFOUND)
		_, err = s.RetryJob(ctx, tn.ID, j.ID, at)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.SetJobStatus(ctx, tn.ID, j.ID, junction.JobFailed, 1, "x", at), junction.ENOTFOUND)
	})
}
