package connector

import "iter"

// Definition describes one SaaS API. It is read from YAML (see Parse and the
// JSON Schema returned by Schema) and, once validated, is read-only: a
// Definition from a Catalog is shared by every goroutine that uses it.
type Definition struct {
	Key           string   `yaml:"key" json:"key"`
	DisplayName   string   `yaml:"display_name" json:"display_name"`
	Version       string   `yaml:"version" json:"version"`
	Description   string   `yaml:"description,omitempty" json:"description,omitempty"`
	Icon          string   `yaml:"icon,omitempty" json:"icon,omitempty"`
	Documentation string   `yaml:"documentation,omitempty" json:"documentation,omitempty"`
	Categories    []string `yaml:"categories,omitempty" json:"categories,omitempty"`

	// BaseURL is the root every request path is joined to. It may hold
	// {variables} filled from connection fields. Only a connector that
	// sends no requests (one that only receives webhooks) leaves it empty.
	BaseURL string `yaml:"base_url" json:"base_url"`
	// Headers are sent with every request. Values are templates over
	// connection fields; a header whose template names an optional field left
	// empty is not sent.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`

	// Fields make up the connection form shared by every auth type.
	Fields []Field `yaml:"fields,omitempty" json:"fields,omitempty"`
	// Auth lists the auth schemes a connection may choose from.
	Auth []Auth `yaml:"auth" json:"auth"`

	Test        *TestRequest `yaml:"test,omitempty" json:"test,omitempty"`
	AuthFailure *AuthFailure `yaml:"auth_failure,omitempty" json:"auth_failure,omitempty"`

	Objects    []Object   `yaml:"objects,omitempty" json:"objects,omitempty"`
	Activities []Activity `yaml:"activities,omitempty" json:"activities,omitempty"`

	// Webhooks describes the vendor's pushed deliveries, shared by every
	// object event with a webhook.
	Webhooks *Webhooks `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`

	// HTTPRequest turns the generic http_request activity off when false.
	// Absent means on.
	HTTPRequest *bool `yaml:"http_request,omitempty" json:"http_request,omitempty"`

	// Custom marks a tenant's own connector, published from the
	// Connector Builder; false for the built-in catalog.
	Custom bool `yaml:"-" json:"custom,omitempty"`
	// Source names the file the definition was read from.
	Source string `yaml:"-" json:"-"`
}

// ConsentPage is where a person grants an integration the consent its
// token requests wait for. The URL and query are templates over the
// public fields of the form, the scheme's own included: the URL is shown
// to users, so no secret may go into it. A query entry naming an empty
// field is left out; values are percent-encoded, a space as %20.
//
//	consent_page:
//	  error: consent_required
//	  url: https://{auth_host}/oauth/auth
//	  query: {response_type: code, scope: signature impersonation, client_id: "{integration_key}"}
type ConsentPage struct {
	// Error is the OAuth error code ("error" member) of the token
	// endpoint's answer that asks for consent.
	Error string            `yaml:"error" json:"error"`
	URL   string            `yaml:"url" json:"url"`
	Query map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
}

// FieldType is the kind of value a connection field holds.
type FieldType string

const (
	FieldText    FieldType = "text"
	FieldSecret  FieldType = "secret"
	FieldSelect  FieldType = "select"
	FieldBoolean FieldType = "boolean"
	FieldNumber  FieldType = "number"
)

// Field is one entry of a connection form. Values of secret fields reach the
// request builder as junction.Secret and nothing else.
type Field struct {
	Name        string    `yaml:"name" json:"name"`
	Label       string    `yaml:"label,omitempty" json:"label,omitempty"`
	Type        FieldType `yaml:"type" json:"type"`
	Required    bool      `yaml:"required,omitempty" json:"required,omitempty"`
	Default     string    `yaml:"default,omitempty" json:"default,omitempty"`
	Help        string    `yaml:"help,omitempty" json:"help,omitempty"`
	Placeholder string    `yaml:"placeholder,omitempty" json:"placeholder,omitempty"`
	Options     []Option  `yaml:"options,omitempty" json:"options,omitempty"`
}

// Option is one choice of a select field.
type Option struct {
	Value string `yaml:"value" json:"value"`
	Label string `yaml:"label,omitempty" json:"label,omitempty"`
}

// AuthType names an auth scheme.
type AuthType string

const (
	AuthNone                    AuthType = "none"
	AuthBasic                   AuthType = "basic"
	AuthAPIKey                  AuthType = "api_key"
	AuthBearer                  AuthType = "bearer"
	AuthOAuth2ClientCredentials AuthType = "oauth2_client_credentials"
	AuthOAuth2AuthorizationCode AuthType = "oauth2_authorization_code"
	AuthCustom                  AuthType = "custom"
	// AuthAWSSigV4 signs each request with AWS Signature Version 4 when it
	// is sent (see Request.Signer), not when it is built.
	AuthAWSSigV4 AuthType = "aws_sigv4"
	// AuthOAuth2JWTBearer trades a JWT signed with the connection's private
	// key for an access token (RFC 7523 section 2.1): Google service
	// accounts, DocuSign's JWT grant.
	AuthOAuth2JWTBearer AuthType = "oauth2_jwt_bearer"
)

// IsOAuth2 reports whether the scheme sends an OAuth 2.0 access token that the
// caller obtains and refreshes.
func (t AuthType) IsOAuth2() bool {
	return t == AuthOAuth2ClientCredentials || t == AuthOAuth2AuthorizationCode || t == AuthOAuth2JWTBearer
}

// ClientAuthPrivateKeyJWT is the client_auth of a client-credentials scheme
// whose client proves itself with a JWT signed by its private key (RFC 7523
// section 2.2, OpenID Connect's private_key_jwt) instead of a secret.
const ClientAuthPrivateKeyJWT = "private_key_jwt"

