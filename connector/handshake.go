package connector

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"junction"
)

// MaxHandshakeEcho bounds the value a handshake echoes. Vendors' challenges
// are far shorter (Microsoft Graph's validationToken, the longest, is about
// 150 bytes); a longer one is refused rather than reflected.
const MaxHandshakeEcho = 1024

// WebhookRequest is a request a vendor sent to a webhook URL, as far as a
// handshake reads it.
type WebhookRequest struct {
	// Method is the HTTP method, POST when empty.
	Method string
	// URL is the URL the vendor sent the request to, as the vendor knows
	// it: Junction's public URL of the hook, with the query as sent.
	// Signatures that cover the request line (HubSpot's v3) are checked
	// against it; empty when unknown.
	URL    string
	Query  url.Values
	Header http.Header
	Body   []byte
	// Verified says the request's signature was checked: only then may a
	// handshake that proves the secret (RespondHMAC) answer.
	Verified bool
	// Certificate fetches the certificate a delivery says it was signed
	// with (SNS's SigningCertURL, already checked to be SNS's), and
	// Confirm requests a subscription's confirmation URL (SNS's
	// SubscribeURL): the caller's way out to the network, which this
	// package does not have. Only the sns scheme uses them.
	Certificate func(url string) ([]byte, error)
	Confirm     func(url string) error
	// VerifyIDToken verifies an OIDC ID token of issuer for audience and
	// returns its claims (the pubsub scheme's Google-signed tokens).
	VerifyIDToken func(issuer, token, audience string) (*IDTokenClaims, error)
	// HandshakeSecret is the secret an earlier handshake handed over
	// (HandshakeResponse.Kept), kept by the caller: the signing secret of
	// a signature with handshake_secret.
	HandshakeSecret junction.Secret
}

func (r WebhookRequest) method() string {
	if r.Method == "" {
		return http.MethodPost
	}
	return r.Method
}

// AnswerHandshake answers the request when it is one of the handshakes the
// connector declares (Webhooks.Handshake) or its unsigned ping
// (Webhooks.Ping), and returns nil when it is neither.
// Call it before VerifyWebhook: vendors send handshakes unsigned.
//
// Errors: validation_failed when a rule's body conditions hold but the
// value to echo is missing, or when the value is longer than
// MaxHandshakeEcho or not printable ASCII (the message never repeats it).
// A connector that receives no webhooks has no handshakes.
func (d *Definition) AnswerHandshake(c Credentials, req WebhookRequest) (*HandshakeResponse, error) {
	if d.Webhooks == nil {
		return nil, nil
	}
	fv := fieldValues{d, c}
	var doc any
	decoded := false
	for i := range d.Webhooks.Handshake {
		h := &d.Webhooks.Handshake[i]
		if h.HTTPMethod() != req.method() {
			continue
		}
		src := h.Source()
		if len(h.Match) > 0 || src.Path != "" {
			if !decoded {
				doc, _ = decodeJSON(req.Body)
				decoded = true
			}
			if doc == nil {
				continue
			}
		}
		if len(h.Match) > 0 && !matches(BodyMatch{Match: h.Match}, 0, doc) {
			continue
		}
		if h.Signed && !req.Verified {
			return nil, nil // answered by ParseWebhookEvents, after VerifyWebhookRequest
		}
		if h.Reply != "" {
			return &HandshakeResponse{StatusCode: http.StatusOK, ContentType: "application/json", Body: []byte(h.Reply)}, nil
		}
		if src == (HandshakeValue{}) { // a bare liveness check: Trello's HEAD
			return &HandshakeResponse{StatusCode: http.StatusOK}, nil
		}
		value, field := "", ""
		switch {
		case src.Query != "":
			field = "query." + src.Query
			value = req.Query.Get(src.Query)
		case src.Header != "":
			name := fv.fill(src.Header)
			field = "header." + name
			value = strings.TrimSpace(req.Header.Get(name))
		default:
			field = "body." + src.Path
			v, _ := lookupPath(doc, src.Path)
			value, _ = scalarText(v)
		}
		if value == "" {
			if len(h.Match) > 0 {
				return nil, junction.Invalid(field, "the handshake has no value to answer with")
			}
			continue
		}
		if !echoable(value) {
			return nil, junction.Invalid(field, "the handshake value must be printable ASCII of at most %d bytes", MaxHandshakeEcho)
		}
		if h.RespondHMAC != nil {
			if !req.Verified {
				return nil, nil // answered by ParseWebhook, after VerifyWebhook
			}
			return hmacHandshake(d.Webhooks, c, h.RespondHMAC, value), nil
		}
		resp := handshakeAnswer(h.Into, fv, value)
		if h.Keep {
			resp.Kept = junction.NewSecret(value)
		}
		return resp, nil
	}
	return d.answerPing(fv, req), nil
}

// echoable reports whether a value may be reflected to the sender: short,
// and printable ASCII, so it can neither split a header nor smuggle markup
// past a sniffing client into anything but plain text.
func echoable(s string) bool {
	if len(s) > MaxHandshakeEcho {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func handshakeAnswer(into *HandshakeAnswer, fv fieldValues, value string) *HandshakeResponse {
	resp := &HandshakeResponse{StatusCode: http.StatusOK, ContentType: "text/plain; charset=utf-8"}
	switch {
	case into != nil && into.Header != "":
		resp.Header = http.Header{}
		resp.Header.Set(fv.fill(into.Header), value)
	case into != nil && into.JSON != "":
		b, _ := json.Marshal(map[string]string{into.JSON: value})
		resp.ContentType, resp.Body = "application/json", append(b, '\n')
	default:
		resp.Body = []byte(value)
	}
	return resp
}
