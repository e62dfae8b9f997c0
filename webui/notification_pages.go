package webui

import (
	"net/http"
	"strconv"
	"strings"

	"junction/app"
)

// notificationsData is the notifications page. It knows the unread count
// already, so the header asks no second time (unreadCounter).
type notificationsData struct {
	List       app.NotificationList
	UnreadOnly bool
	// Back is this page's address, where the mark read forms return.
	Back string
}

func (d notificationsData) unread() int { return d.List.UnreadCount }

// unreadCounter is page data that carries the header's unread count.
type unreadCounter interface{ unread() int }

// unreadCount is the header's count of the caller's unread in-app
// notifications: the page's own when it has one, else one count query. A
// failed count shows no number rather than no page.
func (u *UI) unreadCount(r *request, data any) int {
	if d, ok := data.(unreadCounter); ok {
		return d.unread()
	}
	n, err := u.app.CountUnreadNotifications(r.Context(), r.p)
	if err != nil {
		u.opts.Logger.WarnContext(r.Context(), "count unread notifications", "error", err)
		return 0
	}
	return n
}

func (u *UI) notifications(w http.ResponseWriter, r *request) error {
	q := r.URL.Query()
	unreadOnly := q.Get("unread") == "1"
	list, err := u.app.ListNotifications(r.Context(), r.p, unreadOnly, pageOf(r))
	if err != nil {
		return err
	}
	return u.show(w, r, "notifications", "notifications", "Notifications",
		notificationsData{List: list, UnreadOnly: unreadOnly, Back: r.URL.RequestURI()}, nil)
}

// notificationsBack is where a mark read form returns: the notifications
// page it was sent from, never another address.
func notificationsBack(r *request) string {
	back := r.PostFormValue("back")
	if back == "/notifications" || strings.HasPrefix(back, "/notifications?") {
		if i := strings.Index(back, "notice="); i >= 0 {
			back = strings.TrimSuffix(back[:i], "&")
			back = strings.TrimSuffix(back, "?")
		}
		return back
	}
	return "/notifications"
}

func (u *UI) markNotificationRead(w http.ResponseWriter, r *request) error {
	if _, err := u.app.MarkNotificationRead(r.Context(), r.p, r.PathValue("id")); err != nil {
		return err
	}
	return redirectWith(w, r, notificationsBack(r), "Marked read.")
}

func (u *UI) markAllNotificationsRead(w http.ResponseWriter, r *request) error {
	res, err := u.app.MarkAllNotificationsRead(r.Context(), r.p)
	if err != nil {
		return err
	}
	notice := "Nothing was unread."
	switch {
	case res.Marked == 1:
		notice = "Marked 1 notification read."
	case res.Marked > 1:
		notice = "Marked " + strconv.Itoa(res.Marked) + " notifications read."
	}
	return redirectWith(w, r, notificationsBack(r), notice)
}

// redirectWith is redirect for a path that may carry a query already.
func redirectWith(w http.ResponseWriter, r *request, path, notice string) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r.Request, path+sep+"notice="+urlQueryEscape(notice), http.StatusSeeOther)
	return nil
}
