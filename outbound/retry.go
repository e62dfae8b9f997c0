package outbound

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoffBase is the first wait when the upstream names none; it doubles
// with each attempt.
const backoffBase = 500 * time.Millisecond

// retryableStatus reports statuses that may succeed if asked again: rate
// limiting and server trouble. 501 says the server will never do it.
func retryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || (code >= 500 && code <= 599 && code != http.StatusNotImplemented)
}

// retryAfter is the wait before the next attempt after a retryable status:
// what Retry-After asks for (delay-seconds or an HTTP date), capped, and
// otherwise backoff.
func (c *Client) retryAfter(h http.Header, attempt int) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return c.backoff(attempt)
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return c.backoff(attempt)
		}
		if secs > int64(c.maxRetryAfter/time.Second) {
			return c.maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(c.clock.Now()), 0)
	} else {
		return c.backoff(attempt)
	}
	return min(d, c.maxRetryAfter)
}

// backoff doubles from backoffBase with each attempt and picks a point in the
// upper half at random, so clients that failed together do not retry
// together.
func (c *Client) backoff(attempt int) time.Duration {
	d := backoffBase << min(attempt-1, 20)
	d = min(d, c.maxRetryAfter)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}
