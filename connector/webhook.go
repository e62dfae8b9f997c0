package connector

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"junction"
)

// WebhookEvent is what one webhook delivery means.
type WebhookEvent struct {
	// Object and Event name the object event the delivery maps to. Both
	// are empty when no event of the connector claims the vendor type (a
	// GitHub ping, a Stripe event type nobody subscribed to): the delivery
	// is to be acknowledged and dropped.
	Object string
	Event  string
	// VendorType is the event type as the vendor wrote it ("issues.opened",
	// "customer.created"); empty when the connector reads none.
	VendorType string
	// ObjectID is the record's ID as text; empty when the connector names
	// no ID path (the generic webhook connector, unconfigured).
	ObjectID string
	// Record is the object inside the payload, numbers as json.Number; nil
	// when the payload is not a JSON object.
	Record map[string]any
	// Payload is the whole decoded body.
	Payload any
	// EventID is the vendor's ID of the event or delivery, read per the
	// connector's event_id (Webhooks.EventID); empty when it declares
	// none or the delivery lacks it. At most MaxEventIDLen bytes.
	EventID string
}

// MaxEventIDLen bounds WebhookEvent.EventID: vendors' IDs are far
// shorter, and a longer one is refused rather than stored.
const MaxEventIDLen = 256

// Matched reports whether the delivery maps to an object event.
func (e *WebhookEvent) Matched() bool { return e.Object != "" }

// HandshakeResponse is what to answer a vendor's handshake with, instead of
// delivering an event.
type HandshakeResponse struct {
	StatusCode  int
	ContentType string
	// Header holds the headers the answer carries besides Content-Type
	// (Asana's X-Hook-Secret); nil for most.
	Header http.Header
	Body   []byte
	// Kept is the secret a handshake rule with keep handed over, for the
	// caller to keep sealed for the trigger; zero for most handshakes.
	Kept junction.Secret
	// Ping says the request was the vendor's unsigned ping (Webhooks.Ping):
	// answered so the vendor saves its webhook, and firing nothing.
	Ping bool
}

// fieldValues reads a connection's field values for webhook templates
// without binding an auth scheme: receiving needs none of the credentials
// that sending does.
type fieldValues struct {
	d *Definition
	c Credentials
}

func (f fieldValues) field(name string) (Field, bool) {
	for _, fl := range f.d.Fields {
		if fl.Name == name {
			return fl, true
		}
	}
	for i := range f.d.Auth {
		for _, fl := range f.d.Auth[i].Fields {
			if fl.Name == name {
				return fl, true
			}
		}
	}
	return Field{}, false
}

func (f fieldValues) public(name string) (string, bool) {
	fl, ok := f.field(name)
	if !ok || fl.Type == FieldSecret {
		return "", false
	}
	v := f.c.Fields[name]
	if v == "" {
		v = fl.Default
	}
	return v, v != ""
}

func (f fieldValues) fill(tmpl string) string {
	s, _ := fillTemplate(tmpl, f.public)
	return s
}

// fillExcept fills the template but leaves the named placeholders as they
// are, for a later pass to fill.
func (f fieldValues) fillExcept(tmpl string, keep ...string) string {
	s, _ := fillTemplate(tmpl, func(name string) (string, bool) {
		if slices.Contains(keep, name) {
			return "{" + name + "}", true
		}
		return f.public(name)
	})
	return s
}

func (d *Definition) webhooks() (*Webhooks, error) {
	if d.Webhooks == nil {
		return nil, junction.Errorf(junction.EINVALID, "connector %s receives no webhooks", d.Key)
	}
	return d.Webhooks, nil
}

// unauthenticated is the error for a delivery that fails verification. The
// message says what was wrong with the request, never what was expected.
func unauthenticated(field, format string, args ...any) error {
	return &junction.Error{Code: junction.EUNAUTHENTICATED, Field: field, Message: fmt.Sprintf(format, args...)}
}

// VerifyWebhook checks that a delivery was signed with the connection's
// signing secret (Credentials.Secrets under the signature's secret_field)
// and, where the vendor timestamps deliveries, that it was signed within the
// tolerance of now. Signatures are compared in constant time.
//
// It returns nil when the connector declares no signature, or declares an
// optional one the connection has no secret for. Errors: unauthenticated for
// a missing or malformed signature or timestamp, a stale timestamp, or a
// signature that does not match; validation_failed when the connector
// receives no webhooks or the connection lacks a required secret. No error
// carries the secret or the expected signature.
//
// A signature that covers the request line (a payload naming {method} or
// {url}) needs VerifyWebhookRequest.
func (d *Definition) VerifyWebhook(c Credentials, header http.Header, body []byte, now time.Time) error {
	return d.VerifyWebhookRequest(c, WebhookRequest{Header: header, Body: body}, now)
}

