package connector_test

import (
	"fmt"
	"strings"
	"testing"

	"junction/connector"
)

// Freshdesk's ticket search serves 30 results a page and refuses a page
// above 10 (https://developers.freshdesk.com/api/#filter_tickets): paging
// stops after page 10 however full it is.
func TestFreshdeskSearchStopsAtPageTen(t *testing.T) {
	d := mustDefinition(t, "freshdesk")
	cred := connector.Credentials{Fields: map[string]string{"domain": "acme"}, Secrets: secrets("api_key", "k")}
	for _, f := range d.ConnectionFields(d.Auth[0].Key()) {
		if f.Required && f.Type == connector.FieldText && cred.Fields[f.Name] == "" {
			cred.Fields[f.Name] = "acme"
		}
	}
	r, err := d.BuildActivity(cred, "search_tickets", map[string]any{"query": `"status:2"`})
	if err != nil {
		t.Fatal(err)
	}
	full := `{"results":[` + strings.TrimSuffix(strings.Repeat(`{"id":1},`, 30), ",") + `],"total":900}`
	var pages []string
	for range 20 {
		pages = append(pages, r.URL.Query().Get("page"))
		next, ok, err := r.NextPage(connector.Response{StatusCode: 200, Body: []byte(full)})
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		r = next
	}
	if got := fmt.Sprint(pages); got != "[1 2 3 4 5 6 7 8 9 10]" {
		t.Errorf("pages requested %s, want 1 to 10", got)
	}
}

func TestMaxPageRejects(t *testing.T) {
	for _, tc := range []struct{ name, pg, msg string }{
		{"NotPageType", "{type: offset, offset_param: offset, max_page: 3}", "max_page"},
		{"BeforeStart", "{type: page, page_param: page, start_page: 2, max_page: 1}", "before the first page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := minimal + "objects:\n  - name: c\n    operations:\n      list: {method: GET, path: /c, pagination: " + tc.pg + "}\n"
			probs := problems(t, doc)
			for _, p := range probs {
				if p.Path == "objects[0].operations.list.pagination.max_page" && strings.Contains(p.Message+p.Path, tc.msg) {
					return
				}
			}
			t.Errorf("no max_page problem containing %q; got %v", tc.msg, probs)
		})
	}
}
