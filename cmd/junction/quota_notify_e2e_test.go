package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"

	"junction"
	"junction/notify"
	"junction/notify/mailtest"
)

// quotaServer runs a server that sends email through Mailpit, gives the
// bootstrap administrator an address, and makes an http connection to a
// loopback API: what the quota tests share.
type quotaServer struct {
	m      *Main
	api    *apiClient
	me     junction.User
	email  string
	connID string
}

func newQuotaServer(t *testing.T, env map[string]string) *quotaServer {
	t.Helper()
	const key = "e2e-quota-api-key-a87ff679a2"
	mail := mailtest.Start(t)
	cfg := map[string]string{
		envBootstrapToken:         testBootstrapToken,
		"JUNCTION_OUTBOUND_ALLOW": "127.0.0.0/8",
		"JUNCTION_PUBLIC_URL":     "https://junction.example.com",
		"JUNCTION_SMTP_URL":       "smtp://junction@" + mail.SMTPAddr,
		"JUNCTION_SMTP_FROM":      "Junction <junction@example.com>",
	}
	for k, v := range env {
		cfg[k] = v
	}
	m, logs := MustRunMain(t, "", "", cfg)
	t.Cleanup(func() {
		if strings.Contains(logs.String(), key) {
			t.Error("the API key reached the logs")
		}
	})
	s := &quotaServer{m: m, api: &apiClient{t: t, base: m.URL(), token: testBootstrapToken}}
	var me struct {
		User junction.User `json:"user"`
	}
	s.api.must(http.StatusOK, "GET", "/api/v1/me", nil, &me)
	s.me = me.User
	s.email = "quota-" + junction.NewID()[24:] + "@example.com"
	s.api.must(http.StatusOK, "PATCH", "/api/v1/users/"+s.me.ID, map[string]any{"email": s.email}, nil)

	upstream := newKeyedAPI(t, key)
	var folder, conn struct {
		ID string `json:"id"`
	}
	s.api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Metered"}, &folder)
	s.api.must(http.StatusCreated, "POST", "/api/v1/connections", map[string]any{"folder_id": folder.ID, "connector": "http",
		"name": "metered-api", "auth_type": "api_key", "fields": map[string]any{"base_url": upstream.URL + "/v1",
			"api_key_in": "header", "api_key_name": "X-API-Key", "api_key": key}}, &conn)
	s.connID = conn.ID
	return s
}

// execute runs one execution, one API call, wanting status want.
func (s *quotaServer) execute(want int) {
	s.api.t.Helper()
	s.api.must(want, "POST", "/api/v1/connections/"+s.connID+"/execute",
		map[string]any{"activity": "http_request", "input": map[string]any{"path": "/items"}}, nil)
}

// settle writes the usage counts, which tells the thresholds crossed, and
// dispatches the events. The server does both every few seconds; the test
// does not wait for that, and either way each happens once.
func (s *quotaServer) settle() {
	s.api.t.Helper()
	ctx := s.api.t.Context()
	if err := s.m.usage.Flush(ctx); err != nil {
		s.api.t.Fatal(err)
	}
	if _, err := s.m.notifier.DispatchPending(ctx); err != nil {
		s.api.t.Fatal(err)
	}
}

// quotaNotifications returns the administrator's quota.threshold
// notifications, newest first.
func (s *quotaServer) quotaNotifications() []junction.Notification {
	s.api.t.Helper()
	var list struct {
		Items []junction.Notification `json:"items"`
	}
	s.api.must(http.StatusOK, "GET", "/api/v1/notifications", nil, &list)
	var out []junction.Notification
	for _, n := range list.Items {
		if n.Type == junction.EventQuotaThreshold {
			out = append(out, n)
		}
	}
	return out
}

