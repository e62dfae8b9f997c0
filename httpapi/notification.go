package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

func (s *Server) notificationRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/notifications", op: "listNotifications", access: authenticated(), tag: "notifications",
			summary:  "List the caller's notifications, newest first, with the unread count",
			query:    append([]queryParam{{name: "unread", description: "true: only unread notifications."}}, pageParams...),
			response: app.NotificationList{}, status: http.StatusOK, handle: s.listNotifications},
		{method: "POST", path: "/api/v1/notifications/{id}/read", op: "readNotification", access: authenticated(), tag: "notifications",
			summary:  "Mark one of the caller's notifications read",
			response: junction.Notification{}, status: http.StatusOK, handle: s.readNotification},
		{method: "POST", path: "/api/v1/notifications/read-all", op: "readAllNotifications", access: authenticated(), tag: "notifications",
			summary:  "Mark all the caller's notifications read",
			response: app.ReadAll{}, status: http.StatusOK, handle: s.readAllNotifications},
		{method: "GET", path: "/api/v1/me/notification-preferences", op: "getNotificationPreferences", access: authenticated(),
			tag: "notifications", summary: "The caller's choices of what they are told, per event type and folder",
			response: app.NotificationPreferences{}, status: http.StatusOK, handle: s.getNotificationPreferences},
		{method: "PUT", path: "/api/v1/me/notification-preferences", op: "setNotificationPreferences", access: authenticated(),
			tag: "notifications", summary: "Replace the caller's choices of what they are told",
			request: setPreferencesRequest{}, response: app.NotificationPreferences{}, status: http.StatusOK,
			handle: s.setNotificationPreferences},
		{method: "GET", path: "/api/v1/settings/notification-webhook", op: "getNotificationWebhook",
			access: tenantWide(junction.PermAuditView), permission: "Audit.View", tag: "settings",
			summary:  "The tenant's notification webhook (the secret is never shown)",
			response: app.NotificationWebhook{}, status: http.StatusOK, handle: s.getNotificationWebhook},
		{method: "PUT", path: "/api/v1/settings/notification-webhook", op: "setNotificationWebhook",
			access: tenantWide(junction.PermAuditView, junction.PermRolesEdit), permission: "Audit.View and Roles.Edit",
			tag: "settings", summary: "Set or remove (empty url) the tenant's notification webhook, signed like trigger deliveries",
			request: app.NotificationWebhookInput{}, response: app.NotificationWebhook{}, status: http.StatusOK,
			handle: s.setNotificationWebhook},
		{method: "GET", path: "/api/v1/settings/retention", op: "getRetention",
			access: tenantWide(junction.PermAuditView), permission: "Audit.View", tag: "settings",
			summary:  "How many days the tenant keeps executions, trigger history, audit entries and ended jobs",
			response: junction.Retention{}, status: http.StatusOK, handle: s.getRetention},
		{method: "PUT", path: "/api/v1/settings/retention", op: "setRetention",
			access: tenantWide(junction.PermAuditView, junction.PermRolesEdit), permission: "Audit.View and Roles.Edit",
			tag: "settings", summary: "Change how long the tenant keeps its records (0: the default)",
			request: junction.Retention{}, response: junction.Retention{}, status: http.StatusOK, handle: s.setRetention},
	}
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	unread := false
	switch v := r.URL.Query().Get("unread"); v {
	case "", "false":
	case "true":
		unread = true
	default:
		return junction.Invalid("unread", "must be true or false")
	}
	list, err := s.app.ListNotifications(r.Context(), principal(r), unread, page)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) readNotification(w http.ResponseWriter, r *http.Request) error {
	n, err := s.app.MarkNotificationRead(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, n)
}

func (s *Server) readAllNotifications(w http.ResponseWriter, r *http.Request) error {
	res, err := s.app.MarkAllNotificationsRead(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) getNotificationPreferences(w http.ResponseWriter, r *http.Request) error {
	p, err := s.app.GetNotificationPreferences(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

type setPreferencesRequest struct {
	Preferences []junction.NotificationPreference `json:"preferences"`
}

func (s *Server) setNotificationPreferences(w http.ResponseWriter, r *http.Request) error {
	var req setPreferencesRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	p, err := s.app.SetNotificationPreferences(r.Context(), principal(r), req.Preferences)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) getNotificationWebhook(w http.ResponseWriter, r *http.Request) error {
	h, err := s.app.GetNotificationWebhook(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

func (s *Server) setNotificationWebhook(w http.ResponseWriter, r *http.Request) error {
	var req app.NotificationWebhookInput
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	h, err := s.app.SetNotificationWebhook(r.Context(), principal(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h)
}

func (s *Server) getRetention(w http.ResponseWriter, r *http.Request) error {
	ret, err := s.app.GetRetention(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ret)
}

func (s *Server) setRetention(w http.ResponseWriter, r *http.Request) error {
	var req junction.Retention
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	ret, err := s.app.SetRetention(r.Context(), principal(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ret)
}
