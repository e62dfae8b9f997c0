package connector_test

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/oauth2"

	"junction"
	"junction/connector"
)

// googleCred is an OAuth connection to a Google API; the access token is
// what Junction obtained at the token endpoint.
func googleCred() connector.Credentials {
	return connector.Credentials{Auth: "oauth2_authorization_code",
		Fields:      map[string]string{"client_id": "123-abc.apps.googleusercontent.com"},
		Secrets:     secrets("client_secret", "GOCSPX-example"),
		AccessToken: junction.NewSecret("ya29.example")}
}

// Gmail publishes no OpenAPI file in ../shared/specs; each case names the
// page of https://developers.google.com/workspace/gmail/api/reference/rest
// that documents the request.
func TestContractGmail(t *testing.T) {
	const base = "https://gmail.googleapis.com/gmail/v1/users/me"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer ya29.example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "gmail", googleCred(), []contractCase{
		// v1/users/getProfile
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/profile" + hdr},
		// v1/users.messages/send
		{name: "SendMessage", kind: "activity", activity: "send_message",
			input: map[string]any{"raw": "VG86IGFubkBleGFtcGxlLmNvbQ0KDQpIaQ", "threadId": "18c1"},
			want:  "POST " + base + "/messages/send" + js + `{"raw":"VG86IGFubkBleGFtcGxlLmNvbQ0KDQpIaQ","threadId":"18c1"}`},
		// The same, the message built from fields: without attachments it
		// has no boundary, so it is the same bytes every time.
		{name: "SendMessageFromFields", kind: "activity", activity: "send_message",
			input: map[string]any{"to": "Ann <ann@example.com>", "subject": "Re: Invoice", "text": "Thanks.",
				"in_reply_to": "<CAB1x2y@mail.gmail.com>", "references": "<CAB1x2y@mail.gmail.com>", "threadId": "18c1"},
			want: "POST " + base + "/messages/send" + js + `{"raw":"` + gmailRaw("To: \"Ann\" <ann@example.com>\r\nSubject: Re: Invoice\r\n"+
				"In-Reply-To: <CAB1x2y@mail.gmail.com>\r\nReferences: <CAB1x2y@mail.gmail.com>\r\n", "Thanks.") + `","threadId":"18c1"}`},
		// v1/users.drafts/create: the draft wraps a message resource.
		{name: "CreateDraft", kind: "activity", activity: "create_draft",
			input: map[string]any{"raw": "SGk"},
			want:  "POST " + base + "/drafts" + js + `{"message":{"raw":"SGk"}}`},
		{name: "CreateDraftFromFields", kind: "activity", activity: "create_draft",
			input: map[string]any{"to": "ann@example.com", "subject": "Draft", "text": "Hi", "threadId": "18c1"},
			want:  "POST " + base + "/drafts" + js + `{"message":{"raw":"` + gmailRaw("To: <ann@example.com>\r\nSubject: Draft\r\n", "Hi") + `","threadId":"18c1"}}`},
		// v1/users.drafts/send: the body is the draft, by id.
		{name: "SendDraft", kind: "activity", activity: "send_draft",
			input: map[string]any{"id": "r-42"},
			want:  "POST " + base + "/drafts/send" + js + `{"id":"r-42"}`},
		// v1/users.messages/modify
		{name: "ModifyLabels", kind: "activity", activity: "modify_labels", retrySafe: true,
			input: map[string]any{"id": "18c2", "addLabelIds": []any{"Label_12"}, "removeLabelIds": []any{"INBOX", "UNREAD"}},
			want:  "POST " + base + "/messages/18c2/modify" + js + `{"addLabelIds":["Label_12"],"removeLabelIds":["INBOX","UNREAD"]}`},
		// v1/users.messages/trash
		{name: "TrashMessage", kind: "activity", activity: "trash_message", retrySafe: true,
			input: map[string]any{"id": "18c2"},
			want:  "POST " + base + "/messages/18c2/trash" + hdr},
		// v1/users.messages.attachments/get
		{name: "GetAttachment", kind: "activity", activity: "get_attachment", retrySafe: true,
			input: map[string]any{"message_id": "18c2", "id": "ANGjdJ8"},
			want:  "GET " + base + "/messages/18c2/attachments/ANGjdJ8" + hdr},
		// v1/users.messages/list: q, labelIds (repeated), maxResults, pageToken.
		{name: "ListMessages", object: "message", operation: "list", retrySafe: true,
			input: map[string]any{"q": "from:ann@example.com is:unread", "labelIds": []any{"INBOX", "IMPORTANT"}},
			want:  "GET " + base + "/messages?labelIds=INBOX&labelIds=IMPORTANT&maxResults=100&q=from%3Aann%40example.com+is%3Aunread" + hdr},
		// v1/users.messages/get: format and repeated metadataHeaders.
		{name: "GetMessage", object: "message", operation: "get", retrySafe: true,
			input: map[string]any{"id": "18c2", "format": "metadata", "metadataHeaders": []any{"Subject", "From"}},
			want:  "GET " + base + "/messages/18c2?format=metadata&metadataHeaders=Subject&metadataHeaders=From" + hdr},
		// v1/users.messages/delete
		{name: "DeleteMessage", object: "message", operation: "delete", retrySafe: true,
			input: map[string]any{"id": "18c2"},
			want:  "DELETE " + base + "/messages/18c2" + hdr},
		// v1/users.threads/list and get
		{name: "ListThreads", object: "thread", operation: "list", retrySafe: true,
			input: map[string]any{"q": "subject:invoice"},
			want:  "GET " + base + "/threads?maxResults=100&q=subject%3Ainvoice" + hdr},
		{name: "GetThread", object: "thread", operation: "get", retrySafe: true,
			input: map[string]any{"id": "18c1", "format": "minimal"},
			want:  "GET " + base + "/threads/18c1?format=minimal" + hdr},
		// v1/users.labels/list, create, patch, delete
		{name: "ListLabels", object: "label", operation: "list", retrySafe: true, want: "GET " + base + "/labels" + hdr},
		{name: "GetLabel", object: "label", operation: "get", retrySafe: true, input: map[string]any{"id": "Label_12"},
			want: "GET " + base + "/labels/Label_12" + hdr},
		{name: "CreateLabel", object: "label", operation: "create",
			input: map[string]any{"name": "Clients/Acme", "labelListVisibility": "labelShow", "messageListVisibility": "show"},
			want:  "POST " + base + "/labels" + js + `{"labelListVisibility":"labelShow","messageListVisibility":"show","name":"Clients/Acme"}`},
		{name: "UpdateLabel", object: "label", operation: "update",
			input: map[string]any{"id": "Label_12", "name": "Clients/Acme Ltd"},
			want:  "PATCH " + base + "/labels/Label_12" + js + `{"name":"Clients/Acme Ltd"}`},
		{name: "DeleteLabel", object: "label", operation: "delete", retrySafe: true, input: map[string]any{"id": "Label_12"},
			want: "DELETE " + base + "/labels/Label_12" + hdr},
		// v1/users.drafts/list, get, delete
		{name: "ListDrafts", object: "draft", operation: "list", retrySafe: true,
			want: "GET " + base + "/drafts?maxResults=100" + hdr},
		{name: "GetDraft", object: "draft", operation: "get", retrySafe: true, input: map[string]any{"id": "r-42"},
			want: "GET " + base + "/drafts/r-42" + hdr},
		{name: "DeleteDraft", object: "draft", operation: "delete", retrySafe: true, input: map[string]any{"id": "r-42"},
			want: "DELETE " + base + "/drafts/r-42" + hdr},
	})
	t.Run("OtherMailbox", func(t *testing.T) {
		c := googleCred()
		c.Fields["user_id"] = "ann@example.com"
		r, err := mustDefinition(t, "gmail").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.URL.String(); got != "https://gmail.googleapis.com/gmail/v1/users/ann@example.com/profile" {
			t.Errorf("URL = %s", got)
		}
	})
}

