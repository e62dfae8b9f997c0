package importer_test

import (
	"os"
	"path/filepath"
	"testing"

	"junction/importer"
)

// fuzzImport checks what must hold for any input: Import does not panic
// or hang, and whatever it accepts passes the connector validator.
func fuzzImport(f *testing.F, seeds ...string) {
	for _, s := range seeds {
		data, err := os.ReadFile(filepath.Join("testdata", "seeds", s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		res, err := importer.Import(content, importer.Options{})
		if err != nil {
			return
		}
		validateLikeLoader(t, res.Definition)
	})
}

func FuzzImportOpenAPI(f *testing.F) {
	f.Add([]byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {/x: {get: {responses: {'200': {description: ok}}}}}\n"))
	fuzzImport(f, "openapi.yaml")
}

func FuzzImportSwagger(f *testing.F) {
	f.Add([]byte(`{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "host": "h.example.com", "paths": {"/x/{id}": {"delete": {"parameters": [{"name": "id", "in": "path", "required": true, "type": "string"}], "responses": {"204": {"description": "gone"}}}}}}`))
	fuzzImport(f, "swagger.json")
}

func FuzzImportPostman(f *testing.F) {
	f.Add([]byte(`{"info": {"name": "p"}, "item": [{"name": "r", "request": {"method": "GET", "url": "https://p.example.com/a/:id?q=1"}}]}`))
	fuzzImport(f, "postman.json")
}
