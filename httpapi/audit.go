package httpapi

import (
	"net/http"
	"slices"

	"junction"
	"junction/app"
)

func (s *Server) auditRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/audit", op: "listAudit", access: tenantWide(junction.PermAuditView), tag: "audit",
			summary: "List the tenant's audit log, oldest first", permission: string(junction.PermAuditView),
			query:    append(slices.Clone(auditFilterParams), pageParams...),
			response: app.List[*junction.AuditEntry]{}, status: http.StatusOK, handle: s.listAudit},
		{method: "GET", path: "/api/v1/audit/export", op: "exportAudit", access: tenantWide(junction.PermAuditView), tag: "audit",
			summary: "Stream every audit entry the list would show, oldest first, as NDJSON (application/x-ndjson, one entry " +
				"a line) or CSV (text/csv, with a header row, details as one JSON cell); ?format= or Accept chooses, NDJSON by default",
			permission: string(junction.PermAuditView),
			query:      append([]queryParam{exportFormatParam}, auditFilterParams...),
			status:     http.StatusOK, handle: s.exportAudit},
	}
}

var auditFilterParams = []queryParam{
	{name: "actor_id", description: "Only changes made by this user."},
	{name: "object_type", description: "Only entries about this kind of object (folder, user, role, token, tenant, credential_store, asset)."},
	{name: "object_id", description: "Only changes to this object."},
	{name: "action", description: "Only this action, such as folder.create."},
	{name: "since", description: "Only entries at or after this time.", format: "date-time"},
	{name: "until", description: "Only entries before this time.", format: "date-time"},
}

// auditQuery reads the audit filters of a list or an export.
func auditQuery(r *http.Request) (app.AuditQuery, error) {
	since, until, err := timeRange(r)
	if err != nil {
		return app.AuditQuery{}, err
	}
	q := r.URL.Query()
	return app.AuditQuery{ActorID: q.Get("actor_id"), ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"),
		Action: q.Get("action"), Since: since, Until: until}, nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	query, err := auditQuery(r)
	if err != nil {
		return err
	}
	query.Page = page
	list, err := s.app.ListAudit(r.Context(), principal(r), query)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}
