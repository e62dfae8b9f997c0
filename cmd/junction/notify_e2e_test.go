package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"junction"
	"junction/notify"
	"junction/notify/mailtest"
	"junction/trigger"
)

// TestNotifications_EndToEnd: a connection whose key stops working is
// disconnected by its test; the tenant administrator gets one in-app
// notification and one email through a real SMTP server, each naming the
// connection and the reason and linking to it, and the tenant's webhook
// gets the event signed. The connection's key, the SMTP password and the
// webhook secret appear in none of them, nor in the logs.
func TestNotifications_EndToEnd(t *testing.T) {
	const (
		key          = "e2e-notify-api-key-5d41402abc"
		smtpPassword = "e2e-smtp-password-7215ee9c7d"
		hookSecret   = "e2e-notify-hook-secret-9bf31c7f"
	)
	mail := mailtest.Start(t)
	m, logs := MustRunMain(t, "", "", map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
		"JUNCTION_PUBLIC_URL":     "https://junction.example.com",
		"JUNCTION_SMTP_URL":       "smtp://junction@" + mail.SMTPAddr,
		"JUNCTION_SMTP_FROM":      "Junction <junction@example.com>",
		envSMTPPassword:           smtpPassword,
	})
	api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
	var me struct {
		User junction.User `json:"user"`
	}
	api.must(http.StatusOK, "GET", "/api/v1/me", nil, &me)
	email := "admin-" + junction.NewID()[24:] + "@example.com"
	api.must(http.StatusOK, "PATCH", "/api/v1/users/"+me.User.ID, map[string]any{"email": email}, nil)

	hooks := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hooks <- r
		bodies <- b
	}))
	t.Cleanup(receiver.Close)
	api.must(http.StatusOK, "PUT", "/api/v1/settings/notification-webhook",
		map[string]any{"url": receiver.URL, "secret": hookSecret}, nil)

	upstream := newKeyedAPI(t, key)
	var folder struct {
		ID string `json:"id"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Billing"}, &folder)
	var conn struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{"folder_id": folder.ID, "connector": "http",
		"name": "billing-api", "auth_type": "api_key", "fields": map[string]any{"base_url": upstream.URL + "/v1",
			"api_key_in": "header", "api_key_name": "X-API-Key", "api_key": key, "test_path": "/v1/me"}}, &conn)
	if conn.Status != "connected" {
		t.Fatalf("connection %+v", conn)
	}

	// The vendor revokes the key: the next test disconnects the connection.
	done, cancel := m.queue.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	upstream.setKey("rotated-elsewhere")
	api.call("POST", "/api/v1/connections/"+conn.ID+"/test", nil)
	// The leader dispatches every few seconds; the test does not wait for
	// that. Either way the event is dispatched once.
	if _, err := m.notifier.DispatchPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitJobs(t, done, notify.KindEmail, notify.KindWebhook)

	var list struct {
		Items       []junction.Notification `json:"items"`
		UnreadCount int                     `json:"unread_count"`
	}
	api.must(http.StatusOK, "GET", "/api/v1/notifications", nil, &list)
	link := "https://junction.example.com/connections/" + conn.ID
	if len(list.Items) != 1 || list.UnreadCount != 1 || !strings.Contains(list.Items[0].Title, "billing-api") ||
		!strings.Contains(list.Items[0].Body, "authentication failed") || list.Items[0].Link != link {
		t.Fatalf("in-app notifications: %+v", list)
	}
	msgs := mail.Messages(t, email)
	if len(msgs) != 1 {
		t.Fatalf("%d emails, want 1", len(msgs))
	}
	if !strings.Contains(msgs[0].Subject, "billing-api") || !strings.Contains(msgs[0].Text, "authentication failed") ||
		!strings.Contains(msgs[0].Text, link) || !strings.Contains(msgs[0].HTML, link) {
		t.Fatalf("email %+v", msgs[0])
	}
	r, body := <-hooks, <-bodies
	if !trigger.VerifySignature(junction.NewSecret(hookSecret), r.Header.Get(trigger.HeaderSignature),
		r.Header.Get(trigger.HeaderTimestamp), body, time.Now(), time.Minute) {
		t.Fatal("the webhook post's signature does not verify")
	}
	var hook notify.WebhookBody
	if err := json.Unmarshal(body, &hook); err != nil || hook.Type != junction.EventConnectionDisconnected || hook.ObjectID != conn.ID {
		t.Fatalf("webhook body %s: %v", body, err)
	}

	sc := &scenario{t: t, urls: []string{m.URL()}, configDir: t.TempDir()}
	if out := sc.mustCLI(testBootstrapToken, "notifications", "list", "--unread"); !strings.Contains(out, "billing-api") ||
		!strings.Contains(out, list.Items[0].ID) {
		t.Fatalf("notifications list:\n%s", out)
	}
	sc.mustCLI(testBootstrapToken, "notifications", "preferences", "set", junction.EventJobFailed, "--folder", "Billing", "--email")
	if out := sc.mustCLI(testBootstrapToken, "notifications", "preferences"); !strings.Contains(out, "job.failed (folder "+folder.ID+")") ||
		!strings.Contains(out, "in-app no, email yes") {
		t.Fatalf("preferences:\n%s", out)
	}
	if out := sc.mustCLI(testBootstrapToken, "settings", "retention", "--audit", "400"); !strings.Contains(out, "400") ||
		!strings.Contains(out, "30") {
		t.Fatalf("settings retention:\n%s", out)
	}
	if out := sc.mustCLI(testBootstrapToken, "settings", "notification-webhook"); !strings.Contains(out, receiver.URL) ||
		strings.Contains(out, hookSecret) {
		t.Fatalf("settings notification-webhook:\n%s", out)
	}

	var read junction.Notification
	api.must(http.StatusOK, "POST", "/api/v1/notifications/"+list.Items[0].ID+"/read", nil, &read)
	api.must(http.StatusOK, "GET", "/api/v1/notifications?unread=true", nil, &list)
	if len(list.Items) != 0 || list.UnreadCount != 0 {
		t.Fatalf("after read: %+v", list)
	}

	inApp, _ := json.Marshal(read)
	secrets := []string{key, smtpPassword, hookSecret}
	assertNoSecret(t, "the email", []byte(msgs[0].Raw), secrets)
	assertNoSecret(t, "the in-app notification", inApp, secrets)
	assertNoSecret(t, "the webhook body", body, secrets)
	assertNoSecret(t, "the logs", []byte(logs.String()), secrets)
}

// waitJobs waits for one finished job of each kind, failing on a failed
// one.
func waitJobs(t *testing.T, events <-chan *river.Event, kinds ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	timeout := time.After(30 * time.Second)
	for len(want) > 0 {
		select {
		case ev := <-events:
			if !want[ev.Job.Kind] {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("%s job did not complete: %v", ev.Job.Kind, ev.Job.Errors)
			}
			delete(want, ev.Job.Kind)
		case <-timeout:
			t.Fatalf("jobs %v did not finish", want)
		}
	}
}
