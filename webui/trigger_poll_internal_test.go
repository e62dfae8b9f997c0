package webui

import (
	"encoding/json"
	"fmt"
	"testing"

	"junction/connector"
)

// A form field becomes its input's type when it reads as one, and stays
// the text typed otherwise, for UpdateTrigger to refuse as the API does.
func TestTypedParameter(t *testing.T) {
	for _, tc := range []struct {
		typ  connector.InputType
		text string
		want any
	}{
		{connector.TypeString, "42", "42"},
		{connector.TypeInteger, "42", json.Number("42")},
		{connector.TypeInteger, "-7", json.Number("-7")},
		{connector.TypeInteger, "4.5", json.Number("4.5")}, // refused by the poll check: not an integer
		{connector.TypeInteger, "forty", "forty"},
		{connector.TypeInteger, "1 2", "1 2"},
		{connector.TypeInteger, "NaN", "NaN"},
		{connector.TypeNumber, "1e3", json.Number("1e3")},
		{connector.TypeNumber, `"3"`, `"3"`},
		{connector.TypeBoolean, "true", true},
		{connector.TypeBoolean, "false", false},
		{connector.TypeBoolean, "yes", "yes"},
		{connector.TypeArray, `["a", 1]`, []any{"a", json.Number("1")}},
		{connector.TypeArray, `a,b`, `a,b`},
		{connector.TypeObject, `{"a": {"b": 2}}`, map[string]any{"a": map[string]any{"b": json.Number("2")}}},
		{connector.TypeObject, `"text"`, `"text"`},
	} {
		got := typedParameter(tc.typ, tc.text)
		if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
			t.Errorf("%s %q: %#v, want %#v", tc.typ, tc.text, got, tc.want)
		}
	}
}

// What the form shows of parameters reads back as the same parameters.
func TestPollFormValuesRoundTrip(t *testing.T) {
	inputs := []connector.Input{{Name: "owner", Type: connector.TypeString}, {Name: "limit", Type: connector.TypeInteger},
		{Name: "archived", Type: connector.TypeBoolean}, {Name: "labels", Type: connector.TypeArray}}
	params := map[string]any{"owner": "octo", "limit": float64(20), "archived": false, "labels": []any{"bug"}, "team": "billing"}
	form := pollFormValues(params, inputs)
	if form["param.limit"] != "20" || form["param.archived"] != "false" || form["param.labels"] != `["bug"]` || form["parameters"] == "" {
		t.Fatalf("form %q", form)
	}
	back := map[string]any{}
	for _, in := range inputs {
		back[in.Name] = typedParameter(in.Type, form[pollFieldPrefix+in.Name])
	}
	other, _ := decodeJSON(form["parameters"])
	for k, v := range other.(map[string]any) {
		back[k] = v
	}
	if !sameParameters(params, back) {
		t.Fatalf("read back %v, want %v", back, params)
	}
	if sameParameters(params, map[string]any{"owner": "octo"}) {
		t.Fatal("different parameters compare equal")
	}
}
