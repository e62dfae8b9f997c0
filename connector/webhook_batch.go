package connector

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"junction"
)

// MaxBatchEvents bounds the events one delivery may carry. Vendors batch
// far fewer (HubSpot up to 100, Microsoft Graph and Okta about as many); a
// delivery with more is refused rather than made into that many jobs.
const MaxBatchEvents = 1000

// ParseWebhookEvents reads a delivery: the handshake to answer, if the
// vendor is checking the endpoint (no events), or else the events it
// carries (a list, perhaps empty) and, when the connector declares one
// (Webhooks.Answer), the answer to give once they are stored. A
// connector without Webhooks.EventsPath reads one event per delivery; one
// with it, one per element of the batch, in order, each read as a whole
// delivery would be (its type, record, ID and event ID), with the element
// as its Payload. A batch may be empty (Xero's intent-to-receive check).
// Events whose vendor type no event claims, or of another account than the
// connection's (Webhooks.Account), are not Matched. Call it only once
// VerifyWebhookRequest has accepted the delivery.
//
// Errors: validation_failed when the connector receives no webhooks, the
// body is not JSON, the list of events is not a list or longer than
// MaxBatchEvents, or an event lacks the record or its ID where the
// connector says they are.
func (d *Definition) ParseWebhookEvents(c Credentials, req WebhookRequest) ([]*WebhookEvent, *HandshakeResponse, error) {
	wh, err := d.webhooks()
	if err != nil {
		return nil, nil, err
	}
	doc, err := wh.decodeBody(req.Body)
	if err != nil {
		return nil, nil, err
	}
	// A signed handshake (Slack's) is answered here too, for callers that
	// parse without asking AnswerHandshake first.
	req.Verified = true
	if hs, err := d.AnswerHandshake(c, req); hs != nil || err != nil {
		return nil, hs, err
	}
	fv := fieldValues{d, c}
	var answer *HandshakeResponse
	if wh.Answer != "" {
		answer = &HandshakeResponse{StatusCode: http.StatusOK, ContentType: "application/json", Body: []byte(wh.Answer)}
	}
	if wh.Signature != nil && wh.Signature.Scheme == SignatureSNS {
		inner, envelope, hs, err := d.snsDelivery(wh, fv, req, doc)
		if hs != nil || err != nil {
			return nil, hs, err
		}
		ev, err := d.parseEvent(wh, fv, req.Header, inner, []any{envelope})
		if err != nil {
			return nil, nil, err
		}
		ev.EventID = snsMessage(envelope).get("MessageId")
		return []*WebhookEvent{ev}, answer, nil
	}
	if wh.Signature != nil && wh.Signature.Scheme == SignaturePubSub {
		inner, id, err := pubsubEvent(doc)
		if err != nil {
			return nil, nil, err
		}
		ev, err := d.parseEvent(wh, fv, req.Header, inner, []any{doc})
		if err != nil {
			return nil, nil, err
		}
		ev.EventID = keptID(id)
		return []*WebhookEvent{ev}, answer, nil
	}
	if wh.EventsPath == "" {
		ev, err := d.parseEvent(wh, fv, req.Header, doc, nil)
		if err != nil {
			return nil, nil, err
		}
		return []*WebhookEvent{ev}, answer, nil
	}
	items, err := batchItems(doc, wh.EventsPath)
	if err != nil {
		return nil, nil, err
	}
	evs := make([]*WebhookEvent, len(items))
	for i, it := range items {
		if evs[i], err = d.parseEvent(wh, fv, req.Header, it.event, it.outer); err != nil {
			return nil, nil, err
		}
	}
	return evs, answer, nil
}

// batchItem is one event of a batch with the elements that enclose it,
// innermost first, the whole body last.
type batchItem struct {
	event any
	outer []any
}

// batchItems lists the events of a batch at path, whose "[*]" steps
// flatten nested lists. A list that is missing or null holds no events.
func batchItems(doc any, path string) ([]batchItem, error) {
	parts := strings.Split(path, "[*]")
	cur := []batchItem{{event: doc}}
	for i, part := range parts {
		if i > 0 && part == "" {
			continue // a trailing [*] adds nothing: the last list is the events
		}
		part = strings.TrimPrefix(part, ".")
		var next []batchItem
		for _, n := range cur {
			v, ok := lookupPath(n.event, part)
			if !ok || v == nil {
				continue
			}
			list, ok := v.([]any)
			if !ok {
				return nil, junction.Invalid("body."+path, "the webhook's list of events is not a list")
			}
			outer := append([]any{n.event}, n.outer...)
			for _, e := range list {
				next = append(next, batchItem{event: e, outer: outer})
			}
			if len(next) > MaxBatchEvents {
				return nil, junction.Invalid("body."+path, "the webhook carries more than %d events", MaxBatchEvents)
			}
		}
		cur = next
	}
	return cur, nil
}

