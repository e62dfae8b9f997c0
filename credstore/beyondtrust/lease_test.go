package beyondtrust_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"junction"
	"junction/clocktest"
	"junction/secretcache"
)

const managedName = "managed:db-prod-01/svc_erp"

// The request a read holds is checked in when its lease is released, once:
// a second release, or one for a lease the store no longer holds, does
// nothing.
func TestReleaseLease_ChecksIn(t *testing.T) {
	ctx := t.Context()
	h := newHarness(t)
	h.srv.PutAccount("db-prod-01", "svc_erp", "pw-managed-1")
	s := open(t, h)
	v, err := s.Read(ctx, junction.KindSecret, managedName)
	if err != nil {
		t.Fatal(err)
	}
	for _, lease := range []string{"garbage", "1001.999", v.Lease, v.Lease} {
		if err := s.ReleaseLease(ctx, lease); err != nil {
			t.Fatalf("ReleaseLease(%q) = %v", lease, err)
		}
	}
	if n, open := h.srv.Count("checkin"), h.srv.OpenRequests(); n != 1 || open != 0 {
		t.Fatalf("%d check-ins, %d open; want the one request checked in once", n, open)
	}
}

// Reading an account again checks its earlier request in first, so that
// Password Safe grants a new request for the full duration rather than
// answering with the old one; releasing the old value's lease afterwards
// leaves the new request alone.
func TestRead_AgainChecksInEarlierRequest(t *testing.T) {
	ctx := t.Context()
	h := newHarness(t)
	h.srv.PutAccount("db-prod-01", "svc_erp", "pw-managed-1")
	s := open(t, h)
	first, err := s.Read(ctx, junction.KindSecret, managedName)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Read(ctx, junction.KindSecret, managedName)
	if err != nil {
		t.Fatal(err)
	}
	if h.srv.Count("reused") != 0 || h.srv.Count("request") != 2 || h.srv.Count("checkin") != 1 || h.srv.OpenRequests() != 1 {
		t.Fatalf("requests %d (reused %d), check-ins %d, open %d; want a fresh second request after checking the first in",
			h.srv.Count("request"), h.srv.Count("reused"), h.srv.Count("checkin"), h.srv.OpenRequests())
	}
	if err := s.ReleaseLease(ctx, first.Lease); err != nil || h.srv.OpenRequests() != 1 {
		t.Fatalf("releasing the replaced lease: %v, %d open; want the new request kept", err, h.srv.OpenRequests())
	}
	if err := s.ReleaseLease(ctx, second.Lease); err != nil || h.srv.OpenRequests() != 0 {
		t.Fatalf("releasing the current lease: %v, %d open", err, h.srv.OpenRequests())
	}
}

// Where the account's policy changes the password at check-in, the password
// Junction holds stays the account's password while it is cached: it
// changes only once the cache lets the value (and its request) go.
func TestRead_HeldPasswordStaysValid(t *testing.T) {
	ctx := t.Context()
	h := newHarness(t)
	h.srv.PutAccount("db-prod-01", "svc_erp", "pw-managed-1")
	h.srv.SetRotateOnCheckin("db-prod-01", "svc_erp", true)
	s := open(t, h)
	v, err := s.Read(ctx, junction.KindSecret, managedName)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Password("db-prod-01", "svc_erp"); got != v.Value.Reveal() {
		t.Fatal("the password changed while Junction holds it")
	}
	if err := s.ReleaseLease(ctx, v.Lease); err != nil {
		t.Fatal(err)
	}
	if got := h.srv.Password("db-prod-01", "svc_erp"); got == v.Value.Reveal() {
		t.Fatal("the policy's rotation at check-in did not happen")
	}
}

// Through the secret cache: a managed password is kept for the request's
// duration less the cache's margin, and its request is checked in when the
// cached value expires, not before.
func TestCache_ChecksInWhenValueExpires(t *testing.T) {
	ctx := t.Context()
	h := newHarness(t)
	h.config["duration_minutes"] = "10"
	h.srv.PutAccount("db-prod-01", "svc_erp", "pw-managed-1")
	s := open(t, h)
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	start := clock.Now()
	c, err := secretcache.New(secretcache.Options{Clock: clock, TTL: time.Hour,
		Release: func(ctx context.Context, _, lease string) error { return s.ReleaseLease(ctx, lease) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	read := func(ctx context.Context) (junction.StoredSecret, error) {
		return s.Read(ctx, junction.KindSecret, managedName)
	}
	if _, err := c.Get(ctx, managedName, read); err != nil {
		t.Fatal(err)
	}
	// The first read is a use, so it is renewed once, 57s before its early
	// expiry at 9m30s: the old request is checked in, a new one held.
	clock.Set(start.Add(8 * time.Minute))
	c.RenewLeases(ctx)
	if h.srv.Count("checkin") != 0 || h.srv.OpenRequests() != 1 {
		t.Fatalf("%d check-ins before the value expired", h.srv.Count("checkin"))
	}
	clock.Set(start.Add(8*time.Minute + 33*time.Second))
	c.RenewLeases(ctx)
	if h.srv.Count("request") != 2 || h.srv.Count("checkin") != 1 || h.srv.OpenRequests() != 1 {
		t.Fatalf("after the renewal: %d requests, %d check-ins, %d open", h.srv.Count("request"), h.srv.Count("checkin"), h.srv.OpenRequests())
	}
	// Nobody uses the renewed value: it expires, and its request is
	// checked in.
	clock.Set(start.Add(8*time.Minute + 33*time.Second + 9*time.Minute + 30*time.Second))
	c.RenewLeases(ctx)
	if h.srv.Count("request") != 2 || h.srv.Count("checkin") != 2 || h.srv.OpenRequests() != 0 {
		t.Fatalf("after expiry: %d requests, %d check-ins, %d open; want every request checked in", h.srv.Count("request"), h.srv.Count("checkin"), h.srv.OpenRequests())
	}
}

// While Password Safe is still changing a password it checked in, a read
// is refused as unavailable (the cache keeps the old value meanwhile)
// rather than handed the password being replaced.
func TestRead_RefusedWhilePasswordChanges(t *testing.T) {
	ctx := t.Context()
	h := newHarness(t)
	h.srv.PutAccount("db-prod-01", "svc_erp", "pw-managed-1")
	h.srv.SetRotateOnCheckin("db-prod-01", "svc_erp", true)
	h.srv.SetChangeLags("db-prod-01", "svc_erp", true)
	s := open(t, h)
	if _, err := s.Read(ctx, junction.KindSecret, managedName); err != nil {
		t.Fatal(err)
	}
	_, err := s.Read(ctx, junction.KindSecret, managedName) // checks the first in: the change starts
	if junction.ErrorCode(err) != junction.ECREDSTOREUNAVAILABLE || !strings.Contains(junction.ErrorMessage(err), "changing the password") {
		t.Fatalf("Read during the change = %v, want %s saying so", err, junction.ECREDSTOREUNAVAILABLE)
	}
	h.srv.FinishChange("db-prod-01", "svc_erp")
	v, err := s.Read(ctx, junction.KindSecret, managedName)
	if err != nil || v.Value.Reveal() != h.srv.Password("db-prod-01", "svc_erp") || v.Value.Reveal() == "pw-managed-1" {
		t.Fatalf("Read after the change = %v; want the new password", err)
	}
	if h.srv.OpenRequests() != 1 {
		t.Fatalf("%d requests open, want the one held", h.srv.OpenRequests())
	}
}
