package httpapi

import (
	"net/http"

	"junction/app"
)

func (s *Server) meRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/me", op: "me", access: authenticated(), tag: "me",
			summary:  "Who the token belongs to, and what it may do",
			response: app.Me{}, status: http.StatusOK, handle: s.me},
	}
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	m, err := s.app.Me(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}