// ofAccount reports whether an event belongs to the connection's account,
// per the connector's Webhooks.Account: true when the connector names no
// account or the connection leaves its field empty.
func ofAccount(a *WebhookAccount, fv fieldValues, doc any, outer []any) bool {
	if a == nil {
		return true
	}
	want, ok := fv.public(a.Field)
	if !ok {
		return true
	}
	for _, scope := range append([]any{doc}, outer...) {
		if v, ok := lookupPath(scope, a.Path); ok && v != nil {
			got, _ := scalarText(v)
			return got == want
		}
	}
	return false
}

// verifyBodyToken checks the body_token scheme: every event of the
// delivery carries the shared secret at the signature's path (Microsoft
// Graph's clientState,
// https://learn.microsoft.com/graph/change-notifications-delivery-webhooks#receive-notifications).
// An empty batch carries none and needs none.
func verifyBodyToken(wh *Webhooks, secret junction.Secret, body []byte) error {
	path := wh.Signature.Path
	doc, err := decodeJSON(body)
	if err != nil {
		return unauthenticated("body", "the webhook body is not JSON")
	}
	events := []any{doc}
	if wh.EventsPath != "" {
		items, err := batchItems(doc, wh.EventsPath)
		if err != nil {
			return unauthenticated("body."+wh.EventsPath, "%s", junction.ErrorMessage(err))
		}
		events = events[:0]
		for _, it := range items {
			events = append(events, it.event)
		}
	}
	want := sha256.Sum256([]byte(secret.Reveal()))
	for _, ev := range events {
		v, _ := lookupPath(ev, path)
		s, _ := scalarText(v)
		if s == "" {
			return unauthenticated("body."+path, "an event of the webhook has no %s", path)
		}
		got := sha256.Sum256([]byte(s))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return unauthenticated("body."+path, "an event's %s does not match", path)
		}
	}
	return nil
}

// batchWebhooks checks the attributes of a batched delivery and of the
// account scope.
func (v *validator) batchWebhooks(p string, wh *Webhooks) {
	v.webhookFormat(p, wh)
	v.handshakeKeep(p, wh)
	if wh.EventsPath != "" {
		for _, part := range strings.Split(wh.EventsPath, "[*]") {
			if part = strings.TrimPrefix(part, "."); part != "" {
				v.jsonPath(p+".events_path", part, false)
			}
		}
		if wh.EventID.Header != "" {
			v.add(p+".event_id.header", "does not apply to a batch: a header identifies the delivery, not each event; use event_id.path")
		}
	}
	if a := wh.Account; a != nil {
		v.jsonPath(p+".account.path", a.Path, true)
		switch f, ok := v.anyField(a.Field); {
		case a.Field == "":
			v.add(p+".account.field", "is required: the connection field that holds the account's ID")
		case !ok:
			v.add(p+".account.field", "refers to undeclared field %q", a.Field)
		case f.Type == FieldSecret:
			v.add(p+".account.field", "field %q must not be a secret", a.Field)
		}
	}
	et := wh.EventType
	if len(et.Paths) > 0 {
		if et.Path != "" {
			v.add(p+".event_type.paths", "give path or paths, not both")
		}
		for i, path := range et.Paths {
			v.jsonPath(fmt.Sprintf("%s.event_type.paths[%d]", p, i), path, true)
		}
	}
	if s := wh.Signature; s != nil && s.KeyField != "" && s.Scheme != SignatureEd25519 && s.Scheme != SignaturePubSub {
		v.add(p+".signature.key_field", "applies only to the ed25519 scheme")
	}
	for i := range wh.Handshake {
		if wh.Handshake[i].Signed && wh.Signature == nil {
			v.add(fmt.Sprintf("%s.handshake[%d].signed", p, i), "needs the connector's signature to verify the handshake")
		}
	}
	if wh.Answer != "" && !json.Valid([]byte(wh.Answer)) {
		v.add(p+".answer", "must be JSON")
	}
	if s := wh.Signature; s != nil && s.Scheme == SignatureBodyToken {
		v.jsonPath(p+".signature.path", s.Path, true)
	} else if s != nil && s.Path != "" && s.Scheme != SignaturePubSub {
		v.add(p+".signature.path", "applies only to the body_token scheme")
	}
}

// bodyTokenSignature rejects the attributes that describe a header
// signature: the body_token scheme's secret is in the body, at its path.
func (v *validator) bodyTokenSignature(sp string, s *WebhookSignature) {
	for _, c := range []struct {
		attr string
		set  bool
	}{
		{"header", s.Header != ""}, {"prefix", s.Prefix != ""}, {"params", s.Params != nil},
		{"encoding", s.Encoding != ""}, {"payload", s.Payload != ""}, {"timestamp", s.Timestamp != nil},
	} {
		if c.set {
			v.add(sp+"."+c.attr, "does not apply to the body_token scheme, whose secret is in the body")
		}
	}
}
