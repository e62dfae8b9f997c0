package connector

import (
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"junction"
)

// SignatureMailgun is Mailgun's webhook signature, carried in the JSON body
// rather than a header: signature.signature is the hex HMAC-SHA256, keyed by
// the account's HTTP webhook signing key, of signature.timestamp (Unix
// seconds) followed by signature.token. Mailgun asks receivers to check the
// timestamp's freshness, which the signature's timestamp tolerance does.
// https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks
const SignatureMailgun = "mailgun"

// verifyMailgun checks a Mailgun delivery. Its errors, like VerifyWebhook's,
// say what is wrong with the delivery and never what was expected.
func verifyMailgun(secret junction.Secret, sig *WebhookSignature, body []byte, now time.Time) error {
	doc, err := decodeJSON(body)
	if err != nil {
		return unauthenticated("body", "the webhook body is not JSON")
	}
	part := func(name string) string {
		v, _ := lookupPath(doc, "signature."+name)
		s, _ := scalarText(v)
		return s
	}
	ts, token, got := part("timestamp"), part("token"), part("signature")
	if ts == "" || token == "" || got == "" {
		return unauthenticated("body.signature", "the webhook has no signature with timestamp, token and signature")
	}
	at, err := parseTime(ts, TimeUnix, time.UTC)
	if err != nil || at.IsZero() {
		return unauthenticated("body.signature.timestamp", "the signature timestamp is not a Unix time")
	}
	if sig.Timestamp != nil {
		if tol, _ := parseDuration(sig.Timestamp.Tolerance); tol > 0 {
			if skew := now.Sub(at); skew > tol || skew < -tol {
				return unauthenticated("body.signature.timestamp", "the signature timestamp is more than %s from now", tol)
			}
		}
	}
	m := hmac.New(sha256.New, []byte(secret.Reveal()))
	m.Write([]byte(ts))
	m.Write([]byte(token))
	if mac, ok := decodeMAC(got, "hex"); !ok || !hmac.Equal(mac, m.Sum(nil)) {
		return unauthenticated("body.signature.signature", "the webhook signature does not match")
	}
	return nil
}

// mailgunSignature rejects the attributes that describe a header
// signature: Mailgun's is in the body, in a fixed form.
func (v *validator) mailgunSignature(sp string, s *WebhookSignature) {
	ts := s.Timestamp
	for _, c := range []struct {
		attr string
		set  bool
	}{
		{"header", s.Header != ""}, {"prefix", s.Prefix != ""}, {"params", s.Params != nil},
		{"encoding", s.Encoding != ""}, {"payload", s.Payload != ""},
		{"timestamp.header", ts != nil && ts.Header != ""}, {"timestamp.format", ts != nil && ts.Format != ""},
	} {
		if c.set {
			v.add(sp+"."+c.attr, "does not apply to the mailgun scheme, whose signature is in the body")
		}
	}
}