// VerifyWebhookRequest is VerifyWebhook given the whole request: its
// method and the URL it was sent to, which some vendors sign too.
func (d *Definition) VerifyWebhookRequest(c Credentials, req WebhookRequest, now time.Time) error {
	header, body := req.Header, req.Body
	wh, err := d.webhooks()
	if err != nil {
		return err
	}
	sig := wh.Signature
	if sig == nil {
		return nil
	}
	if sig.Scheme == SignatureSNS {
		return verifySNS(req)
	}
	fv := fieldValues{d, c}
	if sig.Scheme == SignaturePubSub {
		return verifyPubSub(d, fv, sig, req)
	}
	var (
		secret    junction.Secret
		publicKey ed25519.PublicKey
	)
	if sig.Scheme == SignatureEd25519 {
		if publicKey, err = ed25519Key(d, fv, sig); publicKey == nil {
			return err
		}
	} else if sig.HandshakeSecret {
		if secret = req.HandshakeSecret; secret.IsZero() {
			return unauthenticated("header."+fv.fill(sig.Header), "no handshake has handed over the secret that verifies this hook's deliveries")
		}
	} else if secret = c.Secrets[sig.SecretField]; secret.IsZero() {
		if sig.Optional {
			return nil
		}
		return junction.Invalid("fields."+sig.SecretField, "is required to verify %s webhooks", d.DisplayName)
	}
	switch sig.Scheme {
	case SignatureMailgun:
		return verifyMailgun(secret, sig, body, now)
	case SignatureBodyToken:
		return verifyBodyToken(wh, secret, body)
	}
	name := fv.fill(sig.Header)
	hfield := "header." + name
	raw := strings.TrimSpace(strings.Join(header.Values(name), ","))
	if raw == "" {
		return unauthenticated(hfield, "the webhook has no %s header", name)
	}

	var candidates []string
	var tsRaw string
	if pp := sig.Params; pp != nil {
		sep := pp.Separator
		if sep == "" {
			sep = ","
		}
		for _, part := range strings.Split(raw, sep) {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				continue
			}
			switch k {
			case pp.Signature:
				candidates = append(candidates, v)
			case pp.Timestamp:
				if pp.Timestamp != "" {
					tsRaw = v
				}
			}
		}
		if len(candidates) == 0 {
			return unauthenticated(hfield, "the %s header has no %s signature", name, pp.Signature)
		}
	} else {
		v := raw
		if prefix := fv.fill(sig.Prefix); prefix != "" {
			if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
				return unauthenticated(hfield, "the %s header does not start with %q", name, prefix)
			}
			v = v[len(prefix):]
		}
		candidates = []string{v}
	}

	if ts := sig.Timestamp; ts != nil {
		tfield := hfield
		if ts.Header != "" {
			tname := fv.fill(ts.Header)
			tfield = "header." + tname
			tsRaw = strings.TrimSpace(header.Get(tname))
		}
		if tsRaw == "" {
			return unauthenticated(tfield, "the webhook has no signature timestamp")
		}
		format := ts.Format
		if format == "" {
			format = TimeUnix
		}
		at, err := parseTime(tsRaw, format, time.UTC)
		if err != nil || at.IsZero() {
			return unauthenticated(tfield, "the signature timestamp is not a %s time", format)
		}
		if tol, _ := parseDuration(ts.Tolerance); tol > 0 {
			if skew := now.Sub(at); skew > tol || skew < -tol {
				return unauthenticated(tfield, "the signature timestamp is more than %s from now", tol)
			}
		}
	}

	parts := map[string]string{"timestamp": tsRaw, "method": req.method(), "url": req.URL}
	switch sig.Scheme {
	case SignatureToken:
		want := sha256.Sum256([]byte(secret.Reveal()))
		for _, cand := range candidates {
			got := sha256.Sum256([]byte(cand))
			if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
				return nil
			}
		}
	case SignatureHMACSHA256, SignatureHMACSHA1:
		newHash := sha256.New
		if sig.Scheme == SignatureHMACSHA1 {
			newHash = sha1.New
		}
		mac := signedMAC(newHash, secret, fv.fillExcept(sig.Payload, signedParts...), parts, body)
		for _, cand := range candidates {
			if got, ok := decodeMAC(cand, sig.Encoding); ok && hmac.Equal(got, mac) {
				return nil
			}
		}
	case SignatureEd25519:
		msg := signedMessage(fv.fillExcept(sig.Payload, signedParts...), parts, body)
		for _, cand := range candidates {
			if got, ok := decodeMAC(cand, sig.Encoding); ok && len(got) == ed25519.SignatureSize && ed25519.Verify(publicKey, msg, got) {
				return nil
			}
		}
	default: // the validator rules this out
		return junction.Internal(fmt.Errorf("connector %s: unknown signature scheme %q", d.Key, sig.Scheme))
	}
	return unauthenticated(hfield, "the webhook signature does not match")
}

