package importer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"junction"
	"junction/connector"
	"junction/importer"
)

func mustImport(tb testing.TB, file string, opts importer.Options) *importer.Result {
	tb.Helper()
	content, err := os.ReadFile(filepath.Join("testdata", "seeds", file))
	if err != nil {
		tb.Fatal(err)
	}
	res, err := importer.Import(content, opts)
	if err != nil {
		tb.Fatalf("Import(%s): %v", file, err)
	}
	validateLikeLoader(tb, res.Definition)
	return res
}

func activity(tb testing.TB, d *connector.Definition, name string) *connector.Activity {
	tb.Helper()
	a := d.Activity(name)
	if a == nil {
		var names []string
		for _, a := range d.Activities {
			names = append(names, a.Name)
		}
		tb.Fatalf("no activity %q; have %v", name, names)
	}
	return a
}

func input(tb testing.TB, op *connector.Operation, name string) *connector.Input {
	tb.Helper()
	for i := range op.Inputs {
		if op.Inputs[i].Name == name {
			return &op.Inputs[i]
		}
	}
	tb.Fatalf("no input %q in %s %s: %+v", name, op.Method, op.Path, op.Inputs)
	return nil
}

// hasCheck reports whether the checklist holds an item with that status
// whose detail contains every fragment.
func hasCheck(res *importer.Result, item string, st importer.Status, fragments ...string) bool {
	for _, c := range res.Checklist {
		if c.Item != item || c.Status != st {
			continue
		}
		ok := true
		for _, f := range fragments {
			if !strings.Contains(c.Detail, f) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestImportOpenAPI(t *testing.T) {
	res := mustImport(t, "openapi.yaml", importer.Options{})
	d := res.Definition
	if res.SourceFormat != importer.FormatOpenAPI30 || res.Operations != 8 {
		t.Fatalf("format %q, %d operations", res.SourceFormat, res.Operations)
	}

	t.Run("ServerVariables", func(t *testing.T) {
		if d.BaseURL != "https://{region}.widgets.example.com/{base_path}" {
			t.Errorf("base_url = %q", d.BaseURL)
		}
		if len(d.Fields) != 2 || d.Fields[0].Type != connector.FieldSelect || d.Fields[0].Default != "eu" || d.Fields[1].Name != "base_path" || d.Fields[1].Default != "v1" {
			t.Errorf("fields = %+v", d.Fields)
		}
	})
	t.Run("Auth", func(t *testing.T) {
		want := []connector.AuthType{connector.AuthAPIKey, connector.AuthBasic, connector.AuthBearer, connector.AuthOAuth2AuthorizationCode, connector.AuthOAuth2ClientCredentials}
		if !slices.Equal(res.AuthTypes, want) {
			t.Errorf("AuthTypes = %v, want %v", res.AuthTypes, want)
		}
		cookie := d.AuthByID("session")
		if cookie == nil || cookie.In != "header" || cookie.Name != "Cookie" || cookie.Value != "sid={api_key}" {
			t.Errorf("cookie api key = %+v", cookie)
		}
		code := d.AuthByID(string(connector.AuthOAuth2AuthorizationCode))
		if code == nil || code.AuthorizeURL != "https://auth.widgets.example.com/authorize" || !slices.Equal(code.Scopes, []string{"widgets:read", "widgets:write"}) || code.ClientID != "{client_id}" {
			t.Fatalf("authorization code = %+v", code)
		}
		// A relative token URL cannot be resolved against a templated
		// base URL: the connection asks for it.
		if code.TokenURL != "{token_url}" || !hasCheck(res, "Authentication", importer.StatusWarning, "/oauth/token") {
			t.Errorf("token_url = %q", code.TokenURL)
		}
		if !hasCheck(res, "Authentication", importer.StatusWarning, "implicit flow is not supported", "authorization code") {
			t.Error("no warning for the implicit flow")
		}
		if !hasCheck(res, "Authentication", importer.StatusWarning, "OpenID Connect", "oauth2_authorization_code") {
			t.Error("no warning for OpenID Connect")
		}
	})
	t.Run("Activities", func(t *testing.T) {
		list := activity(t, d, "list_widgets")
		if list.DisplayName != "List widgets" || list.Method != "GET" || list.Path != "/widgets" {
			t.Errorf("list_widgets = %+v", list)
		}
		if in := input(t, &list.Operation, "limit"); in.Type != connector.TypeInteger || in.Default != int64(50) {
			t.Errorf("limit = %+v", in)
		}
		if in := input(t, &list.Operation, "tags"); in.Type != connector.TypeArray || in.Style != "comma" {
			t.Errorf("tags = %+v", in)
		}
		// YAML 1.1: required: yes and enum [yes, no] are booleans.
		if in := input(t, &list.Operation, "verbose"); !in.Required || !slices.Equal(in.Enum, []any{true, false}) {
			t.Errorf("verbose = %+v", in)
		}
		pg := list.Pagination
		if pg == nil || pg.Type != connector.PageCursor || pg.CursorParam != "cursor" || pg.NextCursorPath != "meta.next_cursor" || pg.HasMorePath != "has_more" || pg.LimitParam != "limit" || list.Records != "data" {
			t.Errorf("pagination = %+v, records %q", pg, list.Records)
		}

		get := activity(t, d, "get_widget")
		if get.Path != "/widgets/{widget_id}" || !hasCheck(res, "Paths", importer.StatusOK, "GET /widgets/{widget-id}") {
			t.Errorf("path = %q, want the placeholder renamed to an identifier, and said so", get.Path)
		}
		if in := input(t, &get.Operation, "x_trace"); in.In != "header" || in.Key != "X-Trace" {
			t.Errorf("header input = %+v", in)
		}
		if !slices.ContainsFunc(get.Outputs, func(o connector.Output) bool {
			return o.Name == "name" && o.Path == "name" && o.Description == "The widget's name."
		}) {
			t.Errorf("outputs = %+v", get.Outputs)
		}

		create := activity(t, d, "create_widget")
		if in := input(t, &create.Operation, "name"); !in.Required || in.Type != connector.TypeString {
			t.Errorf("name = %+v", in)
		}
		if in := input(t, &create.Operation, "colour"); in.Default != "red" || len(in.Enum) != 3 {
			t.Errorf("colour = %+v", in)
		}
		// An unquoted date stays the text written, not a time.
		if in := input(t, &create.Operation, "launched"); in.Default != "2020-01-31" {
			t.Errorf("launched default = %#v", in.Default)
		}
		if in := input(t, &create.Operation, "active"); in.Default != true {
			t.Errorf("active default = %#v", in.Default)
		}
		for _, in := range create.Inputs {
			if in.Name == "id" {
				t.Error("the read-only id is an input of create")
			}
		}
		if update := activity(t, d, "update_widget"); update.BodyEncoding != connector.BodyForm {
			t.Errorf("update body encoding = %q", update.BodyEncoding)
		}
	})
	t.Run("Unusable", func(t *testing.T) {
		// The undeclared {photoId} becomes a required input, the
		// cookie parameter is reported, and the OPTIONS operation is
		// named in the checklist; the multipart body sends its file.
		put := activity(t, d, "put_widgets_widget_id_photos_photo_id")
		if in := input(t, &put.Operation, "photoId"); !in.Required {
			t.Errorf("photoId = %+v", in)
		}
		if in := input(t, &put.Operation, "file"); in.Type != connector.TypeFile || put.BodyEncoding != connector.BodyMultipart {
			t.Errorf("photo upload: file %+v, body_encoding %q", in, put.BodyEncoding)
		}
		for _, c := range []struct {
			item   string
			st     importer.Status
			detail string
		}{
			{"Parameters", importer.StatusWarning, "{photoId}"},
			{"Parameters", importer.StatusWarning, "cookie parameters"},
			{"Activities", importer.StatusError, "OPTIONS /widgets/{widgetId}/photos/{photoId}"},
		} {
			if !hasCheck(res, c.item, c.st, c.detail) {
				t.Errorf("checklist lacks %s %s %q: %+v", c.item, c.st, c.detail, res.Checklist)
			}
		}
	})
	t.Run("Objects", func(t *testing.T) {
		o := d.Object("widgets")
		if o == nil {
			t.Fatalf("no widgets object: %+v", d.Objects)
		}
		ops := o.Operations
		if ops.List == nil || ops.Get == nil || ops.Create == nil || ops.Update == nil || ops.Delete == nil {
			t.Fatalf("operations = %+v", ops)
		}
		if ops.Update.Method != "PATCH" || ops.List.Pagination == nil || o.IDField != "id" {
			t.Errorf("object = %+v", o)
		}
	})
	t.Run("TestRequest", func(t *testing.T) {
		if d.Test == nil || d.Test.Path != "/me" {
			t.Errorf("test = %+v", d.Test)
		}
	})
	t.Run("Resources", func(t *testing.T) {
		var names []string
		for _, r := range res.Resources {
			names = append(names, r.Name)
		}
		if !slices.Equal(names, []string{"me", "photos", "widgets"}) {
			t.Errorf("resources = %v", names)
		}
	})
}

func TestImportSwagger(t *testing.T) {
	res := mustImport(t, "swagger.json", importer.Options{})
	d := res.Definition
	if res.SourceFormat != importer.FormatSwagger20 || res.Operations != 6 {
		t.Fatalf("format %q, %d operations", res.SourceFormat, res.Operations)
	}
	if d.BaseURL != "https://desk.example.com/api/v2" {
		t.Errorf("base_url = %q, want https chosen among the schemes and no trailing slash", d.BaseURL)
	}
	// In the order the file lists them.
	want := []connector.AuthType{connector.AuthOAuth2AuthorizationCode, connector.AuthAPIKey, connector.AuthBasic}
	if !slices.Equal(res.AuthTypes, want) {
		t.Errorf("AuthTypes = %v, want %v", res.AuthTypes, want)
	}
	if a := d.AuthByID("api_key"); a == nil || a.In != "query" || a.Name != "api_key" {
		t.Errorf("api key = %+v", a)
	}
	if !hasCheck(res, "Authentication", importer.StatusWarning, "password flow is not supported") {
		t.Error("no warning for the password flow")
	}
	list := activity(t, d, "tickets_list")
	if pg := list.Pagination; pg == nil || pg.Type != connector.PageOffset || pg.OffsetParam != "offset" || pg.LimitParam != "limit" || list.Records != "tickets" {
		t.Errorf("pagination = %+v", pg)
	}
	if in := input(t, &list.Operation, "status"); in.Style != "repeat" {
		t.Errorf("status = %+v", in)
	}
	create := activity(t, d, "tickets_create")
	if create.BodyEncoding != connector.BodyForm || !input(t, &create.Operation, "subject").Required {
		t.Errorf("create = %+v", create)
	}
	if in := input(t, &create.Operation, "priority"); !slices.Equal(in.Enum, []any{int64(1), int64(2), int64(3)}) {
		t.Errorf("priority enum = %#v", in.Enum)
	}
	// The body property id would clash with the path input id.
	update := activity(t, d, "tickets_update")
	if in := input(t, &update.Operation, "id_2"); in.Key != "id" {
		t.Errorf("body id = %+v", in)
	}
	if users := activity(t, d, "get_users"); users.Pagination == nil || users.Pagination.Type != connector.PageLinkHeader || users.Pagination.LimitParam != "per_page" {
		t.Errorf("users pagination = %+v", users.Pagination)
	}
}

func TestImportPostman(t *testing.T) {
	res := mustImport(t, "postman.json", importer.Options{})
	d := res.Definition
	if res.SourceFormat != importer.FormatPostman21 || res.Operations != 5 {
		t.Fatalf("format %q, %d operations", res.SourceFormat, res.Operations)
	}
	if d.BaseURL != "{base_url}" {
		t.Errorf("base_url = %q", d.BaseURL)
	}
	fields := map[string]connector.Field{}
	for _, f := range d.Fields {
		fields[f.Name] = f
	}
	if fields["base_url"].Default != "https://api.parcels.example.com/v1" || fields["account_id"].Default != "acme" {
		t.Errorf("fields = %+v", d.Fields)
	}
	if f, ok := fields["api_key"]; !ok || f.Type != connector.FieldSecret || f.Default != "" {
		t.Errorf("the secret variable apiKey should be a secret field without its value: %+v", f)
	}
	if !slices.Equal(res.AuthTypes, []connector.AuthType{connector.AuthAPIKey}) || d.Auth[0].Name != "X-Parcel-Key" || d.Auth[0].In != "header" {
		t.Errorf("auth = %+v", d.Auth)
	}
	list := activity(t, d, "get_accounts_account_id_parcels")
	if list.Path != "/accounts/{account_id}/parcels" || list.DisplayName != "List parcels" {
		t.Errorf("list = %+v", list)
	}
	if pg := list.Pagination; pg == nil || pg.Type != connector.PageNumber || pg.PageParam != "page" {
		t.Errorf("pagination = %+v", pg)
	}
	get := activity(t, d, "get_parcels_parcel_id")
	if in := input(t, &get.Operation, "parcelId"); !in.Required || in.Description != "The parcel's ID" {
		t.Errorf("parcelId = %+v", in)
	}
	create := activity(t, d, "post_parcels")
	if input(t, &create.Operation, "weight").Type != connector.TypeNumber || input(t, &create.Operation, "express").Type != connector.TypeBoolean {
		t.Errorf("create inputs = %+v", create.Inputs)
	}
	label := operationAt(t, d, "POST", "/parcels/{parcelId}/label")
	if label.BodyEncoding != connector.BodyMultipart || input(t, label, "file").Type != connector.TypeFile {
		t.Errorf("the form-data upload: body_encoding %q, inputs %+v", label.BodyEncoding, label.Inputs)
	}
	if len(res.Resources) != 2 || res.Resources[1].Name != "parcels" || len(res.Resources[1].Operations) != 4 {
		t.Errorf("resources = %+v (the folder is the resource)", res.Resources)
	}
}

// A collection variable's value, or a value typed into a saved request's
// credential-looking header, query parameter or body field, may be a live
// key: it must not reach the definition or the checklist.
func TestImportPostmanSecretsStayOut(t *testing.T) {
	res := mustImport(t, "postman.json", importer.Options{})
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := yaml.Marshal(res.Definition)
	for _, doc := range [][]byte{out, y} {
		for _, secret := range []string{"pk_live_planted_secret_value", "lit_secret_query", "lit_secret_header", "lit_secret_body"} {
			if strings.Contains(string(doc), secret) {
				t.Errorf("%s is in the import result", secret)
			}
		}
	}
	if !hasCheck(res, "Query parameters", importer.StatusWarning, "access_token looks like a credential") || !hasCheck(res, "Headers", importer.StatusWarning, "X-Api-Key looks like a credential") {
		t.Errorf("checklist does not say why values were left out: %+v", res.Checklist)
	}
}

func TestImportOptions(t *testing.T) {
	t.Run("Resources", func(t *testing.T) {
		res := mustImport(t, "openapi.yaml", importer.Options{Resources: []string{"Widgets"}, Key: "widgets", DisplayName: "My Widgets"})
		d := res.Definition
		if d.Key != "widgets" || d.DisplayName != "My Widgets" {
			t.Errorf("key %q, name %q", d.Key, d.DisplayName)
		}
		if len(d.Activities) != 5 {
			t.Errorf("%d activities, want the 5 of widgets", len(d.Activities))
		}
		for _, r := range res.Resources {
			if r.Selected != (r.Name == "widgets") {
				t.Errorf("resource %s selected = %v", r.Name, r.Selected)
			}
		}
		// The test request is connector-wide and may use any resource.
		if d.Test == nil || d.Test.Path != "/me" {
			t.Errorf("test = %+v", d.Test)
		}
	})
	t.Run("ErrUnknownResource", func(t *testing.T) {
		content, _ := os.ReadFile(filepath.Join("testdata", "seeds", "openapi.yaml"))
		_, err := importer.Import(content, importer.Options{Resources: []string{"gadgets"}})
		if junction.ErrorCode(err) != junction.EINVALID || !strings.Contains(junction.ErrorMessage(err), `"gadgets"`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		content, _ := os.ReadFile(filepath.Join("testdata", "seeds", "openapi.yaml"))
		_, err := importer.Import(content, importer.Options{Key: "Not A Key"})
		if junction.ErrorCode(err) != junction.EINVALID {
			t.Errorf("err = %v", err)
		}
	})
}

func TestImportNoAuth(t *testing.T) {
	doc := `{"openapi": "3.1.0", "info": {"title": "Open Data", "version": "1"}, "servers": [{"url": "/api"}],
	  "paths": {"/datasets": {"get": {"responses": {"200": {"description": "ok"}}}}}}`
	res, err := importer.Import([]byte(doc), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	validateLikeLoader(t, res.Definition)
	if res.SourceFormat != importer.FormatOpenAPI31 {
		t.Errorf("format = %q", res.SourceFormat)
	}
	if !slices.Equal(res.AuthTypes, []connector.AuthType{connector.AuthNone}) || !hasCheck(res, "Authentication", importer.StatusWarning, "declares no security scheme") {
		t.Errorf("auth %v, checklist %+v", res.AuthTypes, res.Checklist)
	}
	// A relative server: the connection supplies the root.
	if res.Definition.BaseURL != "{base_url}" || !hasCheck(res, "Base URL", importer.StatusWarning, `"/api"`) {
		t.Errorf("base_url %q, checklist %+v", res.Definition.BaseURL, res.Checklist)
	}
}

// Self-referencing schemas and a reference to a remote file: the first is
// followed to a bounded depth, the second is never fetched.
func TestImportRefs(t *testing.T) {
	doc := `openapi: 3.0.0
info: {title: Trees, version: "1"}
servers: [{url: "https://trees.example.com"}]
paths:
  /nodes:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Node'}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'https://schemas.example.com/node.json'}
components:
  schemas:
    Node:
      type: object
      properties:
        name: {type: string}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
        parent: {$ref: '#/components/schemas/Node'}
`
	res, err := importer.Import([]byte(doc), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	validateLikeLoader(t, res.Definition)
	a := activity(t, res.Definition, "post_nodes")
	if input(t, &a.Operation, "children").Type != connector.TypeArray || input(t, &a.Operation, "parent").Type != connector.TypeObject {
		t.Errorf("inputs = %+v", a.Inputs)
	}
}

func TestImportErrors(t *testing.T) {
	laughs := "openapi: 3.0.0\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		laughs += n + ": &" + n + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = n
	}
	for _, tt := range []struct {
		name, content string
		code          string
		fragments     []string
	}{
		{"Empty", "  \n", junction.EINVALID, []string{"empty"}},
		{"BrokenJSON", "{\n  \"openapi\": \"3.0.0\",\n  \"info\": {,\n}", junction.EINVALID, []string{"line 3, column"}},
		{"BrokenYAML", "openapi: 3.0.0\ninfo:\n  title: [unclosed\n", junction.EINVALID, []string{"line"}},
		{"Unknown", `{"name": "not an API description"}`, junction.EINVALID, []string{"not an API description"}},
		{"OldOpenAPI", "openapi: 4.0.0\n", junction.EINVALID, []string{`"4.0.0"`}},
		{"OldSwagger", `{"swagger": "1.2"}`, junction.EINVALID, []string{`"1.2"`}},
		{"PostmanV1", `{"info": {"schema": "https://schema.getpostman.com/json/collection/v1.0.0/collection.json"}, "item": []}`, junction.EINVALID, []string{"v1.0.0"}},
		{"BillionLaughs", laughs, junction.EINVALID, []string{"aliases"}},
		{"DeepJSON", strings.Repeat("[", 1000) + strings.Repeat("]", 1000), junction.EINVALID, []string{"nests deeper"}},
		{"DeepYAML", "openapi: 3.0.0\nx: " + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + "\n", junction.EINVALID, []string{"deeper"}},
		{"TooLarge", "{" + strings.Repeat(" ", importer.MaxSize) + "}", junction.ETOOLARGE, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := importer.Import([]byte(tt.content), importer.Options{})
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			if junction.ErrorCode(err) != tt.code {
				t.Errorf("code = %q, want %q (%v)", junction.ErrorCode(err), tt.code, err)
			}
			for _, f := range tt.fragments {
				if !strings.Contains(junction.ErrorMessage(err), f) {
					t.Errorf("message %q lacks %q", junction.ErrorMessage(err), f)
				}
			}
		})
	}
}

// The definition loads through the same path as an operator's
// --connectors-dir.
func TestImportLoadsAsCatalog(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"openapi.yaml", "swagger.json", "postman.json"} {
		res := mustImport(t, f, importer.Options{})
		data, err := yaml.Marshal(res.Definition)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, res.Definition.Key+".yaml"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := connector.LoadCatalog(nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cat.List()); n != 3 {
		t.Errorf("%d connectors loaded, want 3", n)
	}
}

// Schemas that each combine many others, circularly, would take
// exponential time to walk without a bound; the import finishes at once.
func TestImportSchemaFanOut(t *testing.T) {
	var b strings.Builder
	b.WriteString("openapi: 3.0.0\ninfo: {title: Fan, version: '1'}\nservers: [{url: 'https://fan.example.com'}]\n")
	b.WriteString("paths:\n  /a:\n    post:\n      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/S0'}}}}\n")
	b.WriteString("      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/S0'}}}}}\n")
	b.WriteString("components:\n  schemas:\n")
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "    S%d:\n      type: object\n      properties:\n", i)
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&b, "        p%d: {$ref: '#/components/schemas/S%d'}\n", j, j)
		}
		b.WriteString("      allOf:\n")
		for j := 0; j < 10; j++ {
			fmt.Fprintf(&b, "        - {$ref: '#/components/schemas/S%d'}\n", j)
		}
	}
	res, err := importer.Import([]byte(b.String()), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	validateLikeLoader(t, res.Definition)
	if a := activity(t, res.Definition, "post_a"); len(a.Inputs) != 10 {
		t.Errorf("%d inputs, want p0..p9", len(a.Inputs))
	}
}

// A bare "=" is a YAML 1.1 value-type scalar that some parsers refuse;
// YAML 1.2 reads it as the string "=", and so does the import.
func TestImportYAMLValueScalar(t *testing.T) {
	doc := "openapi: 3.0.0\ninfo: {title: Z, version: '1'}\nservers: [{url: 'https://z.example.com'}]\npaths:\n  /a:\n    get:\n      x-change: =\n" +
		"      parameters:\n        - {name: q, in: query, schema: {type: string, default: =}}\n      responses: {'200': {description: ok}}\n"
	res, err := importer.Import([]byte(doc), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	validateLikeLoader(t, res.Definition)
	if in := input(t, &activity(t, res.Definition, "get_a").Operation, "q"); in.Default != "=" {
		t.Errorf("default = %#v", in.Default)
	}
}

// Odd but real-world shapes that must still give a valid draft.
func TestImportOddShapes(t *testing.T) {
	for _, tt := range []struct{ name, doc string }{
		{"BracedCookieName", `{"openapi": "3.0.0", "info": {"title": "C", "version": "1"}, "servers": [{"url": "https://c.example.com"}],
		  "components": {"securitySchemes": {"c": {"type": "apiKey", "in": "cookie", "name": "{sid}"}}},
		  "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}}`},
		{"QueryInPath", `{"swagger": "2.0", "info": {"title": "Q", "version": "1"}, "host": "q.example.com",
		  "paths": {"/x?mode={fast}&a=1": {"get": {"responses": {"200": {"description": "ok"}}}}}}`},
		{"SchemeVariable", `{"openapi": "3.0.0", "info": {"title": "S", "version": "1"}, "servers": [{"url": "{scheme}://s.example.com/", "variables": {"scheme": {"default": "https"}}}],
		  "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}}`},
		{"PostmanBadHeader", `{"info": {"name": "H"}, "item": [{"name": "r", "request": {"method": "GET", "header": [{"key": "Bad Header", "value": "{{env}}"}, {"key": "X-Env", "value": "{{env}}"}], "url": "https://h.example.com/x"}}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := importer.Import([]byte(tt.doc), importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			validateLikeLoader(t, res.Definition)
		})
	}
}

// The same file gives the same draft every time, whatever order the
// parser happens to build its maps in.
func TestImportRepeatable(t *testing.T) {
	for _, f := range []string{"openapi.yaml", "swagger.json", "postman.json"} {
		content, err := os.ReadFile(filepath.Join("testdata", "seeds", f))
		if err != nil {
			t.Fatal(err)
		}
		var first []byte
		for i := 0; i < 10; i++ {
			res, err := importer.Import(content, importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = out
			} else if string(out) != string(first) {
				t.Fatalf("%s: import %d differs from the first", f, i+1)
			}
		}
	}
}
