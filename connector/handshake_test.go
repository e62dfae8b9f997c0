package connector_test

import (
	"net/url"
	"strings"
	"testing"

	"junction/connector"
)

// TestAnswerHandshake answers each vendor's subscription check as its
// documentation asks, and nothing it does not declare.
func TestAnswerHandshake(t *testing.T) {
	graphToken := "Validation: Testing client application reachability for subscription Request-Id: 3b3f0a5c-8c09-4a4b-9b62-1c7d1f0e2f11"
	cases := []struct {
		name, key string
		req       connector.WebhookRequest
		status    int
		ctype     string
		body      string
		header    [2]string
	}{
		{name: "TrelloHEAD", key: "trello", req: connector.WebhookRequest{Method: "HEAD"}, status: 200},
		{name: "GraphOutlook", key: "microsoft-outlook",
			req:    connector.WebhookRequest{Query: url.Values{"validationToken": {graphToken}}},
			status: 200, ctype: "text/plain; charset=utf-8", body: graphToken},
		{name: "GraphTeams", key: "microsoft-teams",
			req:    connector.WebhookRequest{Query: mustQuery(t, "validationToken=a%2Bb%20c"), Header: headers("Content-Type", "text/plain")},
			status: 200, ctype: "text/plain; charset=utf-8", body: "a+b c"},
		{name: "GraphOneDrive", key: "microsoft-onedrive",
			req:    connector.WebhookRequest{Query: url.Values{"validationToken": {"x"}}},
			status: 200, ctype: "text/plain; charset=utf-8", body: "x"},
		{name: "DropboxGET", key: "dropbox",
			req:    connector.WebhookRequest{Method: "GET", Query: url.Values{"challenge": {"1f7a6e4b"}}},
			status: 200, ctype: "text/plain; charset=utf-8", body: "1f7a6e4b"},
		{name: "AsanaHeader", key: "asana",
			req:    connector.WebhookRequest{Header: headers("X-Hook-Secret", "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81")},
			status: 200, ctype: "text/plain; charset=utf-8",
			header: [2]string{"X-Hook-Secret", "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"}},
		{name: "SmartsheetHeader", key: "smartsheet",
			req: connector.WebhookRequest{Header: headers("Smartsheet-Hook-Challenge", "d78dd1d3-01ce-4481-81de-92b4f3aa5ab1"),
				Body: []byte(`{"nonce":"4b2ed20d-6f00-4b0d-8dbb-cf2e5bf2cbc5","timestamp":"2024-06-01T12:00:00.000+00:00","webhookId":4509506114742148,"scope":"sheet","scopeObjectId":2258256056870788,"challenge":"d78dd1d3-01ce-4481-81de-92b4f3aa5ab1"}`)},
			status: 200, ctype: "text/plain; charset=utf-8",
			header: [2]string{"Smartsheet-Hook-Response", "d78dd1d3-01ce-4481-81de-92b4f3aa5ab1"}},
		{name: "SlackBody", key: "slack",
			req:    connector.WebhookRequest{Body: []byte(`{"type":"url_verification","challenge":"c-1"}`)},
			status: 200, ctype: "text/plain; charset=utf-8", body: "c-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs, err := mustDefinition(t, tc.key).AnswerHandshake(connector.Credentials{}, tc.req)
			if err != nil || hs == nil {
				t.Fatalf("got %v, %v; want an answer", hs, err)
			}
			if hs.StatusCode != tc.status || hs.ContentType != tc.ctype || string(hs.Body) != tc.body {
				t.Errorf("answer = %d %q %q", hs.StatusCode, hs.ContentType, hs.Body)
			}
			if tc.header[0] != "" && hs.Header.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("header %s = %q", tc.header[0], hs.Header.Get(tc.header[0]))
			}
		})
	}

	t.Run("NotAHandshake", func(t *testing.T) {
		for _, tc := range []struct {
			name, key string
			req       connector.WebhookRequest
		}{
			{"TrelloPOST", "trello", connector.WebhookRequest{Body: []byte(`{"action":{}}`)}},
			{"TrelloGET", "trello", connector.WebhookRequest{Method: "GET"}},
			{"GitHubHEAD", "github", connector.WebhookRequest{Method: "HEAD"}},
			{"DropboxPOSTChallenge", "dropbox", connector.WebhookRequest{Query: url.Values{"challenge": {"x"}}}},
			{"DropboxGETNoChallenge", "dropbox", connector.WebhookRequest{Method: "GET"}},
			{"GraphGET", "microsoft-outlook", connector.WebhookRequest{Method: "GET", Query: url.Values{"validationToken": {"x"}}}},
			{"GraphNotification", "microsoft-outlook", connector.WebhookRequest{Body: []byte(`{"value":[]}`)}},
			{"SmartsheetCallback", "smartsheet", connector.WebhookRequest{Body: []byte(`{"scope":"sheet","challenge":"not-declared"}`)}},
			{"OtherQueryNotEchoed", "microsoft-outlook", connector.WebhookRequest{Query: url.Values{"challenge": {"x"}}}},
			{"NoWebhooks", "openai", connector.WebhookRequest{Method: "HEAD"}},
		} {
			hs, err := mustDefinition(t, tc.key).AnswerHandshake(connector.Credentials{}, tc.req)
			if hs != nil || err != nil {
				t.Errorf("%s: got %+v, %v; want no answer", tc.name, hs, err)
			}
		}
	})

	t.Run("ErrNotEchoable", func(t *testing.T) {
		d := mustDefinition(t, "microsoft-outlook")
		for name, v := range map[string]string{
			"TooLong":  strings.Repeat("a", connector.MaxHandshakeEcho+1),
			"Newline":  "ok\r\nSet-Cookie: x=1",
			"Markup":   "<script>\x00</script>",
			"NonASCII": "h\u00e9llo",
		} {
			hs, err := d.AnswerHandshake(connector.Credentials{}, connector.WebhookRequest{Query: url.Values{"validationToken": {v}}})
			wantInvalid(t, err, "query.validationToken")
			if hs != nil || strings.Contains(err.Error(), v) {
				t.Errorf("%s: answered %v or repeated the value in %q", name, hs, err)
			}
		}
		long := strings.Repeat("b", connector.MaxHandshakeEcho)
		hs, err := d.AnswerHandshake(connector.Credentials{}, connector.WebhookRequest{Query: url.Values{"validationToken": {long}}})
		if err != nil || string(hs.Body) != long {
			t.Fatalf("a value of exactly %d bytes: %v", connector.MaxHandshakeEcho, err)
		}
	})
}

