package connector

import (
	"fmt"
	"slices"
	"time"

	"junction"
)

// ObjectEvent is one event an object offers, as listed by Events.
type ObjectEvent struct {
	Object *Object
	Event  *Event
}

// Events lists every object event of the definition, objects and their
// events in definition order. The slice is the caller's; what it points to is
// shared and read-only.
func (d *Definition) Events() []ObjectEvent {
	var out []ObjectEvent
	for i := range d.Objects {
		o := &d.Objects[i]
		for j := range o.Events {
			out = append(out, ObjectEvent{Object: o, Event: &o.Events[j]})
		}
	}
	return out
}

// Event returns the named event of the named object, or nil.
func (d *Definition) Event(object, name string) *Event {
	o := d.Object(object)
	if o == nil {
		return nil
	}
	for i := range o.Events {
		if o.Events[i].Name == name {
			return &o.Events[i]
		}
	}
	return nil
}

// PollInterval is the event's default time between polls, or zero when the
// event does not poll or leaves it to the caller.
func (e *Event) PollInterval() time.Duration {
	if e.Polling == nil {
		return 0
	}
	d, _ := parseDuration(e.Polling.Interval)
	return d
}

// PollState is what a trigger remembers between polls. The zero value is a
// first poll: no "changed since" parameter is sent, so the API returns what
// it has. A runtime that wants only what changes from now on starts with
// Watermark set to the time the trigger was enabled (a baseline); APIs whose
// since input is required (Zendesk's export) need one.
type PollState struct {
	// Watermark is the newest record time seen so far, by the API's clock.
	Watermark time.Time
	// Cursor is the API's resumption token, for connectors that poll with
	// one; it is sent instead of the watermark once set.
	Cursor string
}

// PolledRecord is one record a poll found.
type PolledRecord struct {
	ID      string
	Created time.Time // zero when the record has no creation time
	Updated time.Time // zero when the record has no update time
	// Change is created or updated, per ClassifyChange.
	Change string
	// Record is the record as the API returned it, numbers as json.Number.
	Record map[string]any
}

// PollPage is what one response of a poll yielded.
type PollPage struct {
	// Records are the records the event reports, in the API's order.
	Records []PolledRecord
	// Next is the request for the rest of this poll, or nil when the
	// response was the last page.
	Next *Request
	// Watermark is the newest time among every record of the page,
	// reported or not; zero when none had a time.
	Watermark time.Time
	// Cursor is the resumption token the page carried, if any.
	Cursor string
}

// Advance returns the state after the page: the later watermark and the
// page's cursor when it has one. Persist it once every page of the poll is
// handled, so a poll cut short repeats rather than skips.
func (p *PollPage) Advance(s PollState) PollState {
	if p.Watermark.After(s.Watermark) {
		s.Watermark = p.Watermark
	}
	if p.Cursor != "" {
		s.Cursor = p.Cursor
	}
	return s
}

// ClassifyChange tells whether a record was created or updated since the
// watermark: created when its creation time is after the watermark or equals
// its update time (an untouched new record), updated otherwise. It returns ""
// when the record has neither time.
func ClassifyChange(created, updated, watermark time.Time) string {
	switch {
	case created.IsZero() && updated.IsZero():
		return ""
	case created.IsZero():
		return EventUpdated
	case updated.IsZero(), created.Equal(updated), created.After(watermark):
		return EventCreated
	}
	return EventUpdated
}

// polling returns the event and its polled operation.
func (d *Definition) polling(object, event string) (*Object, *Polling, *Operation, error) {
	o := d.Object(object)
	if o == nil {
		return nil, nil, nil, junction.NotFound("object " + object + " of connector " + d.Key)
	}
	e := d.Event(object, event)
	if e == nil {
		return nil, nil, nil, junction.NotFound("event " + event + " of object " + object)
	}
	if e.Polling == nil {
		return nil, nil, nil, junction.Errorf(junction.EINVALID, "event %s of object %s is delivered by webhook only", event, object)
	}
	op := pollOperation(d, o, e.Polling)
	if op == nil { // the validator rules this out
		return nil, nil, nil, junction.Internal(fmt.Errorf("connector %s: event %s.%s polls a missing operation", d.Key, object, event))
	}
	return o, e.Polling, op, nil
}

