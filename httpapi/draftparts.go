package httpapi

import (
	"net/http"

	"junction"
	"junction/app"
	"junction/connector"
)

// orderRequest lists every item of a draft's list once, in the new order.
type orderRequest struct {
	Names []string `json:"names"`
}

// draftPartRoutes edit one activity, auth type or trigger of a draft, so
// that a client need not send the whole definition for a small change.
// Each answers the updated draft with its checklist, and refuses what PUT
// of the whole definition would refuse, with the same problems.
func (s *Server) draftPartRoutes() []route {
	const tag = "custom-connectors"
	const base = "/api/v1/custom-connectors/{id}"
	manage := tenantWide(junction.PermConnectorsManage)
	perm := string(junction.PermConnectorsManage) + " (tenant-wide)"
	view := app.CustomConnectorView{}
	return []route{
		{method: "PUT", path: base + "/activities/{name}", op: "setCustomConnectorActivity", access: manage, tag: tag, permission: perm,
			summary: "Add an activity to the draft, or replace it where it stands; a different name in the body renames it",
			request: connector.Activity{}, response: view, status: http.StatusOK, handle: s.setDraftActivity},
		{method: "DELETE", path: base + "/activities/{name}", op: "deleteCustomConnectorActivity", access: manage, tag: tag, permission: perm,
			summary:  "Remove an activity from the draft",
			response: view, status: http.StatusOK, handle: s.deleteDraftActivity},
		{method: "POST", path: base + "/activities/order", op: "orderCustomConnectorActivities", access: manage, tag: tag, permission: perm,
			summary: "Reorder the draft's activities: names lists each of them once",
			request: orderRequest{}, response: view, status: http.StatusOK, handle: s.orderDraftActivities},
		{method: "PUT", path: base + "/auth-types/{key}", op: "setCustomConnectorAuthType", access: manage, tag: tag, permission: perm,
			summary: "Add an auth type to the draft, or replace it where it stands; key is its id, or its type when it has none",
			request: connector.Auth{}, response: view, status: http.StatusOK, handle: s.setDraftAuth},
		{method: "DELETE", path: base + "/auth-types/{key}", op: "deleteCustomConnectorAuthType", access: manage, tag: tag, permission: perm,
			summary:  "Remove an auth type from the draft",
			response: view, status: http.StatusOK, handle: s.deleteDraftAuth},
		{method: "POST", path: base + "/auth-types/order", op: "orderCustomConnectorAuthTypes", access: manage, tag: tag, permission: perm,
			summary: "Reorder the draft's auth types (the first is offered first): names lists each key once",
			request: orderRequest{}, response: view, status: http.StatusOK, handle: s.orderDraftAuth},
		{method: "PUT", path: base + "/triggers/{object}/{event}", op: "setCustomConnectorTrigger", access: manage, tag: tag, permission: perm,
			summary: "Add a polling or webhook trigger (an event of an object) to the draft, or replace it where it stands",
			request: connector.Event{}, response: view, status: http.StatusOK, handle: s.setDraftTrigger},
		{method: "DELETE", path: base + "/triggers/{object}/{event}", op: "deleteCustomConnectorTrigger", access: manage, tag: tag, permission: perm,
			summary:  "Remove a trigger (an event of an object) from the draft",
			response: view, status: http.StatusOK, handle: s.deleteDraftTrigger},
		{method: "POST", path: base + "/triggers/{object}/order", op: "orderCustomConnectorTriggers", access: manage, tag: tag, permission: perm,
			summary: "Reorder an object's triggers: names lists each of its events once",
			request: orderRequest{}, response: view, status: http.StatusOK, handle: s.orderDraftTriggers},
	}
}

// draftAnswer writes the updated draft of a part's edit.
func draftAnswer(w http.ResponseWriter, v *app.CustomConnectorView, err error) error {
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) setDraftActivity(w http.ResponseWriter, r *http.Request) error {
	var act connector.Activity
	if err := s.decode(w, r, &act); err != nil {
		return err
	}
	v, err := s.app.SetDraftActivity(r.Context(), principal(r), r.PathValue("id"), r.PathValue("name"), act)
	return draftAnswer(w, v, err)
}

func (s *Server) deleteDraftActivity(w http.ResponseWriter, r *http.Request) error {
	v, err := s.app.DeleteDraftActivity(r.Context(), principal(r), r.PathValue("id"), r.PathValue("name"))
	return draftAnswer(w, v, err)
}

func (s *Server) orderDraftActivities(w http.ResponseWriter, r *http.Request) error {
	var req orderRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.app.OrderDraftActivities(r.Context(), principal(r), r.PathValue("id"), req.Names)
	return draftAnswer(w, v, err)
}

func (s *Server) setDraftAuth(w http.ResponseWriter, r *http.Request) error {
	var auth connector.Auth
	if err := s.decode(w, r, &auth); err != nil {
		return err
	}
	v, err := s.app.SetDraftAuth(r.Context(), principal(r), r.PathValue("id"), r.PathValue("key"), auth)
	return draftAnswer(w, v, err)
}

func (s *Server) deleteDraftAuth(w http.ResponseWriter, r *http.Request) error {
	v, err := s.app.DeleteDraftAuth(r.Context(), principal(r), r.PathValue("id"), r.PathValue("key"))
	return draftAnswer(w, v, err)
}

func (s *Server) orderDraftAuth(w http.ResponseWriter, r *http.Request) error {
	var req orderRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.app.OrderDraftAuth(r.Context(), principal(r), r.PathValue("id"), req.Names)
	return draftAnswer(w, v, err)
}

func (s *Server) setDraftTrigger(w http.ResponseWriter, r *http.Request) error {
	var ev connector.Event
	if err := s.decode(w, r, &ev); err != nil {
		return err
	}
	v, err := s.app.SetDraftTrigger(r.Context(), principal(r), r.PathValue("id"), r.PathValue("object"), r.PathValue("event"), ev)
	return draftAnswer(w, v, err)
}

func (s *Server) deleteDraftTrigger(w http.ResponseWriter, r *http.Request) error {
	v, err := s.app.DeleteDraftTrigger(r.Context(), principal(r), r.PathValue("id"), r.PathValue("object"), r.PathValue("event"))
	return draftAnswer(w, v, err)
}

func (s *Server) orderDraftTriggers(w http.ResponseWriter, r *http.Request) error {
	var req orderRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.app.OrderDraftTriggers(r.Context(), principal(r), r.PathValue("id"), r.PathValue("object"), req.Names)
	return draftAnswer(w, v, err)
}
