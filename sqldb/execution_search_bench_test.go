package sqldb_test

import (
	"context"
	"testing"

	"junction"
	"junction/sqldb/sqldbtest"
)

// BenchmarkListExecutionsText is the executions page searched with q over
// 10,000 records, one in ten failed with a message. "rare" matches nothing, so the
// newest-first walk reads every row of the tenant; "common" fills the page
// from the newest rows.
func BenchmarkListExecutionsText(b *testing.B) {
	const n, batch = 10000, 500
	db := sqldbtest.Open(b)
	ctx := context.Background()
	next := executionsFor(b, db, batch)
	var tenantID string
	for range n / batch {
		es := next()
		for i, e := range es {
			if i%10 == 0 {
				e.Status, e.HTTPStatus, e.ErrorCode = "failed", 502, junction.EPROVIDER
				e.ErrorMessage = "GitHub answered HTTP 502"
			}
		}
		if err := db.AppendExecutions(ctx, es); err != nil {
			b.Fatal(err)
		}
		tenantID = es[0].TenantID
	}
	for _, tc := range []struct{ name, q string }{{"rare", "no such text"}, {"common", "provider"}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := db.ListExecutions(ctx, tenantID, junction.ExecutionFilter{Text: tc.q, Page: junction.Page{Limit: 50}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
