package connector

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a definition. Path locates it inside the
// document ("objects[2].operations.list.pagination.type"); it is empty for
// problems with the document as a whole.
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// DefinitionError lists every problem found in one definition file.
type DefinitionError struct {
	File     string
	Problems []Problem
}

func (e *DefinitionError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	b.WriteString("invalid connector definition")
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// maxDefinitionSize bounds what Parse reads; real definitions are a few tens
// of kilobytes.
const maxDefinitionSize = 4 << 20

// Parse reads and validates one YAML definition. Unknown keys are errors.
// Every problem found is reported at once in a *DefinitionError.
func Parse(data []byte) (*Definition, error) {
	if len(data) > maxDefinitionSize {
		return nil, &DefinitionError{Problems: []Problem{{Message: fmt.Sprintf("definition is larger than %d bytes", maxDefinitionSize)}}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var d Definition
	if err := dec.Decode(&d); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &DefinitionError{Problems: []Problem{{Message: "definition is empty"}}}
		}
		return nil, &DefinitionError{Problems: yamlProblems(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &DefinitionError{Problems: []Problem{{Message: "a definition file holds exactly one YAML document"}}}
	}
	if probs := mergeProblems(schemaProblems(data), validate(&d)); len(probs) > 0 {
		return nil, &DefinitionError{Problems: probs}
	}
	return &d, nil
}

// mergeProblems reports the schema's problems (structure) and, of the
// hand-written checks' (meaning), those about parts the schema found
// nothing wrong with, so one mistake is reported once.
func mergeProblems(structural, semantic []Problem) []Problem {
	out := structural
	related := func(a, b string) bool {
		return a == b || a == "" || b == "" || under(a, b) || under(b, a)
	}
	for _, p := range semantic {
		dup := false
		for _, q := range structural {
			if related(p.Path, q.Path) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

// under reports whether path lies inside parent ("a.b[1]" inside "a.b").
func under(path, parent string) bool {
	return strings.HasPrefix(path, parent) && len(path) > len(parent) && (path[len(parent)] == '.' || path[len(parent)] == '[')
}

var yamlUnknownFieldRE = regexp.MustCompile(`field (.+) not found in type \S+`)

// yamlProblems turns the decoder's error into problems, one per line, with
// Go type names replaced by what a definition author knows.
func yamlProblems(err error) []Problem {
	var te *yaml.TypeError
	var lines []string
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{err.Error()}
	}
	out := make([]Problem, 0, len(lines))
	for _, l := range lines {
		l = strings.TrimPrefix(l, "yaml: ")
		l = yamlUnknownFieldRE.ReplaceAllString(l, "unknown key $1")
		l = strings.ReplaceAll(l, "connector.", "")
		out = append(out, Problem{Message: l})
	}
	return out
}
