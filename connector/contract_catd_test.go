package connector_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"junction"
	"junction/connector"
)

// The vendors' own API descriptions live in the shared folder beside the
// repository (see importer/corpus_test.go); a checkout without it skips
// the checks against them, never the byte-for-byte request cases.
func publishedAPIPath(file string) string {
	return filepath.Join("..", "..", "shared", "specs", file)
}

// publishedAPI is the part of an OpenAPI 3 or Swagger 2 description the
// catalog is checked against: for each method and full URL path (the
// server's path joined to the operation's), the names of the parameters by
// where they go.
type publishedAPI struct {
	file string
	ops  map[string]publishedOp // "GET /1/cards/{}"
}

type publishedOp struct {
	path   string
	params map[string][]string // "query", "header", "path", "body" -> names
}

var templateSegRE = regexp.MustCompile(`\{[^}]*\}`)

// normalisedPath gives every {variable} the same spelling, so that
// /cards/{idCard} and /cards/{id} are the same path.
func normalisedPath(p string) string {
	p = templateSegRE.ReplaceAllString(p, "{}")
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

func loadPublishedAPI(tb testing.TB, file string) *publishedAPI {
	tb.Helper()
	data, err := os.ReadFile(publishedAPIPath(file))
	if err != nil {
		tb.Skipf("no vendor description %s beside the repository: %v", file, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	api := &publishedAPI{file: file, ops: map[string]publishedOp{}}
	serverPath := ""
	if s, ok := doc["basePath"].(string); ok { // Swagger 2
		serverPath = s
	}
	if servers, ok := doc["servers"].([]any); ok && len(servers) > 0 { // OpenAPI 3
		if m, ok := servers[0].(map[string]any); ok {
			if u, err := url.Parse(templateSegRE.ReplaceAllString(asString(m["url"]), "x")); err == nil {
				serverPath = u.Path
			}
		}
	}
	serverPath = strings.TrimSuffix(serverPath, "/")
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		pi, _ := item.(map[string]any)
		shared, _ := pi["parameters"].([]any)
		for method, o := range pi {
			op, ok := o.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			po := publishedOp{path: p, params: map[string][]string{}}
			params, _ := op["parameters"].([]any)
			for _, raw := range append(slices.Clone(shared), params...) {
				prm, _ := followRef(doc, raw).(map[string]any)
				in, name := asString(prm["in"]), asString(prm["name"])
				switch in {
				case "body":
					po.params["body"] = append(po.params["body"], schemaProperties(doc, prm["schema"], 0)...)
				case "formData":
					po.params["body"] = append(po.params["body"], name)
				default:
					po.params[in] = append(po.params[in], name)
				}
			}
			if rb, ok := followRef(doc, op["requestBody"]).(map[string]any); ok {
				content, _ := rb["content"].(map[string]any)
				for _, mt := range content {
					m, _ := mt.(map[string]any)
					po.params["body"] = append(po.params["body"], schemaProperties(doc, m["schema"], 0)...)
				}
			}
			// Some descriptions spell one path twice with differently
			// named variables (Miro's tag operations); the method and
			// path are one operation on the wire, so their parameters
			// merge.
			key := strings.ToUpper(method) + " " + normalisedPath(serverPath+p)
			if prev, ok := api.ops[key]; ok {
				for in, names := range prev.params {
					po.params[in] = append(po.params[in], names...)
				}
			}
			api.ops[key] = po
		}
	}
	return api
}

// find looks an operation up by method and path; a literal segment of the
// definition's path (/members/me) matches a variable of the description's.
func (api *publishedAPI) find(key string) (publishedOp, bool) {
	if po, ok := api.ops[key]; ok {
		return po, true
	}
	want := strings.Split(key, "/")
	var best publishedOp
	bestLiterals := -1
	for k, po := range api.ops {
		have := strings.Split(k, "/")
		if len(have) != len(want) {
			continue
		}
		literals := 0
		for i := range have {
			switch {
			case have[i] == want[i]:
				literals++
			case have[i] != "{}":
				literals = -1
			}
			if literals < 0 {
				break
			}
		}
		if literals > bestLiterals {
			best, bestLiterals = po, literals
		}
	}
	if bestLiterals >= 0 {
		return best, true
	}
	return publishedOp{}, false
}

func asString(v any) string { s, _ := v.(string); return s }

// followRef follows a local "#/a/b" reference.
func followRef(doc map[string]any, v any) any {
	for range 8 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		ref, ok := m["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return v
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
			cm, _ := cur.(map[string]any)
			cur = cm[part]
		}
		v = cur
	}
	return v
}

// schemaProperties lists the top-level property names of a body schema,
// through allOf, oneOf and anyOf.
func schemaProperties(doc map[string]any, schema any, depth int) []string {
	s, _ := followRef(doc, schema).(map[string]any)
	if s == nil || depth > 6 {
		return nil
	}
	var out []string
	props, _ := s["properties"].(map[string]any)
	for k := range props {
		out = append(out, k)
	}
	for _, key := range []string{"allOf", "oneOf", "anyOf"} {
		list, _ := s[key].([]any)
		for _, sub := range list {
			out = append(out, schemaProperties(doc, sub, depth+1)...)
		}
	}
	return out
}

// checkPublished checks that every request the definition can send (its
// test, object operations and activities) is an operation of the vendor's
// description with the same method and path, and that every parameter it
// may send (inputs, fixed query, pagination parameters) has a name the
// operation declares. undocumented maps "METHOD /path" (as the definition
// writes it) to the documentation page of an operation the description
// lacks, and "METHOD /path?name" to that of a parameter it lacks; those are
// checked byte for byte elsewhere instead.
func checkPublished(t *testing.T, d *connector.Definition, api *publishedAPI, fields map[string]string, undocumented map[string]string) {
	t.Helper()
	base, err := url.Parse(templateSegRE.ReplaceAllStringFunc(d.BaseURL, func(m string) string {
		if v := fields[strings.Trim(m, "{}")]; v != "" {
			return v
		}
		return "x"
	}))
	if err != nil {
		t.Fatalf("base URL: %v", err)
	}
	basePath := strings.TrimSuffix(base.Path, "/")
	check := func(where string, op *connector.Operation) {
		key := op.Method + " " + op.Path
		if _, ok := undocumented[key]; ok {
			return
		}
		full := op.Method + " " + normalisedPath(basePath+op.Path)
		po, ok := api.find(full)
		if !ok {
			t.Errorf("%s: %s is not in %s", where, full, api.file)
			return
		}
		has := func(in, name string) bool {
			if _, ok := undocumented[key+"?"+name]; ok {
				return true
			}
			if in == "body" && len(po.params["body"]) == 0 && po.params["query"] != nil {
				in = "query" // descriptions that put body fields in the query
			}
			return slices.Contains(po.params[in], name) ||
				(in == "header" && slices.ContainsFunc(po.params[in], func(n string) bool { return strings.EqualFold(n, name) }))
		}
		for _, in := range op.Inputs {
			loc := inputLocation(op, &in)
			if loc == "path" {
				continue // the path matched
			}
			if loc == "body" && op.Body != nil && bodyNames(op.Body, in.Name) {
				continue // placed by the body template, whose keys are checked below
			}
			if !has(loc, in.WireName()) {
				t.Errorf("%s: %s %s has no %s parameter %q", where, op.Method, po.path, loc, in.WireName())
			}
		}
		if m, ok := op.Body.(map[string]any); ok {
			for k := range m {
				if !has("body", k) {
					t.Errorf("%s: %s %s has no body property %q", where, op.Method, po.path, k)
				}
			}
		}
		for k := range op.Query {
			if !has("query", k) {
				t.Errorf("%s: %s %s has no query parameter %q", where, op.Method, po.path, k)
			}
		}
		if pg := op.Pagination; pg != nil {
			for _, k := range []string{pg.LimitParam, pg.CursorParam, pg.OffsetParam, pg.PageParam} {
				if k != "" && !has("query", k) && !has("body", k) {
					t.Errorf("%s: %s %s has no paging parameter %q", where, op.Method, po.path, k)
				}
			}
		}
	}
	if tr := d.Test; tr != nil {
		method := tr.Method
		if method == "" {
			method = "GET"
		}
		check("test", &connector.Operation{Method: method, Path: tr.Path})
	}
	for _, o := range d.Objects {
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

// bodyNames reports whether a body template names the input anywhere.
func bodyNames(tmpl any, name string) bool {
	switch v := tmpl.(type) {
	case string:
		return strings.Contains(v, "{"+name+"}")
	case map[string]any:
		for _, e := range v {
			if bodyNames(e, name) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if bodyNames(e, name) {
				return true
			}
		}
	}
	return false
}

// inputLocation is where the request builder puts an input: its In, else
// the path when the path names it, the query for GET, HEAD and DELETE, and
// the body otherwise.
func inputLocation(op *connector.Operation, in *connector.Input) string {
	switch {
	case in.In != "":
		return in.In
	case strings.Contains(op.Path, "{"+in.Name+"}"):
		return "path"
	case op.Method == "GET" || op.Method == "HEAD" || op.Method == "DELETE":
		return "query"
	}
	return "body"
}

func TestContractTrello(t *testing.T) {
	cred := connector.Credentials{Auth: "api_key_token", Fields: map[string]string{"api_key": "a1b2c3"}, Secrets: secrets("token", "ATTA-example")}
	const hdr = "\nAccept: application/json\nAuthorization: OAuth oauth_consumer_key=\"a1b2c3\", oauth_token=\"ATTA-example\""
	const base = "https://api.trello.com/1"
	runContract(t, "trello", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/members/me?fields=id%2Cusername%2CfullName" + hdr},
		{name: "ListBoards", object: "board", operation: "list", retrySafe: true, input: map[string]any{"filter": "open"},
			want: "GET " + base + "/members/me/boards?filter=open" + hdr},
		{name: "CreateBoard", object: "board", operation: "create", input: map[string]any{"name": "Ops", "prefs_permissionLevel": "org"},
			want: "POST " + base + "/boards" + hdr + "\nContent-Type: application/json\n\n" + `{"name":"Ops","prefs_permissionLevel":"org"}`},
		{name: "CreateList", object: "list", operation: "create", input: map[string]any{"name": "Doing", "idBoard": "5abbe4b7ddc1b351ef961414"},
			want: "POST " + base + "/lists" + hdr + "\nContent-Type: application/json\n\n" + `{"idBoard":"5abbe4b7ddc1b351ef961414","name":"Doing"}`},
		{name: "ListCards", object: "card", operation: "list", retrySafe: true, input: map[string]any{"idList": "5abbe4b7ddc1b351ef961415", "fields": "name,due"},
			want: "GET " + base + "/lists/5abbe4b7ddc1b351ef961415/cards?fields=name%2Cdue" + hdr},
		{name: "CreateCard", object: "card", operation: "create",
			input: map[string]any{"idList": "5abbe4b7ddc1b351ef961415", "name": "Rotate keys", "due": "2026-12-24T12:00:00Z", "idLabels": []any{"l1", "l2"}},
			want: "POST " + base + "/cards" + hdr + "\nContent-Type: application/json\n\n" +
				`{"due":"2026-12-24T12:00:00Z","idLabels":["l1","l2"],"idList":"5abbe4b7ddc1b351ef961415","name":"Rotate keys"}`},
		{name: "MoveCard", object: "card", operation: "update", retrySafe: true,
			input: map[string]any{"idCard": "5abbe4b7ddc1b351ef961416", "idList": "5abbe4b7ddc1b351ef961417", "pos": "top"},
			want: "PUT " + base + "/cards/5abbe4b7ddc1b351ef961416" + hdr + "\nContent-Type: application/json\n\n" +
				`{"idList":"5abbe4b7ddc1b351ef961417","pos":"top"}`},
		{name: "DeleteCard", object: "card", operation: "delete", retrySafe: true, input: map[string]any{"idCard": "c1"},
			want: "DELETE " + base + "/cards/c1" + hdr},
		{name: "Comment", kind: "activity", activity: "add_comment", input: map[string]any{"idCard": "c1", "text": "Done **today**"},
			want: "POST " + base + "/cards/c1/actions/comments" + hdr + "\nContent-Type: application/json\n\n" + `{"text":"Done **today**"}`},
		{name: "AttachURL", kind: "activity", activity: "attach_url", input: map[string]any{"idCard": "c1", "url": "https://example.com/report.pdf", "name": "Report"},
			want: "POST " + base + "/cards/c1/attachments" + hdr + "\nContent-Type: application/json\n\n" + `{"name":"Report","url":"https://example.com/report.pdf"}`},
		{name: "AddChecklistItem", kind: "activity", activity: "add_checklist_item", input: map[string]any{"idChecklist": "k1", "name": "Backup", "checked": false},
			want: "POST " + base + "/checklists/k1/checkItems" + hdr + "\nContent-Type: application/json\n\n" + `{"checked":false,"name":"Backup"}`},
		{name: "AddLabel", kind: "activity", activity: "add_label", retrySafe: true, input: map[string]any{"idCard": "c1", "value": "l1"},
			want: "POST " + base + "/cards/c1/idLabels" + hdr + "\nContent-Type: application/json\n\n" + `{"value":"l1"}`},
		{name: "Search", kind: "activity", activity: "search", retrySafe: true, input: map[string]any{"query": "is:open label:urgent"},
			want: "GET " + base + "/search?cards_limit=100&modelTypes=cards&query=is%3Aopen+label%3Aurgent" + hdr},
		{name: "BoardActions", kind: "activity", activity: "list_board_actions", retrySafe: true,
			input: map[string]any{"idBoard": "b1", "filter": "createCard", "since": "2026-12-01T00:00:00Z", "limit": 1000},
			want:  "GET " + base + "/boards/b1/actions?filter=createCard&limit=1000&since=2026-12-01T00%3A00%3A00Z" + hdr},
		// https://developer.atlassian.com/cloud/trello/rest/api-group-webhooks/#api-webhooks-post
		{name: "CreateWebhook", kind: "activity", activity: "create_webhook",
			input: map[string]any{"callbackURL": "https://junction.example.com/api/v1/hooks/tok", "idModel": "b1"},
			want:  "POST " + base + "/webhooks" + hdr + "\nContent-Type: application/json\n\n" + `{"callbackURL":"https://junction.example.com/api/v1/hooks/tok","idModel":"b1"}`},
	})
	t.Run("PublishedAPI", func(t *testing.T) {
		checkPublished(t, mustDefinition(t, "trello"), loadPublishedAPI(t, "trello.yaml"), nil, map[string]string{
			"POST /webhooks": "https://developer.atlassian.com/cloud/trello/rest/api-group-webhooks/#api-webhooks-post",
		})
	})
}

// webhookCase is a delivery as the vendor's documentation shows it,
// signed as the vendor signs it, and the object event it must become.
type webhookCase struct {
	name     string
	cred     connector.Credentials
	header   http.Header
	body     string
	object   string
	event    string
	objectID string
	eventID  string
}

// checkWebhooks verifies and parses each delivery, then checks that one
// changed byte of the body and a wrong secret are both refused.
func checkWebhooks(t *testing.T, key, secretField string, at time.Time, cases []webhookCase) {
	t.Helper()
	d := mustDefinition(t, key)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := d.VerifyWebhook(tc.cred, tc.header, []byte(tc.body), at); err != nil {
				t.Fatalf("verify: %v", err)
			}
			ev, hs, err := d.ParseWebhook(tc.cred, tc.header, []byte(tc.body))
			if err != nil || hs != nil {
				t.Fatalf("parse: %v, handshake %v", err, hs)
			}
			if ev.Object != tc.object || ev.Event != tc.event || ev.ObjectID != tc.objectID || ev.EventID != tc.eventID {
				t.Errorf("event = %s.%s id %q event id %q, want %s.%s id %q event id %q",
					ev.Object, ev.Event, ev.ObjectID, ev.EventID, tc.object, tc.event, tc.objectID, tc.eventID)
			}
			secret := tc.cred.Secrets[secretField].Reveal()
			if d.Webhooks.Signature.Scheme != connector.SignatureToken { // a shared token does not cover the body
				wantUnauthenticated(t, d.VerifyWebhook(tc.cred, tc.header, []byte(tc.body+" "), at), secret)
			}
			wrong := tc.cred
			wrong.Secrets = secrets(secretField, "not-the-secret")
			wantUnauthenticated(t, d.VerifyWebhook(wrong, tc.header, []byte(tc.body), at), secret)
		})
	}
}

