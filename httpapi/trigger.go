package httpapi

import (
	"net/http"
	"time"

	"junction"
	"junction/app"
)

// triggerTarget is where a trigger's jobs go: {"type": "queue", "name"} or
// {"type": "webhook", "url", "secret"}. The secret signs deliveries
// (X-Junction-Signature); it is kept sealed and never shown again.
type triggerTarget struct {
	Type   string           `json:"type"`
	URL    string           `json:"url,omitempty"`
	Name   string           `json:"name,omitempty"`
	Secret *junction.Secret `json:"secret,omitempty"`
}

func (t *triggerTarget) input() app.TriggerTargetInput {
	return app.TriggerTargetInput{Type: junction.TargetType(t.Type), URL: t.URL, Name: t.Name, Secret: t.Secret}
}

// createTriggerRequest describes a new trigger. kind may be left out:
// polling when the event can be polled, else webhook.
type createTriggerRequest struct {
	FolderID     string         `json:"folder_id"`
	Name         string         `json:"name,omitempty"`
	ConnectionID string         `json:"connection_id"`
	Object       string         `json:"object"`
	Event        string         `json:"event"`
	Kind         string         `json:"kind,omitempty"`
	Filter       string         `json:"filter,omitempty"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Target       triggerTarget  `json:"target"`
}

// updateTriggerRequest changes a trigger; members left out stay as they
// are. A webhook target given without a secret keeps its secret.
type updateTriggerRequest struct {
	Name       *string         `json:"name,omitempty"`
	Filter     *string         `json:"filter,omitempty"`
	Parameters *map[string]any `json:"parameters,omitempty"`
	Target     *triggerTarget  `json:"target,omitempty"`
}

// rotateHookRequest asks for a new hook URL; grace_period (a duration
// such as "24h", at most 168h; none by default) is how long the old URL
// keeps working.
type rotateHookRequest struct {
	GracePeriod string `json:"grace_period,omitempty"`
}

func (s *Server) triggerRoutes() []route {
	const tag = "triggers"
	on := func(p junction.Permission) string { return string(p) + " on the folder" }
	return []route{
		{method: "POST", path: "/api/v1/triggers", op: "createTrigger", access: inFolder(junction.PermTriggersCreate, junction.PermConnectionsExecute), tag: tag,
			summary: "Create a trigger on an object event of a connection. A webhook trigger's answer carries its " +
				"webhook_url, to give the vendor; a webhook target's secret signs each delivery",
			permission: on(junction.PermTriggersCreate) + ", and " + string(junction.PermConnectionsExecute) +
				" on the connection's folder",
			request: createTriggerRequest{}, response: app.TriggerView{}, status: http.StatusCreated,
			handle: s.createTrigger},
		{method: "GET", path: "/api/v1/triggers", op: "listTriggers", access: authenticated(), tag: tag,
			summary: "List the triggers in folders where the caller holds Triggers.View; webhook_url only where " +
				"it also holds " + string(junction.PermTriggersEdit),
			query: append([]queryParam{
				{name: "folder_id", description: "Only triggers in this folder."},
				{name: "connection_id", description: "Only triggers on this connection."},
				{name: "name", description: "Only triggers whose name contains this, ignoring case."},
				{name: "kind", description: "Only polling or webhook triggers."},
				{name: "enabled", description: "true or false: only enabled or disabled triggers."},
			}, pageParams...),
			response: app.List[*app.TriggerView]{}, status: http.StatusOK, handle: s.listTriggers},
		{method: "GET", path: "/api/v1/triggers/{id}", op: "getTrigger", access: inFolder(junction.PermTriggersView), tag: tag,
			summary: "Get a trigger. A webhook trigger has has_webhook_url, and its webhook_url when the caller " +
				"holds " + string(junction.PermTriggersEdit) + " on the folder (the URL lets anyone send it events)",
			permission: on(junction.PermTriggersView),
			response:   app.TriggerView{}, status: http.StatusOK, handle: s.getTrigger},
		{method: "PATCH", path: "/api/v1/triggers/{id}", op: "updateTrigger", access: inFolder(junction.PermTriggersEdit), tag: tag,
			summary:    "Change a trigger's name, filter, parameters or target",
			permission: on(junction.PermTriggersEdit),
			request:    updateTriggerRequest{}, response: app.TriggerView{}, status: http.StatusOK,
			handle: s.updateTrigger},
		{method: "DELETE", path: "/api/v1/triggers/{id}", op: "deleteTrigger", access: inFolder(junction.PermTriggersDelete), tag: tag,
			summary:    "Delete a trigger with its history, pending events and jobs",
			permission: on(junction.PermTriggersDelete),
			status:     http.StatusNoContent, handle: s.deleteTrigger},
		{method: "POST", path: "/api/v1/triggers/{id}/enable", op: "enableTrigger", access: inFolder(junction.PermTriggersEdit), tag: tag,
			summary: "Turn a trigger on, clearing its failure count; a polling trigger takes a new baseline, " +
				"so records made while it was off fire nothing",
			permission: on(junction.PermTriggersEdit),
			response:   app.TriggerView{}, status: http.StatusOK, handle: s.enableTrigger},
		{method: "POST", path: "/api/v1/triggers/{id}/disable", op: "disableTrigger", access: inFolder(junction.PermTriggersEdit), tag: tag,
			summary:    "Turn a trigger off: its events are dropped until it is enabled again",
			permission: on(junction.PermTriggersEdit),
			response:   app.TriggerView{}, status: http.StatusOK, handle: s.disableTrigger},
		{method: "POST", path: "/api/v1/triggers/{id}/rotate-hook", op: "rotateTriggerHook", access: inFolder(junction.PermTriggersEdit), tag: tag,
			summary: "Give a webhook trigger a new webhook_url. The old URL keeps working for grace_period " +
				"(none by default, at most 168h), then answers 404 like an unknown one",
			permission: on(junction.PermTriggersEdit),
			request:    rotateHookRequest{}, bodyOptional: true, response: app.TriggerView{}, status: http.StatusOK,
			handle: s.rotateTriggerHook},
		{method: "GET", path: "/api/v1/triggers/{id}/history", op: "triggerHistory", access: inFolder(junction.PermTriggersView), tag: tag,
			summary: "List what happened to a trigger's events, oldest first: fired, skipped (and why), failed, " +
				"duplicate (a repeat of an event received before: no second job), rejected_signature (deliveries " +
				"refused for their signature, counted per minute in count), ping (the vendor's unsigned ping when a webhook " +
				"is saved, answered without a job; one a minute at most)",
			permission: on(junction.PermTriggersView),
			query: append([]queryParam{
				{name: "status", description: "Only entries with this status: fired, skipped, failed, " +
					junction.DisabledDueToFailures + ", duplicate, rejected_signature or ping."},
				{name: "since", description: "Only entries at or after this time.", format: "date-time"},
			}, pageParams...),
			response: app.List[*junction.TriggerRecord]{}, status: http.StatusOK, handle: s.triggerHistory},
		{method: "GET", path: "/api/v1/triggers/{id}/history/export", op: "exportTriggerHistory", access: inFolder(junction.PermTriggersView), tag: tag,
			summary: "Stream a trigger's whole history, oldest first, as NDJSON (application/x-ndjson, one entry a line) " +
				"or CSV (text/csv, with a header row); ?format= or Accept chooses, NDJSON by default",
			permission: on(junction.PermTriggersView),
			query: []queryParam{exportFormatParam,
				{name: "status", description: "Only entries with this status: fired, skipped, failed, " +
					junction.DisabledDueToFailures + ", duplicate, rejected_signature or ping."},
				{name: "since", description: "Only entries at or after this time.", format: "date-time"},
			},
			status: http.StatusOK, handle: s.exportTriggerHistory},
	}
}

func (s *Server) createTrigger(w http.ResponseWriter, r *http.Request) error {
	var req createTriggerRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	v, err := s.app.CreateTrigger(r.Context(), principal(r), app.CreateTriggerInput{
		FolderID: req.FolderID, Name: req.Name, ConnectionID: req.ConnectionID, Object: req.Object, Event: req.Event,
		Kind: junction.TriggerKind(req.Kind), Filter: req.Filter, Parameters: req.Parameters, Target: req.Target.input(),
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Server) listTriggers(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	in := app.TriggerQuery{FolderID: q.Get("folder_id"), ConnectionID: q.Get("connection_id"),
		NameContains: q.Get("name"), Kind: junction.TriggerKind(q.Get("kind")), Page: page}
	if q.Get("enabled") != "" {
		b, err := boolParam(r, "enabled", false)
		if err != nil {
			return err
		}
		in.Enabled = &b
	}
	list, err := s.app.ListTriggers(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getTrigger(w http.ResponseWriter, r *http.Request) error {
	v, err := s.app.GetTrigger(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) updateTrigger(w http.ResponseWriter, r *http.Request) error {
	var req updateTriggerRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	in := app.UpdateTriggerInput{Name: req.Name, Filter: req.Filter, Parameters: req.Parameters}
	if req.Target != nil {
		t := req.Target.input()
		in.Target = &t
	}
	v, err := s.app.UpdateTrigger(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) deleteTrigger(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteTrigger(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) enableTrigger(w http.ResponseWriter, r *http.Request) error {
	return s.setTriggerEnabled(w, r, true)
}

func (s *Server) disableTrigger(w http.ResponseWriter, r *http.Request) error {
	return s.setTriggerEnabled(w, r, false)
}

func (s *Server) setTriggerEnabled(w http.ResponseWriter, r *http.Request, on bool) error {
	v, err := s.app.SetTriggerEnabled(r.Context(), principal(r), r.PathValue("id"), on)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) triggerHistory(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	since, err := timeParam(r, "since")
	if err != nil {
		return err
	}
	list, err := s.app.TriggerHistory(r.Context(), principal(r), r.PathValue("id"), app.TriggerHistoryQuery{
		Status: junction.TriggerRecordStatus(r.URL.Query().Get("status")), Since: since, Page: page,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) rotateTriggerHook(w http.ResponseWriter, r *http.Request) error {
	var req rotateHookRequest
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if err := s.decode(w, r, &req); err != nil {
			return err
		}
	}
	grace := app.DefaultHookGracePeriod
	if req.GracePeriod != "" {
		d, err := time.ParseDuration(req.GracePeriod)
		if err != nil {
			return junction.Invalid("grace_period", "must be a duration such as 1h or 30m")
		}
		grace = d
	}
	v, err := s.app.RotateTriggerHook(r.Context(), principal(r), r.PathValue("id"), grace)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}
