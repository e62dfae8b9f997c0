package connector

import (
	"fmt"
	"strconv"
	"strings"
)

// JSON paths in definitions are deliberately small: dot-separated keys, each
// optionally followed by [n] indexes, with negative indexes counting from the
// end ("data[-1].id", "response_metadata.next_cursor"). A leading "$" or
// "$." is allowed; "" and "$" mean the whole document.

type pathStep struct {
	key   string
	index int
	isIdx bool
}

func parsePath(p string) ([]pathStep, error) {
	p = strings.TrimPrefix(p, "$")
	p = strings.TrimPrefix(p, ".")
	if p == "" {
		return nil, nil
	}
	var steps []pathStep
	for _, part := range strings.Split(p, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" && rest == "" {
			return nil, fmt.Errorf("empty segment")
		}
		if key != "" {
			steps = append(steps, pathStep{key: key})
		}
		if rest == "" && !strings.Contains(part, "[") {
			continue
		}
		rest = "[" + rest
		for rest != "" {
			if rest[0] != '[' {
				return nil, fmt.Errorf("unexpected %q after index", rest)
			}
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil {
				return nil, fmt.Errorf("index %q is not an integer", rest[1:end])
			}
			steps = append(steps, pathStep{index: n, isIdx: true})
			rest = rest[end+1:]
		}
	}
	return steps, nil
}

// lookupPath returns the value at path in a document decoded by
// encoding/json, and whether it exists. A top-level key that itself holds
// dots (OData's "@odata.nextLink") matches whole before the path is split.
func lookupPath(doc any, path string) (any, bool) {
	if m, ok := doc.(map[string]any); ok && strings.Contains(path, ".") {
		if v, ok := m[path]; ok {
			return v, true
		}
	}
	steps, err := parsePath(path)
	if err != nil {
		return nil, false
	}
	cur := doc
	for _, s := range steps {
		if s.isIdx {
			arr, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			i := s.index
			if i < 0 {
				i += len(arr)
			}
			if i < 0 || i >= len(arr) {
				return nil, false
			}
			cur = arr[i]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[s.key]; !ok {
			return nil, false
		}
	}
	return cur, true
}