// pollExpectation is one poll: the request it sends from a watermark, and what
// the records of the vendor's documented answer become.
type pollExpectation struct {
	name    string
	cred    connector.Credentials
	object  string
	event   string
	input   map[string]any
	state   connector.PollState
	want    string // the request, as wire prints it
	resp    string
	header  http.Header
	records string // "id:change" separated by spaces
	next    string // the next page's URL, empty for none
}

func checkPolls(t *testing.T, key string, cases []pollExpectation) {
	t.Helper()
	d := mustDefinition(t, key)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := d.BuildPoll(tc.cred, tc.object, tc.event, tc.input, tc.state)
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if got := wire(req); got != tc.want {
				t.Errorf("request mismatch\n got:\n%s\nwant:\n%s", got, tc.want)
			}
			page, err := d.PollRecords(tc.object, tc.event, tc.state, req, connector.Response{StatusCode: 200, Header: tc.header, Body: []byte(tc.resp)})
			if err != nil {
				t.Fatalf("records: %v", err)
			}
			var got []string
			for _, r := range page.Records {
				got = append(got, r.ID+":"+r.Change)
			}
			if g := strings.Join(got, " "); g != tc.records {
				t.Errorf("records = %q, want %q", g, tc.records)
			}
			next := ""
			if page.Next != nil {
				next = page.Next.URL.String()
			}
			if next != tc.next {
				t.Errorf("next = %q, want %q", next, tc.next)
			}
		})
	}
}

func hmacSHA1Base64(secret, payload string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(payload))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestTriggersTrello(t *testing.T) {
	const callback = "https://junction.example.com/api/v1/hooks/wh_abc"
	hook := connector.Credentials{Fields: map[string]string{"callback_url": callback}, Secrets: secrets("webhook_secret", "trello-app-secret")}
	// https://developer.atlassian.com/cloud/trello/guides/rest-api/webhooks/#triggering-webhooks
	created := `{"action":{"id":"6541a1b2c3d4e5f601234567","type":"createCard","date":"2026-12-06T10:00:00.000Z",` +
		`"data":{"card":{"id":"6541a1b2c3d4e5f601234568","name":"Rotate keys","idShort":12},"list":{"id":"l1","name":"To do"},"board":{"id":"b1","name":"Ops"}}},` +
		`"model":{"id":"b1","name":"Ops"}}`
	commented := strings.Replace(strings.Replace(created, "createCard", "commentCard", 1), "6541a1b2c3d4e5f601234567", "6541a1b2c3d4e5f60123456a", 1)
	checkWebhooks(t, "trello", "webhook_secret", now, []webhookCase{
		{name: "CardCreated", cred: hook, body: created, header: headers("X-Trello-Webhook", hmacSHA1Base64("trello-app-secret", created+callback)),
			object: "card", event: "created", objectID: "6541a1b2c3d4e5f601234568", eventID: "6541a1b2c3d4e5f601234567"},
		{name: "CardCommented", cred: hook, body: commented, header: headers("X-Trello-Webhook", hmacSHA1Base64("trello-app-secret", commented+callback)),
			object: "card", event: "commented", objectID: "6541a1b2c3d4e5f601234568", eventID: "6541a1b2c3d4e5f60123456a"},
	})
	t.Run("OtherCallbackURL", func(t *testing.T) {
		// A signature for another URL (a delivery replayed to this
		// intake from another) does not verify.
		other := hook
		other.Fields = map[string]string{"callback_url": callback + "x"}
		h := headers("X-Trello-Webhook", hmacSHA1Base64("trello-app-secret", created+callback))
		wantUnauthenticated(t, mustDefinition(t, "trello").VerifyWebhook(other, h, []byte(created), now))
	})

	cred := connector.Credentials{Fields: map[string]string{"api_key": "k"}, Secrets: secrets("token", "t")}
	const hdr = "\nAccept: application/json\nAuthorization: OAuth oauth_consumer_key=\"k\", oauth_token=\"t\""
	// https://developer.atlassian.com/cloud/trello/rest/api-group-boards/#api-boards-boardid-actions-get
	actions := `[
		{"id":"a3","type":"createCard","date":"2026-12-06T10:02:00.000Z","data":{"card":{"id":"c3","name":"New"}}},
		{"id":"a2","type":"createCard","date":"2026-12-06T10:01:00.000Z","data":{"card":{"id":"c2","name":"Also new"}}}
	]`
	checkPolls(t, "trello", []pollExpectation{
		{name: "CardCreatedFirstPoll", cred: cred, object: "card", event: "created", input: map[string]any{"idBoard": "b1"},
			want: "GET https://api.trello.com/1/boards/b1/actions?filter=createCard%2CcopyCard%2CmoveCardToBoard%2CconvertToCardFromCheckItem&limit=1000" + hdr,
			resp: actions, records: "c3:created c2:created"},
		{name: "CardUpdatedSince", cred: cred, object: "card", event: "updated", input: map[string]any{"idBoard": "b1"},
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want:  "GET https://api.trello.com/1/boards/b1/actions?filter=updateCard&limit=1000&since=2026-12-06T09%3A59%3A00Z" + hdr,
			resp:  strings.ReplaceAll(actions, "createCard", "updateCard"), records: "c3:updated c2:updated"},
	})
}