// Auth is one auth scheme a connection may use. Which attributes apply
// depends on Type; the validator rejects the others. Every string attribute
// except In and the OAuth scope separator is a template over the
// connection's fields (Definition.Fields plus this scheme's Fields).
type Auth struct {
	Type AuthType `yaml:"type" json:"type"`
	// ID tells apart two schemes of the same type (Twilio's auth token and
	// API key are both basic). It defaults to Type, and connections refer to
	// a scheme by it (see Key).
	ID     string  `yaml:"id,omitempty" json:"id,omitempty"`
	Label  string  `yaml:"label,omitempty" json:"label,omitempty"`
	Fields []Field `yaml:"fields,omitempty" json:"fields,omitempty"`

	// BaseURL, when set, replaces the definition's base URL for
	// connections using this scheme: Atlassian's OAuth 2.0 (3LO) tokens
	// call https://api.atlassian.com/ex/confluence/{cloud_id}, not the
	// site. It is a template over the public fields of the form, the
	// scheme's own included, and obeys the rules of Definition.BaseURL.
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// Test, when set, replaces the definition's connection test for this
	// scheme: an Okta service app has no user for /users/me to answer.
	Test *TestRequest `yaml:"test,omitempty" json:"test,omitempty"`
	// AfterConsent (oauth2_authorization_code only), when set, is asked
	// with the first access token, right after the user consents, and
	// fills connection fields from its answer, so that the user need not
	// look them up: Atlassian's 3LO tokens reach a site through its cloud
	// ID, which accessible-resources lists. See ConsentLookup.
	AfterConsent *ConsentLookup `yaml:"after_consent,omitempty" json:"after_consent,omitempty"`
	// ConsentPage (oauth2_jwt_bearer and oauth2_client_credentials), when
	// set, is the page a person must open before the token endpoint
	// grants tokens: DocuSign's JWT Grant answers consent_required until
	// the user it acts as has consented. A token answer with its error
	// code is reported with the page's URL. See ConsentPage.
	ConsentPage *ConsentPage `yaml:"consent_page,omitempty" json:"consent_page,omitempty"`

	// basic; default "{username}" and "{password}".
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	Password string `yaml:"password,omitempty" json:"password,omitempty"`

	// api_key: In is "header", "query", or a template naming a field whose
	// value is one of those; Name is the header or parameter name; Value
	// defaults to "{api_key}" and may add a prefix ("Token token={api_key}").
	// oauth2_*: Name, when set, is a header that carries the access token as
	// is (Shopify's X-Shopify-Access-Token) instead of Authorization: Bearer.
	In    string `yaml:"in,omitempty" json:"in,omitempty"`
	Name  string `yaml:"name,omitempty" json:"name,omitempty"`
	Value string `yaml:"value,omitempty" json:"value,omitempty"`

	// bearer: Token defaults to "{token}".
	Token string `yaml:"token,omitempty" json:"token,omitempty"`

	// oauth2_*: endpoints, client and scopes. A scope that is a lone
	// template ("{scopes}") is split on spaces and commas after filling.
	AuthorizeURL    string            `yaml:"authorize_url,omitempty" json:"authorize_url,omitempty"`
	TokenURL        string            `yaml:"token_url,omitempty" json:"token_url,omitempty"`
	ClientID        string            `yaml:"client_id,omitempty" json:"client_id,omitempty"`
	ClientSecret    string            `yaml:"client_secret,omitempty" json:"client_secret,omitempty"`
	Scopes          []string          `yaml:"scopes,omitempty" json:"scopes,omitempty"`
	ScopeSeparator  string            `yaml:"scope_separator,omitempty" json:"scope_separator,omitempty"`
	PKCE            bool              `yaml:"pkce,omitempty" json:"pkce,omitempty"`
	AuthorizeParams map[string]string `yaml:"authorize_params,omitempty" json:"authorize_params,omitempty"`
	TokenParams     map[string]string `yaml:"token_params,omitempty" json:"token_params,omitempty"`
	// oauth2_client_credentials: TokenQuery are token request parameters
	// sent in the token URL's query string instead of the form body, for
	// providers that document them there (Zoom's
	// ?grant_type=account_credentials&account_id=...). A grant_type here
	// replaces the body's.
	TokenQuery map[string]string `yaml:"token_query,omitempty" json:"token_query,omitempty"`

	// oauth2_jwt_bearer, and oauth2_client_credentials with ClientAuth
	// private_key_jwt: the signing key, a PEM private key (PKCS #1, PKCS #8
	// or SEC 1) or a whole Google service-account JSON key, usually
	// "{private_key}", a secret field that may come from a credential
	// asset; SigningAlg is RS256 or ES256, by default the one the key's
	// type calls for (RSA or EC P-256); KeyID, when set,
	// is the JWT header's kid (a service-account key gives its own).
	//
	// Claims are the assertion's claims, templates over fields; a claim
	// naming an optional field left empty is left out. iat and exp are set
	// when signing. For oauth2_jwt_bearer, iss defaults to a
	// service-account key's client_email, aud to the token URL, and scope
	// to Scopes joined with spaces; the token URL defaults to the key's
	// token_uri. For private_key_jwt, iss and sub default to the client
	// ID, aud to the token URL, and a random jti is added.
	ClientAuth string `yaml:"client_auth,omitempty" json:"client_auth,omitempty"`
	// oauth2_*: DPoP binds the scheme's tokens to a key pair Junction
	// keeps for the connection (OAuth 2.0 Demonstrating Proof of
	// Possession, RFC 9449): true, or one boolean field ("{dpop}") so one
	// connector serves clients with and without it. Token requests then
	// carry a DPoP proof, and when the token endpoint answers token_type
	// DPoP, API requests send "Authorization: DPoP <token>" with a proof
	// of their own; a Bearer answer is used as usual. Server nonces
	// (use_dpop_nonce) are followed, once per request. It does not go
	// with name (a vendor header that takes the token as is).
	DPoP string `yaml:"dpop,omitempty" json:"dpop,omitempty"`

	PrivateKey string            `yaml:"private_key,omitempty" json:"private_key,omitempty"`
	SigningAlg string            `yaml:"signing_alg,omitempty" json:"signing_alg,omitempty"`
	KeyID      string            `yaml:"key_id,omitempty" json:"key_id,omitempty"`
	Claims     map[string]string `yaml:"claims,omitempty" json:"claims,omitempty"`

	// custom: headers and query parameters, templates over fields. Header
	// names may be templates too.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Query   map[string]string `yaml:"query,omitempty" json:"query,omitempty"`

	// aws_sigv4: the access key pair, default "{access_key_id}" and
	// "{secret_access_key}"; the session token of temporary credentials,
	// default "{session_token}" and sent only when it has a value; the
	// region (a template, "{region}") and the service's signing name
	// ("ses"). The secret may come from a credential asset like any
	// secret field.
	AccessKeyID     string `yaml:"access_key_id,omitempty" json:"access_key_id,omitempty"`
	SecretAccessKey string `yaml:"secret_access_key,omitempty" json:"secret_access_key,omitempty"`
	SessionToken    string `yaml:"session_token,omitempty" json:"session_token,omitempty"`
	Region          string `yaml:"region,omitempty" json:"region,omitempty"`
	Service         string `yaml:"service,omitempty" json:"service,omitempty"`
}

// TestFor returns the connection test of the scheme a connection names:
// the scheme's own, else the definition's (nil when neither has one).
func (d *Definition) TestFor(authKey string) *TestRequest {
	a := d.AuthByID(authKey)
	if a == nil && authKey == "" && len(d.Auth) == 1 {
		a = &d.Auth[0]
	}
	if a != nil && a.Test != nil {
		return a.Test
	}
	return d.Test
}

// Key is the name connections use to pick this scheme: ID, or else Type.
func (a *Auth) Key() string {
	if a.ID != "" {
		return a.ID
	}
	return string(a.Type)
}

// ConsentLookup is a GET request sent with a new access token, whose
// answer lists what the token reaches (Atlassian's sites); one entry of
// the list fills connection fields. It runs when a consent completes and
// at least one of the fields it fills is empty: a value the user typed is
// kept. The fields it fills are saved on the connection in the same
// transaction as the token.
//
// The entry is the one Match picks when every field of Match.Value has a
// value; otherwise the list must hold exactly one entry. No entry, or
// several with nothing to choose between them, fails the consent with
// validation_failed naming the entries (by Match.Path) to choose from.
type ConsentLookup struct {
	// URL is an absolute https URL, a template over the scheme's public
	// fields; the access token goes with it as it goes with API requests.
	URL string `yaml:"url" json:"url"`
	// Records is the JSON path of the list in the answer; empty when the
	// answer is the list itself.
	Records string `yaml:"records,omitempty" json:"records,omitempty"`
	// Match picks the entry whose value at Path equals Value, a template
	// over public fields ("https://{site}.atlassian.net"); compared
	// without case and trailing slash.
	Match *ConsentMatch `yaml:"match,omitempty" json:"match,omitempty"`
	// Fill maps each field to fill to the JSON path of its value in the
	// entry ({cloud_id: id}). Only public fields of the form may be
	// filled: a secret field is refused.
	Fill map[string]string `yaml:"fill" json:"fill"`
}

