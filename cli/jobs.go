package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"junction"
)

// Limits the server applies to a claim, checked here so a typo is
// reported before the request.
const (
	maxClaimWait = 30 * time.Second
	maxLease     = 12 * time.Hour
)

func (c *CLI) jobsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "Work the jobs triggers start: list them, claim one from a queue, complete or fail it; retry, cancel or delete one",
	}
	var queue, status, trigger, folder string
	var all bool

	list := &cobra.Command{
		Use:   "list [--queue Q] [--status pending|claimed|completed|failed|cancelled] [--trigger ID]",
		Short: "List jobs, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := filterQuery(map[string]string{"queue": queue, "status": status, "trigger_id": trigger, "folder_id": folder})
			return listAndPrint(c, cmd, "/api/v1/jobs", q, all, []string{"CREATED", "ID", "TRIGGER", "EVENT", "OBJECT", "QUEUE", "STATUS", "ATTEMPTS"}, func(j *junction.Job) []string {
				dest := j.Queue
				if j.Target == junction.TargetWebhook {
					dest = "(webhook)"
				}
				return []string{formatTime(j.CreatedAt), j.ID, c.label(refTrigger, j.TriggerID), j.ObjectType + "." + j.Event, j.ObjectID,
					dest, string(j.Status), strconv.Itoa(j.Attempts)}
			})
		},
	}
	list.Flags().StringVar(&queue, "queue", "", "only jobs of this queue")
	list.Flags().StringVar(&status, "status", "", "only jobs in this status: pending, claimed, completed, failed or cancelled")
	list.Flags().StringVar(&trigger, "trigger", "", "only jobs this trigger ID started")
	list.Flags().StringVar(&folder, "folder", "", "only jobs in this folder ID")
	addAllFlag(list, &all)

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one job with its payload",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.jobCall(cmd, http.MethodGet, jobPath(args[0]), nil)
		},
	}

	var wait, lease time.Duration
	claim := &cobra.Command{
		Use:   "claim --queue Q [--wait 20s] [--lease 5m]",
		Short: "Claim the oldest waiting job of a queue; prints it, or nothing when none came",
		Long: `Claim takes the oldest waiting job of the queue (or one whose lease ran out)
and holds it for --lease: complete or fail it before then, or it returns to
the queue. --wait waits up to that long (at most 30s) for a job to come.
With -o json it prints {"job": ...}, the job being null when none came;
otherwise the job, or nothing, and exits 0 either way.`,
		Example: `  junction jobs claim --queue triage --wait 20s -o json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case queue == "":
				return junction.Invalid("queue", "give the queue with --queue")
			case wait < 0 || wait > maxClaimWait:
				return junction.Invalid("wait", "must be between 0s and %s", maxClaimWait)
			case lease < time.Second || lease > maxLease:
				return junction.Invalid("lease", "must be between 1s and %s", maxLease)
			}
			body := map[string]any{"queue": queue, "wait_seconds": int(wait.Round(time.Second) / time.Second),
				"lease_seconds": int(lease.Round(time.Second) / time.Second)}
			if folder != "" {
				body["folder_id"] = folder
			}
			raw, err := c.call(cmd, http.MethodPost, "/api/v1/jobs/claim", body)
			if err != nil {
				return err
			}
			return printAnswer(c, raw, func(res *claimAnswer) error {
				if len(res.Job) == 0 || string(res.Job) == "null" {
					fmt.Fprintf(c.env.Stderr, "No job in queue %s.\n", queue)
					return nil
				}
				return printJob(c, res.Job)
			})
		},
	}
	claim.Flags().StringVar(&queue, "queue", "", "queue to claim from (required)")
	claim.Flags().StringVar(&folder, "folder", "", "claim only jobs of this folder ID")
	claim.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for a job (at most 30s)")
	claim.Flags().DurationVar(&lease, "lease", 5*time.Minute, "hold the job this long")

	var result string
	complete := &cobra.Command{
		Use:   "complete ID [--result JSON|@file|-]",
		Short: "Complete a job you claimed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			if cmd.Flags().Changed("result") {
				r, err := c.readJSON("result", "the result", result)
				if err != nil {
					return err
				}
				body["result"] = r
			}
			return c.jobCall(cmd, http.MethodPost, jobPath(args[0])+"/complete", body)
		},
	}
	complete.Flags().StringVar(&result, "result", "", "what the job came to, as JSON, @file or - (standard input)")

	var reason string
	var retry bool
	fail := &cobra.Command{
		Use:   "fail ID --error MSG [--retry]",
		Short: "Report that a job you claimed failed; --retry returns it to its queue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if reason == "" {
				return junction.Invalid("error", "say why the job failed with --error")
			}
			return c.jobCall(cmd, http.MethodPost, jobPath(args[0])+"/fail", map[string]any{"error": reason, "retry": retry})
		},
	}
	fail.Flags().StringVar(&reason, "error", "", "why the job failed (required)")
	fail.Flags().BoolVar(&retry, "retry", false, "return the job to its queue for another attempt")

	retryJob := &cobra.Command{
		Use:   "retry ID",
		Short: "Return a failed or cancelled job to pending for a new round of attempts",
		Long: `Retry returns a failed or cancelled job to pending, its attempts counted
from zero again: a queue job waits for a worker's claim, a webhook target
job is delivered to its target again. The retry is audited.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.jobCall(cmd, http.MethodPost, jobPath(args[0])+"/retry", nil)
		},
	}

	var cancelReason string
	cancelJob := &cobra.Command{
		Use:   "cancel ID --reason TEXT",
		Short: "Cancel a pending or claimed job, saying why",
		Long: `Cancel stops a pending or claimed job: no worker claims it, the worker
holding it can no longer complete or fail it, and a webhook target job is
not delivered. "junction jobs retry" brings it back. The cancel is audited.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(cancelReason) == "" {
				return junction.Invalid("reason", "say why the job is cancelled with --reason")
			}
			return c.jobCall(cmd, http.MethodPost, jobPath(args[0])+"/cancel", map[string]any{"reason": cancelReason})
		},
	}
	cancelJob.Flags().StringVar(&cancelReason, "reason", "", "why the job is cancelled (required)")

	deleteJob := c.deleteCommand("job", "Delete a job, whatever its status (audited)", jobPath)

	cmd.AddCommand(list, show, claim, complete, fail, retryJob, cancelJob, deleteJob)
	return cmd
}

// claimAnswer is the answer of POST /api/v1/jobs/claim: Job is null when
// none came.
type claimAnswer struct {
	Job json.RawMessage `json:"job"`
}

func jobPath(id string) string { return "/api/v1/jobs/" + url.PathEscape(id) }

func (c *CLI) jobCall(cmd *cobra.Command, method, path string, body any) error {
	raw, err := c.call(cmd, method, path, body)
	if err != nil {
		return err
	}
	if c.raw() {
		return c.printDoc(raw)
	}
	return printJob(c, raw)
}

// printJob prints a job's facts and then its payload as JSON.
func printJob(c *CLI, raw json.RawMessage) error {
	var j junction.Job
	if err := printObject(c, raw, func(v *junction.Job) [][2]string {
		j = *v
		out := [][2]string{
			{"ID", v.ID}, {"Trigger", c.label(refTrigger, v.TriggerID)}, {"Event", v.ObjectType + "." + v.Event}, {"Object", v.ObjectID},
			{"Status", string(v.Status)}, {"Attempts", strconv.Itoa(v.Attempts)}, {"Idempotency key", v.IdempotencyKey},
		}
		if v.Queue != "" {
			out = append(out, [2]string{"Queue", v.Queue})
		}
		if v.LeaseExpiresAt != nil {
			out = append(out, [2]string{"Lease expires", formatTimePtr(v.LeaseExpiresAt)})
		}
		if v.Error != "" {
			out = append(out, [2]string{"Error", oneLine(v.Error)})
		}
		return append(out, [2]string{"Created", formatTime(v.CreatedAt)})
	}); err != nil {
		return err
	}
	if c.raw() || j.Payload == nil {
		return nil
	}
	b, err := json.Marshal(j.Payload)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.env.Stdout, "Payload:")
	return c.printDoc(b)
}
