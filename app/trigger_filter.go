package app

import (
	"context"
	"slices"

	"junction"
	"junction/connector"
	"junction/trigger"
)

// TriggerFilterInput names a filter and the object event it would follow.
type TriggerFilterInput struct {
	ConnectionID, Object, Event, Filter string
}

// TriggerFilterCheck is what a filter that compiles may read.
type TriggerFilterCheck struct {
	// Fields are the fields the connector declares for the object's
	// records, which a filter reads as record.<name>.
	Fields []connector.ObjectField `json:"fields"`
	// Undeclared are the record fields the filter reads by name that the
	// connector does not declare. They are not refused (a connector may
	// declare only some of a record's fields), but reading a field a
	// record lacks makes the filter fail on it, unless guarded by has().
	Undeclared []string `json:"undeclared,omitempty"`
	// Mismatched are the places where the filter compares or combines a
	// declared field with a literal of another type (record.number ==
	// "1"). They are warnings, not refused: a connector's declared type
	// may be looser than what its API sends.
	Mismatched []trigger.FilterTypeMismatch `json:"mismatched,omitempty"`
}

// CheckTriggerFilter checks a filter for an object event of a connection
// without saving anything, as CreateTrigger and UpdateTrigger check it
// (trigger.CompileFilter), so that an editor can tell as it is typed.
// Needs Connections.View on the connection's folder: the check reads
// nothing with the connection's credentials. Errors: validation_failed
// with Field "filter", "object", "event" or "connection_id".
func (a *App) CheckTriggerFilter(ctx context.Context, p *junction.Principal, in TriggerFilterInput) (*TriggerFilterCheck, error) {
	if err := a.needTriggers(); err != nil {
		return nil, err
	}
	if in.ConnectionID == "" {
		return nil, junction.Invalid("connection_id", "is required")
	}
	conn, err := a.connectionIn(ctx, a.store, p, in.ConnectionID, junction.PermConnectionsView, false)
	if err != nil {
		return nil, fieldNotFound(err, "connection_id")
	}
	def, err := a.catalog.Definition(ctx, conn.TenantID, conn.Connector, conn.ConnectorVersion)
	if err != nil {
		return nil, junction.Invalid("connection_id", "the connection's connector %q is no longer in the catalog", conn.Connector)
	}
	if _, err := triggerEvent(def, in.Object, in.Event, ""); err != nil {
		return nil, err
	}
	if err := trigger.CompileFilter(in.Filter); err != nil {
		return nil, err
	}
	read, err := trigger.FilterRecordFields(in.Filter)
	if err != nil {
		return nil, err
	}
	out := &TriggerFilterCheck{Fields: slices.Clone(def.Object(in.Object).Fields)}
	if len(out.Fields) == 0 {
		// Nothing declared: nothing to point at.
		return out, nil
	}
	for _, name := range read {
		if !slices.ContainsFunc(out.Fields, func(f connector.ObjectField) bool { return f.Name == name }) {
			out.Undeclared = append(out.Undeclared, name)
		}
	}
	if out.Mismatched, err = trigger.FilterTypeMismatches(in.Filter, out.Fields); err != nil {
		return nil, err
	}
	return out, nil
}
