package trigger

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"
)

// cleanUpArgs is the hourly job, run by the elected leader only, that
// removes processed webhook events and kept execution inputs past their
// retention.
type cleanUpArgs struct{}

func (cleanUpArgs) Kind() string { return KindCleanUp }

// InsertOpts: a clean-up that fails is simply done by the next one.
func (cleanUpArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type cleanUpWorker struct {
	river.WorkerDefaults[cleanUpArgs]
	r *Runtime
}

func (w *cleanUpWorker) Work(ctx context.Context, _ *river.Job[cleanUpArgs]) error {
	_, err := w.r.CleanUp(ctx)
	return err
}

// CleanUp removes the webhook events processed more than
// Options.EventRetention ago and returns how many; their jobs and the
// triggers' history stay. It also has the engine forget the inputs failed
// executions kept past their retention: the server's one hourly
// housekeeping job, so the engine needs no loop of its own; it also has the
// engine look (once a day) for OAuth refresh tokens about to expire. The elected
// leader runs it every CleanUpInterval.
func (r *Runtime) CleanUp(ctx context.Context) (int, error) {
	n, err := r.store.DeleteProcessedTriggerEvents(ctx, r.clock.Now().Add(-r.keep))
	if err != nil {
		return 0, err
	}
	if n > 0 {
		r.logger.LogAttrs(ctx, slog.LevelInfo, "removed processed webhook events", slog.Int("events", n),
			slog.Duration("older_than", r.keep))
	}
	if _, err := r.engine.CheckReauthorization(ctx); err != nil {
		r.logger.LogAttrs(ctx, slog.LevelWarn, "checking for credentials about to expire failed", slog.String("error", err.Error()))
	}
	inputs, err := r.engine.ForgetOldInputs(ctx)
	if inputs > 0 {
		r.logger.LogAttrs(ctx, slog.LevelInfo, "forgot the inputs failed executions kept past their retention",
			slog.Int("executions", inputs))
	}
	return n, err
}
