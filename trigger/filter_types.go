package trigger

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"junction/connector"
)

// FilterTypeMismatch is a place where a filter compares or combines a
// record field the connector declares with a literal of another type,
// such as record.number == "1" for an integer number. Such a filter
// compiles: record is a map of any values to CEL, and a connector's
// declared type may be looser than what its API sends. But as declared,
// an equality is simply false (CEL's equality across types), and an
// ordering or arithmetic fails on every record that has the field, which
// is no match.
type FilterTypeMismatch struct {
	// Field is the record field, as record.<field> reads it.
	Field string `json:"field"`
	// Declared is the field's type in the connector: string, integer,
	// number or boolean.
	Declared string `json:"declared"`
	// Literal is the literal as CEL writes it ("1", 3, true), and
	// LiteralType its CEL type (string, int, uint, double, bool, bytes).
	Literal     string `json:"literal"`
	LiteralType string `json:"literal_type"`
	// Message says what the filter does there and how to write it.
	Message string `json:"message"`
}

// The operators a mismatch is looked for in.
var (
	equalityOps   = map[string]string{operators.Equals: "==", operators.NotEquals: "!="}
	orderingOps   = map[string]string{operators.Less: "<", operators.LessEquals: "<=", operators.Greater: ">", operators.GreaterEquals: ">="}
	arithmeticOps = map[string]string{operators.Add: "+", operators.Subtract: "-", operators.Multiply: "*", operators.Divide: "/", operators.Modulo: "%"}
)

// FilterTypeMismatches checks a filter as CompileFilter does and returns
// where it compares or combines a declared record field with a literal
// of another type, in the order they are written, each once. Only fields
// read directly (record.x, record["x"]) with a declared string, integer,
// number or boolean type are looked at: object and array fields, fields
// not declared, nested fields and values passed through a conversion
// (int(record.x)) are not, nor is null, which any field may be compared
// with. None for the empty filter.
func FilterTypeMismatches(src string, fields []connector.ObjectField) ([]FilterTypeMismatch, error) {
	_, ast, err := checkFilter(src)
	if ast == nil || err != nil {
		return nil, err
	}
	declared := map[string]connector.InputType{}
	for _, f := range fields {
		switch t := connector.InputType(f.Type); t {
		case connector.TypeString, connector.TypeInteger, connector.TypeNumber, connector.TypeBoolean:
			declared[f.Name] = t
		}
	}
	if len(declared) == 0 {
		return nil, nil
	}
	var out []FilterTypeMismatch
	seen := map[FilterTypeMismatch]bool{}
	add := func(m *FilterTypeMismatch) {
		if m != nil && !seen[*m] {
			seen[*m] = true
			out = append(out, *m)
		}
	}
	celast.PreOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.CallKind || len(e.AsCall().Args()) != 2 {
			return
		}
		call := e.AsCall()
		fn, a, b := call.FunctionName(), call.Args()[0], call.Args()[1]
		if fn == operators.In {
			add(inMismatch(declared, a, b))
			return
		}
		if equalityOps[fn] == "" && orderingOps[fn] == "" && arithmeticOps[fn] == "" {
			return
		}
		// Either side may be the field: 1 == record.number reads the same.
		if m := operandMismatch(declared, fn, a, b, false); m != nil {
			add(m)
		} else {
			add(operandMismatch(declared, fn, b, a, true))
		}
	}))
	return out, nil
}

// declaredField returns the record field e reads directly and its
// declared type, if any.
func declaredField(declared map[string]connector.InputType, e celast.Expr) (string, connector.InputType, bool) {
	var name string
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() || !isRecord(sel.Operand()) {
			return "", "", false
		}
		name = sel.FieldName()
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != operators.Index || len(call.Args()) != 2 || !isRecord(call.Args()[0]) {
			return "", "", false
		}
		key, ok := literalOf(call.Args()[1]).(types.String)
		if !ok {
			return "", "", false
		}
		name = string(key)
	default:
		return "", "", false
	}
	t, ok := declared[name]
	return name, t, ok
}

// literalOf returns the value of a literal expression, or nil.
func literalOf(e celast.Expr) ref.Val {
	if e.Kind() != celast.LiteralKind {
		return nil
	}
	return e.AsLiteral()
}