// ConsentMatch picks one entry of a ConsentLookup's list.
type ConsentMatch struct {
	Path  string `yaml:"path" json:"path"`
	Value string `yaml:"value" json:"value"`
}

// TestRequest proves that a connection works.
type TestRequest struct {
	Method string            `yaml:"method,omitempty" json:"method,omitempty"`
	Path   string            `yaml:"path" json:"path"`
	Query  map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
	// ExpectStatus defaults to any 2xx.
	ExpectStatus []int `yaml:"expect_status,omitempty" json:"expect_status,omitempty"`
	// PathField names a connection field holding the path to test, as the
	// user wrote it (for APIs Junction knows nothing of, like the generic
	// http connector). With a value, the test requests that path and
	// proves the credentials. Without one, it requests Path and accepts
	// any HTTP answer: that proves the API is reachable over TLS, not that
	// the credentials are good, and the test says so.
	PathField string `yaml:"path_field,omitempty" json:"path_field,omitempty"`
}

// AuthFailure says what an authentication failure looks like. A response is
// one when its status is in Status (default [401]) or it matches any Body
// pattern.
type AuthFailure struct {
	Status []int       `yaml:"status,omitempty" json:"status,omitempty"`
	Body   []BodyMatch `yaml:"body,omitempty" json:"body,omitempty"`
}

// BodyMatch matches a JSON response body when every condition holds (and the
// status is in Status, if given).
type BodyMatch struct {
	Status []int       `yaml:"status,omitempty" json:"status,omitempty"`
	Match  []Condition `yaml:"match" json:"match"`
}

// Condition holds when the value at Path equals one of Values.
type Condition struct {
	Path   string `yaml:"path" json:"path"`
	Values []any  `yaml:"values" json:"values"`
}

// Object is a resource of the API (issue, customer, ticket).
type Object struct {
	Name        string        `yaml:"name" json:"name"`
	DisplayName string        `yaml:"display_name,omitempty" json:"display_name,omitempty"`
	Description string        `yaml:"description,omitempty" json:"description,omitempty"`
	IDField     string        `yaml:"id_field,omitempty" json:"id_field,omitempty"`
	Fields      []ObjectField `yaml:"fields,omitempty" json:"fields,omitempty"`
	Operations  Operations    `yaml:"operations" json:"operations"`
	// Events are the triggers the object offers. Polling and webhooks are
	// described here; running them is the trigger engine's job.
	Events []Event `yaml:"events,omitempty" json:"events,omitempty"`
}

// ObjectField describes one field of an object's records.
type ObjectField struct {
	Name        string `yaml:"name" json:"name"`
	Type        string `yaml:"type" json:"type"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
}

// Operations are the standard operations of an object; each is optional.
type Operations struct {
	List   *Operation `yaml:"list,omitempty" json:"list,omitempty"`
	Get    *Operation `yaml:"get,omitempty" json:"get,omitempty"`
	Create *Operation `yaml:"create,omitempty" json:"create,omitempty"`
	Update *Operation `yaml:"update,omitempty" json:"update,omitempty"`
	Delete *Operation `yaml:"delete,omitempty" json:"delete,omitempty"`
}

// OperationNames are the operations an object may have, in display order.
var OperationNames = []string{"list", "get", "create", "update", "delete"}

// ByName returns the named operation, or nil.
func (o *Operations) ByName(name string) *Operation {
	switch name {
	case "list":
		return o.List
	case "get":
		return o.Get
	case "create":
		return o.Create
	case "update":
		return o.Update
	case "delete":
		return o.Delete
	}
	return nil
}

// BodyEncoding is how an operation's body is written.
type BodyEncoding string

const (
	BodyJSON BodyEncoding = "json"
	// BodyForm is application/x-www-form-urlencoded with bracket notation
	// for nested values: a[b]=1, list[]=x, items[0][price]=p.
	BodyForm BodyEncoding = "form"
	// BodyMultipart is multipart/form-data: every file input a file part
	// (with its filename and content type), every other entry a field, its
	// text as is or, for an object or array, as JSON. Fields come first, in
	// key order, then the files: an API that reads the metadata before the
	// content (Box) finds it there.
	BodyMultipart BodyEncoding = "multipart"
	// BodyMultipartRelated is multipart/related as Google documents it for
	// a multipart upload: the entries that are not files as one JSON part
	// (the metadata), then the file's content as the second part.
	BodyMultipartRelated BodyEncoding = "multipart_related"
	// BodyNDJSON is newline-delimited JSON (application/x-ndjson): the body
	// is an array and each element is one line.
	BodyNDJSON BodyEncoding = "ndjson"
	// BodyBinary sends the one file input's content as the whole body,
	// with the file's content type (application/octet-stream when it has
	// none); other inputs go in the path, query or headers.
	BodyBinary BodyEncoding = "binary"
)

// BodyEncodings are the encodings an operation may name.
var BodyEncodings = []BodyEncoding{BodyJSON, BodyForm, BodyMultipart, BodyMultipartRelated, BodyNDJSON, BodyBinary}

// Operation is one HTTP call: an object's operation or an activity.
type Operation struct {
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Method      string `yaml:"method" json:"method"`
	// Path is joined to the base URL. Its {variables} come from path inputs
	// or, failing that, connection fields.
	Path   string  `yaml:"path" json:"path"`
	Inputs []Input `yaml:"inputs,omitempty" json:"inputs,omitempty"`
	// Query and Headers are fixed parameters, templates over inputs and
	// fields; one naming an absent input is left out.
	Query   map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is a template: a string that is exactly "{name}" becomes the
	// input's typed value (and the entry is left out when the input is
	// absent), other strings are filled as text. A map or list nested below
	// the top level whose every placeholder is absent is left out; a
	// top-level one only when nothing is left in it. Body inputs the
	// template does not name are added at its top level under their key.
	Body         any          `yaml:"body,omitempty" json:"body,omitempty"`
	BodyEncoding BodyEncoding `yaml:"body_encoding,omitempty" json:"body_encoding,omitempty"`
	// Records is the JSON path of the records (list) or the record (get,
	// create, update) in the response body; empty means the whole body.
	Records    string      `yaml:"records,omitempty" json:"records,omitempty"`
	Pagination *Pagination `yaml:"pagination,omitempty" json:"pagination,omitempty"`
	// RetrySafe overrides what the method says about retries: true marks a
	// call safe to repeat although its method is not idempotent (a POST that
	// only reads, an add that tolerates repeats); false marks one unsafe
	// although its method is (a PUT that appends a comment). Absent, GET,
	// HEAD, PUT and DELETE are safe and the others are not.
	RetrySafe *bool    `yaml:"retry_safe,omitempty" json:"retry_safe,omitempty"`
	Outputs   []Output `yaml:"outputs,omitempty" json:"outputs,omitempty"`

	// BaseURL, when set, replaces the definition's base URL for this
	// operation: an absolute https URL without placeholders, for the
	// vendors that take uploads and downloads on a host or path of their
	// own (content.dropboxapi.com, upload.box.com, Drive's /upload).
	BaseURL string `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	// JSONHeaders are headers whose value is a JSON document, a template
	// like Body (Dropbox's Dropbox-API-Arg). The document is written
	// compact with every non-ASCII character escaped, as headers must be.
	// Inputs it names are sent there and nowhere else.
	JSONHeaders map[string]any `yaml:"json_headers,omitempty" json:"json_headers,omitempty"`
	// OutputFile, when set, says the answer is a file's content rather
	// than JSON: the execution returns it as a File.
	OutputFile *OutputFile `yaml:"output_file,omitempty" json:"output_file,omitempty"`
	// MIMEMessage, when set, builds an email from inputs and sends it
	// base64url-encoded as another input, for APIs that take a whole
	// message (Gmail's raw).
	MIMEMessage *MIMEMessage `yaml:"mime_message,omitempty" json:"mime_message,omitempty"`
	// ChunkedUpload, when set, sends a large file input in several
	// requests instead of the operation's one.
	ChunkedUpload *ChunkedUpload `yaml:"chunked_upload,omitempty" json:"chunked_upload,omitempty"`
	// Link, when set, sends the request to a link an earlier answer gave
	// instead of Path, which is then empty.
	Link *Link `yaml:"link,omitempty" json:"link,omitempty"`
}

