package connector

import (
	"fmt"
	"slices"
	"strings"
)

// sendsRequests reports whether the definition makes any outbound call, and
// so needs a base URL.
func (v *validator) sendsRequests() bool {
	d := v.d
	if d.Test != nil || len(d.Activities) > 0 || d.HTTPRequestEnabled() {
		return true
	}
	for i := range d.Objects {
		for _, name := range OperationNames {
			if d.Objects[i].Operations.ByName(name) != nil {
				return true
			}
		}
	}
	return false
}

// anyField finds a connection field by name among the shared fields and
// every auth scheme's.
func (v *validator) anyField(name string) (Field, bool) {
	if f, ok := v.common[name]; ok {
		return f, true
	}
	for i := range v.d.Auth {
		for _, f := range v.d.Auth[i].Fields {
			if f.Name == name {
				return f, true
			}
		}
	}
	return Field{}, false
}

// templatedPath checks a JSON path that may instead be one placeholder
// naming a public connection field (checked when filled).
func (v *validator) templatedPath(p, path string, required bool) {
	if _, lone := loneVar(path); lone {
		v.checkTemplate(p, path, v.commonPublic)
		return
	}
	v.jsonPath(p, path, required)
}

// templatedHeader checks a header name that may be a placeholder.
func (v *validator) templatedHeader(p, name string, required bool) {
	switch _, lone := loneVar(name); {
	case name == "":
		if required {
			v.add(p, "is required")
		}
	case lone:
		v.checkTemplate(p, name, v.commonPublic)
	case !headerNameRE.MatchString(name):
		v.add(p, "invalid header name")
	}
}

func (v *validator) timeFormat(p, format string) {
	if msg := checkTimeFormat(format); msg != "" {
		v.add(p, "%s", msg)
	}
}

func (v *validator) timeZone(p, zone string) {
	if zone == "" {
		return
	}
	if _, lone := loneVar(zone); lone {
		v.checkTemplate(p, zone, v.commonPublic)
		return
	}
	if _, _, err := location(zone, nil); err != nil {
		v.add(p, "%v", err)
	}
}

func (v *validator) duration(p, s string) {
	if _, ok := parseDuration(s); !ok {
		v.add(p, "must be a positive duration such as 5m")
	}
}