// gmailRaw is a one-part text message with these headers, as Gmail's raw
// takes it.
func gmailRaw(headers, text string) string {
	return base64.URLEncoding.EncodeToString([]byte("MIME-Version: 1.0\r\n" + headers +
		"Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + text))
}

// Google Drive publishes no OpenAPI file in ../shared/specs; each case names
// the page of https://developers.google.com/workspace/drive/api/reference/rest/v3
// that documents the request.
func TestContractGoogleDrive(t *testing.T) {
	const base = "https://www.googleapis.com/drive/v3"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer ya29.example"
	const fileHdr = "\nAccept: */*\nAuthorization: Bearer ya29.example" // the answer is a file
	const js = hdr + "\nContent-Type: application/json\n\n"
	const fileFields = "fields=id%2Cname%2CmimeType%2Cparents%2Csize%2CcreatedTime%2CmodifiedTime%2CwebViewLink%2Ctrashed"
	runContract(t, "google-drive", googleCred(), []contractCase{
		// about/get: fields is required.
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/about?fields=user" + hdr},
		// files/list
		{name: "ListFiles", object: "file", operation: "list", retrySafe: true,
			input: map[string]any{"q": "'1AbC' in parents and trashed = false", "orderBy": "modifiedTime desc", "fields": "nextPageToken,files(id,name)"},
			want: "GET " + base + "/files?fields=nextPageToken%2Cfiles%28id%2Cname%29&includeItemsFromAllDrives=true&orderBy=modifiedTime+desc&pageSize=100" +
				"&q=%271AbC%27+in+parents+and+trashed+%3D+false&supportsAllDrives=true" + hdr},
		{name: "ListSharedDrive", object: "file", operation: "list", retrySafe: true,
			input: map[string]any{"corpora": "drive", "driveId": "0ABx", "fields": "files(id)"},
			want:  "GET " + base + "/files?corpora=drive&driveId=0ABx&fields=files%28id%29&includeItemsFromAllDrives=true&pageSize=100&supportsAllDrives=true" + hdr},
		// files/get
		{name: "GetFile", object: "file", operation: "get", retrySafe: true, input: map[string]any{"fileId": "1xyz"},
			want: "GET " + base + "/files/1xyz?" + fileFields + "&supportsAllDrives=true" + hdr},
		// files/create (metadata only)
		{name: "CreateFile", object: "file", operation: "create",
			input: map[string]any{"name": "Q3 plan", "mimeType": "application/vnd.google-apps.document", "parents": []any{"1AbC"}},
			want:  "POST " + base + "/files?supportsAllDrives=true" + js + `{"mimeType":"application/vnd.google-apps.document","name":"Q3 plan","parents":["1AbC"]}`},
		// files/update: metadata in the body, parents in the query.
		{name: "UpdateFile", object: "file", operation: "update", retrySafe: false,
			input: map[string]any{"fileId": "1xyz", "name": "Q3 plan (final)", "trashed": false, "addParents": "1New", "removeParents": "1AbC"},
			want:  "PATCH " + base + "/files/1xyz?addParents=1New&removeParents=1AbC&supportsAllDrives=true" + js + `{"name":"Q3 plan (final)","trashed":false}`},
		// files/delete
		{name: "DeleteFile", object: "file", operation: "delete", retrySafe: true, input: map[string]any{"fileId": "1xyz"},
			want: "DELETE " + base + "/files/1xyz?supportsAllDrives=true" + hdr},
		// permissions/list and delete
		{name: "ListPermissions", object: "permission", operation: "list", retrySafe: true, input: map[string]any{"fileId": "1xyz"},
			want: "GET " + base + "/files/1xyz/permissions?pageSize=100&supportsAllDrives=true" + hdr},
		{name: "DeletePermission", object: "permission", operation: "delete", retrySafe: true, input: map[string]any{"fileId": "1xyz", "permissionId": "0987"},
			want: "DELETE " + base + "/files/1xyz/permissions/0987?supportsAllDrives=true" + hdr},
		// drives/list
		{name: "ListDrives", object: "drive", operation: "list", retrySafe: true,
			want: "GET " + base + "/drives?pageSize=100" + hdr},
		// files/list as an activity
		{name: "SearchFiles", kind: "activity", activity: "search_files", retrySafe: true,
			input: map[string]any{"q": "name contains 'invoice'"},
			want: "GET " + base + "/files?fields=nextPageToken%2Cfiles%28id%2Cname%2CmimeType%2Cparents%2Csize%2CmodifiedTime%2CwebViewLink%29" +
				"&includeItemsFromAllDrives=true&pageSize=100&q=name+contains+%27invoice%27&supportsAllDrives=true" + hdr},
		// files/create with the folder MIME type
		{name: "CreateFolder", kind: "activity", activity: "create_folder",
			input: map[string]any{"name": "Invoices", "parent_id": "1AbC"},
			want:  "POST " + base + "/files?supportsAllDrives=true" + js + `{"mimeType":"application/vnd.google-apps.folder","name":"Invoices","parents":["1AbC"]}`},
		{name: "CreateFolderInRoot", kind: "activity", activity: "create_folder",
			input: map[string]any{"name": "Invoices"},
			want:  "POST " + base + "/files?supportsAllDrives=true" + js + `{"mimeType":"application/vnd.google-apps.folder","name":"Invoices"}`},
		// files/copy
		{name: "CopyFile", kind: "activity", activity: "copy_file",
			input: map[string]any{"fileId": "1tpl", "name": "Contract ACME", "parents": []any{"1AbC"}},
			want:  "POST " + base + "/files/1tpl/copy?supportsAllDrives=true" + js + `{"name":"Contract ACME","parents":["1AbC"]}`},
		// files/update with addParents and removeParents
		{name: "MoveFile", kind: "activity", activity: "move_file", retrySafe: false,
			input: map[string]any{"fileId": "1xyz", "to_folder_id": "1New", "from_folder_id": "1AbC"},
			want:  "PATCH " + base + "/files/1xyz?addParents=1New&removeParents=1AbC&supportsAllDrives=true" + hdr},
		// permissions/create
		{name: "ShareFile", kind: "activity", activity: "share_file",
			input: map[string]any{"fileId": "1xyz", "type": "user", "role": "writer", "emailAddress": "ann@example.com", "send_notification_email": false},
			want:  "POST " + base + "/files/1xyz/permissions?sendNotificationEmail=false&supportsAllDrives=true" + js + `{"emailAddress":"ann@example.com","role":"writer","type":"user"}`},
		// files/export
		{name: "ExportFile", kind: "activity", activity: "export_file", retrySafe: true,
			input: map[string]any{"fileId": "1doc", "mimeType": "application/pdf"},
			want:  "GET " + base + "/files/1doc/export?mimeType=application%2Fpdf" + fileHdr},
		// files/get with alt=media
		{name: "DownloadFile", kind: "activity", activity: "download_file", retrySafe: true,
			input: map[string]any{"fileId": "1bin"},
			want:  "GET " + base + "/files/1bin?alt=media&supportsAllDrives=true" + fileHdr},
	})
}

// catAPollCase is one poll of an event: the request it sends from a watermark,
// and the records it finds in the vendor's documented answer.
type catAPollCase struct {
	key, object, event string
	cred               connector.Credentials
	input              map[string]any
	state              connector.PollState
	want               string   // the request, as wire renders it
	answer             string   // the vendor's response body
	wantIDs            []string // the records reported, in order
	wantNext           string   // the next page's URL, if any
}

func runCatAPoll(t *testing.T, tc catAPollCase) {
	t.Helper()
	d := mustDefinition(t, tc.key)
	r, err := d.BuildPoll(tc.cred, tc.object, tc.event, tc.input, tc.state)
	if err != nil {
		t.Fatalf("build poll: %v", err)
	}
	if got := wire(r); got != tc.want {
		t.Errorf("poll request\n got:\n%s\nwant:\n%s", got, tc.want)
	}
	page, err := d.PollRecords(tc.object, tc.event, tc.state, r, connector.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: []byte(tc.answer)})
	if err != nil {
		t.Fatalf("poll records: %v", err)
	}
	var ids []string
	for _, rec := range page.Records {
		if rec.Created.IsZero() && rec.Updated.IsZero() {
			t.Errorf("record %s has no time", rec.ID)
		}
		ids = append(ids, rec.ID)
	}
	if strings.Join(ids, " ") != strings.Join(tc.wantIDs, " ") {
		t.Errorf("records %v, want %v", ids, tc.wantIDs)
	}
	next := ""
	if page.Next != nil {
		next = page.Next.URL.String()
	}
	if next != tc.wantNext {
		t.Errorf("next page %q, want %q", next, tc.wantNext)
	}
}

var since = connector.PollState{Watermark: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)}

func TestPollGoogleDrive(t *testing.T) {
	// files/list answers files[] with the fields asked for, and
	// nextPageToken while there is more.
	const answer = `{"nextPageToken": "tok-2", "files": [
		{"id": "1a", "name": "a.pdf", "createdTime": "2026-03-01T09:31:00.000Z", "modifiedTime": "2026-03-01T09:31:00.000Z"},
		{"id": "1b", "name": "b.pdf", "createdTime": "2025-12-24T10:00:00.000Z", "modifiedTime": "2026-03-01T10:00:00.000Z"}]}`
	const fields = "fields=nextPageToken%2Cfiles%28id%2Cname%2CmimeType%2Cparents%2Csize%2CcreatedTime%2CmodifiedTime%2CwebViewLink%2Ctrashed%29"
	const base = "https://www.googleapis.com/drive/v3/files?"
	runCatAPoll(t, catAPollCase{key: "google-drive", object: "file", event: "updated", cred: googleCred(), state: since,
		want: "GET " + base + fields + "&includeItemsFromAllDrives=true&orderBy=modifiedTime&pageSize=100" +
			"&q=modifiedTime+%3E+%272026-03-01T09%3A29%3A00Z%27&supportsAllDrives=true\nAccept: application/json\nAuthorization: Bearer ya29.example",
		answer: answer, wantIDs: []string{"1a", "1b"},
		wantNext: base + fields + "&includeItemsFromAllDrives=true&orderBy=modifiedTime&pageSize=100" +
			"&pageToken=tok-2&q=modifiedTime+%3E+%272026-03-01T09%3A29%3A00Z%27&supportsAllDrives=true"})
	runCatAPoll(t, catAPollCase{key: "google-drive", object: "file", event: "created", cred: googleCred(), state: since,
		want: "GET " + base + fields + "&includeItemsFromAllDrives=true&orderBy=createdTime&pageSize=100" +
			"&q=createdTime+%3E+%272026-03-01T09%3A29%3A00Z%27+and+trashed+%3D+false&supportsAllDrives=true\nAccept: application/json\nAuthorization: Bearer ya29.example",
		answer: answer, wantIDs: []string{"1a"}, wantNext: base + fields + "&includeItemsFromAllDrives=true&orderBy=createdTime&pageSize=100" +
			"&pageToken=tok-2&q=createdTime+%3E+%272026-03-01T09%3A29%3A00Z%27+and+trashed+%3D+false&supportsAllDrives=true"})
}

