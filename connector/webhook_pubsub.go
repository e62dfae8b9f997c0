package connector

import (
	"encoding/base64"
	"errors"
	"strings"

	"junction"
)

// SignaturePubSub is a Google Cloud Pub/Sub push with authentication: the
// Authorization header carries an OIDC ID token Google signed for the
// subscription's service account
// (https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions).
// The token must be Google's, for the audience (the connection's
// audience field, else the URL the push was sent to), and name the
// connection's service account (KeyField) as its verified email. The
// event is the push's message.data, decoded from base64 as JSON, and its
// message.messageId identifies it.
const SignaturePubSub = "pubsub"

// googleIssuer is the issuer of the ID tokens Pub/Sub pushes carry.
const googleIssuer = "https://accounts.google.com"

// IDTokenClaims are the claims of a verified ID token that push checks read.
type IDTokenClaims struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
}

// verifyPubSub checks a push's ID token through req.VerifyIDToken.
func verifyPubSub(d *Definition, fv fieldValues, sig *WebhookSignature, req WebhookRequest) error {
	account, ok := fv.public(sig.KeyField)
	if !ok {
		if sig.Optional {
			return nil
		}
		return junction.Invalid("fields."+sig.KeyField, "is required to verify %s webhooks", d.DisplayName)
	}
	raw := strings.TrimSpace(req.Header.Get("Authorization"))
	token, ok := strings.CutPrefix(raw, "Bearer ")
	if !ok || token == "" {
		return unauthenticated("header.Authorization", "the push has no bearer token")
	}
	audience, _ := fv.public(sig.Path)
	if audience == "" {
		audience = req.URL
	}
	if req.VerifyIDToken == nil {
		return junction.Internal(errNoIDTokenVerifier)
	}
	claims, err := req.VerifyIDToken(googleIssuer, token, audience)
	if err != nil {
		return err
	}
	if !claims.EmailVerified || !strings.EqualFold(claims.Email, account) {
		return unauthenticated("header.Authorization", "the push token is not the subscription's service account's")
	}
	return nil
}

var errNoIDTokenVerifier = errors.New("connector: a Pub/Sub push needs WebhookRequest.VerifyIDToken")

// pubsubEvent reads a push's event: message.data decoded from base64 as
// JSON (as text when it is not JSON), and message.messageId.
func pubsubEvent(doc any) (event any, id string, err error) {
	v, _ := lookupPath(doc, "message.data")
	data, _ := v.(string)
	b, derr := base64.StdEncoding.DecodeString(data)
	if derr != nil {
		return nil, "", junction.Invalid("body.message.data", "the push's data is not base64")
	}
	event, jerr := decodeJSON(b)
	if jerr != nil {
		event = string(b)
	}
	idv, _ := lookupPath(doc, "message.messageId")
	id, _ = scalarText(idv)
	return event, id, nil
}

// pubsubSignature checks a pubsub signature: the service account in a
// public field, the optional audience field in path, nothing of a MAC.
func (v *validator) pubsubSignature(sp string, s *WebhookSignature) {
	for _, c := range []struct {
		attr string
		set  bool
	}{
		{"secret_field", s.SecretField != ""}, {"header", s.Header != ""}, {"prefix", s.Prefix != ""},
		{"params", s.Params != nil}, {"encoding", s.Encoding != ""}, {"payload", s.Payload != ""},
		{"timestamp", s.Timestamp != nil},
	} {
		if c.set {
			v.add(sp+"."+c.attr, "does not apply to the pubsub scheme, whose token Google signs")
		}
	}
	for _, f := range []struct{ attr, name string }{{"key_field", s.KeyField}, {"path", s.Path}} {
		switch fl, ok := v.anyField(f.name); {
		case f.name == "" && f.attr == "key_field":
			v.add(sp+".key_field", "is required: the connection field with the push's service account")
		case f.name == "":
		case !ok:
			v.add(sp+"."+f.attr, "refers to undeclared field %q", f.name)
		case fl.Type == FieldSecret:
			v.add(sp+"."+f.attr, "field %q must be public", f.name)
		}
	}
}