// Smartsheet publishes no OpenAPI file beside the repository; each case
// names the operation's page at https://developers.smartsheet.com/api/smartsheet/openapi.
func TestContractSmartsheet(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "JKlMNOpQ12RStUVwxYZAbcde3F5g6hijklM789")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer JKlMNOpQ12RStUVwxYZAbcde3F5g6hijklM789"
	const base = "https://api.smartsheet.com/2.0"
	runContract(t, "smartsheet", cred, []contractCase{
		// users/getcurrentuser
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/me" + hdr},
		// sheets/list-sheets
		{name: "ListSheets", object: "sheet", operation: "list", retrySafe: true, input: map[string]any{"modifiedSince": "2026-12-01T00:00:00Z"},
			want: "GET " + base + "/sheets?modifiedSince=2026-12-01T00%3A00%3A00Z&page=1&pageSize=100" + hdr},
		// sheets/getsheet
		{name: "GetSheet", object: "sheet", operation: "get", retrySafe: true, input: map[string]any{"sheetId": 4583173393803140, "columnIds": []any{7960873114331012, 642523719853956}},
			want: "GET " + base + "/sheets/4583173393803140?columnIds=7960873114331012%2C642523719853956" + hdr},
		// sheets/create-sheet-in-sheets-folder
		{name: "CreateSheet", object: "sheet", operation: "create",
			input: map[string]any{"name": "Intake", "columns": []any{map[string]any{"title": "Task", "type": "TEXT_NUMBER", "primary": true}}},
			want:  "POST " + base + "/sheets" + hdr + "\nContent-Type: application/json\n\n" + `{"columns":[{"primary":true,"title":"Task","type":"TEXT_NUMBER"}],"name":"Intake"}`},
		// rows/rows-addtosheet
		{name: "AddRow", kind: "activity", activity: "add_row",
			input: map[string]any{"sheetId": 4583173393803140, "cells": []any{map[string]any{"columnId": 7960873114331012, "value": "New"}}},
			want:  "POST " + base + "/sheets/4583173393803140/rows" + hdr + "\nContent-Type: application/json\n\n" + `{"cells":[{"columnId":7960873114331012,"value":"New"}],"toBottom":true}`},
		// rows/update-rows
		{name: "UpdateRow", kind: "activity", activity: "update_row", retrySafe: true,
			input: map[string]any{"sheetId": 4583173393803140, "rowId": 2361756178769796, "cells": []any{map[string]any{"columnId": 7960873114331012, "value": "Done"}}},
			want:  "PUT " + base + "/sheets/4583173393803140/rows" + hdr + "\nContent-Type: application/json\n\n" + `{"cells":[{"columnId":7960873114331012,"value":"Done"}],"id":2361756178769796}`},
		// rows/delete-rows
		{name: "DeleteRows", object: "row", operation: "delete", retrySafe: true, input: map[string]any{"sheetId": 4583173393803140, "ids": []any{2361756178769796, 6809536215820164}},
			want: "DELETE " + base + "/sheets/4583173393803140/rows?ids=2361756178769796%2C6809536215820164&ignoreRowsNotFound=true" + hdr},
		// discussions/discussions-create-on-row
		{name: "CommentOnRow", kind: "activity", activity: "add_row_comment", input: map[string]any{"sheetId": 1, "rowId": 2, "text": "Please check"},
			want: "POST " + base + "/sheets/1/rows/2/discussions" + hdr + "\nContent-Type: application/json\n\n" + `{"comment":{"text":"Please check"}}`},
		// attachments/attachments-attachtorow
		{name: "AttachLink", kind: "activity", activity: "attach_url_to_row", input: map[string]any{"sheetId": 1, "rowId": 2, "url": "https://example.com/spec.pdf", "name": "Spec"},
			want: "POST " + base + "/sheets/1/rows/2/attachments" + hdr + "\nContent-Type: application/json\n\n" + `{"attachmentType":"LINK","name":"Spec","url":"https://example.com/spec.pdf"}`},
		// search/list-search-sheet
		{name: "SearchSheet", kind: "activity", activity: "search_sheet", retrySafe: true, input: map[string]any{"sheetId": 1, "query": `"disk full"`},
			want: "GET " + base + "/search/sheets/1?query=%22disk+full%22" + hdr},
		// columns/columns-listonsheet
		{name: "ListColumns", object: "column", operation: "list", retrySafe: true, input: map[string]any{"sheetId": 1},
			want: "GET " + base + "/sheets/1/columns?page=1&pageSize=100" + hdr},
	})
	t.Run("EuropeOAuth", func(t *testing.T) {
		d := mustDefinition(t, "smartsheet")
		c := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"region": "smartsheet.eu", "client_id": "abc"},
			Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("at-1")}
		s, err := d.OAuth2(c)
		if err != nil {
			t.Fatal(err)
		}
		if s.AuthorizeURL != "https://app.smartsheet.eu/b/authorize" || s.TokenURL != "https://api.smartsheet.eu/2.0/token" {
			t.Errorf("endpoints = %s %s", s.AuthorizeURL, s.TokenURL)
		}
		r, err := d.BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := wire(r); got != "GET https://api.smartsheet.eu/2.0/users/me\nAccept: application/json\nAuthorization: Bearer at-1" {
			t.Errorf("test request = %s", got)
		}
	})
	t.Run("AuthFailure", func(t *testing.T) {
		d := mustDefinition(t, "smartsheet")
		bad := connector.Response{StatusCode: 401, Body: []byte(`{"errorCode":1002,"message":"Your Access Token is invalid.","refId":"123abc"}`)}
		limited := connector.Response{StatusCode: 429, Body: []byte(`{"errorCode":4003,"message":"Rate limit exceeded.","refId":"456def"}`)}
		if !d.IsAuthFailure(bad) || d.IsAuthFailure(limited) {
			t.Errorf("IsAuthFailure(401/1002) = %v, (429/4003) = %v", d.IsAuthFailure(bad), d.IsAuthFailure(limited))
		}
	})
	rows := `{"id":1,"name":"Intake","rows":[
		{"id":11,"rowNumber":1,"createdAt":"2026-12-01T08:00:00Z","modifiedAt":"2026-12-06T10:05:00Z","cells":[]},
		{"id":12,"rowNumber":2,"createdAt":"2026-12-06T10:06:00Z","modifiedAt":"2026-12-06T10:06:00Z","cells":[]}]}`
	checkPolls(t, "smartsheet", []pollExpectation{
		{name: "RowsCreated", cred: cred, object: "row", event: "created", input: map[string]any{"sheetId": 1},
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want:  "GET " + base + "/sheets/1?rowsModifiedSince=2026-12-06T09%3A59%3A00Z" + hdr, resp: rows, records: "12:created"},
		{name: "RowsUpdated", cred: cred, object: "row", event: "updated", input: map[string]any{"sheetId": 1},
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want:  "GET " + base + "/sheets/1?rowsModifiedSince=2026-12-06T09%3A59%3A00Z" + hdr, resp: rows, records: "11:updated"},
	})
}

func TestContractMiro(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "eyJtaXJvLm9yaWdpbiI6ImV1MDEifQ_example")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer eyJtaXJvLm9yaWdpbiI6ImV1MDEifQ_example"
	const base = "https://api.miro.com"
	const board = "uXjVOD6LSME="
	runContract(t, "miro", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/v1/oauth-token" + hdr},
		{name: "ListBoards", object: "board", operation: "list", retrySafe: true, input: map[string]any{"query": "retro"},
			want: "GET " + base + "/v2/boards?limit=50&query=retro" + hdr},
		{name: "CreateBoard", object: "board", operation: "create", input: map[string]any{"name": "Sprint 12 retro", "teamId": "3458764516184293832"},
			want: "POST " + base + "/v2/boards" + hdr + "\nContent-Type: application/json\n\n" + `{"name":"Sprint 12 retro","teamId":"3458764516184293832"}`},
		{name: "ListItems", object: "item", operation: "list", retrySafe: true, input: map[string]any{"board_id": board, "type": "sticky_note"},
			want: "GET " + base + "/v2/boards/uXjVOD6LSME=/items?limit=50&type=sticky_note" + hdr},
		{name: "StickyNote", kind: "activity", activity: "create_sticky_note",
			input: map[string]any{"board_id": board, "content": "<p>Ship it</p>", "fill_color": "yellow", "x": 100, "y": -50.5},
			want: "POST " + base + "/v2/boards/uXjVOD6LSME=/sticky_notes" + hdr + "\nContent-Type: application/json\n\n" +
				`{"data":{"content":"\u003cp\u003eShip it\u003c/p\u003e"},"position":{"x":100,"y":-50.5},"style":{"fillColor":"yellow"}}`},
		{name: "UpdateStickyNote", object: "sticky_note", operation: "update", input: map[string]any{"board_id": board, "item_id": "3458764517517852417", "content": "Shipped"},
			want: "PATCH " + base + "/v2/boards/uXjVOD6LSME=/sticky_notes/3458764517517852417" + hdr + "\nContent-Type: application/json\n\n" + `{"data":{"content":"Shipped"}}`},
		{name: "Card", kind: "activity", activity: "create_card",
			input: map[string]any{"board_id": board, "title": "Fix login", "due_date": "2026-12-24T12:00:00Z", "frame_id": "3458764517517852000"},
			want: "POST " + base + "/v2/boards/uXjVOD6LSME=/cards" + hdr + "\nContent-Type: application/json\n\n" +
				`{"data":{"dueDate":"2026-12-24T12:00:00Z","title":"Fix login"},"parent":{"id":"3458764517517852000"}}`},
		{name: "Image", kind: "activity", activity: "add_image_from_url", input: map[string]any{"board_id": board, "url": "https://example.com/chart.png"},
			want: "POST " + base + "/v2/boards/uXjVOD6LSME=/images" + hdr + "\nContent-Type: application/json\n\n" + `{"data":{"url":"https://example.com/chart.png"}}`},
		{name: "Document", kind: "activity", activity: "add_document_from_url", input: map[string]any{"board_id": board, "url": "https://example.com/spec.pdf", "title": "Spec"},
			want: "POST " + base + "/v2/boards/uXjVOD6LSME=/documents" + hdr + "\nContent-Type: application/json\n\n" + `{"data":{"title":"Spec","url":"https://example.com/spec.pdf"}}`},
		{name: "AttachTag", kind: "activity", activity: "attach_tag", retrySafe: true, input: map[string]any{"board_id": board, "item_id": "345", "tag_id": "678"},
			want: "POST " + base + "/v2/boards/uXjVOD6LSME=/items/345?tag_id=678" + hdr},
		{name: "Share", kind: "activity", activity: "share_board", input: map[string]any{"board_id": board, "emails": []any{"ann@example.com"}},
			want: "POST " + base + "/v2/boards/uXjVOD6LSME=/members" + hdr + "\nContent-Type: application/json\n\n" + `{"emails":["ann@example.com"],"role":"editor"}`},
		{name: "DeleteItem", object: "item", operation: "delete", retrySafe: true, input: map[string]any{"board_id": board, "item_id": "345"},
			want: "DELETE " + base + "/v2/boards/uXjVOD6LSME=/items/345" + hdr},
	})
	t.Run("PublishedAPI", func(t *testing.T) {
		checkPublished(t, mustDefinition(t, "miro"), loadPublishedAPI(t, "miro.json"), nil, nil)
	})
	// https://developers.miro.com/reference/get-items: cursor pages.
	items := `{"data":[
		{"id":"1","type":"sticky_note","createdAt":"2026-12-01T08:00:00Z","modifiedAt":"2026-12-06T10:05:00Z"},
		{"id":"2","type":"card","createdAt":"2026-12-06T10:06:00Z","modifiedAt":"2026-12-06T10:06:00Z"}],
		"total":120,"size":2,"limit":50,"cursor":"MzQ1ODc2NDUxNzUxNzg1MjQxNw==","links":{}}`
	checkPolls(t, "miro", []pollExpectation{
		{name: "ItemsCreated", cred: cred, object: "item", event: "created", input: map[string]any{"board_id": board},
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want:  "GET " + base + "/v2/boards/uXjVOD6LSME=/items?limit=50" + hdr, resp: items, records: "2:created",
			next: base + "/v2/boards/uXjVOD6LSME=/items?cursor=MzQ1ODc2NDUxNzUxNzg1MjQxNw%3D%3D&limit=50"},
	})
}

