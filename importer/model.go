package importer

import "junction/connector"

// api is what the readers make of a description, whatever its format: the
// builder turns it into a definition without knowing where it came from.
type api struct {
	title       string
	description string
	version     string
	docsURL     string

	// baseURL is a template over variables; empty when the description
	// gives none usable.
	baseURL   string
	variables []variable
	schemes   []scheme
	ops       []*operation
	// total counts the operations declared, usable or not.
	total int
	notes []ChecklistItem
}

// variable is a server variable or a collection variable: a connection
// field.
type variable struct {
	name        string
	def         string
	enum        []string
	description string
	secret      bool
}

// scheme is one security scheme as declared.
type scheme struct {
	name        string
	kind        string // apiKey, http, oauth2, openIdConnect, basic (Swagger), mutualTLS
	description string
	in          string // apiKey: header, query, cookie
	paramName   string // apiKey
	httpScheme  string // http: basic, bearer, digest...
	flows       []flow
	// awsv4 (Postman's AWS Signature): region and service when literal.
	region, service string
}

type flow struct {
	kind         string // clientCredentials, authorizationCode, implicit, password
	authorizeURL string
	tokenURL     string
	scopes       []string
}

type operation struct {
	id          string
	summary     string
	description string
	method      string
	path        string
	tags        []string
	params      []param
	body        *body
	response    *shape
	// headersOut lists response header names (a Link header shows link
	// pagination).
	headersOut []string
	// fixedQuery holds query parameters written into the path or URL.
	fixedQuery map[string]string
	// fixedHeaders are headers the request always sends (Postman).
	fixedHeaders map[string]string
}

type param struct {
	name        string
	in          string // path, query, header, cookie, body
	description string
	required    bool
	typ         connector.InputType
	enum        []any
	def         any
	style       string
}

// body is the request body.
type body struct {
	mediaType string
	encoding  connector.BodyEncoding // json, form, multipart or binary; "" when unsupported
	// props are the top-level properties of an object body.
	props []param
	// whole is set for a body that is not an object (an array, a string):
	// it becomes a single input sent as the body itself.
	whole *param
	// raw is a literal body (Postman) kept as the description.
	required bool
}

// shape is what the importer keeps of a schema: its type and, for objects,
// its properties one level down (enough for outputs and for finding the
// pagination fields).
type shape struct {
	typ         connector.InputType
	description string
	props       []prop
	// items is the element of an array.
	items *shape
}

type prop struct {
	name  string
	shape *shape
}