// signedParts are the placeholders a signature's payload may name besides
// the connection's public fields.
var signedParts = []string{"body", "timestamp", "method", "url"}

// signedMAC computes the MAC over the payload template filled with the
// raw body and the parts of the request as received (the timestamp, the
// method, the URL).
func signedMAC(newHash func() hash.Hash, secret junction.Secret, payload string, parts map[string]string, body []byte) []byte {
	m := hmac.New(newHash, []byte(secret.Reveal()))
	writeSigned(m, payload, parts, body)
	return m.Sum(nil)
}

// signedMessage is what signedMAC computes the MAC over, for signatures
// made over the message itself (Ed25519).
func signedMessage(payload string, parts map[string]string, body []byte) []byte {
	var b bytes.Buffer
	writeSigned(&b, payload, parts, body)
	return b.Bytes()
}

func writeSigned(m io.Writer, payload string, parts map[string]string, body []byte) {
	if payload == "" {
		payload = "{body}"
	}
	rest := payload
	for rest != "" {
		loc := placeholderRE.FindStringSubmatchIndex(rest)
		if loc == nil {
			m.Write([]byte(rest))
			break
		}
		m.Write([]byte(rest[:loc[0]]))
		if name := rest[loc[2]:loc[3]]; name == "body" {
			m.Write(body)
		} else {
			m.Write([]byte(parts[name]))
		}
		rest = rest[loc[1]:]
	}
}

func decodeMAC(s, encoding string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if encoding == "base64" {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				return b, true
			}
		}
		return nil, false
	}
	b, err := hex.DecodeString(s)
	return b, err == nil
}

// ParseWebhook reads a delivery: the handshake to answer, if the vendor is
// checking the endpoint, or else the object event it means. Call it only
// once VerifyWebhook has accepted the delivery.
//
// A delivery whose vendor type no event claims gives a WebhookEvent that is
// not Matched. Errors: validation_failed when the connector receives no
// webhooks or delivers events in batches (read those with
// ParseWebhookEvents), the body is not JSON, or the payload lacks the
// record or its ID where the connector says they are.
func (d *Definition) ParseWebhook(c Credentials, header http.Header, body []byte) (*WebhookEvent, *HandshakeResponse, error) {
	wh, err := d.webhooks()
	if err != nil {
		return nil, nil, err
	}
	if wh.EventsPath != "" {
		return nil, nil, junction.Invalid("webhooks.events_path", "%s delivers events in batches; read them with ParseWebhookEvents", d.DisplayName)
	}
	evs, hs, err := d.ParseWebhookEvents(c, WebhookRequest{Header: header, Body: body})
	if err != nil || evs == nil {
		return nil, hs, err
	}
	return evs[0], nil, nil
}

