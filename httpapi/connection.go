package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"junction"
	"junction/app"
)

// fieldValues are a connection's fields in a request: for each field a
// JSON string, number or boolean; for a secret field a string (kept
// sealed) or an asset reference {"asset_id": "...", "part": "username" or
// "password"}; null removes an optional field on update.
type fieldValues map[string]json.RawMessage

// createConnectionRequest describes a new connection.
type createConnectionRequest struct {
	FolderID  string `json:"folder_id"`
	Connector string `json:"connector"`
	// ConnectorVersion picks a published version of a custom connector;
	// its newest when left out.
	ConnectorVersion string      `json:"connector_version,omitempty"`
	Name             string      `json:"name"`
	AuthType         string      `json:"auth_type,omitempty"`
	Fields           fieldValues `json:"fields,omitempty"`
	IsDefault        bool        `json:"is_default,omitempty"`
	// PollIntervalMinutes is 1, 5, 10, 15, 30 or 60; 5 when left out.
	PollIntervalMinutes int    `json:"poll_interval_minutes,omitempty"`
	ProxyURL            string `json:"proxy_url,omitempty"`
}

// updateConnectionRequest changes a connection; members left out stay as
// they are, and so does every field not named in fields.
type updateConnectionRequest struct {
	Name *string `json:"name,omitempty"`
	// AuthType is accepted only unchanged.
	AuthType            *string     `json:"auth_type,omitempty"`
	Fields              fieldValues `json:"fields,omitempty"`
	IsDefault           *bool       `json:"is_default,omitempty"`
	PollIntervalMinutes *int        `json:"poll_interval_minutes,omitempty"`
	ProxyURL            *string     `json:"proxy_url,omitempty"`
	// Status is connected or disabled.
	Status *string `json:"status,omitempty"`
	// ConnectorVersion moves a connection of a custom connector to another
	// of its published versions.
	ConnectorVersion *string `json:"connector_version,omitempty"`
	// DebugUntil switches debug logging on until then (RFC 3339, at most
	// 24 hours ahead); null or a past time switches it off.
	DebugUntil nullableTime `json:"debug_until,omitempty"`
}

type authorizeResponse struct {
	AuthorizeURL string `json:"authorize_url"`
}

func (s *Server) connectionRoutes() []route {
	const tag = "connections"
	return []route{
		{method: "POST", path: "/api/v1/connections", op: "createConnection", access: inFolder(junction.PermConnectionsCreate), tag: tag,
			summary: "Create a connection. The connector's test request runs first (?test=false skips it) and a " +
				"failure rejects the creation; OAuth 2.0 authorization-code connections start disconnected, " +
				"authorization pending",
			permission: string(junction.PermConnectionsCreate) + " on the folder, and " +
				string(junction.PermAssetsView) + " on the folder of every asset referred to",
			query:   []queryParam{{name: "test", description: "false saves the connection without testing it."}},
			request: createConnectionRequest{}, response: app.ConnectionView{}, status: http.StatusCreated,
			handle: s.createConnection},
		{method: "GET", path: "/api/v1/connections", op: "listConnections", access: authenticated(), tag: tag,
			summary: "List the connections in folders where the caller holds Connections.View, without secret values",
			query: append([]queryParam{
				{name: "folder_id", description: "Only connections in this folder."},
				{name: "subfolders", description: "With folder_id: true includes every folder below it."},
				{name: "connector", description: "Only connections of this connector key."},
				{name: "status", description: "Only connections in this status: connected, disconnected or disabled."},
				{name: "name", description: "Only connections whose name contains this, ignoring case."},
			}, pageParams...),
			response: app.List[*app.ConnectionView]{}, status: http.StatusOK, handle: s.listConnections},
		{method: "GET", path: "/api/v1/connections/{id}", op: "getConnection", access: inFolder(junction.PermConnectionsView), tag: tag,
			summary: `Get a connection; a secret field shows {"set": true} or its asset reference, never a value. ` +
				`warnings point out asset-backed fields whose asset has no allowed hosts (asset_unrestricted)`,
			permission: string(junction.PermConnectionsView) + " on the folder",
			response:   app.ConnectionView{}, status: http.StatusOK, handle: s.getConnection},
		{method: "PATCH", path: "/api/v1/connections/{id}", op: "updateConnection", access: inFolder(junction.PermConnectionsEdit), tag: tag,
			summary: "Change a connection's name, fields, default flag, poll interval, proxy or status " +
				"(connected or disabled), or switch its debug logging on until debug_until (at most 24 hours ahead; " +
				"null or a past time switches it off); the auth type is fixed. A change of where its requests go (base URL, " +
				"a field in an API host, an OAuth endpoint, the proxy) must give its literal secret fields again, " +
				"and drops its OAuth tokens",
			permission: string(junction.PermConnectionsEdit) + " on the folder",
			request:    updateConnectionRequest{}, response: app.ConnectionView{}, status: http.StatusOK,
			handle: s.updateConnection},
		{method: "DELETE", path: "/api/v1/connections/{id}", op: "deleteConnection", access: inFolder(junction.PermConnectionsDelete), tag: tag,
			summary:    "Delete a connection with its sealed secrets, tokens and pending authorizations",
			permission: string(junction.PermConnectionsDelete) + " on the folder",
			status:     http.StatusNoContent, handle: s.deleteConnection},
		{method: "POST", path: "/api/v1/connections/{id}/test", op: "testConnection", access: inFolder(junction.PermConnectionsExecute), tag: tag,
			summary: "Run the connector's test request. Passing marks the connection connected; failing answers " +
				"the error and, when the API rejected the credentials, marks it disconnected",
			permission: string(junction.PermConnectionsExecute) + " on the folder",
			response:   app.ConnectionTestResult{}, status: http.StatusOK, handle: s.testConnection},
		{method: "POST", path: "/api/v1/connections/{id}/authorize", op: "authorizeConnection", access: inFolder(junction.PermConnectionsEdit), tag: tag,
			summary: "Start the OAuth 2.0 consent of an authorization-code connection: open authorize_url in a " +
				"browser; the provider returns to /oauth/callback",
			permission: string(junction.PermConnectionsEdit) + " on the folder",
			response:   authorizeResponse{}, status: http.StatusOK, handle: s.authorizeConnection},
	}
}

