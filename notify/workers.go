package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/outbound"
	"junction/trigger"
)

// dispatchArgs is the periodic job that dispatches new events.
type dispatchArgs struct{}

func (dispatchArgs) Kind() string { return KindDispatch }

// InsertOpts: a dispatch that fails is done by the next one.
func (dispatchArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type dispatchWorker struct {
	river.WorkerDefaults[dispatchArgs]
	n *Notifier
}

func (w *dispatchWorker) Work(ctx context.Context, _ *river.Job[dispatchArgs]) error {
	_, err := w.n.DispatchPending(ctx)
	return err
}

// emailArgs sends a user the pending notifications about one object and
// event type. Due is part of the arguments, so that every notification
// arriving in the same window joins the one job waiting for it.
type emailArgs struct {
	TenantID string `json:"tenant_id"`
	UserID   string `json:"user_id"`
	ObjectID string `json:"object_id"`
	Type     string `json:"type"`
	Due      int64  `json:"due"`
}

func (emailArgs) Kind() string { return KindEmail }

type emailWorker struct {
	river.WorkerDefaults[emailArgs]
	n *Notifier
}

func (w *emailWorker) Work(ctx context.Context, job *river.Job[emailArgs]) error {
	return w.n.SendEmail(ctx, job.Args.TenantID, job.Args.UserID, job.Args.ObjectID, job.Args.Type)
}

// SendEmail sends a user one email with the notifications about the object
// and event type whose email is pending: one, or a digest of several. An
// error leaves them pending for the job's retry.
func (n *Notifier) SendEmail(ctx context.Context, tenantID, userID, objectID, eventType string) error {
	pending, err := n.store.ListPendingEmails(ctx, tenantID, userID, objectID, eventType)
	if err != nil || len(pending) == 0 {
		return err
	}
	ids := make([]string, len(pending))
	for i, p := range pending {
		ids[i] = p.ID
	}
	u, err := n.store.GetUser(ctx, tenantID, userID)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil // the user is gone, and their notifications with them
	}
	if err != nil {
		return err
	}
	now := n.clock.Now()
	if u.Disabled || u.Email == "" {
		// Nobody to send to: settle them, or they would wait forever.
		return n.store.MarkEmailed(ctx, tenantID, ids, now)
	}
	if n.mailer == nil {
		return errNoMailer
	}
	m, err := composeEmail(pending)
	if err != nil {
		return err
	}
	if err := n.mailer.Send(ctx, Mail{To: u.Email, Subject: m.subject, Text: m.text, HTML: m.html}); err != nil {
		n.logger.LogAttrs(ctx, slog.LevelWarn, "notification email not sent", slog.String("user_id", userID),
			slog.String("type", eventType), slog.String("error", err.Error()))
		return err
	}
	if err := n.store.MarkEmailed(ctx, tenantID, ids, now); err != nil {
		return err
	}
	n.logger.LogAttrs(ctx, slog.LevelInfo, "notification email sent", slog.String("user_id", userID),
		slog.String("type", eventType), slog.Int("notifications", len(ids)))
	// A notification stored while this email was being sent found a job
	// waiting (this one) and did not queue its own: it goes in the next
	// window's digest.
	more, err := n.store.ListPendingEmails(ctx, tenantID, userID, objectID, eventType)
	if err != nil || len(more) == 0 {
		return err
	}
	due := now.Add(EmailWindow)
	return n.store.InTx(ctx, func(tx junction.Store) error {
		return n.queueEmail(ctx, tx, emailArgs{TenantID: tenantID, UserID: userID, ObjectID: objectID, Type: eventType,
			Due: due.Unix()}, due)
	})
}

// webhookArgs posts one event to the tenant's notification webhook.
type webhookArgs struct {
	TenantID string `json:"tenant_id"`
	EventID  string `json:"event_id"`
}

func (webhookArgs) Kind() string { return KindWebhook }

type webhookWorker struct {
	river.WorkerDefaults[webhookArgs]
	n *Notifier
}

func (w *webhookWorker) Work(ctx context.Context, job *river.Job[webhookArgs]) error {
	return w.n.PostWebhook(ctx, job.Args.TenantID, job.Args.EventID)
}

// WebhookBody is what the notification webhook receives: the event, with
// the same title, text and link people read.
type WebhookBody struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	TenantID   string         `json:"tenant_id"`
	ObjectType string         `json:"object_type,omitempty"`
	ObjectID   string         `json:"object_id,omitempty"`
	FolderID   string         `json:"folder_id,omitempty"`
	At         time.Time      `json:"at"`
	Title      string         `json:"title"`
	Text       string         `json:"text"`
	Link       string         `json:"link,omitempty"`
	Details    map[string]any `json:"details,omitempty"`
}

// PostWebhook sends the event to the tenant's notification webhook, signed
// like a trigger delivery (X-Junction-Signature over the timestamp and
// body, keyed by the webhook's secret) with the event ID as idempotency
// key. A tenant without a webhook (removed meanwhile) gets nothing.
func (n *Notifier) PostWebhook(ctx context.Context, tenantID, eventID string) error {
	settings, err := n.store.GetTenantSettings(ctx, tenantID)
	if err != nil || settings.WebhookURL == "" {
		return err
	}
	e, err := n.store.GetEvent(ctx, tenantID, eventID)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	msg := render(e, n.link(e))
	body, err := json.Marshal(WebhookBody{ID: e.ID, Type: e.Type, TenantID: e.TenantID, ObjectType: e.ObjectType,
		ObjectID: e.ObjectID, FolderID: e.FolderID, At: e.At, Title: msg.title, Text: msg.body, Link: msg.link,
		Details: e.Details})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, settings.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("notification webhook: %w", err)
	}
	var secret *junction.Secret
	if settings.WebhookSealedID != "" {
		s, err := trigger.OpenSealedSecret(ctx, n.store, n.keyring, tenantID, settings.WebhookSealedID, "notification webhook secret")
		if err != nil {
			return err
		}
		secret = &s
	}
	trigger.SignRequest(req, secret, n.clock.Now(), body, e.ID)
	resp, err := n.out.Do(ctx, req, outbound.RequestOptions{RetrySafe: true, MaxResponseBytes: 64 << 10})
	if err != nil {
		return fmt.Errorf("notification webhook: %s", junction.ErrorMessage(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("notification webhook: the receiver answered HTTP %d", resp.StatusCode)
	}
	return nil
}
