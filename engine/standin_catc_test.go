package engine_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"junction"
	"junction/connector"
	"junction/engine"
)

// standIn copies a built-in definition under key+"-standin" with its base
// URL's scheme and host replaced by the loopback server's, the path kept,
// so the real definition's requests, pages, outputs and polls run through
// the engine against a server that answers as the vendor documents.
func standIn(t *testing.T, key string, srv *httptest.Server) string {
	t.Helper()
	data, err := fs.ReadFile(connector.Builtin(), key+".yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "key: "+key+"\n", "key: "+key+"-standin\n", 1)
	base := regexp.MustCompile(`(?m)^base_url: https://[^/\s]+`)
	if !base.MatchString(s) {
		t.Fatalf("%s: no base_url to replace", key)
	}
	return base.ReplaceAllLiteralString(s, "base_url: "+srv.URL)
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
	ev, _, err := f.eng.ReceiveWebhook(f.ctx, engine.WebhookDelivery{Connection: conn, Header: http.Header{}, Body: delivery("key-old", "t1")})
	if err != nil {
		t.Fatal(err)
	}
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
