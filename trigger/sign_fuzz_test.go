package trigger_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"junction"
	"junction/trigger"
)

// FuzzVerifySignature checks delivery signatures as a receiver would, with
// arbitrary secrets, bodies, signatures and timestamps: what Sign makes
// verifies, a changed body or any other signature does not, and nothing
// panics on headers a sender made up.
func FuzzVerifySignature(f *testing.F) {
	now := int64(1717243200)
	f.Add("target-secret", now, []byte(`{"id":"evt_1","type":"order.paid"}`), "sha256=00", "1717243200")
	f.Add("", int64(0), []byte{}, "", "")
	f.Add("s", int64(-1), []byte("x"), "sha256=", "-1")
	f.Add("s", int64(1<<62), []byte(`[]`), "sha256=zz", "99999999999999999999")
	f.Add("s\x00\xff", now, []byte("\x00"), "SHA256=ab", " 1717243200")
	f.Fuzz(func(t *testing.T, secret string, unix int64, body []byte, sig, ts string) {
		s := junction.NewSecret(secret)
		at := time.Unix(unix, 0)
		_ = trigger.VerifySignature(s, sig, ts, body, time.Unix(now, 0), 5*time.Minute)

		good := trigger.Sign(s, at, body)
		stamp := strconv.FormatInt(unix, 10)
		if !trigger.VerifySignature(s, good, stamp, body, at, time.Minute) {
			t.Fatalf("a signature Sign made does not verify")
		}
		if sig != good && trigger.VerifySignature(s, sig, stamp, body, at, time.Minute) {
			t.Fatalf("signature %q verifies, want only %q", sig, good)
		}
		changed := append(bytes.Clone(body), '!')
		if trigger.VerifySignature(s, good, stamp, changed, at, time.Minute) {
			t.Fatalf("a changed body verifies")
		}
		if late := at.Add(2 * time.Minute); late.After(at) && trigger.VerifySignature(s, good, stamp, body, late, time.Minute) {
			t.Fatalf("a delivery older than the tolerance verifies")
		}
	})
}
