package storetest

import (
	"testing"
	"time"

	"junction"
)

// testExecutionSearch: free text finds executions by a part of their
// activity, connector, error code or connection's name, case aside, newest
// first, through stable cursors; LIKE's wildcards match only themselves,
// and another tenant's connection of the same name finds nothing here.
func testExecutionSearch(t *testing.T, open Open) {
	s := open(t)
	ctx := ctxFor(t)
	tn := mustTenant(t, s, "acme")
	f := mustFolder(t, s, tn.ID, nil, "F")
	payroll := mustConnection(t, s, f, "http", "Payroll_API", false)
	crm := mustConnection(t, s, f, "salesforce", "CRM", false)
	other := mustTenant(t, s, "other")
	mustConnection(t, s, mustFolder(t, s, other.ID, nil, "F"), "http", "Payroll_API-other", false)

	var byID []*junction.Execution
	add := func(c *junction.Connection, status, activity string) *junction.Execution {
		e := execution(c, status, base.Add(time.Duration(len(byID))*time.Second))
		e.Activity = activity
		must(t, s.AppendExecution(ctx, e))
		byID = append(byID, e)
		return e
	}
	p1 := add(payroll, "succeeded", "employees.list")
	p2 := add(payroll, "failed", "employees.get")    // provider_error
	c1 := add(crm, "failed", "accounts.list")        // provider_error
	c2 := add(crm, "succeeded", "100%_done.refresh") // a literal % and _
	c3 := add(crm, "succeeded", "accounts.get")

	search := func(text string, limit int) []string {
		t.Helper()
		var ids []string
		page := junction.Page{Limit: limit}
		for {
			es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{Text: text, Page: page})
			must(t, err)
			for _, e := range es {
				ids = append(ids, e.ID)
			}
			if len(es) < limit {
				return ids
			}
			page.After = es[len(es)-1].ID
		}
	}
	ids := func(es ...*junction.Execution) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}
	for _, tc := range []struct {
		name, text string
		want       []*junction.Execution
	}{
		{"ConnectionName", "payroll_api", []*junction.Execution{p2, p1}},
		{"Activity", "ACCOUNTS", []*junction.Execution{c3, c1}},
		{"ErrorCode", "provider_err", []*junction.Execution{c1, p2}},
		{"Connector", "salesforce", []*junction.Execution{c3, c2, c1}},
		{"PercentIsLiteral", "100%", []*junction.Execution{c2}},
		{"UnderscoreIsLiteral", "0%_d", []*junction.Execution{c2}},
		{"WildcardsMatchNothingElse", "%", []*junction.Execution{c2}},
		{"NoMatch", "payroll_api-other", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := ids(tc.want...)
			for _, limit := range []int{1, 2, 50} {
				got := search(tc.text, limit)
				if len(got) != len(want) {
					t.Fatalf("%q (pages of %d): got %v, want %v", tc.text, limit, got, want)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%q (pages of %d): got %v, want %v", tc.text, limit, got, want)
					}
				}
			}
		})
	}
	// Text narrows the other filters, not widens them.
	es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{Text: "accounts", Status: "failed"})
	must(t, err)
	if len(es) != 1 || es[0].ID != c1.ID {
		t.Fatalf("accounts and failed: %+v", es)
	}
}