// operandMismatch looks at field <op> lit (or lit <op> field, reversed).
func operandMismatch(declared map[string]connector.InputType, fn string, field, lit celast.Expr, reversed bool) *FilterTypeMismatch {
	name, t, ok := declaredField(declared, field)
	if !ok {
		return nil
	}
	v := literalOf(lit)
	if v == nil || v.Type() == types.NullType {
		return nil
	}
	ref, text := fieldRef(name), literalText(v)
	expr := ref + " " + opText(fn) + " " + text
	if reversed {
		expr = text + " " + opText(fn) + " " + ref
	}
	m := &FilterTypeMismatch{Field: name, Declared: string(t), Literal: text, LiteralType: v.Type().TypeName()}
	switch {
	case equalityOps[fn] != "":
		if comparable(t, v) {
			return nil
		}
		result := "always false"
		if fn == operators.NotEquals {
			result = "always true"
		}
		m.Message = fmt.Sprintf("%s is declared %s, and %s never equals the %s %s: %s is %s.%s",
			ref, t, celTypeOf(t), m.LiteralType, text, expr, result, suggestion(t, v))
	case orderingOps[fn] != "":
		if comparable(t, v) {
			return nil
		}
		m.Message = fmt.Sprintf("%s is declared %s, which CEL cannot order against the %s %s: %s fails on every record with the field, and a filter that fails does not match.%s",
			ref, t, m.LiteralType, text, expr, suggestion(t, v))
	default:
		if combinable(t, v, fn) {
			return nil
		}
		m.Message = fmt.Sprintf("%s is declared %s, and CEL has no %s of %s and the %s %s: %s fails on every record with the field, and a filter that fails does not match.%s",
			ref, t, opName(fn), celTypeOf(t), m.LiteralType, text, expr, arithmeticHint(t, v, ref))
	}
	return m
}

// inMismatch looks at x in container: a declared field tested against
// a list (or map) literal with elements (keys) it never equals, or a
// declared scalar field used as the container.
func inMismatch(declared map[string]connector.InputType, elem, container celast.Expr) *FilterTypeMismatch {
	if name, t, ok := declaredField(declared, container); ok {
		v := literalOf(elem)
		if v == nil {
			return nil
		}
		text := literalText(v)
		return &FilterTypeMismatch{Field: name, Declared: string(t), Literal: text, LiteralType: v.Type().TypeName(),
			Message: fmt.Sprintf("%s is declared %s, not a list or a map: %s in %s fails on every record with the field, and a filter that fails does not match.",
				fieldRef(name), t, text, fieldRef(name))}
	}
	name, t, ok := declaredField(declared, elem)
	if !ok {
		return nil
	}
	var candidates []celast.Expr
	switch container.Kind() {
	case celast.ListKind:
		candidates = container.AsList().Elements()
	case celast.MapKind:
		for _, entry := range container.AsMap().Entries() {
			candidates = append(candidates, entry.AsMapEntry().Key())
		}
	}
	for _, c := range candidates {
		v := literalOf(c)
		if v == nil || v.Type() == types.NullType || comparable(t, v) {
			continue
		}
		text := literalText(v)
		return &FilterTypeMismatch{Field: name, Declared: string(t), Literal: text, LiteralType: v.Type().TypeName(),
			Message: fmt.Sprintf("%s is declared %s, and %s never equals the %s %s: %s never matches.%s",
				fieldRef(name), t, celTypeOf(t), v.Type().TypeName(), text, containerName(container), suggestion(t, v))}
	}
	return nil
}

func containerName(e celast.Expr) string {
	if e.Kind() == celast.MapKind {
		return "that key of the map"
	}
	return "that element of the list"
}

// comparable tells whether a value of the declared type may equal, or be
// ordered against, the literal: numbers compare across int, uint and
// double.
func comparable(t connector.InputType, v ref.Val) bool {
	switch t {
	case connector.TypeString:
		return v.Type() == types.StringType
	case connector.TypeInteger, connector.TypeNumber:
		return isNumber(v)
	case connector.TypeBoolean:
		return v.Type() == types.BoolType
	}
	return true
}

