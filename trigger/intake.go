package trigger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/connector"
	"junction/engine"
)

// MaxWebhookBody is the largest webhook body Intake accepts; the HTTP
// handler should refuse larger ones before reading them whole.
const MaxWebhookBody = 1 << 20

// Response is what the HTTP handler answers the vendor with.
type Response struct {
	StatusCode  int
	ContentType string
	// Header holds headers a handshake's answer carries (Asana's
	// X-Hook-Secret); nil for most.
	Header http.Header
	Body   []byte
}

// WebhookRequest is the request a vendor sent to a trigger's URL: its method
// (POST when empty), query, headers and raw body.
type WebhookRequest = connector.WebhookRequest

var accepted = &Response{StatusCode: http.StatusOK, ContentType: "application/json", Body: []byte(`{"status":"accepted"}` + "\n")}

// Intake takes in one webhook delivery sent to a trigger's URL, whose last
// path segment is token. It finds the trigger by the token's hash, verifies
// the delivery's signature with the connection's signing secret, and
// either answers the vendor's handshake or fires the trigger with the
// event before returning success: the filter runs, and the job made (or the
// skip) is stored with its history entry and, for a webhook target, the
// fallback queue job that delivers it should this server not (see
// firstDeliveries), in one transaction that events received at the same
// time share. A 2xx therefore means the job exists and will be delivered
// even if this server dies the next instant. This server makes the first
// delivery attempt once the transaction has committed.
//
// Earlier versions stored the event first and fired the trigger from a
// queue job; that cost the single SQLite writer two more writes per event
// (the stored event, then marking it processed) and a third transaction.
//
// Deliveries that are not for the trigger's event (a GitHub ping, another
// event type sent to the same URL), and deliveries to a disabled trigger,
// are acknowledged and dropped.
//
// A delivery that batches events (HubSpot's, Okta's, Microsoft Graph's;
// see connector.Definition.ParseWebhookEvents) fires the trigger once per
// event that is for it, all in one transaction: a 2xx means every job
// exists. Events without an ID of their own are identified by the body's
// hash and their position in the batch.
//
// An event is identified by the vendor's own ID of it where the connector
// declares one (connector.Webhooks.EventID), else by the hash of the body:
// a repeat (a vendor's retry or redelivery, re-serialised or not, to this
// server or another sharing the database) makes no second job, since the
// job's idempotency key is unique per trigger in the database. It is
// acknowledged like the first, so the vendor stops sending it, and
// recorded in the history as duplicate.
//
// The vendor's unsigned ping when a webhook is saved (WooCommerce's; see
// connector.Webhooks.Ping) is answered, makes no job, and is recorded in
// the history as ping, once a minute at most; any other unsigned delivery
// is refused.
//
// A GET or HEAD answers only a handshake the connector declares, on a
// disabled trigger too (a vendor checks the URL before the trigger is
// switched on); anything else is EMETHODNOTALLOWED. A POSTed handshake is
// answered only while the trigger is enabled.
//
// Errors, as *junction.Error: ENOTFOUND for an unknown token, or one a
// rotation retired (answer 404); EUNAUTHENTICATED for a missing or bad
// signature or a stale timestamp (answer 401; counted in the trigger's
// history, one rejected_signature record per minute, but not towards
// disabling it, since anyone can send one); ETOOLARGE for a body over
// MaxWebhookBody; EINVALID for a body the connector cannot read (recorded
// as failed); anything else is internal (answer 5xx so the vendor
// retries).
func (r *Runtime) Intake(ctx context.Context, token string, d WebhookRequest) (*Response, error) {
	resp, err := r.intake(ctx, token, d)
	r.metrics.intake.WithLabelValues(intakeResult(err)).Inc()
	return resp, err
}

