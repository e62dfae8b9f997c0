package storetest

import (
	"strings"
	"testing"
	"time"

	"junction"
)

// testExecutionMessage: a failed execution's message is stored with the
// record, read back by GetExecution and ListExecutions, and found by free
// text, case aside, in one batch or one at a time.
func testExecutionMessage(t *testing.T, open Open) {
	s := open(t)
	ctx := ctxFor(t)
	tn := mustTenant(t, s, "acme")
	f := mustFolder(t, s, tn.ID, nil, "F")
	c := mustConnection(t, s, f, "http", "CRM", false)

	one := execution(c, "failed", base)
	one.ErrorMessage = "CRM answered HTTP 503"
	must(t, s.AppendExecution(ctx, one))
	two := execution(c, "failed", base.Add(time.Second))
	two.ErrorCode, two.ErrorMessage = junction.EINVALID, "input.method: must be one of GET, POST"
	ok := execution(c, "succeeded", base.Add(2*time.Second))
	must(t, s.AppendExecutions(ctx, []*junction.Execution{two, ok}))

	for _, want := range []*junction.Execution{one, two, ok} {
		got, err := s.GetExecution(ctx, tn.ID, want.ID)
		must(t, err)
		if got.ErrorMessage != want.ErrorMessage {
			t.Fatalf("get %s: message %q, want %q", want.ID, got.ErrorMessage, want.ErrorMessage)
		}
	}
	for _, tc := range []struct {
		text string
		want []*junction.Execution
	}{
		{"http 503", []*junction.Execution{one}},
		{"MUST BE ONE OF", []*junction.Execution{two}},
		{"answered", []*junction.Execution{one}},
		{"nothing says this", nil},
	} {
		es, err := s.ListExecutions(ctx, tn.ID, junction.ExecutionFilter{Text: tc.text})
		must(t, err)
		if len(es) != len(tc.want) {
			t.Fatalf("%q: got %d executions, want %d", tc.text, len(es), len(tc.want))
		}
		for i := range es {
			if es[i].ID != tc.want[i].ID || es[i].ErrorMessage != tc.want[i].ErrorMessage {
				t.Fatalf("%q: got %s %q, want %s", tc.text, es[i].ID, es[i].ErrorMessage, tc.want[i].ID)
			}
		}
	}
	// A message is text like any other: what no column can hold is made
	// storable rather than losing the record.
	odd := execution(c, "failed", base.Add(3*time.Second))
	odd.ErrorMessage = "bad\x00byte \xff here"
	must(t, s.AppendExecution(ctx, odd))
	got, err := s.GetExecution(ctx, tn.ID, odd.ID)
	must(t, err)
	if !strings.HasPrefix(got.ErrorMessage, "bad") || !strings.HasSuffix(got.ErrorMessage, " here") {
		t.Fatalf("odd message read back as %q", got.ErrorMessage)
	}
}
