package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"junction"
	"junction/app"
)

// claimJobRequest asks for the oldest waiting job of a queue. wait_seconds
// (at most 30) holds the request open until a job comes; lease_seconds is
// how long the job is held (300 when left out).
type claimJobRequest struct {
	Queue        string `json:"queue"`
	FolderID     string `json:"folder_id,omitempty"`
	WaitSeconds  int    `json:"wait_seconds,omitempty"`
	LeaseSeconds int    `json:"lease_seconds,omitempty"`
}

// completeJobRequest reports a job done, with what the worker made of it.
type completeJobRequest struct {
	Result json.RawMessage `json:"result,omitempty"`
}

// cancelJobRequest stops a pending or claimed job, saying why.
type cancelJobRequest struct {
	Reason string `json:"reason"`
}

// failJobRequest reports a failed attempt: with retry the job returns to
// its queue, otherwise it fails for good.
type failJobRequest struct {
	Error string `json:"error"`
	Retry bool   `json:"retry,omitempty"`
}

func (s *Server) jobRoutes() []route {
	const tag = "jobs"
	on := func(p junction.Permission) string { return string(p) + " on the folder" }
	return []route{
		{method: "POST", path: "/api/v1/jobs/claim", op: "claimJob", access: anyFolder(junction.PermJobsProcess), tag: tag,
			summary: "Claim the oldest waiting job of a queue, or one whose lease ran out, waiting up to " +
				"wait_seconds for one; answers {\"job\": null} when none came",
			permission: string(junction.PermJobsProcess) + " on the job's folder",
			request:    claimJobRequest{}, response: app.ClaimResult{}, status: http.StatusOK, handle: s.claimJob},
		{method: "GET", path: "/api/v1/jobs", op: "listJobs", access: authenticated(), tag: tag,
			summary: "List jobs, oldest first, in folders where the caller holds Jobs.View",
			query: append([]queryParam{
				{name: "folder_id", description: "Only jobs in this folder."},
				{name: "queue", description: "Only jobs of this queue."},
				{name: "status", description: "Only jobs in this status: pending, claimed, completed, failed or cancelled."},
				{name: "trigger_id", description: "Only jobs this trigger started."},
			}, pageParams...),
			response: app.List[*junction.Job]{}, status: http.StatusOK, handle: s.listJobs},
		{method: "GET", path: "/api/v1/jobs/{id}", op: "getJob", access: inFolder(junction.PermJobsView), tag: tag,
			summary: "Get a job", permission: on(junction.PermJobsView),
			response: junction.Job{}, status: http.StatusOK, handle: s.getJob},
		{method: "POST", path: "/api/v1/jobs/{id}/complete", op: "completeJob", access: inFolder(junction.PermJobsProcess), tag: tag,
			summary:    "Complete a job the caller claimed; conflict when its lease ran out and another worker holds it",
			permission: on(junction.PermJobsProcess),
			request:    completeJobRequest{}, bodyOptional: true, response: junction.Job{}, status: http.StatusOK,
			handle: s.completeJob},
		{method: "POST", path: "/api/v1/jobs/{id}/fail", op: "failJob", access: inFolder(junction.PermJobsProcess), tag: tag,
			summary:    "Report a failed attempt of a job the caller claimed; retry returns it to the queue",
			permission: on(junction.PermJobsProcess),
			request:    failJobRequest{}, response: junction.Job{}, status: http.StatusOK, handle: s.failJob},
		{method: "POST", path: "/api/v1/jobs/{id}/retry", op: "retryJob", access: inFolder(junction.PermJobsProcess), tag: tag,
			summary: "Return a failed or cancelled job to pending for a new round of attempts (attempts start " +
				"from zero): a queue job waits for a claim, a webhook target job is delivered again; conflict " +
				"in any other status. Audited",
			permission: on(junction.PermJobsProcess),
			response:   junction.Job{}, status: http.StatusOK, handle: s.retryJob},
		{method: "POST", path: "/api/v1/jobs/{id}/cancel", op: "cancelJob", access: inFolder(junction.PermJobsProcess), tag: tag,
			summary: "Cancel a pending or claimed job, saying why: it is neither claimed nor delivered any more " +
				"and its worker can no longer complete it; conflict once it is finished. Audited",
			permission: on(junction.PermJobsProcess),
			request:    cancelJobRequest{}, response: junction.Job{}, status: http.StatusOK, handle: s.cancelJob},
		{method: "DELETE", path: "/api/v1/jobs/{id}", op: "deleteJob", access: inFolder(junction.PermJobsProcess), tag: tag,
			summary:    "Delete a job in any status. Audited",
			permission: on(junction.PermJobsProcess),
			status:     http.StatusNoContent, handle: s.deleteJob},
	}
}

func (s *Server) claimJob(w http.ResponseWriter, r *http.Request) error {
	var req claimJobRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	if req.WaitSeconds < 0 || req.WaitSeconds > int(app.MaxClaimWait/time.Second) {
		return junction.Invalid("wait_seconds", "must be between 0 and %d", int(app.MaxClaimWait/time.Second))
	}
	if req.LeaseSeconds < 0 || req.LeaseSeconds > int(app.MaxLease/time.Second) {
		return junction.Invalid("lease_seconds", "must be between 1 and %d", int(app.MaxLease/time.Second))
	}
	res, err := s.app.ClaimJob(r.Context(), principal(r), app.ClaimJobInput{
		Queue: req.Queue, FolderID: req.FolderID,
		Wait: time.Duration(req.WaitSeconds) * time.Second, Lease: time.Duration(req.LeaseSeconds) * time.Second,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := s.app.ListJobs(r.Context(), principal(r), app.JobQuery{
		FolderID: q.Get("folder_id"), Queue: q.Get("queue"), Status: junction.JobStatus(q.Get("status")),
		TriggerID: q.Get("trigger_id"), Page: page,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.app.GetJob(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (s *Server) completeJob(w http.ResponseWriter, r *http.Request) error {
	var req completeJobRequest
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if err := s.decode(w, r, &req); err != nil {
			return err
		}
	}
	var result any
	if len(req.Result) > 0 {
		if err := json.Unmarshal(req.Result, &result); err != nil {
			return junction.Invalid("result", "must be JSON")
		}
	}
	j, err := s.app.CompleteJob(r.Context(), principal(r), r.PathValue("id"), result)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (s *Server) failJob(w http.ResponseWriter, r *http.Request) error {
	var req failJobRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	j, err := s.app.FailJob(r.Context(), principal(r), r.PathValue("id"), req.Error, req.Retry)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (s *Server) retryJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.app.RetryJob(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) error {
	var req cancelJobRequest
	if err := s.decode(w, r, &req); err != nil {
		return err
	}
	j, err := s.app.CancelJob(r.Context(), principal(r), r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request) error {
	if err := s.app.DeleteJob(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
