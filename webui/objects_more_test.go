package webui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"junction"
	"junction/app"
)

// ticketsDefinition is a custom connector whose ticket object has every
// standard operation, over an API at {base_url}.
const ticketsDefinition = `key: desk
display_name: Desk
version: "1.0.0"
description: A ticketing API the page tests simulate.
base_url: "{base_url}"
fields:
  - {name: base_url, type: text, required: true}
auth:
  - type: api_key
    in: header
    name: X-API-Key
    fields:
      - {name: api_key, type: secret, required: true}
test: {path: /tickets}
objects:
  - name: ticket
    display_name: Ticket
    description: A ticket.
    id_field: id
    operations:
      list:
        description: Lists tickets.
        method: GET
        path: /tickets
        inputs:
          - {name: status, type: string, in: query, description: Only tickets with this status.}
          - {name: cursor, type: string, in: query, description: Where the page starts.}
        records: data
        pagination: {type: cursor, cursor_param: cursor, next_cursor_path: next}
      get:
        description: Gets a ticket.
        method: GET
        path: /tickets/{id}
        inputs:
          - {name: id, type: string, in: path, required: true, description: The ticket's ID.}
      create:
        description: Creates a ticket.
        method: POST
        path: /tickets
        inputs:
          - {name: subject, type: string, in: body, required: true, description: What the ticket is about.}
          - {name: priority, type: integer, in: body, description: How urgent it is.}
      delete:
        description: Deletes a ticket.
        method: DELETE
        path: /tickets/{id}
        inputs:
          - {name: id, type: string, in: path, required: true, description: The ticket's ID.}
activities:
  - name: search_tickets
    description: Finds tickets, page after page.
    method: GET
    path: /tickets
    records: data
    pagination: {type: cursor, cursor_param: cursor, next_cursor_path: next}
    outputs:
      - {name: tickets, type: array, path: data}
  - name: first_tickets
    description: The first page of tickets.
    method: GET
    path: /tickets
    outputs:
      - {name: tickets, type: array, path: data}
`

