// Package importer turns an API description (OpenAPI 3.x, Swagger 2.0 or a
// Postman collection) into a draft connector definition and a checklist of
// what a person still has to look at. It is pure: it reads bytes, fetches
// nothing, and stores nothing.
package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"junction"
	"junction/connector"
)

// Source formats Import recognises.
const (
	FormatOpenAPI31 = "openapi-3.1"
	FormatOpenAPI30 = "openapi-3.0"
	FormatSwagger20 = "swagger-2.0"
	FormatPostman21 = "postman-2.1"
	FormatPostman20 = "postman-2.0"
)

// Limits on what Import reads. Real descriptions stay far below them (the
// largest public ones are a few megabytes with tens of thousands of nodes);
// they exist so that a hostile file costs bounded time and memory.
const (
	MaxSize       = 16 << 20  // bytes of content
	maxNodes      = 4_000_000 // YAML/JSON nodes visited, aliases expanded
	maxDepth      = 256       // nesting of mappings and sequences
	maxSeqLen     = 200_000   // items in one sequence
	maxOperations = 10_000    // operations turned into activities
	maxSchemaHops = 8         // schemas followed below a body or response
)

// Options steer an import.
type Options struct {
	// Key is the connector key; derived from the title when empty.
	Key string
	// DisplayName is the connector's name; the description's title when empty.
	DisplayName string
	// Resources keeps only the named resources (see Result.Resources);
	// empty keeps every one.
	Resources []string
}

// Status is how a checklist item stands.
type Status string

const (
	StatusOK      Status = "ok"
	StatusWarning Status = "warning"
	StatusError   Status = "error"
)

// ChecklistItem is one thing the import did or could not do.
type ChecklistItem struct {
	Item   string `json:"item"`
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Resource is a group of operations (a tag, or a path's first segment).
type Resource struct {
	Name string `json:"name"`
	// Operations are the activity names of the resource's operations.
	Operations []string `json:"operations"`
	// Selected says whether the definition holds them (see
	// Options.Resources).
	Selected bool `json:"selected"`
}

// Result is a draft: a definition for the connector validator (the
// checklist's last item, Validation, says whether it passes) and a checklist
// of what the import guessed or could not carry over. The caller owns it.
type Result struct {
	SourceFormat string                `json:"source_format"`
	Definition   *connector.Definition `json:"definition"`
	// Operations counts the operations the description declares, whether
	// or not they were selected or usable.
	Operations int                  `json:"operations"`
	AuthTypes  []connector.AuthType `json:"auth_types"`
	Resources  []Resource           `json:"resources"`
	Checklist  []ChecklistItem      `json:"checklist"`
}

// Import reads an API description and drafts a connector definition from
// it. Content may be JSON or YAML. A file that is not a description Import
// knows, or that cannot be read, is a validation_failed error saying what
// and where; one over MaxSize is payload_too_large. Import never fetches
// remote references and is safe for concurrent use.
func Import(content []byte, opts Options) (res *Result, err error) {
	if len(content) > MaxSize {
		return nil, junction.Errorf(junction.ETOOLARGE, "the description is larger than %d MiB", MaxSize>>20)
	}
	if len(bytes.TrimSpace(content)) == 0 {
		return nil, junction.Invalid("content", "the description is empty")
	}
	// The parsers below are not ours; a panic on a malformed file must
	// become an error for the person who uploaded it, not a crash.
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, junction.Invalid("content", "the description could not be read: %v", firstLine(fmt.Sprint(r)))
		}
	}()
	format, content, err := detect(content)
	if err != nil {
		return nil, err
	}
	var a *api
	switch format {
	case FormatPostman20, FormatPostman21:
		a, err = readPostman(content)
	default:
		a, err = readOpenAPI(content, format)
	}
	if err != nil {
		return nil, err
	}
	res, err = build(a, opts)
	if err != nil {
		return nil, err
	}
	res.SourceFormat = format
	res.Checklist = append(res.Checklist, validateDraft(res.Definition))
	return res, nil
}

