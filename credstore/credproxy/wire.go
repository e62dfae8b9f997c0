package credproxy

import (
	"errors"
	"strings"
	"unicode"

	"junction"
)

// The wire protocol, over HTTPS. Every call is
//
//	POST {proxy}/v1/stores/{store}/{check|read|write|delete}
//	Authorization: Bearer {key}     (unless the proxy only checks client certificates)
//
// with a JSON request body; success is 200 with a body (read) or 204, and a
// failure is {"code", "message", "field"} with the code the store adapter
// gave (credential_not_found, credential_store_auth_failed,
// credential_store_unavailable, validation_failed,
// credential_store_read_only) or unauthenticated for a refused key.
// POST {proxy}/v1/ping answers 204 to an authenticated caller, proving the
// proxy reachable without naming a store. GET /healthz answers 200 without
// authentication.
const (
	opPing   = "ping"
	opCheck  = "check"
	opRead   = "read"
	opWrite  = "write"
	opDelete = "delete"
)

// maxBody bounds request and response bodies: a secret and its name.
const maxBody = 1 << 20

// request is the body of every call; fields a call does not use are empty.
// Value is a plain string on the wire (junction.Secret marshals redacted).
type request struct {
	Kind     junction.SecretKind `json:"kind,omitempty"`
	Name     string              `json:"name,omitempty"`
	Username string              `json:"username,omitempty"`
	Value    string              `json:"value,omitempty"`
}

// readResponse answers a read. ValidForMS is StoredSecret.ValidFor in
// milliseconds, zero when the vault gave no lifetime.
type readResponse struct {
	Username   string `json:"username,omitempty"`
	Value      string `json:"value"`
	ValidForMS int64  `json:"valid_for_ms,omitempty"`
}

// problem is a failed call's body.
type problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// checkRef refuses a store name that could not travel in a URL path
// segment as it is written.
func checkRef(ref string) error {
	switch {
	case ref == "" || len(ref) > 100:
		return errors.New("must be 1 to 100 characters")
	case strings.ContainsFunc(ref, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.')
	}):
		return errors.New("may hold only letters, digits, '-', '_' and '.'")
	}
	return nil
}
