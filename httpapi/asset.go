package httpapi

import (
	"encoding/json"
	"net/http"

	"junction"
	"junction/app"
)

// createAssetRequest describes a new asset. Value is a JSON string, number
// or boolean (text, integer, boolean and secret assets); credential assets
// take username and password instead. Without store_id a secret or
// credential goes to the built-in database store, sealed. With the ID of an
// external store it refers to the secret under external_name (the asset's
// name by default), and a value given as well is written there first.
type createAssetRequest struct {
	FolderID     string           `json:"folder_id"`
	Name         string           `json:"name"`
	Type         string           `json:"type"`
	Description  string           `json:"description,omitempty"`
	Value        json.RawMessage  `json:"value,omitempty"`
	Username     *string          `json:"username,omitempty"`
	Password     *junction.Secret `json:"password,omitempty"`
	StoreID      string           `json:"store_id,omitempty"`
	ExternalName string           `json:"external_name,omitempty"`
	// AllowedHosts, for a secret or credential asset, are the only hosts
	// its value is sent to: "api.example.com", "*.example.com" (any host
	// below it) or an IP address; no scheme, port or path. Left out, the
	// value goes wherever a connection using it points.
	AllowedHosts []string `json:"allowed_hosts,omitempty"`
}

// updateAssetRequest changes an asset; fields left out stay as they are.
type updateAssetRequest struct {
	Name         *string          `json:"name,omitempty"`
	Description  *string          `json:"description,omitempty"`
	Value        json.RawMessage  `json:"value,omitempty"`
	Username     *string          `json:"username,omitempty"`
	Password     *junction.Secret `json:"password,omitempty"`
	ExternalName *string          `json:"external_name,omitempty"`
	// AllowedHosts replaces the allowed hosts; [] lifts the restriction.
	AllowedHosts *[]string `json:"allowed_hosts,omitempty"`
}

// resolveAssetRequest asks for an asset's value; refresh skips the cache
// and reads the store again.
type resolveAssetRequest struct {
	Refresh bool `json:"refresh,omitempty"`
}

// revealedAssetValue is the body of POST /api/v1/assets/{id}/resolve, and
// the only response body of this API that carries a secret value in plain
// text. It is sent with Cache-Control: no-store. Credential assets answer
// username and password; every other type answers value, a JSON number or
// boolean for integer and boolean assets as in the asset itself.
type revealedAssetValue struct {
	Type     string          `json:"type"`
	Value    json.RawMessage `json:"value,omitempty"`
	Username *string         `json:"username,omitempty"`
	Password *string         `json:"password,omitempty"`
}

func (s *Server) assetRoutes() []route {
	const tag = "assets"
	return []route{
		{method: "POST", path: "/api/v1/assets", op: "createAsset", access: inFolder(junction.PermAssetsCreate), tag: tag,
			summary:    "Create an asset (a value given for an external store is written to it)",
			permission: string(junction.PermAssetsCreate) + " on the folder",
			request:    createAssetRequest{}, response: app.AssetView{}, status: http.StatusCreated, handle: s.createAsset},
		{method: "GET", path: "/api/v1/assets", op: "listAssets", access: authenticated(), tag: tag,
			summary: "List the assets in folders where the caller holds Assets.View, without secret values",
			query: append([]queryParam{
				{name: "folder_id", description: "Only assets in this folder."},
				{name: "subfolders", description: "With folder_id: true includes the assets of every folder below it."},
				{name: "type", description: "Only assets of this type: text, integer, boolean, secret or credential."},
				{name: "store_id", description: "Only assets in this credential store."},
				{name: "name", description: "Only assets whose name contains this, ignoring case."},
			}, pageParams...),
			response: app.List[*app.AssetView]{}, status: http.StatusOK, handle: s.listAssets},
		{method: "GET", path: "/api/v1/assets/{id}", op: "getAsset", access: inFolder(junction.PermAssetsView), tag: tag,
			summary:    "Get an asset; secret and credential values are never shown (see has_value)",
			permission: string(junction.PermAssetsView) + " on the folder",
			response:   app.AssetView{}, status: http.StatusOK, handle: s.getAsset},
		{method: "PATCH", path: "/api/v1/assets/{id}", op: "updateAsset", access: inFolder(junction.PermAssetsEdit), tag: tag,
			summary:    "Change an asset (a new value for an external store is written to it)",
			permission: string(junction.PermAssetsEdit) + " on the folder",
			request:    updateAssetRequest{}, response: app.AssetView{}, status: http.StatusOK, handle: s.updateAsset},
		{method: "DELETE", path: "/api/v1/assets/{id}", op: "deleteAsset", access: inFolder(junction.PermAssetsDelete), tag: tag,
			summary: "Delete an asset; in an external store that is not read-only, its secret too " +
				"unless another asset refers to it",
			permission: string(junction.PermAssetsDelete) + " on the folder",
			status:     http.StatusNoContent, handle: s.deleteAsset},
		{method: "POST", path: "/api/v1/assets/{id}/resolve", op: "resolveAsset", access: inFolder(junction.PermAssetsResolve), tag: tag,
			summary: "Resolve an asset to its value. This is the only response that carries a secret; " +
				"every call is audited as asset.resolve",
			permission: string(junction.PermAssetsResolve) + " on the folder",
			request:    resolveAssetRequest{}, bodyOptional: true,
			response: revealedAssetValue{}, status: http.StatusOK, handle: s.resolveAsset},
	}
}

