package keyring

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"junction"
)

// rotateBatch is how many values one rotation step lists and re-wraps. Small
// enough that each step is short, large enough that a big table is not
// walked one row at a time.
const rotateBatch = 100

// maxRewrapAttempts bounds how often one value is retried when the store
// reports it changed underneath; a store that keeps refusing would otherwise
// loop forever.
const maxRewrapAttempts = 3

// RotateResult reports a rotation pass.
type RotateResult struct {
	// PrimaryKeyID is the key values are now wrapped with.
	PrimaryKeyID string
	// KeyFile is the key file rotated, "" when keys come from the
	// environment.
	KeyFile string
	// NewKey reports that RotateMasterKey added PrimaryKeyID to KeyFile.
	NewKey bool
	// Rewrapped counts the values re-wrapped by this pass.
	Rewrapped int
	// Failed lists the IDs of values that could not be re-wrapped: wrapped
	// with a key that is not loaded, or damaged. While it is not empty,
	// older keys must not be retired.
	Failed []string
}

// Rotate re-wraps, in batches, every sealed value whose data key is not
// wrapped with ring's primary key. Ciphertexts are left untouched, so it is
// safe while servers serve: servers that still hold the older key open the
// values they have not yet seen re-wrapped, and file-based servers re-read
// the key file when they meet the new key.
//
// Values that cannot be re-wrapped are logged by ID, reported in Failed and
// skipped; an error from the store stops the pass.
func Rotate(ctx context.Context, store junction.SealedStore, ring *Ring, logger *slog.Logger) (RotateResult, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ring.mu.RLock()
	pk := ring.primary
	ring.mu.RUnlock()
	res := RotateResult{PrimaryKeyID: pk.id, KeyFile: ring.path}

	failed := map[string]bool{}
	attempts := map[string]int{}
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		// The store has no cursor: values that failed stay in the list,
		// so ask for that many more to keep making progress past them, up
		// to the most a store returns at once.
		limit := rotateBatch + len(failed)
		if limit > junction.MaxPageSize {
			return res, &junction.Error{
				Code: junction.EINTERNAL,
				Message: fmt.Sprintf("rotation stopped: %d sealed values cannot be re-wrapped with the loaded master keys; "+
					"an older key is probably missing (check %s or the key file) and the pass should be run again once it is loaded",
					len(failed), EnvMasterKeyPrevious),
				Err: ErrUnknownKey,
			}
		}
		batch, err := store.ListSealedNotWrappedWith(ctx, pk.id, limit)
		if err != nil {
			return res, fmt.Errorf("list values to re-wrap: %w", err)
		}
		progress := false
		for _, v := range batch {
			if failed[v.ID] {
				continue
			}
			progress = true
			wrapped, err := ring.rewrap(v, pk)
			if err != nil {
				failed[v.ID] = true
				res.Failed = append(res.Failed, v.ID)
				logger.Error("sealed value cannot be re-wrapped; it stays on its old master key",
					slog.String("id", v.ID), slog.String("tenant_id", v.TenantID),
					slog.String("key_id", v.KeyID), slog.String("error", err.Error()))
				continue
			}
			err = store.RewrapSealed(ctx, v.ID, v.KeyID, v.WrappedKey, pk.id, wrapped)
			switch {
			case err == nil:
				res.Rewrapped++
			case junction.IsCode(err, junction.ENOTFOUND) || junction.IsCode(err, junction.ECONFLICT):
				// Deleted or re-sealed meanwhile (perhaps with a new data
				// key under the same old master key); if it is still on an
				// old key the next batch lists it again.
				attempts[v.ID]++
				if attempts[v.ID] >= maxRewrapAttempts {
					failed[v.ID] = true
					res.Failed = append(res.Failed, v.ID)
					logger.Error("sealed value keeps changing during re-wrap; skipped", slog.String("id", v.ID))
				}
			default:
				return res, fmt.Errorf("re-wrap sealed value %s: %w", v.ID, err)
			}
		}
		if !progress {
			break
		}
	}
	logger.Info("master key rotation pass finished", slog.String("key_id", pk.id),
		slog.Int("rewrapped", res.Rewrapped), slog.Int("failed", len(res.Failed)))
	return res, nil
}

// RotateMasterKey is the whole of `junction rotate-master-key`: with a key
// file it adds a new primary key to the file (wrapped by opts.KMS when that
// is set, so that the same command moves keys into a KMS, to another KMS
// key, or back into the file), with keys in the environment
// it takes JUNCTION_MASTER_KEY as the new primary; then it re-wraps every
// sealed value and reports. Run it again to resume an interrupted pass (with
// a key file, that adds one more key, which is harmless).
func RotateMasterKey(ctx context.Context, store junction.SealedStore, opts LoadOptions) (RotateResult, error) {
	path, err := opts.keyFilePath()
	if err != nil {
		return RotateResult{}, err
	}
	if opts.KMS != "" && path == "" {
		return RotateResult{}, junction.Errorf(junction.EINVALID,
			"%s is set and so is a KMS key for the master key: keep the master key in one place (unset %s, or drop the KMS key)", EnvMasterKey, EnvMasterKey)
	}
	if path != "" {
		if _, err := addKeyToFile(ctx, path, opts.kmsKeys()); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return RotateResult{}, junction.Errorf(junction.EINVALID, "no master key file at %s: nothing to rotate", path)
			}
			return RotateResult{}, err
		}
	}
	ring, err := Load(opts)
	if err != nil {
		return RotateResult{}, err
	}
	defer ring.Close()
	res, err := Rotate(ctx, store, ring, opts.logger())
	res.NewKey = path != ""
	return res, err
}
