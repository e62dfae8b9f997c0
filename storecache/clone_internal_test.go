package storecache

import (
	"reflect"
	"testing"
	"time"

	"junction"
)

// TestClonesAreDeep fills every field of each cached type, copies it, and
// fails when the copy is not equal or still shares a map, slice or pointer
// with the original: a field added to one of these types later, and not
// copied, is caught here.
func TestClonesAreDeep(t *testing.T) {
	var (
		p  junction.TokenPrincipal
		c  junction.Connection
		f  junction.Folder
		a  junction.Asset
		cs junction.CredentialStoreConfig
		sv junction.SealedValue
		tr junction.Trigger
	)
	for _, v := range []any{&p, &c, &f, &a, &cs, &sv, &tr} {
		fill(reflect.ValueOf(v).Elem())
	}
	for name, pair := range map[string][2]any{
		"TokenPrincipal":        {&p, clonePrincipal(&p)},
		"Connection":            {&c, cloneConnection(&c)},
		"Folder":                {&f, cloneFolder(&f)},
		"Asset":                 {&a, cloneAsset(&a)},
		"CredentialStoreConfig": {&cs, cloneCredentialStore(&cs)},
		"SealedValue":           {&sv, cloneSealed(&sv)},
		"Trigger":               {&tr, cloneTrigger(&tr)},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s: the copy differs from the original", name)
		}
		if path := shared(reflect.ValueOf(pair[0]).Elem(), reflect.ValueOf(pair[1]).Elem(), name); path != "" {
			t.Errorf("%s: the copy shares memory with the original", path)
		}
	}
}

// fill sets every field reachable from v to a non-zero value.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint8:
		v.SetUint(7)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Interface:
		// A decoded JSON value, as connection fields hold.
		v.Set(reflect.ValueOf(map[string]any{"nested": []any{"x"}}))
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Unix(7, 0)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	}
}

// shared returns the path of the first map, slice or pointer that a and b
// have in common, or "".
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if a.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
	}
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() {
			return ""
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		for i := range a.Len() {
			if p := shared(a.Index(i), b.Index(i), path+"[i]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		for _, k := range a.MapKeys() {
			if p := shared(a.MapIndex(k), b.MapIndex(k), path+"[k]"); p != "" {
				return p
			}
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeOf(time.Time{}) {
			return "" // immutable; its location is meant to be shared
		}
		for i := range a.NumField() {
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
}
