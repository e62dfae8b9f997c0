// Package connector reads the declarative definitions that describe one SaaS
// API each (base URL, connection form, auth schemes, objects, activities,
// trigger events), validates them into a Catalog, and turns a definition plus
// a connection's credentials and an activity's input into a ready-to-send
// HTTP request.
//
// Nothing here touches the network or reads the clock: the execution engine
// sends the requests built here and hands responses back for pagination and
// auth-failure checks, and the trigger runtime does the same for polls
// (BuildPoll, PollRecords) and hands received webhooks to VerifyWebhook and
// ParseWebhook with the current time. A file too large for one request
// goes in a chunked upload (Request.Upload), which builds each request from
// the answer to the one before.
package connector