func TestContractDiscord(t *testing.T) {
	cred := connector.Credentials{Auth: "bot_token", Secrets: secrets("bot_token", "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.example")}
	const hdr = "\nAccept: application/json\nAuthorization: Bot MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.example"
	const base = "https://discord.com/api/v10"
	const channel = "1045678901234567890"
	runContract(t, "discord", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/@me" + hdr},
		{name: "SendMessage", kind: "activity", activity: "send_message", input: map[string]any{"channel_id": channel, "content": "Deploy **finished**", "reply_to": "1045678901234567999"},
			want: "POST " + base + "/channels/" + channel + "/messages" + hdr + "\nContent-Type: application/json\n\n" +
				`{"content":"Deploy **finished**","message_reference":{"message_id":"1045678901234567999"}}`},
		{name: "SendEmbed", kind: "activity", activity: "send_message",
			input: map[string]any{"channel_id": channel, "embeds": []any{map[string]any{"title": "Deploy", "color": 5763719}}},
			want:  "POST " + base + "/channels/" + channel + "/messages" + hdr + "\nContent-Type: application/json\n\n" + `{"embeds":[{"color":5763719,"title":"Deploy"}]}`},
		{name: "ListMessages", object: "message", operation: "list", retrySafe: true, input: map[string]any{"channel_id": channel},
			want: "GET " + base + "/channels/" + channel + "/messages?limit=100" + hdr},
		{name: "EditMessage", object: "message", operation: "update", input: map[string]any{"channel_id": channel, "message_id": "7", "content": "fixed"},
			want: "PATCH " + base + "/channels/" + channel + "/messages/7" + hdr + "\nContent-Type: application/json\n\n" + `{"content":"fixed"}`},
		{name: "React", kind: "activity", activity: "add_reaction", retrySafe: true, input: map[string]any{"channel_id": channel, "message_id": "7", "emoji_name": "👍"},
			want: "PUT " + base + "/channels/" + channel + "/messages/7/reactions/%F0%9F%91%8D/@me" + hdr},
		{name: "Thread", kind: "activity", activity: "start_thread", input: map[string]any{"channel_id": channel, "message_id": "7", "name": "Follow-up", "auto_archive_duration": 1440},
			want: "POST " + base + "/channels/" + channel + "/messages/7/threads" + hdr + "\nContent-Type: application/json\n\n" + `{"auto_archive_duration":1440,"name":"Follow-up"}`},
		{name: "OpenDM", kind: "activity", activity: "send_direct_message", retrySafe: true, input: map[string]any{"recipient_id": "80351110224678912"},
			want: "POST " + base + "/users/@me/channels" + hdr + "\nContent-Type: application/json\n\n" + `{"recipient_id":"80351110224678912"}`},
		{name: "AddRole", kind: "activity", activity: "add_member_role", retrySafe: true, input: map[string]any{"guild_id": "1", "user_id": "2", "role_id": "3"},
			want: "PUT " + base + "/guilds/1/members/2/roles/3" + hdr},
		{name: "ListMembers", object: "member", operation: "list", retrySafe: true, input: map[string]any{"guild_id": "1"},
			want: "GET " + base + "/guilds/1/members?limit=1000" + hdr},
		{name: "CreateChannel", object: "channel", operation: "create", input: map[string]any{"guild_id": "1", "name": "incidents", "type": 0},
			want: "POST " + base + "/guilds/1/channels" + hdr + "\nContent-Type: application/json\n\n" + `{"name":"incidents","type":0}`},
		{name: "SearchMembers", kind: "activity", activity: "search_members", retrySafe: true, input: map[string]any{"guild_id": "1", "query": "ann"},
			want: "GET " + base + "/guilds/1/members/search?limit=100&query=ann" + hdr},
	})
	t.Run("PublishedAPI", func(t *testing.T) {
		checkPublished(t, mustDefinition(t, "discord"), loadPublishedAPI(t, "discord.json"), nil, nil)
	})
	t.Run("OAuthUser", func(t *testing.T) {
		c := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"client_id": "1"}, Secrets: secrets("client_secret", "s"), AccessToken: junction.NewSecret("user-at")}
		r, err := mustDefinition(t, "discord").BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer user-at" {
			t.Errorf("Authorization = %q", got)
		}
	})
	// https://discord.com/developers/docs/resources/message#get-channel-messages
	msgs := `[{"id":"1045678901234568002","channel_id":"` + channel + `","content":"second","timestamp":"2026-12-06T10:02:00.000000+00:00","edited_timestamp":null,"author":{"id":"9"}},
		{"id":"1045678901234568001","channel_id":"` + channel + `","content":"first","timestamp":"2026-12-06T10:01:00.000000+00:00","edited_timestamp":null,"author":{"id":"9"}}]`
	checkPolls(t, "discord", []pollExpectation{
		{name: "FirstPoll", cred: cred, object: "message", event: "created", input: map[string]any{"channel_id": channel},
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want:  "GET " + base + "/channels/" + channel + "/messages?limit=100" + hdr, resp: msgs,
			records: "1045678901234568002:created 1045678901234568001:created"},
		{name: "AfterNewest", cred: cred, object: "message", event: "created", input: map[string]any{"channel_id": channel},
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), Cursor: "1045678901234568002"},
			want:  "GET " + base + "/channels/" + channel + "/messages?after=1045678901234568002&limit=100" + hdr, resp: `[]`, records: ""},
	})
}

