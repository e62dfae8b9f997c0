package azurekvtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// apiVersion accepts the numbered (7.4) and dated (2025-07-01) versions of
// the Key Vault REST API.
var apiVersion = regexp.MustCompile(`^(7\.\d+|\d{4}-\d{2}-\d{2})(-preview(\.\d+)?)?$`)

const recoverableDays = 90

func isKeyOperation(op string) bool { return op == "wrapkey" || op == "unwrapkey" }

// serveVault answers the Key Vault secrets API and the keys API's wrapkey
// and unwrapkey.
func (s *Server) serveVault(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	failing := s.failing
	s.mu.Unlock()
	if failing != 0 {
		vaultError(w, failing, "ServiceUnavailable", "The service is temporarily unavailable.")
		return
	}
	if v := r.URL.Query().Get("api-version"); !apiVersion.MatchString(v) {
		vaultError(w, http.StatusBadRequest, "BadParameter", fmt.Sprintf("The specified version (%s) is not recognized.", v))
		return
	}
	if !s.authorize(w, r) {
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "secrets" && r.Method == http.MethodGet:
		s.listSecrets(w, r)
	case len(parts) >= 2 && len(parts) <= 3 && parts[0] == "secrets" && r.Method == http.MethodGet:
		version := ""
		if len(parts) == 3 {
			version = parts[2]
		}
		s.getSecret(w, parts[1], version)
	case len(parts) == 2 && parts[0] == "secrets" && r.Method == http.MethodPut:
		s.setSecret(w, r, parts[1])
	case len(parts) == 2 && parts[0] == "secrets" && r.Method == http.MethodDelete:
		s.deleteSecret(w, parts[1])
	case len(parts) == 2 && parts[0] == "deletedsecrets" && r.Method == http.MethodGet:
		s.getDeletedSecret(w, parts[1])
	case len(parts) == 2 && parts[0] == "deletedsecrets" && r.Method == http.MethodDelete:
		s.purgeSecret(w, parts[1])
	case len(parts) == 3 && parts[0] == "deletedsecrets" && parts[2] == "recover" && r.Method == http.MethodPost:
		s.recoverSecret(w, parts[1])
	case len(parts) == 3 && parts[0] == "keys" && isKeyOperation(parts[2]) && r.Method == http.MethodPost:
		s.serveKeyOperation(w, r, parts[1], "", parts[2])
	case len(parts) == 4 && parts[0] == "keys" && isKeyOperation(parts[3]) && r.Method == http.MethodPost:
		s.serveKeyOperation(w, r, parts[1], parts[2], parts[3])
	default:
		vaultError(w, http.StatusNotFound, "NotFound", "The requested resource was not found.")
	}
}

