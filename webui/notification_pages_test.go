package webui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"junction"
)

// notifyUser stores n in-app notifications for a user, oldest first, the
// first linking to a connection, and returns them newest first.
func notifyUser(t *testing.T, e *fullEnv, userID string, n int) []*junction.Notification {
	t.Helper()
	ctx := context.Background()
	out := make([]*junction.Notification, n)
	for i := range n {
		nt := &junction.Notification{TenantID: e.admin.TenantID(), UserID: userID, EventID: junction.NewID(),
			Type: junction.EventConnectionDisconnected, ObjectType: "connection", ObjectID: junction.NewID(),
			Title: fmt.Sprintf("Connection number-%02d was disconnected", i), Body: "authentication failed",
			At: e.s.Clock.Now().Add(time.Duration(i) * time.Second), InApp: true}
		if i == 0 {
			nt.Link = "/connections/" + nt.ObjectID
		}
		if err := e.s.DB.CreateNotification(ctx, nt); err != nil {
			t.Fatal(err)
		}
		out[n-1-i] = nt
	}
	return out
}

var unreadBadge = func(n int) string { return `id="unread-count">` + fmt.Sprint(n) + `<` }

func TestNotificationPages(t *testing.T) {
	e := newFullEnv(t)
	// More than a page, so that the list pages.
	ns := notifyUser(t, e, e.admin.User.ID, 52)

	t.Run("Bell", func(t *testing.T) {
		body := e.get("/connections", http.StatusOK)
		if !strings.Contains(body, `href="/notifications" id="notification-bell"`) || !strings.Contains(body, unreadBadge(52)) {
			t.Fatalf("header: %s", body)
		}
		// Another user's notifications are not counted, and with none
		// unread the bell shows no number.
		c, _ := e.signInAs("nora", "Viewer")
		_, body = e.do(c, "GET", "/", nil)
		if !strings.Contains(body, `id="notification-bell"`) || strings.Contains(body, `id="unread-count"`) {
			t.Fatalf("nora's header: %s", body)
		}
	})

	t.Run("ListPaged", func(t *testing.T) {
		body := e.get("/notifications", http.StatusOK)
		if n := strings.Count(body, `<tr id="notification-`); n != 50 {
			t.Fatalf("first page has %d rows", n)
		}
		if !strings.Contains(body, `id="notification-`+ns[0].ID+`" class="unread"`) || !strings.Contains(body, `id="notifications-unread">52<`) {
			t.Fatalf("first page: %s", body)
		}
		i := strings.Index(body, `id="notifications-next"`)
		if i < 0 {
			t.Fatal("no next page link")
		}
		next := body[strings.LastIndex(body[:i], `href="`)+len(`href="`):]
		next = strings.ReplaceAll(next[:strings.IndexByte(next, '"')], "&amp;", "&")
		body = e.get(next, http.StatusOK)
		if n := strings.Count(body, `<tr id="notification-`); n != 2 || !strings.Contains(body, `<a href="`+ns[51].Link+`" class="notification-link">`) {
			t.Fatalf("second page (%s) has %d rows: %s", next, n, body)
		}
	})

	t.Run("MarkRead", func(t *testing.T) {
		resp, _ := e.post("/notifications/"+ns[0].ID+"/read", url.Values{"back": {"/notifications?unread=1"}})
		wantStatus(t, "mark read", resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/notifications?unread=1&notice=") {
			t.Fatalf("sent to %q", loc)
		}
		body := e.get("/notifications?unread=1", http.StatusOK)
		if strings.Contains(body, `id="notification-`+ns[0].ID+`"`) || !strings.Contains(body, unreadBadge(51)) {
			t.Fatalf("after marking one read: %s", body)
		}
		body = e.get("/notifications", http.StatusOK)
		if !strings.Contains(body, `id="notification-`+ns[0].ID+`" class="read"`) {
			t.Fatal("the notification read is not shown read")
		}
		// A return address elsewhere is not followed.
		resp, _ = e.post("/notifications/"+ns[1].ID+"/read", url.Values{"back": {"https://elsewhere.example/"}})
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/notifications?notice=") {
			t.Fatalf("sent to %q", loc)
		}
	})

	t.Run("ErrCSRF", func(t *testing.T) {
		resp, _ := e.do(e.client, "POST", "/notifications/read-all", url.Values{"csrf": {"forged"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a forged form: %d", resp.StatusCode)
		}
		if body := e.get("/", http.StatusOK); !strings.Contains(body, unreadBadge(50)) {
			t.Fatal("a forged form marked notifications read")
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		// Another user's notification is not there for this one.
		c, token := e.signInAs("otto", "Viewer")
		resp, _ := e.postAs(c, token, "/notifications/"+ns[2].ID+"/read", nil)
		wantStatus(t, "mark another's notification read", resp, http.StatusNotFound)
		resp, _ = e.postAs(c, token, "/notifications/not-an-id/read", nil)
		wantStatus(t, "mark a bad ID read", resp, http.StatusNotFound)
	})

	t.Run("MarkAllRead", func(t *testing.T) {
		resp, _ := e.post("/notifications/read-all", nil)
		wantStatus(t, "mark all read", resp, http.StatusSeeOther)
		body := e.get(resp.Header.Get("Location"), http.StatusOK)
		if !strings.Contains(body, "Marked 50 notifications read.") || strings.Contains(body, `id="unread-count"`) ||
			strings.Contains(body, `id="mark-all-read"`) || !strings.Contains(body, "Nothing unread.") {
			t.Fatalf("after marking all read: %s", body)
		}
	})
}