// Datadog's pages are under https://docs.datadoghq.com/api/latest/; each
// case names its section.
func TestContractDatadog(t *testing.T) {
	cred := connector.Credentials{Auth: "api_app_keys", Fields: map[string]string{"site": "datadoghq.eu"},
		Secrets: secrets("api_key", "9775a026f1ca7d1c6c5af9d94d9595a4", "application_key", "87ce4a24b5553d2e482ea8a8500e71b8ad4554ff")}
	const keys = "\nDd-Api-Key: 9775a026f1ca7d1c6c5af9d94d9595a4\nDd-Application-Key: 87ce4a24b5553d2e482ea8a8500e71b8ad4554ff"
	const hdr = "\nAccept: application/json" + keys
	const jsonHdr = "\nAccept: application/json\nContent-Type: application/json" + keys + "\n\n"
	const base = "https://api.datadoghq.eu"
	runContract(t, "datadog", cred, []contractCase{
		// authentication/#validate-api-key
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/api/v1/validate" + hdr},
		// events/#post-an-event
		{name: "PostEvent", kind: "activity", activity: "post_event",
			input: map[string]any{"title": "Deploy api v2", "text": "Rolled out by CI", "tags": []any{"env:prod", "service:api"}, "alert_type": "info"},
			want: "POST " + base + "/api/v1/events" + jsonHdr +
				`{"alert_type":"info","tags":["env:prod","service:api"],"text":"Rolled out by CI","title":"Deploy api v2"}`},
		// metrics/#submit-metrics
		{name: "SubmitMetric", kind: "activity", activity: "submit_metric",
			input: map[string]any{"metric": "shop.orders.paid", "value": 3, "timestamp": 1796551200, "type": 1, "tags": []any{"env:prod"}},
			want: "POST " + base + "/api/v2/series" + jsonHdr +
				`{"series":[{"metric":"shop.orders.paid","points":[{"timestamp":1796551200,"value":3}],"tags":["env:prod"],"type":1}]}`},
		{name: "SubmitMetricWithHost", kind: "activity", activity: "submit_metric",
			input: map[string]any{"metric": "queue.depth", "value": 12.5, "timestamp": 1796551200, "host": "worker-1"},
			want: "POST " + base + "/api/v2/series" + jsonHdr +
				`{"series":[{"metric":"queue.depth","points":[{"timestamp":1796551200,"value":12.5}],"resources":[{"name":"worker-1","type":"host"}]}]}`},
		// metrics/#query-timeseries-points
		{name: "QueryMetrics", kind: "activity", activity: "query_metrics", retrySafe: true,
			input: map[string]any{"query": "avg:system.cpu.user{env:prod}", "from": 1796547600, "to": 1796551200},
			want:  "GET " + base + "/api/v1/query?from=1796547600&query=avg%3Asystem.cpu.user%7Benv%3Aprod%7D&to=1796551200" + hdr},
		// monitors/#get-all-monitor-details
		{name: "ListMonitors", object: "monitor", operation: "list", retrySafe: true, input: map[string]any{"monitor_tags": "team:core"},
			want: "GET " + base + "/api/v1/monitor?monitor_tags=team%3Acore" + hdr},
		// monitors/#create-a-monitor
		{name: "CreateMonitor", object: "monitor", operation: "create",
			input: map[string]any{"name": "CPU high", "type": "metric alert", "query": "avg(last_5m):avg:system.cpu.user{env:prod} > 90", "message": "@webhook-junction", "options": map[string]any{"thresholds": map[string]any{"critical": 90}}},
			want: "POST " + base + "/api/v1/monitor" + jsonHdr +
				`{"message":"@webhook-junction","name":"CPU high","options":{"thresholds":{"critical":90}},"query":"avg(last_5m):avg:system.cpu.user{env:prod} \u003e 90","type":"metric alert"}`},
		// downtimes/#schedule-a-downtime
		{name: "Downtime", kind: "activity", activity: "schedule_downtime",
			input: map[string]any{"scope": "env:prod", "monitor_id": 123456, "end": "2026-12-06T12:00:00Z"},
			want: "POST " + base + "/api/v2/downtime" + jsonHdr +
				`{"data":{"attributes":{"monitor_identifier":{"monitor_id":123456},"schedule":{"end":"2026-12-06T12:00:00Z"},"scope":"env:prod"},"type":"downtime"}}`},
		// incidents/#create-an-incident
		{name: "Incident", kind: "activity", activity: "create_incident", input: map[string]any{"title": "Checkout down", "customer_impacted": true},
			want: "POST " + base + "/api/v2/incidents" + jsonHdr +
				`{"data":{"attributes":{"customer_impacted":true,"title":"Checkout down"},"type":"incidents"}}`},
		// events/#get-a-list-of-events
		{name: "ListEvents", object: "event", operation: "list", retrySafe: true, input: map[string]any{"query": "source:github"},
			want: "GET " + base + "/api/v2/events?filter%5Bquery%5D=source%3Agithub&page%5Blimit%5D=100" + hdr},
	})
	t.Run("AuthFailure", func(t *testing.T) {
		d := mustDefinition(t, "datadog")
		if !d.IsAuthFailure(connector.Response{StatusCode: 403, Body: []byte(`{"errors":["Forbidden"]}`)}) {
			t.Error("403 Forbidden is not an auth failure")
		}
	})
	t.Run("OAuthPKCE", func(t *testing.T) {
		s, err := mustDefinition(t, "datadog").OAuth2(connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"site": "us5.datadoghq.com", "client_id": "c"}, Secrets: secrets("client_secret", "s")})
		if err != nil {
			t.Fatal(err)
		}
		if s.AuthorizeURL != "https://app.us5.datadoghq.com/oauth2/v1/authorize" || s.TokenURL != "https://api.us5.datadoghq.com/oauth2/v1/token" || !s.PKCE {
			t.Errorf("settings = %s %s pkce %v", s.AuthorizeURL, s.TokenURL, s.PKCE)
		}
	})
	// https://docs.datadoghq.com/integrations/webhooks/: the payload is the
	// one the connection's help text asks for, filled by Datadog.
	alert := `{"id":"7456374529845162432","alert_id":"123456","alert_transition":"Triggered","alert_status":"","title":"[Triggered] CPU high","body":"CPU above 90","priority":"P2","tags":"env:prod","hostname":"web-1","link":"https://app.datadoghq.eu/event/event?id=7456374529845162432","date":"1796551200000"}`
	hook := connector.Credentials{Secrets: secrets("webhook_token", "dd-hook-token-1")}
	checkWebhooks(t, "datadog", "webhook_token", now, []webhookCase{
		{name: "Triggered", cred: hook, body: alert, header: headers("X-Junction-Webhook-Token", "dd-hook-token-1"),
			object: "monitor", event: "triggered", objectID: "123456", eventID: "7456374529845162432"},
	})
	checkPolls(t, "datadog", []pollExpectation{
		{name: "EventsSince", cred: cred, object: "event", event: "created", input: map[string]any{"query": "source:github"},
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want:  "GET " + base + "/api/v2/events?filter%5Bfrom%5D=1796551140000&filter%5Bquery%5D=source%3Agithub&page%5Blimit%5D=100&sort=timestamp" + hdr,
			resp: `{"data":[{"id":"AAAAAYx","type":"event","attributes":{"timestamp":"2026-12-06T10:01:00Z","message":"push"}}],
				"meta":{"page":{"after":"eyJhZnRlciI6IkFBQUFBWXgifQ=="}},"links":{}}`,
			records: "AAAAAYx:created", next: base + "/api/v2/events?filter%5Bfrom%5D=1796551140000&filter%5Bquery%5D=source%3Agithub&page%5Bcursor%5D=eyJhZnRlciI6IkFBQUFBWXgifQ%3D%3D&page%5Blimit%5D=100&sort=timestamp"},
	})
}

func TestContractCalendly(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0MDIzZjdjMzJiZTgzNDliMjM4MDEzNWI0IiwidHlwIjoiUEFUIiwiYWxnIjoiRVMyNTYifQ.example")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0MDIzZjdjMzJiZTgzNDliMjM4MDEzNWI0IiwidHlwIjoiUEFUIiwiYWxnIjoiRVMyNTYifQ.example"
	const base = "https://api.calendly.com"
	const user = "https://api.calendly.com/users/AAAAAAAAAAAAAAAA"
	runContract(t, "calendly", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/me" + hdr},
		{name: "ListEventTypes", object: "event_type", operation: "list", retrySafe: true, input: map[string]any{"user": user, "active": true},
			want: "GET " + base + "/event_types?active=true&count=100&user=https%3A%2F%2Fapi.calendly.com%2Fusers%2FAAAAAAAAAAAAAAAA" + hdr},
		{name: "ListScheduledEvents", object: "scheduled_event", operation: "list", retrySafe: true,
			input: map[string]any{"user": user, "min_start_time": "2026-12-07T00:00:00Z", "status": "active", "sort": "start_time:asc"},
			want:  "GET " + base + "/scheduled_events?count=100&min_start_time=2026-12-07T00%3A00%3A00Z&sort=start_time%3Aasc&status=active&user=https%3A%2F%2Fapi.calendly.com%2Fusers%2FAAAAAAAAAAAAAAAA" + hdr},
		{name: "ListInvitees", object: "invitee", operation: "list", retrySafe: true, input: map[string]any{"uuid": "GBGBDCAADAEDCRZ2"},
			want: "GET " + base + "/scheduled_events/GBGBDCAADAEDCRZ2/invitees?count=100" + hdr},
		{name: "Cancel", kind: "activity", activity: "cancel_event", input: map[string]any{"uuid": "GBGBDCAADAEDCRZ2", "reason": "Host is ill"},
			want: "POST " + base + "/scheduled_events/GBGBDCAADAEDCRZ2/cancellation" + hdr + "\nContent-Type: application/json\n\n" + `{"reason":"Host is ill"}`},
		{name: "SchedulingLink", kind: "activity", activity: "create_scheduling_link", input: map[string]any{"owner": "https://api.calendly.com/event_types/AAAAAAAAAAAAAAAA"},
			want: "POST " + base + "/scheduling_links" + hdr + "\nContent-Type: application/json\n\n" + `{"max_event_count":1,"owner":"https://api.calendly.com/event_types/AAAAAAAAAAAAAAAA","owner_type":"EventType"}`},
		{name: "NoShow", kind: "activity", activity: "mark_no_show", input: map[string]any{"invitee": "https://api.calendly.com/scheduled_events/G/invitees/I"},
			want: "POST " + base + "/invitee_no_shows" + hdr + "\nContent-Type: application/json\n\n" + `{"invitee":"https://api.calendly.com/scheduled_events/G/invitees/I"}`},
		{name: "Invite", kind: "activity", activity: "invite_user", input: map[string]any{"uuid": "ORG1", "email": "ann@example.com"},
			want: "POST " + base + "/organizations/ORG1/invitations" + hdr + "\nContent-Type: application/json\n\n" + `{"email":"ann@example.com"}`},
	})
	t.Run("PublishedAPI", func(t *testing.T) {
		// The description beside the repository covers a few operations;
		// the others are checked byte for byte above against these pages.
		checkPublished(t, mustDefinition(t, "calendly"), loadPublishedAPI(t, "calendly.json"), nil, map[string]string{
			"GET /event_types?user":                      "https://developer.calendly.com/api-docs/25a4ece03c1bc-list-user-s-event-types",
			"GET /scheduled_events":                      "https://developer.calendly.com/api-docs/2d5ed9bbd2952-list-events",
			"GET /scheduled_events/{uuid}":               "https://developer.calendly.com/api-docs/e2f95ebd44914-get-event",
			"GET /scheduled_events/{uuid}/invitees":      "https://developer.calendly.com/api-docs/eb8ee72701f99-list-event-invitees",
			"POST /scheduled_events/{uuid}/cancellation": "https://developer.calendly.com/api-docs/afb2e9fe3a0a0-cancel-event",
			"POST /scheduling_links":                     "https://developer.calendly.com/api-docs/4b8195084e287-create-single-use-scheduling-link",
			"POST /organizations/{uuid}/invitations":     "https://developer.calendly.com/api-docs/094d15d2cd4ab-invite-user-to-organization",
		})
	})
	// https://developer.calendly.com/api-docs/4c305798a61d3-webhook-signatures
	const ts = "1717243190" // now, less 10s
	booked := `{"event":"invitee.created","created_at":"2024-06-01T11:59:50.000000Z","created_by":"https://api.calendly.com/users/AAAA",` +
		`"payload":{"uri":"https://api.calendly.com/scheduled_events/GBGB/invitees/IIII","email":"ann@example.com","name":"Ann","event":"https://api.calendly.com/scheduled_events/GBGB","status":"active"}}`
	hook := connector.Credentials{Secrets: secrets("webhook_signing_key", "calendly-signing-key")}
	checkWebhooks(t, "calendly", "webhook_signing_key", now, []webhookCase{
		{name: "InviteeCreated", cred: hook, body: booked, header: headers("Calendly-Webhook-Signature", "t="+ts+",v1="+hmacHex("calendly-signing-key", ts+"."+booked)),
			object: "invitee", event: "created", objectID: "https://api.calendly.com/scheduled_events/GBGB/invitees/IIII"},
	})
	t.Run("StaleSignature", func(t *testing.T) {
		old := "1717242000" // twenty minutes before now
		h := headers("Calendly-Webhook-Signature", "t="+old+",v1="+hmacHex("calendly-signing-key", old+"."+booked))
		wantUnauthenticated(t, mustDefinition(t, "calendly").VerifyWebhook(hook, h, []byte(booked), now))
	})
}

