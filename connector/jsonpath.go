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

// replacePath returns doc with the value at path replaced by v, and whether
// path could be reached: a missing last key is added, a missing index or a
// step through something that is not an object or array is not. Maps and
// arrays on the way are changed in place; doc is the caller's to change.
func replacePath(doc any, path string, v any) (any, bool) {
	if m, ok := doc.(map[string]any); ok && strings.Contains(path, ".") {
		if _, ok := m[path]; ok {
			m[path] = v
			return doc, true
		}
	}
	steps, err := parsePath(path)
	if err != nil {
		return doc, false
	}
	return replaceSteps(doc, steps, v)
}

func replaceSteps(cur any, steps []pathStep, v any) (any, bool) {
	if len(steps) == 0 {
		return v, true
	}
	s := steps[0]
	if s.isIdx {
		arr, ok := cur.([]any)
		if !ok {
			return cur, false
		}
		i := s.index
		if i < 0 {
			i += len(arr)
		}
		if i < 0 || i >= len(arr) {
			return cur, false
		}
		next, ok := replaceSteps(arr[i], steps[1:], v)
		arr[i] = next
		return arr, ok
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return cur, false
	}
	inner, present := m[s.key]
	if !present && len(steps) > 1 {
		return cur, false
	}
	next, ok := replaceSteps(inner, steps[1:], v)
	m[s.key] = next
	return m, ok
}