// deskAPI answers the ticket operations, wanting the planted key; it
// remembers the last body posted.
func deskAPI(t *testing.T, posted *map[string]any) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != apiKeyPlanted {
			http.Error(w, `{"error":"bad key"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/tickets":
			if r.URL.Query().Get("cursor") == "page-2" {
				_, _ = io.WriteString(w, `{"data":[{"id":"T-9","subject":"second page"}]}`)
				return
			}
			_, _ = io.WriteString(w, `{"data":[{"id":"T-1","subject":"printer","status":"`+r.URL.Query().Get("status")+`"}],"next":"page-2"}`)
		case r.Method == "GET" && r.URL.Path == "/tickets/T-404":
			http.Error(w, `{"error":"no such ticket"}`, http.StatusNotFound)
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/tickets/"):
			_, _ = io.WriteString(w, `{"id":"`+strings.TrimPrefix(r.URL.Path, "/tickets/")+`","subject":"printer"}`)
		case r.Method == "POST" && r.URL.Path == "/tickets":
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, posted)
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"id":"T-2","subject":"created"}`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// createDeskConnection publishes the desk connector and makes a
// connection of it to base.
func (e *fullEnv) createDeskConnection(base string) string {
	e.t.Helper()
	ctx := context.Background()
	v, err := e.app.CreateCustomConnector(ctx, e.admin, app.CreateCustomConnectorInput{Key: "desk", DisplayName: "Desk"})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.app.ReplaceDraft(ctx, e.admin, v.ID, []byte(ticketsDefinition)); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.app.Publish(ctx, e.admin, v.ID, app.PublishInput{Version: "1.0.0"}); err != nil {
		e.t.Fatal(err)
	}
	key, baseURL := junction.NewSecret(apiKeyPlanted), junction.NewSecret(base)
	c, err := e.app.CreateConnection(ctx, e.admin, app.CreateConnectionInput{FolderID: e.folder.ID, Connector: "desk",
		Name: "desk", SkipTest: true, Fields: map[string]app.FieldInput{
			"base_url": {Literal: &baseURL}, "api_key": {Literal: &key}}})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// TestTryObjectOperations: "try an activity" offers an object's standard
// operations beside the activities, shows their inputs as a form, and
// runs them as the API does, showing the output and the record.
func TestTryObjectOperations(t *testing.T) {
	e := newFullEnv(t)
	var posted map[string]any
	id := e.createDeskConnection(deskAPI(t, &posted).URL)
	page := "/connections/" + id

	t.Run("Offered", func(t *testing.T) {
		body := e.get(page, http.StatusOK)
		for _, want := range []string{`<option value="ticket.list"`, `<option value="ticket.get"`, `<option value="ticket.create"`,
			`<option value="ticket.delete"`, `Ticket: list`} {
			if !strings.Contains(body, want) {
				t.Errorf("the picker has no %s", want)
			}
		}
		if strings.Contains(body, `value="ticket.update"`) {
			t.Error("the picker offers an operation the object does not have")
		}
	})

	t.Run("Form", func(t *testing.T) {
		body := e.get(page+"?activity=ticket.create", http.StatusOK)
		for _, want := range []string{`id="activity-form"`, `name="activity" value="ticket.create"`, `name="input.subject"`,
			`name="input.priority"`, `What the ticket is about.`} {
			if !strings.Contains(body, want) {
				t.Errorf("the form has no %s", want)
			}
		}
	})

	t.Run("List", func(t *testing.T) {
		resp, body := e.post(page+"/execute", url.Values{"activity": {"ticket.list"}, "input.status": {"open"}})
		wantStatus(t, "list: "+body, resp, http.StatusOK)
		if !strings.Contains(body, `id="activity-result"`) || !strings.Contains(body, "printer") || !strings.Contains(body, `&#34;open&#34;`) {
			t.Fatalf("no output: %s", body)
		}
		if !strings.Contains(body, `href="/executions/`) {
			t.Fatal("no execution record linked")
		}
	})

	// A list operation and an activity that declares pagination offer
	// and pass a page count; a get and an activity without pagination
	// do not.
	for _, tc := range []struct{ name, paged, single string }{
		{"ListPages", "ticket.list", "ticket.get"},
		{"ActivityPages", "search_tickets", "first_tickets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if body := e.get(page+"?activity="+tc.paged, http.StatusOK); !strings.Contains(body, `id="max_pages"`) {
				t.Fatalf("%s offers no page count", tc.paged)
			}
			if body := e.get(page+"?activity="+tc.single, http.StatusOK); strings.Contains(body, `id="max_pages"`) {
				t.Fatalf("%s offers a page count", tc.single)
			}
			resp, body := e.post(page+"/execute", url.Values{"activity": {tc.paged}, "max_pages": {"2"}})
			wantStatus(t, "two pages: "+body, resp, http.StatusOK)
			if !strings.Contains(body, "printer") || !strings.Contains(body, "second page") {
				t.Fatalf("not both pages: %s", body)
			}
			if !strings.Contains(body, `<p id="activity-pages">2 page(s) read.</p>`) {
				t.Fatalf("the result does not say both pages were read, and only them: %s", body)
			}
			_, body = e.post(page+"/execute", url.Values{"activity": {tc.paged}})
			if strings.Contains(body, "second page") {
				t.Fatal("pages are followed unless told")
			}
			if !strings.Contains(body, `<p id="activity-pages">1 page(s) read. The API has more`) {
				t.Fatalf("the result does not say the API has more pages: %s", body)
			}
			resp, body = e.post(page+"/execute", url.Values{"activity": {tc.paged}, "max_pages": {"1000"}})
			wantStatus(t, "too many pages", resp, http.StatusUnprocessableEntity)
			if !strings.Contains(body, `value="1000"`) || !strings.Contains(body, "from 1 to") {
				t.Fatalf("the problem is not shown beside the count: %s", body)
			}
		})
	}

	// A page count sent for an activity that does not page is not passed
	// on: it reads one page.
	t.Run("ActivityWithoutPagination", func(t *testing.T) {
		resp, body := e.post(page+"/execute", url.Values{"activity": {"first_tickets"}, "max_pages": {"2"}})
		wantStatus(t, "one page: "+body, resp, http.StatusOK)
		if !strings.Contains(body, "printer") || strings.Contains(body, "second page") {
			t.Fatalf("an activity without pagination followed pages: %s", body)
		}
		if strings.Contains(body, `id="activity-pages"`) {
			t.Fatal("an activity without pagination speaks of pages")
		}
	})

	t.Run("CreateTyped", func(t *testing.T) {
		resp, body := e.post(page+"/execute", url.Values{"activity": {"ticket.create"}, "input.subject": {"paper jam"}, "input.priority": {"2"}})
		wantStatus(t, "create: "+body, resp, http.StatusOK)
		if posted["subject"] != "paper jam" || posted["priority"] != float64(2) {
			t.Fatalf("the API got %v", posted)
		}
		exs, err := e.app.ListExecutions(context.Background(), e.admin, app.ExecutionQuery{ConnectionID: id})
		if err != nil || len(exs.Items) == 0 {
			t.Fatalf("executions %v %v", exs.Items, err)
		}
		if ex := exs.Items[0]; ex.Activity != "ticket.create" || ex.Status != "succeeded" {
			t.Fatalf("the record names %q (%s), want the object's operation", ex.Activity, ex.Status)
		}
	})

	t.Run("Fails", func(t *testing.T) {
		resp, body := e.post(page+"/execute", url.Values{"activity": {"ticket.get"}, "input.id": {"T-404"}})
		if resp.StatusCode < 400 || !strings.Contains(body, `id="problem"`) || !strings.Contains(body, `href="/executions/`) {
			t.Fatalf("failed get: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("Unknown", func(t *testing.T) {
		for _, name := range []string{"ticket.update", "nothing.list", "ticket."} {
			resp, _ := e.post(page+"/execute", url.Values{"activity": {name}})
			wantStatus(t, name, resp, http.StatusUnprocessableEntity)
		}
	})
}