// Link is a path (with its query) that an API answers relative to a root
// above the base URL, such as Confluence's attachment _links.download,
// relative to https://{site}.atlassian.net/wiki while requests go to
// .../wiki/rest/api. The link is resolved against the connection's base
// URL (each auth type's own, so a gateway's for tokens the site does not
// take) with Trim cut from its end, and the credentials go with it only
// there: a link naming a host or leaving the root with ".." is refused.
type Link struct {
	// Input names the operation's required string input holding the
	// link, sent nowhere else.
	Input string `yaml:"input" json:"input"`
	// Trim is the end of every base URL's path that the link replaces
	// ("/rest/api"); empty resolves the link under the base URL itself.
	Trim string `yaml:"trim,omitempty" json:"trim,omitempty"`
}

// Chunked upload styles.
const (
	// UploadResumable is the Content-Range protocol: Start (the
	// operation's own request, its body template sent as JSON metadata)
	// answers with the session's URL in Location; each chunk is a PUT to
	// it with Content-Range "bytes first-last/size"; 308 with Range
	// "bytes=0-n" asks for the bytes after n, 200 or 201 is the final
	// answer. After a lost answer or a 5xx, a PUT with "bytes */size" and
	// no body asks where the upload stands; a 404 says the session has
	// expired and the upload starts again.
	UploadResumable = "resumable"
	// UploadSession is an upload session of three kinds of request, each
	// described by a step: Start carries the first chunk (none when the
	// file is one chunk) and answers the session's ID (at SessionID),
	// Append each further chunk but the last and Finish the last, both
	// naming {session_id} and {offset}, the bytes sent so far. An answer that holds CorrectOffset (an error saying the
	// session holds another number of bytes) moves the offset there:
	// the request that held them had gone through, its answer lost.
	UploadSession = "session"
	// UploadParts is an upload session whose parts are checked one by
	// one: Start (no file bytes; its body a JSON template) answers the
	// session's ID (at SessionID) and the part size to use (at
	// PartSize); Append sends each part with Content-Range "bytes
	// first-last/size", and each answer's part record (at Part) is kept;
	// Finish (no file bytes either) commits the parts, its body naming
	// {parts}. A 202 to Finish says the parts are still being processed:
	// Finish is sent again after Retry-After. Box's chunked upload.
	UploadParts = "parts"
)

// DefaultChunkSize is a chunked upload's chunk size when the definition
// names none.
const DefaultChunkSize = 8 << 20

// ChunkedUpload sends the file input File in chunks of ChunkSize bytes
// when it is larger than Above bytes; a smaller file goes in the
// operation's one request. Each request counts as one API call.
//
// Step templates (path, query, headers, JSON headers, body) name the
// operation's inputs and public connection fields, and the upload's own
// values: {session_id}, {offset} (an integer: the bytes the session
// holds before this request), {file_size} and {file_type} (the file's
// media type), {part_sha1} and {file_sha1} (the base64 SHA-1 digests of
// the bytes the request carries and of the whole file, as RFC 3230's
// Digest header takes them) and {parts} (the part records collected so
// far, a parts upload's commit).
type ChunkedUpload struct {
	// Style is resumable, session or parts (see UploadResumable,
	// UploadSession, UploadParts).
	Style string `yaml:"style" json:"style"`
	// File names the operation's file input sent in chunks.
	File string `yaml:"file" json:"file"`
	// Above is the size in bytes above which a file is sent in chunks; 0
	// sends every file in chunks.
	Above int64 `yaml:"above,omitempty" json:"above,omitempty"`
	// AboveInput, when set, names an optional integer input that replaces
	// Above for one execution: a caller may have smaller files sent in
	// chunks. It is read here and sent nowhere.
	AboveInput string `yaml:"above_input,omitempty" json:"above_input,omitempty"`
	// ChunkSize is the size of every chunk but the last, a multiple of
	// ChunkMultiple (DefaultChunkSize when zero).
	ChunkSize int64 `yaml:"chunk_size,omitempty" json:"chunk_size,omitempty"`
	// ChunkMultiple is what the API requires every chunk but the last to
	// be a multiple of (Google's 256 KiB, Dropbox's 4 MiB); 1 when zero.
	ChunkMultiple int64 `yaml:"chunk_multiple,omitempty" json:"chunk_multiple,omitempty"`
	// Start opens the upload. For resumable, it changes the operation's
	// own request: its query entries and headers are added to (and
	// replace) the operation's. For session, it is the whole request.
	Start *UploadStep `yaml:"start,omitempty" json:"start,omitempty"`
	// Append and Finish are a session's further requests.
	Append *UploadStep `yaml:"append,omitempty" json:"append,omitempty"`
	Finish *UploadStep `yaml:"finish,omitempty" json:"finish,omitempty"`
	// SessionID is the JSON path of the session's ID in Start's answer.
	SessionID string `yaml:"session_id,omitempty" json:"session_id,omitempty"`
	// CorrectOffset are JSON paths, in a 4xx answer to a session step, of
	// the offset the session holds when it is not the one sent; the first
	// found is taken (an error may nest it deeper for one step than for
	// another).
	CorrectOffset []string `yaml:"correct_offset,omitempty" json:"correct_offset,omitempty"`
	// PartSize is the JSON path, in a parts upload's Start answer, of the
	// size every part but the last must have; ChunkSize when empty.
	PartSize string `yaml:"part_size,omitempty" json:"part_size,omitempty"`
	// Part is the JSON path, in the answer to each part of a parts
	// upload, of the part's record, collected in order into {parts}.
	Part string `yaml:"part,omitempty" json:"part,omitempty"`
}

// UploadStep is one kind of request of a chunked upload. Its body is the
// chunk, application/octet-stream unless Headers say otherwise.
type UploadStep struct {
	// Method is POST when empty.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// BaseURL is the operation's (or the connection's) when empty.
	BaseURL     string            `yaml:"base_url,omitempty" json:"base_url,omitempty"`
	Path        string            `yaml:"path,omitempty" json:"path,omitempty"`
	Query       map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
	Headers     map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	JSONHeaders map[string]any    `yaml:"json_headers,omitempty" json:"json_headers,omitempty"`
	// Body is the JSON body template of a parts upload's Start and
	// Finish, which carry no file bytes (see Operation.Body).
	Body any `yaml:"body,omitempty" json:"body,omitempty"`
}

