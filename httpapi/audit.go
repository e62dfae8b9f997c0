package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

func (s *Server) auditRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/audit", op: "listAudit", access: tenantWide(junction.PermAuditView), tag: "audit",
			summary: "List the tenant's audit log, oldest first", permission: string(junction.PermAuditView),
			query: append([]queryParam{
				{name: "actor_id", description: "Only changes made by this user."},
				{name: "object_type", description: "Only entries about this kind of object (folder, user, role, token, tenant, credential_store, asset)."},
				{name: "object_id", description: "Only changes to this object."},
				{name: "action", description: "Only this action, such as folder.create."},
				{name: "since", description: "Only entries at or after this time.", format: "date-time"},
				{name: "until", description: "Only entries before this time.", format: "date-time"},
			}, pageParams...),
			response: app.List[*junction.AuditEntry]{}, status: http.StatusOK, handle: s.listAudit},
	}
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	since, until, err := timeRange(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.app.ListAudit(r.Context(), principal(r), app.AuditQuery{
		ActorID: q.Get("actor_id"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"),
		Action: q.Get("action"), Since: since, Until: until, Page: page,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}
