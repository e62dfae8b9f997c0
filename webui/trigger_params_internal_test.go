package webui

import (
	"testing"

	"junction/connector"
)

// A parameter is masked when its name, the name its input is sent as, or
// a key inside its value names a credential; the others are shown as set.
func TestParameterRows(t *testing.T) {
	inputs := []connector.Input{
		{Name: "owner", Type: connector.TypeString, Description: "Who owns it."},
		{Name: "header_value", Type: connector.TypeString, In: "header", Key: "X-Api-Key"},
		{Name: "labels", Type: connector.TypeArray},
		{Name: "state", Type: connector.TypeString, Default: "open"},
	}
	params := map[string]any{
		"owner":        "octo",
		"header_value": "planted-header-key",
		"labels":       []any{"bug"},
		"team":         "billing",
		"api_token":    "planted-token",
		"nested":       map[string]any{"user": map[string]any{"Password": "planted-password"}},
		"listed":       []any{map[string]any{"client_secret": "planted-client-secret"}},
		"typed":        `{"refresh_token": "planted-refresh"}`,
		"count":        3,
	}
	type shown struct {
		value                string
		set, masked, isInput bool
	}
	want := []struct {
		name string
		shown
	}{
		{"owner", shown{"octo", true, false, true}},
		{"header_value", shown{"", true, true, true}},
		{"labels", shown{`["bug"]`, true, false, true}},
		{"state", shown{"", false, false, true}},
		{"api_token", shown{"", true, true, false}},
		{"count", shown{"3", true, false, false}},
		{"listed", shown{"", true, true, false}},
		{"nested", shown{"", true, true, false}},
		{"team", shown{"billing", true, false, false}},
		{"typed", shown{"", true, true, false}},
	}
	rows := parameterRows(params, inputs)
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		got := shown{r.Value, r.Set, r.Masked, r.Input != nil}
		if r.Name != w.name || got != w.shown {
			t.Errorf("row %d = %s %+v, want %s %+v", i, r.Name, got, w.name, w.shown)
		}
	}
}