// MIMEMessage builds an RFC 5322 message with MIME parts from an
// operation's inputs: addresses, subject, a text and/or HTML body, file
// attachments and reply threading. The message, base64url-encoded (with
// padding, as Google's samples send it), becomes the value of the string
// input Into, which is sent as that input would be (in the body, or where
// the body template names it).
//
// Every other attribute names an input of the operation; the inputs named
// go into the message and nowhere else. A caller who gives Into's input
// itself (a ready message) may give none of them, and one who does not
// must give at least one.
//
//	mime_message:
//	  into: raw
//	  to: to
//	  subject: subject
//	  text: text
//	  html: html
//	  attachments: attachments
//
// Address inputs (from, to, cc, bcc, reply_to) are strings holding an
// address list as written in a header ("Ann <ann@example.com>, bob@example.com")
// or arrays of such strings. Subject, text, html, in_reply_to and references
// are strings; references may be an array of message IDs. Attachments is
// a file input, one file or a list. The message has no Date or Message-ID:
// the sending service adds them.
type MIMEMessage struct {
	Into        string `yaml:"into" json:"into"`
	From        string `yaml:"from,omitempty" json:"from,omitempty"`
	To          string `yaml:"to,omitempty" json:"to,omitempty"`
	Cc          string `yaml:"cc,omitempty" json:"cc,omitempty"`
	Bcc         string `yaml:"bcc,omitempty" json:"bcc,omitempty"`
	ReplyTo     string `yaml:"reply_to,omitempty" json:"reply_to,omitempty"`
	Subject     string `yaml:"subject,omitempty" json:"subject,omitempty"`
	Text        string `yaml:"text,omitempty" json:"text,omitempty"`
	HTML        string `yaml:"html,omitempty" json:"html,omitempty"`
	Attachments string `yaml:"attachments,omitempty" json:"attachments,omitempty"`
	InReplyTo   string `yaml:"in_reply_to,omitempty" json:"in_reply_to,omitempty"`
	References  string `yaml:"references,omitempty" json:"references,omitempty"`
}

// OutputFile describes an operation whose answer is a file.
type OutputFile struct {
	// Filename is a template over inputs naming the file when the answer's
	// Content-Disposition names none; its last path element is used, so
	// "{path}" gives the name of a Dropbox path.
	Filename string `yaml:"filename,omitempty" json:"filename,omitempty"`
}

// Activity is a curated, named operation.
type Activity struct {
	Name        string `yaml:"name" json:"name"`
	DisplayName string `yaml:"display_name,omitempty" json:"display_name,omitempty"`
	Operation   `yaml:",inline"`
}

// InputType is the JSON type an input accepts.
type InputType string

const (
	TypeString  InputType = "string"
	TypeInteger InputType = "integer"
	TypeNumber  InputType = "number"
	TypeBoolean InputType = "boolean"
	TypeObject  InputType = "object"
	TypeArray   InputType = "array"
	// TypeFile is a file the caller sends: in JSON, an object with its
	// content in base64, its filename and its content type (see File). It
	// goes in a multipart, multipart_related or binary body only.
	TypeFile InputType = "file"
)

// Input is one typed argument of an operation.
type Input struct {
	Name        string    `yaml:"name" json:"name"`
	Type        InputType `yaml:"type" json:"type"`
	Required    bool      `yaml:"required,omitempty" json:"required,omitempty"`
	Description string    `yaml:"description,omitempty" json:"description,omitempty"`
	// In is path, query, body or header. It defaults to path when the path
	// names the input, to query for GET, HEAD and DELETE, and to body
	// otherwise.
	In string `yaml:"in,omitempty" json:"in,omitempty"`
	// Key is the name on the wire when it differs from Name.
	Key     string `yaml:"key,omitempty" json:"key,omitempty"`
	Default any    `yaml:"default,omitempty" json:"default,omitempty"`
	Enum    []any  `yaml:"enum,omitempty" json:"enum,omitempty"`
	// Style writes arrays in a query or form body: "repeat" (a=1&a=2, the
	// query default), "brackets" (a[]=1&a[]=2, the form default) or
	// "comma" (a=1,2).
	Style string `yaml:"style,omitempty" json:"style,omitempty"`
}

// WireName is the parameter, header or body key the input is sent as.
func (in *Input) WireName() string {
	if in.Key != "" {
		return in.Key
	}
	return in.Name
}

// Output describes one value of an operation's result.
type Output struct {
	Name        string    `yaml:"name" json:"name"`
	Type        InputType `yaml:"type" json:"type"`
	Description string    `yaml:"description,omitempty" json:"description,omitempty"`
	// Path is the JSON path of the value in the response body.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
}

// PaginationType names a pagination scheme.
type PaginationType string

const (
	// PageCursor sends the cursor found at NextCursorPath as CursorParam.
	PageCursor PaginationType = "cursor"
	// PageOffset advances OffsetParam by the number of records received.
	PageOffset PaginationType = "offset"
	// PageNumber advances PageParam by one.
	PageNumber PaginationType = "page"
	// PageLinkHeader follows the rel="next" URL of the Link header.
	PageLinkHeader PaginationType = "link_header"
	// PageNextURL follows the URL found at NextURLPath in the body.
	PageNextURL PaginationType = "next_url"
)

// Pagination tells how a list operation pages.
type Pagination struct {
	Type PaginationType `yaml:"type" json:"type"`
	// LimitParam is the page size parameter, sent as PageSize unless the
	// caller gives it.
	LimitParam string `yaml:"limit_param,omitempty" json:"limit_param,omitempty"`
	PageSize   int    `yaml:"page_size,omitempty" json:"page_size,omitempty"`
	// HasMorePath, when set, is a boolean in the body that ends paging when
	// false (Stripe's has_more, PagerDuty's more).
	HasMorePath string `yaml:"has_more_path,omitempty" json:"has_more_path,omitempty"`
	// EndPath, when set, is a boolean in the body that ends paging when
	// true (Zendesk's end_of_stream).
	EndPath string `yaml:"end_path,omitempty" json:"end_path,omitempty"`

	// cursor; in the body, a dotted cursor_param names a nested field
	// (Intercom's pagination.starting_after).
	CursorParam    string `yaml:"cursor_param,omitempty" json:"cursor_param,omitempty"`
	CursorIn       string `yaml:"cursor_in,omitempty" json:"cursor_in,omitempty"` // query (default) or body
	NextCursorPath string `yaml:"next_cursor_path,omitempty" json:"next_cursor_path,omitempty"`
	// offset
	OffsetParam string `yaml:"offset_param,omitempty" json:"offset_param,omitempty"`
	// page
	PageParam string `yaml:"page_param,omitempty" json:"page_param,omitempty"`
	StartPage int    `yaml:"start_page,omitempty" json:"start_page,omitempty"`
	// MaxPage, when set, is the last page number the API serves: paging
	// stops there instead of asking for one the API refuses (Freshdesk's
	// search serves pages 1 to 10).
	MaxPage int `yaml:"max_page,omitempty" json:"max_page,omitempty"`
	// next_url
	NextURLPath string `yaml:"next_url_path,omitempty" json:"next_url_path,omitempty"`
	// Continue, for cursor pagination only, sends the later pages to an
	// endpoint of their own with a body made of the cursor alone, instead
	// of CursorParam on the first request (see PageContinue).
	Continue *PageContinue `yaml:"continue,omitempty" json:"continue,omitempty"`
}

