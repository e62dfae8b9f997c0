package engine_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/connector"
	"junction/engine"
)

// An authorization-code connector end to end: Junction's authorize URL at
// a stand-in of the vendor's identity platform, which checks the
// parameters the vendor needs and redirects back with a code; the code
// exchanged (with the PKCE verifier) for tokens; then the connection test,
// activities and a poll against a stand-in of the API that accepts only
// the access token the exchange handed out.
type oauthStandInCase struct {
	key, auth string
	hosts     []string
	fields    map[string]string
	// authorize are the query parameters the vendor's consent page needs.
	authorize map[string]string
	// authorizePath and tokenPath name the vendor's consent and token
	// endpoints when they end otherwise than /authorize (or /auth) and
	// /token.
	authorizePath, tokenPath string
	// noPKCE: the vendor documents no PKCE, so the definition asks for
	// none and none may be sent.
	noPKCE bool
	// clientIDField and secretField are the definition's names for the
	// client ID and secret when not client_id and client_secret.
	clientIDField, secretField string
	routes                     map[string]string   // "METHOD /path" -> JSON answer
	status                     map[string]int      // "METHOD /path" -> status when not 200
	sent                       map[string][]string // as standInCase.sent
	calls                      []standInCall
	poll                       *standInPoll
	// received, when set, checks the body of each request the API
	// stand-in answers, from the server's goroutine (Errorf, not Fatal).
	received func(t *testing.T, route string, body []byte)
}

func runOAuthStandIn(t *testing.T, tc oauthStandInCase) {
	t.Helper()
	const (
		secret = "standin-client-secret"
		code   = "standin-code"
		access = "standin-access-token"
	)
	clientID, secretField := tc.fields["client_id"], "client_secret"
	if tc.clientIDField != "" {
		clientID = tc.fields[tc.clientIDField]
	}
	if tc.secretField != "" {
		secretField = tc.secretField
	}
	var (
		mu       sync.Mutex
		seen     = map[string]int{}
		sent     = map[string]string{}
		verifier string
	)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := r.Method + " " + r.URL.Path
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		sent[route] += requestText(r, body)
		mu.Unlock()
		switch {
		case r.Method == "GET" && (strings.HasSuffix(r.URL.Path, "/authorize") || strings.HasSuffix(r.URL.Path, "/auth") || tc.authorizePath != "" && r.URL.Path == tc.authorizePath):
			q := r.URL.Query()
			for k, v := range tc.authorize {
				if q.Get(k) != v {
					t.Errorf("authorize %s = %q, want %q", k, q.Get(k), v)
				}
			}
			if (q.Get("code_challenge_method") != "S256") != tc.noPKCE || q.Get("client_id") != clientID || q.Get("response_type") != "code" {
				t.Errorf("authorize query %v", q)
			}
			http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+q.Get("state"), http.StatusFound)
			return
		case r.Method == "POST" && (strings.HasSuffix(r.URL.Path, "/token") || tc.tokenPath != "" && r.URL.Path == tc.tokenPath):
			_ = r.ParseForm()
			id, sec, basic := r.BasicAuth()
			if !basic {
				id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
			}
			w.Header().Set("Content-Type", "application/json")
			if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("code") != code || id != clientID || sec != secret ||
				(r.PostForm.Get("code_verifier") == "") != tc.noPKCE {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
				return
			}
			mu.Lock()
			verifier = r.PostForm.Get("code_verifier")
			mu.Unlock()
			_, _ = w.Write([]byte(`{"access_token":"` + access + `","refresh_token":"standin-refresh","token_type":"Bearer","expires_in":3600}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+access {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":401,"status":"UNAUTHENTICATED"}}`))
			return
		}
		answer, ok := tc.routes[route]
		if !ok {
			t.Errorf("%s: the stand-in has no %s", tc.key, route)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		mu.Lock()
		seen[route]++
		mu.Unlock()
		if tc.received != nil {
			tc.received(t, route, body)
		}
		if s := tc.status[route]; s != 0 {
			w.WriteHeader(s)
		}
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)

	f := newFixture(t, fixtureOptions{extra: standInDefinition(t, tc.key, srv.URL, tc.hosts)})
	f.trust(srv)
	fields := map[string]junction.FieldValue{}
	for k, v := range tc.fields {
		fields[k] = junction.FieldValue{Value: v}
	}
	conn := f.connection(t, tc.key+"-standin", tc.auth, fields, map[string]junction.Secret{secretField: junction.NewSecret(secret)})
	authURL, err := f.eng.BeginAuthorize(f.ctx, conn, "user-1", redirectURI)
	if err != nil {
		t.Fatal(err)
	}
	browser := srv.Client()
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := resp.Location()
	if err != nil {
		t.Fatalf("consent answered %d without a redirect", resp.StatusCode)
	}
	done, err := f.eng.CompleteAuthorize(f.ctx, back.Query().Get("state"), back.Query().Get("code"))
	if err != nil {
		t.Fatalf("complete authorize: %v", err)
	}
	if (verifier == "") != tc.noPKCE || done.Connection.TokenSealedID == "" {
		t.Fatalf("no PKCE verifier or no token: %+v", done.Connection)
	}
	conn = f.reload(t, conn)

	if _, err := f.eng.Test(f.ctx, conn); err != nil {
		t.Fatalf("test: %v", err)
	}
	exerciseStandIn(t, f, conn, tc.calls, tc.poll, []string{secret, access, "standin-refresh"})
	mu.Lock()
	defer mu.Unlock()
	for route := range tc.routes {
		if seen[route] == 0 {
			t.Errorf("%s was never called", route)
		}
	}
	checkSent(t, tc.sent, sent)
}

