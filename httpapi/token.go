package httpapi

import (
	"net/http"
	"time"

	"junction"
	"junction/app"
)

type createTokenRequest struct {
	Name string `json:"name,omitempty"`
	// ExpiresAt is an RFC 3339 time in the future; no expiry when empty.
	ExpiresAt string `json:"expires_at,omitempty" format:"date-time"`
}

// tokenCreatedResponse is the new token with its secret, shown this once.
type tokenCreatedResponse struct {
	*junction.Token
	Secret string `json:"token"`
}

func (s *Server) tokenRoutes() []route {
	const tag = "tokens"
	return []route{
		{method: "POST", path: "/api/v1/users/{id}/tokens", op: "createToken", access: selfOr(junction.PermUsersEdit).targetsUsers(), tag: tag,
			summary:    "Create an API token; its secret is returned only in this response",
			permission: "the user themselves, or " + string(junction.PermUsersEdit),
			request:    createTokenRequest{}, response: tokenCreatedResponse{}, status: http.StatusCreated, handle: s.createToken},
		{method: "GET", path: "/api/v1/users/{id}/tokens", op: "listTokens", access: selfOr(junction.PermUsersView), tag: tag, summary: "List a user's tokens",
			permission: "the user themselves, or " + string(junction.PermUsersView),
			response:   app.List[*junction.Token]{}, status: http.StatusOK, handle: s.listTokens},
		{method: "DELETE", path: "/api/v1/tokens/{id}", op: "revokeToken", access: selfOr(junction.PermUsersEdit).targetsUsers(), tag: tag, summary: "Revoke a token",
			permission: "the token's user, or " + string(junction.PermUsersEdit),
			status:     http.StatusNoContent, handle: s.revokeToken},
	}
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req createTokenRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	in := app.CreateTokenInput{Name: req.Name}
	if req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, req.ExpiresAt)
		if err != nil {
			return junction.Invalid("expires_at", "must be an RFC 3339 time such as 2030-01-31T12:00:00Z")
		}
		in.ExpiresAt = &t
	}
	res, err := s.app.CreateToken(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, tokenCreatedResponse{
		Token:  res.Token,
		Secret: res.Secret.Reveal(), // the one time the caller sees it
	})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.app.ListTokens(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app.List[*junction.Token]{Items: ts})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.app.RevokeToken(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
