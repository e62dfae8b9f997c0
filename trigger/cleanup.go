package trigger

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"
)

// cleanUpArgs is the hourly job, run by the elected leader only, that
// removes processed webhook events past their retention.
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
// triggers' history stay. The elected leader runs it every
// CleanUpInterval.
func (r *Runtime) CleanUp(ctx context.Context) (int, error) {
	n, err := r.store.DeleteProcessedTriggerEvents(ctx, r.clock.Now().Add(-r.keep))
	if err != nil {
		return 0, err
	}
	if n > 0 {
		r.logger.LogAttrs(ctx, slog.LevelInfo, "removed processed webhook events", slog.Int("events", n),
			slog.Duration("older_than", r.keep))
	}
	return n, nil
}
