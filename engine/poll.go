package engine

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"junction"
	"junction/connector"
)

// PollRequest asks for one poll of an object event through a connection.
type PollRequest struct {
	Connection *junction.Connection
	Object     string
	Event      string
	// Input is the caller's input to the polled operation (owner and repo,
	// a channel); the polling's own inputs and the since value are added.
	Input map[string]any
	// State is where the previous poll left off; the zero value reads what
	// the API has now (a baseline).
	State connector.PollState
	// MaxPages caps the pages followed (default and cap MaxPages).
	MaxPages int
}

// PollResult is what one poll found.
type PollResult struct {
	ExecutionID string
	// Records are the records of every page, in the API's order, that the
	// event reports and that are not older than the look-back window.
	// Records seen by an earlier poll may come again: the caller drops
	// them by ID and time.
	Records []connector.PolledRecord
	// State is the state after the poll: persist it with what the records
	// caused, in one transaction, so a poll cut short repeats rather than
	// skips.
	State connector.PollState
	// Truncated is set when MaxPages stopped the poll before the last page;
	// State then covers only what was read, and the next poll continues.
	Truncated bool
}

// Poll runs one poll the way Execute runs an activity: credentials
// materialised from literal secrets, vault assets or OAuth tokens, one
// recovery on an authentication failure (fresh vault values or a new
// token), the outbound client with its retries and private-network guard,
// pagination followed, and one execution recorded (activity
// "<object>.<event>.poll").
//
// Errors are those of Execute, and those of connector.BuildPoll and
// PollRecords.
func (e *Engine) Poll(ctx context.Context, req PollRequest) (*PollResult, error) {
	conn := req.Connection
	if conn == nil {
		return nil, junction.Invalid("connection", "is required")
	}
	start := e.clock.Now()
	x := &run{e: e, conn: conn, debug: debugRecord(conn, start)}
	res := &PollResult{ExecutionID: junction.NewID()}
	err := e.poll(ctx, x, &req, res)

	status := StatusSucceeded
	if err != nil {
		status = StatusFailed
		res.Records, res.State, res.Truncated = nil, req.State, false
	}
	connectorKey := conn.Connector
	activity := req.Object + "." + req.Event + ".poll"
	outcome := StatusSucceeded
	if err != nil {
		outcome = junction.ErrorCode(err)
	}
	label := "unknown"
	if x.known {
		label = activity
	}
	e.metrics.executions.WithLabelValues(connectorKey, label, outcome).Inc()
	e.metrics.duration.WithLabelValues(connectorKey).Observe(e.clock.Now().Sub(start).Seconds())
	attempts := x.attempts
	if err != nil && attempts == 0 {
		attempts = attemptsOf(err)
	}
	e.count(conn, junction.UsageCounts{Polls: 1, APICalls: int64(attempts)})
	e.recorder.record(ctx, &junction.Execution{
		ID:           res.ExecutionID,
		TenantID:     conn.TenantID,
		FolderID:     conn.FolderID,
		ConnectionID: conn.ID,
		Connector:    conn.Connector,
		Activity:     activity,
		Status:       status,
		HTTPStatus:   x.httpStatus,
		ErrorCode:    junction.ErrorCode(err),
		ErrorMessage: failureMessage(err),
		Attempts:     attempts,
		DurationMS:   e.clock.Now().Sub(start).Milliseconds(),
		StartedAt:    start,
		Debug:        x.debug,
	})
	if err != nil {
		e.logger.LogAttrs(ctx, slog.LevelInfo, "poll failed",
			slog.String("execution_id", res.ExecutionID), slog.String("connection_id", conn.ID),
			slog.String("activity", activity), slog.String("code", junction.ErrorCode(err)),
			slog.Int("http_status", x.httpStatus))
		return res, err
	}
	return res, nil
}

