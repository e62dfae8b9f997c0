package junction

import (
	"errors"
	"fmt"
)

// Stable error codes. Clients match on these, so a code, once published, never
// changes meaning. The HTTP status each one maps to lives in exactly one place:
// the httpapi package.
const (
	EINTERNAL         = "internal"               // a bug or an unexpected failure; details are logged, never shown
	EINVALID          = "validation_failed"      // the request is malformed or breaks a rule; Field names the culprit
	EBADJSON          = "malformed_json"         // the body is not JSON at all
	ETOOLARGE         = "payload_too_large"      // the body is over the limit
	EUNSUPPORTEDMEDIA = "unsupported_media_type" // the body is not declared as JSON (Content-Type)
	ENOTFOUND         = "not_found"              // the object does not exist, or the caller may not know it does
	ECONFLICT         = "conflict"               // the change clashes with existing state (duplicate name, object still in use)
	EUNAUTHENTICATED  = "unauthenticated"        // no valid credentials were presented
	EPERMISSIONDENIED = "permission_denied"      // the caller is known and sees the object but may not do this
	ESCHEMATOONEW     = "schema_too_new"         // the database was migrated by a newer Junction
	EUNAVAILABLE      = "unavailable"            // a dependency (the database) cannot be reached right now
	EMETHODNOTALLOWED = "method_not_allowed"     // the URL exists but does not answer this HTTP method
	ERATELIMITED      = "rate_limited"           // too many attempts (failed authentication); details.retry_after_seconds says when to try again
	EQUOTAEXCEEDED    = "quota_exceeded"         // the tenant used up a quota (details.quota names it); for API calls details.retry_after_seconds says when the month resets

	// Credential stores and secret resolution.
	ECREDSTOREUNAVAILABLE = "credential_store_unavailable" // the store cannot be reached; names the store, never the secret
	ECREDSTOREAUTH        = "credential_store_auth_failed" // the store refused Junction's own login
	ECREDNOTFOUND         = "credential_not_found"         // the store has no secret under that external name
	ECREDSTOREREADONLY    = "credential_store_read_only"   // a write was attempted on a read-only store
	ECREDNOTALLOWED       = "credential_not_allowed"       // a request would carry an asset's value to a host outside its allowed hosts; names the asset, never the value

	// Connections and execution.
	ECONNAUTHFAILED = "connection_auth_failed" // the upstream API rejected the connection's credentials
	EPROVIDER       = "provider_error"         // the upstream API answered with an error of its own

	// Outbound traffic.
	EOUTBOUNDBLOCKED  = "outbound_blocked"   // the private-network guard refused a destination
	ERESPONSETOOLARGE = "response_too_large" // an upstream response exceeded the size limit
)

// Error is Junction's one application error type. Code is stable and machine
// readable; Message is written for a person and says what to fix. Field, when
// set, names the offending input (a JSON path such as "fields.api_key").
//
// Messages must never contain a secret value: they are returned to API callers
// and written to logs.
type Error struct {
	Code    string
	Message string
	Field   string
	// Details carries extra, non-secret, structured facts (for example the
	// number of assets still referencing a store). It is rendered into API
	// problem documents.
	Details map[string]any
	// Err is an optional underlying cause kept for errors.Is/As and for logs.
	// It is never shown to API callers.
	Err error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil && e.Code == EINTERNAL {
		return fmt.Sprintf("junction error: code=%s message=%s: %v", e.Code, msg, e.Err)
	}
	return fmt.Sprintf("junction error: code=%s message=%s", e.Code, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation_failed error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a not_found error for a kind of object ("folder", "user").
func NotFound(kind string) *Error {
	return &Error{Code: ENOTFOUND, Message: kind + " not found"}
}

// Internal wraps an unexpected error. The cause is kept for logs only.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the person-readable message of err: the message of the
// first *Error in its chain, or "internal error" for anything else so that
// unexpected details never leak to callers.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// PublicMessage is err as an API caller is told it: the message of the
// first *Error in its chain, after its field when it names one, and
// "internal error" for internal errors and anything that is no *Error, whose
// causes are for logs only. It is safe to store and show.
func PublicMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) || e.Code == EINTERNAL || e.Code == ESCHEMATOONEW {
		return "internal error"
	}
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
