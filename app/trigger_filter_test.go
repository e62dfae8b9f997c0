package app_test

import (
	"errors"
	"slices"
	"testing"

	"junction"
	"junction/app"
)

// A filter is checked as it would be saved, without saving anything, and
// the check says what the records offer.
func TestCheckTriggerFilter(t *testing.T) {
	e := withTriggers(t)
	issue := func(filter string) app.TriggerFilterInput {
		return app.TriggerFilterInput{ConnectionID: e.github.ID, Object: "issue", Event: "created", Filter: filter}
	}

	t.Run("OK", func(t *testing.T) {
		got, err := e.a.CheckTriggerFilter(e.ctx, e.admin, issue(`record.state == "open" && record.number > 10`))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range got.Fields {
			names = append(names, f.Name)
		}
		if !slices.Contains(names, "state") || !slices.Contains(names, "labels") || len(got.Undeclared) != 0 {
			t.Fatalf("check %+v", got)
		}
	})

	t.Run("Undeclared", func(t *testing.T) {
		got, err := e.a.CheckTriggerFilter(e.ctx, e.admin, issue(`record.priority == "high" && has(record.milestone) && record.state == "open"`))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Undeclared, []string{"priority"}) {
			t.Fatalf("undeclared %q, want priority only", got.Undeclared)
		}
	})

	t.Run("Mismatched", func(t *testing.T) {
		got, err := e.a.CheckTriggerFilter(e.ctx, e.admin, issue(`record.number == "12" && record.state == "open" && record.title > 3`))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Mismatched) != 2 || got.Mismatched[0].Field != "number" || got.Mismatched[0].Declared != "integer" ||
			got.Mismatched[0].Literal != `"12"` || got.Mismatched[1].Field != "title" || got.Mismatched[1].LiteralType != "int" {
			t.Fatalf("mismatched %+v", got.Mismatched)
		}
		// A warning, not a refusal: the same filter is saved.
		if _, err := e.a.CreateTrigger(e.ctx, e.admin, app.CreateTriggerInput{FolderID: e.folder.ID, ConnectionID: e.github.ID,
			Object: "issue", Event: "created", Filter: `record.number == "12"`, Parameters: map[string]any{"owner": "o", "repo": "r"},
			Target: app.TriggerTargetInput{Type: junction.TargetQueue, Name: "q"}}); err != nil {
			t.Fatal(err)
		}
		if got, err := e.a.CheckTriggerFilter(e.ctx, e.admin, issue(`record.number == 12 && "bug" in record.labels`)); err != nil || got.Mismatched != nil {
			t.Fatalf("check %+v %v", got, err)
		}
	})

	t.Run("NothingDeclared", func(t *testing.T) {
		got, err := e.a.CheckTriggerFilter(e.ctx, e.admin, app.TriggerFilterInput{ConnectionID: e.hook.ID, Object: "event",
			Event: "received", Filter: `record.anything == 1`})
		if err != nil || len(got.Fields) != 0 || len(got.Undeclared) != 0 || len(got.Mismatched) != 0 {
			t.Fatalf("check %+v %v", got, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			in    app.TriggerFilterInput
			field string
		}{
			{issue(`record.state ==`), "filter"},
			{issue(`record.title + "x"`), "filter"},
			{app.TriggerFilterInput{ConnectionID: e.github.ID, Object: "issue", Event: "starred"}, "event"},
			{app.TriggerFilterInput{ConnectionID: e.github.ID, Object: "gist", Event: "created"}, "object"},
			{app.TriggerFilterInput{Object: "issue", Event: "created"}, "connection_id"},
		} {
			_, err := e.a.CheckTriggerFilter(e.ctx, e.admin, tc.in)
			var je *junction.Error
			if !junction.IsCode(err, junction.EINVALID) || !errors.As(err, &je) || je.Field != tc.field {
				t.Errorf("%+v: %v, want validation_failed on %s", tc.in, err, tc.field)
			}
		}
	})

	t.Run("Access", func(t *testing.T) {
		viewer := &junction.Principal{User: e.admin.User, Access: accessOf(grant{folder: e.folder.ID, perms: roleOf(junction.RoleViewer)})}
		if _, err := e.a.CheckTriggerFilter(e.ctx, viewer, issue(`record.state == "open"`)); err != nil {
			t.Fatalf("a Viewer may check a filter: %v", err)
		}
		other := &junction.Principal{User: e.admin.User, Access: accessOf()}
		_, err := e.a.CheckTriggerFilter(e.ctx, other, issue(`record.state == "open"`))
		if !junction.IsCode(err, junction.ENOTFOUND) {
			t.Fatalf("a stranger to the folder: %v, want not_found", err)
		}
	})
}
