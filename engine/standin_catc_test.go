package engine_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"junction"
	"junction/connector"
	"junction/engine"
)

// standIn copies a built-in definition under key+"-standin" with the
// scheme and host of its base URL, and of every operation's own, replaced
// by the loopback server's, the path kept, so the real definition's
// requests, pages, outputs and polls run through the engine against a
// server that answers as the vendor documents.
func standIn(t *testing.T, key string, srv *httptest.Server) string {
	t.Helper()
	data, err := fs.ReadFile(connector.Builtin(), key+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "key: "+key+"\n", "key: "+key+"-standin\n", 1)
	if !regexp.MustCompile(`(?m)^base_url: https://`).MatchString(s) {
		t.Fatalf("%s: no base_url to replace", key)
	}
	base := regexp.MustCompile(`(?m)^(\s*base_url: )https://[^/\s]+`)
	return base.ReplaceAllString(s, "${1}"+srv.URL)
}

// standIns writes the stand-in copies of several definitions, all on one
// server, into one directory for fixtureOptions.extra.
func standIns(t *testing.T, srv *httptest.Server, keys ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, key := range keys {
		if err := os.WriteFile(filepath.Join(dir, key+".yaml"), []byte(standIn(t, key, srv)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mailgunStandIn answers as https://documentation.mailgun.com describes:
// HTTP Basic api:<key>, messages posted as a form, and suppression lists
// whose paging.next is always given and ends with an empty page.
func mailgunStandIn(t *testing.T, key string) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if u, p, ok := r.BasicAuth(); !ok || u != "api" || p != key {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "Forbidden")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/v4/domains/mg.example.com":
			io.WriteString(w, `{"domain":{"name":"mg.example.com","state":"active"}}`)
		case r.Method == "POST" && r.URL.Path == "/v3/mg.example.com/messages":
			if err := r.ParseForm(); err != nil || r.PostForm.Get("from") == "" || len(r.PostForm["to"]) != 2 || r.PostForm.Get("subject") != "Hello" {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"message":"'from' parameter is missing"}`)
				return
			}
			io.WriteString(w, `{"id":"<20240310.1@mg.example.com>","message":"Queued. Thank you."}`)
		case r.Method == "GET" && r.URL.Path == "/v3/mg.example.com/bounces":
			next := srv.URL + "/v3/mg.example.com/bounces?page=next&address=b%40example.com&limit=1000"
			if r.URL.Query().Get("page") == "next" {
				io.WriteString(w, `{"items":[],"paging":{"next":"`+next+`"}}`)
				return
			}
			io.WriteString(w, `{"items":[{"address":"a@example.com","code":"550"},{"address":"b@example.com","code":"550"}],"paging":{"next":"`+next+`"}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"not found"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestStandInMailgun(t *testing.T) {
	srv, calls := mailgunStandIn(t, "key-good")
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, standIn(t, "mailgun", srv))})
	f.trust(srv)
	conn := func(key string) *junction.Connection {
		return f.connection(t, "mailgun-standin", "api_key", map[string]junction.FieldValue{"domain_name": {Value: "mg.example.com"}},
			map[string]junction.Secret{"api_key": junction.NewSecret(key)})
	}
	good := conn("key-good")
	if _, err := f.eng.Test(f.ctx, good); err != nil {
		t.Fatal(err)
	}
	_, err := f.eng.Test(f.ctx, conn("key-bad"))
	wantCode(t, err, junction.ECONNAUTHFAILED)

	res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: good, Activity: "send_email",
		Input: map[string]any{"from": "Ops <ops@mg.example.com>", "to": []any{"a@example.com", "b@example.com"}, "subject": "Hello", "text": "Hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, res.Output); got != `{"id":"\u003c20240310.1@mg.example.com\u003e","message":"Queued. Thank you."}` {
		t.Fatalf("send_email output %s", got)
	}

	before := calls.Load()
	res, err = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: good, Object: "bounce", Operation: "list", MaxPages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(mustJSON(t, res.Output)), &recs); err != nil || len(recs) != 2 {
		t.Fatalf("bounces %s (%v)", mustJSON(t, res.Output), err)
	}
	// The first page and the empty one that ends the list: no more.
	if n := calls.Load() - before; n != 2 {
		t.Fatalf("listing took %d requests, want 2", n)
	}
}

// anthropicStandIn answers as https://docs.anthropic.com/en/api describes:
// x-api-key and anthropic-version on every request, 401
// authentication_error otherwise, and model pages by after_id.
func anthropicStandIn(t *testing.T, key string) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("x-api-key") != key || r.Header.Get("anthropic-version") != "2023-06-01" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
			return
		}
		switch {
		case r.Method == "GET" && r.URL.Path == "/v1/models" && r.URL.Query().Get("after_id") == "":
			io.WriteString(w, `{"data":[{"type":"model","id":"claude-opus-4-20250514","display_name":"Claude Opus 4","created_at":"2025-05-22T00:00:00Z"}],"has_more":true,"first_id":"claude-opus-4-20250514","last_id":"claude-opus-4-20250514"}`)
		case r.Method == "GET" && r.URL.Path == "/v1/models":
			io.WriteString(w, `{"data":[{"type":"model","id":"claude-3-5-haiku-20241022","display_name":"Claude Haiku 3.5","created_at":"2024-10-22T00:00:00Z"}],"has_more":false,"first_id":"claude-3-5-haiku-20241022","last_id":"claude-3-5-haiku-20241022"}`)
		case r.Method == "POST" && r.URL.Path == "/v1/messages":
			var body struct {
				Model     string `json:"model"`
				MaxTokens int    `json:"max_tokens"`
				Messages  []struct {
					Role, Content string
				} `json:"messages"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Model == "" || body.MaxTokens == 0 || len(body.Messages) != 1 {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"type":"error","error":{"type":"invalid_request_error","message":"bad body"}}`)
				return
			}
			io.WriteString(w, `{"id":"msg_01","type":"message","role":"assistant","model":"`+body.Model+`","content":[{"type":"text","text":"echo: `+body.Messages[0].Content+`"}],"stop_reason":"end_turn","usage":{"input_tokens":10,"output_tokens":3}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"type":"error","error":{"type":"not_found_error","message":"not found"}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStandInAnthropic(t *testing.T) {
	srv := anthropicStandIn(t, "sk-ant-good")
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, standIn(t, "anthropic", srv))})
	f.trust(srv)
	conn := func(key string) *junction.Connection {
		return f.connection(t, "anthropic-standin", "api_key", map[string]junction.FieldValue{}, map[string]junction.Secret{"api_key": junction.NewSecret(key)})
	}
	good := conn("sk-ant-good")
	if _, err := f.eng.Test(f.ctx, good); err != nil {
		t.Fatal(err)
	}
	_, err := f.eng.Test(f.ctx, conn("sk-ant-bad"))
	wantCode(t, err, junction.ECONNAUTHFAILED)

	res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: good, Activity: "ask", Input: map[string]any{"prompt": "ping"}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := res.Output.(map[string]any)
	if out["text"] != "echo: ping" || out["stop_reason"] != "end_turn" {
		t.Fatalf("ask output %s", mustJSON(t, res.Output))
	}
	res, err = f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: good, Object: "model", Operation: "list", MaxPages: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, res.Output); !strings.Contains(got, "claude-opus-4-20250514") || !strings.Contains(got, "claude-3-5-haiku-20241022") {
		t.Fatalf("models %s", got)
	}
}

// shopifyStandIn answers as https://shopify.dev/docs/api/admin-rest
// describes: X-Shopify-Access-Token, and orders in pages linked by the
// Link header's page_info.
func shopifyStandIn(t *testing.T, token string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("X-Shopify-Access-Token") != token {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`)
			return
		}
		const api = "/admin/api/2025-10"
		q := r.URL.Query()
		switch {
		case r.URL.Path == api+"/shop.json":
			io.WriteString(w, `{"shop":{"id":548380009,"name":"Acme"}}`)
		case r.URL.Path == api+"/orders.json" && q.Get("page_info") == "":
			// Filters are only allowed on the first page.
			if q.Get("status") != "any" || q.Get("created_at_min") == "" {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"errors":"status and created_at_min expected"}`)
				return
			}
			w.Header().Set("Link", `<`+srv.URL+api+`/orders.json?limit=250&page_info=eyJsYXN0X2lkIjo0NTA3ODk0NjksImRpcmVjdGlvbiI6Im5leHQifQ>; rel="next"`)
			io.WriteString(w, `{"orders":[{"id":450789471,"created_at":"2026-03-01T10:30:00Z","updated_at":"2026-03-01T10:30:00Z"}]}`)
		case r.URL.Path == api+"/orders.json":
			if len(q) != 2 || q.Get("limit") != "250" {
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"errors":"page_info cannot be combined with other parameters"}`)
				return
			}
			io.WriteString(w, `{"orders":[{"id":450789470,"created_at":"2026-03-01T10:20:00Z","updated_at":"2026-03-01T10:20:00Z"},{"id":450789469,"created_at":"2026-02-01T00:00:00Z","updated_at":"2026-02-01T00:00:00Z"}]}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errors":"Not Found"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStandInShopifyPoll(t *testing.T) {
	srv := shopifyStandIn(t, "shpat_good")
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, standIn(t, "shopify", srv))})
	f.trust(srv)
	conn := f.connection(t, "shopify-standin", "access_token", map[string]junction.FieldValue{"shop": {Value: "acme-store"}},
		map[string]junction.Secret{"access_token": junction.NewSecret("shpat_good")})
	if _, err := f.eng.Test(f.ctx, conn); err != nil {
		t.Fatal(err)
	}
	// The fixture's clock is 2026-03-01 09:00; the watermark is 10:00.
	state := connector.PollState{Watermark: f.clock.Now().Add(3600e9)}
	res, err := f.eng.Poll(f.ctx, engine.PollRequest{Connection: conn, Object: "order", Event: "created", State: state})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range res.Records {
		ids = append(ids, r.ID)
	}
	if got := strings.Join(ids, " "); got != "450789471 450789470" {
		t.Fatalf("polled %q, want the two orders after the watermark", got)
	}
	if got := res.State.Watermark.Format("15:04"); got != "10:30" {
		t.Fatalf("watermark %s", got)
	}
}

// TestStandInMailgunWebhook receives a Mailgun delivery, signed in its body
// as https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
// describes, with the signing key in a vault: after the key is rotated in
// the vault, a delivery signed with the new key is accepted at once.
func TestStandInMailgunWebhook(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	a := f.vaultAsset(t, "mailgun-signing-key", junction.AssetSecret, map[string]string{"value": "key-old"})
	conn := f.connection(t, "mailgun", "api_key", map[string]junction.FieldValue{
		"domain_name": {Value: "mg.example.com"}, "webhook_signing_key": {AssetID: a.ID},
	}, map[string]junction.Secret{"api_key": junction.NewSecret("k")})
	delivery := func(key, token string) []byte {
		ts := strconv.FormatInt(f.clock.Now().Unix(), 10)
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(ts + token))
		return []byte(`{"signature":{"timestamp":"` + ts + `","token":"` + token + `","signature":"` + hex.EncodeToString(m.Sum(nil)) + `"},` +
			`"event-data":{"id":"ev-` + token + `","event":"delivered","timestamp":` + ts + `,"recipient":"a@example.com"}}`)
	}
	evs, _, err := f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: conn, Header: http.Header{}, Body: delivery("key-old", "t1")})
	if err != nil {
		t.Fatal(err)
	}
	ev := evs[0]
	if ev.Object != "email_event" || ev.Event != "delivered" || ev.EventID != "ev-t1" {
		t.Fatalf("event %s.%s %s", ev.Object, ev.Event, ev.EventID)
	}
	_, _, err = f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: conn, Header: http.Header{}, Body: delivery("key-forged", "t2")})
	wantCode(t, err, junction.EUNAUTHENTICATED)

	f.vault.Put("secret/apps/mailgun-signing-key", map[string]string{"value": "key-new"})
	if _, _, err := f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: conn, Header: http.Header{}, Body: delivery("key-new", "t3")}); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
}

// TestStandInEveryAuthAndActivity creates a connection with each auth
// type a connector offers that needs no OAuth consent, against a loopback
// stand-in that accepts only the credentials sent the vendor's way and
// otherwise answers with the vendor's documented authentication failure;
// runs the connection test with good and bad credentials; and runs every
// activity with its required inputs.
func TestStandInEveryAuthAndActivity(t *testing.T) {
	type authCase struct {
		auth   string
		fields map[string]string
		good   map[string]string // secret fields
		bad    map[string]string
		ok     func(r *http.Request) bool
	}
	basic := func(user, pass string) func(r *http.Request) bool {
		return func(r *http.Request) bool { u, p, ok := r.BasicAuth(); return ok && u == user && p == pass }
	}
	header := func(name, value string) func(r *http.Request) bool {
		return func(r *http.Request) bool { return r.Header.Get(name) == value }
	}
	cases := []struct {
		key     string
		failure string // the vendor's 401 body
		auths   []authCase
	}{
		{"anthropic", `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, []authCase{
			{"api_key", nil, map[string]string{"api_key": "sk-ant-1"}, map[string]string{"api_key": "sk-ant-2"}, header("x-api-key", "sk-ant-1")}}},
		{"perplexity", `{"error":{"message":"Invalid API key","type":"invalid_api_key","code":401}}`, []authCase{
			{"bearer", nil, map[string]string{"api_key": "pplx-1"}, map[string]string{"api_key": "pplx-2"}, header("Authorization", "Bearer pplx-1")}}},
		{"pinecone", `Invalid API Key`, []authCase{
			{"api_key", map[string]string{"index_host": "i.svc.pinecone.io"}, map[string]string{"api_key": "pc-1"}, map[string]string{"api_key": "pc-2"}, header("Api-Key", "pc-1")}}},
		{"mailchimp", `{"title":"API Key Invalid","status":401}`, []authCase{
			{"api_key", map[string]string{"dc": "us6"}, map[string]string{"api_key": "k1-us6"}, map[string]string{"api_key": "k2-us6"}, basic("junction", "k1-us6")}}},
		{"mailgun", `Forbidden`, []authCase{
			{"api_key", map[string]string{"domain_name": "mg.example.com"}, map[string]string{"api_key": "key-1"}, map[string]string{"api_key": "key-2"}, basic("api", "key-1")}}},
		{"brevo", `{"code":"unauthorized","message":"Key not found"}`, []authCase{
			{"api_key", nil, map[string]string{"api_key": "xkeysib-1"}, map[string]string{"api_key": "xkeysib-2"}, header("api-key", "xkeysib-1")}}},
		{"klaviyo", `{"errors":[{"status":401,"code":"not_authenticated"}]}`, []authCase{
			{"api_key", nil, map[string]string{"api_key": "pk_1"}, map[string]string{"api_key": "pk_2"}, header("Authorization", "Klaviyo-API-Key pk_1")}}},
		{"shopify", `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, []authCase{
			{"access_token", map[string]string{"shop": "acme"}, map[string]string{"access_token": "shpat_1"}, map[string]string{"access_token": "shpat_2"}, header("X-Shopify-Access-Token", "shpat_1")}}},
		{"woocommerce", `{"code":"woocommerce_rest_authentication_error","data":{"status":401}}`, []authCase{
			{"api_key", map[string]string{"store_host": "shop.example.com", "consumer_key": "ck_1"}, map[string]string{"consumer_secret": "cs_1"}, map[string]string{"consumer_secret": "cs_2"}, basic("ck_1", "cs_1")},
			{"query_string", map[string]string{"store_host": "shop.example.com", "consumer_key": "ck_1"}, map[string]string{"consumer_secret": "cs_1"}, map[string]string{"consumer_secret": "cs_2"},
				func(r *http.Request) bool {
					q := r.URL.Query()
					return q.Get("consumer_key") == "ck_1" && q.Get("consumer_secret") == "cs_1"
				}}}},
	}
	// One stand-in and one engine for all: each case sets what the
	// stand-in accepts and the failure it answers with.
	var current atomic.Pointer[func(*http.Request) bool]
	var failure atomic.Pointer[string]
	var sent atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		if !(*current.Load())(r) {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, *failure.Load())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	keys := make([]string, len(cases))
	for i, tc := range cases {
		keys[i] = tc.key
	}
	f := newFixture(t, fixtureOptions{extra: standIns(t, srv, keys...)})
	f.trust(srv)
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			failure.Store(&tc.failure)
			def, err := f.cat.Get(tc.key + "-standin")
			if err != nil {
				t.Fatal(err)
			}
			for _, ac := range tc.auths {
				current.Store(&ac.ok)
				conn := func(secrets map[string]string) *junction.Connection {
					fields := map[string]junction.FieldValue{}
					for k, v := range ac.fields {
						fields[k] = junction.FieldValue{Value: v}
					}
					lit := map[string]junction.Secret{}
					for k, v := range secrets {
						lit[k] = junction.NewSecret(v)
					}
					return f.connection(t, tc.key+"-standin", ac.auth, fields, lit)
				}
				good := conn(ac.good)
				if _, err := f.eng.Test(f.ctx, good); err != nil {
					t.Fatalf("%s: test: %v", ac.auth, err)
				}
				_, err := f.eng.Test(f.ctx, conn(ac.bad))
				wantCode(t, err, junction.ECONNAUTHFAILED)
				for _, a := range def.Activities {
					before := sent.Load()
					if _, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: good, Activity: a.Name, Input: requiredInputs(a.Inputs)}); err != nil {
						t.Errorf("%s: activity %s: %v", ac.auth, a.Name, err)
					}
					if sent.Load() == before {
						t.Errorf("%s: activity %s sent nothing", ac.auth, a.Name)
					}
				}
			}
		})
	}
}

// requiredInputs makes a value of the right type for every required input
// without a default: the first of its enum, or a placeholder.
func requiredInputs(ins []connector.Input) map[string]any {
	out := map[string]any{}
	for _, in := range ins {
		if !in.Required || in.Default != nil {
			continue
		}
		if len(in.Enum) > 0 {
			out[in.Name] = in.Enum[0]
			continue
		}
		switch in.Type {
		case connector.TypeInteger, connector.TypeNumber:
			out[in.Name] = 7
		case connector.TypeBoolean:
			out[in.Name] = true
		case connector.TypeArray:
			out[in.Name] = []any{"x"}
		case connector.TypeObject:
			out[in.Name] = map[string]any{"k": "v"}
		case connector.TypeFile:
			out[in.Name] = map[string]any{"content": "eA==", "filename": "x.txt", "content_type": "text/plain"}
		default:
			out[in.Name] = "x"
		}
	}
	return out
}

// TestStandInEveryPoll fires every polling trigger of the new connectors
// once through the engine against a stand-in whose list answers one record
// shaped as the definition reads it (records path, ID, times in the
// vendor's format): the poll must report it and advance the watermark.
func TestStandInEveryPoll(t *testing.T) {
	conns := map[string]struct {
		auth    string
		fields  map[string]string
		secrets map[string]string
	}{
		"anthropic":   {"api_key", nil, map[string]string{"api_key": "k"}},
		"perplexity":  {"bearer", nil, map[string]string{"api_key": "k"}},
		"mailchimp":   {"api_key", map[string]string{"dc": "us6"}, map[string]string{"api_key": "k"}},
		"mailgun":     {"api_key", map[string]string{"domain_name": "mg.example.com"}, map[string]string{"api_key": "k"}},
		"brevo":       {"api_key", nil, map[string]string{"api_key": "k"}},
		"klaviyo":     {"api_key", nil, map[string]string{"api_key": "k"}},
		"shopify":     {"access_token", map[string]string{"shop": "acme"}, map[string]string{"access_token": "k"}},
		"woocommerce": {"api_key", map[string]string{"store_host": "shop.example.com", "consumer_key": "ck"}, map[string]string{"consumer_secret": "k"}},
	}
	// Inputs the list operations require, beyond what polling sets.
	inputs := map[string]map[string]any{"mailchimp/member": {"list_id": "57afe96172"}}
	polled := 0
	var page atomic.Pointer[[]byte]
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(*page.Load())
	}))
	t.Cleanup(srv.Close)
	var keys []string
	for key := range conns {
		keys = append(keys, key)
	}
	f := newFixture(t, fixtureOptions{extra: standIns(t, srv, keys...)})
	f.trust(srv)
	for key, c := range conns {
		t.Run(key, func(t *testing.T) {
			def, err := f.cat.Get(key + "-standin")
			if err != nil {
				t.Fatal(err)
			}
			fields := map[string]junction.FieldValue{}
			for k, v := range c.fields {
				fields[k] = junction.FieldValue{Value: v}
			}
			lit := map[string]junction.Secret{}
			for k, v := range c.secrets {
				lit[k] = junction.NewSecret(v)
			}
			conn := f.connection(t, key+"-standin", c.auth, fields, lit)
			watermark := f.clock.Now().Add(-time.Hour)
			at := f.clock.Now().Add(-time.Minute).Truncate(time.Second)
			for _, oe := range def.Events() {
				p := oe.Event.Polling
				if p == nil {
					continue
				}
				op := oe.Object.Operations.ByName("list")
				if p.Activity != "" {
					op = &def.Activity(p.Activity).Operation
				} else if p.Operation != "" {
					op = oe.Object.Operations.ByName(p.Operation)
				}
				id := p.ID
				if id == "" {
					id = oe.Object.IDField
				}
				rec := map[string]any{}
				setPath(rec, id, "rec-1")
				if tf := p.Created; tf != nil {
					created := at
					if oe.Event.Name == connector.EventUpdated {
						created = at.Add(-48 * time.Hour) // an old record, changed now
					}
					setPath(rec, tf.Path, timeValue(created, tf.Format))
				}
				if tf := p.Updated; tf != nil {
					setPath(rec, tf.Path, timeValue(at, tf.Format))
				}
				var doc any = []any{rec}
				if op.Records != "" {
					m := map[string]any{}
					setPath(m, op.Records, []any{rec})
					doc = m
				}
				body, _ := json.Marshal(doc)
				page.Store(&body)
				res, err := f.eng.Poll(f.ctx, engine.PollRequest{Connection: conn, Object: oe.Object.Name, Event: oe.Event.Name,
					Input: inputs[key+"/"+oe.Object.Name], State: connector.PollState{Watermark: watermark}})
				if err != nil {
					t.Errorf("%s.%s: %v", oe.Object.Name, oe.Event.Name, err)
					continue
				}
				if len(res.Records) != 1 || res.Records[0].ID != "rec-1" || !res.State.Watermark.Equal(at) {
					t.Errorf("%s.%s: records %+v, watermark %s (body %s)", oe.Object.Name, oe.Event.Name, res.Records, res.State.Watermark, body)
				}
				polled++
			}
		})
	}
	if polled < 20 {
		t.Errorf("fired %d polling triggers; the connectors declare more", polled)
	}
}

// setPath sets a dotted JSON path ("attributes.created") in m.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// timeValue writes t as a vendor does in the given format.
func timeValue(t time.Time, format string) any {
	switch format {
	case "", "rfc3339":
		return t.UTC().Format(time.RFC3339)
	case "unix":
		return t.Unix()
	case "unix_ms":
		return t.UnixMilli()
	}
	return t.UTC().Format(format)
}

// TestStandInEveryWebhook delivers every webhook event of the new
// connectors, signed as each vendor signs (an HMAC header, a bearer token,
// Mailgun's body signature), through the engine: each must verify and map
// to its object event, and fail verification with another secret.
func TestStandInEveryWebhook(t *testing.T) {
	conns := map[string]struct {
		auth    string
		fields  map[string]string
		secrets map[string]string
	}{
		"mailgun":     {"api_key", map[string]string{"domain_name": "mg.example.com"}, map[string]string{"api_key": "k"}},
		"brevo":       {"api_key", nil, map[string]string{"api_key": "k"}},
		"shopify":     {"access_token", map[string]string{"shop": "acme"}, map[string]string{"access_token": "k"}},
		"woocommerce": {"api_key", map[string]string{"store_host": "shop.example.com", "consumer_key": "ck"}, map[string]string{"consumer_secret": "k"}},
		"docusign":    {"oauth2_authorization_code", map[string]string{"base_host": "demo.docusign.net", "account_id": "a", "integration_key": "ik"}, map[string]string{"secret_key": "sk"}},
	}
	f := newFixture(t, fixtureOptions{})
	delivered := 0
	for key, c := range conns {
		def, err := f.cat.Get(key)
		if err != nil {
			t.Fatal(err)
		}
		wh := def.Webhooks
		sig := wh.Signature
		connection := func(secret string) *junction.Connection {
			fields := map[string]junction.FieldValue{}
			for k, v := range c.fields {
				fields[k] = junction.FieldValue{Value: v}
			}
			lit := map[string]junction.Secret{sig.SecretField: junction.NewSecret(secret)}
			for k, v := range c.secrets {
				lit[k] = junction.NewSecret(v)
			}
			return f.connection(t, key, c.auth, fields, lit)
		}
		good, bad := connection("signing-secret-1"), connection("signing-secret-2")
		for _, oe := range def.Events() {
			if oe.Event.Webhook == nil {
				continue
			}
			vendorType := oe.Event.Webhook.Types[0]
			record := map[string]any{}
			idPath := wh.ID
			if idPath == "" {
				idPath = oe.Object.IDField
			}
			setPath(record, idPath, "obj-1")
			body := record
			if wh.Record != "$" {
				body = map[string]any{}
				setPath(body, wh.Record, record)
			}
			header := http.Header{}
			if wh.EventType.Header != "" {
				header.Set(wh.EventType.Header, vendorType)
			} else {
				setPath(body, wh.EventType.Path, vendorType)
			}
			ts := strconv.FormatInt(f.clock.Now().Unix(), 10)
			if sig.Scheme == "mailgun" {
				setPath(body, "signature.timestamp", ts)
				setPath(body, "signature.token", "tok-"+vendorType)
			}
			raw, _ := json.Marshal(body)
			mac := func(payload string) []byte {
				m := hmac.New(sha256.New, []byte("signing-secret-1"))
				m.Write([]byte(payload))
				return m.Sum(nil)
			}
			switch sig.Scheme {
			case "mailgun":
				setPath(body, "signature.signature", hex.EncodeToString(mac(ts+"tok-"+vendorType)))
				raw, _ = json.Marshal(body)
			case "token":
				header.Set(sig.Header, sig.Prefix+"signing-secret-1")
			case "hmac_sha256":
				sum := mac(string(raw))
				v := hex.EncodeToString(sum)
				if sig.Encoding == "base64" {
					v = base64.StdEncoding.EncodeToString(sum)
				}
				header.Set(sig.Header, sig.Prefix+v)
			default:
				t.Fatalf("%s: scheme %s not covered", key, sig.Scheme)
			}
			evs, _, err := f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: good, Header: header, Body: raw})
			if err != nil {
				t.Errorf("%s %s: %v", key, vendorType, err)
				continue
			}
			ev := evs[0]
			if ev.Object != oe.Object.Name || ev.Event != oe.Event.Name || ev.ObjectID != "obj-1" {
				t.Errorf("%s %s: got %s.%s %q, want %s.%s", key, vendorType, ev.Object, ev.Event, ev.ObjectID, oe.Object.Name, oe.Event.Name)
			}
			_, _, err = f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: bad, Header: header, Body: raw})
			wantCode(t, err, junction.EUNAUTHENTICATED)
			delivered++
		}
		if wh.Ping != nil {
			checkPing(t, f, key, wh, good)
		}
	}
	if delivered < 30 {
		t.Errorf("delivered %d webhook events; the connectors declare more", delivered)
	}
}

// TestStandInShopifyClientCredentials runs Shopify's client credentials
// grant (https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/client-credentials-grant)
// against a stand-in: the token comes from the store's
// /admin/oauth/access_token and goes to the Admin API in
// X-Shopify-Access-Token, never in Authorization.
func TestStandInShopifyClientCredentials(t *testing.T) {
	var grants atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && r.URL.Path == "/admin/oauth/access_token":
			id, secret, ok := r.BasicAuth()
			if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if !ok {
				id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
			}
			if id != "app-client" || secret != "app-secret-7f3a" {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":"invalid_client"}`)
				return
			}
			grants.Add(1)
			io.WriteString(w, `{"access_token":"shpat_from_grant","scope":"read_orders","expires_in":86399}`)
		case r.URL.Path == "/admin/api/2025-10/shop.json":
			if r.Header.Get("Authorization") != "" || r.Header.Get("X-Shopify-Access-Token") != "shpat_from_grant" {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`)
				return
			}
			io.WriteString(w, `{"shop":{"id":548380009,"name":"Acme"}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	def := strings.ReplaceAll(standIn(t, "shopify", srv), "https://{shop}.myshopify.com", srv.URL)
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, def)})
	f.trust(srv)
	conn := f.connection(t, "shopify-standin", "oauth2_client_credentials",
		map[string]junction.FieldValue{"shop": {Value: "acme"}, "client_id": {Value: "app-client"}},
		map[string]junction.Secret{"client_secret": junction.NewSecret("app-secret-7f3a")})
	if _, err := f.eng.Test(f.ctx, conn); err != nil {
		t.Fatal(err)
	}
	res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "http_request", Input: map[string]any{"method": "GET", "path": "/shop.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, res.Output); !strings.Contains(got, "548380009") {
		t.Fatalf("output %s", got)
	}
	if grants.Load() == 0 {
		t.Fatal("no token was fetched")
	}
}

// checkPing sends the connector's unsigned ping, its form members all
// "42": it is answered 200 and fires nothing, while the same form with a
// member more, or an unsigned event, is refused.
func checkPing(t *testing.T, f *fixture, key string, wh *connector.Webhooks, conn *junction.Connection) {
	t.Helper()
	form := url.Values{}
	for name, pattern := range wh.Ping.Form {
		if !regexp.MustCompile(`^(?:` + pattern + `)$`).MatchString("42") {
			t.Fatalf("%s: ping member %s does not take 42; give the test a sample", key, name)
		}
		form.Set(name, "42")
	}
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	evs, hs, err := f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: conn, Header: header, Body: []byte(form.Encode())})
	if err != nil || evs != nil || hs == nil || !hs.Ping || hs.StatusCode != http.StatusOK {
		t.Errorf("%s ping: events %v, answer %+v, %v", key, evs, hs, err)
	}
	form.Set("matrix_extra", "1")
	_, _, err = f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: conn, Header: header, Body: []byte(form.Encode())})
	wantCode(t, err, junction.EUNAUTHENTICATED)
	_, _, err = f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: conn, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":42}`)})
	wantCode(t, err, junction.EUNAUTHENTICATED)
}
