package connector_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"junction/connector"
)

// specIndexB is the operations of a vendor's OpenAPI (3.x) or Swagger (2.0)
// description: for each method and path, the names of its parameters.
type specIndexB map[string]map[string]bool // "GET /a/{}/b" -> {"query:limit", "path:id"}

var pathVarREB = regexp.MustCompile(`\{[^}]*\}`)

// specsDir is the shared corpus of vendors' API descriptions, beside the
// repository; tests that need it skip when it is absent.
func specsDirB(tb testing.TB) string {
	tb.Helper()
	for _, d := range []string{os.Getenv("JUNCTION_SPECS"), "../../shared/specs", "../../../shared/specs"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "MANIFEST.tsv")); err == nil {
			return d
		}
	}
	tb.Skip("the vendors' API descriptions (shared/specs) are not here")
	return ""
}

func loadSpecB(tb testing.TB, file string) specIndexB {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(specsDirB(tb), file))
	if err != nil {
		tb.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	resolve := func(p any) map[string]any {
		m, _ := p.(map[string]any)
		ref, _ := m["$ref"].(string)
		if ref == "" {
			return m
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
		}
		out, _ := cur.(map[string]any)
		return out
	}
	idx := specIndexB{}
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		im, _ := item.(map[string]any)
		shared, _ := im["parameters"].([]any)
		for method, op := range im {
			switch method {
			case "get", "put", "post", "patch", "delete", "head":
			default:
				continue
			}
			om, _ := op.(map[string]any)
			params := map[string]bool{}
			own, _ := om["parameters"].([]any)
			for _, prm := range append(append([]any{}, shared...), own...) {
				pm := resolve(prm)
				name, _ := pm["name"].(string)
				in, _ := pm["in"].(string)
				params[in+":"+name] = true
			}
			idx[strings.ToUpper(method)+" "+pathVarREB.ReplaceAllString(p, "{}")] = params
		}
	}
	return idx
}

// checkSpec checks every request the definition can send (each object
// operation and activity) against the vendor's description: the method and
// path exist, and each query and header parameter is one the operation
// takes. prefix is what the base URL's path adds before the spec's paths.
// undocumented lists operations ("object/op" or activity names) that the
// file leaves out, each checked against the vendor's reference page named
// in the caller's comment instead.
func checkSpecB(t *testing.T, key, file, prefix string, undocumented ...string) {
	t.Helper()
	checkSpecOpsB(t, key, file, prefix, true, undocumented)
}

// checkSpecPaths checks methods and paths only, for a vendor file that
// declares no parameters (a copy cut down to its endpoints); the
// parameters are checked against the reference pages instead.
func checkSpecPathsB(t *testing.T, key, file, prefix string, undocumented ...string) {
	t.Helper()
	checkSpecOpsB(t, key, file, prefix, false, undocumented)
}

func checkSpecOpsB(t *testing.T, key, file, prefix string, checkParams bool, undocumented []string) {
	t.Helper()
	spec := loadSpecB(t, file)
	d := mustDefinition(t, key)
	check := func(name string, op *connector.Operation) {
		t.Run(name, func(t *testing.T) {
			for _, u := range undocumented {
				if u == name {
					t.Skip("not in " + file + "; checked against the reference page")
				}
			}
			k := op.Method + " " + pathVarREB.ReplaceAllString(prefix+op.Path, "{}")
			params, ok := spec.find(k)
			if !ok {
				t.Fatalf("%s is not in %s", k, file)
			}
			if !checkParams {
				return
			}
			for q := range op.Query {
				if !params["query:"+q] {
					t.Errorf("query parameter %q is not one of %s", q, k)
				}
			}
			for _, in := range op.Inputs {
				where := in.In
				if where == "" {
					switch {
					case strings.Contains(op.Path, "{"+in.Name+"}"):
						where = "path"
					case op.Method == "GET" || op.Method == "HEAD" || op.Method == "DELETE":
						where = "query"
					default:
						where = "body"
					}
				}
				if where == "body" && params["query:"+in.WireName()] {
					t.Errorf("%q is sent in the body, but %s takes it in the query", in.WireName(), k)
				}
				if (where == "query" || where == "header") && !params[where+":"+in.WireName()] && !strings.EqualFold(in.WireName(), paramInB(params, where, in.WireName())) {
					t.Errorf("%s parameter %q is not one of %s", where, in.WireName(), k)
				}
			}
			if pg := op.Pagination; pg != nil {
				for _, p := range []string{pg.LimitParam, pg.PageParam, pg.OffsetParam} {
					if p != "" && !params["query:"+p] {
						t.Errorf("page parameter %q is not one of %s", p, k)
					}
				}
				if pg.Type == connector.PageCursor && pg.CursorIn != "body" && !params["query:"+pg.CursorParam] {
					t.Errorf("cursor parameter %q is not one of %s", pg.CursorParam, k)
				}
			}
		})
	}
	for i := range d.Objects {
		o := &d.Objects[i]
		for _, name := range connector.OperationNames {
			if op := o.Operations.ByName(name); op != nil {
				check(o.Name+"/"+name, op)
			}
		}
	}
	for i := range d.Activities {
		check(d.Activities[i].Name, &d.Activities[i].Operation)
	}
}

// find looks an operation up by method and path. A variable segment of
// the vendor's path matches a fixed one of ours (a Table API path
// /api/now/table/{tableName} serves /api/now/table/incident); an exact
// match wins.
func (s specIndexB) find(key string) (map[string]bool, bool) {
	if p, ok := s[key]; ok {
		return p, true
	}
	method, path, _ := strings.Cut(key, " ")
	want := strings.Split(path, "/")
	for k, p := range s {
		m, sp, _ := strings.Cut(k, " ")
		have := strings.Split(sp, "/")
		if m != method || len(have) != len(want) {
			continue
		}
		match := true
		for i := range have {
			if have[i] != want[i] && have[i] != "{}" {
				match = false
				break
			}
		}
		if match {
			return p, true
		}
	}
	return nil, false
}

// paramIn finds a parameter by name regardless of case (header names).
func paramInB(params map[string]bool, in, name string) string {
	for k := range params {
		if w, n, _ := strings.Cut(k, ":"); w == in && strings.EqualFold(n, name) {
			return n
		}
	}
	return ""
}
