package junction_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"testing"

	"junction"
)

// codesInErrorGo returns the string constants error.go declares: the
// stable codes, read from the source so that a new code cannot be missed.
func codesInErrorGo(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "error.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			for _, v := range spec.(*ast.ValueSpec).Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					code, _ := strconv.Unquote(lit.Value)
					codes = append(codes, code)
				}
			}
		}
	}
	if len(codes) < 20 {
		t.Fatalf("found only %d codes in error.go: %v", len(codes), codes)
	}
	return codes
}

func TestErrorCatalog(t *testing.T) {
	t.Run("EveryCodeHasAnEntry", func(t *testing.T) {
		for _, code := range codesInErrorGo(t) {
			e, ok := junction.LookupError(code)
			if !ok {
				t.Errorf("code %q has no entry in errorcatalog.go", code)
				continue
			}
			if e.Title == "" || e.Cause == "" || e.Check == "" || e.Fix == "" {
				t.Errorf("code %q: entry lacks a title, cause, check or fix: %+v", code, e)
			}
		}
	})
	t.Run("NoEntryWithoutCode", func(t *testing.T) {
		known := map[string]bool{}
		for _, c := range codesInErrorGo(t) {
			known[c] = true
		}
		for _, e := range junction.ErrorCatalog() {
			if !known[e.Code] {
				t.Errorf("entry %q names no code in error.go", e.Code)
			}
		}
	})
	t.Run("DocsUpToDate", func(t *testing.T) {
		var want bytes.Buffer
		if err := junction.WriteErrorCatalog(&want); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile("docs/errors.md")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Error("docs/errors.md is out of date: run go generate in the repository root")
		}
	})
}
