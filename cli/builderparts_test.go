package cli_test

import (
	"strings"
	"testing"
)

func TestBuilderActivity(t *testing.T) {
	e := newEnv(t)
	out := e.must("builder", "import", writeFile(t, "acme.json", `{"openapi":"3.0.3","info":{"title":"Acme","version":"1"},
"servers":[{"url":"https://api.acme.test"}],"paths":{"/me":{"get":{"operationId":"me","responses":{"200":{"description":"ok"}}}}}}`), "--key", "acme")
	wantContains(t, out, "acme")

	act := writeFile(t, "orders.yaml", "display_name: List orders\nmethod: GET\npath: /orders\noutputs:\n  - {name: orders, type: array, path: $}\n")
	e.must("builder", "activity", "set", "acme", "list_orders", act)
	e.must("builder", "activity", "order", "acme", "list_orders", "me")
	def := e.must("builder", "export", "acme")
	if i, j := strings.Index(def, "name: list_orders"), strings.Index(def, "name: me"); i < 0 || j < 0 || i > j {
		t.Fatalf("the activity was not added first:\n%s", def)
	}
	e.must("builder", "activity", "delete", "acme", "list_orders")
	if def := e.must("builder", "export", "acme"); strings.Contains(def, "list_orders") {
		t.Fatalf("the activity is still there:\n%s", def)
	}
	bad := writeFile(t, "bad.yaml", "method: FETCH\npath: /x\n")
	if _, stderr, err := e.run("builder", "activity", "set", "acme", "x", bad); err == nil || !strings.Contains(stderr+err.Error(), "activities[1].method") {
		t.Fatalf("a bad activity: %v %s", err, stderr)
	}
}
