package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
)

func (s *Server) diagnosticsRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/system/diagnostics", op: "getDiagnostics", access: tenantWide(junction.PermCredentialStoresEdit), tag: "system",
			summary: "Run the checks a running server can make: its database, schema and clock, and a test login to each of the " +
				"tenant's credential stores. Each check is ok, warning or error, with what to do; status is the worst of them. " +
				"`junction doctor` runs these and the checks of the host (master key, proxy, DNS, SMTP)",
			permission: string(junction.PermCredentialStoresEdit) + " (tenant-wide)",
			response:   app.Diagnostics{}, status: http.StatusOK, handle: s.getDiagnostics},
	}
}

func (s *Server) getDiagnostics(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.Diagnostics(r.Context(), principal(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, d)
}
