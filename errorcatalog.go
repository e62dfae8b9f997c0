package junction

//go:generate go run ./internal/errordocs -o docs/errors.md

import (
	"fmt"
	"io"
	"sort"
)

// ErrorEntry explains one stable error code to the person who met it: what
// happened, where to look, and what to do about it. Problem documents link
// to it (type /errors/{code}), and docs/errors.md is generated from it.
type ErrorEntry struct {
	Code  string
	Title string
	// Cause says what Junction saw when it answered with the code.
	Cause string
	// Check lists where to look first.
	Check string
	// Fix says how to make the request succeed.
	Fix string
}

// errorCatalog holds an entry for every code in error.go; a test parses
// error.go and fails on a code without one, so the two cannot drift.
var errorCatalog = map[string]ErrorEntry{
	EINTERNAL: {
		Title: "Internal error",
		Cause: "Junction failed in a way it did not expect: a bug, or a failure below it (disk, database, memory) that no other code describes. The details are written to the server log, never to the answer.",
		Check: "The server log at the time of the request: search for the problem document's request_id, which every log line of that request carries.",
		Fix:   "Retry once; if it fails again, report it with the request_id and the log lines that carry it.",
	},
	EINVALID: {
		Title: "Validation failed",
		Cause: "The request is well-formed JSON but breaks a rule: a required input is missing, a value is out of range, a name has the wrong form or an ID is not one Junction issued.",
		Check: "The problem document's field member names the input at fault (a JSON path such as fields.api_key) and detail says which rule it broke.",
		Fix:   "Correct that input and send the request again. The OpenAPI document at /api/v1/openapi.json describes every body and parameter.",
	},
	EBADJSON: {
		Title: "Malformed JSON",
		Cause: "The request body is not JSON, is cut short, holds a member Junction does not know, or holds more than one JSON value.",
		Check: "The body as sent: quoting in shell scripts, a trailing comma, a misspelt member name (unknown members are refused rather than ignored).",
		Fix:   "Send exactly one JSON object with only the documented members.",
	},
	ETOOLARGE: {
		Title: "Payload too large",
		Cause: "The request body is larger than the server accepts for this endpoint.",
		Check: "The size of the body; large inputs usually mean a file or a list that belongs in several requests.",
		Fix:   "Send a smaller body, split the work into several requests, or ask the operator whether the limit can be raised.",
	},
	EUNSUPPORTEDMEDIA: {
		Title: "Unsupported media type",
		Cause: "The request has a body but its Content-Type does not declare JSON.",
		Check: "The Content-Type header of the request.",
		Fix:   "Send Content-Type: application/json with a JSON body.",
	},
	ENOTFOUND: {
		Title: "Not found",
		Cause: "The object does not exist, was deleted, or lives in a folder the caller may not see: Junction does not tell these apart, so that it never reveals what a caller may not know.",
		Check: "The ID (copied whole, from the right tenant), and the caller's roles on the object's folder.",
		Fix:   "Use an ID from a listing the caller can see, or ask a folder administrator for a role on the folder.",
	},
	ECONFLICT: {
		Title: "Conflict",
		Cause: "The change clashes with the current state: a name already taken in the folder, an object still in use by others (a store with assets, a connection with triggers), or a change made meanwhile by someone else.",
		Check: "The detail and details members, which name what is in the way (for example how many assets still reference a store).",
		Fix:   "Choose another name, or first move or delete what still depends on the object, then retry.",
	},
	EUNAUTHENTICATED: {
		Title: "Unauthenticated",
		Cause: "No valid credentials were presented: the token is missing, mistyped, expired or revoked, or the web session ended.",
		Check: "The Authorization header (Bearer followed by the whole token), the token's expiry with `junction tokens list USER_ID`, and the tenant named at sign-in.",
		Fix:   "Sign in again (`junction login`) or create a new token; a revoked token cannot be restored.",
	},
	EPERMISSIONDENIED: {
		Title: "Permission denied",
		Cause: "The caller is known and may see the object, but no role it holds grants the permission this action needs.",
		Check: "The permission the endpoint requires (each operation's description in the OpenAPI document says it), and the caller's roles with `junction me`.",
		Fix:   "Ask a folder or tenant administrator for a role that grants the permission, or have someone who holds it act.",
	},
	ESCHEMATOONEW: {
		Title: "Database schema too new",
		Cause: "The database was migrated by a newer version of Junction than the one running; this version cannot safely read or write it.",
		Check: "`junction doctor` reports the database's schema version and the newest this binary knows; `junction version` reports the binary's.",
		Fix:   "Run the newer Junction again (or a later one). Downgrading needs a database backup taken before the upgrade.",
	},
	EUNAVAILABLE: {
		Title: "Unavailable",
		Cause: "A dependency Junction needs for this request, usually the database, could not be reached or did not answer in time.",
		Check: "The database server's state and the network between Junction and it; `junction doctor` connects with the same configuration and says what fails.",
		Fix:   "Bring the database back (or correct its address), then retry; nothing the failed request began was kept.",
	},
	EMETHODNOTALLOWED: {
		Title: "Method not allowed",
		Cause: "The URL exists but does not answer this HTTP method (for example DELETE on a collection).",
		Check: "The Allow response header lists the methods the URL answers; the OpenAPI document lists every operation.",
		Fix:   "Use one of the allowed methods.",
	},
	ERATELIMITED: {
		Title: "Rate limited",
		Cause: "Too many failed authentication attempts came from this client address or for this user, and Junction is slowing further attempts down.",
		Check: "details.retry_after_seconds and the Retry-After header say when to try again; a script retrying with a wrong token is the usual cause.",
		Fix:   "Wait that long, then sign in with the right credentials. Fix or stop the client that keeps failing.",
	},
	EQUOTAEXCEEDED: {
		Title: "Quota exceeded",
		Cause: "The tenant used up one of its quotas: the API calls of this UTC month, or the number of connections or triggers it may have.",
		Check: "details.quota names the quota, with its limit and what is used; for API calls, the Retry-After header and details.resets_at say when the month resets. `junction tenants quotas get TENANT` and `junction usage --since 30d --group-by connector` show limits and use.",
		Fix:   "Wait for the reset, delete connections or triggers no longer needed, or ask a host administrator to raise the quota (`junction tenants quotas set`). Jobs already queued and webhooks already accepted were not dropped.",
	},
	ECREDSTOREUNAVAILABLE: {
		Title: "Credential store unavailable",
		Cause: "Junction could not reach an external credential store (a vault) to read a secret: it refused the connection, timed out, its TLS certificate was not trusted, or the private-network guard refused its address.",
		Check: "The store named in the detail: its address, that it is running, the CA certificate configured for it, and whether the outbound policy allows its network. The store's test (`junction stores test ID`, or `junction doctor`) tries it now.",
		Fix:   "Correct the store's address or CA certificate, bring the vault back, or allow its network; connections using its assets recover on their own.",
	},
	ECREDSTOREAUTH: {
		Title: "Credential store login failed",
		Cause: "The credential store was reached but refused Junction's own login (token, AppRole, client certificate, cloud identity).",
		Check: "The login configured on the store: expired or revoked token, rotated secret ID, a policy that no longer grants read. The store's test shows the vault's answer.",
		Fix:   "Update the store's login with `junction stores update` or in the web UI, then test the store again.",
	},
	ECREDNOTFOUND: {
		Title: "Credential not found",
		Cause: "The credential store answered, but holds no secret under the external name an asset points at (or not the field or version asked for).",
		Check: "The asset's external name, field and version against what the vault holds, and whether Junction's login may read that path.",
		Fix:   "Create the secret in the vault, or correct the asset's external name.",
	},
	ECREDSTOREREADONLY: {
		Title: "Credential store is read-only",
		Cause: "A write (storing or rotating a secret value) was attempted on a store that Junction only reads from.",
		Check: "The store's type and configuration: external vaults are read-only unless the store allows writes.",
		Fix:   "Write the value in the vault itself, or use an asset in a store that accepts writes.",
	},
	ECREDNOTALLOWED: {
		Title: "Credential not allowed for this host",
		Cause: "The request would have carried an asset's value to a host outside the asset's allowed hosts, so Junction did not send it. Nothing left Junction.",
		Check: "The asset named in the detail and its allowed hosts, against the connection's base URL and any redirect the API answered with.",
		Fix:   "Add the host to the asset's allowed hosts if the API really lives there, or correct the connection's base URL.",
	},
	ECONNAUTHFAILED: {
		Title: "Connection credentials rejected",
		Cause: "The third-party API refused the connection's credentials (401 or 403 from the API, or an OAuth refresh that failed). Junction re-read vault-backed secrets once before giving up.",
		Check: "The credential in the connection (expired key, revoked OAuth grant, changed password) and the execution record's http_status.",
		Fix:   "Update the connection's credentials, or reauthorize it for OAuth, then test the connection.",
	},
	EPROVIDER: {
		Title: "Provider error",
		Cause: "The third-party API answered with an error of its own (details.source is \"provider\"): a bad input for that API, a missing object there, or its own outage.",
		Check: "The detail and details (the API's status and message), and the execution record for the activity and input used.",
		Fix:   "Correct the input the API refused, or retry later if the API was failing; a failed execution can be retried with `junction executions retry ID`.",
	},
	EOUTBOUNDBLOCKED: {
		Title: "Outbound destination blocked",
		Cause: "The private-network guard refused a destination: the host resolves to a loopback, private, link-local or otherwise internal address that the outbound policy does not allow.",
		Check: "The host in the detail and what it resolves to from the server; the --outbound-allow (and, for credential stores, --store-allow) networks the server was started with.",
		Fix:   "Use the API's public address, or have the operator allow that network (--outbound-allow CIDR) if reaching it is intended.",
	},
	ERESPONSETOOLARGE: {
		Title: "Response too large",
		Cause: "The third-party API sent more than Junction reads from one response.",
		Check: "The activity and input: a list without paging, or a download of a whole file.",
		Fix:   "Ask for less (filters, a page size), or follow pages with max_pages rather than one large answer.",
	},
}

