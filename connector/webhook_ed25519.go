package connector

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"strings"

	"junction"
)

// SignatureEd25519 is a signature made with the vendor's Ed25519 private
// key over Payload, verified with its public key, which the connection
// holds in the public field KeyField (hex). Discord signs interactions so:
// X-Signature-Ed25519 over X-Signature-Timestamp followed by the body
// (https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers).
const SignatureEd25519 = "ed25519"

// ed25519Key reads the connection's public key. It returns a nil key and a
// nil error when the signature is optional and the field is empty.
func ed25519Key(d *Definition, fv fieldValues, sig *WebhookSignature) (ed25519.PublicKey, error) {
	v, ok := fv.public(sig.KeyField)
	if !ok {
		if sig.Optional {
			return nil, nil
		}
		return nil, junction.Invalid("fields."+sig.KeyField, "is required to verify %s webhooks", d.DisplayName)
	}
	key, err := hex.DecodeString(strings.TrimSpace(v))
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, junction.Invalid("fields."+sig.KeyField, "must be the %d-byte Ed25519 public key in hex", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(key), nil
}

// ed25519Signature checks the attributes of an ed25519 signature: a
// public key field rather than a secret one, and no prefix to a MAC.
func (v *validator) ed25519Signature(sp string, s *WebhookSignature) {
	if s.SecretField != "" {
		v.add(sp+".secret_field", "does not apply to the ed25519 scheme; key_field names the public key")
	}
	switch f, ok := v.anyField(s.KeyField); {
	case s.KeyField == "":
		v.add(sp+".key_field", "is required: the connection field that holds the vendor's public key")
	case !ok:
		v.add(sp+".key_field", "refers to undeclared field %q", s.KeyField)
	case f.Type == FieldSecret:
		v.add(sp+".key_field", "field %q must be public: it holds a public key", s.KeyField)
	}
}

// handshakeReply checks a fixed reply: JSON, and the rule's only answer.
func (v *validator) handshakeReply(hp string, h *WebhookHandshake, set int) {
	if h.Reply == "" {
		return
	}
	if !json.Valid([]byte(h.Reply)) {
		v.add(hp+".reply", "must be JSON")
	}
	if set > 0 || h.Into != nil || h.RespondHMAC != nil {
		v.add(hp+".reply", "a fixed reply echoes nothing; drop respond, from, into and respond_hmac")
	}
}