func pollOperation(d *Definition, o *Object, p *Polling) *Operation {
	if p.Activity != "" {
		if a := d.Activity(p.Activity); a != nil {
			return &a.Operation
		}
		return nil
	}
	name := p.Operation
	if name == "" {
		name = "list"
	}
	return o.Operations.ByName(name)
}

// BuildPoll builds the first request of a poll: the event's operation with
// the caller's input (owner and repo, a channel), the polling's fixed inputs,
// and the cursor or the watermark less the look-back, written the way the
// API reads it. Later pages come from PollRecords.
//
// It returns not_found for an unknown object or event, validation_failed for
// a webhook-only event, an input the polling sets itself, or what
// BuildOperation would refuse.
func (d *Definition) BuildPoll(c Credentials, object, event string, input map[string]any, state PollState) (*Request, error) {
	_, p, op, err := d.polling(object, event)
	if err != nil {
		return nil, err
	}
	conn, err := d.bind(c)
	if err != nil {
		return nil, err
	}
	in := make(map[string]any, len(input)+len(p.Inputs)+1)
	for k, v := range input {
		in[k] = v
	}
	set := func(name string, v any) error {
		if _, given := input[name]; given {
			return junction.Invalid("input."+name, "is set by the %s trigger and cannot be given", event)
		}
		in[name] = v
		return nil
	}
	for _, k := range sortedKeys(p.Inputs) {
		if err := set(k, p.Inputs[k]); err != nil {
			return nil, err
		}
	}
	switch {
	case state.Cursor != "" && p.Cursor != nil:
		if err := set(p.Cursor.Input, state.Cursor); err != nil {
			return nil, err
		}
	case !state.Watermark.IsZero() && p.Since != nil:
		v, err := sinceValue(p, op, state.Watermark, conn.public)
		if err != nil {
			return nil, err
		}
		if err := set(p.Since.Input, v); err != nil {
			return nil, err
		}
	}
	return conn.build(op, in)
}

// sinceValue writes the watermark, less the look-back, for the since input.
func sinceValue(p *Polling, op *Operation, watermark time.Time, public func(string) (string, bool)) (any, error) {
	s := p.Since
	loc, field, err := location(s.TimeZone, public)
	if err != nil {
		if field == "" {
			field = "polling.since.time_zone"
		}
		return nil, junction.Invalid(field, "%v", err)
	}
	lookback, _ := parseDuration(p.Lookback)
	v := formatTime(watermark.Add(-lookback), s.Format, loc)
	if s.Template != "" {
		text, _ := scalarText(v)
		v, _ = fillTemplate(s.Template, func(string) (string, bool) { return text, true })
		return v, nil
	}
	if in := findInput(op, s.Input); in != nil && in.Type == TypeString {
		text, _ := scalarText(v)
		return text, nil
	}
	return v, nil
}