// PageContinue is where an API serves the pages after the first when it
// takes them at another endpoint, given only the cursor: Dropbox answers
// POST /files/list_folder with {entries, cursor, has_more} and serves the
// next page at POST /files/list_folder/continue, whose body is
// {"cursor": "..."} and nothing else.
//
//	pagination:
//	  type: cursor
//	  next_cursor_path: cursor
//	  has_more_path: has_more
//	  continue:
//	    path: /files/list_folder/continue
//	    body: {cursor: "{cursor}"}
//
// A later page keeps the connection's and the operation's headers and the
// credentials, and drops everything else the first request carried: its
// query holds only what the auth type puts there, its body is Body filled
// with the cursor, sent as JSON. The answer is read as the first page's
// (the same records path, outputs and pagination). Rebuilt with fresh
// credentials, a later page is made again from the first request and the
// answers before it, like any other.
type PageContinue struct {
	// Method is the later pages' HTTP method: POST (the default), PUT or
	// PATCH.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// Path is joined to the operation's base URL as the operation's path
	// is: a plain path starting with '/', without query, fragment or
	// placeholders.
	Path string `yaml:"path" json:"path"`
	// Body is the template of the JSON body: a mapping whose strings may
	// name {cursor} and nothing else, and one of which must. A string that
	// is exactly "{cursor}" becomes the cursor as the API gave it.
	Body any `yaml:"body" json:"body"`
}

// HTTPMethod is the later pages' method, POST when unset.
func (c *PageContinue) HTTPMethod() string {
	if c.Method == "" {
		return "POST"
	}
	return c.Method
}

// Event is a trigger an object offers: created, updated, deleted or a name
// of the connector's own (closed, paid). At least one of Polling and Webhook
// is set; deletions can rarely be polled, so an event may be webhook-only.
type Event struct {
	Name        string   `yaml:"name" json:"name"`
	DisplayName string   `yaml:"display_name,omitempty" json:"display_name,omitempty"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Polling     *Polling `yaml:"polling,omitempty" json:"polling,omitempty"`
	Webhook     *Webhook `yaml:"webhook,omitempty" json:"webhook,omitempty"`
}

// Standard event names. Polling tells created from updated records by their
// times (see ClassifyChange); any other name is the connector's own.
const (
	EventCreated = "created"
	EventUpdated = "updated"
	EventDeleted = "deleted"
)

// Polling finds new events by calling a list operation with a "changed
// since" parameter (or an opaque cursor) and reading each record's ID and
// times. See BuildPoll and PollRecords.
type Polling struct {
	// Operation is the object's operation to call, "list" by default.
	// Activity names a curated activity instead (an export endpoint that
	// is not the object's list); the two are exclusive.
	Operation string `yaml:"operation,omitempty" json:"operation,omitempty"`
	Activity  string `yaml:"activity,omitempty" json:"activity,omitempty"`
	// Interval is the default time between polls, a Go duration ("5m").
	Interval string `yaml:"interval,omitempty" json:"interval,omitempty"`
	// Inputs are fixed inputs of the operation (sort: updated, direction:
	// asc) that make the API return what polling needs. A caller may not
	// override them.
	Inputs map[string]any `yaml:"inputs,omitempty" json:"inputs,omitempty"`
	// Since puts the watermark into the request.
	Since *PollSince `yaml:"since,omitempty" json:"since,omitempty"`
	// Cursor, for APIs that hand out a resumption token, takes precedence
	// over Since once the first poll has returned one.
	Cursor *PollCursor `yaml:"cursor,omitempty" json:"cursor,omitempty"`
	// ID is the JSON path of the record's ID; the object's id_field when
	// empty.
	ID string `yaml:"id,omitempty" json:"id,omitempty"`
	// Created and Updated locate the record's times. The newest one seen
	// becomes the next watermark.
	Created *TimeField `yaml:"created,omitempty" json:"created,omitempty"`
	Updated *TimeField `yaml:"updated,omitempty" json:"updated,omitempty"`
	// Lookback is subtracted from the watermark before it is sent, a Go
	// duration: it survives clock skew between the API's servers and
	// records that share the watermark's timestamp. The records it brings
	// back again are the caller's to drop by ID and time.
	Lookback string `yaml:"lookback,omitempty" json:"lookback,omitempty"`
	// Changes are the kinds of change the event reports: created, updated
	// or both. It defaults to [created] for a created event, [updated] for
	// an updated one, and both otherwise.
	Changes []string `yaml:"changes,omitempty" json:"changes,omitempty"`
}

// PollSince tells how the API takes "changed since".
type PollSince struct {
	// Input is the operation input that carries the value.
	Input string `yaml:"input" json:"input"`
	// Format is rfc3339, unix (seconds), unix_ms, or a Go reference layout
	// ("2006/01/02 15:04").
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// TimeZone is the IANA zone the API reads the value in, or a template
	// naming a connection field ("{time_zone}"); UTC when empty.
	TimeZone string `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
	// Template, when set, wraps the value: a query language clause such as
	// 'updated >= "{since}" ORDER BY updated ASC'. It names only {since}.
	Template string `yaml:"template,omitempty" json:"template,omitempty"`
}

// PollCursor is an opaque resumption token the API returns.
type PollCursor struct {
	// Input is the operation input that sends the cursor.
	Input string `yaml:"input" json:"input"`
	// Path is the JSON path of the cursor in the response body.
	Path string `yaml:"path" json:"path"`
}

