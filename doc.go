// Package junction holds Junction's domain: the objects (tenants, folders,
// users, roles, tokens, credential stores, assets, connectors, custom
// connectors and their versions, connections, executions, triggers, jobs),
// the one error type with its stable codes, and the small interfaces that
// adapters implement. It imports nothing from the
// rest of the project; every other package depends on it.
//
// # Where things live
//
//	junction (this package)  domain types, Error and codes, Store, Keyring, CredentialStore;
//	                         the error catalogue (errorcatalog.go) explaining each code
//	internal/errordocs       writes docs/errors.md from the catalogue (go generate)
//	sqldb/                   Store on SQLite (default, embedded, no cgo) or PostgreSQL; migrations
//	storetest/               the conformance suite every Store passes
//	storecache/              the Store in front of sqldb that keeps what every request
//	                         reads (token principal, connection, asset, the trigger
//	                         behind a webhook token) in memory, dropped on writes
//	                         and on the database's change feed
//	keyring/                 envelope encryption at rest and master-key rotation;
//	                         master keys in the environment, a key file, or the
//	                         key file wrapped by a KMS
//	kms/                     the key management services that wrap master keys
//	lockedmem/               memory that is locked and kept out of core dumps
//	secretcache/             the encrypted one-hour in-memory cache of resolved secrets;
//	                         less for values a store leases for less, renewed before
//	                         they run out while in use, and released when dropped
//	resolver/                asset -> credential store -> value, through the cache
//	credstore/...            one package per external vault, each with a test server
//	                         reproducing the vendor's API, plus their conformance suite,
//	                         their shared HTTP client, login cache and checks (storehttp)
//	                         and the JSON layout of a credential in single-value vaults
//	                         (credjson); credproxy is the Credentials Proxy, which
//	                         serves stores from inside a private network, and the
//	                         store type that reaches them through it
//	connector/               declarative connector definitions, the built-in catalog,
//	                         the Library that adds each tenant's published custom
//	                         connectors (Definitions), and the pure request builder
//	netguard/                the private-network guard and the dialer that applies it
//	                         to every connection, with a policy per kind of traffic
//	importer/                drafts a connector definition and a checklist from an
//	                         OpenAPI, Swagger or Postman description
//	outbound/                the one HTTP client for third-party APIs: timeouts, TLS,
//	                         proxy, retries, the private-network guard at dial time
//	engine/                  runs activities, polls and webhook checks through
//	                         connections; OAuth token lifecycle; execution records
//	queue/                   the durable job queue (River) in Junction's own database
//	trigger/                 the trigger runtime: poll scheduling, webhook intake,
//	                         CEL filters, jobs and signed deliveries
//	usage/                   usage counted in memory (executions, API calls, trigger
//	                         events, polls, deliveries), flushed to daily rows every
//	                         few seconds; the month's API calls held against quotas
//	app/                     the services: authorization, validation, audit, transactions
//	httpapi/                 the REST API under /api/v1, problem documents, OpenAPI
//	webui/                   the web UI on the same port: sign-in (password or
//	                         OpenID Connect single sign-on), server-side
//	                         sessions, server-rendered pages over the services
//	cli/                     the client commands that call the REST API
//	cmd/junction/            main: flags, configuration and wiring, nothing else;
//	                         the end-to-end tests against the real server
//	bench/                   the benchmark harness (go run ./bench), see BENCHMARKS.md
//
// # How a request flows
//
// httpapi authenticates the bearer token (app.Authenticate), which yields a
// Principal carrying the caller's Access; the lookup, like the connection and
// asset lookups an execution makes, is answered by storecache from memory
// while nothing has changed. Handlers decode and strictly
// validate the body, then call an app service method with the Principal. The
// service checks permissions (objects in folders the caller cannot see answer
// not_found), runs the change and its audit entry in one Store transaction,
// and returns domain objects or an *Error, which httpapi renders as an
// RFC 9457 problem document.
//
// An execution (POST /connections/{id}/execute) continues in engine: the
// connection's literal secrets are opened with the Keyring, asset-backed
// ones resolved through resolver (one hour in memory), the request is built
// by connector from the definition, and sent by outbound. When the API
// rejects the credentials, engine re-reads the assets and retries once if
// the vault holds a new value. A failed execution's record keeps its
// request, sealed, for 30 days, so that an operator can retry it.
//
// Triggers run on queue: trigger schedules polls (engine.Poll) and takes
// in webhooks (engine.ReceiveWebhook), and each matching event becomes a
// Job in the same transaction as its record. Webhook
// intakes arriving together share one transaction (group commit, for
// SQLite's single writer), and the server that committed them makes the
// first delivery attempt of their jobs at once, a queue job standing by in
// case it dies first.
//
// # Secrets
//
// Secret values are typed Secret, which prints as "[redacted]" everywhere.
// Values that must be kept (literal connection secrets, OAuth tokens and
// the DPoP keys they are bound to, vault logins, database-store assets)
// are sealed by the Keyring before they reach the Store. Values from external vaults are never stored: they are resolved
// at run time and cached in memory only. A secret or credential asset may
// name the only hosts its value is sent to (AllowedHosts), which outbound
// checks before every request and redirect hop that carries it.
package junction
