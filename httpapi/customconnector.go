package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/engine"
	"junction/importer"
)

// MaxImportBytes is the body limit of the import route alone: API
// descriptions run to several megabytes. The rest of the API keeps
// MaxBodyBytes.
const MaxImportBytes = 32 << 20

type createCustomConnectorRequest struct {
	Key         string `json:"key,omitempty"`
	DisplayName string `json:"display_name"`
	BaseURL     string `json:"base_url,omitempty"`
}

type updateCustomConnectorRequest struct {
	Key         *string `json:"key,omitempty"`
	DisplayName *string `json:"display_name,omitempty"`
	BaseURL     *string `json:"base_url,omitempty"`
}

// importRequest gives the description's text or a URL to fetch it from.
type importRequest struct {
	Content     string   `json:"content,omitempty"`
	URL         string   `json:"url,omitempty"`
	Key         string   `json:"key,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	Resources   []string `json:"resources,omitempty"`
}

// importUpload is the import's multipart/form-data body: the file as
// uploaded, with the JSON body's options as form fields.
var importUpload = map[string]any{
	"type":     "object",
	"required": []any{"file"},
	"properties": map[string]any{
		"file":         map[string]any{"type": "string", "format": "binary", "description": "The description file: OpenAPI 3.x, Swagger 2.0 or a Postman collection, JSON or YAML."},
		"key":          map[string]any{"type": "string", "description": "The custom connector's key; derived from the title when absent."},
		"display_name": map[string]any{"type": "string", "description": "The display name; the description's title when absent."},
		"resources": map[string]any{"type": "array", "items": map[string]any{"type": "string"},
			"description": "Resources to keep (repeat the field, or separate names with commas); all when absent."},
	},
}

type publishRequest struct {
	Version string `json:"version"`
	Force   bool   `json:"force,omitempty"`
}

type testConnectionRequest struct {
	AuthType string      `json:"auth_type,omitempty"`
	Fields   fieldValues `json:"fields,omitempty"`
}

// draftTestRequest runs one activity (or object operation) of the draft
// through an inline connection or an existing one.
type draftTestRequest struct {
	Connection   *testConnectionRequest `json:"connection,omitempty"`
	ConnectionID string                 `json:"connection_id,omitempty"`
	Activity     string                 `json:"activity,omitempty"`
	Object       string                 `json:"object,omitempty"`
	Operation    string                 `json:"operation,omitempty"`
	Input        map[string]any         `json:"input,omitempty"`
}

// draftTestResponse shows a test run: the request sent (credentials
// masked) and the answer, and, when the run failed, why.
type draftTestResponse struct {
	Succeeded bool           `json:"succeeded"`
	Error     *draftTestFail `json:"error,omitempty"`
	*engine.Trial
}

type draftTestFail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

type checklistResponse struct {
	Items []importer.ChecklistItem `json:"items"`
}

func (s *Server) customConnectorRoutes() []route {
	const tag = "custom-connectors"
	manage := tenantWide(junction.PermConnectorsManage)
	perm := string(junction.PermConnectorsManage) + " (tenant-wide)"
	return []route{
		{method: "POST", path: "/api/v1/custom-connectors", op: "createCustomConnector", access: manage, tag: tag, permission: perm,
			summary: "Start a custom connector from a blank canvas: a draft with a key, a display name and a base URL",
			request: createCustomConnectorRequest{}, response: app.CustomConnectorView{}, status: http.StatusCreated,
			handle: s.createCustomConnector},
		{method: "GET", path: "/api/v1/custom-connectors", op: "listCustomConnectors", access: authenticated(), tag: tag,
			summary:  "List the tenant's custom connectors, ordered by key, each with its draft and checklist",
			response: app.List[*app.CustomConnectorView]{}, status: http.StatusOK, handle: s.listCustomConnectors},
		{method: "POST", path: "/api/v1/custom-connectors/import", op: "importCustomConnector", access: manage, tag: tag, permission: perm,
			summary: "Draft a custom connector from an OpenAPI 3.x, Swagger 2.0 or Postman description: its text " +
				"(content), a URL to fetch, or a multipart/form-data upload (field file); up to 32 MiB",
			request: importRequest{}, upload: importUpload, response: app.ImportView{}, status: http.StatusCreated, handle: s.importCustomConnector},
		{method: "GET", path: "/api/v1/custom-connectors/{id}", op: "getCustomConnector", access: authenticated(), tag: tag,
			summary:  "Get a custom connector with its draft definition (as JSON) and checklist",
			response: app.CustomConnectorView{}, status: http.StatusOK, handle: s.getCustomConnector},
		{method: "PUT", path: "/api/v1/custom-connectors/{id}", op: "replaceCustomConnectorDraft", access: manage, tag: tag, permission: perm,
			summary: "Replace the draft's definition (JSON), validated as a --connectors-dir file is: each problem " +
				"with its path inside the definition",
			request: connector.Definition{}, response: app.CustomConnectorView{}, status: http.StatusOK, handle: s.replaceDraftJSON},
		{method: "PATCH", path: "/api/v1/custom-connectors/{id}", op: "updateCustomConnector", access: manage, tag: tag, permission: perm,
			summary: "Change a custom connector's display name, base URL or (before its first version) key, in the draft too",
			request: updateCustomConnectorRequest{}, response: app.CustomConnectorView{}, status: http.StatusOK,
			handle: s.updateCustomConnector},
		{method: "DELETE", path: "/api/v1/custom-connectors/{id}", op: "deleteCustomConnector", access: manage, tag: tag, permission: perm,
			summary: "Delete a custom connector and its versions; refused (conflict) while connections use it",
			status:  http.StatusNoContent, handle: s.deleteCustomConnector},
		{method: "GET", path: "/api/v1/custom-connectors/{id}/definition", op: "exportCustomConnectorDraft", access: authenticated(), tag: tag,
			summary: "The draft as a connector definition file: YAML with Accept: application/yaml, JSON otherwise",
			status:  http.StatusOK, handle: s.exportDraft},
		{method: "PUT", path: "/api/v1/custom-connectors/{id}/definition", op: "applyCustomConnectorDraft", access: manage, tag: tag, permission: perm,
			summary: "Replace the draft with a definition file: YAML (Content-Type: application/yaml) or JSON",
			request: connector.Definition{}, response: app.CustomConnectorView{}, status: http.StatusOK, handle: s.applyDraft},
		{method: "GET", path: "/api/v1/custom-connectors/{id}/checklist", op: "getCustomConnectorChecklist", access: authenticated(), tag: tag,
			summary: "The draft's checklist: auth, test request, variables, activities, path parameters, triggers, " +
				"and what the import could not carry over; an error blocks publishing",
			response: checklistResponse{}, status: http.StatusOK, handle: s.customConnectorChecklist},
		{method: "GET", path: "/api/v1/custom-connectors/{id}/versions", op: "listCustomConnectorVersions", access: authenticated(), tag: tag,
			summary:  "List a custom connector's published versions, oldest first",
			response: app.List[*junction.ConnectorVersion]{}, status: http.StatusOK, handle: s.listCustomConnectorVersions},
		{method: "POST", path: "/api/v1/custom-connectors/{id}/publish", op: "publishCustomConnector", access: manage, tag: tag, permission: perm,
			summary: "Freeze the draft as a semantic version above the newest; refused while the checklist has an error, " +
				"and (conflict) when it removes what connections use, unless force is true",
			request: publishRequest{}, response: junction.ConnectorVersion{}, status: http.StatusCreated, handle: s.publishCustomConnector},
		{method: "POST", path: "/api/v1/custom-connectors/{id}/test", op: "testCustomConnectorDraft", access: manage, tag: tag,
			permission: perm + "; with connection_id, " + string(junction.PermConnectionsExecute) + " on its folder",
			summary: "Run one activity of the draft against the real API through an inline connection (its secrets never " +
				"stored) or an existing one; answers the request sent, credentials masked, and the response",
			request: draftTestRequest{}, response: draftTestResponse{}, status: http.StatusOK, handle: s.testDraft},
	}
}

func (s *Server) createCustomConnector(w http.ResponseWriter, r *http.Request) error {
	var req createCustomConnectorRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.app.CreateCustomConnector(r.Context(), principal(r), app.CreateCustomConnectorInput{
		Key: req.Key, DisplayName: req.DisplayName, BaseURL: req.BaseURL})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Server) listCustomConnectors(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.ListCustomConnectors(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getCustomConnector(w http.ResponseWriter, r *http.Request) error {
	v, err := s.app.GetCustomConnector(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) importCustomConnector(w http.ResponseWriter, r *http.Request) error {
	var in app.ImportInput
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		if r.ContentLength > MaxImportBytes {
			return tooLarge(MaxImportBytes)
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxImportBytes)
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return tooLarge(MaxImportBytes)
			}
			return junction.Invalid("file", "the multipart form could not be read: %v", err)
		}
		defer func() { _ = r.MultipartForm.RemoveAll() }()
		f, _, err := r.FormFile("file")
		if err != nil {
			return junction.Invalid("file", "is required: the description file, as a form field named file")
		}
		defer f.Close()
		if in.Content, err = io.ReadAll(f); err != nil {
			return junction.Invalid("file", "could not be read")
		}
		in.Key, in.DisplayName = r.FormValue("key"), r.FormValue("display_name")
		for _, v := range r.MultipartForm.Value["resources"] {
			for _, name := range strings.Split(v, ",") {
				if name = strings.TrimSpace(name); name != "" {
					in.Resources = append(in.Resources, name)
				}
			}
		}
	} else {
		var req importRequest
		if err := s.decodeUpTo(w, r, &req, MaxImportBytes); err != nil {
			return err
		}
		in = app.ImportInput{Content: []byte(req.Content), URL: req.URL, Key: req.Key, DisplayName: req.DisplayName,
			Resources: req.Resources}
	}
	v, err := s.app.ImportCustomConnector(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

// readDefinition reads a definition body: JSON always, YAML where yaml
// says it may be.
func (s *Server) readDefinition(w http.ResponseWriter, r *http.Request, yamlToo bool) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isYAML := mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml"
	if !isJSON(r.Header.Get("Content-Type")) && !(yamlToo && isYAML) {
		want := "application/json"
		if yamlToo {
			want += " or application/yaml"
		}
		return nil, junction.Errorf(junction.EUNSUPPORTEDMEDIA, "the definition must be sent as Content-Type: %s", want)
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, tooLarge(s.opts.MaxBodyBytes)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		return nil, s.decodeError(err)
	}
	if !isYAML && len(bytes.TrimSpace(body)) > 0 && bytes.TrimSpace(body)[0] != '{' {
		return nil, junction.Errorf(junction.EBADJSON, "the definition must be a JSON object")
	}
	if field, ok := nulField(body); ok && !isYAML {
		return nil, junction.Invalid(field, "must not contain a NUL character (\\u0000)")
	}
	if bytes.IndexByte(body, 0) >= 0 {
		return nil, junction.Invalid("definition", "must not contain a NUL character")
	}
	return body, nil
}

func (s *Server) replaceDraftJSON(w http.ResponseWriter, r *http.Request) error {
	return s.replaceDraft(w, r, false)
}
func (s *Server) applyDraft(w http.ResponseWriter, r *http.Request) error {
	return s.replaceDraft(w, r, true)
}

func (s *Server) replaceDraft(w http.ResponseWriter, r *http.Request, yamlToo bool) error {
	body, err := s.readDefinition(w, r, yamlToo)
	if err != nil {
		return err
	}
	v, err := s.app.ReplaceDraft(r.Context(), principal(r), r.PathValue("id"), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) updateCustomConnector(w http.ResponseWriter, r *http.Request) error {
	var req updateCustomConnectorRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.app.UpdateCustomConnector(r.Context(), principal(r), r.PathValue("id"), app.UpdateCustomConnectorInput{
		Key: req.Key, DisplayName: req.DisplayName, BaseURL: req.BaseURL})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) deleteCustomConnector(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteCustomConnector(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) exportDraft(w http.ResponseWriter, r *http.Request) error {
	if accepts(r, "application/yaml") || accepts(r, "text/yaml") || accepts(r, "application/x-yaml") {
		draft, err := s.app.CustomConnectorDraft(r.Context(), principal(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(draft)
		return nil
	}
	v, err := s.app.GetCustomConnector(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v.Definition)
}

// accepts reports whether the Accept header names the media type.
func accepts(r *http.Request, mediaType string) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		if mt == mediaType {
			return true
		}
	}
	return false
}

func (s *Server) customConnectorChecklist(w http.ResponseWriter, r *http.Request) error {
	items, err := s.app.CustomConnectorChecklist(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, checklistResponse{Items: items})
}

func (s *Server) listCustomConnectorVersions(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.ListConnectorVersions(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) publishCustomConnector(w http.ResponseWriter, r *http.Request) error {
	var req publishRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.app.Publish(r.Context(), principal(r), r.PathValue("id"), app.PublishInput{Version: req.Version, Force: req.Force})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Server) testDraft(w http.ResponseWriter, r *http.Request) error {
	var req draftTestRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	in := app.DraftTestInput{ConnectionID: req.ConnectionID, Activity: req.Activity, Object: req.Object,
		Operation: req.Operation, Input: req.Input}
	if req.Connection != nil {
		fields, err := fieldInputs(req.Connection.Fields)
		if err != nil {
			return err
		}
		in.AuthType, in.Fields = req.Connection.AuthType, fields
		if in.Fields == nil {
			in.Fields = map[string]app.FieldInput{}
		}
	} else if req.ConnectionID == "" {
		return junction.Invalid("connection", "give connection (auth_type and fields) or connection_id")
	}
	trial, err := s.app.TestDraft(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil && (trial == nil || trial.Request == "" || junction.IsCode(err, junction.EINTERNAL)) {
		return err
	}
	out := draftTestResponse{Succeeded: err == nil, Trial: trial}
	if err != nil {
		var je *junction.Error
		errors.As(err, &je)
		out.Error = &draftTestFail{Code: junction.ErrorCode(err), Message: junction.ErrorMessage(err)}
		if je != nil {
			out.Error.Details = je.Details
		}
	}
	return writeJSON(w, http.StatusOK, out)
}