// TimeField locates a time in a record (or a webhook payload).
type TimeField struct {
	Path string `yaml:"path" json:"path"`
	// Format is rfc3339 (the default), unix, unix_ms or a Go reference
	// layout; unix accepts fractional seconds ("1712345678.000100").
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// TimeZone applies to layouts without a zone, as in PollSince.
	TimeZone string `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
}

// Webhook maps the vendor's pushed events to this object event. How
// requests are signed and where the event type is read is connector-wide
// (Definition.Webhooks).
type Webhook struct {
	// Types are the vendor's event types that mean this event, compared
	// exactly with the type read per Webhooks.EventType ("customer.created",
	// "issues.opened"). An event with no types receives every delivery that
	// no other event claims: the generic webhook connector uses this.
	Types []string `yaml:"types,omitempty" json:"types,omitempty"`
	// Record is the JSON path of the record in the payload; the
	// connector's Webhooks.Record when empty. "$" is the whole payload.
	Record string `yaml:"record,omitempty" json:"record,omitempty"`
	// ID is the JSON path of the record's ID inside the record; the
	// connector's Webhooks.ID, else the object's id_field.
	ID string `yaml:"id,omitempty" json:"id,omitempty"`
}

// Webhooks describes how the vendor delivers webhooks to Junction: how a
// delivery is signed, where its event type is, and any handshake. Every
// string attribute except those holding JSON conditions is a template over
// the connection's public fields, so a generic connector can let the
// connection choose a header name.
type Webhooks struct {
	// Help tells a person where to register Junction's intake URL.
	Help      string            `yaml:"help,omitempty" json:"help,omitempty"`
	Signature *WebhookSignature `yaml:"signature,omitempty" json:"signature,omitempty"`
	EventType WebhookEventType  `yaml:"event_type,omitempty" json:"event_type,omitempty"`
	Record    string            `yaml:"record,omitempty" json:"record,omitempty"`
	ID        string            `yaml:"id,omitempty" json:"id,omitempty"`
	// EventID says where the vendor identifies the event or delivery
	// itself (not the record it is about): a repeat of the event, even
	// re-serialised, carries the same ID and makes no second job.
	EventID   WebhookEventID     `yaml:"event_id,omitempty" json:"event_id,omitempty"`
	Handshake []WebhookHandshake `yaml:"handshake,omitempty" json:"handshake,omitempty"`
	// EventsPath, when set, says the delivery is a batch: the JSON path of
	// the list of events in it ("$" for a body that is a list, "value" for
	// Microsoft Graph). Each element is one event, and EventType.Path,
	// Record, ID, EventID.Path and Account.Path are read in it rather than
	// in the whole body. A "[*]" step flattens nested lists
	// ("eventNotifications[*].dataChangeEvent.entities"): QuickBooks
	// groups the changed entities by company.
	EventsPath string `yaml:"events_path,omitempty" json:"events_path,omitempty"`
	// Format is how the body is encoded: json (the default), or form for
	// application/x-www-form-urlencoded bodies (Mailchimp's), read as the
	// JSON object their bracketed keys describe: data[merges][FNAME]=Ann
	// is {"data": {"merges": {"FNAME": "Ann"}}}.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Answer, when set, is the JSON body answered to a delivery once its
	// events are stored, instead of {"status":"accepted"}: Discord wants an
	// interaction response within three seconds, and {"type":5} defers it
	// for the job to follow up.
	Answer string `yaml:"answer,omitempty" json:"answer,omitempty"`
	// Account, when set, keeps only the events of the account the
	// connection is for: vendors that send one app's events for every
	// account connected to it to a single URL (HubSpot's portalId, Xero's
	// tenantId, QuickBooks' realmId). Other events are acknowledged and
	// dropped.
	Account *WebhookAccount `yaml:"account,omitempty" json:"account,omitempty"`
	// Ping, when set, is the one unsigned request a connector whose
	// deliveries are signed in a header accepts: the vendor's check, when
	// a webhook is saved, that the URL answers (see WebhookPing).
	Ping *WebhookPing `yaml:"ping,omitempty" json:"ping,omitempty"`
}

// WebhookPing describes a vendor's unsigned ping, answered so the vendor
// saves the webhook, and firing nothing. WooCommerce, when a webhook is
// saved, POSTs webhook_id=N form-encoded without X-WC-Webhook-Signature
// and saves the webhook only if the answer is 200:
//
//	ping:
//	  form: {webhook_id: "[0-9]{1,20}"}
//
// A request is the ping only when it is a POST that carries no signature
// header, its Content-Type, if any, is application/x-www-form-urlencoded,
// and its body is a form of exactly the members Form names, each once,
// each value matching its pattern whole. Anything else unsigned is refused
// as before; a request carrying the signature header is verified as a
// delivery.
type WebhookPing struct {
	// Form maps each member of the ping's form body to a regular
	// expression (RE2) that its whole value matches.
	Form map[string]string `yaml:"form" json:"form"`
	// Reply is the JSON body of the 200 answer; empty, the answer has
	// no body.
	Reply string `yaml:"reply,omitempty" json:"reply,omitempty"`
}

// WebhookAccount names where an event says which account it belongs to,
// and the connection field that says which account the connection is for.
type WebhookAccount struct {
	// Path is the JSON path of the account's ID in the event; in a
	// batch whose EventsPath flattens nested lists, a path the event
	// lacks is looked up in the elements that enclose it, innermost
	// first (QuickBooks' realmId sits beside the entities list).
	Path string `yaml:"path" json:"path"`
	// Field is the public connection field holding the account's ID.
	// While it is empty, events of every account are kept.
	Field string `yaml:"field" json:"field"`
}

// WebhookEventID locates the vendor's ID of a delivery: a header
// (GitHub's X-GitHub-Delivery, Shopify's X-Shopify-Webhook-Id) or a JSON
// path in the whole payload (Stripe's id, Slack's event_id). With both
// set, the header wins when the delivery carries it. A delivery without
// one is identified by the hash of its body.
type WebhookEventID struct {
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
	Path   string `yaml:"path,omitempty" json:"path,omitempty"`
}

// Signature schemes.
const (
	// SignatureHMACSHA256 is an HMAC-SHA256 of Payload keyed by the secret.
	SignatureHMACSHA256 = "hmac_sha256"
	// SignatureHMACSHA1 is the same with SHA-1, for older vendors.
	SignatureHMACSHA1 = "hmac_sha1"
	// SignatureToken is the shared secret itself sent in a header.
	SignatureToken = "token"
	// SignatureBodyToken is the shared secret sent in the body, in every
	// event of the delivery at the signature's Path: Microsoft Graph's
	// clientState. A delivery any of whose events lacks it, or carries
	// another value, is refused whole.
	SignatureBodyToken = "body_token"
)

// WebhookSignature says how a delivery proves it comes from the vendor.
type WebhookSignature struct {
	// Scheme is hmac_sha256, hmac_sha1, token, body_token, ed25519 or
	// mailgun.
	Scheme string `yaml:"scheme" json:"scheme"`
	// SecretField names the connection field of type secret that holds
	// the signing secret.
	SecretField string `yaml:"secret_field" json:"secret_field"`
	// Optional accepts unsigned deliveries while the connection leaves the
	// secret field empty (the generic webhook connector).
	Optional bool `yaml:"optional,omitempty" json:"optional,omitempty"`
	// Header carries the signature.
	Header string `yaml:"header" json:"header"`
	// Prefix precedes the signature in the header ("sha256=").
	Prefix string `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	// Params parses a header of key=value pairs (Stripe's
	// "t=...,v1=...") instead of taking it whole.
	Params *SignatureParams `yaml:"params,omitempty" json:"params,omitempty"`
	// Encoding of the MAC: hex (the default) or base64.
	Encoding string `yaml:"encoding,omitempty" json:"encoding,omitempty"`
	// Payload is what is signed: "{body}" (the default), or a template
	// joining {timestamp} and {body} ("{timestamp}.{body}",
	// "v0:{timestamp}:{body}"), and for signatures that cover the request
	// line, {method} and {url}: the URL the vendor sent the delivery to,
	// which is Junction's public URL of the hook with the query as sent
	// (HubSpot's v3 "{method}{url}{body}{timestamp}").
	Payload string `yaml:"payload,omitempty" json:"payload,omitempty"`
	// Timestamp, when set, is required, checked against Tolerance and
	// available to Payload as {timestamp}.
	Timestamp *SignatureTimestamp `yaml:"timestamp,omitempty" json:"timestamp,omitempty"`
	// Path is where the body_token scheme finds the shared secret: a JSON
	// path in each event of the delivery (Microsoft Graph's clientState).
	// For the pubsub scheme it names the public field holding the token's
	// audience instead (the URL the push is sent to when empty).
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// KeyField names the public connection field holding the vendor's
	// Ed25519 public key in hex, for the ed25519 scheme, which takes it
	// instead of SecretField: the key verifies, it does not sign.
	KeyField string `yaml:"key_field,omitempty" json:"key_field,omitempty"`
	// HandshakeSecret says the signing secret is the one a handshake rule
	// with keep handed over (WebhookRequest.HandshakeSecret), taken
	// instead of SecretField: Asana makes one per hook and gives it only
	// in the handshake. Deliveries before such a handshake are refused.
	HandshakeSecret bool `yaml:"handshake_secret,omitempty" json:"handshake_secret,omitempty"`
}

// SignatureParams splits a signature header into key=value pairs.
type SignatureParams struct {
	// Separator between pairs, "," by default.
	Separator string `yaml:"separator,omitempty" json:"separator,omitempty"`
	// Signature is the key of the signatures; any one of several may
	// match (a vendor rolling its secret sends both).
	Signature string `yaml:"signature" json:"signature"`
	// Timestamp is the key of the timestamp, if the header carries it.
	Timestamp string `yaml:"timestamp,omitempty" json:"timestamp,omitempty"`
}