func (v *validator) webhooks(p string, wh *Webhooks) {
	if s := wh.Signature; s != nil {
		sp := p + ".signature"
		switch s.Scheme {
		case SignatureHMACSHA256, SignatureHMACSHA1, SignatureToken:
		case SignatureMailgun:
			v.mailgunSignature(sp, s)
		case SignatureBodyToken:
			v.bodyTokenSignature(sp, s)
		case SignatureEd25519:
			v.ed25519Signature(sp, s)
		case SignatureSNS:
			v.snsSignature(sp, s, wh)
		case SignaturePubSub:
			v.pubsubSignature(sp, s)
		case "":
			v.add(sp+".scheme", "is required (hmac_sha256, hmac_sha1, token or body_token)")
		default:
			v.add(sp+".scheme", "unknown signature scheme %q (want hmac_sha256, hmac_sha1, token, body_token, ed25519, sns or pubsub)", s.Scheme)
		}
		switch f, ok := v.anyField(s.SecretField); {
		case s.Scheme == SignatureEd25519, s.Scheme == SignatureSNS, s.Scheme == SignaturePubSub:
		case s.HandshakeSecret:
			v.handshakeSecret(p, wh)
		case s.SecretField == "":
			v.add(sp+".secret_field", "is required: the connection field that holds the signing secret")
		case !ok:
			v.add(sp+".secret_field", "refers to undeclared field %q", s.SecretField)
		case f.Type != FieldSecret:
			v.add(sp+".secret_field", "field %q must be of type secret", s.SecretField)
		}
		v.templatedHeader(sp+".header", s.Header, s.Scheme != SignatureMailgun && s.Scheme != SignatureBodyToken && s.Scheme != SignatureSNS && s.Scheme != SignaturePubSub)
		v.checkTemplate(sp+".prefix", s.Prefix, v.commonPublic)
		if s.Params != nil {
			if s.Prefix != "" {
				v.add(sp+".prefix", "does not apply with params; the params name the signature")
			}
			if s.Params.Signature == "" {
				v.add(sp+".params.signature", "is required: the key of the signatures in the header")
			}
			if s.Params.Timestamp != "" && s.Timestamp == nil {
				v.add(sp+".params.timestamp", "needs a timestamp section to say its format and tolerance")
			}
		}
		hmacOnly := func(attr string, set bool) {
			if set && s.Scheme == SignatureToken {
				v.add(sp+"."+attr, "does not apply to the token scheme")
			}
		}
		hmacOnly("encoding", s.Encoding != "" && s.Scheme != SignatureEd25519)
		hmacOnly("payload", s.Payload != "")
		if s.Encoding != "" && s.Encoding != "hex" && s.Encoding != "base64" {
			v.add(sp+".encoding", "must be hex or base64")
		}
		if s.Payload != "" {
			names := templateVars(s.Payload)
			for _, n := range names {
				if !slices.Contains(signedParts, n) && v.commonPublic(n) != "" {
					v.add(sp+".payload", "names {%s}; only {body}, {timestamp}, {method}, {url} and shared public fields are known", n)
				}
			}
			if !slices.Contains(names, "body") {
				v.add(sp+".payload", "must contain {body}")
			}
			if slices.Contains(names, "timestamp") && s.Timestamp == nil {
				v.add(sp+".payload", "names {timestamp} but the signature has no timestamp section")
			}
		}
		if ts := s.Timestamp; ts != nil {
			tp := sp + ".timestamp"
			fromParams := s.Params != nil && s.Params.Timestamp != ""
			switch {
			case ts.Header == "" && !fromParams && s.Scheme != SignatureMailgun && s.Scheme != SignatureBodyToken:
				v.add(tp+".header", "is required unless params.timestamp names it")
			case ts.Header != "" && fromParams:
				v.add(tp+".header", "does not apply when params.timestamp names the timestamp")
			case ts.Header != "":
				v.templatedHeader(tp+".header", ts.Header, true)
			}
			v.timeFormat(tp+".format", ts.Format)
			v.duration(tp+".tolerance", ts.Tolerance)
		}
	}
	v.templatedHeader(p+".event_type.header", wh.EventType.Header, false)
	v.templatedPath(p+".event_type.path", wh.EventType.Path, false)
	if et := wh.EventType; et.Separator != "" && (et.Header == "" || et.Path == "") && len(et.Paths) == 0 {
		v.add(p+".event_type.separator", "only joins a header and a path, or paths")
	}
	v.batchWebhooks(p, wh)
	v.templatedPath(p+".record", wh.Record, false)
	v.templatedPath(p+".id", wh.ID, false)
	v.templatedHeader(p+".event_id.header", wh.EventID.Header, false)
	v.templatedPath(p+".event_id.path", wh.EventID.Path, false)
	if wh.Ping != nil {
		v.ping(p+".ping", wh)
	}
	for i := range wh.Handshake {
		hp := fmt.Sprintf("%s.handshake[%d]", p, i)
		v.handshake(hp, &wh.Handshake[i])
		if wh.Handshake[i].RespondHMAC != nil && wh.Signature == nil {
			v.add(hp+".respond_hmac", "needs the signature's secret field to key the HMAC")
		}
	}
}

