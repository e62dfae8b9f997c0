package sqldb_test

import (
	"context"
	"testing"
	"time"

	"junction"
	"junction/sqldb"
	"junction/sqldb/sqldbtest"
)

// BenchmarkCountUnreadNotifications is the count behind the web UI's
// notification bell, made on every page view: a user with 1,000 in-app
// notifications (30 days' worth of a noisy tenant), half of them read.
func BenchmarkCountUnreadNotifications(b *testing.B) {
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) { benchmarkCountUnread(b, be.Open(b, sqldb.Options{})) })
	}
}

func benchmarkCountUnread(b *testing.B, db *sqldb.DB) {
	ctx := context.Background()
	tn := &junction.Tenant{Name: "acme"}
	if err := db.CreateTenant(ctx, tn); err != nil {
		b.Fatal(err)
	}
	u := &junction.User{TenantID: tn.ID, Name: "ann"}
	if err := db.CreateUser(ctx, u); err != nil {
		b.Fatal(err)
	}
	add := func(n int) {
		if err := db.InTx(ctx, func(tx junction.Store) error {
			for range n {
				if err := tx.CreateNotification(ctx, &junction.Notification{TenantID: tn.ID, UserID: u.ID, EventID: junction.NewID(),
					Type: junction.EventJobFailed, Title: "Job failed", InApp: true}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	add(500)
	if _, err := db.MarkAllNotificationsRead(ctx, tn.ID, u.ID, time.Now()); err != nil {
		b.Fatal(err)
	}
	add(500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.CountUnreadNotifications(ctx, tn.ID, u.ID); err != nil {
			b.Fatal(err)
		}
	}
}
