package webui

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/trigger"
)

// pollForm is what the forms of a polling trigger offer: a field for
// each input of the event's list operation (the poll's input), the other
// parameters as a JSON object, and the connection's poll interval, which
// all its polling triggers share and which is changed on the connection.
type pollForm struct {
	Inputs []pollField
	// Other is the other parameters' JSON as the form shows it.
	Other string
	// IntervalMinutes is the connection's poll interval.
	IntervalMinutes   int
	Connection        *junction.Connection
	CanEditConnection bool
	// Kept are the other parameters set that may hold a credential: not
	// shown, and kept when the JSON leaves them out.
	Kept []string
	// Err is the problem of the last save, for the fields it names.
	Err *problem
}

// WithErr is the form with the problem of the last save, for the
// template, which holds the problem apart from the page's data.
func (p pollForm) WithErr(err *problem) pollForm {
	p.Err = err
	return p
}

// pollField is one poll input in the form, with the text it shows.
type pollField struct {
	connector.Input
	Value string
	// Options are an enum input's values, as the form sends them.
	Options []string
	// Hidden is an input whose value may be a credential: a password
	// field, never filled in.
	Hidden bool
	// Set tells that a hidden input has a value, kept when the field is
	// left empty.
	Set bool
}

// pollFieldPrefix names the form field of a poll input: "param.owner".
const pollFieldPrefix = "param."

// pollTriggerForm builds the polling part of a trigger's edit form from
// the form's values; nil for a webhook trigger or when the connection or
// its connector cannot be read (the parameters are then left as they are).
func (u *UI) pollTriggerForm(r *request, t *app.TriggerView, form map[string]string) *pollForm {
	inputs, conn, ok := u.triggerPollInputs(r, t)
	if !ok {
		return nil
	}
	p := u.newPollForm(r, conn, inputs, form)
	masked := maskedParameters(t.Parameters, inputs)
	for i := range p.Inputs {
		if f := &p.Inputs[i]; masked[f.Name] {
			f.Hidden, f.Set, f.Value = true, true, ""
			delete(masked, f.Name)
		}
	}
	p.Kept = slices.Sorted(maps.Keys(masked))
	return p
}

// newPollForm is the polling part of a trigger form for a connection and
// the poll inputs of the event, with the form's values.
func (u *UI) newPollForm(r *request, conn *junction.Connection, inputs []connector.Input, form map[string]string) *pollForm {
	p := &pollForm{Connection: conn, IntervalMinutes: conn.PollIntervalMinutes, Other: shownOther(form["parameters"])}
	if p.IntervalMinutes == 0 {
		p.IntervalMinutes = app.DefaultPollInterval
	}
	if folder, err := u.app.GetFolder(r.Context(), r.p, conn.FolderID); err == nil {
		p.CanEditConnection = r.p.Access.Can(junction.PermConnectionsEdit, folder)
	}
	for _, in := range inputs {
		f := pollField{Input: in, Value: form[pollFieldPrefix+in.Name]}
		if mayBeCredential(in.Name, &in, nil) {
			f.Hidden, f.Value = true, ""
		}
		for _, e := range in.Enum {
			f.Options = append(f.Options, parameterText(e))
		}
		p.Inputs = append(p.Inputs, f)
	}
	return p
}

// eventPollInputs returns the poll inputs of an event ("object.event")
// of def, and whether the event polls: a trigger made on it polls.
func eventPollInputs(def *connector.Definition, event string) ([]connector.Input, bool) {
	object, name, _ := strings.Cut(event, ".")
	ev := def.Event(object, name)
	if ev == nil || ev.Polling == nil {
		return nil, false
	}
	return trigger.PollInputs(def, object, name), true
}

// triggerPollInputs returns the poll inputs of a polling trigger's event
// and its connection; not ok for a webhook trigger, or a connection or
// connector the caller cannot read.
func (u *UI) triggerPollInputs(r *request, t *app.TriggerView) ([]connector.Input, *junction.Connection, bool) {
	if t.Kind != junction.TriggerPolling {
		return nil, nil, false
	}
	c, err := u.app.GetConnection(r.Context(), r.p, t.ConnectionID)
	if err != nil {
		return nil, nil, false
	}
	def, err := u.app.GetConnector(r.Context(), r.p, c.Connector, c.ConnectorVersion)
	if err != nil {
		return nil, nil, false
	}
	return trigger.PollInputs(def, t.Object, t.Event), c, true
}

// pollFormValues writes a trigger's parameters as the form shows them:
// pollFieldPrefix+name for each poll input, and "parameters", a JSON
// object, for the others. Those that may hold a credential are left out
// (keepMasked keeps them).
func pollFormValues(params map[string]any, inputs []connector.Input) map[string]string {
	masked := maskedParameters(params, inputs)
	out := map[string]string{}
	rest := maps.Clone(params)
	for _, in := range inputs {
		if v, ok := params[in.Name]; ok && v != nil && !masked[in.Name] {
			out[pollFieldPrefix+in.Name] = parameterText(v)
		}
		delete(rest, in.Name)
	}
	for name := range masked {
		delete(rest, name)
	}
	if len(rest) > 0 {
		b, _ := json.MarshalIndent(rest, "", "  ")
		out["parameters"] = string(b)
	}
	return out
}

// parameterText is a parameter's value as a form field holds it: a
// string as it is, anything else as JSON.
func parameterText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// pollParameters reads the parameters the edit form of a polling trigger
// sent. A value that is not of its input's type is passed on as typed,
// so that UpdateTrigger refuses it as it refuses the API's, naming the
// input ("parameters.owner"); an input left empty is left out.
func pollParameters(r *request, inputs []connector.Input) (map[string]any, error) {
	params := map[string]any{}
	if raw := strings.TrimSpace(r.PostFormValue("parameters")); raw != "" {
		v, ok := decodeJSON(raw)
		m, isObject := v.(map[string]any)
		if !ok || !isObject {
			return nil, junction.Invalid("parameters", `must be a JSON object, such as {"team": "billing"}`)
		}
		params = m
	}
	for _, in := range inputs {
		if _, given := params[in.Name]; given {
			return nil, junction.Invalid("parameters", "%s has its own field: give it there", in.Name)
		}
		text := strings.TrimSpace(r.PostFormValue(pollFieldPrefix + in.Name))
		if text == "" {
			continue
		}
		params[in.Name] = typedParameter(in.Type, text)
	}
	return params, nil
}

// typedParameter reads a form field as its input's type, or gives the
// text back when it is not one.
func typedParameter(t connector.InputType, text string) any {
	switch t {
	case connector.TypeString:
		return text
	case connector.TypeBoolean:
		switch text {
		case "true":
			return true
		case "false":
			return false
		}
	case connector.TypeInteger, connector.TypeNumber:
		if v, ok := decodeJSON(text); ok {
			if n, isNumber := v.(json.Number); isNumber {
				return n
			}
		}
	default:
		if v, ok := decodeJSON(text); ok {
			switch v.(type) {
			case map[string]any, []any:
				return v
			}
		}
	}
	return text
}

// decodeJSON decodes one JSON value, numbers as json.Number.
func decodeJSON(text string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// sameParameters tells whether two sets of parameters are equal however
// their numbers were decoded.
// (the hash of their canonical JSON).
func sameParameters(a, b map[string]any) bool {
	ha, errA := trigger.PollInputHash(a)
	hb, errB := trigger.PollInputHash(b)
	return errA == nil && errB == nil && ha == hb
}
