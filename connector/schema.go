package connector

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of a connector definition,
// for editors and for checking definitions outside Junction. Parse enforces
// the same rules and more (template variables, path parameters). The
// returned slice is a copy.
func Schema() []byte { return append([]byte(nil), schemaJSON...) }