func TestAnswerHandshakeIntoJSON(t *testing.T) {
	d, err := connector.Parse([]byte(`key: hs
display_name: HS
version: 1.0.0
base_url: https://api.example.com
auth: [{type: bearer, fields: [{name: token, type: secret, required: true}]}]
webhooks:
  handshake:
    - match: [{path: kind, values: [verify]}]
      from: {path: challenge}
      into: {json: smartsheetHookResponse}
`))
	if err != nil {
		t.Fatal(err)
	}
	// Printable markup is echoed only as an escaped JSON string.
	hs, err := d.AnswerHandshake(connector.Credentials{}, connector.WebhookRequest{Body: []byte(`{"kind":"verify","challenge":"<b>x</b>"}`)})
	if err != nil || strings.Contains(string(hs.Body), "<") {
		t.Fatalf("got %+v, %v", hs, err)
	}
	hs, err = d.AnswerHandshake(connector.Credentials{}, connector.WebhookRequest{Body: []byte(`{"kind":"verify","challenge":"abc"}`)})
	if err != nil || hs.ContentType != "application/json" || string(hs.Body) != `{"smartsheetHookResponse":"abc"}`+"\n" {
		t.Fatalf("got %+v, %v", hs, err)
	}
}

func TestHandshakeValidation(t *testing.T) {
	base := "key: hs\ndisplay_name: HS\nversion: 1.0.0\nbase_url: https://api.example.com\n" +
		"auth: [{type: bearer, fields: [{name: token, type: secret, required: true}]}]\nwebhooks:\n  handshake:\n"
	for name, rule := range map[string]string{
		"NothingToEcho":  "    - {match: [{path: a, values: [b]}]}\n",
		"HEADEchoes":     "    - {method: HEAD, from: {query: x}}\n",
		"GETMatchesBody": "    - {method: GET, match: [{path: a, values: [b]}], from: {query: x}}\n",
		"BadMethod":      "    - {method: PUT, from: {query: x}}\n",
		"TwoSources":     "    - {from: {query: x, header: X-Y}}\n",
		"TwoTargets":     "    - {from: {query: x}, into: {header: X-Y, json: y}}\n",
		"BadJSONKey":     "    - {from: {query: x}, into: {json: \"a b\"}}\n",
		"RespondAndFrom": "    - {respond: a, from: {query: x}}\n",
		"EmptyRule":      "    - {}\n",
	} {
		if _, err := connector.Parse([]byte(base + rule)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
