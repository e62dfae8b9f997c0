package httpapi

import (
	"net/http"

	"junction/app"
	"junction/connector"
)

func (s *Server) connectorRoutes() []route {
	const tag = "connectors"
	return []route{
		{method: "GET", path: "/api/v1/connectors", op: "listConnectors", access: authenticated(), tag: tag,
			summary: "List the connectors of the catalog, ordered by key, with their auth types; the tenant's " +
				"custom connectors are listed at their newest published version, marked custom",
			response: app.List[*app.ConnectorSummary]{}, status: http.StatusOK, handle: s.listConnectors},
		{method: "GET", path: "/api/v1/connectors/schema", op: "getConnectorSchema", access: authenticated(), tag: tag,
			summary: "The JSON Schema of connector definitions (application/schema+json), for writing your own",
			status:  http.StatusOK, handle: s.getConnectorSchema},
		{method: "GET", path: "/api/v1/connectors/{key}", op: "getConnector", access: authenticated(), tag: tag,
			summary: "Get a connector's whole definition: fields, auth types, objects, activities",
			query: []queryParam{{name: "version", description: "A published version of a custom connector; " +
				"its newest when left out."}},
			response: connector.Definition{}, status: http.StatusOK, handle: s.getConnector},
		{method: "GET", path: "/api/v1/connectors/{key}/docs", op: "getConnectorDocs", access: authenticated(), tag: tag,
			summary: "A connector's reference page (text/markdown): auth types and where to get credentials, fields, operations, activities, triggers",
			status:  http.StatusOK, handle: s.getConnectorDocs},
	}
}

func (s *Server) listConnectors(w http.ResponseWriter, r *http.Request) error {
	list, err := s.app.ListConnectors(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getConnector(w http.ResponseWriter, r *http.Request) error {
	d, err := s.app.GetConnector(r.Context(), principal(r), r.PathValue("key"), r.URL.Query().Get("version"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) getConnectorSchema(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/schema+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(s.app.ConnectorSchema())
	return nil
}

func (s *Server) getConnectorDocs(w http.ResponseWriter, r *http.Request) error {
	page, err := s.app.ConnectorDocs(r.Context(), principal(r), r.PathValue("key"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(page)
	return nil
}
