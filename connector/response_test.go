package connector_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"junction"
	"junction/connector"
)

// pages walks NextPage over canned responses and returns each request's URL.
func pages(t *testing.T, first *connector.Request, resps ...connector.Response) []string {
	t.Helper()
	urls := []string{first.URL.String()}
	r := first
	for i, resp := range resps {
		next, ok, err := r.NextPage(resp)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if !ok {
			if i != len(resps)-1 {
				t.Fatalf("paging stopped after page %d of %d", i, len(resps))
			}
			return urls
		}
		urls = append(urls, next.URL.String())
		r = next
	}
	t.Fatal("paging did not stop on the last response")
	return nil
}

func body(s string) connector.Response { return connector.Response{StatusCode: 200, Body: []byte(s)} }

func checkURLs(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d requests %v, want %v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestNextPage(t *testing.T) {
	t.Run("StripeCursorHasMore", func(t *testing.T) {
		d := mustDefinition(t, "stripe")
		r, err := d.BuildOperation(connector.Credentials{Secrets: secrets("secret_key", "sk")}, "customer", "list", nil)
		if err != nil {
			t.Fatal(err)
		}
		got := pages(t, r,
			body(`{"object":"list","data":[{"id":"cus_1"},{"id":"cus_2"}],"has_more":true}`),
			body(`{"object":"list","data":[{"id":"cus_3"}],"has_more":false}`))
		checkURLs(t, got,
			"https://api.stripe.com/v1/customers?limit=100",
			"https://api.stripe.com/v1/customers?limit=100&starting_after=cus_2")
	})
	t.Run("SlackCursor", func(t *testing.T) {
		d := mustDefinition(t, "slack")
		r, err := d.BuildOperation(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}, "user", "list", nil)
		if err != nil {
			t.Fatal(err)
		}
		got := pages(t, r,
			body(`{"ok":true,"members":[{}],"response_metadata":{"next_cursor":"dXNlcjpVMDYxTkZUVDI="}}`),
			body(`{"ok":true,"members":[{}],"response_metadata":{"next_cursor":""}}`))
		checkURLs(t, got,
			"https://slack.com/api/users.list?limit=200",
			"https://slack.com/api/users.list?cursor=dXNlcjpVMDYxTkZUVDI%3D&limit=200")
	})
	t.Run("GitHubLinkHeader", func(t *testing.T) {
		d := mustDefinition(t, "github")
		r, err := d.BuildOperation(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}, "repository", "list", nil)
		if err != nil {
			t.Fatal(err)
		}
		link := func(v string) connector.Response {
			return connector.Response{StatusCode: 200, Header: http.Header{"Link": {v}}, Body: []byte(`[]`)}
		}
		got := pages(t, r,
			link(`<https://api.github.com/user/repos?page=2&per_page=100>; rel="next", <https://api.github.com/user/repos?page=5&per_page=100>; rel="last"`),
			link(`<https://api.github.com/user/repos?page=1&per_page=100>; rel="prev", <https://api.github.com/user/repos?page=1&per_page=100>; rel="first"`))
		checkURLs(t, got, "https://api.github.com/user/repos?per_page=100", "https://api.github.com/user/repos?page=2&per_page=100")
	})
	t.Run("TwilioNextURL", func(t *testing.T) {
		d := mustDefinition(t, "twilio")
		r, err := d.BuildOperation(connector.Credentials{Auth: "auth_token", Fields: map[string]string{"account_sid": "AC1"}, Secrets: secrets("auth_token", "t")}, "message", "list", nil)
		if err != nil {
			t.Fatal(err)
		}
		got := pages(t, r,
			body(`{"messages":[{}],"next_page_uri":"/2010-04-01/Accounts/AC1/Messages.json?PageSize=1000&Page=1&PageToken=PAxyz"}`),
			body(`{"messages":[{}],"next_page_uri":null}`))
		checkURLs(t, got,
			"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=1000",
			"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=1000&Page=1&PageToken=PAxyz")
	})
	t.Run("PagerDutyOffsetMore", func(t *testing.T) {
		d := mustDefinition(t, "pagerduty")
		r, err := d.BuildOperation(connector.Credentials{Secrets: secrets("api_key", "k")}, "service", "list", nil)
		if err != nil {
			t.Fatal(err)
		}
		got := pages(t, r,
			body(`{"services":[{},{},{}],"limit":100,"offset":0,"more":true}`),
			body(`{"services":[{}],"limit":100,"offset":3,"more":false}`))
		checkURLs(t, got, "https://api.pagerduty.com/services?limit=100", "https://api.pagerduty.com/services?limit=100&offset=3")
	})
	t.Run("JiraOffsetShortPage", func(t *testing.T) {
		d := mustDefinition(t, "jira")
		r, err := d.BuildOperation(connector.Credentials{Fields: map[string]string{"site": "acme", "email": "a@example.com"}, Secrets: secrets("api_token", "t")}, "project", "list", nil)
		if err != nil {
			t.Fatal(err)
		}
		full := `{"values":[` + repeat(`{}`, 50) + `]}`
		got := pages(t, r, body(full), body(`{"values":[{}]}`))
		checkURLs(t, got, "https://acme.atlassian.net/rest/api/3/project/search?maxResults=50", "https://acme.atlassian.net/rest/api/3/project/search?maxResults=50&startAt=50")
	})
	t.Run("PageNumberAndBodyCursor", func(t *testing.T) {
		d := mustParse(t, minimal+`objects:
  - name: a
    operations:
      list: {method: GET, path: /a, records: items, pagination: {type: page, page_param: p, limit_param: n, page_size: 2}}
  - name: b
    operations:
      list: {method: POST, path: /b, records: items, retry_safe: true, inputs: [{name: q, type: string}], pagination: {type: cursor, cursor_param: cursor, cursor_in: body, next_cursor_path: next}}
`)
		cred := connector.Credentials{Secrets: secrets("token", "t")}
		r, _ := d.BuildOperation(cred, "a", "list", nil)
		got := pages(t, r, body(`{"items":[1,2]}`), body(`{"items":[3,4]}`), body(`{"items":[]}`))
		checkURLs(t, got, "https://api.example.com/v1/a?n=2&p=1", "https://api.example.com/v1/a?n=2&p=2", "https://api.example.com/v1/a?n=2&p=3")

		r, _ = d.BuildOperation(cred, "b", "list", map[string]any{"q": "x"})
		next, ok, err := r.NextPage(body(`{"items":[1],"next":"c2"}`))
		if err != nil || !ok {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if string(next.Body) != `{"cursor":"c2","q":"x"}` || !next.RetrySafe {
			t.Errorf("next body = %s", next.Body)
		}
		if _, ok, _ := next.NextPage(body(`{"items":[1],"next":"c2"}`)); ok {
			t.Error("a repeated cursor would page forever")
		}
	})
	t.Run("ErrLinkLeavesBaseURL", func(t *testing.T) {
		gh := mustDefinition(t, "github")
		r, _ := gh.BuildOperation(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}, "repository", "list", nil)
		for _, target := range []string{"https://evil.example.com/user/repos?page=2", "http://api.github.com/user/repos?page=2"} {
			_, ok, err := r.NextPage(connector.Response{StatusCode: 200, Header: http.Header{"Link": {"<" + target + `>; rel="next"`}}})
			if ok || !junction.IsCode(err, junction.EPROVIDER) {
				t.Errorf("%s: ok=%v err=%v, want provider_error", target, ok, err)
			}
		}
	})
	t.Run("KeepsQueryAPIKeyOnNextURL", func(t *testing.T) {
		d := mustParse(t, `key: k
display_name: K
version: "1"
base_url: https://api.example.com
auth:
  - {type: api_key, in: query, name: key, fields: [{name: api_key, type: secret, required: true}]}
objects:
  - name: o
    operations:
      list: {method: GET, path: /o, records: data, pagination: {type: next_url, next_url_path: next}}
`)
		r, err := d.BuildOperation(connector.Credentials{Secrets: secrets("api_key", "k1")}, "o", "list", nil)
		if err != nil {
			t.Fatal(err)
		}
		next, ok, err := r.NextPage(body(`{"data":[1],"next":"https://api.example.com/o?page=2"}`))
		if err != nil || !ok {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if got := next.URL.String(); got != "https://api.example.com/o?key=k1&page=2" {
			t.Errorf("next = %s", got)
		}
	})
	t.Run("NoPaging", func(t *testing.T) {
		d := mustDefinition(t, "github")
		r, _ := d.BuildTest(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")})
		if _, ok, err := r.NextPage(body(`{}`)); ok || err != nil {
			t.Errorf("ok=%v err=%v", ok, err)
		}
	})
}

func repeat(s string, n int) string {
	out := s
	for i := 1; i < n; i++ {
		out += "," + s
	}
	return out
}

func TestIsAuthFailure(t *testing.T) {
	slack := mustDefinition(t, "slack")
	github := mustDefinition(t, "github")
	cases := []struct {
		name string
		d    *connector.Definition
		resp connector.Response
		want bool
	}{
		{"SlackInvalidAuth", slack, body(`{"ok":false,"error":"invalid_auth"}`), true},
		{"SlackTokenRevoked", slack, body(`{"ok":false,"error":"token_revoked"}`), true},
		{"SlackOtherError", slack, body(`{"ok":false,"error":"channel_not_found"}`), false},
		{"SlackOK", slack, body(`{"ok":true}`), false},
		{"SlackNotJSON", slack, body(`<html>`), false},
		{"Slack401", slack, connector.Response{StatusCode: 401}, true},
		{"GitHub401", github, connector.Response{StatusCode: 401, Body: []byte(`{"message":"Bad credentials"}`)}, true},
		{"GitHub403", github, connector.Response{StatusCode: 403}, false},
		{"DefaultIs401", mustParse(t, minimal), connector.Response{StatusCode: 401}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.IsAuthFailure(tc.resp); got != tc.want {
				t.Errorf("IsAuthFailure = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestResultAndOutputs(t *testing.T) {
	d := mustDefinition(t, "slack")
	r, err := d.BuildActivity(connector.Credentials{Auth: "bearer", Secrets: secrets("token", "x")}, "lookup_user_by_email", map[string]any{"email": "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	resp := []byte(`{"ok":true,"user":{"id":"U1","real_name":"Ann"}}`)
	res, err := r.Result(resp)
	if err != nil {
		t.Fatal(err)
	}
	if res.(map[string]any)["id"] != "U1" {
		t.Errorf("Result = %v", res)
	}
	out, err := r.Outputs(resp)
	if err != nil {
		t.Fatal(err)
	}
	if out["id"] != "U1" || out["real_name"] != "Ann" {
		t.Errorf("Outputs = %v", out)
	}
	if _, err := r.Result([]byte("nope")); !junction.IsCode(err, junction.EPROVIDER) {
		t.Errorf("got %v, want provider_error", err)
	}
}

func TestTestSucceeded(t *testing.T) {
	slack := mustDefinition(t, "slack")
	if !slack.TestSucceeded(body(`{"ok":true,"team":"T1"}`)) {
		t.Error("a good auth.test answer failed")
	}
	if slack.TestSucceeded(body(`{"ok":false,"error":"invalid_auth"}`)) {
		t.Error("invalid_auth with status 200 passed")
	}
	if mustDefinition(t, "github").TestSucceeded(connector.Response{StatusCode: 204}) {
		t.Error("GitHub's test expects 200 only")
	}
}

func TestBodyDoesNotChangeInput(t *testing.T) {
	d := mustParse(t, minimal+`activities:
  - name: put
    method: POST
    path: /p
    body: "{doc}"
    inputs:
      - {name: doc, type: object, required: true}
      - {name: extra, type: string}
`)
	doc := map[string]any{"a": 1}
	r, err := d.BuildActivity(connector.Credentials{Secrets: secrets("token", "t")}, "put", map[string]any{"doc": doc, "extra": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Body) != `{"a":1,"extra":"x"}` || len(doc) != 1 {
		t.Errorf("body %s, input now %v", r.Body, doc)
	}
}

// TestPagesOutput checks where the records of every page go in an
// activity's output: in place of the last page's records, before the
// outputs are read.
func TestPagesOutput(t *testing.T) {
	const head = `
key: pages
display_name: Pages
version: 1.0.0
base_url: https://api.example.com
auth:
  - type: none
activities:
  - name: search
    method: GET
    path: /search
    pagination: {type: cursor, cursor_param: cursor, next_cursor_path: next}
`
	all := []any{"a", "b", "c"}
	for _, tc := range []struct {
		name, activity, last, want string
	}{
		{"Outputs", "    records: data.items\n    outputs:\n      - {name: items, type: array, path: data.items}\n      - {name: total, type: integer, path: total}\n      - {name: next, type: string, path: next}\n",
			`{"data":{"items":["c"]},"total":3,"next":"n3"}`, `{"items":["a","b","c"],"next":"n3","total":3}`},
		{"NoOutputs", "    records: data\n", `{"data":["c"],"next":""}`, `["a","b","c"]`},
		{"WholeBody", "", `["c"]`, `["a","b","c"]`},
		{"LastPageWithoutRecords", "    records: data\n    outputs:\n      - {name: items, type: array, path: data}\n", `{"next":""}`, `{"items":["a","b","c"]}`},
		{"DottedTopLevelKey", "    records: value\n    outputs:\n      - {name: items, type: array, path: value}\n      - {name: next, type: string, path: \"@odata.nextLink\"}\n",
			`{"value":["c"],"@odata.nextLink":"https://api.example.com/search?p=4"}`, `{"items":["a","b","c"],"next":"https://api.example.com/search?p=4"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, head+tc.activity)
			r, err := d.BuildActivity(connector.Credentials{Auth: "none"}, "search", nil)
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.PagesOutput([]byte(tc.last), all)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(out)
			if string(got) != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}

	t.Run("ErrNotReachable", func(t *testing.T) {
		d := mustParse(t, head+"    records: data.items\n")
		r, err := d.BuildActivity(connector.Credentials{Auth: "none"}, "search", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.PagesOutput([]byte(`{"data":"flat"}`), all); !junction.IsCode(err, junction.EPROVIDER) {
			t.Fatalf("got %v, want provider_error", err)
		}
		if _, err := r.PagesOutput([]byte(`nope`), all); !junction.IsCode(err, junction.EPROVIDER) {
			t.Fatalf("got %v, want provider_error", err)
		}
	})
}