func (e *Engine) poll(ctx context.Context, x *run, req *PollRequest, res *PollResult) error {
	if err := x.load(ctx); err != nil {
		return err
	}
	if err := usable(x.conn); err != nil {
		return err
	}
	if x.def.Event(req.Object, req.Event) == nil {
		return junction.NotFound("event " + req.Event + " of object " + req.Object)
	}
	x.known = true
	if err := x.prepare(ctx); err != nil {
		return err
	}
	build := func(c connector.Credentials) (*connector.Request, error) {
		return x.def.BuildPoll(c, req.Object, req.Event, req.Input, req.State)
	}
	cur, err := build(x.creds)
	if err != nil {
		return err
	}
	maxPages := req.MaxPages
	if maxPages <= 0 || maxPages > MaxPages {
		maxPages = MaxPages
	}
	state := req.State
	var resps []connector.Response
	for page := 1; ; page++ {
		rebuild := func(c connector.Credentials) (*connector.Request, error) {
			r, err := build(c)
			if err != nil {
				return nil, err
			}
			for _, prev := range resps {
				next, ok, err := r.NextPage(prev)
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, junction.Internal(errors.New("page sequence changed while rebuilding with fresh credentials"))
				}
				r = next
			}
			return r, nil
		}
		resp, sent, err := x.send(ctx, cur, rebuild)
		if err != nil {
			return err
		}
		cur = sent
		// Records are classified against the state the poll started from,
		// not the watermark the earlier pages advanced.
		pg, err := x.def.PollRecords(req.Object, req.Event, req.State, cur, resp)
		if err != nil {
			return err
		}
		res.Records = append(res.Records, pg.Records...)
		state = pg.Advance(state)
		if pg.Next == nil {
			break
		}
		if page >= maxPages {
			res.Truncated = true
			break
		}
		resps = append(resps, resp)
		cur = pg.Next
	}
	res.State = state
	x.succeeded(ctx)
	return nil
}

// WebhookDelivery is one request a vendor sent to a trigger's URL.
type WebhookDelivery struct {
	Connection *junction.Connection
	// Method is the HTTP method, POST when empty; GET and HEAD only ever
	// carry a handshake.
	Method string
	// URL is where the vendor sent it, as the vendor knows it (see
	// connector.WebhookRequest.URL).
	URL    string
	Query  url.Values
	Header http.Header
	Body   []byte
	// HandshakeSecret is the signing secret an earlier handshake handed
	// over, which the trigger keeps (Asana's X-Hook-Secret); zero when
	// none.
	HandshakeSecret junction.Secret
}

// ReceiveWebhook verifies a delivery with the connection's signing secret
// (materialised like any connection field, so it may come from a vault
// asset) and parses it. When verification fails and the secret came from a
// vault, the value is read from the vault again, once, and the delivery
// verified again: the secret may have been rotated within the cache's hour.
//
// A handshake the connector declares is answered first, unverified, since
// vendors send them unsigned (see connector.Definition.AnswerHandshake).
//
// It returns either the events (one, or a batch's, see
// connector.Definition.ParseWebhookEvents) with the answer the connector
// gives once they are stored, if any, or, for the vendor's handshake, no
// events and the answer to give. Errors: method_not_allowed for a GET or HEAD that is no
// declared handshake, unauthenticated for a bad or missing signature (never
// counted against the connection: anyone can send one), validation_failed
// from the connector for a connector that receives no webhooks, a missing
// secret or a malformed body, and the credential stores' errors.
func (e *Engine) ReceiveWebhook(ctx context.Context, d WebhookDelivery) ([]*connector.WebhookEvent, *connector.HandshakeResponse, error) {
	if d.Connection == nil {
		return nil, nil, junction.Invalid("connection", "is required")
	}
	x := &run{e: e, conn: d.Connection, testing: true}
	if err := x.load(ctx); err != nil {
		return nil, nil, err
	}
	if err := x.materialise(ctx); err != nil {
		return nil, nil, err
	}
	req := connector.WebhookRequest{Method: d.Method, URL: d.URL, Query: d.Query, Header: d.Header, Body: d.Body,
		HandshakeSecret: d.HandshakeSecret,
		Certificate:     func(url string) ([]byte, error) { return e.certificate(ctx, url) },
		Confirm: func(url string) error {
			_, err := e.vendorGET(ctx, url)
			return err
		},
		VerifyIDToken: func(issuer, token, audience string) (*connector.IDTokenClaims, error) {
			return e.verifyIDToken(ctx, issuer, token, audience)
		}}
	hs, err := x.def.AnswerHandshake(x.creds, req)
	if hs != nil || err != nil {
		return nil, hs, err
	}
	if d.Method != "" && d.Method != http.MethodPost {
		return nil, nil, &junction.Error{Code: junction.EMETHODNOTALLOWED,
			Message: d.Method + " answers only the handshakes the connector declares; deliveries are POSTed"}
	}
	err = x.def.VerifyWebhookRequest(x.creds, req, e.clock.Now())
	if junction.IsCode(err, junction.EUNAUTHENTICATED) && len(x.assets) > 0 {
		changed, rerr := x.refreshAssets(ctx)
		if rerr != nil {
			return nil, nil, rerr
		}
		if changed {
			err = x.def.VerifyWebhookRequest(x.creds, req, e.clock.Now())
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return x.def.ParseWebhookEvents(x.creds, req)
}
