package trigger

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"junction"
)

// Headers of a delivery to a webhook target.
const (
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed by the
	// target's secret, of "<timestamp>.<body>".
	HeaderSignature = "X-Junction-Signature"
	// HeaderTimestamp is the Unix time (seconds) the delivery was signed,
	// so receivers can refuse old replays.
	HeaderTimestamp = "X-Junction-Timestamp"
	// HeaderIdempotencyKey is the job's idempotency key: the same event
	// delivered again carries the same key, so receivers drop repeats.
	HeaderIdempotencyKey = "Idempotency-Key"
)

// Sign returns the X-Junction-Signature value of a delivery signed at ts.
func Sign(secret junction.Secret, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret.Reveal()))
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// SignRequest sets the headers of a signed delivery on req: the timestamp,
// the idempotency key and, with a secret, the signature of body at ts.
// Trigger deliveries and notification webhooks both go out this way, so a
// receiver verifies them alike.
func SignRequest(req *http.Request, secret *junction.Secret, ts time.Time, body []byte, idempotencyKey string) {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderIdempotencyKey, idempotencyKey)
	if secret != nil {
		req.Header.Set(HeaderSignature, Sign(*secret, ts, body))
	}
}

// VerifySignature checks a delivery as a receiver would: the signature
// matches (in constant time) and the timestamp is within tolerance of now.
func VerifySignature(secret junction.Secret, signature, timestamp string, body []byte, now time.Time, tolerance time.Duration) bool {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return false
	}
	if !strings.HasPrefix(signature, "sha256=") {
		return false
	}
	want := Sign(secret, ts, body)
	return hmac.Equal([]byte(want), []byte(signature))
}
