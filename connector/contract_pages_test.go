package connector_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"junction"
	"junction/connector"
)

// Search and list activities page as their vendors document: each case
// answers a first page the way the vendor does and checks the request for
// the second. Where ../shared/specs holds the vendor's description, the
// page parameters are checked to be ones the operation takes; the others
// name the vendor's reference page.
func TestContractActivityPages(t *testing.T) {
	for _, tc := range []struct {
		name, key, activity string
		cred                connector.Credentials
		input               map[string]any
		// spec, prefix: the vendor's description and what the base URL
		// adds before its paths; empty when the file lacks the operation.
		spec, prefix string
		header       http.Header // of the first page's answer
		body         string      // of the first page's answer
		want         string      // the second page's request line
		wantBody     string      // a part of the second page's body
	}{
		{
			// https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
			name: "GitHubLinkHeader", key: "github", activity: "search_issues",
			cred: connector.Credentials{Auth: "bearer", Secrets: secrets("token", "ghp_example")}, input: map[string]any{"q": "is:open"},
			spec: "github.json",
			header: http.Header{"Link": {`<https://api.github.com/search/issues?q=is%3Aopen&per_page=30&page=2>; rel="next", ` +
				`<https://api.github.com/search/issues?q=is%3Aopen&per_page=30&page=34>; rel="last"`}},
			body: `{"total_count":1000,"incomplete_results":false,"items":[{"id":1}]}`,
			want: "GET https://api.github.com/search/issues?q=is%3Aopen&per_page=30&page=2",
		},
		{
			// https://shopify.dev/docs/api/usage/pagination-rest: page_info
			// in the Link header, with limit and fields only.
			name: "ShopifyLinkHeader", key: "shopify", activity: "search_customers",
			cred:  connector.Credentials{Auth: "access_token", Fields: map[string]string{"shop": "acme-store"}, Secrets: secrets("access_token", "shpat_example")},
			input: map[string]any{"query": "country:Canada", "limit": 50},
			spec:  "shopify-admin.yml", prefix: "/admin/api/2021-10",
			header: http.Header{"Link": {`<https://acme-store.myshopify.com/admin/api/2025-10/customers/search.json?limit=50&page_info=eyJxIjoiY291bnRyeTpDYW5hZGEifQ>; rel="next"`}},
			body:   `{"customers":[{"id":207119551}]}`,
			want:   "GET https://acme-store.myshopify.com/admin/api/2025-10/customers/search.json?limit=50&page_info=eyJxIjoiY291bnRyeTpDYW5hZGEifQ",
		},
		{
			// https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
			// (not in the 2022 description): nextPageToken, isLast.
			name: "JiraPageToken", key: "jira", activity: "search_issues",
			cred:  connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "ann@example.com"}, Secrets: secrets("api_token", "ATATT-example")},
			input: map[string]any{"jql": "project = OPS"},
			body:  `{"issues":[{"id":"10001","key":"OPS-1"}],"nextPageToken":"CAEaAggD","isLast":false}`,
			want:  "GET https://acme.atlassian.net/rest/api/3/search/jql?jql=project+%3D+OPS&maxResults=50&nextPageToken=CAEaAggD",
		},
		{
			// https://developers.google.com/drive/api/reference/rest/v3/files/list:
			// pageToken from nextPageToken.
			name: "DrivePageToken", key: "google-drive", activity: "search_files",
			cred:  connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"client_id": "c"}, Secrets: secrets("client_secret", "s"), AccessToken: junction.NewSecret("ya29.example")},
			input: map[string]any{"q": "trashed = false"},
			body:  `{"nextPageToken":"~!!~AI9FV7Q","files":[{"id":"1a"}]}`,
			want:  "pageToken=~%21%21~AI9FV7Q",
		},
		{
			name: "BoxOffset", key: "box", activity: "search",
			cred:  connector.Credentials{Auth: "bearer", Secrets: secrets("token", "box-example")},
			input: map[string]any{"query": "invoice", "limit": 2},
			spec:  "box.json", prefix: "",
			body: `{"total_count":5,"limit":2,"offset":0,"entries":[{"id":"1","type":"file"},{"id":"2","type":"file"}]}`,
			want: "GET https://api.box.com/2.0/search?limit=2&offset=2&query=invoice",
		},
		{
			name: "ConfluenceOffset", key: "confluence", activity: "list_attachments",
			cred:  connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "ann@example.com"}, Secrets: secrets("api_token", "ATATT-example")},
			input: map[string]any{"id": "65598", "limit": 2},
			spec:  "confluence.json", prefix: "/wiki/rest/api",
			body: `{"results":[{"id":"att1"},{"id":"att2"}],"start":0,"limit":2,"size":2,"_links":{"next":"/rest/api/content/65598/child/attachment?limit=2&start=2"}}`,
			want: "GET https://acme.atlassian.net/wiki/rest/api/content/65598/child/attachment?limit=2&start=2",
		},
		{
			name: "IntercomCursorInBody", key: "intercom", activity: "search_contacts",
			cred:  connector.Credentials{Auth: "access_token", Fields: map[string]string{"api_host": "api.intercom.io"}, Secrets: secrets("access_token", "dG9rOmV4YW1wbGU=")},
			input: map[string]any{"query": map[string]any{"field": "role", "operator": "=", "value": "user"}, "pagination": map[string]any{"per_page": 5}},
			spec:  "intercom.yaml",
			body:  `{"type":"list","data":[{"id":"c1"}],"total_count":12,"pages":{"type":"pages","page":1,"per_page":5,"total_pages":3,"next":{"per_page":5,"starting_after":"WzE3MTk0OTM3NTcuMCwiNjY3ZDYwYWQ4OTEiXQ=="}}}`,
			want:  "POST https://api.intercom.io/contacts/search",
			// The caller's per_page stays beside the cursor.
			wantBody: `"pagination":{"per_page":5,"starting_after":"WzE3MTk0OTM3NTcuMCwiNjY3ZDYwYWQ4OTEiXQ=="}`,
		},
		{
			// https://www.dropbox.com/developers/documentation/http/documentation#files-search-continue:
			// the cursor alone, to search/continue_v2.
			name: "DropboxSearchContinue", key: "dropbox", activity: "search",
			cred:  connector.Credentials{Auth: "bearer", Secrets: secrets("token", "sl.example")},
			input: map[string]any{"query": "invoice"},
			spec:  "dropbox.yaml",
			body:  `{"matches":[{"match_type":{".tag":"filename"},"metadata":{".tag":"metadata","metadata":{".tag":"file","name":"a.pdf"}}}],"has_more":true,"cursor":"AAGh6Ec0"}`,
			want:  "POST https://api.dropboxapi.com/2/files/search/continue_v2",
			// Nothing else: search/continue_v2 takes the cursor only.
			wantBody: `{"cursor":"AAGh6Ec0"}`,
		},
		{
			// https://www.dropbox.com/developers/documentation/http/documentation#files-list_folder-continue
			// (not in the endpoint subset of the description).
			name: "DropboxListFolderContinue", key: "dropbox", activity: "list_folder",
			cred:     connector.Credentials{Auth: "bearer", Secrets: secrets("token", "sl.example")},
			input:    map[string]any{"path": "/Invoices", "limit": 100},
			body:     `{"entries":[{".tag":"file","name":"a.pdf","id":"id:a4ayc_80_OEAAAAAAAAAXw"}],"cursor":"ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu","has_more":true}`,
			want:     "POST https://api.dropboxapi.com/2/files/list_folder/continue",
			wantBody: `{"cursor":"ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu"}`,
		},
		{
			// https://learn.microsoft.com/en-us/graph/paging
			name: "OutlookNextLink", key: "microsoft-outlook", activity: "calendar_view",
			cred:  connector.Credentials{Auth: "delegated", Fields: map[string]string{"client_id": "c", "tenant": "common", "user_id": "me"}, Secrets: secrets("client_secret", "s"), AccessToken: junction.NewSecret("eyJ0eXAi.example")},
			input: map[string]any{"startDateTime": "2026-03-02T00:00:00Z", "endDateTime": "2026-03-09T00:00:00Z"},
			body:  `{"value":[{"id":"AAMk1"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/users/me/calendarView?startDateTime=2026-03-02T00%3a00%3a00Z&endDateTime=2026-03-09T00%3a00%3a00Z&%24skip=10"}`,
			want:  "GET https://graph.microsoft.com/v1.0/users/me/calendarView?startDateTime=2026-03-02T00%3a00%3a00Z&endDateTime=2026-03-09T00%3a00%3a00Z&%24skip=10",
		},
		{
			name: "OneDriveNextLink", key: "microsoft-onedrive", activity: "search",
			cred:  connector.Credentials{Auth: "delegated", Fields: map[string]string{"client_id": "c", "tenant": "common", "drive_id": "b!drive"}, Secrets: secrets("client_secret", "s"), AccessToken: junction.NewSecret("eyJ0eXAi.example")},
			input: map[string]any{"q": "budget"},
			body:  `{"value":[{"id":"01A"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/drives/b!drive/root/search(q='budget')?$skiptoken=X2"}`,
			want:  "$skiptoken=X2",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDefinition(t, tc.key)
			a := d.Activity(tc.activity)
			if a == nil || a.Pagination == nil {
				t.Fatalf("%s %s declares no pagination", tc.key, tc.activity)
			}
			if tc.spec != "" {
				spec := loadSpecB(t, tc.spec)
				k := a.Method + " " + pathVarREB.ReplaceAllString(tc.prefix+a.Path, "{}")
				params, ok := spec.find(k)
				if !ok {
					t.Fatalf("%s is not in %s", k, tc.spec)
				}
				pg := a.Pagination
				for _, p := range []string{pg.LimitParam, pg.OffsetParam, pg.PageParam} {
					if p != "" && !params["query:"+p] {
						t.Errorf("page parameter %q is not one of %s", p, k)
					}
				}
				if pg.Type == connector.PageCursor && pg.CursorIn != "body" && pg.Continue == nil && !params["query:"+pg.CursorParam] {
					t.Errorf("cursor parameter %q is not one of %s", pg.CursorParam, k)
				}
			}
			first, err := d.BuildActivity(tc.cred, tc.activity, tc.input)
			if err != nil {
				t.Fatal(err)
			}
			header := tc.header
			if header == nil {
				header = http.Header{}
			}
			next, ok, err := first.NextPage(connector.Response{StatusCode: 200, Header: header, Body: []byte(tc.body)})
			if err != nil || !ok {
				t.Fatalf("no second page: %v", err)
			}
			line := next.Method + " " + next.URL.String()
			if !strings.Contains(line, tc.want) {
				unescaped, _ := url.QueryUnescape(line)
				t.Fatalf("second page %s (%s), want %s", line, unescaped, tc.want)
			}
			if pc := a.Pagination.Continue; pc != nil && string(next.Body) != tc.wantBody {
				t.Fatalf("second page body %s, want exactly %s", next.Body, tc.wantBody)
			}
			if tc.wantBody != "" && !strings.Contains(string(next.Body), tc.wantBody) {
				t.Fatalf("second page body %s, want %s in it", next.Body, tc.wantBody)
			}
			// The credential goes with the second page too.
			if first.Header.Get("Authorization") != "" && next.Header.Get("Authorization") != first.Header.Get("Authorization") {
				t.Fatal("the second page lost the credential")
			}
			// A last page ends it.
			last := `{}`
			if rec := a.Records; rec != "" {
				last = `{"` + strings.Split(rec, ".")[0] + `":[]}`
			}
			if _, more, err := next.NextPage(connector.Response{StatusCode: 200, Header: http.Header{}, Body: []byte(last)}); err != nil || more {
				t.Fatalf("a last page did not end paging: %v %v", more, err)
			}
		})
	}
}