// TestQuotaThresholds_EndToEnd: a tenant given a quota of 10 API calls a
// month hears nothing at 7, once at 8 (80 %) and once more at 10 (100 %),
// however often usage is written and events dispatched; the 11th call is
// refused and tells nothing new. The 80 % email goes at once; the 100 %
// one, within the hour of the first, waits for the digest, which sends
// it.
func TestQuotaThresholds_EndToEnd(t *testing.T) {
	s := newQuotaServer(t, nil)
	mail := mailtest.Start(t)
	s.api.must(http.StatusOK, "PUT", "/api/v1/tenants/"+s.me.TenantID+"/quotas", map[string]any{"api_calls_per_month": 10}, nil)
	done, cancel := s.m.queue.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()

	for range 7 {
		s.execute(http.StatusOK)
	}
	s.settle()
	if ns := s.quotaNotifications(); len(ns) != 0 {
		t.Fatalf("at 70%%: %+v", ns)
	}

	s.execute(http.StatusOK)
	s.settle()
	s.settle()
	ns := s.quotaNotifications()
	if len(ns) != 1 || !strings.Contains(ns[0].Title, "80%") || !strings.Contains(ns[0].Body, "8 of its 10 API calls") ||
		ns[0].ObjectID != s.me.TenantID || ns[0].ReadAt != nil {
		t.Fatalf("at 80%%: %+v", ns)
	}
	waitJobs(t, done, notify.KindEmail)
	if msgs := mail.Messages(t, s.email); len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "80%") {
		t.Fatalf("emails at 80%%: %+v", msgs)
	}

	s.execute(http.StatusOK)
	s.execute(http.StatusOK)
	s.settle()
	s.execute(http.StatusTooManyRequests)
	s.settle()
	ns = s.quotaNotifications()
	if len(ns) != 2 || !strings.Contains(ns[0].Title, "100%") || !strings.Contains(ns[0].Body, "10 of its 10 API calls") ||
		!strings.Contains(ns[1].Title, "80%") {
		t.Fatalf("at 100%%: %+v", ns)
	}
	// The second email about the tenant's quota within the hour waits for
	// the digest; send it now rather than wait the hour.
	if err := s.m.notifier.SendEmail(t.Context(), s.me.TenantID, s.me.ID, s.me.TenantID, junction.EventQuotaThreshold); err != nil {
		t.Fatal(err)
	}
	msgs := mail.Messages(t, s.email)
	if len(msgs) != 2 || !strings.Contains(msgs[1].Text, "100%") {
		t.Fatalf("emails at 100%%: %+v", msgs)
	}
	// Raising the quota does not tell the thresholds of this month again.
	s.api.must(http.StatusOK, "PUT", "/api/v1/tenants/"+s.me.TenantID+"/quotas", map[string]any{"api_calls_per_month": 12}, nil)
	s.execute(http.StatusOK)
	s.settle()
	if ns := s.quotaNotifications(); len(ns) != 2 {
		t.Fatalf("after raising the quota: %d quota notifications", len(ns))
	}
}

// TestWebUI_NotificationBell: the header's bell counts the quota
// notifications in a real browser, leads to the notifications page, and
// "Mark all read" clears it.
func TestWebUI_NotificationBell(t *testing.T) {
	ctx := browser(t)
	const password = "bell root passphrase"
	s := newQuotaServer(t, map[string]string{envBootstrapPassword: password})
	// A quota of one call: the first execution crosses 80 and 100 %.
	s.api.must(http.StatusOK, "PUT", "/api/v1/tenants/"+s.me.TenantID+"/quotas", map[string]any{"api_calls_per_month": 1}, nil)
	s.execute(http.StatusOK)
	s.settle()
	if ns := s.quotaNotifications(); len(ns) != 2 {
		t.Fatalf("%d quota notifications, want 2", len(ns))
	}

	base := s.m.URL()
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		if err := chromedp.Do(stepCtx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML("body"))
			t.Fatalf("%s: %v\npage:\n%.3000s", what, err, html)
		}
	}
	text := func(sel string) string {
		t.Helper()
		return value(t, ctx, "read "+sel, chromedp.Evaluate[string](`(document.querySelector('`+sel+`') || {}).innerText || ""`))
	}
	step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible("#username"),
		chromedp.SetValue("#username", "admin"), chromedp.SetValue("#password", password),
		chromedp.Submit("#signin"), chromedp.WaitVisible("#logout"))
	if n := text("#unread-count"); n != "2" {
		t.Fatalf("the bell shows %q, want 2", n)
	}
	step("open the notifications", chromedp.Click("#notification-bell"), chromedp.WaitVisible("#notifications"))
	if rows := text("#notifications tbody"); !strings.Contains(rows, "100% of this month's quota") || !strings.Contains(rows, "80% of this month's quota") {
		t.Fatalf("notifications page: %q", rows)
	}
	step("mark all read", markPage(), chromedp.Submit("#mark-all-read"), awaitNewPage(".notice"), chromedp.WaitVisible(".notice"))
	if n := text("#unread-count"); n != "" || !strings.Contains(text(".notice"), "Marked 2 notifications read.") {
		t.Fatalf("after marking all read the bell shows %q", n)
	}
}