// combinable tells whether the arithmetic op works between a value of
// the declared type and the literal. CEL does none across int, uint and
// double; record numbers are int when integral, double otherwise, so an
// integer field takes int literals, and a number field is let be with
// either (only the record tells which it is).
func combinable(t connector.InputType, v ref.Val, fn string) bool {
	switch t {
	case connector.TypeString:
		return fn == operators.Add && v.Type() == types.StringType
	case connector.TypeInteger:
		return v.Type() == types.IntType
	case connector.TypeNumber:
		return v.Type() == types.IntType || v.Type() == types.DoubleType
	case connector.TypeBoolean:
		return false
	}
	return true
}

func isNumber(v ref.Val) bool {
	switch v.Type() {
	case types.IntType, types.UintType, types.DoubleType:
		return true
	}
	return false
}

// celTypeOf names a declared type as the values CEL sees for it.
func celTypeOf(t connector.InputType) string {
	switch t {
	case connector.TypeInteger:
		return "an int"
	case connector.TypeNumber:
		return "a number"
	case connector.TypeBoolean:
		return "a bool"
	}
	return "a " + string(t)
}

// suggestion proposes the literal written as the declared type, when it
// reads as one.
func suggestion(t connector.InputType, v ref.Val) string {
	s, isString := v.(types.String)
	var want string
	switch {
	case t == connector.TypeString && !isString && v.Type() != types.BytesType:
		want = strconv.Quote(literalValueText(v))
	case t == connector.TypeInteger && isString:
		if _, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64); err == nil {
			want = strings.TrimSpace(string(s))
		}
	case t == connector.TypeNumber && isString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			want = strings.TrimSpace(string(s))
		}
	case t == connector.TypeBoolean && isString:
		if b, err := strconv.ParseBool(strings.TrimSpace(string(s))); err == nil {
			want = strconv.FormatBool(b)
		}
	}
	if want == "" {
		return ""
	}
	return " Write " + want + "."
}

func arithmeticHint(t connector.InputType, v ref.Val, ref string) string {
	if t == connector.TypeInteger && v.Type() == types.DoubleType {
		return " Write double(" + ref + ") to compute in doubles."
	}
	if t == connector.TypeInteger && v.Type() == types.UintType {
		return " Write the literal without u."
	}
	return suggestion(t, v)
}

// literalText writes a literal as CEL source does.
func literalText(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return strconv.Quote(string(x))
	case types.Bytes:
		return "b" + strconv.Quote(string(x))
	case types.Uint:
		return strconv.FormatUint(uint64(x), 10) + "u"
	case types.Double:
		s := literalValueText(v)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	}
	return literalValueText(v)
}

// literalValueText writes a literal's value without CEL's quotes or
// suffixes.
func literalValueText(v ref.Val) string {
	switch x := v.(type) {
	case types.String:
		return string(x)
	case types.Int:
		return strconv.FormatInt(int64(x), 10)
	case types.Uint:
		return strconv.FormatUint(uint64(x), 10)
	case types.Double:
		return strconv.FormatFloat(float64(x), 'g', -1, 64)
	case types.Bool:
		return strconv.FormatBool(bool(x))
	}
	return fmt.Sprint(v.Value())
}

var celIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// celReserved are the words CEL does not take as a field name after a dot.
var celReserved = []string{"as", "break", "const", "continue", "else", "false", "for", "function", "if", "import",
	"in", "let", "loop", "package", "namespace", "null", "return", "true", "var", "void", "while"}

// fieldRef writes how a filter reads a record field.
func fieldRef(name string) string {
	if celIdent.MatchString(name) && !slices.Contains(celReserved, name) {
		return "record." + name
	}
	return "record[" + strconv.Quote(name) + "]"
}

func opText(fn string) string {
	for _, ops := range []map[string]string{equalityOps, orderingOps, arithmeticOps} {
		if s, ok := ops[fn]; ok {
			return s
		}
	}
	return fn
}

func opName(fn string) string {
	switch fn {
	case operators.Add:
		return "addition"
	case operators.Subtract:
		return "subtraction"
	case operators.Multiply:
		return "multiplication"
	case operators.Divide:
		return "division"
	}
	return "remainder"
}
