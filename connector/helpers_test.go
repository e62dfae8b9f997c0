package connector_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"junction"
	"junction/connector"
)

// builtinCatalog loads the built-in catalog once for the package's tests:
// a Catalog is immutable, and parsing every definition again for each of
// hundreds of cases grows with the catalog.
var builtinCatalog = sync.OnceValues(func() (*connector.Catalog, error) {
	return connector.LoadCatalog(connector.Builtin(), "")
})

// mustCatalog returns the built-in catalog or fails the test.
func mustCatalog(tb testing.TB) *connector.Catalog {
	tb.Helper()
	c, err := builtinCatalog()
	if err != nil {
		tb.Fatalf("load built-in catalog: %v", err)
	}
	return c
}

func mustDefinition(tb testing.TB, key string) *connector.Definition {
	tb.Helper()
	d, err := mustCatalog(tb).Get(key)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func mustParse(tb testing.TB, yaml string) *connector.Definition {
	tb.Helper()
	d, err := connector.Parse([]byte(yaml))
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return d
}

// wire renders a request the way vendor documentation shows one: method and
// URL, headers sorted by name, a blank line and the body. Credentials are in
// the clear on purpose: the tests use made-up values and check them exactly.
func wire(r *connector.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Method, r.URL.String())
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "\n%s: %s", k, v)
		}
	}
	if len(r.Body) > 0 {
		fmt.Fprintf(&b, "\n\n%s", r.Body)
	}
	return b.String()
}

func secrets(kv ...string) map[string]junction.Secret {
	m := map[string]junction.Secret{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = junction.NewSecret(kv[i+1])
	}
	return m
}

// wantInvalid checks err is validation_failed naming field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var je *junction.Error
	if err == nil {
		t.Fatalf("got no error, want validation_failed on %s", field)
	}
	if !asError(err, &je) || je.Code != junction.EINVALID || je.Field != field {
		t.Fatalf("got %v, want validation_failed on %s", err, field)
	}
}

func asError[T error](err error, target *T) bool { return errors.As(err, target) }
