package webui

import (
	"net/http"
	"strings"

	"junction"
	"junction/app"
	"junction/connector"
)

// eventChoice is an event a trigger may follow, as "object.event".
type eventChoice struct {
	Value, Label string
	// Fields are the record's fields, which a filter reads as record.<name>.
	Fields []connector.ObjectField
}

// newTriggerData drives /triggers/new: the connection first, then its
// events and the rest of the form.
type newTriggerData struct {
	Connections connectionChoice
	Connection  *junction.Connection
	Events      []eventChoice
	Chosen      *eventChoice
	Form        map[string]string
	// Check is what the filter typed reads, for its warnings.
	Check *app.TriggerFilterCheck
	// Poll is the polling part of the form when the chosen event polls.
	Poll *pollForm
}

func (u *UI) newTrigger(w http.ResponseWriter, r *request) error {
	return u.triggerForm(w, r, nil)
}

func (u *UI) triggerForm(w http.ResponseWriter, r *request, formErr error) error {
	ctx := r.Context()
	form := postedForm(r)
	if r.Method == http.MethodGet {
		form = map[string]string{}
		for k, v := range r.URL.Query() {
			form[k] = v[0]
		}
	}
	if form["target_type"] == "" {
		form["target_type"] = string(junction.TargetQueue)
	}
	d := newTriggerData{Form: form}
	if id := form["connection_id"]; id != "" {
		c, err := u.app.GetConnection(ctx, r.p, id)
		if err != nil {
			return err
		}
		def, err := u.app.GetConnector(ctx, r.p, c.Connector, c.ConnectorVersion)
		if err != nil {
			return err
		}
		d.Connection = c
		for _, o := range def.Objects {
			for _, e := range o.Events {
				label := e.DisplayName
				if label == "" {
					label = o.Name + " " + e.Name
				}
				d.Events = append(d.Events, eventChoice{Value: o.Name + "." + e.Name, Label: label, Fields: o.Fields})
			}
		}
		for i := range d.Events {
			// The first event when none is named, as the select shows it.
			if d.Events[i].Value == form["event"] || (form["event"] == "" && i == 0) {
				d.Chosen = &d.Events[i]
			}
		}
		if d.Chosen != nil {
			d.Check = u.filterWarnings(r, c.ID, d.Chosen.Value, form["filter"])
			if inputs, polls := eventPollInputs(def, d.Chosen.Value); polls {
				d.Poll = u.newPollForm(r, c, inputs, form)
			}
		}
	} else {
		choices, err := u.connectionChoices(r, form["q"])
		if err != nil {
			return err
		}
		d.Connections = choices
	}
	return u.show(w, r, "trigger_new", "triggers", "New trigger", d, formErr)
}

func (u *UI) createTrigger(w http.ResponseWriter, r *request) error {
	c, err := u.app.GetConnection(r.Context(), r.p, r.PostFormValue("connection_id"))
	if err != nil {
		return err
	}
	object, event, _ := strings.Cut(r.PostFormValue("event"), ".")
	var params map[string]any
	if _, sent := r.PostForm["parameters"]; sent {
		def, err := u.app.GetConnector(r.Context(), r.p, c.Connector, c.ConnectorVersion)
		if err != nil {
			return err
		}
		if inputs, polls := eventPollInputs(def, r.PostFormValue("event")); polls {
			if params, err = pollParameters(r, inputs); err != nil {
				return u.triggerForm(w, r, err)
			}
		}
	}
	in := app.CreateTriggerInput{Parameters: params, FolderID: c.FolderID, Name: strings.TrimSpace(r.PostFormValue("name")), ConnectionID: c.ID,
		Object: object, Event: event, Filter: r.PostFormValue("filter"),
		Target: app.TriggerTargetInput{Type: junction.TargetType(r.PostFormValue("target_type")),
			Name: strings.TrimSpace(r.PostFormValue("target_name")), URL: strings.TrimSpace(r.PostFormValue("target_url"))}}
	if in.Target.Type == junction.TargetWebhook {
		s := junction.NewSecret(r.PostFormValue("target_secret"))
		in.Target.Secret = &s
	}
	t, err := u.app.CreateTrigger(r.Context(), r.p, in)
	if err != nil {
		if !isFormError(err) && !junction.IsCode(err, junction.ENOTFOUND) {
			return err
		}
		return u.triggerForm(w, r, err)
	}
	return redirect(w, r, "/triggers/"+t.ID, "Trigger created.")
}

