package engine_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/engine"
)

// A catalog search or list activity run with max_pages against a stand-in
// of its vendor that serves three pages the vendor's way: the output holds
// the records of every page, the rest as the last page said, and every
// page carried the credential.
type pagedStandIn struct {
	key, auth string
	hosts     []string
	fields    map[string]string
	secrets   map[string]string
	header    [2]string // what every request must carry
	activity  string
	input     map[string]any
	// pages are the vendor's answers: the last whose match (a query,
	// "k=v&k2=v2", found in the request's query or JSON body) the request
	// carries; the first page has none. link, when set, is the path of
	// the next page for the Link header.
	pages []standInPage
	first string // the output when max_pages is not given
	want  string // the output of the three pages
}

type standInPage struct {
	match, link, body string
	// path, when set, is the path the page is served at (an endpoint of
	// its own for later pages, Dropbox's continue).
	path string
}

func runPagedStandIn(t *testing.T, tc pagedStandIn) {
	t.Helper()
	var (
		mu      sync.Mutex
		served  []int
		refused int
	)
	srv := httptest.NewTLSServer(nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(tc.header[0]) != tc.header[1] {
			mu.Lock()
			refused++
			mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		page := -1
		for i := len(tc.pages) - 1; i >= 0; i-- {
			if m := tc.pages[i].match; m == "" || carriesQuery(r.URL.Query(), body, m) {
				page = i
				break
			}
		}
		if page < 0 {
			t.Errorf("%s: no page for %s %s %s", tc.key, r.Method, r.URL, bytes.TrimSpace(body))
			w.WriteHeader(http.StatusNotFound)
			return
		}
		p := tc.pages[page]
		if p.path != "" && r.URL.Path != p.path {
			t.Errorf("%s: page %d asked at %s %s, served at %s", tc.key, page, r.Method, r.URL.Path, p.path)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		mu.Lock()
		served = append(served, page)
		mu.Unlock()
		if p.link != "" {
			w.Header().Set("Link", "<"+srv.URL+p.link+`>; rel="next"`)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, p.body)
	})
	t.Cleanup(srv.Close)

	f := newFixture(t, fixtureOptions{extra: standInDefinition(t, tc.key, srv.URL, tc.hosts)})
	f.trust(srv)
	fields := map[string]junction.FieldValue{}
	for k, v := range tc.fields {
		fields[k] = junction.FieldValue{Value: v}
	}
	literal := map[string]junction.Secret{}
	var planted []junction.Secret
	for k, v := range tc.secrets {
		literal[k] = junction.NewSecret(v)
		planted = append(planted, junction.NewSecret(v))
	}
	conn := f.connection(t, tc.key+"-standin", tc.auth, fields, literal)

	for _, run := range []struct {
		maxPages int
		want     string
		pages    []int
	}{
		{0, tc.first, []int{0}},
		{10, tc.want, []int{0, 1, 2}},
	} {
		mu.Lock()
		served = nil
		mu.Unlock()
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: tc.activity, Input: tc.input, MaxPages: run.maxPages})
		if err != nil {
			t.Fatalf("max_pages %d: %v", run.maxPages, err)
		}
		if got := mustJSON(t, res.Output); got != run.want {
			t.Errorf("max_pages %d: output\n %s\nwant\n %s", run.maxPages, got, run.want)
		}
		mu.Lock()
		got := served
		mu.Unlock()
		if mustJSON(t, got) != mustJSON(t, run.pages) || res.Attempts != len(run.pages) {
			t.Errorf("max_pages %d: served pages %v in %d attempts, want %v", run.maxPages, got, res.Attempts, run.pages)
		}
		for _, s := range planted {
			if strings.Contains(mustJSON(t, res), s.Reveal()) {
				t.Error("the result holds a planted secret")
			}
		}
	}
	if refused != 0 {
		t.Errorf("%d requests without the credential", refused)
	}
}