// fieldInputs turns the fields of a request into the service's inputs.
// A string stays text (typed Secret: it may be a secret field's value), an
// object must be an asset reference, null clears.
func fieldInputs(raw fieldValues) (map[string]app.FieldInput, error) {
	if raw == nil {
		return nil, nil
	}
	out := make(map[string]app.FieldInput, len(raw))
	for name, v := range raw {
		path := "fields." + name
		v = bytes.TrimSpace(v)
		var in app.FieldInput
		switch {
		case len(v) == 0 || string(v) == "null":
			in.Clear = true
		case v[0] == '"':
			var sec junction.Secret
			if err := json.Unmarshal(v, &sec); err != nil {
				return nil, junction.Invalid(path, "is not a valid JSON string")
			}
			in.Literal = &sec
		case string(v) == "true" || string(v) == "false":
			in.Value = string(v) == "true"
		case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
			in.Value = json.Number(v)
		case v[0] == '{':
			ref, err := assetRef(path, v)
			if err != nil {
				return nil, err
			}
			in.Ref = ref
		default:
			return nil, junction.Invalid(path, `must be a string, a number, a boolean or an asset reference {"asset_id": "..."}`)
		}
		out[name] = in
	}
	return out, nil
}

// assetRef decodes {"asset_id", "part"} strictly.
func assetRef(path string, v []byte) (*app.AssetRef, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	var ref app.AssetRef
	if err := dec.Decode(&ref); err != nil {
		var wrongType *json.UnmarshalTypeError
		if errors.As(err, &wrongType) && wrongType.Field != "" {
			return nil, junction.Invalid(path+"."+wrongType.Field, "must be a string")
		}
		return nil, junction.Invalid(path, `an object here must be an asset reference {"asset_id": "...", "part": "username" or "password"}`)
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		return nil, junction.Invalid(path, "must hold one JSON value")
	}
	if ref.AssetID == "" {
		return nil, junction.Invalid(path, "an asset reference needs asset_id")
	}
	return &ref, nil
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request) error {
	test, err := boolParam(r, "test", true)
	if err != nil {
		return err
	}
	var req createConnectionRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	fields, err := fieldInputs(req.Fields)
	if err != nil {
		return err
	}
	c, err := s.app.CreateConnection(r.Context(), principal(r), app.CreateConnectionInput{
		FolderID: req.FolderID, Connector: req.Connector, ConnectorVersion: req.ConnectorVersion, Name: req.Name, AuthType: req.AuthType, Fields: fields,
		IsDefault: req.IsDefault, PollIntervalMinutes: req.PollIntervalMinutes, ProxyURL: req.ProxyURL, SkipTest: !test,
	})
	if err != nil {
		return err
	}
	return s.writeConnection(w, r, http.StatusCreated, c)
}

// writeConnection answers a connection with the warnings about it.
func (s *Server) writeConnection(w http.ResponseWriter, r *http.Request, status int, c *junction.Connection) error {
	views, err := s.app.ConnectionViews(r.Context(), c)
	if err != nil {
		return err
	}
	return writeJSON(w, status, views[0])
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	sub, err := boolParam(r, "subfolders", false)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.app.ListConnections(r.Context(), principal(r), app.ConnectionQuery{
		FolderID: q.Get("folder_id"), Subfolders: sub, Connector: q.Get("connector"),
		Status: junction.ConnectionStatus(q.Get("status")), NameContains: q.Get("name"), Page: page,
	})
	if err != nil {
		return err
	}
	views, err := s.app.ConnectionViews(r.Context(), list.Items...)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app.List[*app.ConnectionView]{Items: views, NextCursor: list.NextCursor})
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.app.GetConnection(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeConnection(w, r, http.StatusOK, c)
}

func (s *Server) updateConnection(w http.ResponseWriter, r *http.Request) error {
	var req updateConnectionRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	fields, err := fieldInputs(req.Fields)
	if err != nil {
		return err
	}
	in := app.UpdateConnectionInput{
		Name: req.Name, AuthType: req.AuthType, Fields: fields, IsDefault: req.IsDefault,
		PollIntervalMinutes: req.PollIntervalMinutes, ProxyURL: req.ProxyURL, ConnectorVersion: req.ConnectorVersion,
	}
	if req.Status != nil {
		st := junction.ConnectionStatus(*req.Status)
		in.Status = &st
	}
	if in.DebugUntil, err = req.DebugUntil.value("debug_until"); err != nil {
		return err
	}
	c, err := s.app.UpdateConnection(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return s.writeConnection(w, r, http.StatusOK, c)
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteConnection(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) testConnection(w http.ResponseWriter, r *http.Request) error {
	res, err := s.app.TestConnection(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) authorizeConnection(w http.ResponseWriter, r *http.Request) error {
	u, err := s.app.AuthorizeConnection(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, authorizeResponse{AuthorizeURL: u})
}