// Google Sheets publishes no OpenAPI file in ../shared/specs; each case
// names the page of https://developers.google.com/workspace/sheets/api/reference/rest
// that documents the request.
func TestContractGoogleSheets(t *testing.T) {
	const base = "https://sheets.googleapis.com/v4/spreadsheets"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer ya29.example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "google-sheets", googleCred(), []contractCase{
		// v4/spreadsheets/get of an ID that cannot exist: 404 proves the token.
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/junction-connection-test?fields=spreadsheetId" + hdr},
		// v4/spreadsheets/get
		{name: "GetSpreadsheet", object: "spreadsheet", operation: "get", retrySafe: true,
			input: map[string]any{"spreadsheetId": "1BxiM", "ranges": []any{"Sheet1!A1:B2", "Totals"}, "fields": "sheets.properties"},
			want:  "GET " + base + "/1BxiM?fields=sheets.properties&ranges=Sheet1%21A1%3AB2&ranges=Totals" + hdr},
		// v4/spreadsheets/create
		{name: "CreateSpreadsheet", object: "spreadsheet", operation: "create",
			input: map[string]any{"title": "Orders 2026", "time_zone": "Europe/Paris", "sheets": []any{map[string]any{"properties": map[string]any{"title": "Orders"}}}},
			want:  "POST " + base + js + `{"properties":{"timeZone":"Europe/Paris","title":"Orders 2026"},"sheets":[{"properties":{"title":"Orders"}}]}`},
		// v4/spreadsheets.values/get: the range is a path segment.
		{name: "GetValues", kind: "activity", activity: "get_values", retrySafe: true,
			input: map[string]any{"spreadsheetId": "1BxiM", "range": "Class Data!A2:E", "valueRenderOption": "UNFORMATTED_VALUE"},
			want:  "GET " + base + "/1BxiM/values/Class%20Data%21A2:E?valueRenderOption=UNFORMATTED_VALUE" + hdr},
		// v4/spreadsheets.values/batchGet: ranges repeated.
		{name: "BatchGetValues", kind: "activity", activity: "batch_get_values", retrySafe: true,
			input: map[string]any{"spreadsheetId": "1BxiM", "ranges": []any{"A1:B2", "Totals!C1"}},
			want:  "GET " + base + "/1BxiM/values:batchGet?ranges=A1%3AB2&ranges=Totals%21C1" + hdr},
		// v4/spreadsheets.values/append
		{name: "AppendRows", kind: "activity", activity: "append_rows",
			input: map[string]any{"spreadsheetId": "1BxiM", "range": "Sheet1!A:D", "values": []any{[]any{"2026-03-01", "ACME", 120}}},
			want: "POST " + base + "/1BxiM/values/Sheet1%21A:D:append?insertDataOption=INSERT_ROWS&valueInputOption=USER_ENTERED" + js +
				`{"values":[["2026-03-01","ACME",120]]}`},
		// v4/spreadsheets.values/update
		{name: "UpdateValues", kind: "activity", activity: "update_values", retrySafe: true,
			input: map[string]any{"spreadsheetId": "1BxiM", "range": "Sheet1!B2:C2", "values": []any{[]any{"paid", nil}}, "valueInputOption": "RAW"},
			want:  "PUT " + base + "/1BxiM/values/Sheet1%21B2:C2?valueInputOption=RAW" + js + `{"values":[["paid",null]]}`},
		// v4/spreadsheets.values/clear
		{name: "ClearValues", kind: "activity", activity: "clear_values", retrySafe: true,
			input: map[string]any{"spreadsheetId": "1BxiM", "range": "Sheet1!A2:D"},
			want:  "POST " + base + "/1BxiM/values/Sheet1%21A2:D:clear" + hdr},
		// v4/spreadsheets/batchUpdate with an AddSheetRequest
		{name: "AddSheet", kind: "activity", activity: "add_sheet",
			input: map[string]any{"spreadsheetId": "1BxiM", "title": "March"},
			want:  "POST " + base + "/1BxiM:batchUpdate" + js + `{"requests":[{"addSheet":{"properties":{"title":"March"}}}]}`},
	})
}

// authorizeQuery is the query of the URL a user is sent to for consent.
func authorizeQuery(t *testing.T, key string, c connector.Credentials) url.Values {
	t.Helper()
	s, err := mustDefinition(t, key).OAuth2(c)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(s.Config("https://junction.example.com/oauth/callback").AuthCodeURL("st", s.AuthCodeOptions(oauth2.GenerateVerifier())...))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// Google hands out a refresh token only with access_type=offline, and again
// for a user who consented before only with prompt=consent
// (https://developers.google.com/identity/protocols/oauth2/web-server).
func TestOAuthGoogle(t *testing.T) {
	for key, scope := range map[string]string{
		"gmail":         "https://www.googleapis.com/auth/gmail.modify",
		"google-drive":  "https://www.googleapis.com/auth/drive",
		"google-sheets": "https://www.googleapis.com/auth/spreadsheets",
	} {
		t.Run(key, func(t *testing.T) {
			s, err := mustDefinition(t, key).OAuth2(googleCred())
			if err != nil {
				t.Fatal(err)
			}
			if s.AuthorizeURL != "https://accounts.google.com/o/oauth2/v2/auth" || s.TokenURL != "https://oauth2.googleapis.com/token" {
				t.Errorf("endpoints %s %s", s.AuthorizeURL, s.TokenURL)
			}
			q := authorizeQuery(t, key, googleCred())
			if q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("scope") != scope ||
				q.Get("code_challenge_method") != "S256" || q.Get("client_id") != "123-abc.apps.googleusercontent.com" {
				t.Errorf("authorize query %v", q)
			}
		})
	}
}

// graphCred is a delegated Microsoft Graph connection for one mailbox.
func graphCred() connector.Credentials {
	return connector.Credentials{Auth: "delegated",
		Fields:      map[string]string{"tenant": "contoso.onmicrosoft.com", "user_id": "ann@contoso.com", "client_id": "11111111-2222-3333-4444-555555555555"},
		Secrets:     secrets("client_secret", "graph-secret"),
		AccessToken: junction.NewSecret("eyJ0eXAi.example")}
}

// Microsoft Graph's OpenAPI description is not in ../shared/specs; each case
// names the page under https://learn.microsoft.com/en-us/graph/api/ that
// documents the request.
func TestContractMicrosoftOutlook(t *testing.T) {
	const base = "https://graph.microsoft.com/v1.0/users/ann@contoso.com"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer eyJ0eXAi.example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	const msgSelect = "%24select=id%2Csubject%2Cfrom%2CtoRecipients%2CbodyPreview%2CisRead%2ChasAttachments%2CreceivedDateTime%2ClastModifiedDateTime%2CwebLink"
	runContract(t, "microsoft-outlook", graphCred(), []contractCase{
		// user-get
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "?%24select=id%2CdisplayName%2Cmail%2CuserPrincipalName" + hdr},
		// user-sendmail
		{name: "SendMail", kind: "activity", activity: "send_mail",
			input: map[string]any{"to": "bob@contoso.com", "subject": "Invoice 42", "body": "Attached."},
			want: "POST " + base + "/sendMail" + js +
				`{"message":{"body":{"content":"Attached.","contentType":"Text"},"subject":"Invoice 42","toRecipients":[{"emailAddress":{"address":"bob@contoso.com"}}]},"saveToSentItems":true}`},
		{name: "SendMailWithCc", kind: "activity", activity: "send_mail",
			input: map[string]any{"to": "bob@contoso.com", "cc": "eve@contoso.com", "subject": "Hi", "body": "<p>Hi</p>", "content_type": "HTML", "save_to_sent_items": false},
			want: "POST " + base + "/sendMail" + js +
				`{"message":{"body":{"content":"\u003cp\u003eHi\u003c/p\u003e","contentType":"HTML"},"ccRecipients":[{"emailAddress":{"address":"eve@contoso.com"}}],"subject":"Hi","toRecipients":[{"emailAddress":{"address":"bob@contoso.com"}}]},"saveToSentItems":false}`},
		// message-send
		{name: "SendDraft", kind: "activity", activity: "send_draft", input: map[string]any{"id": "AAMk1"},
			want: "POST " + base + "/messages/AAMk1/send" + hdr},
		// message-reply and message-replyall
		{name: "Reply", kind: "activity", activity: "reply", input: map[string]any{"id": "AAMk1", "comment": "Thanks"},
			want: "POST " + base + "/messages/AAMk1/reply" + js + `{"comment":"Thanks"}`},
		{name: "ReplyAll", kind: "activity", activity: "reply", input: map[string]any{"id": "AAMk1", "comment": "Thanks", "reply_kind": "replyAll"},
			want: "POST " + base + "/messages/AAMk1/replyAll" + js + `{"comment":"Thanks"}`},
		// message-move
		{name: "MoveMessage", kind: "activity", activity: "move_message", input: map[string]any{"id": "AAMk1", "destinationId": "archive"},
			want: "POST " + base + "/messages/AAMk1/move" + js + `{"destinationId":"archive"}`},
		// message-list-attachments
		{name: "ListAttachments", kind: "activity", activity: "list_attachments", retrySafe: true, input: map[string]any{"id": "AAMk1"},
			want: "GET " + base + "/messages/AAMk1/attachments" + hdr},
		// user-list-calendarview
		{name: "CalendarView", kind: "activity", activity: "calendar_view", retrySafe: true,
			input: map[string]any{"startDateTime": "2026-03-02T00:00:00Z", "endDateTime": "2026-03-09T00:00:00Z"},
			want: "GET " + base + "/calendarView?%24select=id%2Csubject%2Cstart%2Cend%2Clocation%2Cattendees%2Corganizer%2CwebLink" +
				"&endDateTime=2026-03-09T00%3A00%3A00Z&startDateTime=2026-03-02T00%3A00%3A00Z" + hdr},
		// mailfolder-list-messages
		{name: "ListInbox", object: "message", operation: "list", retrySafe: true,
			input: map[string]any{"filter": "isRead eq false"},
			want:  "GET " + base + "/mailFolders/inbox/messages?%24filter=isRead+eq+false&" + msgSelect + "&%24top=50" + hdr},
		{name: "SearchFolder", object: "message", operation: "list", retrySafe: true,
			input: map[string]any{"folder": "archive", "search": `"subject:invoice"`, "select": "id,subject"},
			want:  "GET " + base + "/mailFolders/archive/messages?%24search=%22subject%3Ainvoice%22&%24select=id%2Csubject&%24top=50" + hdr},
		// message-get
		{name: "GetMessage", object: "message", operation: "get", retrySafe: true, input: map[string]any{"id": "AAMk1"},
			want: "GET " + base + "/messages/AAMk1" + hdr},
		// user-post-messages
		{name: "CreateDraft", object: "message", operation: "create",
			input: map[string]any{"subject": "Hi", "toRecipients": []any{map[string]any{"emailAddress": map[string]any{"address": "bob@contoso.com"}}}},
			want:  "POST " + base + "/messages" + js + `{"subject":"Hi","toRecipients":[{"emailAddress":{"address":"bob@contoso.com"}}]}`},
		// message-update
		{name: "MarkRead", object: "message", operation: "update", input: map[string]any{"id": "AAMk1", "isRead": true, "categories": []any{"Billing"}},
			want: "PATCH " + base + "/messages/AAMk1" + js + `{"categories":["Billing"],"isRead":true}`},
		// message-delete
		{name: "DeleteMessage", object: "message", operation: "delete", retrySafe: true, input: map[string]any{"id": "AAMk1"},
			want: "DELETE " + base + "/messages/AAMk1" + hdr},
		// user-list-events, user-post-events, event-update, event-delete
		{name: "ListEvents", object: "event", operation: "list", retrySafe: true, input: map[string]any{"orderby": "start/dateTime"},
			want: "GET " + base + "/events?%24orderby=start%2FdateTime&%24top=50" + hdr},
		{name: "CreateEvent", object: "event", operation: "create",
			input: map[string]any{"subject": "Review", "start": map[string]any{"dateTime": "2026-03-02T10:00:00", "timeZone": "Europe/Paris"},
				"end": map[string]any{"dateTime": "2026-03-02T10:30:00", "timeZone": "Europe/Paris"}, "isOnlineMeeting": true},
			want: "POST " + base + "/events" + js +
				`{"end":{"dateTime":"2026-03-02T10:30:00","timeZone":"Europe/Paris"},"isOnlineMeeting":true,"start":{"dateTime":"2026-03-02T10:00:00","timeZone":"Europe/Paris"},"subject":"Review"}`},
		// event-get
		{name: "GetEvent", object: "event", operation: "get", retrySafe: true, input: map[string]any{"id": "AAMkE"},
			want: "GET " + base + "/events/AAMkE" + hdr},
		{name: "UpdateEvent", object: "event", operation: "update", input: map[string]any{"id": "AAMkE", "subject": "Review (moved)"},
			want: "PATCH " + base + "/events/AAMkE" + js + `{"subject":"Review (moved)"}`},
		{name: "DeleteEvent", object: "event", operation: "delete", retrySafe: true, input: map[string]any{"id": "AAMkE"},
			want: "DELETE " + base + "/events/AAMkE" + hdr},
		// user-list-contacts, user-post-contacts
		{name: "ListContacts", object: "contact", operation: "list", retrySafe: true,
			want: "GET " + base + "/contacts?%24top=100" + hdr},
		{name: "CreateContact", object: "contact", operation: "create",
			input: map[string]any{"givenName": "Bob", "emailAddresses": []any{map[string]any{"address": "bob@contoso.com"}}},
			want:  "POST " + base + "/contacts" + js + `{"emailAddresses":[{"address":"bob@contoso.com"}],"givenName":"Bob"}`},
	})
	t.Run("ClientCredentials", func(t *testing.T) {
		c := graphCred()
		c.Auth = "application"
		s, err := mustDefinition(t, "microsoft-outlook").OAuth2(c)
		if err != nil {
			t.Fatal(err)
		}
		if s.TokenURL != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" ||
			strings.Join(s.Scopes, " ") != "https://graph.microsoft.com/.default" {
			t.Errorf("settings %+v", s)
		}
	})
	t.Run("DelegatedConsent", func(t *testing.T) {
		q := authorizeQuery(t, "microsoft-outlook", graphCred())
		if q.Get("scope") != "offline_access User.Read Mail.ReadWrite Mail.Send Calendars.ReadWrite Contacts.ReadWrite" || q.Get("code_challenge_method") != "S256" {
			t.Errorf("authorize query %v", q)
		}
	})
}

