package httpapi

import (
	"context"
	"net/http"
	"time"

	"junction"
)

type healthResponse struct {
	Status string `json:"status"`
}

func (s *Server) healthRoutes() []route {
	return []route{
		{method: "GET", path: "/healthz", op: "health", access: public(), tag: "health",
			summary: "Liveness: the process serves requests", response: healthResponse{}, status: 200, handle: s.health},
		{method: "GET", path: "/readyz", op: "ready", access: public(), tag: "health",
			summary: "Readiness: the database answers", response: healthResponse{}, status: 200, handle: s.ready},
		{method: "GET", path: "/api/v1/openapi.json", op: "openapi", access: public(), tag: "health",
			summary: "This API's OpenAPI 3.1 document", response: map[string]any{}, status: 200, handle: s.serveOpenAPI},
	}
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, healthResponse{Status: "ok"})
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Readiness != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.opts.Readiness(ctx); err != nil {
			loggerFrom(r.Context()).WarnContext(r.Context(), "not ready", "error", err)
			return junction.Errorf(junction.EUNAVAILABLE, "not ready")
		}
	}
	return writeJSON(w, http.StatusOK, healthResponse{Status: "ready"})
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openapi)
	return nil
}
