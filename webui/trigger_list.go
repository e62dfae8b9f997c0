package webui

import (
	"slices"
	"strings"

	"junction"
)

// triggerListConnection is the connection filter of /triggers: a select
// of the connections the caller can see when they are few (no more than
// pickerCap), else a text input where a connection's name or ID is
// typed, the name looked up here. ?connection_id= works either way, as
// the links from a connection's page send it.
type triggerListConnection struct {
	// ID is the connection the list is narrowed to; "" for any.
	ID string
	// Typed is what the text input shows.
	Typed string
	// Choices are the connections the select offers; nil when there are
	// too many, or the filter names one the select does not hold, and the
	// text input stands in for it.
	Choices connectionChoice
	Select  bool
}

// triggerListConnection reads the connection filter of /triggers. A name
// that no connection, or more than one, bears is a validation error on
// "connection".
func (u *UI) triggerListConnection(r *request) (triggerListConnection, error) {
	q := r.URL.Query()
	out := triggerListConnection{ID: q.Get("connection_id"), Typed: strings.TrimSpace(q.Get("connection"))}
	choices, err := u.connectionChoices(r, "")
	if err != nil {
		return out, err
	}
	out.Choices = choices
	out.Select = !choices.More && (out.ID == "" || slices.ContainsFunc(choices.Items, func(c *junction.Connection) bool { return c.ID == out.ID }))
	switch {
	case out.ID != "":
		out.Typed = out.ID
	case out.Typed == "":
	case junction.ValidID(out.Typed):
		out.ID = out.Typed
	default:
		id, err := u.connectionNamed(r, out.Typed)
		if err != nil {
			return out, err
		}
		out.ID = id
	}
	return out, nil
}

// connectionNamed finds the one connection the caller can see with this
// name, ignoring case.
func (u *UI) connectionNamed(r *request, name string) (string, error) {
	choices, err := u.connectionChoices(r, name)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, c := range choices.Items {
		if strings.EqualFold(c.Name, name) {
			ids = append(ids, c.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", junction.Invalid("connection", "no connection you can see is named %q", name)
	case 1:
		return ids[0], nil
	}
	return "", junction.Invalid("connection", "%d connections are named %q: give the ID of one (its page shows it)", len(ids), name)
}