func TestPollMicrosoftOutlook(t *testing.T) {
	// mailfolder-list-messages answers value[] and @odata.nextLink.
	const answer = `{"value": [
		{"id": "AAMk1", "subject": "a", "receivedDateTime": "2026-03-01T09:31:00Z", "lastModifiedDateTime": "2026-03-01T09:31:05Z"},
		{"id": "AAMk2", "subject": "b", "receivedDateTime": "2026-03-01T09:40:00Z", "lastModifiedDateTime": "2026-03-01T09:40:02Z"}],
		"@odata.nextLink": "https://graph.microsoft.com/v1.0/users/ann@contoso.com/mailFolders/inbox/messages?$skip=50"}`
	const base = "https://graph.microsoft.com/v1.0/users/ann@contoso.com/mailFolders/inbox/messages?"
	runCatAPoll(t, catAPollCase{key: "microsoft-outlook", object: "message", event: "received", cred: graphCred(), state: since,
		want: "GET " + base + "%24filter=receivedDateTime+ge+2026-03-01T09%3A29%3A00Z&%24orderby=receivedDateTime+asc" +
			"&%24select=id%2Csubject%2Cfrom%2CtoRecipients%2CbodyPreview%2CisRead%2ChasAttachments%2CreceivedDateTime%2ClastModifiedDateTime%2CwebLink&%24top=50" +
			"\nAccept: application/json\nAuthorization: Bearer eyJ0eXAi.example",
		answer: answer, wantIDs: []string{"AAMk1", "AAMk2"},
		wantNext: "https://graph.microsoft.com/v1.0/users/ann@contoso.com/mailFolders/inbox/messages?$skip=50"})
}

// Each case names the page under https://learn.microsoft.com/en-us/graph/api/
// that documents the request.
func TestContractMicrosoftTeams(t *testing.T) {
	const base = "https://graph.microsoft.com/v1.0"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer eyJ0eXAi.example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	const team, channel = "/teams/172b0cce-e65d-44ce-9a49-91d9f2e8493a", "/channels/19:abc@thread.tacv2"
	runContract(t, "microsoft-teams", graphCred(), []contractCase{
		// user-get
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/me?%24select=id%2CdisplayName%2CuserPrincipalName" + hdr},
		// channel-post-messages
		{name: "SendChannelMessage", kind: "activity", activity: "send_channel_message",
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "channel_id": "19:abc@thread.tacv2", "content": "Deploy finished"},
			want:  "POST " + base + team + channel + "/messages" + js + `{"body":{"content":"Deploy finished","contentType":"text"}}`},
		// chatmessage-post-replies
		{name: "Reply", kind: "activity", activity: "reply_to_channel_message",
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "channel_id": "19:abc@thread.tacv2", "message_id": "1616990032035", "content": "<b>Done</b>", "content_type": "html"},
			want:  "POST " + base + team + channel + "/messages/1616990032035/replies" + js + `{"body":{"content":"\u003cb\u003eDone\u003c/b\u003e","contentType":"html"}}`},
		// chat-post-messages
		{name: "SendChatMessage", kind: "activity", activity: "send_chat_message",
			input: map[string]any{"chat_id": "19:2da4c29f@thread.v2", "content": "Hello"},
			want:  "POST " + base + "/chats/19:2da4c29f@thread.v2/messages" + js + `{"body":{"content":"Hello","contentType":"text"}}`},
		// chatmessage-delta
		{name: "MessagesSince", kind: "activity", activity: "channel_messages_since", retrySafe: true,
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "channel_id": "19:abc@thread.tacv2", "filter": "lastModifiedDateTime gt 2026-03-01T00:00:00Z"},
			want:  "GET " + base + team + channel + "/messages/delta?%24filter=lastModifiedDateTime+gt+2026-03-01T00%3A00%3A00Z&%24top=50" + hdr},
		// application-post-onlinemeetings
		{name: "CreateOnlineMeeting", kind: "activity", activity: "create_online_meeting",
			input: map[string]any{"subject": "Incident bridge", "startDateTime": "2026-03-02T10:00:00+01:00", "endDateTime": "2026-03-02T11:00:00+01:00"},
			want:  "POST " + base + "/me/onlineMeetings" + js + `{"endDateTime":"2026-03-02T11:00:00+01:00","startDateTime":"2026-03-02T10:00:00+01:00","subject":"Incident bridge"}`},
		// user-list-joinedteams, team-get
		{name: "ListTeams", object: "team", operation: "list", retrySafe: true, want: "GET " + base + "/me/joinedTeams" + hdr},
		{name: "GetTeam", object: "team", operation: "get", retrySafe: true, input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a"},
			want: "GET " + base + team + hdr},
		// channel-list, channel-get, channel-post
		{name: "ListChannels", object: "channel", operation: "list", retrySafe: true,
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "filter": "membershipType eq 'private'"},
			want:  "GET " + base + team + "/channels?%24filter=membershipType+eq+%27private%27" + hdr},
		{name: "GetChannel", object: "channel", operation: "get", retrySafe: true,
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "channel_id": "19:abc@thread.tacv2"},
			want:  "GET " + base + team + channel + hdr},
		{name: "CreateChannel", object: "channel", operation: "create",
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "displayName": "incidents", "membershipType": "standard"},
			want:  "POST " + base + team + "/channels" + js + `{"displayName":"incidents","membershipType":"standard"}`},
		// channel-list-messages, chatmessage-get
		{name: "ListChannelMessages", object: "channel_message", operation: "list", retrySafe: true,
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "channel_id": "19:abc@thread.tacv2", "expand": "replies"},
			want:  "GET " + base + team + channel + "/messages?%24expand=replies&%24top=50" + hdr},
		{name: "GetChannelMessage", object: "channel_message", operation: "get", retrySafe: true,
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "channel_id": "19:abc@thread.tacv2", "message_id": "1616990032035"},
			want:  "GET " + base + team + channel + "/messages/1616990032035" + hdr},
		// chat-list
		{name: "ListChats", object: "chat", operation: "list", retrySafe: true, input: map[string]any{"filter": "chatType eq 'group'"},
			want: "GET " + base + "/me/chats?%24filter=chatType+eq+%27group%27&%24top=50" + hdr},
		// team-list-members, team-post-members, team-delete-members
		{name: "ListMembers", object: "member", operation: "list", retrySafe: true, input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a"},
			want: "GET " + base + team + "/members" + hdr},
		{name: "AddMember", object: "member", operation: "create",
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "user_id": "ann@contoso.com", "roles": []any{"owner"}},
			want: "POST " + base + team + "/members" + js +
				`{"@odata.type":"#microsoft.graph.aadUserConversationMember","roles":["owner"],"user@odata.bind":"https://graph.microsoft.com/v1.0/users('ann@contoso.com')"}`},
		{name: "AddMemberDefaultRole", object: "member", operation: "create",
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "user_id": "ann@contoso.com"},
			want: "POST " + base + team + "/members" + js +
				`{"@odata.type":"#microsoft.graph.aadUserConversationMember","roles":[],"user@odata.bind":"https://graph.microsoft.com/v1.0/users('ann@contoso.com')"}`},
		{name: "RemoveMember", object: "member", operation: "delete", retrySafe: true,
			input: map[string]any{"team_id": "172b0cce-e65d-44ce-9a49-91d9f2e8493a", "membership_id": "MCMjMiMj"},
			want:  "DELETE " + base + team + "/members/MCMjMiMj" + hdr},
	})
}

