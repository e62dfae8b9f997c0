package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"junction"
	"junction/app"
)

const partsDraft = `# Written by hand: the edits below keep this comment.
key: parts
display_name: Parts
version: 0.1.0
base_url: https://api.parts.test
auth:
  - type: bearer
    fields:
      - {name: token, type: secret, required: true}
test:
  path: /me
objects:
  - name: order
    id_field: id
    fields:
      - {name: id, type: string}
    operations:
      list: {method: GET, path: /orders}
activities:
  - name: me
    method: GET
    path: /me
    outputs:
      - {name: login, type: string, path: $.login}
`

func TestCustomConnectorDraftParts(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, open func(t *testing.T) junction.Store) {
		t.Parallel()
		e := newEnv(t, open(t))
		r := e.call("POST", "/api/v1/custom-connectors", e.admin, map[string]any{"key": "parts", "display_name": "Parts"})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var v app.CustomConnectorView
		r.decode(t, &v)
		path := "/api/v1/custom-connectors/" + v.ID
		if r := e.call("PUT", path+"/definition", e.admin, partsDraft, "Content-Type", "application/yaml"); r.status != http.StatusOK {
			t.Fatalf("apply: %d %s", r.status, r.body)
		}
		// names lists the names of a list of the draft as the answer shows it.
		names := func(r *response, list string) string {
			t.Helper()
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", list, r.status, r.body)
			}
			var got struct {
				Definition map[string]json.RawMessage `json:"definition"`
				Checklist  []map[string]any           `json:"checklist"`
			}
			r.decode(t, &got)
			if got.Checklist == nil {
				t.Fatalf("no checklist in %s", r.body)
			}
			raw := got.Definition[list]
			if list == "events" {
				var objs []struct{ Events json.RawMessage }
				_ = json.Unmarshal(got.Definition["objects"], &objs)
				raw = objs[0].Events
			}
			var items []struct{ Name, ID, Type string }
			_ = json.Unmarshal(raw, &items)
			var out []string
			for _, it := range items {
				switch {
				case list != "auth":
					out = append(out, it.Name)
				case it.ID != "":
					out = append(out, it.ID)
				default:
					out = append(out, it.Type)
				}
			}
			return strings.Join(out, ",")
		}
		problem := func(r *response, status int, code, field string) {
			t.Helper()
			p := r.problem(t)
			if r.status != status || p.Code != code || p.Field != field {
				t.Fatalf("want %d %s %s, got %d %s", status, code, field, r.status, r.body)
			}
		}

		t.Run("Activities", func(t *testing.T) {
			list := map[string]any{"display_name": "List orders", "method": "GET", "path": "/orders",
				"outputs": []any{map[string]any{"name": "orders", "type": "array", "path": "$"}}}
			if got := names(e.call("PUT", path+"/activities/list_orders", e.admin, list), "activities"); got != "me,list_orders" {
				t.Fatalf("added: %s", got)
			}
			// A bad method is refused as PUT of the definition refuses it,
			// with its path inside the definition, and changes nothing.
			problem(e.call("PUT", path+"/activities/list_orders", e.admin, map[string]any{"method": "FETCH", "path": "/orders"}),
				http.StatusUnprocessableEntity, junction.EINVALID, "definition.activities[1].method")
			problem(e.call("PUT", path+"/activities/list_orders", e.admin, map[string]any{"method": "GET", "path": "/o", "verb": "x"}),
				http.StatusUnprocessableEntity, junction.EINVALID, "verb")
			list["name"] = "orders"
			if got := names(e.call("PUT", path+"/activities/list_orders", e.admin, list), "activities"); got != "me,orders" {
				t.Fatalf("renamed: %s", got)
			}
			problem(e.call("PUT", path+"/activities/orders", e.admin, map[string]any{"name": "me", "method": "GET", "path": "/me"}),
				http.StatusConflict, junction.ECONFLICT, "name")
			if got := names(e.call("POST", path+"/activities/order", e.admin, map[string]any{"names": []string{"orders", "me"}}), "activities"); got != "orders,me" {
				t.Fatalf("ordered: %s", got)
			}
			problem(e.call("POST", path+"/activities/order", e.admin, map[string]any{"names": []string{"orders"}}),
				http.StatusUnprocessableEntity, junction.EINVALID, "names")
			problem(e.call("POST", path+"/activities/order", e.admin, map[string]any{"names": []string{"orders", "me", "me"}}),
				http.StatusUnprocessableEntity, junction.EINVALID, "names")
			if got := names(e.call("DELETE", path+"/activities/orders", e.admin, nil), "activities"); got != "me" {
				t.Fatalf("deleted: %s", got)
			}
			problem(e.call("DELETE", path+"/activities/orders", e.admin, nil), http.StatusNotFound, junction.ENOTFOUND, "")
		})

		t.Run("AuthTypes", func(t *testing.T) {
			key := map[string]any{"type": "api_key", "in": "header", "name": "X-Key",
				"fields": []any{map[string]any{"name": "api_key", "type": "secret", "required": true}}}
			if got := names(e.call("PUT", path+"/auth-types/api_key", e.admin, key), "auth"); got != "bearer,api_key" {
				t.Fatalf("added: %s", got)
			}
			// A second API key type takes the path's name as its ID.
			if got := names(e.call("PUT", path+"/auth-types/partner_key", e.admin, key), "auth"); got != "bearer,api_key,partner_key" {
				t.Fatalf("added by id: %s", got)
			}
			if got := names(e.call("POST", path+"/auth-types/order", e.admin, map[string]any{"names": []string{"partner_key", "api_key", "bearer"}}), "auth"); got != "partner_key,api_key,bearer" {
				t.Fatalf("ordered: %s", got)
			}
			if got := names(e.call("DELETE", path+"/auth-types/partner_key", e.admin, nil), "auth"); got != "api_key,bearer" {
				t.Fatalf("deleted: %s", got)
			}
			problem(e.call("PUT", path+"/auth-types/api_key", e.admin, map[string]any{"type": "api_key", "in": "cookie-jar", "name": "X"}),
				http.StatusUnprocessableEntity, junction.EINVALID, "definition.auth[0].in")
		})

		t.Run("Triggers", func(t *testing.T) {
			created := map[string]any{"display_name": "Order created",
				"polling": map[string]any{"interval": "5m", "id": "id", "created": map[string]any{"path": "created_at"}}}
			if got := names(e.call("PUT", path+"/triggers/order/created", e.admin, created), "events"); got != "created" {
				t.Fatalf("added: %s", got)
			}
			if got := names(e.call("PUT", path+"/triggers/order/updated", e.admin, map[string]any{
				"polling": map[string]any{"id": "id", "updated": map[string]any{"path": "updated_at"}}}), "events"); got != "created,updated" {
				t.Fatalf("added another: %s", got)
			}
			if got := names(e.call("POST", path+"/triggers/order/order", e.admin, map[string]any{"names": []string{"updated", "created"}}), "events"); got != "updated,created" {
				t.Fatalf("ordered: %s", got)
			}
			if got := names(e.call("DELETE", path+"/triggers/order/updated", e.admin, nil), "events"); got != "created" {
				t.Fatalf("deleted: %s", got)
			}
			problem(e.call("PUT", path+"/triggers/invoice/created", e.admin, created), http.StatusNotFound, junction.ENOTFOUND, "object")
		})

		t.Run("KeepsComments", func(t *testing.T) {
			r := e.call("GET", path+"/definition", e.admin, nil, "Accept", "application/yaml")
			if !strings.Contains(string(r.body), "# Written by hand") {
				t.Fatalf("the edits lost the draft's comment:\n%s", r.body)
			}
		})

		t.Run("ErrPermission", func(t *testing.T) {
			_, viewer := e.createUser(e.admin, "vic", "Viewer")
			problem(e.call("DELETE", path+"/activities/me", viewer, nil), http.StatusForbidden, junction.EPERMISSIONDENIED, "")
		})
	})
}

