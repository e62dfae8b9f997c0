package engine_test

import (
	"strings"
	"testing"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
)

// A failed execution's record keeps the message its caller was told, in
// the same record as its code; never the upstream body, which here echoes
// the key, nor any secret.
func TestFailureMessageRecorded(t *testing.T) {
	const key1 = "key-one-plant-7f3a"
	f := newFixture(t, fixtureOptions{})
	api := newKeyedAPI(t, key1)
	f.trust(api.srv)
	conn := assetKeyConnection(t, f, api, key1)

	_, provErr := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "http_request",
		Input: map[string]any{"path": "/missing"}})
	wantCode(t, provErr, junction.EPROVIDER)
	_, invalidErr := f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Activity: "http_request",
		Input: map[string]any{"path": "/items", "method": "BREW"}})
	wantCode(t, invalidErr, junction.EINVALID)
	if _, err := f.eng.Execute(f.ctx, itemsRequest(conn)); err != nil {
		t.Fatal(err)
	}

	byCode := map[string]*junction.Execution{}
	for _, e := range f.executions(t) {
		byCode[e.ErrorCode] = e
		credstoretest.AssertNoLeak(t, "execution record", mustJSON(t, e), junction.NewSecret(key1))
		if strings.Contains(e.ErrorMessage, "no such thing") {
			t.Fatalf("the upstream body reached the record: %q", e.ErrorMessage)
		}
	}
	if got, want := byCode[junction.EPROVIDER].ErrorMessage, junction.PublicMessage(provErr); got != want || got == "" {
		t.Fatalf("provider failure message %q, want %q", got, want)
	}
	if got := byCode[junction.EINVALID].ErrorMessage; got != junction.PublicMessage(invalidErr) || !strings.HasPrefix(got, "input.method: ") {
		t.Fatalf("validation failure message %q", got)
	}
	if got := byCode[""].ErrorMessage; got != "" {
		t.Fatalf("a success keeps a message: %q", got)
	}
}