func TestPollMicrosoftTeams(t *testing.T) {
	const answer = `{"value": [
		{"id": "1616990032035", "createdDateTime": "2026-03-01T09:31:00.123Z", "lastModifiedDateTime": "2026-03-01T09:31:00.123Z"},
		{"id": "1616990000001", "createdDateTime": "2026-02-27T08:00:00Z", "lastModifiedDateTime": "2026-03-01T09:35:00Z"}],
		"@odata.deltaLink": "https://graph.microsoft.com/v1.0/teams/t/channels/c/messages/delta?$deltatoken=x"}`
	runCatAPoll(t, catAPollCase{key: "microsoft-teams", object: "channel_message", event: "created", cred: graphCred(), state: since,
		input: map[string]any{"team_id": "t", "channel_id": "19:abc@thread.tacv2"},
		want: "GET https://graph.microsoft.com/v1.0/teams/t/channels/19:abc@thread.tacv2/messages/delta?%24filter=lastModifiedDateTime+gt+2026-03-01T09%3A29%3A00Z&%24top=50" +
			"\nAccept: application/json\nAuthorization: Bearer eyJ0eXAi.example",
		answer: answer, wantIDs: []string{"1616990032035"}})
}

// Each case names the page under https://learn.microsoft.com/en-us/graph/api/
// that documents the request.
// Path values are percent-encoded (b! as b%21, commas as %2C) as Graph's
// own SDKs encode them; Graph decodes them.
func TestContractMicrosoftOneDrive(t *testing.T) {
	c := graphCred()
	c.Fields["drive_id"] = "b!t18F8ybsHUq1z3LTz8xvZqP8zaSWjkFNhsME-Fepo75dTf9vQKfeRblBZjoSQrd7"
	const base = "https://graph.microsoft.com/v1.0"
	const drive = base + "/drives/b%21t18F8ybsHUq1z3LTz8xvZqP8zaSWjkFNhsME-Fepo75dTf9vQKfeRblBZjoSQrd7"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer eyJ0eXAi.example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "microsoft-onedrive", c, []contractCase{
		// drive-get
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + drive + "?%24select=id%2Cname%2CdriveType" + hdr},
		// driveitem-list-children
		{name: "ListRoot", object: "item", operation: "list", retrySafe: true,
			want: "GET " + drive + "/items/root/children?%24top=200" + hdr},
		{name: "ListFolder", object: "item", operation: "list", retrySafe: true,
			input: map[string]any{"item_id": "01BYE5RZ", "select": "id,name", "orderby": "name"},
			want:  "GET " + drive + "/items/01BYE5RZ/children?%24orderby=name&%24select=id%2Cname&%24top=200" + hdr},
		// driveitem-get
		{name: "GetItem", object: "item", operation: "get", retrySafe: true, input: map[string]any{"item_id": "01BYE5RZ"},
			want: "GET " + drive + "/items/01BYE5RZ" + hdr},
		// driveitem-post-children
		{name: "CreateFolder", object: "item", operation: "create", input: map[string]any{"name": "Invoices"},
			want: "POST " + drive + "/items/root/children" + js + `{"@microsoft.graph.conflictBehavior":"fail","folder":{},"name":"Invoices"}`},
		// driveitem-update, driveitem-move
		{name: "Rename", object: "item", operation: "update", input: map[string]any{"item_id": "01BYE5RZ", "name": "Invoices 2026"},
			want: "PATCH " + drive + "/items/01BYE5RZ" + js + `{"name":"Invoices 2026"}`},
		{name: "Move", object: "item", operation: "update", input: map[string]any{"item_id": "01BYE5RZ", "parent_id": "01ARCHIV"},
			want: "PATCH " + drive + "/items/01BYE5RZ" + js + `{"parentReference":{"id":"01ARCHIV"}}`},
		// driveitem-delete
		{name: "Delete", object: "item", operation: "delete", retrySafe: true, input: map[string]any{"item_id": "01BYE5RZ"},
			want: "DELETE " + drive + "/items/01BYE5RZ" + hdr},
		// driveitem-search
		{name: "Search", kind: "activity", activity: "search", retrySafe: true, input: map[string]any{"q": "invoice 2026"},
			want: "GET " + drive + "/root/search(q='invoice%202026')?%24select=id%2Cname%2Csize%2Cfile%2Cfolder%2CparentReference%2ClastModifiedDateTime%2CwebUrl" + hdr},
		// driveitem-get with @microsoft.graph.downloadUrl
		{name: "GetDownloadURL", kind: "activity", activity: "get_download_url", retrySafe: true, input: map[string]any{"item_id": "01BYE5RZ"},
			want: "GET " + drive + "/items/01BYE5RZ?%24select=id%2Cname%2Csize%2Cfile%2C%40microsoft.graph.downloadUrl" + hdr},
		// driveitem-createuploadsession
		{name: "CreateUploadSession", kind: "activity", activity: "create_upload_session",
			input: map[string]any{"parent_id": "01BYE5RZ", "file_name": "report Q1.pdf"},
			want:  "POST " + drive + "/items/01BYE5RZ:/report%20Q1.pdf:/createUploadSession" + js + `{"item":{"@microsoft.graph.conflictBehavior":"rename"}}`},
		// driveitem-copy
		{name: "Copy", kind: "activity", activity: "copy", input: map[string]any{"item_id": "01BYE5RZ", "to_folder_id": "01ARCHIV", "name": "copy.pdf"},
			want: "POST " + drive + "/items/01BYE5RZ/copy" + js + `{"name":"copy.pdf","parentReference":{"id":"01ARCHIV"}}`},
		// driveitem-createlink
		{name: "CreateLink", kind: "activity", activity: "create_sharing_link", retrySafe: true,
			input: map[string]any{"item_id": "01BYE5RZ", "type": "view", "scope": "organization"},
			want:  "POST " + drive + "/items/01BYE5RZ/createLink" + js + `{"scope":"organization","type":"view"}`},
		// drive-get (/me/drive), drive-list, site-search
		{name: "GetMyDrive", kind: "activity", activity: "get_my_drive", retrySafe: true,
			want: "GET " + base + "/me/drive?%24select=id%2Cname%2CdriveType%2CwebUrl" + hdr},
		{name: "ListSiteDrives", kind: "activity", activity: "list_site_drives", retrySafe: true,
			input: map[string]any{"site_id": "contoso.sharepoint.com,2C712604,2D471E3F"},
			want:  "GET " + base + "/sites/contoso.sharepoint.com%2C2C712604%2C2D471E3F/drives" + hdr},
		{name: "SearchSites", kind: "activity", activity: "search_sites", retrySafe: true, input: map[string]any{"search": "finance"},
			want: "GET " + base + "/sites?search=finance" + hdr},
	})
}

func TestPollMicrosoftOneDrive(t *testing.T) {
	c := graphCred()
	c.Fields["drive_id"] = "b!abc"
	runCatAPoll(t, catAPollCase{key: "microsoft-onedrive", object: "item", event: "created", cred: c, state: since,
		input: map[string]any{"item_id": "01INBOX"},
		want:  "GET https://graph.microsoft.com/v1.0/drives/b%21abc/items/01INBOX/children?%24top=200\nAccept: application/json\nAuthorization: Bearer eyJ0eXAi.example",
		answer: `{"value": [
			{"id": "01OLD", "name": "old.pdf", "createdDateTime": "2025-01-01T00:00:00Z", "lastModifiedDateTime": "2026-03-01T10:00:00Z"},
			{"id": "01NEW", "name": "new.pdf", "createdDateTime": "2026-03-01T09:45:00Z", "lastModifiedDateTime": "2026-03-01T09:45:00Z"}]}`,
		wantIDs: []string{"01NEW"}})
}

// specOperation is one operation of a vendor's OpenAPI description: the
// names of its parameters (by where they go) and of its JSON body's
// top-level properties.
type specOperation struct {
	params map[string]map[string]bool // "query", "header", "path" -> names
	body   map[string]bool
}

// loadSpec reads an OpenAPI 3 file of ../shared/specs (JSON or YAML) into
// its operations, keyed by "METHOD /path" with every {variable} written {}.
func loadSpec(t *testing.T, file string) map[string]specOperation {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "specs", file))
	if err != nil {
		t.Skipf("vendor description not available: %v", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	resolve := func(v any) map[string]any {
		m, _ := v.(map[string]any)
		for i := 0; i < 8 && m != nil; i++ {
			ref, ok := m["$ref"].(string)
			if !ok {
				break
			}
			cur := any(doc)
			for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				cm, _ := cur.(map[string]any)
				cur = cm[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
			}
			m, _ = cur.(map[string]any)
		}
		return m
	}
	out := map[string]specOperation{}
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		im := resolve(item)
		for _, method := range []string{"get", "post", "put", "patch", "delete"} {
			om := resolve(im[method])
			if om == nil {
				continue
			}
			op := specOperation{params: map[string]map[string]bool{}, body: map[string]bool{}}
			for _, list := range []any{im["parameters"], om["parameters"]} {
				ps, _ := list.([]any)
				for _, pv := range ps {
					pm := resolve(pv)
					in, _ := pm["in"].(string)
					name, _ := pm["name"].(string)
					if op.params[in] == nil {
						op.params[in] = map[string]bool{}
					}
					op.params[in][strings.ToLower(name)] = true
				}
			}
			if rb := resolve(om["requestBody"]); rb != nil {
				content, _ := rb["content"].(map[string]any)
				for _, mt := range content {
					schema := resolve(resolve(mt)["schema"])
					var collect func(s map[string]any, depth int)
					collect = func(s map[string]any, depth int) {
						if s == nil || depth > 4 {
							return
						}
						props, _ := s["properties"].(map[string]any)
						for k := range props {
							op.body[k] = true
						}
						for _, key := range []string{"allOf", "oneOf", "anyOf"} {
							subs, _ := s[key].([]any)
							for _, sub := range subs {
								collect(resolve(sub), depth+1)
							}
						}
					}
					collect(schema, 0)
				}
			}
			out[strings.ToUpper(method)+" "+specPathRE.ReplaceAllString(p, "{}")] = op
		}
	}
	return out
}