func TestOpenAPIImportUpload(t *testing.T) {
	t.Parallel()
	st, _ := openSQLite(t)
	e := newEnv(t, st)
	r := e.call("GET", "/api/v1/openapi.json", "", nil)
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Properties map[string]struct{ Format string }
					}
				}
			} `json:"requestBody"`
		}
	}
	r.decode(t, &doc)
	up, ok := doc.Paths["/api/v1/custom-connectors/import"]["post"].RequestBody.Content["multipart/form-data"]
	if !ok || up.Schema.Properties["file"].Format != "binary" {
		t.Fatalf("the import's upload is not described: %+v", doc.Paths["/api/v1/custom-connectors/import"])
	}
	for _, p := range []string{"/api/v1/custom-connectors/{id}/activities/{name}", "/api/v1/custom-connectors/{id}/auth-types/order",
		"/api/v1/custom-connectors/{id}/triggers/{object}/{event}"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("no %s in the document", p)
		}
	}
}

// draftPartCases are the route matrix's cases of the draft part routes.
// Each call edits a draft of its own, made as the host administrator, so
// that callers running side by side never edit the same list.
func (m *matrix) draftPartCases() map[string]func(*testing.T, *caller) matrixRequest {
	draft := func(t *testing.T) string {
		var c idOnly
		key := m.unique("parts")
		m.admin(t, http.StatusCreated, "POST", "/api/v1/custom-connectors", map[string]any{"key": key, "display_name": "Parts"}, &c)
		path := "/api/v1/custom-connectors/" + c.ID
		m.admin(t, http.StatusOK, "PUT", path, map[string]any{"key": key, "display_name": "Parts", "version": "0.1.0",
			"base_url": m.upstream.URL,
			"auth": []any{map[string]any{"type": "none"}, map[string]any{"type": "bearer",
				"fields": []any{map[string]any{"name": "token", "type": "secret", "required": true}}}},
			"objects": []any{map[string]any{"name": "thing", "id_field": "id", "fields": []any{map[string]any{"name": "id", "type": "string"}},
				"operations": map[string]any{"list": map[string]any{"method": "GET", "path": "/things"}},
				"events":     []any{map[string]any{"name": "created", "polling": map[string]any{"id": "id", "created": map[string]any{"path": "created_at"}}}}}},
			"activities": []any{map[string]any{"name": "a", "method": "GET", "path": "/a"}, map[string]any{"name": "b", "method": "GET", "path": "/b"}},
		}, nil)
		return path
	}
	on := func(method, sub string, body any) func(*testing.T, *caller) matrixRequest {
		return func(t *testing.T, _ *caller) matrixRequest {
			return matrixRequest{method: method, path: draft(t) + sub, body: body}
		}
	}
	order := func(names ...string) map[string]any { return map[string]any{"names": names} }
	return map[string]func(*testing.T, *caller) matrixRequest{
		"setCustomConnectorActivity":     on("PUT", "/activities/c", map[string]any{"method": "GET", "path": "/c"}),
		"deleteCustomConnectorActivity":  on("DELETE", "/activities/b", nil),
		"orderCustomConnectorActivities": on("POST", "/activities/order", order("b", "a")),
		"setCustomConnectorAuthType":     on("PUT", "/auth-types/none", map[string]any{"type": "none", "label": "No auth"}),
		"deleteCustomConnectorAuthType":  on("DELETE", "/auth-types/bearer", nil),
		"orderCustomConnectorAuthTypes":  on("POST", "/auth-types/order", order("bearer", "none")),
		"setCustomConnectorTrigger": on("PUT", "/triggers/thing/updated", map[string]any{
			"polling": map[string]any{"id": "id", "updated": map[string]any{"path": "updated_at"}}}),
		"deleteCustomConnectorTrigger": on("DELETE", "/triggers/thing/created", nil),
		"orderCustomConnectorTriggers": on("POST", "/triggers/thing/order", order("created")),
	}
}
