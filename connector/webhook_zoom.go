package connector

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// HandshakeHMAC answers a handshake by proving the endpoint knows the
// signing secret: Zoom's endpoint.url_validation sends payload.plainToken
// and wants {"plainToken": ..., "encryptedToken": hex(HMAC-SHA256(secret,
// plainToken))} back, on saving the subscription and every 72 hours
// (https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint).
type HandshakeHMAC struct {
	// Plain is the key of the value the vendor sent, echoed.
	Plain string `yaml:"plain" json:"plain"`
	// Hashed is the key of its HMAC-SHA256, in hex, keyed by the
	// connection's webhook signing secret.
	Hashed string `yaml:"hashed" json:"hashed"`
}

// hmacHandshake builds the answer. The validator makes sure the connector
// has a signature, whose secret keys the HMAC; VerifyWebhook has already
// checked the request with it, so it is not empty here.
func hmacHandshake(wh *Webhooks, c Credentials, h *HandshakeHMAC, value string) *HandshakeResponse {
	mac := signedMAC(sha256.New, c.Secrets[wh.Signature.SecretField], "{body}", nil, []byte(value))
	body, _ := json.Marshal(map[string]string{h.Plain: value, h.Hashed: hex.EncodeToString(mac)})
	return &HandshakeResponse{StatusCode: http.StatusOK, ContentType: "application/json", Body: body}
}
