package sqldb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// connStmts returns how many statements the writer's connection keeps.
func connStmts(t *testing.T, db *DB) int {
	t.Helper()
	conn, err := db.write.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.Raw(func(dc any) error {
		n = dc.(*stmtConn).lru.Len()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// Queries given as text, as the job queue gives them, run on statements
// the connection keeps: the same text again reuses one, the same text
// while its rows are still open runs beside them, and the connection keeps
// a bounded number.
func TestConnStmts(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "junction.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	t.Run("Reused", func(t *testing.T) {
		before := connStmts(t, db)
		for i := range 3 {
			var got int
			if err := db.write.QueryRowContext(ctx, "SELECT ? * 2 -- reused", i).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != 2*i {
				t.Fatalf("got %d, want %d", got, 2*i)
			}
		}
		if n := connStmts(t, db); n != before+1 {
			t.Errorf("%d statements kept, want %d", n, before+1)
		}
	})

	t.Run("SameTextWhileRowsOpen", func(t *testing.T) {
		const q = "SELECT value FROM json_each(?) ORDER BY value"
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		err = func() error {
			rows, err := tx.QueryContext(ctx, q, "[1,2,3]")
			if err != nil {
				return err
			}
			defer rows.Close()
			var outer []string
			for rows.Next() {
				var v int
				if err := rows.Scan(&v); err != nil {
					return err
				}
				var inner []int
				in, err := tx.QueryContext(ctx, q, fmt.Sprintf("[%d,%d]", 10*v, 10*v+1))
				if err != nil {
					return err
				}
				for in.Next() {
					var w int
					if err := in.Scan(&w); err != nil {
						return err
					}
					inner = append(inner, w)
				}
				if err := in.Close(); err != nil {
					return err
				}
				outer = append(outer, fmt.Sprint(v, inner))
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if got, want := strings.Join(outer, " "), "1 [10 11] 2 [20 21] 3 [30 31]"; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
			return nil
		}()
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Bounded", func(t *testing.T) {
		for i := range 2 * maxConnStmts {
			var got int
			if _, err := db.write.ExecContext(ctx, fmt.Sprintf("SELECT %d", i)); err != nil {
				t.Fatal(err)
			}
			if err := db.write.QueryRowContext(ctx, fmt.Sprintf("SELECT ? + %d", i), 1).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != i+1 {
				t.Fatalf("got %d, want %d", got, i+1)
			}
		}
		if n := connStmts(t, db); n > maxConnStmts {
			t.Errorf("%d statements kept, want at most %d", n, maxConnStmts)
		}
	})

	t.Run("ErrInvalidQuery", func(t *testing.T) {
		_, err := db.write.ExecContext(ctx, "SELEKT 1")
		if err == nil || !strings.Contains(err.Error(), "syntax error") {
			t.Fatalf("got %v, want a syntax error", err)
		}
	})
}