var specPathRE = regexp.MustCompile(`\{[^}]*\}`)

// checkSpec checks every request the connector can send (its test, object
// operations and activities) against the vendor's description: the method
// and path exist, and every query and header parameter and top-level body
// key the definition names is one the operation declares. prefix is the
// part of the base URL's path the description's paths leave out. absent
// names the requests a partial description lacks, each with the vendor's
// reference page that documents it instead.
func checkSpec(t *testing.T, key, file, prefix string, absent map[string]string) {
	t.Helper()
	spec := loadSpec(t, file)
	d := mustDefinition(t, key)
	base, err := url.Parse(specPathRE.ReplaceAllString(d.BaseURL, "x"))
	if err != nil {
		t.Fatal(err)
	}
	basePath := strings.TrimPrefix(base.Path, prefix)
	check := func(name string, op *connector.Operation) {
		t.Run(name, func(t *testing.T) {
			if page, ok := absent[name]; ok {
				if !strings.HasPrefix(page, "https://") {
					t.Fatalf("name the page documenting %s", name)
				}
				t.Skipf("not in %s; documented at %s", file, page)
			}
			if op.Link != nil {
				t.Skip("goes to a link the API answers, outside its description")
			}
			k := op.Method + " " + specPathRE.ReplaceAllString(basePath+op.Path, "{}")
			so, ok := spec[k]
			if !ok {
				// A literal the vendor documents as a value of a path
				// parameter (Asana's users/me) matches that parameter.
				so, ok = matchSpecPath(spec, k)
			}
			if !ok {
				t.Fatalf("%s is not in %s", k, file)
			}
			for q := range op.Query {
				if !so.params["query"][strings.ToLower(q)] {
					t.Errorf("query parameter %s is not declared", q)
				}
			}
			for h := range op.Headers {
				if !so.params["header"][strings.ToLower(h)] && !strings.EqualFold(h, "Content-Type") {
					t.Errorf("header %s is not declared", h)
				}
			}
			inJSONHeader := map[string]bool{}
			for h, tmpl := range op.JSONHeaders {
				if !so.params["header"][strings.ToLower(h)] {
					t.Errorf("header %s is not declared", h)
				}
				for _, m := range specPathRE.FindAllString(fmt.Sprint(tmpl), -1) {
					inJSONHeader[strings.Trim(m, "{}")] = true
				}
			}
			var bodyKeys []string
			if m, ok := op.Body.(map[string]any); ok {
				for k := range m {
					bodyKeys = append(bodyKeys, k)
				}
			}
			for i := range op.Inputs {
				in := &op.Inputs[i]
				where := in.In
				if where == "" {
					switch {
					case strings.Contains(op.Path, "{"+in.Name+"}"):
						where = "path"
					case op.Method == "GET" || op.Method == "DELETE":
						where = "query"
					default:
						where = "body"
					}
				}
				switch where {
				case "query", "header":
					if !so.params[where][strings.ToLower(in.WireName())] {
						t.Errorf("%s parameter %s is not declared", where, in.WireName())
					}
				case "body":
					if op.Body == nil && !inJSONHeader[in.Name] && in.Type != connector.TypeFile {
						bodyKeys = append(bodyKeys, in.WireName())
					}
				}
			}
			for _, k := range bodyKeys {
				if !so.body[k] {
					t.Errorf("body property %s is not declared", k)
				}
			}
		})
	}
	if d.Test != nil {
		method := d.Test.Method
		if method == "" {
			method = "GET"
		}
		check("test", &connector.Operation{Method: method, Path: d.Test.Path, Query: d.Test.Query})
	}
	for i := range d.Objects {
		o := &d.Objects[i]
		for _, name := range connector.OperationNames {
			if op := o.Operations.ByName(name); op != nil {
				check(o.Name+"."+name, op)
			}
		}
	}
	for i := range d.Activities {
		check(d.Activities[i].Name, &d.Activities[i].Operation)
	}
}

// The Dropbox description in ../shared/specs is a subset of the API; the
// requests it lacks are checked byte for byte below, with their pages.
func TestSpecDropbox(t *testing.T) {
	const doc = "https://www.dropbox.com/developers/documentation/http/documentation"
	checkSpec(t, "dropbox", "dropbox.yaml", "/2", map[string]string{
		"test":                 doc + "#users-get_current_account",
		"list_folder":          doc + "#files-list_folder",
		"list_folder_continue": doc + "#files-list_folder-continue",
		"upload":               doc + "#files-upload",
	})
}

func TestContractDropbox(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "sl.example")}
	const base = "https://api.dropboxapi.com/2"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer sl.example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "dropbox", cred, []contractCase{
		{name: "Test", kind: "test", want: "POST " + base + "/users/get_current_account" + hdr},
		{name: "ListFolder", kind: "activity", activity: "list_folder", retrySafe: true,
			input: map[string]any{"recursive": true, "limit": 500},
			want:  "POST " + base + "/files/list_folder" + js + `{"limit":500,"path":"","recursive":true}`},
		{name: "ListFolderContinue", kind: "activity", activity: "list_folder_continue", retrySafe: true,
			input: map[string]any{"cursor": "ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu"},
			want:  "POST " + base + "/files/list_folder/continue" + js + `{"cursor":"ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu"}`},
		{name: "Search", kind: "activity", activity: "search", retrySafe: true,
			input: map[string]any{"query": "invoice", "path": "/Invoices", "max_results": 20},
			want:  "POST " + base + "/files/search_v2" + js + `{"options":{"max_results":20,"path":"/Invoices"},"query":"invoice"}`},
		{name: "SearchEverywhere", kind: "activity", activity: "search", retrySafe: true,
			input: map[string]any{"query": "invoice"},
			want:  "POST " + base + "/files/search_v2" + js + `{"query":"invoice"}`},
		{name: "GetMetadata", kind: "activity", activity: "get_metadata", retrySafe: true,
			input: map[string]any{"path": "/Invoices/42.pdf"},
			want:  "POST " + base + "/files/get_metadata" + js + `{"path":"/Invoices/42.pdf"}`},
		{name: "CreateFolder", kind: "activity", activity: "create_folder",
			input: map[string]any{"path": "/Invoices/2026", "autorename": false},
			want:  "POST " + base + "/files/create_folder_v2" + js + `{"autorename":false,"path":"/Invoices/2026"}`},
		{name: "Copy", kind: "activity", activity: "copy",
			input: map[string]any{"from_path": "/Templates/contract.docx", "to_path": "/Clients/ACME/contract.docx", "autorename": true},
			want:  "POST " + base + "/files/copy_v2" + js + `{"autorename":true,"from_path":"/Templates/contract.docx","to_path":"/Clients/ACME/contract.docx"}`},
		{name: "Move", kind: "activity", activity: "move",
			input: map[string]any{"from_path": "id:a4ayc_80_OEAAAAAAAAAXw", "to_path": "/Archive/42.pdf"},
			want:  "POST " + base + "/files/move_v2" + js + `{"from_path":"id:a4ayc_80_OEAAAAAAAAAXw","to_path":"/Archive/42.pdf"}`},
		{name: "Delete", kind: "activity", activity: "delete", retrySafe: true, input: map[string]any{"path": "/Archive/42.pdf"},
			want: "POST " + base + "/files/delete_v2" + js + `{"path":"/Archive/42.pdf"}`},
		{name: "ListRevisions", kind: "activity", activity: "list_revisions", retrySafe: true, input: map[string]any{"path": "/a.txt", "limit": 10},
			want: "POST " + base + "/files/list_revisions" + js + `{"limit":10,"path":"/a.txt"}`},
		{name: "Restore", kind: "activity", activity: "restore", retrySafe: true, input: map[string]any{"path": "/a.txt", "rev": "a1c10ce0dd78"},
			want: "POST " + base + "/files/restore" + js + `{"path":"/a.txt","rev":"a1c10ce0dd78"}`},
		{name: "TemporaryLink", kind: "activity", activity: "get_temporary_link", retrySafe: true, input: map[string]any{"path": "/a.pdf"},
			want: "POST " + base + "/files/get_temporary_link" + js + `{"path":"/a.pdf"}`},
		{name: "SharedLink", kind: "activity", activity: "create_shared_link",
			input: map[string]any{"path": "/Reports/q1.pdf", "visibility": "team_only", "access": "viewer"},
			want:  "POST " + base + "/sharing/create_shared_link_with_settings" + js + `{"path":"/Reports/q1.pdf","settings":{"access":"viewer","requested_visibility":"team_only"}}`},
	})
	t.Run("TeamMember", func(t *testing.T) {
		c := cred
		c.Fields = map[string]string{"team_member_id": "dbmid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"}
		r, err := mustDefinition(t, "dropbox").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("Dropbox-Api-Select-User"); got != "dbmid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc" {
			t.Errorf("Dropbox-API-Select-User = %q", got)
		}
	})
	t.Run("OfflineConsent", func(t *testing.T) {
		q := authorizeQuery(t, "dropbox", connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"client_id": "appkey"}, Secrets: secrets("client_secret", "s")})
		if q.Get("token_access_type") != "offline" || q.Get("code_challenge_method") != "S256" || !strings.HasPrefix(q.Get("scope"), "account_info.read files.metadata.read") {
			t.Errorf("authorize query %v", q)
		}
	})
}

func TestSpecBox(t *testing.T) { checkSpec(t, "box", "box.json", "/2.0", nil) }

