package delinea_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
	"junction/credstore/delinea"
	"junction/secretcache"
)

// A read says how long its value stays valid from the secret's expiry in
// Secret Server (whole days): nothing when it does not expire, a day less
// than it says (the rounding is not documented), and five minutes once it
// expires within about a day or has expired.
func TestRead_ValidForFromExpiry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		expires time.Duration // from now; zero for never
		want    time.Duration
	}{
		{"Never", 0, 0},
		{"InTenDays", 10*24*time.Hour + time.Hour, 9 * 24 * time.Hour},
		{"InADayAndAHalf", 36 * time.Hour, 5 * time.Minute},
		{"InTwoHours", 2 * time.Hour, 5 * time.Minute},
		{"Expired", -3 * 24 * time.Hour, 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := passwordHarness(t)
			id := h.srv.Put("erp-login", "erp", "pw-erp-expiring")
			if tc.expires != 0 {
				h.srv.SetExpires(id, h.clock.Now().Add(tc.expires))
			}
			s := h.NewStore(t, junction.CredentialStoreOptions{Name: "corp ss", Allow: credstoretest.Loopback})
			for _, name := range []string{"erp-login", strconv.Itoa(id)} {
				v, err := s.Read(t.Context(), junction.KindCredential, name)
				if err != nil {
					t.Fatal(err)
				}
				if v.ValidFor != tc.want || v.Value.Reveal() != "pw-erp-expiring" {
					t.Fatalf("Read(%q) valid for %s, want %s", name, v.ValidFor, tc.want)
				}
			}
			if n := h.srv.Count("summary"); n != 2 {
				t.Fatalf("%d summaries read, want one per read", n)
			}
		})
	}
}

// Through the secret cache: a secret expiring within the day is read again
// after five minutes (less the cache's margin), not after the hour.
func TestCache_ExpiryBoundsCache(t *testing.T) {
	ctx := t.Context()
	h := passwordHarness(t)
	id := h.srv.Put("erp-login", "erp", "pw-before-change")
	h.srv.SetExpires(id, h.clock.Now().Add(3*time.Hour))
	s := h.NewStore(t, junction.CredentialStoreOptions{Name: "corp ss", Allow: credstoretest.Loopback}).(*delinea.Store)
	clock := h.clock
	c, err := secretcache.New(secretcache.Options{Clock: clock, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := clock.Now()
	read := func(ctx context.Context) (junction.StoredSecret, error) {
		return s.Read(ctx, junction.KindCredential, "erp-login")
	}
	if _, err := c.Get(ctx, "erp-login", read); err != nil {
		t.Fatal(err)
	}
	h.srv.Put("erp-login", "erp", "pw-after-change")
	clock.Set(start.Add(4*time.Minute + 30*time.Second - time.Nanosecond))
	if v, err := c.Get(ctx, "erp-login", read); err != nil || v.Value.Reveal() != "pw-before-change" {
		t.Fatalf("within five minutes: err %v; want the cached value", err)
	}
	clock.Set(start.Add(4*time.Minute + 30*time.Second))
	if v, err := c.Get(ctx, "erp-login", read); err != nil || v.Value.Reveal() != "pw-after-change" {
		t.Fatalf("after five minutes: err %v; want the value read again", err)
	}
}