func (v *validator) handshake(hp string, h *WebhookHandshake) {
	method := h.HTTPMethod()
	switch h.Method {
	case "", "POST", "GET", "HEAD":
	default:
		v.add(hp+".method", "must be POST, GET or HEAD")
	}
	for j, c := range h.Match {
		cp := fmt.Sprintf("%s.match[%d]", hp, j)
		v.jsonPath(cp+".path", c.Path, true)
		if len(c.Values) == 0 {
			v.add(cp+".values", "needs at least one value")
		}
	}
	if h.Match != nil && len(h.Match) == 0 {
		v.add(hp+".match", "needs at least one condition")
	}
	if h.Respond != "" && h.From != nil {
		v.add(hp+".respond", "give respond or from, not both")
	}
	src := h.Source()
	set := 0
	for _, s := range []string{src.Query, src.Header, src.Path} {
		if s != "" {
			set++
		}
	}
	switch {
	case h.From != nil && set != 1:
		v.add(hp+".from", "needs exactly one of query, header and path")
	case src.Path != "":
		v.jsonPath(hp+".respond", src.Path, true)
	case src.Header != "":
		v.templatedHeader(hp+".from.header", src.Header, true)
	}
	if method == "GET" || method == "HEAD" {
		if len(h.Match) > 0 || src.Path != "" {
			v.add(hp, "a %s handshake has no body to match or echo", method)
		}
	}
	switch {
	case method == "HEAD" && (set > 0 || h.Into != nil):
		v.add(hp, "a HEAD handshake answers 200 with nothing to echo")
	case method != "HEAD" && set == 0 && h.Reply == "":
		v.add(hp, "needs a value to echo (from or respond) or a reply; only a HEAD handshake echoes nothing")
	}
	v.handshakeReply(hp, h, set)
	if a := h.Into; a != nil {
		switch {
		case (a.Header == "") == (a.JSON == ""):
			v.add(hp+".into", "needs exactly one of header and json")
		case a.Header != "":
			v.templatedHeader(hp+".into.header", a.Header, true)
		case !identRE.MatchString(a.JSON):
			v.add(hp+".into.json", "must be an identifier")
		}
	}
}

func (v *validator) events(p string, o *Object) {
	seen := map[string]bool{}
	for i := range o.Events {
		e := &o.Events[i]
		ep := fmt.Sprintf("%s.events[%d]", p, i)
		if !identRE.MatchString(e.Name) {
			v.add(ep+".name", "is required and must be an identifier")
		} else if seen[e.Name] {
			v.add(ep+".name", "duplicate event %q", e.Name)
		}
		seen[e.Name] = true
		if e.Polling == nil && e.Webhook == nil {
			v.add(ep, "an event needs polling or webhook")
		}
		if e.Polling != nil {
			v.polling(ep+".polling", o, e)
		}
		if e.Webhook != nil {
			v.eventWebhook(ep+".webhook", o, e)
		}
	}
}

