package webui

import (
	"encoding/json"
	"slices"
	"strings"

	"junction"
	"junction/app"
	"junction/connector"
)

// pollView is what a polling trigger's page shows of its polling: the
// parameters as set, each input of the event's list operation with its
// description, and the connection's interval. Values that may be
// credentials are masked.
type pollView struct {
	Parameters []parameterRow
	// InputsKnown tells that the event's inputs could be read: without
	// them no parameter can be told to be an input or not.
	InputsKnown bool
	// IntervalMinutes is the connection's poll interval; zero when the
	// connection cannot be read.
	IntervalMinutes int
	Connection      *junction.Connection
}

// parameterRow is one parameter of a polling trigger on its page.
type parameterRow struct {
	Name string
	// Value is the value as set, a string as it is and anything else as
	// JSON; empty when Masked or not Set.
	Value string
	Set   bool
	// Masked tells that the value is not shown: its name, or a key inside
	// it, names a credential.
	Masked bool
	// Input is the list operation's input the poll is given the value as;
	// nil for a parameter that is only copied into jobs.
	Input *connector.Input
}

// triggerPollView is the polling part of a trigger's page; nil for a
// webhook trigger. When the connection or its connector cannot be read,
// the parameters are shown without descriptions.
func (u *UI) triggerPollView(r *request, t *app.TriggerView) *pollView {
	if t.Kind != junction.TriggerPolling {
		return nil
	}
	v := &pollView{}
	inputs, conn, ok := u.triggerPollInputs(r, t)
	if ok {
		v.InputsKnown = true
		v.Connection, v.IntervalMinutes = conn, conn.PollIntervalMinutes
		if v.IntervalMinutes == 0 {
			v.IntervalMinutes = app.DefaultPollInterval
		}
	}
	v.Parameters = parameterRows(t.Parameters, inputs)
	return v
}

// parameterRows lists a trigger's parameters as its page shows them: the
// poll inputs in the order the operation declares them, set or not, then
// the other parameters by name.
func parameterRows(params map[string]any, inputs []connector.Input) []parameterRow {
	var rows []parameterRow
	for i := range inputs {
		in := &inputs[i]
		v, set := params[in.Name]
		rows = append(rows, parameterRow{Name: in.Name, Input: in, Set: set && v != nil})
	}
	var others []string
	for name := range params {
		if !slices.ContainsFunc(inputs, func(in connector.Input) bool { return in.Name == name }) {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	for _, name := range others {
		rows = append(rows, parameterRow{Name: name, Set: true})
	}
	for i := range rows {
		row := &rows[i]
		if !row.Set {
			continue
		}
		v := params[row.Name]
		if mayBeCredential(row.Name, row.Input, v) {
			row.Masked = true
			continue
		}
		row.Value = parameterText(v)
	}
	return rows
}

// mayBeCredential tells whether a parameter's value may be a credential:
// parameters are kept and shown as plain configuration, but nothing stops
// a connector from declaring an api_key input or a user from passing a
// token on to the jobs. The parameter's name, the name its input is sent
// as, or any key inside an object value naming a credential is enough.
func mayBeCredential(name string, in *connector.Input, v any) bool {
	if connector.NamesCredential(name) || (in != nil && connector.NamesCredential(in.WireName())) {
		return true
	}
	return holdsCredentialKey(v)
}

func holdsCredentialKey(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if connector.NamesCredential(k) || holdsCredentialKey(e) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(x, holdsCredentialKey)
	case string:
		// A JSON object typed as a string still carries its keys.
		if t := strings.TrimSpace(x); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			if d, ok := decodeJSON(t); ok {
				return holdsCredentialKey(d)
			}
		}
	}
	return false
}

// maskedParameters names the parameters set that may hold a credential:
// the pages show none of them.
func maskedParameters(params map[string]any, inputs []connector.Input) map[string]bool {
	out := map[string]bool{}
	for _, row := range parameterRows(params, inputs) {
		if row.Masked {
			out[row.Name] = true
		}
	}
	return out
}

// keepMasked completes the parameters an edit form sent with those it
// could not show: a hidden input left empty, or another parameter the
// JSON leaves out, keeps its value; another parameter given as null is
// removed.
func keepMasked(sent, current map[string]any, inputs []connector.Input) {
	for name := range maskedParameters(current, inputs) {
		v, given := sent[name]
		switch {
		case !given:
			sent[name] = current[name]
		case v == nil && !slices.ContainsFunc(inputs, func(in connector.Input) bool { return in.Name == name }):
			delete(sent, name)
		}
	}
}

// shownOther is the other parameters' JSON as a form shows it again after
// a refused save: without the entries that may hold a credential, and
// not at all when it is not a JSON object and names one.
func shownOther(raw string) string {
	if strings.TrimSpace(raw) == "" {
		return raw
	}
	v, ok := decodeJSON(raw)
	m, isObject := v.(map[string]any)
	if !ok || !isObject {
		if connector.NamesCredential(raw) {
			return ""
		}
		return raw
	}
	dropped := false
	for k, e := range m {
		if mayBeCredential(k, nil, e) {
			delete(m, k)
			dropped = true
		}
	}
	if !dropped {
		return raw
	}
	if len(m) == 0 {
		return ""
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}
