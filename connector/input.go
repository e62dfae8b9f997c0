package connector

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

var errType = errors.New("wrong type")

// credentialWords in a name mark what it names as carrying a credential:
// vendors name theirs freely (X-Auth-Token, Api-Key, X-Hub-Signature,
// client_secret), so the name is enough to treat the value as secret.
var credentialWords = []string{"key", "token", "secret", "signature", "auth", "password"}

// NamesCredential tells whether a header, query parameter, input or
// parameter named name may carry a credential, whatever the value: its
// name contains key, token, secret, signature, auth or password, case
// aside. Logs and pages mask such values.
func NamesCredential(name string) bool {
	lower := strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// checkType returns v normalised for its declared type: integers as int64,
// numbers as float64 or json.Number, objects as map[string]any, arrays as
// []any. It fails when v does not have the type.
func checkType(t InputType, v any) (any, error) {
	switch t {
	case TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case TypeBoolean:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case TypeInteger:
		switch n := v.(type) {
		case json.Number:
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
				return int64(n), nil
			}
		case float32:
			return checkType(t, float64(n))
		default:
			rv := reflect.ValueOf(v)
			switch rv.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				return rv.Int(), nil
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				if rv.Uint() <= math.MaxInt64 {
					return int64(rv.Uint()), nil
				}
			}
		}
	case TypeNumber:
		switch n := v.(type) {
		case json.Number:
			if _, err := n.Float64(); err == nil {
				return n, nil
			}
		case float64:
			if !math.IsNaN(n) && !math.IsInf(n, 0) {
				return n, nil
			}
		case float32:
			return checkType(t, float64(n))
		default:
			if i, err := checkType(TypeInteger, v); err == nil {
				return i, nil
			}
		}
	case TypeObject:
		if m, ok := v.(map[string]any); ok {
			return m, nil
		}
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String && !rv.IsNil() {
			m := make(map[string]any, rv.Len())
			for it := rv.MapRange(); it.Next(); {
				m[it.Key().String()] = it.Value().Interface()
			}
			return m, nil
		}
	case TypeArray:
		if a, ok := v.([]any); ok {
			return a, nil
		}
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Slice && !rv.IsNil() && rv.Type().Elem().Kind() != reflect.Uint8 {
			a := make([]any, rv.Len())
			for i := range a {
				a[i] = rv.Index(i).Interface()
			}
			return a, nil
		}
	}
	return nil, errType
}

// parseNumber reads a number written as text (field values and defaults).
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// keptID is an ID read from an API's answer or a vendor's delivery as
// Junction keeps it: it names jobs, trigger history and idempotency keys,
// and PostgreSQL keeps no NUL nor invalid UTF-8 in text. A NUL is written
// as the six characters \u0000 and invalid bytes as U+FFFD, so that such
// a record still fires, once, on every database alike.
func keptID(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\u0000`), "\uFFFD")
}

// scalarText writes a scalar as it appears in a path, query or header.
func scalarText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case int:
		return strconv.Itoa(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case json.Number:
		return t.String(), true
	case nil:
		return "", true
	}
	if i, err := checkType(TypeInteger, v); err == nil {
		return strconv.FormatInt(i.(int64), 10), true
	}
	return "", false
}

// typeName says what JSON type a value has, for error messages that must
// not repeat the value itself.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	if _, err := checkType(TypeNumber, v); err == nil {
		return "a number"
	}
	return "an unsupported value"
}
