package engine_test

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/connector"
)

// A catalog connector run end to end through the engine against a
// loopback stand-in of its vendor: the connection test, activities and a
// poll, with the vendor's own answer shapes. The definition is the
// built-in one with its vendor's hosts pointed at the stand-in (and its key
// suffixed, so it loads beside the original); nothing else changes.
type standInCase struct {
	key  string
	auth string
	// hosts are the definition's vendor URL prefixes to send to the
	// stand-in instead.
	hosts   []string
	fields  map[string]string
	secrets map[string]string
	// header is what every request must carry; anything else is answered
	// with unauthorized, as the vendor answers a bad credential.
	header [2]string
	// sigv4 is the service and region every request must be signed for
	// (AWS Signature Version 4, with fields["access_key_id"] and
	// secrets["secret_access_key"]), in place of header.
	sigv4 [2]string
	// tokenPath and grant are the token endpoint's path and grant type
	// when the vendor's differ from /oauth2/token (or /connect/token) and
	// client_credentials.
	tokenPath, grant string
	routes           map[string]string // "METHOD /path" -> JSON answer
	status           map[string]int    // "METHOD /path" -> status when not 200
	// sent are what requests to a route must carry in their query or body
	// (unescaped), as the vendor's reference names the parameters.
	sent     map[string][]string
	calls    []standInCall
	poll     *standInPoll
	rejected string // the vendor's answer to a bad credential
}

type standInCall struct {
	activity, object, operation string
	input                       map[string]any
	want                        string // the output as JSON
}

type standInPoll struct {
	object, event string
	input         map[string]any
	state         connector.PollState
	want          string // "id id ..." of the records reported
}

var standInKeyRE = regexp.MustCompile(`(?m)^key: (\S+)$`)