// validateDraft runs the draft through the validator an operator's
// --connectors-dir file meets, so that the checklist, not a later save,
// tells of a draft the importer got wrong. The draft is written as JSON,
// which the YAML parser reads as it is: encoding/json writes a large
// draft several times faster than the YAML encoder, whose time was a
// fifth of a large import's.
func validateDraft(d *connector.Definition) ChecklistItem {
	data, err := json.Marshal(d)
	if err != nil {
		return ChecklistItem{Item: "Validation", Status: StatusError, Detail: firstLine(err.Error())}
	}
	return validateText(data)
}

// detect finds the format from the content, after checking that it is
// well-formed and within the limits.
func detect(content []byte) (string, []byte, error) {
	var top map[string]any
	trimmed := bytes.TrimLeft(content, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		if err := checkJSON(content); err != nil {
			return "", nil, err
		}
		var head struct {
			OpenAPI any             `json:"openapi"`
			Swagger any             `json:"swagger"`
			Info    json.RawMessage `json:"info"`
			Item    json.RawMessage `json:"item"`
		}
		if err := json.Unmarshal(content, &head); err != nil {
			return "", nil, junction.Invalid("content", "the description is not valid JSON: %v", err)
		}
		top = map[string]any{}
		if head.OpenAPI != nil {
			top["openapi"] = head.OpenAPI
		}
		if head.Swagger != nil {
			top["swagger"] = head.Swagger
		}
		if head.Item != nil {
			top["item"] = true
			var info struct {
				Schema string `json:"schema"`
			}
			_ = json.Unmarshal(head.Info, &info)
			top["postman_schema"] = info.Schema
		}
	} else {
		var doc yaml.Node
		if err := yaml.Unmarshal(content, &doc); err != nil {
			return "", nil, junction.Invalid("content", "the description is neither JSON nor YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if err := checkYAML(&doc); err != nil {
			return "", nil, err
		}
		// YAML 1.1 files write booleans as yes/no; the OpenAPI parser
		// reads YAML 1.2, where those are strings and required: yes
		// would be lost. Rewrite them where the key takes a boolean.
		if yaml11Booleans(&doc) {
			out, err := yaml.Marshal(&doc)
			if err != nil {
				return "", nil, junction.Invalid("content", "the YAML could not be normalised: %s", firstLine(err.Error()))
			}
			content = out
		}
		top = map[string]any{}
		if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
			m := doc.Content[0]
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i].Value, m.Content[i+1]
				switch k {
				case "openapi", "swagger":
					top[k] = v.Value
				}
			}
		}
	}
	version := func(k string) string {
		v, ok := top[k]
		if !ok {
			return ""
		}
		s := fmt.Sprint(v)
		if s == "" {
			s = "?"
		}
		return s
	}
	switch v := version("openapi"); {
	case strings.HasPrefix(v, "3.0"):
		return FormatOpenAPI30, content, nil
	case strings.HasPrefix(v, "3.1"), strings.HasPrefix(v, "3.2"):
		return FormatOpenAPI31, content, nil
	case v != "":
		return "", nil, junction.Invalid("openapi", "OpenAPI version %q is not supported (want 3.0, 3.1 or Swagger 2.0)", v)
	}
	switch v := version("swagger"); {
	case v == "2.0" || v == "2":
		return FormatSwagger20, content, nil
	case v != "":
		return "", nil, junction.Invalid("swagger", "Swagger version %q is not supported (want 2.0)", v)
	}
	if _, ok := top["item"]; ok {
		schema, _ := top["postman_schema"].(string)
		switch {
		case strings.Contains(schema, "v2.1"):
			return FormatPostman21, content, nil
		case strings.Contains(schema, "v2.0"):
			return FormatPostman20, content, nil
		case schema == "":
			return FormatPostman21, content, nil
		default:
			return "", nil, junction.Invalid("info.schema", "Postman collection schema %q is not supported (want v2.0 or v2.1)", schema)
		}
	}
	return "", nil, junction.Invalid("content", "not an API description Junction can import: no openapi or swagger version and no Postman items")
}

