package connector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The structure of a definition (which keys exist, their types, enums,
// which keys go together) is checked against schema.json, the same
// document the API publishes, so that the published schema and the
// validator cannot disagree. validate.go keeps only what a JSON Schema
// cannot say: templates and the variables they use, path parameters,
// references between parts of the definition.

var (
	compiledOnce   sync.Once
	compiledSchema *jsonschema.Schema
	compileErr     error
)

func definitionSchema() (*jsonschema.Schema, error) {
	compiledOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			compileErr = fmt.Errorf("connector: schema.json: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource("connector.json", doc); err != nil {
			compileErr = fmt.Errorf("connector: schema.json: %w", err)
			return
		}
		compiledSchema, compileErr = c.Compile("connector.json")
	})
	return compiledSchema, compileErr
}

var schemaPrinter = message.NewPrinter(language.English)

// schemaProblems validates the YAML document against the definition
// schema and returns one problem per failed leaf rule, located by its path
// in the document ("objects[2].operations.list.pagination.type").
func schemaProblems(data []byte) []Problem {
	s, err := definitionSchema()
	if err != nil {
		// schema.json is embedded and compiled by a test; this is a build
		// mistake, reported rather than hidden.
		return []Problem{{Message: err.Error()}}
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []Problem{{Message: err.Error()}}
	}
	// YAML's maps and numbers become JSON's through a round trip, which is
	// what the validator expects (json.Number for numbers).
	raw, err := json.Marshal(doc)
	if err != nil {
		return []Problem{{Message: "definition holds a value JSON cannot represent: " + err.Error()}}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return []Problem{{Message: err.Error()}}
	}
	verr, ok := s.Validate(inst).(*jsonschema.ValidationError)
	if !ok || verr == nil {
		return nil
	}
	r := problemRenderer{seen: map[Problem]bool{}, doc: doc}
	r.walk(verr, nil)
	slices.SortStableFunc(r.out, func(a, b Problem) int { return strings.Compare(a.Path, b.Path) })
	return r.out
}

// problemRenderer turns the validator's tree of failures into problems a
// definition's author can act on. A schema object may carry an
// "errorMessage" (a keyword the validator ignores) that says in words
// what a pattern or a choice between forms means; otherwise each kind of
// failure has its own wording, located at the key it concerns.
type problemRenderer struct {
	out  []Problem
	seen map[Problem]bool
	doc  any // the definition, to name what a key depends on
}

func (r *problemRenderer) add(path, format string, args ...any) {
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if !r.seen[p] {
		r.seen[p] = true
		r.out = append(r.out, p)
	}
}

func (r *problemRenderer) walk(e *jsonschema.ValidationError, parent []string) {
	loc := e.InstanceLocation
	if _, ok := e.ErrorKind.(*kind.PropertyNames); ok {
		// The validator shares its location buffer with propertyNames
		// failures, which may then name a later key; the failure is always
		// about a key of the object its parent failure was located at.
		loc = parent
	}
	loc = slices.Clone(loc)
	path := instancePath(loc)
	at := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	if msg := schemaErrorMessage(e.SchemaURL); msg != "" {
		// Only for the keywords whose failure alone says little; the
		// object holding errorMessage keeps one of them.
		switch e.ErrorKind.(type) {
		case *kind.Pattern, *kind.Not, *kind.AnyOf, *kind.OneOf:
			r.add(path, "%s", msg)
			return
		}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			r.add(at(m), "is required")
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			r.add(at(name), "unknown key")
		}
	case *kind.PropertyNames:
		// Keys allowed by the value of "type" (auth schemes).
		if t, ok := lookup(r.doc, loc)["type"].(string); ok {
			r.add(at(k.Property), "does not apply to type %s", t)
		} else {
			r.add(at(k.Property), "does not apply here")
		}
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		r.add(path, "unknown value %s (want %s)", quoteValue(k.Got), strings.Join(want, ", "))
	case *kind.Const:
		r.add(path, "must be %v", k.Want)
	case *kind.Type:
		r.add(path, "must be of type %s, not %s", strings.Join(k.Want, " or "), k.Got)
	case *kind.Pattern:
		r.add(path, "%q does not have the expected form (%s)", k.Got, k.Want)
	case *kind.MinLength:
		r.add(path, "must not be empty")
	case *kind.MinItems:
		if k.Want == 1 {
			r.add(path, "needs at least one item")
		} else {
			r.add(path, "needs at least %d items", k.Want)
		}
	case *kind.AnyOf, *kind.OneOf:
		// A choice between forms that differ only by which key is present
		// reads best as that list of keys.
		if keys, ok := requiredAlternatives(e.Causes); ok {
			r.add(path, "needs one of: %s", strings.Join(keys, ", "))
			return
		}
		for _, c := range e.Causes {
			r.walk(c, loc)
		}
	case *kind.Not:
		r.add(path, "is not allowed in this combination")
	case *kind.FalseSchema:
		r.add(path, "is not allowed")
	default:
		if len(e.Causes) == 0 {
			r.add(path, "%s", e.ErrorKind.LocalizedString(schemaPrinter))
		}
		for _, c := range e.Causes {
			r.walk(c, loc)
		}
	}
}

// lookup returns the object at loc in the YAML document, or nil.
func lookup(doc any, loc []string) map[string]any {
	node := doc
	for _, seg := range loc {
		switch n := node.(type) {
		case map[string]any:
			node = n[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			node = n[i]
		default:
			return nil
		}
	}
	m, _ := node.(map[string]any)
	return m
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// requiredAlternatives reports the keys of an anyOf whose every branch
// failed only for lack of one required key.
func requiredAlternatives(causes []*jsonschema.ValidationError) ([]string, bool) {
	var keys []string
	for _, c := range causes {
		for len(c.Causes) == 1 {
			if _, ok := c.ErrorKind.(*kind.Required); ok {
				break
			}
			c = c.Causes[0]
		}
		req, ok := c.ErrorKind.(*kind.Required)
		if !ok || len(c.Causes) > 0 {
			return nil, false
		}
		keys = append(keys, req.Missing...)
	}
	return keys, len(keys) > 0
}

var (
	schemaDocOnce sync.Once
	schemaDoc     any
)

// schemaErrorMessage returns the "errorMessage" of the schema object at
// url ("connector.json#/$defs/duration"), or "".
func schemaErrorMessage(url string) string {
	schemaDocOnce.Do(func() { _ = json.Unmarshal(schemaJSON, &schemaDoc) })
	_, frag, _ := strings.Cut(url, "#")
	node := schemaDoc
	for _, seg := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if seg == "" {
			continue
		}
		seg = strings.NewReplacer("~1", "/", "~0", "~").Replace(seg)
		switch n := node.(type) {
		case map[string]any:
			node = n[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return ""
			}
			node = n[i]
		default:
			return ""
		}
	}
	if m, ok := node.(map[string]any); ok {
		if msg, ok := m["errorMessage"].(string); ok {
			return msg
		}
	}
	return ""
}

// instancePath writes a JSON pointer's segments the way Problem paths
// read: keys joined by dots, array indexes in brackets.
func instancePath(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		if _, err := strconv.Atoi(s); err == nil {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}