// rawValue turns the value member of a request into the string the service
// validates: a JSON string as it is, a number or boolean as written.
func rawValue(raw json.RawMessage) (*junction.Secret, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch c := raw[0]; {
	case c == '"':
		var v junction.Secret
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, junction.Invalid("value", "is not a valid JSON string")
		}
		return &v, nil
	case c == 't' || c == 'f' || c == '-' || c >= '0' && c <= '9':
		v := junction.NewSecret(string(raw))
		return &v, nil
	}
	return nil, junction.Invalid("value", "must be a string, a number or a boolean")
}

func (s *Server) createAsset(w http.ResponseWriter, r *http.Request) error {
	var req createAssetRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	value, err := rawValue(req.Value)
	if err != nil {
		return err
	}
	as, err := s.app.CreateAsset(r.Context(), principal(r), app.CreateAssetInput{
		FolderID: req.FolderID, Name: req.Name, Type: junction.AssetType(req.Type), Description: req.Description,
		Value: value, Username: req.Username, Password: req.Password,
		StoreID: req.StoreID, ExternalName: req.ExternalName, AllowedHosts: req.AllowedHosts,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, as)
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	sub, err := boolParam(r, "subfolders", false)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.app.ListAssets(r.Context(), principal(r), app.AssetQuery{
		FolderID: q.Get("folder_id"), Subfolders: sub, Type: junction.AssetType(q.Get("type")),
		StoreID: q.Get("store_id"), NameContains: q.Get("name"), Page: page,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getAsset(w http.ResponseWriter, r *http.Request) error {
	as, err := s.app.GetAsset(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, as)
}

func (s *Server) updateAsset(w http.ResponseWriter, r *http.Request) error {
	var req updateAssetRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	value, err := rawValue(req.Value)
	if err != nil {
		return err
	}
	as, err := s.app.UpdateAsset(r.Context(), principal(r), r.PathValue("id"), app.UpdateAssetInput{
		Name: req.Name, Description: req.Description, Value: value,
		Username: req.Username, Password: req.Password, ExternalName: req.ExternalName,
		AllowedHosts: req.AllowedHosts,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, as)
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteAsset(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) resolveAsset(w http.ResponseWriter, r *http.Request) error {
	var req resolveAssetRequest
	// The body is optional: a robot resolving from the cache sends none.
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if err := s.decode(w, r, &req); err != nil {
			return err
		}
	}
	v, err := s.app.ResolveAsset(r.Context(), principal(r), r.PathValue("id"), req.Refresh)
	if err != nil {
		return err
	}
	out := revealedAssetValue{Type: string(v.Type)}
	// The one place the API reveals a secret.
	plain := v.Value.Reveal()
	if v.Type == junction.AssetCredential {
		user := v.Username
		out.Username, out.Password = &user, &plain
	} else {
		out.Value = app.PlainValueJSON(v.Type, plain)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, out)
}
