package connector

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"junction"
)

// SignatureSNS is Amazon SNS's message signature: the message's fields,
// one "Name\nvalue\n" after the other, signed with RSA by the certificate
// at SigningCertURL, SHA-1 for SignatureVersion 1 and SHA-256 for 2
// (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
// The certificate is fetched only from an https URL of an SNS host, so a
// delivery cannot name a certificate of its own. It proves that SNS sent
// the message, not which topic it came from: the connector's account
// (TopicArn against the connection's topic field) keeps others' topics
// out, and only a subscription to the connection's own topic is
// confirmed.
//
// Under this scheme a Notification's event is its Message, decoded as
// JSON, identified by its MessageId; a SubscriptionConfirmation is
// answered by confirming the subscription (GET SubscribeURL), and an
// UnsubscribeConfirmation acknowledged.
const SignatureSNS = "sns"

// snsHost is the host of SNS's signing certificates and subscription URLs.
var snsHost = regexp.MustCompile(`^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$`)

// snsURL checks that a URL an SNS message names is SNS's own.
func snsURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme == "https" && u.User == nil && snsHost.MatchString(u.Hostname()) && (u.Port() == "" || u.Port() == "443")
}

// snsMessage is an SNS message, as far as signing reads it.
type snsMessage map[string]any

func (m snsMessage) get(k string) string { s, _ := scalarText(m[k]); return s }

// stringToSign is the text SNS signs for the message's type.
func (m snsMessage) stringToSign() string {
	keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if m.get("Type") != "Notification" {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, k := range keys {
		v, ok := m[k]
		if !ok || (k == "Subject" && v == nil) {
			continue
		}
		s, _ := scalarText(v)
		b.WriteString(k + "\n" + s + "\n")
	}
	return b.String()
}

// verifySNS checks an SNS message's signature with the certificate it
// names, fetched through req.Certificate.
func verifySNS(req WebhookRequest) error {
	doc, err := decodeJSON(req.Body)
	m, ok := doc.(map[string]any)
	if err != nil || !ok {
		return unauthenticated("body", "the webhook body is not an SNS message")
	}
	msg := snsMessage(m)
	switch msg.get("Type") {
	case "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation":
	default:
		return unauthenticated("body.Type", "the SNS message type is not one Junction reads")
	}
	var newHash crypto.Hash
	switch msg.get("SignatureVersion") {
	case "1":
		newHash = crypto.SHA1
	case "2":
		newHash = crypto.SHA256
	default:
		return unauthenticated("body.SignatureVersion", "the SNS signature version is not 1 or 2")
	}
	certURL := msg.get("SigningCertURL")
	if !snsURL(certURL) || !strings.HasSuffix(strings.SplitN(certURL, "?", 2)[0], ".pem") {
		return unauthenticated("body.SigningCertURL", "the signing certificate is not at an SNS address")
	}
	sig, err := base64.StdEncoding.DecodeString(msg.get("Signature"))
	if err != nil || len(sig) == 0 {
		return unauthenticated("body.Signature", "the SNS message has no signature")
	}
	if req.Certificate == nil {
		return junction.Internal(errNoCertificateSource)
	}
	raw, err := req.Certificate(certURL)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return junction.Errorf(junction.EUNAVAILABLE, "the SNS signing certificate could not be read")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	pub, ok := func() (*rsa.PublicKey, bool) {
		if err != nil {
			return nil, false
		}
		k, ok := cert.PublicKey.(*rsa.PublicKey)
		return k, ok
	}()
	if !ok {
		return junction.Errorf(junction.EUNAVAILABLE, "the SNS signing certificate holds no RSA key")
	}
	text := []byte(msg.stringToSign())
	var digest []byte
	if newHash == crypto.SHA1 {
		s := sha1.Sum(text)
		digest = s[:]
	} else {
		s := sha256.Sum256(text)
		digest = s[:]
	}
	if rsa.VerifyPKCS1v15(pub, newHash, digest, sig) != nil {
		return unauthenticated("body.Signature", "the webhook signature does not match")
	}
	return nil
}

var errNoCertificateSource = errors.New("connector: an SNS delivery needs WebhookRequest.Certificate")

// snsDelivery reads a verified SNS message: a subscription to confirm or
// acknowledge (the answer), or the Notification's event document with its
// envelope and MessageId.
func (d *Definition) snsDelivery(wh *Webhooks, fv fieldValues, req WebhookRequest, doc any) (event any, envelope map[string]any, answer *HandshakeResponse, err error) {
	m, _ := doc.(map[string]any)
	msg := snsMessage(m)
	ok := &HandshakeResponse{StatusCode: http.StatusOK, ContentType: "application/json", Body: []byte(`{"status":"accepted"}` + "\n")}
	switch msg.get("Type") {
	case "UnsubscribeConfirmation":
		return nil, nil, ok, nil
	case "SubscriptionConfirmation":
		// Only a subscription of the connection's own topic is confirmed:
		// SNS signs every topic's messages alike.
		if a := wh.Account; a == nil || !ofAccountStrict(a, fv, m) {
			return nil, nil, nil, junction.Invalid("body.TopicArn", "the subscription is not to the connection's topic")
		}
		sub := msg.get("SubscribeURL")
		if !snsURL(sub) {
			return nil, nil, nil, junction.Invalid("body.SubscribeURL", "the subscription URL is not an SNS address")
		}
		if req.Confirm == nil {
			return nil, nil, nil, junction.Internal(errors.New("connector: an SNS subscription needs WebhookRequest.Confirm"))
		}
		if err := req.Confirm(sub); err != nil {
			return nil, nil, nil, err
		}
		return nil, nil, ok, nil
	}
	inner, err := decodeJSON([]byte(msg.get("Message")))
	if err != nil {
		inner = msg.get("Message") // a raw text message stays text
	}
	return inner, m, nil, nil
}

// ofAccountStrict is ofAccount for a check that must hold: the field must
// be set and the value present and equal.
func ofAccountStrict(a *WebhookAccount, fv fieldValues, doc any) bool {
	want, ok := fv.public(a.Field)
	if !ok {
		return false
	}
	v, _ := lookupPath(doc, a.Path)
	got, _ := scalarText(v)
	return got == want
}

// snsSignature checks an sns signature: the message carries everything,
// so nothing of a header signature applies, and the topic must be named
// for subscriptions to be confirmed.
func (v *validator) snsSignature(sp string, s *WebhookSignature, wh *Webhooks) {
	for _, c := range []struct {
		attr string
		set  bool
	}{
		{"secret_field", s.SecretField != ""}, {"header", s.Header != ""}, {"prefix", s.Prefix != ""},
		{"params", s.Params != nil}, {"encoding", s.Encoding != ""}, {"payload", s.Payload != ""},
		{"timestamp", s.Timestamp != nil}, {"optional", s.Optional},
	} {
		if c.set {
			v.add(sp+"."+c.attr, "does not apply to the sns scheme, whose message carries its signature")
		}
	}
	if wh.Account == nil {
		v.add(strings.TrimSuffix(sp, ".signature")+".account", "is required with the sns scheme: the topic the connection subscribes to")
	}
	if wh.EventsPath != "" {
		v.add(strings.TrimSuffix(sp, ".signature")+".events_path", "an SNS message carries one event")
	}
}
