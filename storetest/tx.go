package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"junction"
)

func asError(err error, target **junction.Error) bool { return errors.As(err, target) }

func testTx(t *testing.T, open Open) {
	t.Run("Commit", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		var tn *junction.Tenant
		var f *junction.Folder
		must(t, s.InTx(ctx, func(tx junction.Store) error {
			tn = mustTenant(t, tx, "acme")
			f = mustFolder(t, tx, tn.ID, nil, "Shared")
			// The transaction reads its own writes.
			_, err := tx.GetFolder(ctx, tn.ID, f.ID)
			return err
		}))
		_, err := s.GetFolder(ctx, tn.ID, f.ID)
		must(t, err)
	})

	t.Run("Rollback", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		keep := mustFolder(t, s, tn.ID, nil, "Keep")
		boom := errors.New("boom")
		var created []string
		err := s.InTx(ctx, func(tx junction.Store) error {
			f := mustFolder(t, tx, tn.ID, nil, "Gone")
			u := mustUser(t, tx, tn.ID, "ann")
			r := mustRole(t, tx, tn.ID, "Reader")
			must(t, tx.SetAssignments(ctx, tn.ID, u.ID, f.ID, []string{r.ID}))
			tok := mustToken(t, tx, u, "cli")
			must(t, tx.AppendAudit(ctx, &junction.AuditEntry{TenantID: tn.ID, Action: "x.y", ObjectType: "x", Outcome: "success"}))
			sv := sealedValue(tn.ID, "k1")
			must(t, tx.PutSealed(ctx, sv))
			cs := mustCredStore(t, tx, tn.ID, "Vault")
			a := mustAsset(t, tx, keep, "url", nil)
			ren := *keep
			ren.Name = "Renamed"
			must(t, tx.UpdateFolder(ctx, &ren))
			created = []string{f.ID, u.ID, r.ID, tok.ID, sv.ID, cs.ID, a.ID}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}
		checks := []error{
			func() error { _, err := s.GetFolder(ctx, tn.ID, created[0]); return err }(),
			func() error { _, err := s.GetUser(ctx, tn.ID, created[1]); return err }(),
			func() error { _, err := s.GetRole(ctx, tn.ID, created[2]); return err }(),
			func() error { _, err := s.GetToken(ctx, tn.ID, created[3]); return err }(),
			func() error { _, err := s.GetSealed(ctx, tn.ID, created[4]); return err }(),
			func() error { _, err := s.GetCredentialStore(ctx, tn.ID, created[5]); return err }(),
			func() error { _, err := s.GetAsset(ctx, tn.ID, created[6]); return err }(),
		}
		for i, err := range checks {
			if junction.ErrorCode(err) != junction.ENOTFOUND {
				t.Fatalf("object %d survived the rollback (err %v)", i, err)
			}
		}
		es, err := s.ListAudit(ctx, tn.ID, junction.AuditFilter{})
		must(t, err)
		wantEqual(t, "audit entries after rollback", len(es), 0)
		got, err := s.GetFolder(ctx, tn.ID, keep.ID)
		must(t, err)
		wantEqual(t, "name after rollback", got.Name, "Keep")
	})

	t.Run("RollbackOnStoreError", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		mustUser(t, s, tn.ID, "taken")
		var first *junction.User
		err := s.InTx(ctx, func(tx junction.Store) error {
			first = &junction.User{TenantID: tn.ID, Name: "fresh"}
			if err := tx.CreateUser(ctx, first); err != nil {
				return err
			}
			return tx.CreateUser(ctx, &junction.User{TenantID: tn.ID, Name: "taken"})
		})
		wantCode(t, err, junction.ECONFLICT)
		_, err = s.GetUser(ctx, tn.ID, first.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("Nested", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		var outer, inner *junction.Folder
		must(t, s.InTx(ctx, func(tx junction.Store) error {
			outer = mustFolder(t, tx, tn.ID, nil, "Outer")
			return tx.InTx(ctx, func(tx2 junction.Store) error {
				// The inner transaction sees the outer one's writes.
				if _, err := tx2.GetFolder(ctx, tn.ID, outer.ID); err != nil {
					return err
				}
				inner = mustFolder(t, tx2, tn.ID, outer, "Inner")
				return nil
			})
		}))
		_, err := s.GetFolder(ctx, tn.ID, inner.ID)
		must(t, err)

		// An inner error rolls the whole transaction back.
		boom := errors.New("boom")
		var gone *junction.Folder
		err = s.InTx(ctx, func(tx junction.Store) error {
			gone = mustFolder(t, tx, tn.ID, nil, "Gone")
			return tx.InTx(ctx, func(tx2 junction.Store) error { return boom })
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v, want the inner error", err)
		}
		_, err = s.GetFolder(ctx, tn.ID, gone.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("Panic", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		var gone *junction.Folder
		func() {
			defer func() { _ = recover() }()
			_ = s.InTx(ctx, func(tx junction.Store) error {
				gone = mustFolder(t, tx, tn.ID, nil, "Gone")
				panic("boom")
			})
		}()
		_, err := s.GetFolder(ctx, tn.ID, gone.ID)
		wantCode(t, err, junction.ENOTFOUND)
		// The store still works after the panic.
		mustFolder(t, s, tn.ID, nil, "After")
	})
}

// testConcurrent has several goroutines write at once, plainly and in
// transactions: every write must succeed (no "database is locked") and every
// object must be there afterwards.
func testConcurrent(t *testing.T, open Open) {
	s := open(t)
	ctx := ctxFor(t)
	tn := mustTenant(t, s, "acme")
	parent := mustFolder(t, s, tn.ID, nil, "Parent")
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				name := fmt.Sprintf("w%d-%d", w, i)
				var err error
				if i%2 == 0 {
					id := junction.NewID()
					err = s.CreateFolder(ctx, &junction.Folder{ID: id, TenantID: tn.ID, ParentID: parent.ID, Name: name,
						Path: []string{parent.ID, id}})
				} else {
					err = s.InTx(ctx, func(tx junction.Store) error {
						// Read, then write: the pattern that deadlocks
						// deferred SQLite transactions.
						if _, err := tx.GetFolder(ctx, tn.ID, parent.ID); err != nil {
							return err
						}
						u := &junction.User{TenantID: tn.ID, Name: name}
						if err := tx.CreateUser(ctx, u); err != nil {
							return err
						}
						return tx.AppendAudit(ctx, &junction.AuditEntry{TenantID: tn.ID, ActorID: u.ID,
							Action: "user.create", ObjectType: "user", ObjectID: u.ID, Outcome: "success"})
					})
				}
				// Readers run beside the writers.
				if err == nil {
					_, err = s.ListFolders(ctx, tn.ID, junction.FolderFilter{ParentID: parent.ID})
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	fs, err := s.ListFolders(ctx, tn.ID, junction.FolderFilter{ParentID: parent.ID, Page: junction.Page{Limit: junction.MaxPageSize}})
	must(t, err)
	wantEqual(t, "folders created", len(fs), workers*each/2)
	us, err := s.ListUsers(ctx, tn.ID, junction.UserFilter{Page: junction.Page{Limit: junction.MaxPageSize}})
	must(t, err)
	wantEqual(t, "users created", len(us), workers*each/2)
	es, err := s.ListAudit(ctx, tn.ID, junction.AuditFilter{Page: junction.Page{Limit: junction.MaxPageSize}})
	must(t, err)
	wantEqual(t, "audit entries", len(es), workers*each/2)
}