// SignatureTimestamp locates the time a delivery was signed.
type SignatureTimestamp struct {
	// Header holds it, unless the signature's Params carry it.
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
	// Format is unix (the default), unix_ms, rfc3339 or a Go layout.
	Format string `yaml:"format,omitempty" json:"format,omitempty"`
	// Tolerance is how far from now the timestamp may be, a Go duration;
	// deliveries outside it are replays or badly late and are refused.
	Tolerance string `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
}

// WebhookEventType says where a delivery names its event type. With both
// set the type is the header, Separator and the body value ("issues" and
// "opened" make "issues.opened"); the header alone when the body has none.
type WebhookEventType struct {
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
	Path   string `yaml:"path,omitempty" json:"path,omitempty"`
	// Separator joins header and path values, "." by default.
	Separator string `yaml:"separator,omitempty" json:"separator,omitempty"`
	// Paths, instead of Path, are JSON paths whose values, joined with
	// Separator, make the type: QuickBooks names an entity and its
	// operation apart ("Customer" and "Create" make "Customer.Create").
	Paths []string `yaml:"paths,omitempty" json:"paths,omitempty"`
}

// WebhookHandshake is a request the vendor sends to prove the endpoint is
// live, answered instead of delivering an event: when the request has the
// Method, every Match condition holds and the value From names is present,
// Junction echoes that value Into the answer. Slack puts a challenge in the
// body (match type url_verification, from path challenge), Microsoft Graph
// a validationToken in the query, Dropbox a challenge in the query of a
// GET, Asana and Smartsheet a header to echo in a header of the answer,
// and Trello checks the URL with a HEAD (a rule with only method: HEAD).
//
// Only the value a rule names is echoed, never the request: it must be
// printable ASCII of at most MaxHandshakeEcho bytes, and a text answer is
// text/plain with nosniff. Handshakes are answered before the signature is
// checked, since vendors send them unsigned and the answer reveals nothing
// the request did not carry.
type WebhookHandshake struct {
	// Method is the HTTP method of the handshake: POST (the default), GET
	// or HEAD. GET and HEAD carry no body to match.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// Match holds conditions on the JSON body; all must hold.
	Match []Condition `yaml:"match,omitempty" json:"match,omitempty"`
	// Respond is the JSON path of the body value to echo as text/plain:
	// short for from: {path: ...}.
	Respond string `yaml:"respond,omitempty" json:"respond,omitempty"`
	// RespondHMAC, when set, answers with JSON instead: the value under
	// its Plain key and its HMAC under Hashed (Zoom's URL validation; see
	// webhook_zoom.go). Such a handshake is answered only once the
	// request's signature is verified: otherwise anyone could have the
	// server compute HMACs with the connection's secret.
	RespondHMAC *HandshakeHMAC `yaml:"respond_hmac,omitempty" json:"respond_hmac,omitempty"`
	// From says where the value to echo is.
	From *HandshakeValue `yaml:"from,omitempty" json:"from,omitempty"`
	// Reply, instead of a value to echo, is a fixed JSON body to answer
	// with: Discord's PING wants {"type":1}.
	Reply string `yaml:"reply,omitempty" json:"reply,omitempty"`
	// Signed says the handshake is answered only once the request's
	// signature is verified: Discord sends PINGs wrongly signed too, to
	// check that the endpoint refuses them.
	Signed bool `yaml:"signed,omitempty" json:"signed,omitempty"`
	// Into says where the answer carries it: the text/plain body when
	// empty.
	Into *HandshakeAnswer `yaml:"into,omitempty" json:"into,omitempty"`
	// Keep says the echoed value is the secret that signs the hook's later
	// deliveries (Asana's X-Hook-Secret): the answer hands it to the
	// caller (HandshakeResponse.Kept), which keeps it sealed for the
	// trigger and passes it back as WebhookRequest.HandshakeSecret to a
	// signature with handshake_secret.
	Keep bool `yaml:"keep,omitempty" json:"keep,omitempty"`
}

// HandshakeValue names one place in the vendor's request: a query
// parameter (decoded), a header, or a JSON path in the body. Exactly one
// is set.
type HandshakeValue struct {
	Query  string `yaml:"query,omitempty" json:"query,omitempty"`
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
	Path   string `yaml:"path,omitempty" json:"path,omitempty"`
}

// HandshakeAnswer names where the echoed value goes: a response header, or
// a member of a JSON object answered as the body. At most one is set.
type HandshakeAnswer struct {
	Header string `yaml:"header,omitempty" json:"header,omitempty"`
	JSON   string `yaml:"json,omitempty" json:"json,omitempty"`
}

// Source is the rule's value source, Respond read as a body path.
func (h *WebhookHandshake) Source() HandshakeValue {
	if h.From != nil {
		return *h.From
	}
	return HandshakeValue{Path: h.Respond}
}

// HTTPMethod is the rule's method, POST when unset.
func (h *WebhookHandshake) HTTPMethod() string {
	if h.Method == "" {
		return "POST"
	}
	return h.Method
}

// HTTPRequestActivity is the name of the generic activity that sends any
// request relative to the base URL.
const HTTPRequestActivity = "http_request"

// HTTPRequestEnabled reports whether the generic http_request activity is on.
func (d *Definition) HTTPRequestEnabled() bool { return d.HTTPRequest == nil || *d.HTTPRequest }

// AuthByID returns the auth scheme a connection names, or nil.
func (d *Definition) AuthByID(id string) *Auth {
	for i := range d.Auth {
		if d.Auth[i].Key() == id {
			return &d.Auth[i]
		}
	}
	return nil
}

// Object returns the named object, or nil.
func (d *Definition) Object(name string) *Object {
	for i := range d.Objects {
		if d.Objects[i].Name == name {
			return &d.Objects[i]
		}
	}
	return nil
}

// Activity returns the named curated activity, or nil. The generic
// http_request activity is not listed here; see HTTPRequestEnabled.
func (d *Definition) Activity(name string) *Activity {
	for i := range d.Activities {
		if d.Activities[i].Name == name {
			return &d.Activities[i]
		}
	}
	return nil
}

// ConnectionFields returns the form for a connection using the given scheme:
// the shared fields followed by the scheme's own.
func (d *Definition) ConnectionFields(authID string) []Field {
	out := append([]Field(nil), d.Fields...)
	if a := d.AuthByID(authID); a != nil {
		out = append(out, a.Fields...)
	}
	return out
}

// FormFields yields the same fields as ConnectionFields, in place and
// without copying them: for every request, which only reads them.
func (d *Definition) FormFields(authID string) iter.Seq[*Field] {
	return formFields(d, d.AuthByID(authID))
}

func formFields(d *Definition, a *Auth) iter.Seq[*Field] {
	return func(yield func(*Field) bool) {
		for i := range d.Fields {
			if !yield(&d.Fields[i]) {
				return
			}
		}
		if a == nil {
			return
		}
		for i := range a.Fields {
			if !yield(&a.Fields[i]) {
				return
			}
		}
	}
}

// formField finds a field of the form by name. Forms are a handful of
// fields, so a scan beats building a map on every request.
func formField(d *Definition, a *Auth, name string) (*Field, bool) {
	for f := range formFields(d, a) {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}