// ErrorCatalog returns the entry for every known code, sorted by code.
func ErrorCatalog() []ErrorEntry {
	out := make([]ErrorEntry, 0, len(errorCatalog))
	for code, e := range errorCatalog {
		e.Code = code
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// LookupError returns the catalogue entry for code.
func LookupError(code string) (ErrorEntry, bool) {
	e, ok := errorCatalog[code]
	e.Code = code
	return e, ok
}

// ErrorTypeURI is the problem document type that explains code: a path
// the server answers with the catalogue entry.
func ErrorTypeURI(code string) string { return "/errors/" + code }

// WriteErrorCatalog writes the catalogue as the Markdown page
// docs/errors.md, one section per code, in code order.
func WriteErrorCatalog(w io.Writer) error {
	_, err := io.WriteString(w, "# Error codes\n\n"+
		"Every error Junction answers with is an RFC 9457 problem document whose `code` is one of these, and whose "+
		"`type` links to its entry on the server (`/errors/{code}`). This page is generated from `errorcatalog.go` "+
		"by `go generate`; do not edit it by hand.\n\n")
	if err != nil {
		return err
	}
	for _, e := range ErrorCatalog() {
		if _, err := fmt.Fprintf(w, "## `%s`: %s\n\n**Cause.** %s\n\n**What to check.** %s\n\n**How to fix.** %s\n\n",
			e.Code, e.Title, e.Cause, e.Check, e.Fix); err != nil {
			return err
		}
	}
	return nil
}
