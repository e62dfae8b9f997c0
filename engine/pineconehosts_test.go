package engine_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
)

// A Pinecone key held to the index's host is sent there, and refused for
// the control plane and inference on api.pinecone.io before any request:
// the activities' own base URL is checked like any other host.
func TestPineconeControlPlaneAllowedHosts(t *testing.T) {
	const key = "pcsk-plant-hosts-5b2e"
	index := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"dimension":1536,"totalVectorCount":3,"namespaces":{}}`)
	})
	// The index host is the loopback server; the activities'
	// api.pinecone.io is kept.
	f := newFixture(t, fixtureOptions{extra: standInDefinition(t, "pinecone", index.srv.URL, []string{"https://{index_host}"})})
	f.trust(index.srv)
	a := f.vaultAsset(t, "pinecone-"+junction.NewID()[24:], junction.AssetSecret, map[string]string{"value": key})
	a.AllowedHosts = []string{"127.0.0.1"}
	if err := f.store.UpdateAsset(f.ctx, a); err != nil {
		t.Fatal(err)
	}
	conn := f.connection(t, "pinecone-standin", "api_key", map[string]junction.FieldValue{
		"index_host": {Value: "docs-abc1234.svc.aped-4627-b74a.pinecone.io"}, "api_key": {AssetID: a.ID},
	}, nil)
	run := func(activity string, input map[string]any) (*engine.Result, error) {
		return f.eng.Execute(f.ctx, engine.ExecuteRequest{Connection: conn, Caller: "user-1", Activity: activity, Input: input})
	}

	t.Run("OK", func(t *testing.T) {
		res, err := run("describe_index_stats", nil)
		if err != nil {
			t.Fatal(err)
		}
		if out, _ := res.Output.(map[string]any); out["total_vector_count"] == nil {
			t.Errorf("output %v", res.Output)
		}
		if n, got := index.requests(); n != 1 || !strings.Contains(got, "Api-Key: "+key) {
			t.Fatalf("the index host got %d requests:\n%s", n, got)
		}
	})
	for _, tc := range []struct {
		activity string
		input    map[string]any
	}{
		{"list_indexes", nil},
		{"delete_index", map[string]any{"index_name": "docs"}},
		{"embed", map[string]any{"inputs": []any{map[string]any{"text": "t"}}}},
		{"rerank", map[string]any{"query": "q", "documents": []any{}}},
	} {
		t.Run("ErrNotAllowed/"+tc.activity, func(t *testing.T) {
			_, err := run(tc.activity, tc.input)
			je := wantCode(t, err, junction.ECREDNOTALLOWED)
			if je.Details["host"] != "api.pinecone.io" || je.Field != "fields.api_key" {
				t.Errorf("error %+v should name api.pinecone.io and the key's field", je)
			}
			credstoretest.AssertNoLeak(t, "error", mustJSON(t, je.Details)+je.Message, junction.NewSecret(key))
		})
	}
	if n, _ := index.requests(); n != 1 {
		t.Fatalf("the index host got %d requests", n)
	}
}
