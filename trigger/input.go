package trigger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"

	"junction"
	"junction/connector"
)

// PollInputHash identifies a poll's input: the SHA-256, in hex, of its
// canonical JSON (object keys sorted, integral numbers written as integers,
// nil the same as empty). Polls whose inputs hash alike share one poll
// state and one poll per interval.
func PollInputHash(input map[string]any) (string, error) {
	b, err := canonicalJSON(input)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// canonicalJSON writes v so that equal inputs give equal bytes however
// they were decoded: json.Number 1, float64 1 and int 1 are all "1", and
// encoding/json already sorts map keys.
func canonicalJSON(input map[string]any) ([]byte, error) {
	if input == nil {
		input = map[string]any{}
	}
	return json.Marshal(canonicalValue(input))
}

func canonicalValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = canonicalValue(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = canonicalValue(x)
		}
		return out
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return canonicalValue(f)
		}
		return t.String()
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
		return t
	case float32:
		return canonicalValue(float64(t))
	}
	return v
}

// PollInputs returns the inputs of an event's list operation that a
// trigger may give: those the polling does not set itself (its fixed
// inputs, the since and cursor inputs), which BuildPoll would refuse. It
// returns nil when the event does not poll.
func PollInputs(def *connector.Definition, object, event string) []connector.Input {
	if def == nil {
		return nil
	}
	ev := def.Event(object, event)
	if ev == nil || ev.Polling == nil {
		return nil
	}
	p := ev.Polling
	var op *connector.Operation
	if p.Activity != "" {
		if a := def.Activity(p.Activity); a != nil {
			op = &a.Operation
		}
	} else if o := def.Object(object); o != nil {
		name := p.Operation
		if name == "" {
			name = "list"
		}
		op = o.Operations.ByName(name)
	}
	if op == nil {
		return nil
	}
	var out []connector.Input
	for _, in := range op.Inputs {
		if _, fixed := p.Inputs[in.Name]; fixed {
			continue
		}
		if (p.Since != nil && p.Since.Input == in.Name) || (p.Cursor != nil && p.Cursor.Input == in.Name) {
			continue
		}
		out = append(out, in)
	}
	return out
}

// pollInput picks a trigger's poll input out of its parameters: those
// named like an input of the event's list operation, null ones left out.
func pollInput(def *connector.Definition, t *junction.Trigger) map[string]any {
	in := map[string]any{}
	for _, i := range PollInputs(def, t.Object, t.Event) {
		if v, ok := t.Parameters[i.Name]; ok && v != nil {
			in[i.Name] = v
		}
	}
	return in
}

// PollInput returns the input a polling trigger's polls send to the
// event's list operation, taken from its Parameters, and its hash
// (PollInputHash). Triggers of one connection, object and event with the
// same hash share one poll. A trigger of a connector no longer in the
// catalog polls with no input (and the poll fails, as it would anyway).
func (r *Runtime) PollInput(t *junction.Trigger) (map[string]any, string, error) {
	def, _ := r.definition(context.Background(), t)
	in := pollInput(def, t)
	hash, err := PollInputHash(in)
	if err != nil {
		return nil, "", junction.Internal(fmt.Errorf("hash poll input of trigger %s: %w", t.ID, err))
	}
	return in, hash, nil
}

// checkPollInput refuses a polling trigger whose parameters lack an input
// the list operation requires, or give one of the wrong type or outside
// its allowed values. Errors name the parameter: "parameters.owner".
func checkPollInput(def *connector.Definition, t *junction.Trigger) error {
	for _, in := range PollInputs(def, t.Object, t.Event) {
		field := "parameters." + in.Name
		v, ok := t.Parameters[in.Name]
		if !ok || v == nil {
			if in.Required && in.Default == nil {
				return junction.Invalid(field, "is required to poll %s.%s", t.Object, t.Event)
			}
			continue
		}
		nv, ok := inputValue(in.Type, v)
		if !ok {
			return junction.Invalid(field, "must be %s to poll %s.%s", typeArticle(in.Type), t.Object, t.Event)
		}
		if s, isText := nv.(string); isText && s == "" && in.Required {
			return junction.Invalid(field, "must not be empty")
		}
		if len(in.Enum) > 0 && !slices.ContainsFunc(in.Enum, func(e any) bool {
			ne, ok := inputValue(in.Type, e)
			return ok && fmt.Sprint(ne) == fmt.Sprint(nv)
		}) {
			return junction.Invalid(field, "must be one of %v", in.Enum)
		}
	}
	return nil
}

// inputValue returns v normalised for an input type (integers as int64,
// numbers as float64), and whether v has the type. Parameters arrive
// decoded from JSON, so numbers are float64 or json.Number.
func inputValue(t connector.InputType, v any) (any, bool) {
	switch t {
	case connector.TypeString:
		s, ok := v.(string)
		return s, ok
	case connector.TypeBoolean:
		b, ok := v.(bool)
		return b, ok
	case connector.TypeInteger, connector.TypeNumber:
		var f float64
		switch n := v.(type) {
		case json.Number:
			if i, err := n.Int64(); err == nil {
				return i, true
			}
			x, err := n.Float64()
			if err != nil {
				return nil, false
			}
			f = x
		case float64:
			f = n
		case float32:
			f = float64(n)
		default:
			rv := reflect.ValueOf(v)
			switch rv.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				return rv.Int(), true
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				if rv.Uint() <= math.MaxInt64 {
					return int64(rv.Uint()), true
				}
			}
			return nil, false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
		return f, t == connector.TypeNumber
	case connector.TypeObject:
		m, ok := v.(map[string]any)
		return m, ok
	case connector.TypeArray:
		a, ok := v.([]any)
		return a, ok
	}
	return nil, false
}

func typeArticle(t connector.InputType) string {
	switch t {
	case connector.TypeInteger, connector.TypeObject, connector.TypeArray:
		return "an " + string(t)
	}
	return "a " + string(t)
}