// authorize implements Key Vault's challenge: a request without a valid
// token is answered 401 with a WWW-Authenticate header naming the tenant's
// authority and the resource to request a token for.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	challenge := fmt.Sprintf(`Bearer authorization="%s%s", resource="https://%s"`, s.AuthorityURL(), TenantID, VaultDomain)
	deny := func(msg string) bool {
		w.Header().Set("WWW-Authenticate", challenge)
		vaultError(w, http.StatusUnauthorized, "Unauthorized", msg)
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return deny("AKV10000: Request is missing a Bearer or PoP token.")
	}
	s.mu.Lock()
	it, known := s.tokens[tok]
	s.mu.Unlock()
	switch {
	case !known:
		return deny("AKV10032: Invalid issuer. Expected one of the tenant's issuers.")
	case time.Now().After(it.expires):
		return deny("AKV10013: Token is expired.")
	case it.audience != "https://"+VaultDomain:
		return deny(fmt.Sprintf("AKV10022: Invalid audience. Expected https://%s, found: %s.", VaultDomain, it.audience))
	}
	return true
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request) {
	max := 25
	if v := r.URL.Query().Get("maxresults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 25 {
			vaultError(w, http.StatusBadRequest, "BadParameter", "maxresults must be between 1 and 25.")
			return
		}
		max = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []map[string]any{}
	for _, name := range sortedKeys(s.secrets) {
		if len(items) == max {
			break
		}
		sec := s.secrets[name]
		items = append(items, map[string]any{
			"id":         s.VaultURI() + "secrets/" + name,
			"attributes": attributes(sec),
			"tags":       sec.tags,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": items, "nextLink": nil})
}

func (s *Server) getSecret(w http.ResponseWriter, name, version string) {
	s.mu.Lock()
	s.reads++
	sec, ok := s.secrets[name]
	s.mu.Unlock()
	if !ok || (version != "" && version != sec.version) {
		secretNotFound(w, name)
		return
	}
	writeJSON(w, http.StatusOK, s.bundle(name, sec))
}

func (s *Server) setSecret(w http.ResponseWriter, r *http.Request, name string) {
	if !validName.MatchString(name) {
		vaultError(w, http.StatusBadRequest, "BadParameter",
			"The request URI contains an invalid name: "+name+". Secret names may contain only 0-9, a-z, A-Z and -.")
		return
	}
	var body struct {
		Value       *string           `json:"value"`
		ContentType string            `json:"contentType"`
		Tags        map[string]string `json:"tags"`
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(b, &body) != nil {
		vaultError(w, http.StatusBadRequest, "BadParameter", "The request body is not valid JSON.")
		return
	}
	if body.Value == nil {
		vaultError(w, http.StatusBadRequest, "BadParameter", "Property 'value' is required.")
		return
	}
	if len(*body.Value) > 25*1024 {
		vaultError(w, http.StatusBadRequest, "BadParameter", "Secret value is larger than the maximum size of 25 KB.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.deleted[name]; ok {
		vaultError(w, http.StatusConflict, "Conflict", fmt.Sprintf(
			"Secret %s is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", name))
		return
	}
	sec := s.set(name, *body.Value, body.ContentType, body.Tags)
	writeJSON(w, http.StatusOK, s.bundle(name, sec))
}

func (s *Server) deleteSecret(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok {
		secretNotFound(w, name)
		return
	}
	delete(s.secrets, name)
	s.deleted[name] = sec
	writeJSON(w, http.StatusOK, s.deletedBundle(name, sec))
}

func (s *Server) getDeletedSecret(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.deleted[name]
	if !ok {
		vaultError(w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("Deleted Secret not found: %s", name))
		return
	}
	writeJSON(w, http.StatusOK, s.deletedBundle(name, sec))
}

func (s *Server) purgeSecret(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.deleted[name]; !ok {
		vaultError(w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("Deleted Secret not found: %s", name))
		return
	}
	delete(s.deleted, name)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) recoverSecret(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.deleted[name]
	if !ok {
		vaultError(w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf("Deleted Secret not found: %s", name))
		return
	}
	delete(s.deleted, name)
	s.secrets[name] = sec
	b := s.bundle(name, sec)
	delete(b, "value")
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) bundle(name string, sec *secret) map[string]any {
	b := map[string]any{
		"value":      sec.value,
		"id":         s.VaultURI() + "secrets/" + name + "/" + sec.version,
		"attributes": attributes(sec),
	}
	if sec.contentType != "" {
		b["contentType"] = sec.contentType
	}
	if len(sec.tags) > 0 {
		b["tags"] = sec.tags
	}
	return b
}

func (s *Server) deletedBundle(name string, sec *secret) map[string]any {
	b := s.bundle(name, sec)
	now := time.Now().UTC()
	b["recoveryId"] = s.VaultURI() + "deletedsecrets/" + name
	b["deletedDate"] = now.Unix()
	b["scheduledPurgeDate"] = now.Add(recoverableDays * 24 * time.Hour).Unix()
	delete(b, "value") // Key Vault never returns the value of a deleted secret
	return b
}

func attributes(sec *secret) map[string]any {
	return map[string]any{
		"enabled":         true,
		"created":         sec.created.Unix(),
		"updated":         sec.updated.Unix(),
		"recoveryLevel":   "Recoverable+Purgeable",
		"recoverableDays": recoverableDays,
	}
}

func secretNotFound(w http.ResponseWriter, name string) {
	vaultError(w, http.StatusNotFound, "SecretNotFound", fmt.Sprintf(
		"A secret with (name/id) %s was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182", name))
}

// vaultError writes Key Vault's error body.
func vaultError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}
