package storetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"junction"
)

func testExecutionCounts(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		c := mustConnection(t, s, f, "github", "GitHub", false)
		other := mustConnection(t, s, mustFolder(t, s, tn.ID, nil, "G"), "github", "Other", false)
		var es []*junction.Execution
		for i, at := range []time.Duration{0, 30 * time.Minute, 59 * time.Minute, 60 * time.Minute, 3*time.Hour + time.Second} {
			status := "succeeded"
			if i == 1 || i == 4 {
				status = "failed"
			}
			es = append(es, execution(c, status, base.Add(at)))
		}
		// Before the period, and in another folder: left out.
		es = append(es, execution(c, "failed", base.Add(-time.Second)), execution(other, "failed", base))
		must(t, s.AppendExecutions(ctx, es))
		got, err := s.CountExecutions(ctx, tn.ID, junction.ExecutionFilter{FolderIDs: []string{f.ID}, Since: base}, time.Hour)
		must(t, err)
		slices.SortFunc(got, func(a, b junction.ExecutionCount) int {
			if d := a.Start.Compare(b.Start); d != 0 {
				return d
			}
			return cmp.Compare(a.Status, b.Status)
		})
		want := []junction.ExecutionCount{
			{Start: base, Status: "failed", Count: 1}, {Start: base, Status: "succeeded", Count: 2},
			{Start: base.Add(time.Hour), Status: "succeeded", Count: 1}, {Start: base.Add(3 * time.Hour), Status: "failed", Count: 1},
		}
		if len(got) != len(want) {
			t.Fatalf("counts %+v, want %+v", got, want)
		}
		for i := range want {
			if !got[i].Start.Equal(want[i].Start) || got[i].Status != want[i].Status || got[i].Count != want[i].Count {
				t.Fatalf("counts %+v, want %+v", got, want)
			}
		}
		got, err = s.CountExecutions(ctx, tn.ID, junction.ExecutionFilter{Since: base, Until: base.Add(time.Hour), Status: "failed"}, time.Hour)
		must(t, err)
		if len(got) != 1 || got[0].Count != 2 {
			t.Fatalf("failed in the first hour, every folder: %+v", got)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		_, err := s.CountExecutions(ctx, "t", junction.ExecutionFilter{}, time.Hour)
		wantCode(t, err, junction.EINVALID)
		_, err = s.CountExecutions(ctx, "t", junction.ExecutionFilter{Since: base}, time.Millisecond)
		wantCode(t, err, junction.EINVALID)
	})
}