func (u *UI) setTriggerEnabled(w http.ResponseWriter, r *request) error {
	on := r.PostFormValue("enabled") == "true"
	t, err := u.app.SetTriggerEnabled(r.Context(), r.p, r.PathValue("id"), on)
	if err != nil {
		return err
	}
	if on {
		return redirect(w, r, "/triggers/"+t.ID, "Trigger enabled.")
	}
	return redirect(w, r, "/triggers/"+t.ID, "Trigger disabled.")
}

func (u *UI) deleteTriggerPage(w http.ResponseWriter, r *request) error {
	t, err := u.app.GetTrigger(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return u.show(w, r, "confirm", "triggers", "Delete trigger "+triggerLabel(t)+"?", confirmData{
		Action: "/triggers/" + t.ID + "/delete", Back: "/triggers/" + t.ID, Button: "Delete the trigger",
		What: "The trigger stops at once and its webhook URL stops working. Its history and its jobs, done or waiting, are deleted with it."}, nil)
}

func (u *UI) deleteTrigger(w http.ResponseWriter, r *request) error {
	t, err := u.app.GetTrigger(r.Context(), r.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := u.app.DeleteTrigger(r.Context(), r.p, t.ID); err != nil {
		return err
	}
	return redirect(w, r, "/connections/"+t.ConnectionID, "Trigger "+triggerLabel(t)+" deleted.")
}

func triggerLabel(t *app.TriggerView) string {
	if t.Name != "" {
		return t.Name
	}
	return t.Object + "." + t.Event
}

// jobs -----------------------------------------------------------------

// jobStatuses are the statuses /jobs filters by.
var jobStatuses = []junction.JobStatus{junction.JobPending, junction.JobClaimed, junction.JobCompleted, junction.JobFailed, junction.JobCancelled}

func (u *UI) jobs(w http.ResponseWriter, r *request) error {
	return u.jobsPage(w, r, nil)
}

func (u *UI) jobsPage(w http.ResponseWriter, r *request, formErr error) error {
	q := r.URL.Query()
	list, err := u.app.ListJobs(r.Context(), r.p, app.JobQuery{Queue: q.Get("queue"), Status: junction.JobStatus(q.Get("status")),
		TriggerID: q.Get("trigger_id"), Page: pageOf(r)})
	if err != nil {
		return err
	}
	return u.show(w, r, "jobs", "jobs", "Jobs", map[string]any{
		"List": list, "Pager": cursorPager(r, list.NextCursor), "Queue": q.Get("queue"), "Status": q.Get("status"),
		"TriggerID": q.Get("trigger_id"), "Statuses": jobStatuses, "Back": r.URL.RequestURI(),
		"CanProcess": canAnywhere(r.p, junction.PermJobsProcess)}, formErr)
}

// jobAction retries, cancels or deletes a job, then shows the list the
// form came from.
func (u *UI) jobAction(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	var err error
	var notice string
	switch r.PathValue("action") {
	case "retry":
		_, err = u.app.RetryJob(r.Context(), r.p, id)
		notice = "Job queued again."
	case "cancel":
		_, err = u.app.CancelJob(r.Context(), r.p, id, "cancelled in the web UI by "+r.p.User.Name)
		notice = "Job cancelled."
	case "delete":
		err = u.app.DeleteJob(r.Context(), r.p, id)
		notice = "Job deleted."
	default:
		return junction.NotFound("job action")
	}
	if err != nil {
		return err
	}
	back := safeNext(r.PostFormValue("back"))
	if !strings.HasPrefix(back, "/jobs") {
		back = "/jobs"
	}
	path, query, _ := strings.Cut(back, "?")
	http.Redirect(w, r.Request, path+"?"+joinQuery(query, "notice="+urlQueryEscape(notice)), http.StatusSeeOther)
	return nil
}

// joinQuery adds kv to a query string, dropping a notice it had.
func joinQuery(query, kv string) string {
	var parts []string
	for _, p := range strings.Split(query, "&") {
		if p != "" && !strings.HasPrefix(p, "notice=") {
			parts = append(parts, p)
		}
	}
	return strings.Join(append(parts, kv), "&")
}
