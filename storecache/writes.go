package storecache

import (
	"context"
	"time"

	"junction"
)

// The writes below change rows that a cached principal, connection, folder,
// asset, credential store or trigger was read from. Each drops the cache after it
// has run. TestEveryWriteIsClassified fails when a Store method is added
// without deciding whether it belongs here.

func (s *Store) UpdateFolder(ctx context.Context, f *junction.Folder) error {
	defer s.wrote()
	return s.Store.UpdateFolder(ctx, f)
}

func (s *Store) DeleteFolder(ctx context.Context, tenantID, id string) error {
	defer s.wrote()
	return s.Store.DeleteFolder(ctx, tenantID, id)
}

func (s *Store) UpdateUser(ctx context.Context, u *junction.User) error {
	defer s.wrote()
	return s.Store.UpdateUser(ctx, u)
}

func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	defer s.wrote()
	return s.Store.DeleteUser(ctx, tenantID, id)
}

func (s *Store) UpdateRole(ctx context.Context, r *junction.Role) error {
	defer s.wrote()
	return s.Store.UpdateRole(ctx, r)
}

func (s *Store) DeleteRole(ctx context.Context, tenantID, id string) error {
	defer s.wrote()
	return s.Store.DeleteRole(ctx, tenantID, id)
}

func (s *Store) SetAssignments(ctx context.Context, tenantID, userID, folderID string, roleIDs []string) error {
	defer s.wrote()
	return s.Store.SetAssignments(ctx, tenantID, userID, folderID, roleIDs)
}

func (s *Store) RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error {
	defer s.wrote()
	return s.Store.RevokeToken(ctx, tenantID, id, at)
}

func (s *Store) UpdateCredentialStore(ctx context.Context, cs *junction.CredentialStoreConfig) error {
	defer s.wrote()
	return s.Store.UpdateCredentialStore(ctx, cs)
}

func (s *Store) DeleteCredentialStore(ctx context.Context, tenantID, id string) error {
	defer s.wrote()
	return s.Store.DeleteCredentialStore(ctx, tenantID, id)
}

func (s *Store) UpdateAsset(ctx context.Context, a *junction.Asset) error {
	defer s.wrote()
	return s.Store.UpdateAsset(ctx, a)
}

func (s *Store) DeleteAsset(ctx context.Context, tenantID, id string) error {
	defer s.wrote()
	return s.Store.DeleteAsset(ctx, tenantID, id)
}

func (s *Store) UpdateConnection(ctx context.Context, c *junction.Connection) error {
	defer s.wrote()
	return s.Store.UpdateConnection(ctx, c)
}

func (s *Store) DeleteConnection(ctx context.Context, tenantID, id string) error {
	defer s.wrote()
	return s.Store.DeleteConnection(ctx, tenantID, id)
}

// RecordAuthResult changes the connection's failure count, which the
// engine reads from the connection to decide whether a success must reset
// it.
func (s *Store) RecordAuthResult(ctx context.Context, tenantID, id string, ok bool) (int, error) {
	defer s.wrote()
	return s.Store.RecordAuthResult(ctx, tenantID, id, ok)
}

// Sealed values are replaced in place under the same ID (a connection's
// literal secrets, OAuth tokens) and re-wrapped by key rotation. The
// rotate-master-key command re-wraps from a process of its own; on SQLite
// this server does not hear of it, which is harmless: the entry it holds is
// still wrapped with a key its keyring has, and expires within MaxAge.

func (s *Store) PutSealed(ctx context.Context, v *junction.SealedValue) error {
	defer s.wrote()
	return s.Store.PutSealed(ctx, v)
}

func (s *Store) DeleteSealed(ctx context.Context, tenantID, id string) error {
	defer s.wrote()
	return s.Store.DeleteSealed(ctx, tenantID, id)
}

// ForgetExecutionInputs deletes sealed values, which a retry may have
// read through the cache.
func (s *Store) ForgetExecutionInputs(ctx context.Context, startedBefore time.Time, limit int) (int, error) {
	defer s.wrote()
	return s.Store.ForgetExecutionInputs(ctx, startedBefore, limit)
}

func (s *Store) RewrapSealed(ctx context.Context, id, oldKeyID string, oldWrapped []byte, newKeyID string, wrapped []byte) error {
	defer s.wrote()
	return s.Store.RewrapSealed(ctx, id, oldKeyID, oldWrapped, newKeyID, wrapped)
}

// Triggers change on their own (edits, enabling) and as their health is
// recorded; deleting a connection or folder, above, deletes its triggers
// too and drops everything.

func (s *Store) UpdateTrigger(ctx context.Context, t *junction.Trigger) error {
	defer s.wroteTriggers()
	return s.Store.UpdateTrigger(ctx, t)
}

func (s *Store) DeleteTrigger(ctx context.Context, tenantID, id string) error {
	defer s.wroteTriggers()
	return s.Store.DeleteTrigger(ctx, tenantID, id)
}

func (s *Store) RecordTriggerResult(ctx context.Context, tenantID, id string, ok bool, at time.Time) (*junction.Trigger, error) {
	defer s.wroteTriggers()
	return s.Store.RecordTriggerResult(ctx, tenantID, id, ok, at)
}

func (s *Store) DisableTriggerForFailures(ctx context.Context, tenantID, id string, minFailures int, notSince, at time.Time) (bool, error) {
	defer s.wroteTriggers()
	return s.Store.DisableTriggerForFailures(ctx, tenantID, id, minFailures, notSince, at)
}

func (s *Store) RecordTriggerSuccesses(ctx context.Context, ids []string, at time.Time) error {
	defer s.wroteTriggers()
	return s.Store.RecordTriggerSuccesses(ctx, ids, at)
}

func (s *Store) SetTriggerBaseline(ctx context.Context, tenantID, id string, at time.Time) error {
	defer s.wroteTriggers()
	return s.Store.SetTriggerBaseline(ctx, tenantID, id, at)
}
