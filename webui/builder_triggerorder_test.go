package webui_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"junction/connector"
)

// draftEvents reads the names of an object's events as the draft keeps
// them, in order.
func (s *builderSite) draftEvents(t *testing.T, object string) []string {
	t.Helper()
	text, err := s.app.CustomConnectorDraft(t.Context(), s.admin, s.id)
	if err != nil {
		t.Fatal(err)
	}
	var def connector.Definition
	if err := yaml.Unmarshal(text, &def); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range def.Objects {
		if o.Name == object {
			for _, ev := range o.Events {
				names = append(names, ev.Name)
			}
		}
	}
	return names
}

// An object's triggers move up a place at a time, as activities and auth
// types do, and only among that object's events.
func TestBuilderTriggerUp(t *testing.T) {
	t.Parallel()
	s := newBuilderSite(t)
	draft := "/builder/" + s.id
	for _, ev := range []string{"created", "updated", "deleted"} {
		if _, err := s.app.SetDraftTrigger(t.Context(), s.admin, s.id, "contacts", ev,
			connector.Event{Name: ev, Polling: &connector.Polling{Operation: "list", ID: "id", Created: &connector.TimeField{Path: "created_at"}}}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, page := s.do(t, s.cookie, "GET", draft, nil)
	if !strings.Contains(page, `action="/builder/`+s.id+`/triggers/contacts/deleted/up"`) {
		t.Fatalf("the trigger has no Move up form:\n%.3000s", page[strings.Index(page, `id="triggers"`):])
	}
	csrf := csrfRE.FindStringSubmatch(page)[1]
	up := func(t *testing.T, event string) {
		t.Helper()
		status, h, body := s.do(t, s.cookie, "POST", draft+"/triggers/contacts/"+event+"/up", url.Values{"csrf": {csrf}})
		if status != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "#triggers") {
			t.Fatalf("move %s up: %d %v %.600s", event, status, h, body)
		}
	}
	for _, tc := range []struct {
		event string
		want  []string
	}{
		{"deleted", []string{"created", "deleted", "updated"}},
		{"deleted", []string{"deleted", "created", "updated"}},
		// The first stays first.
		{"deleted", []string{"deleted", "created", "updated"}},
		{"updated", []string{"deleted", "updated", "created"}},
	} {
		up(t, tc.event)
		if got := s.draftEvents(t, "contacts"); !slices.Equal(got, tc.want) {
			t.Fatalf("after moving %s up: %v, want %v", tc.event, got, tc.want)
		}
	}

	t.Run("ErrNoCSRF", func(t *testing.T) {
		if status, _, _ := s.do(t, s.cookie, "POST", draft+"/triggers/contacts/created/up", url.Values{}); status != http.StatusForbidden {
			t.Fatalf("a form without its token: %d", status)
		}
	})
}
