package connector_test

import (
	"strings"
	"testing"

	"junction/connector"
)

// continueDefinition pages a search whose later pages go to an endpoint of
// their own with the cursor alone, under an API key sent in the query and
// a definition header, beside a JSON header that carries inputs.
const continueDefinition = `key: k
display_name: K
version: "1"
base_url: https://api.example.com/2
headers: {X-Tenant: "{tenant}"}
fields: [{name: tenant, type: text}]
auth:
  - {type: api_key, in: query, name: key, fields: [{name: api_key, type: secret, required: true}]}
activities:
  - name: search
    method: POST
    path: /files/search
    retry_safe: true
    inputs:
      - {name: query, type: string, required: true}
      - {name: page_size, type: integer, in: query}
      - {name: scope, type: string}
    json_headers: {X-Arg: {scope: "{scope}"}}
    records: matches
    pagination:
      type: cursor
      next_cursor_path: next.cursor
      has_more_path: has_more
      continue:
        path: /files/search/continue
        body: {cursor: "{cursor}", options: {note: "after {cursor}"}}
`

func TestContinuePagination(t *testing.T) {
	d := mustParse(t, continueDefinition)
	cred := connector.Credentials{Fields: map[string]string{"tenant": "acme"}, Secrets: secrets("api_key", "k-continue-secret")}
	first, err := d.BuildActivity(cred, "search", map[string]any{"query": "invoice", "page_size": 2, "scope": "team"})
	if err != nil {
		t.Fatal(err)
	}
	if got := first.Method + " " + first.URL.String(); got != "POST https://api.example.com/2/files/search?key=k-continue-secret&page_size=2" {
		t.Fatalf("first page %s", got)
	}

	second, ok, err := first.NextPage(body(`{"matches":[{"id":1}],"next":{"cursor":"c/2+"},"has_more":true}`))
	if err != nil || !ok {
		t.Fatalf("no second page: ok=%v err=%v", ok, err)
	}
	t.Run("SecondPage", func(t *testing.T) {
		// The continue endpoint, the credential and nothing else of the
		// first request's query; the cursor alone in a JSON body.
		if got := second.Method + " " + second.URL.String(); got != "POST https://api.example.com/2/files/search/continue?key=k-continue-secret" {
			t.Errorf("second page %s", got)
		}
		if got := string(second.Body); got != `{"cursor":"c/2+","options":{"note":"after c/2+"}}` {
			t.Errorf("second body %s", got)
		}
		if ct := second.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if second.Header.Get("X-Tenant") != "acme" {
			t.Error("the definition's header was dropped")
		}
		if second.Header.Get("X-Arg") != "" {
			t.Error("a JSON header of the first request's inputs went with the cursor")
		}
		if !second.RetrySafe {
			t.Error("the operation's retry_safe was lost")
		}
		if strings.Contains(second.String(), "k-continue-secret") {
			t.Error("the printed request holds the API key")
		}
	})
	t.Run("LaterPagesStayOnContinue", func(t *testing.T) {
		third, ok, err := second.NextPage(body(`{"matches":[{"id":2}],"next":{"cursor":"c3"},"has_more":true}`))
		if err != nil || !ok {
			t.Fatalf("no third page: ok=%v err=%v", ok, err)
		}
		if third.URL.Path != "/2/files/search/continue" || string(third.Body) != `{"cursor":"c3","options":{"note":"after c3"}}` {
			t.Errorf("third page %s %s", third.URL, third.Body)
		}
		// The answer records are read where the first page's are.
		if recs, err := third.Result([]byte(`{"matches":[{"id":3}],"has_more":false}`)); err != nil || len(recs.([]any)) != 1 {
			t.Errorf("records %v %v", recs, err)
		}
	})
	t.Run("Ends", func(t *testing.T) {
		for name, b := range map[string]string{
			"HasMoreFalse":   `{"matches":[],"next":{"cursor":"c9"},"has_more":false}`,
			"NoCursor":       `{"matches":[],"has_more":true}`,
			"SameCursorLoop": `{"matches":[{"id":2}],"next":{"cursor":"c/2+"},"has_more":true}`,
		} {
			if _, ok, err := second.NextPage(body(b)); ok || err != nil {
				t.Errorf("%s: ok=%v err=%v, want the end", name, ok, err)
			}
		}
	})
	t.Run("RebuiltWithFreshCredentials", func(t *testing.T) {
		// The engine rebuilds a later page from a new first request and
		// the answers before it: the new key, the same page.
		fresh := connector.Credentials{Fields: cred.Fields, Secrets: secrets("api_key", "k-rotated")}
		r, err := d.BuildActivity(fresh, "search", map[string]any{"query": "invoice", "page_size": 2, "scope": "team"})
		if err != nil {
			t.Fatal(err)
		}
		again, ok, err := r.NextPage(body(`{"matches":[{"id":1}],"next":{"cursor":"c/2+"},"has_more":true}`))
		if err != nil || !ok {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if again.URL.String() != "https://api.example.com/2/files/search/continue?key=k-rotated" || string(again.Body) != string(second.Body) {
			t.Errorf("rebuilt page %s %s", again.URL, again.Body)
		}
	})
}

// Dropbox's list_folder and search page through their continue endpoints
// (https://www.dropbox.com/developers/documentation/http/documentation
// #files-list_folder-continue and #files-search-continue).
func TestDropboxContinuePages(t *testing.T) {
	d := mustDefinition(t, "dropbox")
	cred := connector.Credentials{Auth: "bearer", Fields: map[string]string{"team_member_id": "dbmid:AAH4"}, Secrets: secrets("token", "sl.dropbox-example")}
	for _, tc := range []struct {
		activity string
		input    map[string]any
		first    string
		answer   string
		want     string
	}{
		{"list_folder", map[string]any{"path": "/Invoices", "recursive": true}, "/2/files/list_folder",
			`{"entries":[{".tag":"file","name":"a.pdf"}],"cursor":"ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu","has_more":true}`,
			"https://api.dropboxapi.com/2/files/list_folder/continue"},
		{"search", map[string]any{"query": "invoice", "max_results": 2}, "/2/files/search_v2",
			`{"matches":[{"metadata":{".tag":"metadata","metadata":{".tag":"file","name":"a.pdf"}}}],"cursor":"ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu","has_more":true}`,
			"https://api.dropboxapi.com/2/files/search/continue_v2"},
	} {
		t.Run(tc.activity, func(t *testing.T) {
			first, err := d.BuildActivity(cred, tc.activity, tc.input)
			if err != nil {
				t.Fatal(err)
			}
			if first.URL.Path != tc.first {
				t.Fatalf("first page %s", first.URL)
			}
			next, ok, err := first.NextPage(body(tc.answer))
			if err != nil || !ok {
				t.Fatalf("no second page: ok=%v err=%v", ok, err)
			}
			if got := next.Method + " " + next.URL.String(); got != "POST "+tc.want {
				t.Errorf("second page %s, want POST %s", got, tc.want)
			}
			if got := string(next.Body); got != `{"cursor":"ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu"}` {
				t.Errorf("second body %s, want the cursor alone", got)
			}
			if next.Header.Get("Authorization") != "Bearer sl.dropbox-example" || next.Header.Get("Dropbox-API-Select-User") != "dbmid:AAH4" {
				t.Error("the second page lost the credential or the team member")
			}
			if _, more, err := next.NextPage(body(`{"entries":[],"matches":[],"cursor":"last","has_more":false}`)); more || err != nil {
				t.Errorf("has_more false did not end paging: %v %v", more, err)
			}
		})
	}
}

func TestContinuePaginationRejects(t *testing.T) {
	const at = "activities[0].pagination"
	for _, tc := range []struct{ name, pg, path, msg string }{
		{"NotCursor", `{type: offset, offset_param: o, continue: {path: /next, body: {cursor: "{cursor}"}}}`, at + ".continue", "does not apply"},
		{"CursorParamToo", `{type: cursor, cursor_param: c, next_cursor_path: n, continue: {path: /next, body: {cursor: "{cursor}"}}}`, at + ".cursor_param", "continue.body"},
		{"CursorInToo", `{type: cursor, cursor_in: body, next_cursor_path: n, continue: {path: /next, body: {cursor: "{cursor}"}}}`, at + ".cursor_in", "continue.body"},
		{"NoPath", `{type: cursor, next_cursor_path: n, continue: {body: {cursor: "{cursor}"}}}`, at + ".continue", "path"},
		{"URLNotPath", `{type: cursor, next_cursor_path: n, continue: {path: "https://evil.example.com/next", body: {cursor: "{cursor}"}}}`, at + ".continue.path", ""},
		{"PathWithQuery", `{type: cursor, next_cursor_path: n, continue: {path: "/next?all=1", body: {cursor: "{cursor}"}}}`, at + ".continue.path", ""},
		{"PathPlaceholder", `{type: cursor, next_cursor_path: n, continue: {path: "/next/{id}", body: {cursor: "{cursor}"}}}`, at + ".continue.path", ""},
		{"PathDotDot", `{type: cursor, next_cursor_path: n, continue: {path: "/a/../admin", body: {cursor: "{cursor}"}}}`, at + ".continue.path", "'..'"},
		{"GetMethod", `{type: cursor, next_cursor_path: n, continue: {method: GET, path: /next, body: {cursor: "{cursor}"}}}`, at + ".continue.method", ""},
		{"NoBody", `{type: cursor, next_cursor_path: n, continue: {path: /next}}`, at + ".continue", "body"},
		{"BodyNoCursor", `{type: cursor, next_cursor_path: n, continue: {path: /next, body: {limit: 10}}}`, at + ".continue.body", "{cursor}"},
		{"BodyOtherInput", `{type: cursor, next_cursor_path: n, continue: {path: /next, body: {cursor: "{cursor}", q: "{query}"}}}`, at + ".continue.body", "{query}"},
		{"UnknownField", `{type: cursor, next_cursor_path: n, continue: {path: /next, body: {cursor: "{cursor}"}, query: {a: b}}}`, "", "unknown key query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := minimal + "activities:\n  - {name: search, method: POST, path: /search, inputs: [{name: query, type: string}], records: items, pagination: " + tc.pg + "}\n"
			probs := problems(t, doc)
			for _, p := range probs {
				if strings.HasPrefix(p.Path, tc.path) && strings.Contains(p.Path+" "+p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no problem at %s containing %q; got %v", tc.path, tc.msg, probs)
		})
	}
}
