package connector

import "fmt"

// handshakeSecret checks a signature whose secret a handshake hands over:
// an HMAC scheme, no secret field besides, and a handshake rule that keeps
// the value it echoes.
func (v *validator) handshakeSecret(p string, wh *Webhooks) {
	s := wh.Signature
	sp := p + ".signature"
	if s.Scheme != SignatureHMACSHA256 && s.Scheme != SignatureHMACSHA1 {
		v.add(sp+".handshake_secret", "applies only to the hmac_sha256 and hmac_sha1 schemes")
	}
	if s.SecretField != "" {
		v.add(sp+".secret_field", "does not apply with handshake_secret: the handshake hands the secret over")
	}
	if s.Optional {
		v.add(sp+".optional", "does not apply with handshake_secret")
	}
	keeps := false
	for i, h := range wh.Handshake {
		if !h.Keep {
			continue
		}
		keeps = true
		if h.Signed || h.Reply != "" || h.RespondHMAC != nil || h.Source() == (HandshakeValue{}) {
			v.add(fmt.Sprintf("%s.handshake[%d].keep", p, i), "needs a value to echo, unsigned")
		}
	}
	if !keeps {
		v.add(sp+".handshake_secret", "needs a handshake rule with keep: true, whose value is the secret")
	}
}

// handshakeKeep refuses a kept handshake value that no signature uses:
// the caller would keep a secret for nothing.
func (v *validator) handshakeKeep(p string, wh *Webhooks) {
	if wh.Signature != nil && wh.Signature.HandshakeSecret {
		return
	}
	for i, h := range wh.Handshake {
		if h.Keep {
			v.add(fmt.Sprintf("%s.handshake[%d].keep", p, i), "needs a signature with handshake_secret: true to use what it keeps")
		}
	}
}
