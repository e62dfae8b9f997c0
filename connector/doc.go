// Package connector reads the declarative definitions that describe one SaaS
// API each (base URL, connection form, auth schemes, objects, activities),
// validates them into a Catalog, and turns a definition plus a connection's
// credentials and an activity's input into a ready-to-send HTTP request.
//
// Nothing here touches the network: the execution engine sends the requests
// built here and hands responses back for pagination and auth-failure checks.
package connector
