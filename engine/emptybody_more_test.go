package engine_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/engine"
)

// An operation with no body and a Content-Type header of its own reaches
// the API as a POST with that header and an empty body: QuickBooks' invoice
// send (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#send-an-invoice)
// documents Content-Type: application/octet-stream with nothing in the body.
func TestEmptyBodyWithContentType(t *testing.T) {
	var mu sync.Mutex
	var got http.Header
	var body string
	var length int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, body, length = r.Header.Clone(), string(b), r.ContentLength
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Invoice":{"Id":"130","EmailStatus":"EmailSent"}}`))
	}))
	t.Cleanup(srv.Close)
	def := strings.ReplaceAll(`key: sendstandin
display_name: Send stand-in
version: 1.0.0
base_url: BASE/v3/company/{realm_id}
fields:
  - {name: realm_id, type: text, required: true}
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
activities:
  - name: send_invoice
    method: POST
    path: /invoice/{invoice_id}/send
    headers: {Content-Type: application/octet-stream}
    inputs:
      - {name: invoice_id, type: string, required: true}
    outputs:
      - {name: email_status, type: string, path: Invoice.EmailStatus}
`, "BASE", srv.URL)
	f := newFixture(t, fixtureOptions{extra: writeDefinition(t, def)})
	f.trust(srv)
	conn := f.connection(t, "sendstandin", "bearer", map[string]junction.FieldValue{"realm_id": {Value: "9130357766900456"}},
		map[string]junction.Secret{"token": junction.NewSecret("qb-token")})
	res, err := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "send_invoice", Input: map[string]any{"invoice_id": "130"}})
	if err != nil {
		t.Fatal(err)
	}
	if out := mustJSON(t, res.Output); out != `{"email_status":"EmailSent"}` {
		t.Errorf("output %s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	if ct := got.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if body != "" || length != 0 {
		t.Errorf("body %q (length %d), want empty", body, length)
	}
}
