package trigger

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
)

// FilterCostLimit bounds the work one evaluation of a filter may do (CEL's
// runtime cost units), so that no filter, however written, can hold a
// worker: a filter over its limit does not match, and says why.
const FilterCostLimit = 100_000

// MaxFilterLength bounds a filter's source.
const MaxFilterLength = 4096

// filterEnv declares what a filter sees. Everything is read-only data: CEL
// has no side effects, and no function here reaches outside the event.
//
//	event      string  the trigger's event name ("created", "issues.opened" maps to "opened")
//	object     string  the object type ("issue")
//	object_id  string  the record's ID, "" when the connector reads none
//	change     string  for polling, "created" or "updated"; "" for webhooks
//	vendor_type string the vendor's event type (webhooks), "" for polling
//	record     map     the record (numbers as int or double)
//	payload    dyn     the whole webhook body, or the record for polling
var filterEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("event", cel.StringType),
		cel.Variable("object", cel.StringType),
		cel.Variable("object_id", cel.StringType),
		cel.Variable("change", cel.StringType),
		cel.Variable("vendor_type", cel.StringType),
		cel.Variable("record", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("payload", cel.DynType),
	)
})

// CompileFilter checks a trigger's filter: a CEL expression over the
// variables event, object, object_id, change, vendor_type (strings),
// record (a map) and payload (any JSON value) that yields a bool, such as
//
//	record.state == "open" && record.amount > 100
//
// The empty filter matches every event. It returns validation_failed
// (Field "filter") saying what is wrong. Call it when a trigger is saved.
func CompileFilter(src string) error {
	_, err := compileFilter(src)
	return err
}

// filter is a compiled filter; nil matches everything.
type filter struct {
	prg cel.Program
}

func compileFilter(src string) (*filter, error) {
	env, ast, err := checkFilter(src)
	if ast == nil || err != nil {
		return nil, err
	}
	prg, err := env.Program(ast, cel.CostLimit(FilterCostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, invalid("filter", "%s", err.Error())
	}
	return &filter{prg: prg}, nil
}

// checkFilter parses and type-checks a filter; the AST is nil for the
// empty filter.
func checkFilter(src string) (*cel.Env, *cel.Ast, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil, nil
	}
	if len(src) > MaxFilterLength {
		return nil, nil, invalid("filter", "is longer than %d characters", MaxFilterLength)
	}
	env, err := filterEnv()
	if err != nil {
		return nil, nil, fmt.Errorf("filter environment: %w", err)
	}
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, nil, invalid("filter", "%s", iss.Err().Error())
	}
	if !ast.OutputType().IsExactType(cel.BoolType) && !ast.OutputType().IsExactType(cel.DynType) {
		return nil, nil, invalid("filter", "must yield a bool, not %s", ast.OutputType())
	}
	return env, ast, nil
}

// FilterRecordFields checks a filter as CompileFilter does and returns the
// record fields it reads by name (record.state, record["state"]), sorted,
// each once; none for the empty filter. A field tested with has() is not
// read, so is not listed: has() is how a filter guards a field that some
// records lack. Editors use it to point at fields the connector does not
// declare, which make the filter fail on every record without them.
func FilterRecordFields(src string) ([]string, error) {
	_, ast, err := checkFilter(src)
	if ast == nil || err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.SelectKind:
			sel := e.AsSelect()
			if !sel.IsTestOnly() && isRecord(sel.Operand()) {
				seen[sel.FieldName()] = true
			}
		case celast.CallKind:
			call := e.AsCall()
			if call.FunctionName() != operators.Index || len(call.Args()) != 2 || !isRecord(call.Args()[0]) {
				return
			}
			if key := call.Args()[1]; key.Kind() == celast.LiteralKind {
				if name, ok := key.AsLiteral().Value().(string); ok {
					seen[name] = true
				}
			}
		}
	}))
	return slices.Sorted(maps.Keys(seen)), nil
}

func isRecord(e celast.Expr) bool {
	return e.Kind() == celast.IdentKind && e.AsIdent() == "record"
}

// eventVars is what a filter is evaluated over.
type eventVars struct {
	Event, Object, ObjectID, Change, VendorType string
	Record                                      map[string]any
	Payload                                     any
}

// match evaluates the filter. A false result or an evaluation error (a
// missing key, a type mismatch, the cost limit) is no match, with the
// reason for the history.
func (f *filter) match(v eventVars) (bool, string) {
	if f == nil {
		return true, ""
	}
	rec := v.Record
	if rec == nil {
		rec = map[string]any{}
	}
	out, _, err := f.prg.Eval(map[string]any{
		"event":       v.Event,
		"object":      v.Object,
		"object_id":   v.ObjectID,
		"change":      v.Change,
		"vendor_type": v.VendorType,
		"record":      celValue(rec),
		"payload":     celValue(v.Payload),
	})
	if err != nil {
		return false, "filter could not be evaluated: " + err.Error()
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Sprintf("filter yielded %v, not a bool", out.Value())
	}
	if !b {
		return false, "filter did not match"
	}
	return true, ""
}

// celValue turns decoded JSON into values CEL knows: json.Number becomes an
// int64 when integral, else a float64.
func celValue(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = celValue(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = celValue(x)
		}
		return l
	case nil:
		return nil
	}
	return v
}