func TestCatalogStandInsGoogleAndMicrosoft(t *testing.T) {
	watermark := connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	google := []string{"https://accounts.google.com", "https://oauth2.googleapis.com"}
	googleConsent := map[string]string{"access_type": "offline", "prompt": "consent"}
	microsoft := []string{"https://login.microsoftonline.com", "https://graph.microsoft.com/v1.0"}
	graphFields := func(extra ...string) map[string]string {
		m := map[string]string{"tenant": "contoso.onmicrosoft.com", "client_id": "11111111-2222-3333-4444-555555555555"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	cases := []oauthStandInCase{
		{
			key: "gmail", auth: "oauth2_authorization_code", hosts: append(google, "https://gmail.googleapis.com"),
			fields: map[string]string{"client_id": "123-abc.apps.googleusercontent.com"}, authorize: googleConsent,
			routes: map[string]string{
				"GET /gmail/v1/users/me/profile":        `{"emailAddress":"ann@example.com","messagesTotal":120,"historyId":"9876"}`,
				"POST /gmail/v1/users/me/messages/send": `{"id":"18c2f0a1","threadId":"18c2f0a1","labelIds":["SENT"]}`,
			},
			calls: []standInCall{{activity: "send_message", input: map[string]any{"raw": "VG86IGFubkBleGFtcGxlLmNvbQ0KDQpIaQ"},
				want: `{"id":"18c2f0a1","labelIds":["SENT"],"threadId":"18c2f0a1"}`},
				{activity: "send_message", input: gmailFields, want: `{"id":"18c2f0a1","labelIds":["SENT"],"threadId":"18c2f0a1"}`}},
			received: checkGmailSend,
		},
		{
			key: "google-drive", auth: "oauth2_authorization_code", hosts: append(google, "https://www.googleapis.com"),
			fields: map[string]string{"client_id": "123-abc.apps.googleusercontent.com"}, authorize: googleConsent,
			routes: map[string]string{
				"GET /drive/v3/about":  `{"user":{"displayName":"Ann","emailAddress":"ann@example.com"}}`,
				"POST /drive/v3/files": `{"kind":"drive#file","id":"1FolderId","name":"Invoices","mimeType":"application/vnd.google-apps.folder"}`,
				"GET /drive/v3/files": `{"files":[{"id":"1new","createdTime":"2026-12-06T10:01:00.000Z","modifiedTime":"2026-12-06T10:01:00.000Z"},
					{"id":"1old","createdTime":"2026-01-06T10:01:00.000Z","modifiedTime":"2026-12-06T10:02:00.000Z"}]}`,
			},
			calls: []standInCall{{activity: "create_folder", input: map[string]any{"name": "Invoices"}, want: `{"id":"1FolderId"}`}},
			poll:  &standInPoll{object: "file", event: "created", state: watermark, want: "1new"},
		},
		{
			// A spreadsheet that cannot exist answers 404 to a good token.
			key: "google-sheets", auth: "oauth2_authorization_code", hosts: append(google, "https://sheets.googleapis.com"),
			fields: map[string]string{"client_id": "123-abc.apps.googleusercontent.com"}, authorize: googleConsent,
			routes: map[string]string{
				"GET /v4/spreadsheets/junction-connection-test":        `{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND"}}`,
				"POST /v4/spreadsheets/1BxiM/values/Sheet1!A:D:append": `{"spreadsheetId":"1BxiM","updates":{"updatedRange":"Sheet1!A12:C12","updatedRows":1,"updatedCells":3}}`,
			},
			status: map[string]int{"GET /v4/spreadsheets/junction-connection-test": http.StatusNotFound},
			calls: []standInCall{{activity: "append_rows", input: map[string]any{"spreadsheetId": "1BxiM", "range": "Sheet1!A:D", "values": []any{[]any{"a", "b", 1}}},
				want: `{"updatedRange":"Sheet1!A12:C12","updatedRows":1}`}},
		},
		{
			key: "microsoft-outlook", auth: "delegated", hosts: microsoft, fields: graphFields("user_id", "ann@contoso.com"),
			routes: map[string]string{
				"GET /users/ann@contoso.com":                     `{"id":"87d349ed","displayName":"Ann","mail":"ann@contoso.com","userPrincipalName":"ann@contoso.com"}`,
				"POST /users/ann@contoso.com/messages/AAMk/move": `{"id":"AAMk-moved","parentFolderId":"archive"}`,
				"GET /users/ann@contoso.com/mailFolders/inbox/messages": `{"value":[
					{"id":"AAMk1","receivedDateTime":"2026-12-06T10:01:00Z","lastModifiedDateTime":"2026-12-06T10:01:00Z"}]}`,
			},
			calls: []standInCall{{activity: "move_message", input: map[string]any{"id": "AAMk", "destinationId": "archive"}, want: `{"id":"AAMk-moved"}`}},
			poll:  &standInPoll{object: "message", event: "received", state: watermark, want: "AAMk1"},
		},
		{
			key: "microsoft-teams", auth: "delegated", hosts: microsoft, fields: graphFields(),
			routes: map[string]string{
				"GET /me": `{"id":"87d349ed","displayName":"Ann"}`,
				"POST /teams/t1/channels/19:c1@thread.tacv2/messages": `{"id":"1616990032035","webUrl":"https://teams.microsoft.com/l/message/19%3Ac1/1616990032035"}`,
				"GET /teams/t1/channels/19:c1@thread.tacv2/messages/delta": `{"value":[
					{"id":"1616990032036","createdDateTime":"2026-12-06T10:03:00Z","lastModifiedDateTime":"2026-12-06T10:03:00Z"}]}`,
			},
			calls: []standInCall{{activity: "send_channel_message", input: map[string]any{"team_id": "t1", "channel_id": "19:c1@thread.tacv2", "content": "Deploy finished"},
				want: `{"id":"1616990032035","webUrl":"https://teams.microsoft.com/l/message/19%3Ac1/1616990032035"}`}},
			poll: &standInPoll{object: "channel_message", event: "created", input: map[string]any{"team_id": "t1", "channel_id": "19:c1@thread.tacv2"}, state: watermark, want: "1616990032036"},
		},
		{
			key: "microsoft-onedrive", auth: "delegated", hosts: microsoft, fields: graphFields("drive_id", "b!abc"),
			routes: map[string]string{
				"GET /drives/b!abc":           `{"id":"b!abc","name":"OneDrive","driveType":"business"}`,
				"GET /drives/b!abc/items/01A": `{"id":"01A","name":"a.pdf","size":1024,"@microsoft.graph.downloadUrl":"https://contoso-my.sharepoint.com/download.aspx?tempauth=x"}`,
				"GET /drives/b!abc/items/root/children": `{"value":[{"id":"01N","createdDateTime":"2026-12-06T10:05:00Z","lastModifiedDateTime":"2026-12-06T10:05:00Z"},
					{"id":"01O","createdDateTime":"2026-01-06T10:05:00Z","lastModifiedDateTime":"2026-12-06T10:06:00Z"}]}`,
			},
			calls: []standInCall{{activity: "get_download_url", input: map[string]any{"item_id": "01A"},
				want: `{"download_url":"https://contoso-my.sharepoint.com/download.aspx?tempauth=x","name":"a.pdf","size":1024}`}},
			poll: &standInPoll{object: "item", event: "created", state: watermark, want: "01N"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			runOAuthStandIn(t, tc)
		})
	}
}

// exerciseStandIn runs a stand-in connection's activities and poll through
// the engine, checks what they return, and that none of secretValues
// reached the execution records.
func exerciseStandIn(t *testing.T, f *fixture, conn *junction.Connection, calls []standInCall, poll *standInPoll, secretValues []string) {
	t.Helper()
	for _, c := range calls {
		name := c.activity + c.object + "." + c.operation
		res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: c.activity, Object: c.object, Operation: c.operation, Input: c.input})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := mustJSON(t, res.Output); got != c.want {
			t.Errorf("%s: output %s, want %s", name, got, c.want)
		}
	}
	if poll != nil {
		res, err := f.eng.Poll(f.ctx, engine.PollRequest{Connection: conn, Object: poll.object, Event: poll.event, Input: poll.input, State: poll.state})
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		var ids []string
		for _, r := range res.Records {
			ids = append(ids, r.ID)
		}
		if got := strings.Join(ids, " "); got != poll.want {
			t.Errorf("poll reported %q, want %q", got, poll.want)
		}
	}
	// The credentials went to the stand-in and nowhere else: not into the
	// execution records.
	records := mustJSON(t, f.executions(t))
	for _, v := range secretValues {
		if strings.Contains(records, v) {
			t.Errorf("the execution records hold a credential (%.4s...)", v)
		}
	}
}

