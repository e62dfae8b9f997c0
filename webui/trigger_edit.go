package webui

import (
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"strings"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/trigger"
)

// filterCheckAnswer is what POST /triggers/filter-check answers the
// filter editor's script: whether the filter compiles for the event,
// and what the record offers, or the problem with its stable code.
type filterCheckAnswer struct {
	Valid      bool                         `json:"valid"`
	Code       string                       `json:"code,omitempty"`
	Message    string                       `json:"message,omitempty"`
	Field      string                       `json:"field,omitempty"`
	Fields     []connector.ObjectField      `json:"fields,omitempty"`
	Undeclared []string                     `json:"undeclared,omitempty"`
	Mismatched []trigger.FilterTypeMismatch `json:"mismatched,omitempty"`
}

// checkTriggerFilter checks a filter as the trigger forms are filled in,
// through the same check that saving makes. A filter the check refuses
// is an answer like any other (200); a connection or event that cannot be
// checked against answers with its error's status. Like every POST of the
// UI it needs the session's CSRF token and refuses other origins.
func (u *UI) checkTriggerFilter(w http.ResponseWriter, r *request) error {
	check, err := u.app.CheckTriggerFilter(r.Context(), r.p, filterInput(r.PostFormValue("connection_id"), r.PostFormValue("event"), r.PostFormValue("filter")))
	status := http.StatusOK
	var out filterCheckAnswer
	if err != nil {
		code := junction.ErrorCode(err)
		if code == junction.EINTERNAL {
			u.opts.Logger.ErrorContext(r.Context(), "check a trigger filter", slog.String("request_id", r.p.RequestID), slog.Any("error", err))
		}
		if code != junction.EINVALID {
			status = httpStatus(code)
		}
		p := problemOf(err)
		out = filterCheckAnswer{Code: p.Code, Message: p.Message, Field: p.Field}
	} else {
		out = filterCheckAnswer{Valid: true, Fields: check.Fields, Undeclared: check.Undeclared, Mismatched: check.Mismatched}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(out)
}

// filterInput is a filter check of the forms' fields; event is
// "object.event".
func filterInput(connectionID, event, filter string) app.TriggerFilterInput {
	object, name, _ := strings.Cut(event, ".")
	return app.TriggerFilterInput{ConnectionID: connectionID, Object: object, Event: name, Filter: filter}
}

// filterWarnings is what the forms show under a filter when the page is
// drawn, as the script shows it while the filter is typed: the fields
// the connector does not declare and the types that differ from those it
// declares. Nil when there is no filter or it cannot be checked: saving
// says why.
func (u *UI) filterWarnings(r *request, connectionID, event, filter string) *app.TriggerFilterCheck {
	if strings.TrimSpace(filter) == "" {
		return nil
	}
	check, err := u.app.CheckTriggerFilter(r.Context(), r.p, filterInput(connectionID, event, filter))
	if err != nil {
		return nil
	}
	return check
}

// editTriggerData drives /triggers/{id}/edit.
type editTriggerData struct {
	T *app.TriggerView
	// Event is the trigger's object event, with the record's fields.
	Event *eventChoice
	Form  map[string]string
	// Check is what the filter shown reads, for its warnings.
	Check *app.TriggerFilterCheck
	// Poll is the polling part of the form; nil for a webhook trigger.
	Poll *pollForm
}

func (u *UI) editTrigger(w http.ResponseWriter, r *request) error {
	return u.triggerEditPage(w, r, false, nil)
}

// triggerEditPage shows the form to change a trigger's name, filter and
// target, and a polling trigger's parameters; after a refused change it
// keeps what was typed, except the signing secret.
func (u *UI) triggerEditPage(w http.ResponseWriter, r *request, edited bool, formErr error) error {
	ctx := r.Context()
	t, err := u.app.GetTrigger(ctx, r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	folder, err := u.app.GetFolder(ctx, r.p, t.FolderID)
	if err != nil {
		return err
	}
	if !r.p.Access.Can(junction.PermTriggersEdit, folder) {
		// The form would only be refused: say so before it is filled in.
		return &junction.Error{Code: junction.EPERMISSIONDENIED, Message: "this needs the " + string(junction.PermTriggersEdit) + " permission"}
	}
	d := editTriggerData{T: t, Event: &eventChoice{Value: t.Object + "." + t.Event, Label: t.Object + " " + t.Event}}
	if c, err := u.app.GetConnection(ctx, r.p, t.ConnectionID); err == nil {
		if def, err := u.app.GetConnector(ctx, r.p, c.Connector, c.ConnectorVersion); err == nil {
			if o := def.Object(t.Object); o != nil {
				d.Event.Fields = o.Fields
			}
		}
	}
	d.Form = map[string]string{"name": t.Name, "filter": t.Filter, "target_type": string(t.Target.Type),
		"target_name": t.Target.Name, "target_url": t.Target.URL}
	if inputs, _, ok := u.triggerPollInputs(r, t); ok {
		maps.Copy(d.Form, pollFormValues(t.Parameters, inputs))
	}
	if edited {
		d.Form = postedForm(r)
		delete(d.Form, "target_secret")
	}
	d.Poll = u.pollTriggerForm(r, t, d.Form)
	d.Check = u.filterWarnings(r, t.ConnectionID, d.Event.Value, d.Form["filter"])
	return u.show(w, r, "trigger_edit", "triggers", "Edit trigger "+triggerLabel(t), d, formErr)
}

// updateTrigger saves the edit form through app.UpdateTrigger, which
// checks and audits it as the API's PATCH does. The target is sent only
// when it changed or a new signing secret was given, so that an edit of
// the filter alone records only that.
func (u *UI) updateTrigger(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	t, err := u.app.GetTrigger(ctx, r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	name, filter := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("filter")
	in := app.UpdateTriggerInput{Name: &name, Filter: &filter}
	target := app.TriggerTargetInput{Type: junction.TargetType(r.PostFormValue("target_type")),
		Name: strings.TrimSpace(r.PostFormValue("target_name")), URL: strings.TrimSpace(r.PostFormValue("target_url"))}
	if target.Type == junction.TargetWebhook {
		target.Name = ""
		if s := r.PostFormValue("target_secret"); s != "" {
			secret := junction.NewSecret(s)
			target.Secret = &secret
		}
	} else {
		target.URL = ""
	}
	if target.Type != t.Target.Type || target.Name != t.Target.Name || target.URL != t.Target.URL || target.Secret != nil {
		in.Target = &target
	}
	// A polling trigger's form sends its parameters; like the target,
	// they are sent only when they changed.
	if _, sent := r.PostForm["parameters"]; sent {
		if inputs, _, ok := u.triggerPollInputs(r, t); ok {
			params, err := pollParameters(r, inputs)
			if err != nil {
				return u.triggerEditPage(w, r, true, err)
			}
			keepMasked(params, t.Parameters, inputs)
			if !sameParameters(params, t.Parameters) {
				in.Parameters = &params
			}
		}
	}
	if _, err := u.app.UpdateTrigger(ctx, r.p, t.ID, in); err != nil {
		if !isFormError(err) {
			return err
		}
		return u.triggerEditPage(w, r, true, err)
	}
	return redirect(w, r, "/triggers/"+t.ID, "Trigger saved.")
}

// filterField is what the filter field of the trigger forms shows: the
// filter, its problem, and the fields of the chosen event's records.
type filterField struct {
	Filter string
	Err    *problem
	Event  *eventChoice
	Check  *app.TriggerFilterCheck
}
