package sqldb

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"junction"
)

// The statement cache must stay bounded when list filters build ever new
// query strings, and a statement evicted while other calls run on it must
// keep answering them.
func TestStmtCacheBounded(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "junction.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	const hot = "SELECT $1 + 0"
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2 * maxCachedStmts {
				// Every worker shares the hot query and adds queries of
				// its own, so evictions happen while others run.
				q := hot
				if i%2 == 1 {
					q = fmt.Sprintf("SELECT $1 + %d", w*10000+i)
				}
				var got int
				if err := db.readQ.QueryRowContext(ctx, q, 1).Scan(&got); err != nil {
					t.Errorf("%s: %v", q, err)
					return
				}
				want := 1
				if q != hot {
					want += w*10000 + i
				}
				if got != want {
					t.Errorf("%s = %d, want %d", q, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()

	db.readStmts.mu.Lock()
	n := len(db.readStmts.stmts)
	db.readStmts.mu.Unlock()
	if n > maxCachedStmts {
		t.Errorf("%d statements cached, want at most %d", n, maxCachedStmts)
	}
}

// Inside a transaction the writer's cached statements are reused, and a
// query not cached yet still runs (unprepared) without waiting for the
// connection the transaction holds.
func TestStmtCacheInTx(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "junction.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	const cached = "SELECT COUNT(*) + $1 FROM tenants"
	var n int
	if err := db.writeQ.QueryRowContext(ctx, cached, 1).Scan(&n); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx junction.Store) error {
		if _, err := Tx(tx).ExecContext(ctx, "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)",
			junction.NewID(), "t", 0); err != nil {
			return err
		}
		h := tx.(*handle)
		for _, q := range []string{cached, "SELECT COUNT(*) + $1 FROM tenants WHERE name <> ''"} {
			var got int
			if err := h.reader().QueryRowContext(ctx, q, 1).Scan(&got); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
			if want := n + 1; got != want {
				return fmt.Errorf("%s = %d, want %d (the transaction's own insert)", q, got, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := db.writeStmts.stmts[cached]; !ok {
		t.Errorf("%q is not cached", cached)
	}
}