// standInDefinition writes the built-in definition of key with hosts
// replaced by base, under the key key-standin.
func standInDefinition(t *testing.T, key, base string, hosts []string) string {
	t.Helper()
	data, err := fs.ReadFile(connector.Builtin(), key+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := standInKeyRE.ReplaceAllString(string(data), "key: ${1}-standin")
	for _, h := range hosts {
		s = strings.ReplaceAll(s, h, base)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, key+".yaml"), []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runStandIn(t *testing.T, tc standInCase) {
	t.Helper()
	var mu sync.Mutex
	seen, sent := map[string]int{}, map[string]string{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := r.Method + " " + r.URL.Path
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		sent[route] += requestText(r, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		tokenRoute := route == "POST /oauth2/token" || route == "POST /connect/token"
		if tc.tokenPath != "" {
			tokenRoute = route == "POST "+tc.tokenPath
		}
		grant := tc.grant
		if grant == "" {
			grant = "client_credentials"
		}
		if tokenRoute {
			_ = r.ParseForm()
			id, secret, basic := r.BasicAuth()
			if !basic {
				id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
			}
			if r.Form.Get("grant_type") != grant || id != tc.fields["client_id"] || secret != tc.secrets["client_secret"] {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
				return
			}
			_, _ = w.Write([]byte(`{"access_token":"standin-at","token_type":"bearer","expires_in":3600}`))
			return
		}
		if tc.sigv4[0] != "" {
			if !awsSigned(r, body, tc.fields["access_key_id"], tc.secrets["secret_access_key"], tc.sigv4[0], tc.sigv4[1]) {
				refuseAWSSignature(w)
				return
			}
		} else if r.Header.Get(tc.header[0]) != tc.header[1] {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(tc.rejected))
			return
		}
		answer, ok := tc.routes[route]
		// A route with a query ("GET /path?after=2") answers the requests
		// carrying those parameters, in the query or a JSON body: a list's
		// later pages.
		for key, a := range tc.routes {
			if path, q, found := strings.Cut(key, "?"); found && path == route && carriesQuery(r.URL.Query(), body, q) {
				route, answer, ok = key, a, true
				break
			}
		}
		if !ok {
			t.Errorf("%s: the stand-in has no %s", tc.key, route)
			w.WriteHeader(http.StatusNotFound)
			return
		}
		mu.Lock()
		seen[route]++
		mu.Unlock()
		if s := tc.status[route]; s != 0 {
			w.WriteHeader(s)
		}
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)

	f := newFixture(t, fixtureOptions{extra: standInDefinition(t, tc.key, srv.URL, tc.hosts)})
	f.trust(srv)
	connect := func(secretValues map[string]string) *junction.Connection {
		fields := map[string]junction.FieldValue{}
		for k, v := range tc.fields {
			fields[k] = junction.FieldValue{Value: v}
		}
		literal := map[string]junction.Secret{}
		for k, v := range secretValues {
			literal[k] = junction.NewSecret(v)
		}
		return f.connection(t, tc.key+"-standin", tc.auth, fields, literal)
	}
	conn := connect(tc.secrets)
	if _, err := f.eng.Test(f.ctx, conn); err != nil {
		t.Fatalf("test: %v", err)
	}
	wrong := map[string]string{}
	for k := range tc.secrets {
		wrong[k] = "not-the-credential"
	}
	_, err := f.eng.Test(f.ctx, connect(wrong))
	wantCode(t, err, junction.ECONNAUTHFAILED)
	secretValues := make([]string, 0, len(tc.secrets))
	for _, v := range tc.secrets {
		secretValues = append(secretValues, v)
	}
	exerciseStandIn(t, f, conn, tc.calls, tc.poll, secretValues)
	mu.Lock()
	defer mu.Unlock()
	for route := range tc.routes {
		if seen[route] == 0 {
			t.Errorf("%s was never called", route)
		}
	}
	checkSent(t, tc.sent, sent)
}

// carriesQuery tells whether a request's query or JSON body holds every
// parameter of the query want.
func carriesQuery(query url.Values, body []byte, want string) bool {
	w, err := url.ParseQuery(want)
	if err != nil {
		return false
	}
	for k := range w {
		if query.Get(k) != w.Get(k) && !bytes.Contains(body, []byte(`"`+k+`":"`+w.Get(k)+`"`)) {
			return false
		}
	}
	return true
}

// requestText is what a request put in its query and body, unescaped.
func requestText(r *http.Request, body []byte) string {
	q, _ := url.QueryUnescape(r.URL.RawQuery)
	return q + "\n" + string(body) + "\n"
}

// checkSent reports each text a route's requests should have carried and
// did not. What was sent is not printed: token requests hold the client
// secret.
func checkSent(t *testing.T, want map[string][]string, got map[string]string) {
	t.Helper()
	for route, texts := range want {
		for _, s := range texts {
			if !strings.Contains(got[route], s) {
				t.Errorf("no request to %s carried %q", route, s)
			}
		}
	}
}

func TestCatalogStandIns(t *testing.T) {
	watermark := connector.PollState{Watermark: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	cases := []standInCase{
		{
			key: "trello", auth: "api_key_token", hosts: []string{"https://api.trello.com"},
			fields: map[string]string{"api_key": "k1"}, secrets: map[string]string{"token": "trello-token-1"},
			header:   [2]string{"Authorization", `OAuth oauth_consumer_key="k1", oauth_token="trello-token-1"`},
			rejected: `invalid token`,
			routes: map[string]string{
				"GET /1/members/me":                 `{"id":"5abbe4b7ddc1b351ef961414","username":"ann"}`,
				"POST /1/cards/c1/actions/comments": `{"id":"a9","type":"commentCard","date":"2026-12-06T10:00:00.000Z"}`,
				"GET /1/boards/b1/actions": `[{"id":"a3","type":"createCard","date":"2026-12-06T10:02:00.000Z","data":{"card":{"id":"c3"}}},
					{"id":"a1","type":"createCard","date":"2026-12-05T10:02:00.000Z","data":{"card":{"id":"c1"}}}]`,
			},
			calls: []standInCall{{activity: "add_comment", input: map[string]any{"idCard": "c1", "text": "hi"}, want: `{"date":"2026-12-06T10:00:00.000Z","id":"a9"}`}},
			poll:  &standInPoll{object: "card", event: "created", input: map[string]any{"idBoard": "b1"}, state: watermark, want: "c3"},
		},
		{
			key: "smartsheet", auth: "bearer", hosts: []string{"https://api.{region}"},
			fields: map[string]string{"region": "smartsheet.com"}, secrets: map[string]string{"token": "ss-1"},
			header:   [2]string{"Authorization", "Bearer ss-1"},
			rejected: `{"errorCode":1002,"message":"Your Access Token is invalid.","refId":"r1"}`,
			routes: map[string]string{
				"GET /2.0/users/me":       `{"id":48569348493401200,"email":"ann@example.com"}`,
				"POST /2.0/sheets/1/rows": `{"message":"SUCCESS","resultCode":0,"result":[{"id":7670198317672324,"rowNumber":12}]}`,
				"GET /2.0/sheets/1": `{"id":1,"rows":[{"id":11,"createdAt":"2026-12-06T10:01:00Z","modifiedAt":"2026-12-06T10:01:00Z"},
					{"id":12,"createdAt":"2026-12-01T10:01:00Z","modifiedAt":"2026-12-06T10:03:00Z"}]}`,
			},
			calls: []standInCall{{activity: "add_row", input: map[string]any{"sheetId": 1, "cells": []any{map[string]any{"columnId": 7, "value": "x"}}}, want: `{"id":7670198317672324,"rowNumber":12}`}},
			poll:  &standInPoll{object: "row", event: "updated", input: map[string]any{"sheetId": 1}, state: watermark, want: "12"},
		},
		{
			key: "discord", auth: "bot_token", hosts: []string{"https://discord.com"},
			secrets:  map[string]string{"bot_token": "bot-1"},
			header:   [2]string{"Authorization", "Bot bot-1"},
			rejected: `{"message":"401: Unauthorized","code":0}`,
			routes: map[string]string{
				"GET /api/v10/users/@me":             `{"id":"80351110224678912","username":"junction-bot","bot":true}`,
				"POST /api/v10/channels/c1/messages": `{"id":"1045678901234568003","timestamp":"2026-12-06T10:04:00.000000+00:00"}`,
				"GET /api/v10/channels/c1/messages":  `[{"id":"1045678901234568002","timestamp":"2026-12-06T10:02:00.000000+00:00"}]`,
			},
			calls: []standInCall{{activity: "send_message", input: map[string]any{"channel_id": "c1", "content": "hi"},
				want: `{"id":"1045678901234568003","timestamp":"2026-12-06T10:04:00.000000+00:00"}`}},
			poll: &standInPoll{object: "message", event: "created", input: map[string]any{"channel_id": "c1"}, state: watermark, want: "1045678901234568002"},
		},
		{
			key: "datadog", auth: "api_app_keys", hosts: []string{"https://api.{site}"},
			fields: map[string]string{"site": "datadoghq.eu"}, secrets: map[string]string{"api_key": "dd-api", "application_key": "dd-app"},
			header:   [2]string{"Dd-Api-Key", "dd-api"},
			rejected: `{"errors":["Unauthorized"]}`,
			routes: map[string]string{
				"GET /api/v1/validate": `{"valid":true}`,
				"POST /api/v1/events":  `{"status":"ok","event":{"id":1377281704830403917,"url":"https://app.datadoghq.eu/event/event?id=1377281704830403917"}}`,
				"GET /api/v2/events":   `{"data":[{"id":"AAAAAYx","type":"event","attributes":{"timestamp":"2026-12-06T10:01:00Z"}}],"meta":{"page":{}}}`,
			},
			calls: []standInCall{{activity: "post_event", input: map[string]any{"title": "Deploy", "text": "done"},
				want: `{"id":1377281704830403917,"url":"https://app.datadoghq.eu/event/event?id=1377281704830403917"}`}},
			poll: &standInPoll{object: "event", event: "created", state: watermark, want: "AAAAAYx"},
		},
		{
			key: "eventbrite", auth: "bearer", hosts: []string{"https://www.eventbriteapi.com"},
			secrets:  map[string]string{"token": "eb-1"},
			header:   [2]string{"Authorization", "Bearer eb-1"},
			rejected: `{"status_code":401,"error_description":"The OAuth token you provided was invalid.","error":"INVALID_AUTH"}`,
			routes: map[string]string{
				"GET /v3/users/me/":                `{"id":"163054428874","name":"Ann"}`,
				"POST /v3/events/e1/publish/":      `{"published":true}`,
				"GET /v3/organizations/o1/orders/": `{"pagination":{"has_more_items":false},"orders":[{"id":"1001","created":"2026-12-06T10:02:00Z","changed":"2026-12-06T10:02:00Z"}]}`,
			},
			calls: []standInCall{{activity: "publish_event", input: map[string]any{"event_id": "e1"}, want: `{"published":true}`}},
			poll:  &standInPoll{object: "order", event: "created", input: map[string]any{"organization_id": "o1"}, state: watermark, want: "1001"},
		},
		{
			key: "miro", auth: "bearer", hosts: []string{"https://api.miro.com"},
			secrets:  map[string]string{"token": "miro-1"},
			header:   [2]string{"Authorization", "Bearer miro-1"},
			rejected: `{"status":401,"code":"tokenNotProvided","message":"No access token provided","type":"error"}`,
			routes: map[string]string{
				"GET /v1/oauth-token":             `{"type":"oauth","team":{"id":"3074457350804038700"},"scopes":["boards:read","boards:write"]}`,
				"POST /v2/boards/b1/sticky_notes": `{"id":"3458764517517852417","type":"sticky_note","links":{"self":"https://api.miro.com/v2/boards/b1/sticky_notes/3458764517517852417"}}`,
				"GET /v2/boards/b1/items": `{"data":[{"id":"1","createdAt":"2026-12-06T10:01:00Z","modifiedAt":"2026-12-06T10:01:00Z"},
					{"id":"2","createdAt":"2026-12-01T10:01:00Z","modifiedAt":"2026-12-01T10:01:00Z"}],"total":2,"size":2,"limit":50}`,
			},
			calls: []standInCall{{activity: "create_sticky_note", input: map[string]any{"board_id": "b1", "content": "hi"},
				want: `{"id":"3458764517517852417","link":"https://api.miro.com/v2/boards/b1/sticky_notes/3458764517517852417"}`}},
			poll: &standInPoll{object: "item", event: "created", input: map[string]any{"board_id": "b1"}, state: watermark, want: "1"},
		},
		{
			key: "calendly", auth: "bearer", hosts: []string{"https://api.calendly.com"},
			secrets:  map[string]string{"token": "cal-1"},
			header:   [2]string{"Authorization", "Bearer cal-1"},
			rejected: `{"title":"Unauthenticated","message":"The access token is invalid"}`,
			routes: map[string]string{
				"GET /users/me":          `{"resource":{"uri":"https://api.calendly.com/users/AAAA","name":"Ann"}}`,
				"POST /scheduling_links": `{"resource":{"booking_url":"https://calendly.com/d/abcd-brv8/15-minute-meeting","owner_type":"EventType"}}`,
			},
			calls: []standInCall{{activity: "create_scheduling_link", input: map[string]any{"owner": "https://api.calendly.com/event_types/E"},
				want: `{"booking_url":"https://calendly.com/d/abcd-brv8/15-minute-meeting"}`}},
		},
		{
			// Client credentials: the engine fetches a token from the
			// stand-in's /oauth2/token first.
			key: "coupa", auth: "oauth2_client_credentials", hosts: []string{"https://{host}"},
			fields: map[string]string{"host": "acme.coupahost.com", "client_id": "c1", "scopes": "core.common.read"}, secrets: map[string]string{"client_secret": "standin-client-secret"},
			header:   [2]string{"Authorization", "Bearer standin-at"},
			rejected: `{"errors":{"error":["Unauthorized"]}}`,
			routes: map[string]string{
				"GET /api/users": `[{"id":1,"login":"integration"}]`,
				"PUT /api/requisitions/12/update_and_submit_for_approval": `{"id":12,"status":"pending_approval"}`,
				"GET /api/invoices": `[{"id":5,"created-at":"2026-12-06T02:01:00-08:00","updated-at":"2026-12-06T02:01:00-08:00"}]`,
			},
			calls: []standInCall{{activity: "submit_requisition", input: map[string]any{"id": 12}, want: `{"status":"pending_approval"}`}},
			poll:  &standInPoll{object: "invoice", event: "updated", state: watermark, want: "5"},
		},
		{
			key: "xero", auth: "custom_connection", hosts: []string{"https://api.xero.com", "https://identity.xero.com"},
			fields: map[string]string{"client_id": "c1"}, secrets: map[string]string{"client_secret": "standin-client-secret"},
			header:   [2]string{"Authorization", "Bearer standin-at"},
			rejected: `{"Title":"Unauthorized","Status":401,"Detail":"AuthenticationUnsuccessful"}`,
			routes: map[string]string{
				"GET /api.xro/2.0/Organisation": `{"Organisations":[{"Name":"Demo Company (Global)"}]}`,
				"PUT /api.xro/2.0/Invoices":     `{"Invoices":[{"InvoiceID":"243216c5","InvoiceNumber":"INV-0042","Total":345.00}]}`,
				"GET /api.xro/2.0/Invoices":     `{"Invoices":[{"InvoiceID":"a2","UpdatedDateUTC":"/Date(1796551320000+0000)/"}]}`,
			},
			calls: []standInCall{{activity: "create_invoice", input: map[string]any{"contact_id": "c", "line_items": []any{map[string]any{"Description": "x", "UnitAmount": 1}}},
				want: `{"InvoiceID":"243216c5","InvoiceNumber":"INV-0042","Total":345.00}`}},
			poll: &standInPoll{object: "invoice", event: "updated", state: watermark, want: "a2"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			runStandIn(t, tc)
		})
	}
}
