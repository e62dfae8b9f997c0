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

func TestBuilderAuthTypeAndTrigger(t *testing.T) {
	e := newEnv(t)
	e.must("builder", "import", writeFile(t, "acme.json", `{"openapi":"3.0.3","info":{"title":"Acme","version":"1"},
"servers":[{"url":"https://api.acme.test"}],
"components":{"securitySchemes":{"key":{"type":"apiKey","in":"header","name":"X-Key"}}},"security":[{"key":[]}],
"paths":{"/orders":{"get":{"operationId":"listOrders","responses":{"200":{"description":"ok"}}}}}}`), "--key", "acme")

	// Auth types: a second scheme, put first, then removed.
	bearer := writeFile(t, "bearer.yaml", "type: bearer\nlabel: Token\nfields:\n  - {name: token, label: Token, type: secret, required: true}\n")
	e.must("builder", "auth-type", "set", "acme", "bearer", bearer)
	e.must("builder", "auth-type", "order", "acme", "bearer", "api_key")
	def := e.must("builder", "export", "acme")
	if i, j := strings.Index(def, "type: bearer"), strings.Index(def, "type: api_key"); i < 0 || j < 0 || i > j {
		t.Fatalf("the auth type was not added first:\n%s", def)
	}
	e.must("builder", "auth-type", "delete", "acme", "bearer")
	if def := e.must("builder", "export", "acme"); strings.Contains(def, "type: bearer") {
		t.Fatalf("the auth type is still there:\n%s", def)
	}

	// Triggers: an object's polling events, added, reordered, removed.
	withObject := strings.Replace(e.must("builder", "export", "acme"), "objects: []\n", "", 1) + `objects:
  - name: order
    display_name: Order
    id_field: id
    fields: [{name: id, type: string}, {name: updated_at, type: string}]
    operations:
      list: {method: GET, path: /orders}
`
	e.must("builder", "apply", "acme", writeFile(t, "acme.yaml", withObject))
	created := writeFile(t, "created.yaml", "description: An order was placed.\npolling:\n  created: {path: created_at}\n")
	updated := writeFile(t, "updated.yaml", "description: An order was changed.\npolling:\n  updated: {path: updated_at}\n")
	e.must("builder", "trigger", "set", "acme", "order", "created", created)
	e.must("builder", "trigger", "set", "acme", "order", "updated", updated)
	e.must("builder", "trigger", "order", "acme", "order", "updated", "created")
	def = e.must("builder", "export", "acme")
	if i, j := strings.Index(def, "name: updated"), strings.Index(def, "name: created"); i < 0 || j < 0 || i > j {
		t.Fatalf("the events were not reordered:\n%s", def)
	}
	e.must("builder", "trigger", "delete", "acme", "order", "created")
	if def := e.must("builder", "export", "acme"); strings.Contains(def, "name: created") {
		t.Fatalf("the event is still there:\n%s", def)
	}
	if _, stderr, err := e.run("builder", "trigger", "set", "acme", "invoice", "created", created); err == nil || !strings.Contains(stderr+err.Error(), "object") {
		t.Fatalf("an event of an unknown object: %v %s", err, stderr)
	}
}
