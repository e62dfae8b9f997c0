package resolver_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/resolver"
)

// leasingStore is a store whose reads hold something until released, as
// BeyondTrust's managed-account requests do.
type leasingStore struct {
	mu       sync.Mutex
	reads    int
	released []string
	closed   bool
}

func (s *leasingStore) Check(context.Context) error { return nil }

func (s *leasingStore) Read(context.Context, junction.SecretKind, string) (junction.StoredSecret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	return junction.StoredSecret{Value: junction.NewSecret("held-value-plant"), ValidFor: 5 * time.Minute,
		Lease: "lease-" + strconv.Itoa(s.reads)}, nil
}

func (s *leasingStore) ReleaseLease(_ context.Context, lease string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = append(s.released, lease)
	return nil
}

func (s *leasingStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *leasingStore) state() (int, []string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads, slices.Clone(s.released), s.closed
}

// The resolver hands a dropped value's lease back to the store it was read
// from: on Invalidate, when a renewal replaces it, and when it expires.
func TestRenewLeases_ReleasesThroughStore(t *testing.T) {
	ctx := t.Context()
	f := setup(t)
	ls := &leasingStore{}
	typ := junction.CredentialStoreType{Name: "leasing", ConfigKeys: nil,
		Open: func(map[string]string, junction.CredentialStoreOptions) (junction.CredentialStore, error) {
			return ls, nil
		}}
	cfg := &junction.CredentialStoreConfig{ID: junction.NewID(), TenantID: f.asset.TenantID, Name: "leasing", Type: typ.Name,
		Config: map[string]string{}, CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	if err := f.store.CreateCredentialStore(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	a := &junction.Asset{ID: junction.NewID(), TenantID: f.asset.TenantID, FolderID: f.asset.FolderID, Name: "held",
		Type: junction.AssetSecret, StoreID: cfg.ID, ExternalName: "held", CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
	if err := f.store.CreateAsset(ctx, a); err != nil {
		t.Fatal(err)
	}
	res, err := resolver.New(resolver.Options{Store: f.store, Clock: f.clock, RenewInterval: -1,
		Types: map[string]junction.CredentialStoreType{typ.Name: typ}})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := res.Resolve(ctx, a); err != nil { // lease-1
		t.Fatal(err)
	}
	res.Invalidate(a)
	res.RenewLeases(ctx)
	if _, released, _ := ls.state(); !slices.Equal(released, []string{"lease-1"}) {
		t.Fatalf("released %v after Invalidate, want lease-1", released)
	}

	start := f.clock.Now()
	if _, err := res.Resolve(ctx, a); err != nil { // lease-2, used
		t.Fatal(err)
	}
	f.clock.Set(start.Add(4*time.Minute + 3*time.Second)) // 27s before its early expiry at 4m30s
	res.RenewLeases(ctx)                                  // lease-3 replaces lease-2, unused
	f.clock.Set(start.Add(9 * time.Minute))
	res.RenewLeases(ctx) // lease-3 expired
	reads, released, _ := ls.state()
	if reads != 3 || !slices.Equal(released, []string{"lease-1", "lease-2", "lease-3"}) {
		t.Fatalf("%d reads, released %v; want the renewal's lease and the expired one released", reads, released)
	}
	if err := res.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, closed := ls.state(); !closed {
		t.Fatal("Close did not close the store, which lets go of what it holds")
	}
}
