package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"junction"
)

// KeptRequest is what a failed execution keeps, sealed, so that an
// operator can run it again: what was asked, exactly. Successes keep
// nothing, since there is nothing to retry; the input may hold what the
// caller typed (personal data, a password), so it is sealed like any
// other secret at rest, and dropped after Options.InputRetention or with
// the connection, whichever comes first.
type KeptRequest struct {
	Activity  string         `json:"activity,omitempty"`
	Object    string         `json:"object,omitempty"`
	Operation string         `json:"operation,omitempty"`
	Input     map[string]any `json:"input,omitempty"`
	MaxPages  int            `json:"max_pages,omitempty"`
}

// MaxKeptInputBytes bounds the input a failed execution keeps: one
// larger, which only files make, is not kept, and the execution cannot be
// retried from its record.
const MaxKeptInputBytes = 1 << 20

// sealInput seals what a failed execution was asked, for its record to
// keep (Execution.Input): the record and its input are written together,
// in the record's batch, so neither outlives the other. It gives up
// quietly (logged, nil returned): failing to keep the input must not
// change how the execution went, and retrying the record then says that
// nothing was kept.
func (e *Engine) sealInput(ctx context.Context, executionID string, req *ExecuteRequest) *junction.SealedValue {
	b, err := json.Marshal(KeptRequest{Activity: req.Activity, Object: req.Object, Operation: req.Operation,
		Input: req.Input, MaxPages: req.MaxPages})
	if err != nil {
		// The caller's input came from JSON, so this is for inputs built
		// in Go only; nothing to keep.
		return nil
	}
	defer clear(b)
	if len(b) > MaxKeptInputBytes {
		// An upload's file: megabytes in every batch of records, for a
		// retry the caller can make by sending the file again.
		e.logger.LogAttrs(ctx, slog.LevelInfo, "input of a failed execution too large to keep",
			slog.String("execution_id", executionID), slog.Int("bytes", len(b)))
		return nil
	}
	sv, err := e.keyring.Seal(req.Connection.TenantID, junction.NewID(), b)
	if err != nil {
		e.logger.LogAttrs(ctx, slog.LevelWarn, "keep the input of a failed execution",
			slog.String("execution_id", executionID), slog.String("error", junction.ErrorMessage(err)))
		return nil
	}
	return sv
}

// KeptRequest opens what the failed execution x kept. ECONFLICT when it
// kept nothing: it succeeded, ran before inputs were kept, or its input's
// retention ran out or its connection was deleted since.
func (e *Engine) KeptRequest(ctx context.Context, x *junction.Execution) (*KeptRequest, error) {
	if x.InputSealedID == "" {
		return nil, junction.Errorf(junction.ECONFLICT,
			"execution %s kept no input to run again: only failed executions keep theirs (up to %d bytes, files included), for %s, while their connection exists",
			x.ID, MaxKeptInputBytes, retentionText(e.inputRetention))
	}
	sv, err := e.store.GetSealed(ctx, x.TenantID, x.InputSealedID)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil, junction.Errorf(junction.ECONFLICT, "the input execution %s kept is gone", x.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("read the input of execution %s: %w", x.ID, err)
	}
	b, err := e.keyring.Open(sv)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("open the input of execution %s: %w", x.ID, err))
	}
	defer clear(b)
	var kr KeptRequest
	if err := json.Unmarshal(b, &kr); err != nil {
		return nil, junction.Internal(fmt.Errorf("decode the input of execution %s: %w", x.ID, err))
	}
	return &kr, nil
}

// inputsPerForget bounds one store call of ForgetOldInputs.
const inputsPerForget = 500

// ForgetOldInputs deletes the inputs failed executions kept longer ago than
// Options.InputRetention and returns how many. The trigger runtime's
// hourly clean-up calls it.
func (e *Engine) ForgetOldInputs(ctx context.Context) (int, error) {
	before := e.clock.Now().Add(-e.inputRetention)
	total := 0
	for {
		n, err := e.store.ForgetExecutionInputs(ctx, before, inputsPerForget)
		total += n
		if err != nil || n < inputsPerForget {
			return total, err
		}
	}
}

// retentionText says a retention in days when it is whole days.
func retentionText(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