// Box's upload session steps are the description's: each method and path,
// and every header they send.
func TestSpecBoxUploadSession(t *testing.T) {
	spec := loadSpec(t, "box.json")
	cu := mustDefinition(t, "box").Activity("upload_file").ChunkedUpload
	for name, st := range map[string]*connector.UploadStep{"start": cu.Start, "append": cu.Append, "finish": cu.Finish} {
		k := cmp.Or(st.Method, "POST") + " " + specPathRE.ReplaceAllString(st.Path, "{}")
		so, ok := spec[k]
		if !ok {
			t.Errorf("%s: %s is not in box.json", name, k)
			continue
		}
		for h := range st.Headers {
			if !so.params["header"][strings.ToLower(h)] {
				t.Errorf("%s: header %s is not declared", name, h)
			}
		}
	}
}

func TestContractBox(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "devtoken-example")}
	const base = "https://api.box.com/2.0"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer devtoken-example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "box", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/me?fields=id%2Cname%2Clogin" + hdr},
		{name: "GetFolder", object: "folder", operation: "get", retrySafe: true, input: map[string]any{"folder_id": "0"},
			want: "GET " + base + "/folders/0" + hdr},
		{name: "CreateFolder", object: "folder", operation: "create", input: map[string]any{"name": "Invoices", "parent_id": "0"},
			want: "POST " + base + "/folders" + js + `{"name":"Invoices","parent":{"id":"0"}}`},
		{name: "MoveFolder", object: "folder", operation: "update", retrySafe: true, input: map[string]any{"folder_id": "12", "parent_id": "34"},
			want: "PUT " + base + "/folders/12" + js + `{"parent":{"id":"34"}}`},
		{name: "DeleteFolder", object: "folder", operation: "delete", retrySafe: true, input: map[string]any{"folder_id": "12", "recursive": true},
			want: "DELETE " + base + "/folders/12?recursive=true" + hdr},
		{name: "ListItems", object: "item", operation: "list", retrySafe: true, input: map[string]any{"sort": "date", "direction": "DESC"},
			want: "GET " + base + "/folders/0/items?direction=DESC&fields=type%2Cid%2Cname%2Csize%2Ccreated_at%2Cmodified_at%2Cparent&limit=1000&sort=date&usemarker=true" + hdr},
		{name: "GetFile", object: "file", operation: "get", retrySafe: true, input: map[string]any{"file_id": "12345", "fields": "id,name,sha1"},
			want: "GET " + base + "/files/12345?fields=id%2Cname%2Csha1" + hdr},
		{name: "RenameFile", object: "file", operation: "update", retrySafe: true, input: map[string]any{"file_id": "12345", "name": "q1.pdf", "tags": []any{"finance"}},
			want: "PUT " + base + "/files/12345" + js + `{"name":"q1.pdf","tags":["finance"]}`},
		{name: "DeleteFile", object: "file", operation: "delete", retrySafe: true, input: map[string]any{"file_id": "12345"},
			want: "DELETE " + base + "/files/12345" + hdr},
		{name: "Search", kind: "activity", activity: "search", retrySafe: true,
			input: map[string]any{"query": "invoice", "type": "file", "file_extensions": []any{"pdf", "docx"}, "ancestor_folder_ids": []any{"0"}},
			want:  "GET " + base + "/search?ancestor_folder_ids=0&file_extensions=pdf%2Cdocx&limit=100&query=invoice&type=file" + hdr},
		{name: "CopyFile", kind: "activity", activity: "copy_file", input: map[string]any{"file_id": "12345", "parent_id": "0", "name": "copy.pdf"},
			want: "POST " + base + "/files/12345/copy" + js + `{"name":"copy.pdf","parent":{"id":"0"}}`},
		{name: "ShareFile", kind: "activity", activity: "share_file", retrySafe: true, input: map[string]any{"file_id": "12345", "access": "company"},
			want: "PUT " + base + "/files/12345?fields=shared_link" + js + `{"shared_link":{"access":"company"}}`},
		{name: "AddCollaborator", kind: "activity", activity: "add_collaborator",
			input: map[string]any{"item_id": "11446498", "login": "ann@example.com", "role": "editor", "notify": true},
			want:  "POST " + base + "/collaborations?notify=true" + js + `{"accessible_by":{"login":"ann@example.com","type":"user"},"item":{"id":"11446498","type":"folder"},"role":"editor"}`},
		{name: "AddComment", kind: "activity", activity: "add_comment", input: map[string]any{"file_id": "12345", "message": "Approved"},
			want: "POST " + base + "/comments" + js + `{"item":{"id":"12345","type":"file"},"message":"Approved"}`},
		{name: "CreateTask", kind: "activity", activity: "create_task", input: map[string]any{"file_id": "12345", "message": "Please review", "due_at": "2026-03-05T00:00:00Z"},
			want: "POST " + base + "/tasks" + js + `{"action":"review","due_at":"2026-03-05T00:00:00Z","item":{"id":"12345","type":"file"},"message":"Please review"}`},
		{name: "CreateWebhook", kind: "activity", activity: "create_webhook",
			input: map[string]any{"target_id": "0", "address": "https://junction.example.com/hooks/abc", "triggers": []any{"FILE.UPLOADED"}},
			want:  "POST " + base + "/webhooks" + js + `{"address":"https://junction.example.com/hooks/abc","target":{"id":"0","type":"folder"},"triggers":["FILE.UPLOADED"]}`},
	})
	t.Run("ClientCredentialsGrant", func(t *testing.T) {
		s, err := mustDefinition(t, "box").OAuth2(connector.Credentials{Auth: "client_credentials",
			Fields: map[string]string{"client_id": "ck", "box_subject_type": "enterprise", "box_subject_id": "899905961"}, Secrets: secrets("client_secret", "cs")})
		if err != nil {
			t.Fatal(err)
		}
		if s.TokenURL != "https://api.box.com/oauth2/token" || s.TokenParams["box_subject_type"] != "enterprise" || s.TokenParams["box_subject_id"] != "899905961" {
			t.Errorf("settings %+v", s)
		}
	})
}

// A delivery signed as https://developer.box.com/guides/webhooks/v2/signatures-v2/
// describes: base64 HMAC-SHA256 of the body followed by the timestamp.
func TestWebhookBox(t *testing.T) {
	d := mustDefinition(t, "box")
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "t", "webhook_primary_key", "SamplePrimaryKey")}
	body := []byte(`{"type":"webhook_event","id":"eb0c4e06-751f-442c-86f8-fd5bb404dbec","created_at":"2026-03-01T09:31:00-08:00",` +
		`"trigger":"FILE.UPLOADED","source":{"id":"12345","type":"file","name":"q1.pdf"}}`)
	const ts = "2026-03-01T09:31:05-08:00"
	mac := hmac.New(sha256.New, []byte("SamplePrimaryKey"))
	mac.Write(body)
	mac.Write([]byte(ts))
	h := http.Header{}
	h.Set("BOX-DELIVERY-ID", "f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f")
	h.Set("BOX-DELIVERY-TIMESTAMP", ts)
	h.Set("BOX-SIGNATURE-PRIMARY", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	now, _ := time.Parse(time.RFC3339, "2026-03-01T09:32:00-08:00")
	if err := d.VerifyWebhook(cred, h, body, now); err != nil {
		t.Fatalf("verify: %v", err)
	}
	ev, _, err := d.ParseWebhook(cred, h, body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Object != "file" || ev.Event != "uploaded" || ev.ObjectID != "12345" || ev.EventID != "f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f" {
		t.Errorf("event %+v", ev)
	}
	if err := d.VerifyWebhook(cred, h, append(body, ' '), now); err == nil {
		t.Error("a changed body verified")
	}
	if err := d.VerifyWebhook(cred, h, body, now.Add(time.Hour)); err == nil {
		t.Error("a delivery an hour old verified")
	}
}

func TestSpecConfluence(t *testing.T) { checkSpec(t, "confluence", "confluence.json", "", nil) }

func TestContractConfluence(t *testing.T) {
	cred := connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "ann@example.com"}, Secrets: secrets("api_token", "ATATT-example")}
	const base = "https://acme.atlassian.net/wiki/rest/api"
	// base64("ann@example.com:ATATT-example")
	const hdr = "\nAccept: application/json\nAuthorization: Basic YW5uQGV4YW1wbGUuY29tOkFUQVRULWV4YW1wbGU="
	const js = hdr + "\nContent-Type: application/json\n\n"
	runContract(t, "confluence", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/user/current" + hdr},
		{name: "ListPages", object: "page", operation: "list", retrySafe: true, input: map[string]any{"spaceKey": "ENG", "expand": []any{"version", "space"}},
			want: "GET " + base + "/content?expand=version%2Cspace&limit=100&spaceKey=ENG&type=page" + hdr},
		{name: "GetPage", object: "page", operation: "get", retrySafe: true, input: map[string]any{"id": "65598"},
			want: "GET " + base + "/content/65598?expand=body.storage%2Cversion%2Cspace" + hdr},
		{name: "CreatePage", object: "page", operation: "create",
			input: map[string]any{"spaceKey": "ENG", "title": "Runbook", "body": "<p>Step 1</p>", "parent_id": "65598"},
			want: "POST " + base + "/content" + js +
				`{"ancestors":[{"id":"65598"}],"body":{"storage":{"representation":"storage","value":"\u003cp\u003eStep 1\u003c/p\u003e"}},"space":{"key":"ENG"},"title":"Runbook","type":"page"}`},
		{name: "CreateBlogPost", object: "page", operation: "create",
			input: map[string]any{"spaceKey": "ENG", "title": "Release 4.2", "body": "<p>Out</p>", "type": "blogpost"},
			want: "POST " + base + "/content" + js +
				`{"body":{"storage":{"representation":"storage","value":"\u003cp\u003eOut\u003c/p\u003e"}},"space":{"key":"ENG"},"title":"Release 4.2","type":"blogpost"}`},
		{name: "UpdatePage", object: "page", operation: "update", retrySafe: true,
			input: map[string]any{"id": "65598", "version": 3, "title": "Runbook", "body": "<p>Step 2</p>"},
			want: "PUT " + base + "/content/65598" + js +
				`{"body":{"storage":{"representation":"storage","value":"\u003cp\u003eStep 2\u003c/p\u003e"}},"title":"Runbook","type":"page","version":{"number":3}}`},
		{name: "DeletePage", object: "page", operation: "delete", retrySafe: true, input: map[string]any{"id": "65598"},
			want: "DELETE " + base + "/content/65598" + hdr},
		{name: "ListSpaces", object: "space", operation: "list", retrySafe: true, input: map[string]any{"type": "global"},
			want: "GET " + base + "/space?limit=100&type=global" + hdr},
		{name: "GetSpace", object: "space", operation: "get", retrySafe: true, input: map[string]any{"spaceKey": "ENG"},
			want: "GET " + base + "/space/ENG" + hdr},
		{name: "ListComments", object: "comment", operation: "list", retrySafe: true, input: map[string]any{"id": "65598"},
			want: "GET " + base + "/content/65598/child/comment?expand=body.storage%2Cversion&limit=100" + hdr},
		{name: "Search", kind: "activity", activity: "search_content", retrySafe: true, input: map[string]any{"cql": `space = ENG and text ~ "runbook"`},
			want: "GET " + base + "/content/search?cql=space+%3D+ENG+and+text+~+%22runbook%22&limit=100" + hdr},
		{name: "AddComment", kind: "activity", activity: "add_comment", input: map[string]any{"page_id": "65598", "body": "<p>Looks good</p>"},
			want: "POST " + base + "/content" + js +
				`{"body":{"storage":{"representation":"storage","value":"\u003cp\u003eLooks good\u003c/p\u003e"}},"container":{"id":"65598","type":"page"},"type":"comment"}`},
		{name: "AddLabels", kind: "activity", activity: "add_labels", retrySafe: true,
			input: map[string]any{"id": "65598", "labels": []any{map[string]any{"prefix": "global", "name": "runbook"}}},
			want:  "POST " + base + "/content/65598/label" + js + `[{"name":"runbook","prefix":"global"}]`},
		{name: "ListAttachments", kind: "activity", activity: "list_attachments", retrySafe: true, input: map[string]any{"id": "65598"},
			want: "GET " + base + "/content/65598/child/attachment" + hdr},
	})
}

