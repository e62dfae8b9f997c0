package connector

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"regexp"
)

// answerPing answers the request when it is the connector's unsigned ping
// (Webhooks.Ping), and returns nil when it is not. It looks at the shape
// of the request only: it needs no secret, and anyone who can send one
// learns nothing but that the URL answers.
func (d *Definition) answerPing(fv fieldValues, req WebhookRequest) *HandshakeResponse {
	wh := d.Webhooks
	if wh == nil || wh.Ping == nil || wh.Signature == nil || req.method() != http.MethodPost {
		return nil
	}
	if name := fv.fill(wh.Signature.Header); name == "" || len(req.Header.Values(name)) > 0 {
		return nil // a signed request is a delivery, verified as one
	}
	if ct := req.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return nil
		}
	}
	if !isPing(wh.Ping, req.Body) {
		return nil
	}
	resp := &HandshakeResponse{StatusCode: http.StatusOK, Ping: true}
	if wh.Ping.Reply != "" {
		resp.ContentType, resp.Body = "application/json", []byte(wh.Ping.Reply)
	}
	return resp
}

// isPing reports whether body is a form of exactly the ping's members,
// each once, each value matching its pattern whole.
func isPing(p *WebhookPing, body []byte) bool {
	form, err := url.ParseQuery(string(body))
	if err != nil || len(form) != len(p.Form) {
		return false
	}
	for name, pattern := range p.Form {
		vs := form[name]
		if len(vs) != 1 {
			return false
		}
		re, err := pingPattern(pattern)
		if err != nil || !re.MatchString(vs[0]) {
			return false
		}
	}
	return true
}

// pingPattern compiles a ping member's pattern anchored at both ends.
func pingPattern(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + pattern + `)$`)
}

// ping checks a webhook ping rule: it needs a signature carried in a header
// (a ping is what comes without it), and a form of named members, each
// with a pattern that compiles.
func (v *validator) ping(pp string, wh *Webhooks) {
	switch s := wh.Signature; {
	case s == nil:
		v.add(pp, "needs a signature: a ping is the one request accepted without it")
	case s.Scheme != SignatureHMACSHA256 && s.Scheme != SignatureHMACSHA1 && s.Scheme != SignatureToken && s.Scheme != SignatureEd25519:
		v.add(pp, "needs a signature carried in a header (hmac_sha256, hmac_sha1, token or ed25519), whose absence marks the ping")
	}
	if len(wh.Ping.Form) == 0 {
		v.add(pp+".form", "is required: the members of the ping's form body, each with the pattern of its value")
	}
	for _, name := range sortedKeys(wh.Ping.Form) {
		if name == "" {
			v.add(pp+".form", "a member needs a name")
			continue
		}
		if _, err := pingPattern(wh.Ping.Form[name]); err != nil || wh.Ping.Form[name] == "" {
			v.add(pp+".form."+name, "must be a regular expression (RE2) the whole value matches")
		}
	}
	if r := wh.Ping.Reply; r != "" && !json.Valid([]byte(r)) {
		v.add(pp+".reply", "must be JSON")
	}
}
