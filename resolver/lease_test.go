package resolver_test

import (
	"testing"
	"time"
)

// leaseData is the crm secret with a 10-minute ttl, which the Vault store
// reports as the value's validity.
func leaseData(password string) map[string]any {
	return map[string]any{"username": "crm-bot", "password": password, "ttl": "10m"}
}

// A Vault value with a 10-minute lease is read again after about ten
// minutes (30 seconds early, so it never runs out in use), not after the
// hour.
func TestResolve_LeaseBoundsCache(t *testing.T) {
	ctx := t.Context()
	f := setup(t)
	f.vault.PutJSON(vaultPath, leaseData("leased-password-plant"))
	start := f.clock.Now()
	if _, err := f.res.Resolve(ctx, f.asset); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(start.Add(9*time.Minute + 29*time.Second))
	if _, err := f.res.Resolve(ctx, f.asset); err != nil || f.vault.Reads(vaultPath) != 1 {
		t.Fatalf("within the lease: %d reads, err %v; want the cached value", f.vault.Reads(vaultPath), err)
	}
	f.vault.PutJSON(vaultPath, leaseData("next-password-plant"))
	f.clock.Set(start.Add(9*time.Minute + 30*time.Second))
	v, err := f.res.Resolve(ctx, f.asset)
	if err != nil || f.vault.Reads(vaultPath) != 2 || v.Value.Reveal() != "next-password-plant" {
		t.Fatalf("at the end of the lease: %d reads, err %v; want a second read with the new value", f.vault.Reads(vaultPath), err)
	}
}

// A leased value in use is read again in the background before it runs
// out, so the execution at its expiry is answered from memory, with the
// vault sealed; one nobody uses expires and is read at its next use.
func TestRenewLeases_VaultValueInUse(t *testing.T) {
	ctx := t.Context()
	f := setup(t)
	f.vault.PutJSON(vaultPath, leaseData("leased-password-plant"))
	start := f.clock.Now()
	if _, err := f.res.Resolve(ctx, f.asset); err != nil {
		t.Fatal(err)
	}
	// Used during its lifetime, then due for renewal 57s before its early
	// expiry at 9m30s.
	f.clock.Set(start.Add(5 * time.Minute))
	if _, err := f.res.Resolve(ctx, f.asset); err != nil {
		t.Fatal(err)
	}
	f.vault.PutJSON(vaultPath, leaseData("renewed-password-plant"))
	f.clock.Set(start.Add(8*time.Minute + 33*time.Second))
	f.res.RenewLeases(ctx)
	if n := f.vault.Reads(vaultPath); n != 2 {
		t.Fatalf("%d reads after the renewal pass, want 2", n)
	}

	f.vault.Seal()
	f.clock.Set(start.Add(9*time.Minute + 30*time.Second))
	v, err := f.res.Resolve(ctx, f.asset)
	if err != nil || v.Value.Reveal() != "renewed-password-plant" {
		t.Fatalf("at the old expiry with the vault sealed: err %v; want the renewed value from memory", err)
	}
	if s := f.res.Stats()["hashicorp-vault"]; s.Renewed != 1 || s.Misses != 1 {
		t.Fatalf("stats = %+v, want one renewal and one miss", s)
	}
	f.vault.Unseal()

	// The renewed value was used once (just above); its successor is not.
	f.clock.Set(start.Add(8*time.Minute + 33*time.Second + 8*time.Minute + 33*time.Second))
	f.res.RenewLeases(ctx)
	f.clock.Set(start.Add(40 * time.Minute))
	f.res.RenewLeases(ctx)
	if n := f.vault.Reads(vaultPath); n != 3 {
		t.Fatalf("%d reads (stats %+v), want the used value renewed once more and its unused successor left to expire", n, f.res.Stats())
	}
	if _, err := f.res.Resolve(ctx, f.asset); err != nil || f.vault.Reads(vaultPath) != 4 {
		t.Fatalf("%d reads, err %v; want the next use to read the vault", f.vault.Reads(vaultPath), err)
	}
}
