package azurekvtest

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// serveIdentity answers the Microsoft identity platform endpoints a
// confidential client uses: instance discovery, the tenant's OpenID
// configuration and the v2.0 token endpoint (client credentials grant).
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/common/discovery/instance":
		s.instanceDiscovery(w)
	case r.Method == http.MethodGet && len(parts) == 4 && parts[1] == "v2.0" && parts[2] == ".well-known" && parts[3] == "openid-configuration":
		s.openIDConfiguration(w, parts[0])
	case r.Method == http.MethodPost && len(parts) == 4 && parts[1] == "oauth2" && parts[2] == "v2.0" && parts[3] == "token":
		s.token(w, r, parts[0])
	default:
		identityError(w, http.StatusNotFound, "invalid_request", 90000, "The request path is not an identity platform endpoint.")
	}
}

func (s *Server) instanceDiscovery(w http.ResponseWriter) {
	tenant := TenantID
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": s.AuthorityURL() + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": AuthorityHost,
			"preferred_cache":   AuthorityHost,
			"aliases":           []string{AuthorityHost},
		}},
	})
}

func (s *Server) openIDConfiguration(w http.ResponseWriter, tenant string) {
	if tenant != TenantID {
		identityError(w, http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	}
	base := s.AuthorityURL() + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"issuer":                                base + "/v2.0",
		"tenant_region_scope":                   "EU",
	})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant string) {
	s.mu.Lock()
	s.tokenReq++
	reject, failing := s.rejectLogin, s.tokenFail
	s.mu.Unlock()
	if failing != 0 {
		identityError(w, failing, "temporarily_unavailable", 50196, "The server is temporarily unavailable. Please try again.")
		return
	}
	if err := r.ParseForm(); err != nil {
		identityError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	switch {
	case tenant != TenantID:
		identityError(w, http.StatusBadRequest, "invalid_request", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
		return
	case r.PostForm.Get("grant_type") != "client_credentials":
		identityError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
		return
	case r.PostForm.Get("client_id") != ClientID:
		identityError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'.", r.PostForm.Get("client_id"), tenant))
		return
	case reject:
		identityError(w, http.StatusUnauthorized, "invalid_client", 7000222,
			fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app.", ClientID))
		return
	case subtle.ConstantTimeCompare([]byte(r.PostForm.Get("client_secret")), []byte(ClientSecret)) != 1:
		identityError(w, http.StatusUnauthorized, "invalid_client", 7000215,
			fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", ClientID))
		return
	}
	scope := r.PostForm.Get("scope")
	audience, ok := strings.CutSuffix(strings.Fields(scope + " x")[0], "/.default")
	if !ok {
		identityError(w, http.StatusBadRequest, "invalid_scope", 1002012,
			fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope))
		return
	}
	tok := newID() + newID()
	s.mu.Lock()
	s.tokens[tok] = issuedToken{audience: audience, expires: time.Now().Add(tokenLifetime)}
	s.mu.Unlock()
	secs := int(tokenLifetime/time.Second) - 1
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     secs,
		"ext_expires_in": secs,
		"access_token":   tok,
	})
}

// identityError writes the error body of the Microsoft identity platform:
// an OAuth error code plus an AADSTS code in the description.
func identityError(w http.ResponseWriter, status int, code string, aadsts int, msg string) {
	now := time.Now().UTC()
	trace, corr := newID(), newID()
	writeJSON(w, status, map[string]any{
		"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			aadsts, msg, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		"error_codes":    []int{aadsts},
		"timestamp":      now.Format("2006-01-02 15:04:05Z"),
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("https://%s/error?code=%d", AuthorityHost, aadsts),
	})
}