func (v *validator) polling(pp string, o *Object, e *Event) {
	pl := e.Polling
	var op *Operation
	switch {
	case pl.Activity != "" && pl.Operation != "":
		v.add(pp+".activity", "give operation or activity, not both")
	case pl.Activity != "":
		if a := v.d.Activity(pl.Activity); a == nil {
			v.add(pp+".activity", "connector has no activity %q", pl.Activity)
		} else {
			op = &a.Operation
		}
	default:
		name := pl.Operation
		if name == "" {
			name = "list"
		}
		if op = o.Operations.ByName(name); op == nil {
			if slices.Contains(OperationNames, name) {
				v.add(pp+".operation", "object has no %s operation", name)
			} else {
				v.add(pp+".operation", "unknown operation %q (want %s)", name, strings.Join(OperationNames, ", "))
			}
		}
	}
	if pl.Interval != "" {
		v.duration(pp+".interval", pl.Interval)
	}
	if pl.Lookback != "" {
		v.duration(pp+".lookback", pl.Lookback)
	}
	input := func(path, name string) *Input {
		if name == "" {
			v.add(path, "is required: the operation input that carries the value")
			return nil
		}
		if op == nil {
			return nil
		}
		in := findInput(op, name)
		if in == nil {
			v.add(path, "the polled operation has no input %q", name)
		}
		return in
	}
	for _, k := range sortedKeys(pl.Inputs) {
		if in := input(pp+".inputs."+k, k); in != nil {
			if _, err := checkType(in.Type, pl.Inputs[k]); err != nil {
				v.add(pp+".inputs."+k, "does not match type %s", in.Type)
			}
		}
	}
	if s := pl.Since; s != nil {
		sp := pp + ".since"
		in := input(sp+".input", s.Input)
		if _, fixed := pl.Inputs[s.Input]; fixed {
			v.add(sp+".input", "input %q is also a fixed input", s.Input)
		}
		v.timeFormat(sp+".format", s.Format)
		v.timeZone(sp+".time_zone", s.TimeZone)
		if s.Template != "" {
			names := templateVars(s.Template)
			if !slices.Contains(names, "since") {
				v.add(sp+".template", "must contain {since}")
			}
			for _, n := range names {
				if n != "since" {
					v.add(sp+".template", "names {%s}; only {since} is known", n)
				}
			}
		}
		if in != nil {
			numeric := isUnixFormat(s.Format) && s.Template == ""
			switch {
			case (in.Type == TypeInteger || in.Type == TypeNumber) && !numeric:
				v.add(sp+".format", "input %q is %s; use unix or unix_ms without a template", s.Input, typeArticle(in.Type))
			case in.Type != TypeString && in.Type != TypeInteger && in.Type != TypeNumber:
				v.add(sp+".input", "input %q is %s; since needs a string or a number", s.Input, typeArticle(in.Type))
			}
		}
		if pl.Created == nil && pl.Updated == nil {
			v.add(pp, "polling with since needs the record's updated or created time")
		}
	}
	if c := pl.Cursor; c != nil {
		cp := pp + ".cursor"
		if in := input(cp+".input", c.Input); in != nil && in.Type != TypeString {
			v.add(cp+".input", "input %q must be a string to carry a cursor", c.Input)
		}
		v.jsonPath(cp+".path", c.Path, true)
	}
	if pl.Since == nil && pl.Cursor == nil && pl.Created == nil && pl.Updated == nil {
		v.add(pp, "polling needs since, cursor, or a record time to tell new records")
	}
	if pl.ID == "" && o.IDField == "" {
		v.add(pp+".id", "is required (or set the object's id_field): the JSON path of the record's ID")
	}
	v.jsonPath(pp+".id", pl.ID, false)
	for _, tf := range []struct {
		name string
		f    *TimeField
	}{{"created", pl.Created}, {"updated", pl.Updated}} {
		if tf.f == nil {
			continue
		}
		tp := pp + "." + tf.name
		v.jsonPath(tp+".path", tf.f.Path, true)
		v.timeFormat(tp+".format", tf.f.Format)
		v.timeZone(tp+".time_zone", tf.f.TimeZone)
	}
	for i, c := range pl.Changes {
		if c != EventCreated && c != EventUpdated {
			v.add(fmt.Sprintf("%s.changes[%d]", pp, i), "unknown change %q (want created or updated)", c)
		}
	}
	if slices.Contains(pl.Changes, EventCreated) && pl.Created == nil && pl.Updated != nil {
		v.add(pp+".created", "is required to tell created records from updated ones")
	}
}

func (v *validator) eventWebhook(wp string, o *Object, e *Event) {
	w := e.Webhook
	wh := v.d.Webhooks
	if wh == nil {
		v.add(wp, "the connector has no webhooks section saying how deliveries are signed and typed")
	}
	if v.vendorTypes == nil {
		v.vendorTypes = map[string]string{}
	}
	if len(w.Types) == 0 {
		if v.catchAll != "" {
			v.add(wp+".types", "%s already receives every unclaimed delivery; list the vendor event types", v.catchAll)
		} else {
			v.catchAll = o.Name + "." + e.Name
		}
	}
	for i, t := range w.Types {
		tp := fmt.Sprintf("%s.types[%d]", wp, i)
		if strings.TrimSpace(t) == "" {
			v.add(tp, "must not be empty")
			continue
		}
		if prev, dup := v.vendorTypes[t]; dup {
			v.add(tp, "vendor event type %q already maps to %s", t, prev)
			continue
		}
		v.vendorTypes[t] = o.Name + "." + e.Name
	}
	if len(w.Types) > 0 && wh != nil && wh.EventType.Header == "" && wh.EventType.Path == "" && len(wh.EventType.Paths) == 0 {
		v.add(wp+".types", "the connector's webhooks.event_type says nowhere to read the type from")
	}
	v.jsonPath(wp+".record", w.Record, false)
	v.jsonPath(wp+".id", w.ID, false)
	if len(w.Types) > 0 && w.ID == "" && o.IDField == "" && (wh == nil || wh.ID == "") {
		v.add(wp+".id", "is required (or set webhooks.id or the object's id_field): the JSON path of the record's ID")
	}
}
