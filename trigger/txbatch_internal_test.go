package trigger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/sqldb/sqldbtest"
)

// TestTxBatcherIsolatesFailures shares one transaction between writes
// given while another commits, and when one of them fails, fails only its
// caller: the others are committed, its own writes are not.
func TestTxBatcherIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	db := sqldbtest.Open(t)
	r := &Runtime{store: db}
	var b txBatcher

	// The first write holds the batcher until the others wait together.
	started, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- b.do(ctx, r, func(ctx context.Context, s junction.Store) error {
			close(started)
			<-release
			return s.CreateTenant(ctx, &junction.Tenant{Name: "first"})
		})
	}()
	<-started

	const n, bad = 8, 3
	errBad := errors.New("refused")
	tenants := make([]*junction.Tenant, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		tenants[i] = &junction.Tenant{ID: junction.NewID(), Name: fmt.Sprintf("t%d", i)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.do(ctx, r, func(ctx context.Context, s junction.Store) error {
				if err := s.CreateTenant(ctx, tenants[i]); err != nil {
					return err
				}
				if i == bad {
					return errBad
				}
				return nil
			})
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		b.mu.Lock()
		waiting := len(b.waiting)
		b.mu.Unlock()
		if waiting == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes waiting, want %d", waiting, n)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}

	for i, err := range errs {
		_, gerr := db.GetTenant(ctx, tenants[i].ID)
		if i == bad {
			if !errors.Is(err, errBad) {
				t.Errorf("write %d: %v, want its own error", i, err)
			}
			if !junction.IsCode(gerr, junction.ENOTFOUND) {
				t.Errorf("the failed write's tenant: %v, want not found", gerr)
			}
			continue
		}
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
		if gerr != nil {
			t.Errorf("tenant of write %d: %v", i, gerr)
		}
	}
}
