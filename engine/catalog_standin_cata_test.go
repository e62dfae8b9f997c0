package engine_test

import (
	"testing"
	"time"

	"junction/connector"
)

// Files, collaboration and task connectors through the engine against
// loopback stand-ins answering as each vendor's reference shows (see the
// pages named in connector/contract_cat_a_test.go).
func TestCatalogStandInsFilesAndWork(t *testing.T) {
	watermark := connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	cases := []standInCase{
		{
			key: "dropbox", auth: "bearer", hosts: []string{"https://api.dropboxapi.com"},
			secrets:  map[string]string{"token": "sl.dropbox-1"},
			header:   [2]string{"Authorization", "Bearer sl.dropbox-1"},
			rejected: `{"error_summary":"invalid_access_token/..","error":{".tag":"invalid_access_token"}}`,
			routes: map[string]string{
				"POST /2/users/get_current_account": `{"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","email":"ann@example.com"}`,
				"POST /2/files/create_folder_v2":    `{"metadata":{"id":"id:a4ayc_80_OEAAAAAAAAAXz","name":"2026","path_display":"/Invoices/2026"}}`,
				"POST /2/files/get_temporary_link":  `{"link":"https://ucabc123.dl.dropboxusercontent.com/cd/0/get/abc","metadata":{"name":"a.pdf"}}`,
			},
			calls: []standInCall{
				{activity: "create_folder", input: map[string]any{"path": "/Invoices/2026"}, want: `{"id":"id:a4ayc_80_OEAAAAAAAAAXz","path_display":"/Invoices/2026"}`},
				{activity: "get_temporary_link", input: map[string]any{"path": "/a.pdf"}, want: `{"link":"https://ucabc123.dl.dropboxusercontent.com/cd/0/get/abc"}`},
			},
		},
		{
			// Client credentials grant: the engine fetches the token from
			// the stand-in's /oauth2/token first.
			key: "box", auth: "client_credentials", hosts: []string{"https://api.box.com"},
			fields:   map[string]string{"client_id": "c1", "box_subject_type": "enterprise", "box_subject_id": "899905961"},
			secrets:  map[string]string{"client_secret": "standin-client-secret"},
			header:   [2]string{"Authorization", "Bearer standin-at"},
			rejected: `{"type":"error","status":401,"code":"unauthorized","message":"Unauthorized"}`,
			routes: map[string]string{
				"GET /2.0/users/me":  `{"type":"user","id":"33224412","name":"Service Account","login":"AutomationUser_1@boxdevedition.com"}`,
				"POST /2.0/comments": `{"type":"comment","id":"11446498","message":"Approved"}`,
				"GET /2.0/folders/0/items": `{"entries":[{"type":"file","id":"12345","name":"new.pdf","created_at":"2026-12-06T02:05:00-08:00","modified_at":"2026-12-06T02:05:00-08:00"},
					{"type":"file","id":"12000","name":"old.pdf","created_at":"2026-11-06T02:05:00-08:00","modified_at":"2026-12-06T02:06:00-08:00"}],"limit":1000}`,
			},
			calls: []standInCall{{activity: "add_comment", input: map[string]any{"file_id": "12345", "message": "Approved"}, want: `{"id":"11446498"}`}},
			poll:  &standInPoll{object: "item", event: "created", state: watermark, want: "12345"},
		},
		{
			key: "asana", auth: "bearer", hosts: []string{"https://app.asana.com"},
			secrets:  map[string]string{"token": "2/1200/1201:asana-1"},
			header:   [2]string{"Authorization", "Bearer 2/1200/1201:asana-1"},
			rejected: `{"errors":[{"message":"Not Authorized"}]}`,
			routes: map[string]string{
				"GET /api/1.0/users/me":             `{"data":{"gid":"1200","name":"Ann","email":"ann@example.com"}}`,
				"POST /api/1.0/tasks/1205/subtasks": `{"data":{"gid":"1299","resource_type":"task","name":"Update DNS"}}`,
				"GET /api/1.0/tasks": `{"data":[{"gid":"1207","created_at":"2026-12-06T10:01:00.000Z","modified_at":"2026-12-06T10:01:00.000Z"},
					{"gid":"1205","created_at":"2026-11-01T10:01:00.000Z","modified_at":"2026-12-06T10:02:00.000Z"}],"next_page":null}`,
			},
			calls: []standInCall{{activity: "create_subtask", input: map[string]any{"task_gid": "1205", "name": "Update DNS"}, want: `{"gid":"1299"}`}},
			poll:  &standInPoll{object: "task", event: "updated", input: map[string]any{"project": "1204"}, state: watermark, want: "1205"},
		},
		{
			key: "confluence", auth: "basic", hosts: []string{"https://{site}.atlassian.net"},
			fields:   map[string]string{"site": "acme", "email": "ann@example.com"},
			secrets:  map[string]string{"api_token": "ATATT-confluence-1"},
			header:   [2]string{"Authorization", "Basic YW5uQGV4YW1wbGUuY29tOkFUQVRULWNvbmZsdWVuY2UtMQ=="},
			rejected: `{"statusCode":401,"message":"Client must be authenticated to access this resource."}`,
			routes: map[string]string{
				"GET /wiki/rest/api/user/current": `{"type":"known","accountId":"5b10a2844c20165700ede21g","displayName":"Ann"}`,
				"POST /wiki/rest/api/content":     `{"id":"65601","type":"comment","status":"current"}`,
				"GET /wiki/rest/api/content/search": `{"results":[{"id":"65598","type":"page","title":"Runbook",
					"history":{"createdDate":"2026-12-06T10:03:00.000Z"},"version":{"number":1,"when":"2026-12-06T10:03:00.000Z"}}],"start":0,"limit":100,"size":1}`,
				// An attachment's _links.download, relative to the site's /wiki.
				"GET /wiki/download/attachments/65598/run book.pdf": "%PDF-1.7 runbook",
			},
			sent: map[string][]string{"GET /wiki/download/attachments/65598/run book.pdf": {"version=1", "api=v2"}},
			calls: []standInCall{{activity: "add_comment", input: map[string]any{"page_id": "65598", "body": "<p>ok</p>"}, want: `{"id":"65601"}`},
				{activity: "download_attachment", input: map[string]any{"download": "/download/attachments/65598/run%20book.pdf?version=1&modificationDate=1733479380000&api=v2"},
					want: `{"content_type":"application/json","size":16,"content":"JVBERi0xLjcgcnVuYm9vaw=="}`}},
			poll: &standInPoll{object: "page", event: "created", state: watermark, want: "65598"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			runStandIn(t, tc)
		})
	}
}