// Eventbrite's reference is https://www.eventbrite.com/platform/api; each
// case names its section.
func TestContractEventbrite(t *testing.T) {
	cred := connector.Credentials{Auth: "bearer", Secrets: secrets("token", "MYPRIVATETOKEN123")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer MYPRIVATETOKEN123"
	const jsonHdr = hdr + "\nContent-Type: application/json\n\n"
	const base = "https://www.eventbriteapi.com/v3"
	runContract(t, "eventbrite", cred, []contractCase{
		// user/retrieve-information-about-your-user-account
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users/me/" + hdr},
		// organization/list-your-organizations
		{name: "ListOrganizations", object: "organization", operation: "list", retrySafe: true, want: "GET " + base + "/users/me/organizations/" + hdr},
		// event/list/list-events-by-organization
		{name: "ListEvents", object: "event", operation: "list", retrySafe: true, input: map[string]any{"organization_id": "1234567", "status": "live", "time_filter": "current_future"},
			want: "GET " + base + "/organizations/1234567/events/?page_size=100&status=live&time_filter=current_future" + hdr},
		// event/create/create-an-event
		{name: "CreateEvent", object: "event", operation: "create",
			input: map[string]any{"organization_id": "1234567", "name": "Winter meetup", "timezone": "Europe/Berlin", "start_utc": "2026-12-24T18:00:00Z", "end_utc": "2026-12-24T21:00:00Z", "currency": "EUR"},
			want: "POST " + base + "/organizations/1234567/events/" + jsonHdr +
				`{"event":{"currency":"EUR","end":{"timezone":"Europe/Berlin","utc":"2026-12-24T21:00:00Z"},"name":{"html":"Winter meetup"},"start":{"timezone":"Europe/Berlin","utc":"2026-12-24T18:00:00Z"}}}`},
		// event/update/update-an-event
		{name: "UpdateEvent", object: "event", operation: "update", retrySafe: true, input: map[string]any{"event_id": "717926867587", "capacity": 150},
			want: "POST " + base + "/events/717926867587/" + jsonHdr + `{"event":{"capacity":150}}`},
		// ticket-class/create/create-a-ticket-class
		{name: "CreateTicketClass", object: "ticket_class", operation: "create", input: map[string]any{"event_id": "717926867587", "name": "General", "quantity_total": 100, "cost": "EUR,2500"},
			want: "POST " + base + "/events/717926867587/ticket_classes/" + jsonHdr + `{"ticket_class":{"cost":"EUR,2500","name":"General","quantity_total":100}}`},
		// event/publish/publish-an-event
		{name: "Publish", kind: "activity", activity: "publish_event", retrySafe: true, input: map[string]any{"event_id": "717926867587"},
			want: "POST " + base + "/events/717926867587/publish/" + hdr},
		// attendee/list/list-attendees-by-event
		{name: "ListAttendees", object: "attendee", operation: "list", retrySafe: true, input: map[string]any{"event_id": "717926867587", "status": "attending"},
			want: "GET " + base + "/events/717926867587/attendees/?status=attending" + hdr},
		// order/list-orders-by-organization-id
		{name: "ListOrders", object: "order", operation: "list", retrySafe: true, input: map[string]any{"organization_id": "1234567", "only_emails": []any{"ann@example.com", "bob@example.com"}},
			want: "GET " + base + "/organizations/1234567/orders/?only_emails=ann%40example.com%2Cbob%40example.com" + hdr},
		// venue/create-a-venue
		{name: "CreateVenue", kind: "activity", activity: "create_venue", input: map[string]any{"organization_id": "1234567", "name": "Hall 1", "city": "Berlin", "country": "DE"},
			want: "POST " + base + "/organizations/1234567/venues/" + jsonHdr + `{"venue":{"address":{"city":"Berlin","country":"DE"},"name":"Hall 1"}}`},
	})
	t.Run("AuthFailure", func(t *testing.T) {
		d := mustDefinition(t, "eventbrite")
		if !d.IsAuthFailure(connector.Response{StatusCode: 400, Body: []byte(`{"status_code":400,"error":"NO_AUTH","error_description":"No authentication provided."}`)}) {
			t.Error("NO_AUTH is not an auth failure")
		}
	})
	// https://www.eventbrite.com/platform/docs/webhooks
	placed := `{"config":{"action":"order.placed","user_id":"163054428874","endpoint_url":"https://junction.example.com/api/v1/hooks/tok","webhook_id":"2883483"},"api_url":"https://www.eventbriteapi.com/v3/orders/1234567890/"}`
	t.Run("OrderPlacedWebhook", func(t *testing.T) {
		d := mustDefinition(t, "eventbrite")
		if err := d.VerifyWebhook(connector.Credentials{}, http.Header{}, []byte(placed), now); err != nil {
			t.Fatal(err)
		}
		ev, _, err := d.ParseWebhook(connector.Credentials{}, http.Header{}, []byte(placed))
		if err != nil {
			t.Fatal(err)
		}
		if ev.Object != "order" || ev.Event != "created" || ev.ObjectID != "https://www.eventbriteapi.com/v3/orders/1234567890/" {
			t.Errorf("event = %s.%s %s", ev.Object, ev.Event, ev.ObjectID)
		}
	})
	// order/list-orders-by-organization-id: changed_since in UTC to the second.
	orders := `{"pagination":{"object_count":2,"continuation":"dGhpcyBpcyBwYWdlIDE","has_more_items":true},"orders":[
		{"id":"1001","created":"2026-12-06T10:02:00Z","changed":"2026-12-06T10:02:00Z","status":"placed"},
		{"id":"900","created":"2026-11-01T09:00:00Z","changed":"2026-12-06T10:03:00Z","status":"refunded"}]}`
	checkPolls(t, "eventbrite", []pollExpectation{
		{name: "OrdersPlaced", cred: cred, object: "order", event: "created", input: map[string]any{"organization_id": "1234567"},
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want:  "GET " + base + "/organizations/1234567/orders/?changed_since=2026-12-06T09%3A59%3A00Z" + hdr, resp: orders, records: "1001:created",
			next: base + "/organizations/1234567/orders/?changed_since=2026-12-06T09%3A59%3A00Z&continuation=dGhpcyBpcyBwYWdlIDE"},
	})
}

func TestContractXero(t *testing.T) {
	cred := connector.Credentials{Auth: "oauth2_authorization_code", Fields: map[string]string{"client_id": "C1", "tenant_id": "70784a63-d24b-46a9-a4db-0e70a274b056"},
		Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("xero-at")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer xero-at"
	const tenant = "\nXero-Tenant-Id: 70784a63-d24b-46a9-a4db-0e70a274b056"
	const jsonHdr = hdr + "\nContent-Type: application/json" + tenant + "\n\n"
	const base = "https://api.xero.com/api.xro/2.0"
	runContract(t, "xero", cred, []contractCase{
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/Organisation" + hdr + tenant},
		{name: "ListTenants", kind: "activity", activity: "list_tenants", retrySafe: true, want: "GET https://api.xero.com/connections" + hdr + tenant},
		{name: "ListInvoices", object: "invoice", operation: "list", retrySafe: true,
			input: map[string]any{"Statuses": []any{"AUTHORISED", "PAID"}, "where": `Type=="ACCREC"`},
			want:  "GET " + base + "/Invoices?Statuses=AUTHORISED%2CPAID&page=1&pageSize=100&where=Type%3D%3D%22ACCREC%22" + hdr + tenant},
		{name: "CreateInvoice", kind: "activity", activity: "create_invoice",
			input: map[string]any{"contact_id": "eaa28f49-6028-4b6e-bb12-d8f6278073fc", "due_date": "2026-12-31", "idempotency_key": "inv-42",
				"line_items": []any{map[string]any{"Description": "Consulting", "Quantity": 2, "UnitAmount": 150, "AccountCode": "200"}}},
			want: "PUT " + base + "/Invoices" + hdr + "\nContent-Type: application/json\nIdempotency-Key: inv-42" + tenant + "\n\n" +
				`{"Invoices":[{"Contact":{"ContactID":"eaa28f49-6028-4b6e-bb12-d8f6278073fc"},"DueDate":"2026-12-31","LineItems":[{"AccountCode":"200","Description":"Consulting","Quantity":2,"UnitAmount":150}],"Type":"ACCREC"}]}`},
		{name: "ApproveInvoice", object: "invoice", operation: "update", retrySafe: true, input: map[string]any{"InvoiceID": "243216c5-369e-4056-ac67-05388f86dc81", "Status": "AUTHORISED"},
			want: "POST " + base + "/Invoices/243216c5-369e-4056-ac67-05388f86dc81" + jsonHdr + `{"Invoices":[{"Status":"AUTHORISED"}]}`},
		{name: "EmailInvoice", kind: "activity", activity: "email_invoice", input: map[string]any{"InvoiceID": "243216c5-369e-4056-ac67-05388f86dc81"},
			want: "POST " + base + "/Invoices/243216c5-369e-4056-ac67-05388f86dc81/Email" + jsonHdr + `{}`},
		{name: "RecordPayment", kind: "activity", activity: "record_payment",
			input: map[string]any{"invoice_id": "243216c5", "account_code": "090", "amount": 300, "date": "2026-12-06"},
			want:  "PUT " + base + "/Payments" + jsonHdr + `{"Payments":[{"Account":{"Code":"090"},"Amount":300,"Date":"2026-12-06","Invoice":{"InvoiceID":"243216c5"}}]}`},
		{name: "CreateContact", object: "contact", operation: "create", input: map[string]any{"Name": "ABC Limited", "EmailAddress": "ap@abc.example"},
			want: "POST " + base + "/Contacts" + jsonHdr + `{"Contacts":[{"EmailAddress":"ap@abc.example","Name":"ABC Limited"}]}`},
		{name: "InvoiceNote", kind: "activity", activity: "add_invoice_note", input: map[string]any{"InvoiceID": "243216c5", "note": "Customer called"},
			want: "PUT " + base + "/Invoices/243216c5/History" + jsonHdr + `{"HistoryRecords":[{"Details":"Customer called"}]}`},
	})
	t.Run("PublishedAPI", func(t *testing.T) {
		checkPublished(t, mustDefinition(t, "xero"), loadPublishedAPI(t, "xero-accounting.yaml"), nil, map[string]string{
			"GET /connections": "https://developer.xero.com/documentation/guides/oauth2/auth-flow/#5-check-the-tenants-youre-authorized-to-access",
		})
	})
	t.Run("CustomConnection", func(t *testing.T) {
		c := connector.Credentials{Auth: "custom_connection", Fields: map[string]string{"client_id": "C1"}, Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("cc-at")}
		d := mustDefinition(t, "xero")
		r, err := d.BuildTest(c)
		if err != nil {
			t.Fatal(err)
		}
		// One organisation: no tenant header.
		if got := wire(r); got != "GET "+base+"/Organisation\nAccept: application/json\nAuthorization: Bearer cc-at" {
			t.Errorf("test request = %s", got)
		}
		s, err := d.OAuth2(c)
		if err != nil {
			t.Fatal(err)
		}
		if s.TokenURL != "https://identity.xero.com/connect/token" || strings.Join(s.Scopes, " ") != "offline_access accounting.transactions accounting.contacts accounting.settings.read" {
			t.Errorf("settings = %s %v", s.TokenURL, s.Scopes)
		}
	})
	t.Run("AuthFailure", func(t *testing.T) {
		d := mustDefinition(t, "xero")
		gone := connector.Response{StatusCode: 403, Body: []byte(`{"Type":null,"Title":"Forbidden","Status":403,"Detail":"AuthorizationUnsuccessful"}`)}
		denied := connector.Response{StatusCode: 403, Body: []byte(`{"Title":"Forbidden","Status":403,"Detail":"You are not permitted to access this resource"}`)}
		if !d.IsAuthFailure(gone) || d.IsAuthFailure(denied) {
			t.Errorf("IsAuthFailure(disconnected) = %v, (not permitted) = %v", d.IsAuthFailure(gone), d.IsAuthFailure(denied))
		}
	})
	// https://developer.xero.com/documentation/api/accounting/invoices#get-invoices
	invoices := `{"Id":"x","Status":"OK","Invoices":[
		{"InvoiceID":"a1","Type":"ACCREC","Status":"AUTHORISED","UpdatedDateUTC":"/Date(1796551260000+0000)/"},
		{"InvoiceID":"a2","Type":"ACCREC","Status":"PAID","UpdatedDateUTC":"/Date(1796551320000+0000)/"}]}`
	checkPolls(t, "xero", []pollExpectation{
		{name: "InvoicesModifiedSince", cred: cred, object: "invoice", event: "updated",
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want: "GET " + base + "/Invoices?order=UpdatedDateUTC+ASC&page=1&pageSize=100" + hdr +
				"\nIf-Modified-Since: 2026-12-06T09:59:00" + tenant, resp: invoices, records: "a1:updated a2:updated"},
	})
}

// Workday's REST reference (https://community.workday.com/sites/default/files/file-hosting/restapi/index.html)
// is behind a login and publishes no OpenAPI file; each case names its
// service and resource there.
func TestContractWorkday(t *testing.T) {
	cred := connector.Credentials{Fields: map[string]string{"host": "wd2-impl-services1.workday.com", "auth_host": "wd2-impl.workday.com", "tenant": "acme_preview", "client_id": "NjA0"},
		Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("wd-at")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer wd-at"
	const base = "https://wd2-impl-services1.workday.com/ccx/api"
	const worker = "3aa5550b7fe348b98d7b5741afc65534"
	runContract(t, "workday", cred, []contractCase{
		// common v1: /workers/me
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/common/v1/acme_preview/workers/me" + hdr},
		// common v1: /workers
		{name: "SearchWorkers", object: "worker", operation: "list", retrySafe: true, input: map[string]any{"search": "Logan McNeil"},
			want: "GET " + base + "/common/v1/acme_preview/workers?limit=100&search=Logan+McNeil" + hdr},
		// common v1: /workers/{ID}/directReports
		{name: "DirectReports", kind: "activity", activity: "get_direct_reports", retrySafe: true, input: map[string]any{"ID": worker},
			want: "GET " + base + "/common/v1/acme_preview/workers/" + worker + "/directReports?limit=100" + hdr},
		// absenceManagement v1: /balances
		{name: "Balances", kind: "activity", activity: "get_time_off_balances", retrySafe: true, input: map[string]any{"worker": worker},
			want: "GET " + base + "/absenceManagement/v1/acme_preview/balances?worker=" + worker + hdr},
		// absenceManagement v1: /workers/{ID}/requestTimeOff
		{name: "RequestTimeOff", kind: "activity", activity: "request_time_off",
			input: map[string]any{"ID": worker, "comment": "Family visit", "days": []any{map[string]any{"date": "2026-12-28", "dailyQuantity": 8, "timeOffType": map[string]any{"id": "b35340ce4321102030f8b5a848bc0000"}}}},
			want: "POST " + base + "/absenceManagement/v1/acme_preview/workers/" + worker + "/requestTimeOff" + hdr + "\nContent-Type: application/json\n\n" +
				`{"businessProcessParameters":{"action":{"id":"d9e4223e446c11de98360015c5e6daf6"},"comment":"Family visit"},"days":[{"dailyQuantity":8,"date":"2026-12-28","timeOffType":{"id":"b35340ce4321102030f8b5a848bc0000"}}]}`},
		// recruiting v4: /jobPostings
		{name: "JobPostings", object: "job_posting", operation: "list", retrySafe: true,
			want: "GET " + base + "/recruiting/v4/acme_preview/jobPostings?limit=100" + hdr},
		// common v1: /supervisoryOrganizations/{ID}/workers
		{name: "OrgMembers", kind: "activity", activity: "get_organization_members", retrySafe: true, input: map[string]any{"ID": "org1", "offset": 100},
			want: "GET " + base + "/common/v1/acme_preview/supervisoryOrganizations/org1/workers?limit=100&offset=100" + hdr},
	})
	// View API Clients shows the Authorization Endpoint on the website
	// host; the services host serves the API and tokens only.
	t.Run("OAuthEndpoints", func(t *testing.T) {
		s, err := mustDefinition(t, "workday").OAuth2(cred)
		if err != nil {
			t.Fatal(err)
		}
		if s.AuthorizeURL != "https://wd2-impl.workday.com/acme_preview/authorize" || s.TokenURL != "https://wd2-impl-services1.workday.com/ccx/oauth2/acme_preview/token" {
			t.Errorf("endpoints = %s %s", s.AuthorizeURL, s.TokenURL)
		}
	})
}

// Coupa's Core API reference (https://compass.coupa.com/en-us/products/product-documentation/integration-technical-documentation/the-coupa-core-api)
// publishes no OpenAPI file; each case names its resource page there.
func TestContractCoupa(t *testing.T) {
	cred := connector.Credentials{Fields: map[string]string{"host": "acme.coupahost.com", "client_id": "3c1ce11a", "scopes": "core.common.read"},
		Secrets: secrets("client_secret", "cs"), AccessToken: junction.NewSecret("coupa-at")}
	const hdr = "\nAccept: application/json\nAuthorization: Bearer coupa-at"
	const jsonHdr = hdr + "\nContent-Type: application/json\n\n"
	const base = "https://acme.coupahost.com/api"
	runContract(t, "coupa", cred, []contractCase{
		// Users API (/users)
		{name: "Test", kind: "test", retrySafe: true, want: "GET " + base + "/users?limit=1&return_object=limited" + hdr},
		// Purchase Orders API (/purchase_orders), with API Operators
		{name: "ListPOs", object: "purchase_order", operation: "list", retrySafe: true, input: map[string]any{"status": "issued", "exported": false},
			want: "GET " + base + "/purchase_orders?exported=false&limit=50&status=issued" + hdr},
		// Special Actions and API Notes: exported=true in the query, alone.
		{name: "MarkPOExported", kind: "activity", activity: "mark_purchase_order_exported", retrySafe: true, input: map[string]any{"id": 4711},
			want: "PUT " + base + "/purchase_orders/4711?exported=true" + hdr},
		{name: "IssuePO", kind: "activity", activity: "issue_purchase_order", input: map[string]any{"id": 4711},
			want: "PUT " + base + "/purchase_orders/4711/issue" + hdr},
		// Suppliers API (/suppliers)
		{name: "CreateSupplier", object: "supplier", operation: "create", input: map[string]any{"name": "Acme Parts", "po_method": "email", "po_email": "orders@acme.example"},
			want: "POST " + base + "/suppliers" + jsonHdr + `{"name":"Acme Parts","po-email":"orders@acme.example","po-method":"email"}`},
		// Requisitions API (/requisitions)
		{name: "CreateRequisition", object: "requisition", operation: "create",
			input: map[string]any{"requisition_lines": []any{map[string]any{"description": "Laptop", "quantity": 1, "unit-price": 1200}}, "justification": "New hire"},
			want:  "POST " + base + "/requisitions" + jsonHdr + `{"justification":"New hire","requisition-lines":[{"description":"Laptop","quantity":1,"unit-price":1200}]}`},
		{name: "SubmitRequisition", kind: "activity", activity: "submit_requisition", input: map[string]any{"id": 12},
			want: "PUT " + base + "/requisitions/12/update_and_submit_for_approval" + hdr},
		// Approvals API (/approvals)
		{name: "PendingApprovals", kind: "activity", activity: "list_pending_approvals", retrySafe: true, input: map[string]any{"approver_id": 5},
			want: "GET " + base + "/approvals?approver%5Bid%5D=5&limit=50&status=pending_approval" + hdr},
		{name: "Reject", kind: "activity", activity: "reject", input: map[string]any{"id": 99, "reason": "Over budget"},
			want: "PUT " + base + "/approvals/99/reject?reason=Over+budget" + hdr},
		// Invoices API (/invoices)
		{name: "ListInvoices", object: "invoice", operation: "list", retrySafe: true, input: map[string]any{"status": "approved", "return_object": "shallow"},
			want: "GET " + base + "/invoices?limit=50&return_object=shallow&status=approved" + hdr},
	})
	t.Run("ClientCredentials", func(t *testing.T) {
		s, err := mustDefinition(t, "coupa").OAuth2(cred)
		if err != nil {
			t.Fatal(err)
		}
		if s.TokenURL != "https://acme.coupahost.com/oauth2/token" || strings.Join(s.Scopes, " ") != "core.common.read" {
			t.Errorf("settings = %s %v", s.TokenURL, s.Scopes)
		}
	})
	// Invoices API: updated-at[gt] with an ISO 8601 time.
	invoices := `[{"id":1,"invoice-number":"INV-1","status":"approved","created-at":"2026-12-06T02:01:00-08:00","updated-at":"2026-12-06T02:05:00-08:00"},
		{"id":2,"invoice-number":"INV-2","status":"draft","created-at":"2026-11-01T09:00:00-08:00","updated-at":"2026-12-06T02:06:00-08:00"}]`
	checkPolls(t, "coupa", []pollExpectation{
		{name: "InvoicesChanged", cred: cred, object: "invoice", event: "updated",
			state: connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)},
			want:  "GET " + base + "/invoices?limit=50&updated-at%5Bgt%5D=2026-12-06T09%3A59%3A00Z" + hdr, resp: invoices, records: "1:created 2:updated"},
	})
}

// TestOutputsFromVendorAnswers reads each activity's outputs, and each
// operation's record, from an answer shaped as the vendor's documentation
// shows it, so that a wrong path in a definition fails here rather than
// in a user's automation.
func TestOutputsFromVendorAnswers(t *testing.T) {
	bearer := func(token string) connector.Credentials {
		return connector.Credentials{Auth: "bearer", Secrets: secrets("token", token)}
	}
	oauth := func(fields map[string]string) connector.Credentials {
		return connector.Credentials{Auth: "oauth2_authorization_code", Fields: fields, Secrets: secrets("client_secret", "s"), AccessToken: junction.NewSecret("at")}
	}
	trello := connector.Credentials{Fields: map[string]string{"api_key": "k"}, Secrets: secrets("token", "t")}
	cases := []struct {
		key, activity     string
		object, operation string
		cred              connector.Credentials
		input             map[string]any
		answer            string
		want              string // outputs, or the record for an operation, as JSON
	}{
		{key: "trello", activity: "add_comment", cred: trello, input: map[string]any{"idCard": "c1", "text": "hi"},
			answer: `{"id":"6541a1b2c3d4e5f60123456a","type":"commentCard","date":"2026-12-06T10:00:00.000Z","data":{"text":"hi","card":{"id":"c1"}}}`,
			want:   `{"date":"2026-12-06T10:00:00.000Z","id":"6541a1b2c3d4e5f60123456a"}`},
		{key: "trello", activity: "search", cred: trello, input: map[string]any{"query": "x"},
			answer: `{"options":{},"cards":[{"id":"c1","name":"Rotate keys"}],"boards":[]}`,
			want:   `{"boards":[],"cards":[{"id":"c1","name":"Rotate keys"}]}`},
		{key: "smartsheet", activity: "add_row", cred: bearer("t"), input: map[string]any{"sheetId": 1, "cells": []any{}},
			answer: `{"message":"SUCCESS","resultCode":0,"version":14,"result":[{"id":7670198317672324,"sheetId":1,"rowNumber":12,"cells":[]}]}`,
			want:   `{"id":7670198317672324,"rowNumber":12}`},
		{key: "smartsheet", object: "row", operation: "update", cred: bearer("t"), input: map[string]any{"sheetId": 1, "rowId": 2},
			answer: `{"message":"SUCCESS","resultCode":0,"result":[{"id":2,"rowNumber":3,"modifiedAt":"2026-12-06T10:00:00Z"}]}`,
			want:   `{"id":2,"modifiedAt":"2026-12-06T10:00:00Z","rowNumber":3}`},
		{key: "smartsheet", activity: "add_row_comment", cred: bearer("t"), input: map[string]any{"sheetId": 1, "rowId": 2, "text": "x"},
			answer: `{"message":"SUCCESS","resultCode":0,"result":{"id":4583173393803140,"comments":[{"id":1,"text":"x"}]}}`,
			want:   `{"id":4583173393803140}`},
		{key: "miro", activity: "create_sticky_note", cred: bearer("t"), input: map[string]any{"board_id": "b"},
			answer: `{"id":"3458764517517852417","type":"sticky_note","data":{"content":"x"},"links":{"self":"https://api.miro.com/v2/boards/b/sticky_notes/3458764517517852417"}}`,
			want:   `{"id":"3458764517517852417","link":"https://api.miro.com/v2/boards/b/sticky_notes/3458764517517852417"}`},
		{key: "discord", activity: "send_direct_message", cred: connector.Credentials{Auth: "bot_token", Secrets: secrets("bot_token", "b")}, input: map[string]any{"recipient_id": "1"},
			answer: `{"id":"319674150115610528","type":1,"last_message_id":null,"recipients":[{"id":"1"}]}`,
			want:   `{"channel_id":"319674150115610528"}`},
		{key: "datadog", activity: "post_event", cred: connector.Credentials{Auth: "api_app_keys", Fields: map[string]string{"site": "datadoghq.com"}, Secrets: secrets("api_key", "a", "application_key", "b")},
			input:  map[string]any{"title": "t", "text": "x"},
			answer: `{"status":"ok","event":{"id":1377281704830403917,"title":"t","url":"https://app.datadoghq.com/event/event?id=1377281704830403917"}}`,
			want:   `{"id":1377281704830403917,"url":"https://app.datadoghq.com/event/event?id=1377281704830403917"}`},
		{key: "calendly", activity: "create_scheduling_link", cred: bearer("t"), input: map[string]any{"owner": "https://api.calendly.com/event_types/E"},
			answer: `{"resource":{"booking_url":"https://calendly.com/d/abcd-brv8/15-minute-meeting","owner":"https://api.calendly.com/event_types/E","owner_type":"EventType"}}`,
			want:   `{"booking_url":"https://calendly.com/d/abcd-brv8/15-minute-meeting"}`},
		{key: "eventbrite", activity: "publish_event", cred: bearer("t"), input: map[string]any{"event_id": "1"},
			answer: `{"published":true}`, want: `{"published":true}`},
		{key: "xero", activity: "create_invoice", cred: oauth(map[string]string{"client_id": "c"}), input: map[string]any{"contact_id": "c", "line_items": []any{}},
			answer: `{"Id":"e3c6","Status":"OK","Invoices":[{"Type":"ACCREC","InvoiceID":"243216c5-369e-4056-ac67-05388f86dc81","InvoiceNumber":"INV-0042","Total":345.00}]}`,
			want:   `{"InvoiceID":"243216c5-369e-4056-ac67-05388f86dc81","InvoiceNumber":"INV-0042","Total":345.00}`},
		{key: "xero", activity: "online_invoice_url", cred: oauth(map[string]string{"client_id": "c"}), input: map[string]any{"InvoiceID": "i"},
			answer: `{"OnlineInvoices":[{"OnlineInvoiceUrl":"https://in.xero.com/iztKMjyAEJT7MVnmruxgCdIJUDStfRgmtdQSIW13"}]}`,
			want:   `{"url":"https://in.xero.com/iztKMjyAEJT7MVnmruxgCdIJUDStfRgmtdQSIW13"}`},
		{key: "xero", object: "contact", operation: "get", cred: oauth(map[string]string{"client_id": "c"}), input: map[string]any{"ContactID": "c1"},
			answer: `{"Contacts":[{"ContactID":"c1","Name":"ABC Limited"}]}`, want: `{"ContactID":"c1","Name":"ABC Limited"}`},
		{key: "workday", activity: "request_time_off", cred: oauth(map[string]string{"host": "h.example.com", "auth_host": "w.example.com", "tenant": "t", "client_id": "c"}),
			input:  map[string]any{"ID": "w", "days": []any{}},
			answer: `{"id":"f4a1b2","descriptor":"Time Off Request","businessProcessParameters":{"overallStatus":"In Progress","transactionStatus":{"id":"x"}}}`,
			want:   `{"id":"f4a1b2","status":"In Progress"}`},
		{key: "coupa", activity: "submit_requisition", cred: connector.Credentials{Fields: map[string]string{"host": "a.coupahost.com", "client_id": "c", "scopes": "s"}, Secrets: secrets("client_secret", "s"), AccessToken: junction.NewSecret("at")},
			input: map[string]any{"id": 12}, answer: `{"id":12,"status":"pending_approval","requisition-lines":[]}`, want: `{"status":"pending_approval"}`},
	}
	for _, tc := range cases {
		name := tc.key + "/" + tc.activity + tc.object + tc.operation
		t.Run(name, func(t *testing.T) {
			d := mustDefinition(t, tc.key)
			var (
				r   *connector.Request
				err error
				got any
			)
			if tc.activity != "" {
				if r, err = d.BuildActivity(tc.cred, tc.activity, tc.input); err == nil {
					got, err = r.Outputs([]byte(tc.answer))
				}
			} else if r, err = d.BuildOperation(tc.cred, tc.object, tc.operation, tc.input); err == nil {
				got, err = r.Result([]byte(tc.answer))
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := outputsJSON(t, got); b != tc.want {
				t.Errorf("got %s, want %s", b, tc.want)
			}
		})
	}
}

func outputsJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDescribedForPeople checks what a person choosing an activity or
// filling a connection form reads: every field has help, and every input,
// activity and trigger event a description.
func TestDescribedForPeople(t *testing.T) {
	for _, key := range []string{"trello", "smartsheet", "miro", "discord", "datadog", "calendly", "eventbrite", "xero", "workday", "coupa"} {
		d := mustDefinition(t, key)
		var missing []string
		fields := func(where string, fs []connector.Field) {
			for _, f := range fs {
				if strings.TrimSpace(f.Help) == "" {
					missing = append(missing, where+" field "+f.Name)
				}
			}
		}
		inputs := func(where string, op *connector.Operation) {
			for _, in := range op.Inputs {
				if strings.TrimSpace(in.Description) == "" {
					missing = append(missing, where+" input "+in.Name)
				}
			}
		}
		fields("connection", d.Fields)
		for _, a := range d.Auth {
			fields(a.Key(), a.Fields)
		}
		for _, o := range d.Objects {
			for _, name := range connector.OperationNames {
				if op := o.Operations.ByName(name); op != nil {
					inputs(o.Name+"."+name, op)
				}
			}
			for _, e := range o.Events {
				if strings.TrimSpace(e.Description) == "" {
					missing = append(missing, "event "+o.Name+"."+e.Name)
				}
				if e.Webhook != nil && (d.Webhooks == nil || strings.TrimSpace(d.Webhooks.Help) == "") {
					missing = append(missing, "webhook help")
				}
			}
		}
		for i := range d.Activities {
			a := &d.Activities[i]
			if strings.TrimSpace(a.Description) == "" {
				missing = append(missing, "activity "+a.Name)
			}
			inputs(a.Name, &a.Operation)
		}
		if len(missing) > 0 {
			t.Errorf("%s lacks descriptions: %s", key, strings.Join(missing, ", "))
		}
	}
}

// A signature payload may name shared public fields (Trello's callback
// URL), and nothing else: not secrets, not undeclared names.
func TestSignaturePayloadFields(t *testing.T) {
	const def = `
key: signed
display_name: Signed
version: 1.0.0
base_url: https://api.example.com
fields:
  - {name: callback_url, type: text}
  - {name: signing_secret, type: secret}
auth: [{type: none}]
objects:
  - name: item
    id_field: id
    operations: {get: {method: GET, path: "/items/{id}", inputs: [{name: id, type: string, required: true}]}}
    events: [{name: created, webhook: {types: [created]}}]
webhooks:
  signature: {scheme: hmac_sha1, secret_field: signing_secret, header: X-Sig, encoding: base64, payload: "PAYLOAD"}
  event_type: {path: type}
`
	mustParse(t, strings.Replace(def, "PAYLOAD", "{body}{callback_url}", 1))
	for _, bad := range []string{"{body}{signing_secret}", "{body}{nope}"} {
		if _, err := connector.Parse([]byte(strings.Replace(def, "PAYLOAD", bad, 1))); err == nil || !strings.Contains(err.Error(), "webhooks.signature.payload") {
			t.Errorf("payload %s: got %v, want a problem at webhooks.signature.payload", bad, err)
		}
	}
}