// parseEvent reads one event: the whole delivery, or one element of a
// batch (doc) with the elements that enclose it, innermost first (outer).
func (d *Definition) parseEvent(wh *Webhooks, fv fieldValues, header http.Header, doc any, outer []any) (*WebhookEvent, error) {
	ev := &WebhookEvent{Payload: doc, VendorType: vendorType(wh.EventType, fv, header, doc)}
	var err error
	if ev.EventID, err = eventID(wh.EventID, fv, header, doc); err != nil {
		return nil, err
	}
	if !ofAccount(wh.Account, fv, doc, outer) {
		return ev, nil
	}
	oe := d.webhookEvent(ev.VendorType)
	if oe.Event == nil {
		return ev, nil
	}
	ev.Object, ev.Event = oe.Object.Name, oe.Event.Name

	recordPath := oe.Event.Webhook.Record
	if recordPath == "" {
		recordPath = fv.fill(wh.Record)
	}
	if _, err := parsePath(recordPath); err != nil {
		return nil, junction.Invalid(fieldOf(wh.Record, "webhooks.record"), "invalid JSON path: %v", err)
	}
	whole := recordPath == "" || recordPath == "$"
	rv, ok := lookupPath(doc, recordPath)
	rec, isObj := rv.(map[string]any)
	if !whole && (!ok || !isObj) {
		return nil, junction.Invalid("body."+recordPath, "the %s payload has no %s object here", ev.VendorType, oe.Object.Name)
	}
	ev.Record = rec

	idPath := oe.Event.Webhook.ID
	if idPath == "" {
		idPath = fv.fill(wh.ID)
	}
	if idPath == "" {
		idPath = oe.Object.IDField
	}
	if idPath != "" {
		if _, err := parsePath(idPath); err != nil {
			return nil, junction.Invalid(fieldOf(wh.ID, "webhooks.id"), "invalid JSON path: %v", err)
		}
		// The whole event may be the ID itself: Dropbox lists changed
		// accounts as bare strings, read with record and id "$".
		iv, found := lookupPath(rv, idPath)
		id, ok := scalarText(iv)
		if !found || !ok || id == "" || (rec == nil && !whole) {
			return nil, junction.Invalid("body."+idPath, "the %s payload has no %s ID here", ev.VendorType, oe.Object.Name)
		}
		ev.ObjectID = keptID(id)
	}
	return ev, nil
}

// eventID reads the delivery's own ID per the connector's event_id: the
// header when the delivery has it, else the JSON path. Absent is not an
// error (the body's hash stands in); an ID that is not a scalar, or too
// long to be one, is.
func eventID(ei WebhookEventID, fv fieldValues, header http.Header, doc any) (string, error) {
	id, field := "", ""
	if name := fv.fill(ei.Header); name != "" {
		id, field = strings.TrimSpace(header.Get(name)), "header."+name
	}
	if path := fv.fill(ei.Path); id == "" && path != "" {
		if _, err := parsePath(path); err != nil {
			return "", junction.Invalid(fieldOf(ei.Path, "webhooks.event_id.path"), "invalid JSON path: %v", err)
		}
		v, ok := lookupPath(doc, path)
		if !ok || v == nil {
			return "", nil
		}
		s, ok := scalarText(v)
		if !ok {
			return "", junction.Invalid("body."+path, "the event ID must be a string or a number")
		}
		id, field = strings.TrimSpace(s), "body."+path
	}
	if len(id) > MaxEventIDLen {
		return "", junction.Invalid(field, "the event ID is longer than %d bytes", MaxEventIDLen)
	}
	return id, nil
}

// vendorType reads the delivery's event type per the connector's event_type.
func vendorType(et WebhookEventType, fv fieldValues, header http.Header, doc any) string {
	var h, b string
	sep := et.Separator
	if sep == "" {
		sep = "."
	}
	if name := fv.fill(et.Header); name != "" {
		h = strings.TrimSpace(header.Get(name))
	}
	if path := fv.fill(et.Path); path != "" {
		v, _ := lookupPath(doc, path)
		b, _ = scalarText(v)
	}
	if len(et.Paths) > 0 {
		vals := make([]string, len(et.Paths))
		for i, path := range et.Paths {
			v, _ := lookupPath(doc, path)
			if vals[i], _ = scalarText(v); vals[i] == "" {
				return "" // a part missing names no type
			}
		}
		b = strings.Join(vals, sep)
	}
	switch {
	case h != "" && b != "":
		return h + sep + b
	case h != "":
		return h
	}
	return b
}

// webhookEvent finds the event that claims a vendor type, else the catch-all
// event (one whose webhook lists no types), else none. The validator makes
// sure at most one event claims each type and at most one catches all.
func (d *Definition) webhookEvent(vendorType string) ObjectEvent {
	var catchAll ObjectEvent
	for _, oe := range d.Events() {
		w := oe.Event.Webhook
		if w == nil {
			continue
		}
		if len(w.Types) == 0 {
			catchAll = oe
			continue
		}
		for _, t := range w.Types {
			if t == vendorType && vendorType != "" {
				return oe
			}
		}
	}
	return catchAll
}
