package httpapi

import (
	"net/http"
	"time"

	"junction"
	"junction/app"
)

func (s *Server) usageRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/usage", op: "getUsage", access: anyFolder(junction.PermLogsView),
			permission: "Logs.View (tenant-wide for the whole tenant, else the folders where it is held)", tag: "usage",
			summary: "Executions, API calls, trigger events, polls and jobs delivered, per UTC day, summed by a grouping",
			query: []queryParam{
				{name: "from", description: "First day counted (UTC), 2025-01-31 or an RFC 3339 time; 30 days before to by default."},
				{name: "to", description: "Day after the last one counted (UTC), 2025-03-01 or an RFC 3339 time; tomorrow by default."},
				{name: "group_by", description: "day, connector, connection or folder; without it, the total only."},
			},
			response: app.UsageReport{}, status: http.StatusOK, handle: s.getUsage},
		{method: "GET", path: "/api/v1/tenants/{id}/quotas", op: "getTenantQuotas", access: hostAdmin(), tag: "tenants",
			permission: "host administrator", summary: "A tenant's quotas (null: unlimited) and what it uses of them",
			response: app.TenantQuotas{}, status: http.StatusOK, handle: s.getTenantQuotas},
		{method: "PUT", path: "/api/v1/tenants/{id}/quotas", op: "setTenantQuotas", access: hostAdmin(), tag: "tenants",
			permission: "host administrator", summary: "Replace a tenant's quotas; a null or absent field is unlimited",
			request: junction.Quotas{}, response: app.TenantQuotas{}, status: http.StatusOK, handle: s.setTenantQuotas},
		{method: "GET", path: "/api/v1/system", op: "getSystem", access: authenticated(), tag: "system",
			summary:  "What this server offers: version, database kind, credential store types, connectors, features and limits",
			response: app.SystemInfo{}, status: http.StatusOK, handle: s.getSystem},
	}
}

// dayParam reads a day (2006-01-02) or an RFC 3339 time.
func dayParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(junction.UsageDay, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, junction.Invalid(name, "must be a day such as 2025-01-31 or an RFC 3339 time")
	}
	return t, nil
}

func (s *Server) getUsage(w http.ResponseWriter, r *http.Request) error {
	from, err := dayParam(r, "from")
	if err != nil {
		return err
	}
	to, err := dayParam(r, "to")
	if err != nil {
		return err
	}
	rep, err := s.app.GetUsage(r.Context(), principal(r), app.UsageQuery{From: from, To: to,
		GroupBy: junction.UsageGroup(r.URL.Query().Get("group_by"))})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

func (s *Server) getTenantQuotas(w http.ResponseWriter, r *http.Request) error {
	q, err := s.app.GetTenantQuotas(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

func (s *Server) setTenantQuotas(w http.ResponseWriter, r *http.Request) error {
	var req junction.Quotas
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	q, err := s.app.SetTenantQuotas(r.Context(), principal(r), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

func (s *Server) getSystem(w http.ResponseWriter, r *http.Request) error {
	info, err := s.app.System(r.Context(), principal(r))
	if err != nil {
		return err
	}
	info.Limits.RequestBodyBytes = s.opts.MaxBodyBytes
	return writeJSON(w, http.StatusOK, info)
}