// checkJSON reports a syntax error with its line and column, and bounds the
// nesting and array sizes before a parser builds anything from the file.
func checkJSON(content []byte) error {
	dec := json.NewDecoder(bytes.NewReader(content))
	dec.UseNumber()
	type frame struct {
		array bool
		n     int
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if len(stack) != 0 {
					return junction.Invalid("content", "the JSON ends early")
				}
				return nil
			}
			off := dec.InputOffset()
			var se *json.SyntaxError
			if errors.As(err, &se) {
				off = se.Offset
			}
			line, col := lineCol(content, off)
			return junction.Invalid("content", "the description is not valid JSON at line %d, column %d: %v", line, col, err)
		}
		if len(stack) > 0 && stack[len(stack)-1].array {
			if d, ok := tok.(json.Delim); !ok || (d != ']' && d != '}') {
				stack[len(stack)-1].n++
				if stack[len(stack)-1].n > maxSeqLen {
					line, col := lineCol(content, dec.InputOffset())
					return junction.Invalid("content", "an array at line %d, column %d has more than %d items", line, col, maxSeqLen)
				}
			}
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '[', '{':
				stack = append(stack, frame{array: d == '['})
				if len(stack) > maxDepth {
					line, col := lineCol(content, dec.InputOffset())
					return junction.Invalid("content", "the JSON nests deeper than %d levels at line %d, column %d", maxDepth, line, col)
				}
			default:
				stack = stack[:len(stack)-1]
			}
		}
	}
}

// checkYAML walks the document as a reader expanding aliases would, and
// refuses one that would grow past the limits (the "billion laughs" file is
// a few hundred bytes that expand to gigabytes).
func checkYAML(doc *yaml.Node) error {
	visited := 0
	var walk func(n *yaml.Node, depth int) error
	walk = func(n *yaml.Node, depth int) error {
		visited++
		if visited > maxNodes {
			return junction.Invalid("content", "the YAML expands to more than %d nodes (aliases included)", maxNodes)
		}
		if depth > maxDepth {
			return junction.Invalid("content", "the YAML nests deeper than %d levels at line %d, column %d", maxDepth, n.Line, n.Column)
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return nil
			}
			return walk(n.Alias, depth+1)
		}
		if n.Kind == yaml.SequenceNode && len(n.Content) > maxSeqLen {
			return junction.Invalid("content", "the sequence at line %d, column %d has more than %d items", n.Line, n.Column, maxSeqLen)
		}
		for _, c := range n.Content {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(doc, 0)
}

func lineCol(content []byte, off int64) (line, col int) {
	if off > int64(len(content)) {
		off = int64(len(content))
	}
	line = 1 + bytes.Count(content[:off], []byte{'\n'})
	col = int(off) - bytes.LastIndexByte(content[:off], '\n')
	return line, col
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func invalidOption(field, msg string) error {
	return junction.Invalid(field, "%s", msg)
}

// booleanKeys are the OpenAPI keys whose values are booleans.
var booleanKeys = map[string]bool{"required": true, "readOnly": true, "writeOnly": true, "deprecated": true, "nullable": true,
	"uniqueItems": true, "allowEmptyValue": true, "explode": true, "allowReserved": true, "exclusiveMinimum": true,
	"exclusiveMaximum": true, "additionalProperties": true}

// yaml11Booleans rewrites unquoted YAML 1.1 booleans (yes, no, on, off)
// under boolean keys, and reports whether it changed anything.
func yaml11Booleans(n *yaml.Node) bool {
	changed := false
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if !booleanKeys[k.Value] || v.Kind != yaml.ScalarNode || v.Style != 0 {
				continue
			}
			switch strings.ToLower(v.Value) {
			case "yes", "on", "y":
				v.Value, v.Tag, changed = "true", "!!bool", true
			case "no", "off", "n":
				v.Value, v.Tag, changed = "false", "!!bool", true
			}
		}
	}
	for _, c := range n.Content {
		if yaml11Booleans(c) {
			changed = true
		}
	}
	return changed
}
