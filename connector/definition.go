package connector

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
	// {variables} filled from connection fields.
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

	// HTTPRequest turns the generic http_request activity off when false.
	// Absent means on.
	HTTPRequest *bool `yaml:"http_request,omitempty" json:"http_request,omitempty"`

	// Source names the file the definition was read from.
	Source string `yaml:"-" json:"-"`
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
)

// IsOAuth2 reports whether the scheme sends an OAuth 2.0 access token that the
// caller obtains and refreshes.
func (t AuthType) IsOAuth2() bool {
	return t == AuthOAuth2ClientCredentials || t == AuthOAuth2AuthorizationCode
}

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

	// basic; default "{username}" and "{password}".
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	Password string `yaml:"password,omitempty" json:"password,omitempty"`

	// api_key: In is "header", "query", or a template naming a field whose
	// value is one of those; Name is the header or parameter name; Value
	// defaults to "{api_key}" and may add a prefix ("Token token={api_key}").
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

	// custom: headers and query parameters, templates over fields. Header
	// names may be templates too.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	Query   map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
}

// Key is the name connections use to pick this scheme: ID, or else Type.
func (a *Auth) Key() string {
	if a.ID != "" {
		return a.ID
	}
	return string(a.Type)
}

// TestRequest proves that a connection works.
type TestRequest struct {
	Method string            `yaml:"method,omitempty" json:"method,omitempty"`
	Path   string            `yaml:"path" json:"path"`
	Query  map[string]string `yaml:"query,omitempty" json:"query,omitempty"`
	// ExpectStatus defaults to any 2xx.
	ExpectStatus []int `yaml:"expect_status,omitempty" json:"expect_status,omitempty"`
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
)

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

	// cursor
	CursorParam    string `yaml:"cursor_param,omitempty" json:"cursor_param,omitempty"`
	CursorIn       string `yaml:"cursor_in,omitempty" json:"cursor_in,omitempty"` // query (default) or body
	NextCursorPath string `yaml:"next_cursor_path,omitempty" json:"next_cursor_path,omitempty"`
	// offset
	OffsetParam string `yaml:"offset_param,omitempty" json:"offset_param,omitempty"`
	// page
	PageParam string `yaml:"page_param,omitempty" json:"page_param,omitempty"`
	StartPage int    `yaml:"start_page,omitempty" json:"start_page,omitempty"`
	// next_url
	NextURLPath string `yaml:"next_url_path,omitempty" json:"next_url_path,omitempty"`
}

// Event is a trigger an object offers. At least one of Polling and Webhook is
// set.
type Event struct {
	Name        string   `yaml:"name" json:"name"`
	Description string   `yaml:"description,omitempty" json:"description,omitempty"`
	Polling     *Polling `yaml:"polling,omitempty" json:"polling,omitempty"`
	Webhook     *Webhook `yaml:"webhook,omitempty" json:"webhook,omitempty"`
}

// Polling finds new events by listing the object.
type Polling struct {
	// Operation is the object's operation to call, "list" by default.
	Operation string `yaml:"operation,omitempty" json:"operation,omitempty"`
	// Interval is the default time between polls, a Go duration ("5m").
	Interval string `yaml:"interval,omitempty" json:"interval,omitempty"`
	// CursorField is the record field that orders events (updated_at).
	CursorField string `yaml:"cursor_field,omitempty" json:"cursor_field,omitempty"`
	// Params are extra query parameters, templates over the cursor value.
	Params map[string]string `yaml:"params,omitempty" json:"params,omitempty"`
}

// Webhook describes the vendor's push notifications for the event.
type Webhook struct {
	EventTypes      []string `yaml:"event_types,omitempty" json:"event_types,omitempty"`
	SignatureHeader string   `yaml:"signature_header,omitempty" json:"signature_header,omitempty"`
	// Signature is the signing scheme, such as "hmac-sha256".
	Signature string `yaml:"signature,omitempty" json:"signature,omitempty"`
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
