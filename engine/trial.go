package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"junction"
	"junction/connector"
	"junction/outbound"
)

// Trial is what a test run of a draft connector shows the person building
// it: the request that was sent, with every credential masked, and what
// came back.
type Trial struct {
	// Request is the last request sent (method, URL, headers, body), as
	// connector.Request prints it: credentials [redacted].
	Request string `json:"request,omitempty"`
	// Status, Headers and Body are the upstream's answer; Body is JSON as
	// it came, or text, cut at trialBodyLimit, secrets masked.
	Status  int               `json:"status,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
	// Output is what the activity returns from that answer.
	Output     any   `json:"output,omitempty"`
	Attempts   int   `json:"attempts"`
	DurationMS int64 `json:"duration_ms"`
}

const trialBodyLimit = 64 << 10

// TryDraft runs one activity of def, a draft that is not published, through
// conn exactly as Execute would (credential assets, OAuth 2.0 tokens, the
// outbound guard, retries), and records nothing: no execution record, no
// authentication failure counted, no status change. conn may be one that
// is not stored, its literal secrets given in literals (as for TestWith);
// with literals nil they are read from conn.SecretsSealedID.
//
// The Trial is returned with the error when the upstream was reached, so a
// failed run still shows what was sent and answered. Errors are those of
// Execute.
func (e *Engine) TryDraft(ctx context.Context, def *connector.Definition, conn *junction.Connection, literals map[string]junction.Secret, req ExecuteRequest) (*Trial, error) {
	if def == nil || conn == nil {
		return nil, junction.Invalid("connection", "is required")
	}
	start := e.clock.Now()
	x := &run{e: e, conn: conn, def: def, testing: true, literals: literals}
	req.Connection = conn
	out, err := e.execute(ctx, x, &req)
	if f, ok := out.(*connector.File); ok {
		// A trial shows a draft's author what the API answered; a file's
		// base64 would only fill the page.
		out = map[string]any{"filename": f.Filename, "content_type": f.ContentType, "size": f.Size}
	}
	t := &Trial{Output: out, Attempts: x.attempts, DurationMS: e.clock.Now().Sub(start).Milliseconds()}
	if x.lastSent != nil {
		t.Request = x.mask(x.lastSent.String())
	}
	if x.lastResp.StatusCode != 0 {
		t.Status = x.lastResp.StatusCode
		t.Headers = httpOutput(x.lastResp).Headers
		body := x.lastResp.Body
		if ct := x.lastResp.Header.Get("Content-Type"); len(body) > 0 && !connector.ShowableBody(ct) {
			body = []byte(connector.BodySummary(ct, len(body)))
		}
		if len(body) > trialBodyLimit {
			body = body[:trialBodyLimit]
		}
		masked := x.mask(string(body))
		if json.Valid([]byte(masked)) {
			t.Body = json.RawMessage(masked)
		} else if masked != "" {
			t.Body = strings.ToValidUTF8(masked, "\uFFFD")
		}
	}
	if err != nil {
		t.Output = nil
	}
	return t, err
}

// mask replaces every secret value in play in s, should an API echo one
// back or a definition put one where it is not marked sensitive.
func (x *run) mask(s string) string {
	for _, sec := range x.secrets {
		if v := sec.Reveal(); len(v) >= 4 {
			s = strings.ReplaceAll(s, v, junction.Redacted)
		}
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// FetchDescription downloads an API description from rawURL through the
// outbound client, so the private-network guard applies to it as to every
// other call Junction makes. limit bounds the body (response_too_large
// beyond it).
func (e *Engine) FetchDescription(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, junction.Invalid("url", "must be an absolute http or https URL")
	}
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, junction.Invalid("url", "is not a usable URL")
	}
	req.Header.Set("Accept", "application/json, application/yaml, text/yaml, */*")
	resp, err := e.out.Do(ctx, req, outbound.RequestOptions{RetrySafe: true, MaxResponseBytes: limit})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &junction.Error{Code: junction.EPROVIDER, Field: "url",
			Message: fmt.Sprintf("%s answered HTTP %d for the description", u.Host, resp.StatusCode),
			Details: map[string]any{"status": resp.StatusCode, "source": "provider"}}
	}
	return resp.Body, nil
}