func TestCatalogStandInsActivityPages(t *testing.T) {
	for _, tc := range []pagedStandIn{
		{
			key: "github", auth: "bearer", hosts: []string{"https://api.github.com"},
			secrets: map[string]string{"token": "ghp_standin-pages"}, header: [2]string{"Authorization", "Bearer ghp_standin-pages"},
			activity: "search_issues", input: map[string]any{"q": "repo:octo/hello is:open", "per_page": 2},
			pages: []standInPage{
				{link: "/search/issues?q=repo%3Aocto%2Fhello+is%3Aopen&per_page=2&page=2",
					body: `{"total_count":5,"incomplete_results":false,"items":[{"number":1},{"number":2}]}`},
				{match: "page=2", link: "/search/issues?q=repo%3Aocto%2Fhello+is%3Aopen&per_page=2&page=3",
					body: `{"total_count":5,"incomplete_results":false,"items":[{"number":3},{"number":4}]}`},
				{match: "page=3", body: `{"total_count":5,"incomplete_results":false,"items":[{"number":5}]}`},
			},
			first: `{"items":[{"number":1},{"number":2}],"total_count":5}`,
			want:  `{"items":[{"number":1},{"number":2},{"number":3},{"number":4},{"number":5}],"total_count":5}`,
		},
		{
			key: "shopify", auth: "access_token", hosts: []string{"https://{shop}.myshopify.com"},
			fields: map[string]string{"shop": "acme-store"}, secrets: map[string]string{"access_token": "shpat_standin-pages"},
			header:   [2]string{"X-Shopify-Access-Token", "shpat_standin-pages"},
			activity: "search_customers", input: map[string]any{"query": "country:Canada", "limit": 1},
			pages: []standInPage{
				{link: "/admin/api/2025-10/customers/search.json?limit=1&page_info=p2", body: `{"customers":[{"id":1}]}`},
				{match: "page_info=p2", link: "/admin/api/2025-10/customers/search.json?limit=1&page_info=p3", body: `{"customers":[{"id":2}]}`},
				{match: "page_info=p3", body: `{"customers":[{"id":3}]}`},
			},
			first: `{"customers":[{"id":1}]}`,
			want:  `{"customers":[{"id":1},{"id":2},{"id":3}]}`,
		},
		{
			key: "jira", auth: "basic", hosts: []string{"https://{site}.atlassian.net"},
			fields: map[string]string{"site": "acme", "email": "ann@example.com"}, secrets: map[string]string{"api_token": "ATATT-jira-pages"},
			header:   [2]string{"Authorization", "Basic YW5uQGV4YW1wbGUuY29tOkFUQVRULWppcmEtcGFnZXM="},
			activity: "search_issues", input: map[string]any{"jql": "project = OPS"},
			pages: []standInPage{
				{body: `{"issues":[{"key":"OPS-1"}],"nextPageToken":"t2","isLast":false}`},
				{match: "nextPageToken=t2", body: `{"issues":[{"key":"OPS-2"}],"nextPageToken":"t3","isLast":false}`},
				{match: "nextPageToken=t3", body: `{"issues":[{"key":"OPS-3"}],"isLast":true}`},
			},
			first: `{"issues":[{"key":"OPS-1"}],"next_page_token":"t2"}`,
			// The last page has no token: nothing is left to read.
			want: `{"issues":[{"key":"OPS-1"},{"key":"OPS-2"},{"key":"OPS-3"}]}`,
		},
		{
			key: "box", auth: "bearer", hosts: []string{"https://api.box.com"},
			secrets: map[string]string{"token": "box-standin-pages"}, header: [2]string{"Authorization", "Bearer box-standin-pages"},
			activity: "search", input: map[string]any{"query": "invoice", "limit": 2},
			pages: []standInPage{
				{body: `{"total_count":5,"limit":2,"offset":0,"entries":[{"id":"1","type":"file"},{"id":"2","type":"file"}]}`},
				{match: "offset=2", body: `{"total_count":5,"limit":2,"offset":2,"entries":[{"id":"3","type":"file"},{"id":"4","type":"file"}]}`},
				{match: "offset=4", body: `{"total_count":5,"limit":2,"offset":4,"entries":[{"id":"5","type":"folder"}]}`},
			},
			first: `{"entries":[{"id":"1","type":"file"},{"id":"2","type":"file"}],"total_count":5}`,
			want:  `{"entries":[{"id":"1","type":"file"},{"id":"2","type":"file"},{"id":"3","type":"file"},{"id":"4","type":"file"},{"id":"5","type":"folder"}],"total_count":5}`,
		},
		{
			key: "confluence", auth: "basic", hosts: []string{"https://{site}.atlassian.net"},
			fields: map[string]string{"site": "acme", "email": "ann@example.com"}, secrets: map[string]string{"api_token": "ATATT-confluence-1"},
			header:   [2]string{"Authorization", "Basic YW5uQGV4YW1wbGUuY29tOkFUQVRULWNvbmZsdWVuY2UtMQ=="},
			activity: "list_attachments", input: map[string]any{"id": "65598", "limit": 1},
			pages: []standInPage{
				{body: `{"results":[{"id":"att1"}],"start":0,"limit":1,"size":1}`},
				{match: "start=1", body: `{"results":[{"id":"att2"}],"start":1,"limit":1,"size":1}`},
				{match: "start=2", body: `{"results":[],"start":2,"limit":1,"size":0}`},
			},
			first: `{"attachments":[{"id":"att1"}]}`,
			want:  `{"attachments":[{"id":"att1"},{"id":"att2"}]}`,
		},
		{
			key: "intercom", auth: "access_token", hosts: []string{"https://{api_host}"},
			secrets: map[string]string{"access_token": "dG9rOnBhZ2Vz"}, header: [2]string{"Authorization", "Bearer dG9rOnBhZ2Vz"},
			activity: "search_contacts",
			input:    map[string]any{"query": map[string]any{"field": "role", "operator": "=", "value": "user"}, "pagination": map[string]any{"per_page": 1}},
			pages: []standInPage{
				{body: `{"type":"list","data":[{"id":"c1"}],"total_count":3,"pages":{"type":"pages","page":1,"per_page":1,"total_pages":3,"next":{"per_page":1,"starting_after":"s2"}}}`},
				{match: "starting_after=s2", body: `{"type":"list","data":[{"id":"c2"}],"total_count":3,"pages":{"type":"pages","page":2,"per_page":1,"total_pages":3,"next":{"per_page":1,"starting_after":"s3"}}}`},
				{match: "starting_after=s3", body: `{"type":"list","data":[{"id":"c3"}],"total_count":3,"pages":{"type":"pages","page":3,"per_page":1,"total_pages":3}}`},
			},
			first: `{"contacts":[{"id":"c1"}],"total_count":3}`,
			want:  `{"contacts":[{"id":"c1"},{"id":"c2"},{"id":"c3"}],"total_count":3}`,
		},
		{
			// https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue:
			// the pages after the first at list_folder/continue, given the
			// cursor alone.
			key: "dropbox", auth: "bearer", hosts: []string{"https://api.dropboxapi.com/2"},
			fields:  map[string]string{"team_member_id": "dbmid:AAH4"},
			secrets: map[string]string{"token": "sl.dropbox-standin-pages"}, header: [2]string{"Authorization", "Bearer sl.dropbox-standin-pages"},
			activity: "list_folder", input: map[string]any{"path": "/Invoices", "limit": 1},
			pages: []standInPage{
				{path: "/files/list_folder", body: `{"entries":[{".tag":"file","name":"a.pdf"}],"cursor":"AAE1","has_more":true}`},
				{path: "/files/list_folder/continue", match: "cursor=AAE1",
					body: `{"entries":[{".tag":"folder","name":"b"}],"cursor":"AAE2","has_more":true}`},
				{path: "/files/list_folder/continue", match: "cursor=AAE2",
					body: `{"entries":[{".tag":"file","name":"c.pdf"}],"cursor":"AAE3","has_more":false}`},
			},
			first: `{"cursor":"AAE1","entries":[{".tag":"file","name":"a.pdf"}],"has_more":true}`,
			want:  `{"cursor":"AAE3","entries":[{".tag":"file","name":"a.pdf"},{".tag":"folder","name":"b"},{".tag":"file","name":"c.pdf"}],"has_more":false}`,
		},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			runPagedStandIn(t, tc)
		})
	}
}