// PollRecords reads one response of a poll begun by BuildPoll (req is the
// request that got resp, the first or a later page). It returns the records
// the event reports (creations for a created event, updates for an updated
// one, by ClassifyChange against state's watermark), skips records older
// than the watermark less the look-back, and builds the next page.
//
// Errors: connection_auth_failed when the API refused the credentials,
// provider_error for any other failure status, a body that is not JSON, or a
// record without its ID or with a time that does not parse.
func (d *Definition) PollRecords(object, event string, state PollState, req *Request, resp Response) (*PollPage, error) {
	o, p, _, err := d.polling(object, event)
	if err != nil {
		return nil, err
	}
	if d.IsAuthFailure(resp) {
		return nil, junction.Errorf(junction.ECONNAUTHFAILED, "%s refused the connection's credentials (status %d)", d.DisplayName, resp.StatusCode)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, junction.Errorf(junction.EPROVIDER, "%s answered the poll with status %d", d.DisplayName, resp.StatusCode)
	}
	doc, err := decodeJSON(resp.Body)
	if err != nil {
		return nil, junction.Errorf(junction.EPROVIDER, "poll response is not JSON")
	}
	recordsPath := ""
	if req != nil && req.op != nil {
		recordsPath = req.op.Records
	}
	v, ok := lookupPath(doc, recordsPath)
	if !ok || v == nil {
		v = []any{} // an empty page may leave the list out
	}
	list, ok := v.([]any)
	if !ok {
		return nil, junction.Errorf(junction.EPROVIDER, "poll response has no list of records at %q", recordsPath)
	}
	idPath := p.ID
	if idPath == "" {
		idPath = o.IDField
	}
	var createdLoc, updatedLoc *time.Location = time.UTC, time.UTC
	public := func(string) (string, bool) { return "", false }
	if req != nil && req.conn != nil {
		public = req.conn.public
	}
	for _, tf := range []struct {
		f   *TimeField
		loc **time.Location
	}{{p.Created, &createdLoc}, {p.Updated, &updatedLoc}} {
		if tf.f == nil {
			continue
		}
		loc, field, err := location(tf.f.TimeZone, public)
		if err != nil {
			if field == "" {
				field = "polling.time_zone"
			}
			return nil, junction.Invalid(field, "%v", err)
		}
		*tf.loc = loc
	}
	changes := p.Changes
	if len(changes) == 0 {
		switch event {
		case EventCreated:
			changes = []string{EventCreated}
		case EventUpdated:
			changes = []string{EventUpdated}
		default:
			changes = []string{EventCreated, EventUpdated}
		}
	}
	lookback, _ := parseDuration(p.Lookback)
	floor := time.Time{}
	if !state.Watermark.IsZero() {
		floor = state.Watermark.Add(-lookback)
	}

	page := &PollPage{}
	for i, item := range list {
		rec, ok := item.(map[string]any)
		if !ok {
			return nil, junction.Errorf(junction.EPROVIDER, "poll record %d is %s, not an object", i, typeName(item))
		}
		idv, ok := lookupPath(rec, idPath)
		id, isText := scalarText(idv)
		if !ok || !isText || id == "" {
			return nil, junction.Errorf(junction.EPROVIDER, "poll record %d has no ID at %q", i, idPath)
		}
		id = keptID(id)
		pr := PolledRecord{ID: id, Record: rec}
		if p.Created != nil {
			cv, _ := lookupPath(rec, p.Created.Path)
			if pr.Created, err = parseTime(cv, p.Created.Format, createdLoc); err != nil {
				return nil, junction.Errorf(junction.EPROVIDER, "poll record %s: %s %v", id, p.Created.Path, err)
			}
		}
		if p.Updated != nil {
			uv, _ := lookupPath(rec, p.Updated.Path)
			if pr.Updated, err = parseTime(uv, p.Updated.Format, updatedLoc); err != nil {
				return nil, junction.Errorf(junction.EPROVIDER, "poll record %s: %s %v", id, p.Updated.Path, err)
			}
		}
		latest := pr.Updated
		if pr.Created.After(latest) {
			latest = pr.Created
		}
		if latest.After(page.Watermark) {
			page.Watermark = latest
		}
		if !latest.IsZero() && latest.Before(floor) {
			continue
		}
		pr.Change = ClassifyChange(pr.Created, pr.Updated, state.Watermark)
		if pr.Change != "" && !slices.Contains(changes, pr.Change) {
			continue
		}
		page.Records = append(page.Records, pr)
	}
	if p.Cursor != nil {
		cv, _ := lookupPath(doc, p.Cursor.Path)
		page.Cursor, _ = scalarText(cv)
	}
	if req != nil {
		next, more, err := req.NextPage(resp)
		if err != nil {
			return nil, err
		}
		if more {
			page.Next = next
		}
	}
	return page, nil
}