func intakeResult(err error) string {
	switch junction.ErrorCode(err) {
	case "":
		return intakeAccepted
	case junction.EUNAUTHENTICATED:
		return intakeBadSignature
	case junction.ETOOLARGE:
		return intakeTooLarge
	case junction.EINVALID, junction.EMETHODNOTALLOWED:
		return intakeInvalid
	case junction.ENOTFOUND:
		return intakeNotFound
	}
	return intakeError
}

// intake is Intake without the metrics.
func (r *Runtime) intake(ctx context.Context, token string, d WebhookRequest) (*Response, error) {
	body := d.Body
	if token == "" {
		return nil, junction.NotFound("trigger")
	}
	if len(body) > MaxWebhookBody {
		return nil, junction.Errorf(junction.ETOOLARGE, "the webhook body is larger than %d bytes", MaxWebhookBody)
	}
	hash := HashWebhookToken(token)
	t, err := r.store.GetTriggerByTokenHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	if t.Kind != junction.TriggerWebhook || !t.AcceptsWebhookToken(hash, r.clock.Now()) {
		return nil, junction.NotFound("trigger")
	}
	post := d.Method == "" || d.Method == http.MethodPost
	if !t.Enabled && post {
		return accepted, nil
	}
	// The connection with its folder is what executions read, and what
	// the store keeps in memory.
	conn, _, err := r.store.GetConnectionWithFolder(ctx, t.TenantID, t.ConnectionID)
	if err != nil {
		return nil, err
	}
	kept, err := r.handshakeSecret(ctx, t)
	if err != nil {
		return nil, err
	}
	evs, hs, err := r.engine.ReceiveWebhook(ctx, engine.WebhookDelivery{Connection: conn,
		Method: d.Method, URL: d.URL, Query: d.Query, Header: d.Header, Body: body, HandshakeSecret: kept})
	if err != nil {
		if rerr := r.recordRefused(ctx, t, err); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	if hs != nil && hs.Ping {
		if err := r.recordPing(ctx, t); err != nil {
			return nil, err
		}
	}
	if hs != nil && !hs.Kept.IsZero() {
		if err := r.keepHandshakeSecret(ctx, t, hs.Kept); err != nil {
			return nil, err
		}
	}
	answer := accepted
	if hs != nil {
		answer = &Response{StatusCode: hs.StatusCode, ContentType: hs.ContentType, Header: hs.Header, Body: hs.Body}
	}
	if evs == nil { // a handshake
		return answer, nil
	}
	now := r.clock.Now()
	var fired []event
	for i, ev := range evs {
		if !ev.Matched() || ev.Object != t.Object || ev.Event != t.Event {
			continue
		}
		key := webhookKey(ev.EventID, body)
		if len(evs) > 1 && ev.EventID == "" {
			key = batchKey(body, i)
		}
		fired = append(fired, event{
			vars: eventVars{Event: t.Event, Object: t.Object, ObjectID: ev.ObjectID, VendorType: ev.VendorType,
				Record: ev.Record, Payload: ev.Payload},
			key:            key,
			jobID:          junction.NewID(),
			at:             now,
			callerDelivers: true,
			recordRepeat:   true,
		})
	}
	if len(fired) == 0 {
		return answer, nil
	}
	if err := r.writes.fire(ctx, r, t, fired...); err != nil {
		return nil, err
	}
	r.count(t.TenantID, t.FolderID, t.Connector, t.ConnectionID, junction.UsageCounts{TriggerEvents: int64(len(fired))})
	return answer, nil
}

// recordPing records the vendor's ping in the trigger's history, once a
// minute at most: a ping needs no signature, so anyone holding the URL can
// send them, and a row each would let them fill the database.
func (r *Runtime) recordPing(ctx context.Context, t *junction.Trigger) error {
	now := r.clock.Now()
	seen, err := r.store.ListTriggerRecords(ctx, t.TenantID, junction.TriggerRecordFilter{TriggerID: t.ID,
		Status: junction.TriggerPing, Since: now.Truncate(time.Minute), Page: junction.Page{Limit: 1}})
	if err != nil || len(seen) > 0 {
		return err
	}
	rec := &junction.TriggerRecord{TenantID: t.TenantID, TriggerID: t.ID, FolderID: t.FolderID, At: now,
		Status: junction.TriggerPing, EventType: t.Event,
		Reason: "the vendor's unsigned ping when its webhook was saved: answered, no job"}
	if err := r.store.AppendTriggerRecord(ctx, rec); err != nil {
		return err
	}
	r.metrics.events.WithLabelValues(outcomeLabel(rec.Status)).Inc()
	return nil
}

// recordRefused records a delivery the engine refused. A refused
// signature is counted into the trigger's rejected_signature record of the
// minute, through the shared transactions, so that a flood of forged
// deliveries adds neither rows nor transactions of its own; a body the
// connector cannot read came signed by the vendor and is recorded as
// failed.
func (r *Runtime) recordRefused(ctx context.Context, t *junction.Trigger, refused error) error {
	now := r.clock.Now()
	rec := &junction.TriggerRecord{TenantID: t.TenantID, TriggerID: t.ID, FolderID: t.FolderID, At: now,
		EventType: t.Event, Reason: "delivery refused: " + junction.ErrorMessage(refused)}
	var err error
	switch junction.ErrorCode(refused) {
	case junction.EUNAUTHENTICATED:
		rec.Status, rec.At = junction.TriggerRejectedSignature, now.Truncate(time.Minute)
		err = r.writes.do(ctx, r, func(ctx context.Context, s junction.Store) error {
			return s.TallyTriggerRecord(ctx, rec)
		})
	case junction.EINVALID:
		rec.Status = junction.TriggerFailed
		err = r.store.AppendTriggerRecord(ctx, rec)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	r.metrics.events.WithLabelValues(outcomeLabel(rec.Status)).Inc()
	return nil
}

// maxKeyEventID bounds the vendor event IDs used in an idempotency key as
// they are; a longer one, or one with characters a header cannot carry
// (the key is sent with each delivery), is hashed.
const maxKeyEventID = 128

// webhookKey is the idempotency key of a webhook event: the vendor's event
// ID when the delivery has one, else the SHA-256 of the body.
func webhookKey(eventID string, body []byte) string {
	if eventID == "" {
		sum := sha256.Sum256(body)
		return "webhook:" + hex.EncodeToString(sum[:])
	}
	if len(eventID) <= maxKeyEventID && !strings.ContainsFunc(eventID, func(c rune) bool { return c <= ' ' || c >= 0x7f }) {
		return "webhook-id:" + eventID
	}
	sum := sha256.Sum256([]byte(eventID))
	return "webhook-id-sha256:" + hex.EncodeToString(sum[:])
}

// batchKey is the idempotency key of the i-th event of a batched delivery
// that gives events no ID of their own: the body's hash and the position,
// so that a retry of the delivery makes no second job for any of them.
func batchKey(body []byte, i int) string {
	sum := sha256.Sum256(body)
	return "webhook:" + hex.EncodeToString(sum[:]) + ":" + strconv.Itoa(i)
}

// webhookPayload is what a TriggerEvent keeps of a delivery: what the
// connector read from it, headers included, so processing needs neither
// the headers nor the connector again.
//
// Events are no longer stored (Intake fires the trigger at once); the
// types and workers below remain so that a server works off the events an
// earlier version stored and queued, and a database left by one is
// drained.
type webhookPayload struct {
	VendorType string         `json:"vendor_type,omitempty"`
	Record     map[string]any `json:"record,omitempty"`
	Payload    any            `json:"payload,omitempty"`
}

// eventArgs processes one stored webhook event (see webhookPayload).
type eventArgs struct {
	TenantID string `json:"tenant_id"`
	EventID  string `json:"event_id"`
}

func (eventArgs) Kind() string { return KindWebhookEvent }

func (eventArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// eventsArgs processes webhook events stored together (a shared
// transaction of Intake); a single event gets an eventArgs job, which a
// server that does not know this kind works too.
type eventsArgs struct {
	Events []eventArgs `json:"events"`
}

func (eventsArgs) Kind() string { return KindWebhookEvents }

func (eventsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

type eventWorker struct {
	river.WorkerDefaults[eventArgs]
	r *Runtime
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[eventArgs]) error {
	return w.r.processEvents(ctx, []eventArgs{job.Args})
}

type eventsWorker struct {
	river.WorkerDefaults[eventsArgs]
	r *Runtime
}

func (w *eventsWorker) Work(ctx context.Context, job *river.Job[eventsArgs]) error {
	return w.r.processEvents(ctx, job.Args.Events)
}

// processEvents fires the triggers with stored webhook events and marks
// them processed, in one transaction (shared with other writes, see
// txBatcher), then makes the first attempt to deliver the jobs made for
// webhook targets (see deliverNow). Run again after a crash, it finds the
// jobs made already (same idempotency key) or the events marked processed,
// and delivers the jobs no attempt was recorded for.
func (r *Runtime) processEvents(ctx context.Context, refs []eventArgs) error {
	type pending struct {
		te *junction.TriggerEvent
		t  *junction.Trigger
		ev event
	}
	var (
		todo     []pending
		deliver  []pending
		triggers = map[string]*junction.Trigger{}
	)
	for _, ref := range refs {
		te, err := r.store.GetTriggerEvent(ctx, ref.TenantID, ref.EventID)
		if junction.IsCode(err, junction.ENOTFOUND) {
			continue // the trigger was deleted
		}
		if err != nil {
			return err
		}
		t := triggers[te.TriggerID]
		if t == nil {
			t, err = r.store.GetTrigger(ctx, te.TenantID, te.TriggerID)
			if junction.IsCode(err, junction.ENOTFOUND) {
				continue
			}
			if err != nil {
				return err
			}
			triggers[te.TriggerID] = t
		}
		p := pending{te: te, t: t}
		// Run again, the trigger may have been disabled or given another
		// target since it made a job, which must then fail rather than
		// wait.
		if t.Target.Type == junction.TargetWebhook || te.ProcessedAt != nil {
			deliver = append(deliver, p)
		}
		if te.ProcessedAt != nil {
			continue
		}
		var pl webhookPayload
		dec := json.NewDecoder(bytes.NewReader(te.Payload))
		dec.UseNumber()
		if err := dec.Decode(&pl); err != nil {
			return junction.Internal(err)
		}
		p.ev = event{
			vars: eventVars{Event: t.Event, Object: t.Object, ObjectID: te.ObjectID, VendorType: pl.VendorType,
				Record: pl.Record, Payload: pl.Payload},
			key:            te.IdempotencyKey,
			jobID:          te.ID,
			at:             te.ReceivedAt,
			callerDelivers: true,
		}
		todo = append(todo, p)
	}
	if len(todo) > 0 {
		var tl tally
		err := r.writes.do(ctx, r, func(ctx context.Context, s junction.Store) error {
			tl = nil
			for _, p := range todo {
				if p.t.Enabled {
					if _, err := r.fire(ctx, s, p.t, p.ev, &tl); err != nil {
						return err
					}
					if p.t.Target.Type == junction.TargetQueue {
						if err := r.success(ctx, s, p.t); err != nil {
							return err
						}
					}
				}
				if err := s.MarkTriggerEventProcessed(ctx, p.te.TenantID, p.te.ID, r.clock.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.metrics.count(tl)
	}
	// The job an event made has the event's ID; a repeated event made
	// none (the job of its first delivery exists), and finds nothing.
	jobs := make([]jobRef, len(deliver))
	for i, p := range deliver {
		jobs[i] = jobRef{TenantID: p.te.TenantID, JobID: p.te.ID}
	}
	return r.deliverFirst(ctx, jobs)
}