// gmailFields is an email given as send_message's fields: text and HTML
// with a PDF attached, in reply to a message.
var gmailFields = map[string]any{
	"to": "Ann Müller <ann@example.com>", "cc": "bob@example.com", "subject": "Rechnung 42 — März",
	"text": "Anbei die Rechnung.", "html": "<p>Anbei die <b>Rechnung</b>.</p>",
	"attachments": map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("%PDF-1.7\x00\xff")), "filename": "Rechnung 42.pdf", "content_type": "application/pdf"},
	"in_reply_to": "<CAB1x2y@mail.gmail.com>", "references": "<CAB1x2y@mail.gmail.com>",
}

// checkGmailSend decodes the raw message Gmail's messages.send receives,
// as Gmail does, and checks the one built from gmailFields part by part.
func checkGmailSend(t *testing.T, route string, body []byte) {
	if route != "POST /gmail/v1/users/me/messages/send" {
		return
	}
	var req struct{ Raw string }
	if err := json.Unmarshal(body, &req); err != nil {
		t.Errorf("send body: %v", err)
		return
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(req.Raw, "="))
	if err != nil {
		t.Errorf("raw is not base64url: %v", err)
		return
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Errorf("raw is not a message: %v", err)
		return
	}
	if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "ann@example.com" {
		t.Errorf("To = %v (%v)", to, err)
	}
	if msg.Header.Get("Content-Type") == "" {
		return // the ready message given as raw
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	to, _ := msg.Header.AddressList("To")
	if subject != "Rechnung 42 — März" || to[0].Name != "Ann Müller" || msg.Header.Get("In-Reply-To") != "<CAB1x2y@mail.gmail.com>" ||
		msg.Header.Get("References") != "<CAB1x2y@mail.gmail.com>" || msg.Header.Get("Cc") != "<bob@example.com>" {
		t.Errorf("headers %v", msg.Header)
	}
	var got []string
	var walk func(h textproto.MIMEHeader, r io.Reader)
	walk = func(h textproto.MIMEHeader, r io.Reader) {
		mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
		if strings.HasPrefix(mt, "multipart/") {
			got = append(got, mt)
			mr := multipart.NewReader(r, params["boundary"])
			for p, err := mr.NextPart(); err == nil; p, err = mr.NextPart() { // decodes quoted-printable
				walk(p.Header, p)
			}
			return
		}
		if h.Get("Content-Transfer-Encoding") == "base64" {
			r = base64.NewDecoder(base64.StdEncoding, r)
		}
		b, _ := io.ReadAll(r)
		got = append(got, mt+" "+params["name"]+" "+strconv.Quote(string(b)))
	}
	walk(textproto.MIMEHeader(msg.Header), msg.Body)
	want := []string{"multipart/mixed", "multipart/alternative", `text/plain  "Anbei die Rechnung."`,
		`text/html  "<p>Anbei die <b>Rechnung</b>.</p>"`, `application/pdf Rechnung 42.pdf "%PDF-1.7\x00\xff"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("parts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