func TestPollConfluence(t *testing.T) {
	cred := connector.Credentials{Auth: "basic", Fields: map[string]string{"site": "acme", "email": "ann@example.com", "time_zone": "Europe/Berlin"}, Secrets: secrets("api_token", "ATATT-example")}
	runCatAPoll(t, catAPollCase{key: "confluence", object: "page", event: "updated", cred: cred, state: since,
		// 09:29 UTC, a minute of look-back, is 10:29 in Berlin.
		want: "GET https://acme.atlassian.net/wiki/rest/api/content/search?cql=type+in+%28page%2C+blogpost%29+and+lastmodified+%3E%3D+%222026%2F03%2F01+10%3A29%22+order+by+lastmodified+asc" +
			"&expand=version%2Chistory%2Cspace&limit=100\nAccept: application/json\nAuthorization: Basic YW5uQGV4YW1wbGUuY29tOkFUQVRULWV4YW1wbGU=",
		answer: `{"results": [{"id": "65598", "type": "page", "title": "Runbook",
			"history": {"createdDate": "2026-02-01T08:00:00.000Z"}, "version": {"number": 4, "when": "2026-03-01T09:40:12.345Z"}}],
			"start": 0, "limit": 100, "size": 1}`,
		wantIDs: []string{"65598"}})
}

func TestSpecAsana(t *testing.T) { checkSpec(t, "asana", "asana.yaml", "/api/1.0", nil) }

func TestContractAsana(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "2/1200/1201:example")}
	const base = "https://app.asana.com/api/1.0"
	const hdr = "\nAccept: application/json\nAuthorization: Bearer 2/1200/1201:example"
	const js = hdr + "\nContent-Type: application/json\n\n"
	const taskFields = "opt_fields=name%2Ccompleted%2Cassignee.name%2Cdue_on%2Ccreated_at%2Cmodified_at%2Cpermalink_url"
	runContract(t, "asana", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/me?opt_fields=name%2Cemail" + hdr},
		{name: "ListTasks", object: "task", operation: "list", retrySafe: true, input: map[string]any{"project": "1204", "completed_since": "now"},
			want: "GET " + base + "/tasks?completed_since=now&limit=100&" + taskFields + "&project=1204" + hdr},
		{name: "GetTask", object: "task", operation: "get", retrySafe: true, input: map[string]any{"task_gid": "1205"},
			want: "GET " + base + "/tasks/1205" + hdr},
		{name: "CreateTask", object: "task", operation: "create",
			input: map[string]any{"name": "Renew certificate", "projects": []any{"1204"}, "assignee": "me", "due_on": "2026-03-10"},
			want:  "POST " + base + "/tasks" + js + `{"data":{"assignee":"me","due_on":"2026-03-10","name":"Renew certificate","projects":["1204"]}}`},
		{name: "UpdateTask", object: "task", operation: "update", retrySafe: true, input: map[string]any{"task_gid": "1205", "completed": true},
			want: "PUT " + base + "/tasks/1205" + js + `{"data":{"completed":true}}`},
		{name: "DeleteTask", object: "task", operation: "delete", retrySafe: true, input: map[string]any{"task_gid": "1205"},
			want: "DELETE " + base + "/tasks/1205" + hdr},
		{name: "ListProjects", object: "project", operation: "list", retrySafe: true, input: map[string]any{"workspace": "1100", "archived": false},
			want: "GET " + base + "/projects?archived=false&limit=100&opt_fields=name%2Carchived%2Cpermalink_url&workspace=1100" + hdr},
		{name: "GetProject", object: "project", operation: "get", retrySafe: true, input: map[string]any{"project_gid": "1204"},
			want: "GET " + base + "/projects/1204" + hdr},
		{name: "CreateProject", object: "project", operation: "create", input: map[string]any{"name": "Q2 launch", "workspace": "1100", "default_view": "board"},
			want: "POST " + base + "/projects" + js + `{"data":{"default_view":"board","name":"Q2 launch","workspace":"1100"}}`},
		{name: "ListSections", object: "section", operation: "list", retrySafe: true, input: map[string]any{"project_gid": "1204"},
			want: "GET " + base + "/projects/1204/sections?limit=100" + hdr},
		{name: "CreateSection", object: "section", operation: "create", input: map[string]any{"project_gid": "1204", "name": "Doing"},
			want: "POST " + base + "/projects/1204/sections" + js + `{"data":{"name":"Doing"}}`},
		{name: "SearchTasks", kind: "activity", activity: "search_tasks", retrySafe: true,
			input: map[string]any{"workspace_gid": "1100", "text": "certificate", "completed": false, "projects_any": "1204,1206"},
			want:  "GET " + base + "/workspaces/1100/tasks/search?completed=false&opt_fields=name%2Ccompleted%2Cassignee.name%2Cdue_on%2Cpermalink_url&projects.any=1204%2C1206&text=certificate" + hdr},
		{name: "AddComment", kind: "activity", activity: "add_comment", input: map[string]any{"task_gid": "1205", "text": "Renewed"},
			want: "POST " + base + "/tasks/1205/stories" + js + `{"data":{"text":"Renewed"}}`},
		{name: "CompleteTask", kind: "activity", activity: "complete_task", retrySafe: true, input: map[string]any{"task_gid": "1205"},
			want: "PUT " + base + "/tasks/1205" + js + `{"data":{"completed":true}}`},
		{name: "AddToProject", kind: "activity", activity: "add_task_to_project", retrySafe: true, input: map[string]any{"task_gid": "1205", "project": "1204", "section": "1300"},
			want: "POST " + base + "/tasks/1205/addProject" + js + `{"data":{"project":"1204","section":"1300"}}`},
		{name: "MoveToSection", kind: "activity", activity: "move_task_to_section", retrySafe: true, input: map[string]any{"section_gid": "1300", "task_gid": "1205"},
			want: "POST " + base + "/sections/1300/addTask" + js + `{"data":{"task":"1205"}}`},
		{name: "CreateSubtask", kind: "activity", activity: "create_subtask", input: map[string]any{"task_gid": "1205", "name": "Update DNS"},
			want: "POST " + base + "/tasks/1205/subtasks" + js + `{"data":{"name":"Update DNS"}}`},
	})
}

func TestPollAsana(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "pat")}
	runCatAPoll(t, catAPollCase{key: "asana", object: "task", event: "created", cred: cred, state: since, input: map[string]any{"project": "1204"},
		want: "GET https://app.asana.com/api/1.0/tasks?limit=100&modified_since=2026-03-01T09%3A29%3A00Z&opt_fields=name%2Ccompleted%2Cassignee.name%2Cdue_on%2Ccreated_at%2Cmodified_at%2Cpermalink_url&project=1204" +
			"\nAccept: application/json\nAuthorization: Bearer pat",
		answer: `{"data": [
			{"gid": "1205", "name": "old", "created_at": "2026-01-01T00:00:00.000Z", "modified_at": "2026-03-01T09:35:00.000Z"},
			{"gid": "1207", "name": "new", "created_at": "2026-03-01T09:40:00.000Z", "modified_at": "2026-03-01T09:40:00.000Z"}],
			"next_page": {"offset": "eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9", "path": "/tasks?project=1204&offset=eyJ0eXAi", "uri": "https://app.asana.com/api/1.0/tasks?project=1204&offset=eyJ0eXAi"}}`,
		wantIDs: []string{"1207"},
		wantNext: "https://app.asana.com/api/1.0/tasks?limit=100&modified_since=2026-03-01T09%3A29%3A00Z&offset=eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9" +
			"&opt_fields=name%2Ccompleted%2Cassignee.name%2Cdue_on%2Ccreated_at%2Cmodified_at%2Cpermalink_url&project=1204"})
}

func matchSpecPath(spec map[string]specOperation, key string) (specOperation, bool) {
	want := strings.Split(key, "/")
	for k, op := range spec {
		got := strings.Split(k, "/")
		if len(got) != len(want) {
			continue
		}
		same := got[0] == want[0]
		for i := 1; same && i < len(got); i++ {
			same = got[i] == want[i] || got[i] == "{}"
		}
		if same {
			return op, true
		}
	}
	return specOperation{}, false
}
