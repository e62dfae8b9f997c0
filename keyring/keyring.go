// Package keyring seals secrets at rest with envelope encryption: each value
// gets a fresh AES-256-GCM data key, and that data key is wrapped with a
// master key held outside the database: in the environment, in a 0600 key
// file, or by a key management service (KMS) that keeps the key file's keys
// wrapped, so that no master key is ever written to disk. Loaded master keys
// live in locked memory (package lockedmem), not on the Go heap.
//
// # Where master keys come from
//
// Load looks, in order, at JUNCTION_MASTER_KEY (base64 of 32 bytes, with
// optional JUNCTION_MASTER_KEY_PREVIOUS, a comma-separated list of older keys
// still accepted for opening), then JUNCTION_MASTER_KEY_FILE, then
// <data-dir>/master.key. A missing key file is created on first start; an
// existing one that other users can read is refused. A key's ID is derived
// from the key itself, so nothing else needs to be recorded.
//
// With a KMS key configured (LoadOptions.KMS, the --master-key-kms flag),
// the key file holds master keys wrapped by that KMS key instead: a new
// file is created with one such key, and each start asks the KMS to unwrap
// the file's keys. Every wrapped entry records the URL of the KMS key that
// wrapped it, so values sealed under an earlier KMS key, or under a key
// held in the file itself, still open while they are being rotated away.
//
// # Rotating the master key
//
// Rotation only re-wraps data keys; ciphertexts are never rewritten, and
// servers keep serving throughout.
//
// With a key file, RotateMasterKey adds a new primary key to the file (older
// keys stay in it) and re-wraps every value. The new key is wrapped by the
// configured KMS key, or held in the file when none is configured: moving
// from a file key to a KMS, from one KMS key to another, or back, is one
// rotation. Running servers notice the changed file on their next Seal, and
// re-read it when they meet a value wrapped with a key they do not know
// (asking the KMS to unwrap only the keys new to them). Once a pass reports
// no failures, RetireKeys drops the older keys from the file; it refuses
// while any value still uses them.
//
// With keys in the environment, the operator:
//  1. (several servers only) deploys every server with the old key in
//     JUNCTION_MASTER_KEY and the new key in JUNCTION_MASTER_KEY_PREVIOUS, so
//     all of them can open values wrapped with either;
//  2. deploys with the new key in JUNCTION_MASTER_KEY and the old one in
//     JUNCTION_MASTER_KEY_PREVIOUS;
//  3. runs `junction rotate-master-key` with that same environment;
//  4. removes the old key from JUNCTION_MASTER_KEY_PREVIOUS once the pass
//     reports no failures.
package keyring

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"junction"
	"junction/lockedmem"
)

// KeySize is the length of a master key and of a data key: AES-256.
const KeySize = 32

const (
	// formatVersion is bound into every ciphertext and prefixed to every
	// wrapped key, so a future format can be told apart and never confused
	// with this one.
	formatVersion = 1
	nonceSize     = 12
	tagSize       = 16
	// wrappedSize is version byte, nonce, encrypted data key and tag.
	wrappedSize = 1 + nonceSize + KeySize + tagSize

	keyIDLabel     = "junction master key id v1\x00"
	recordAADLabel = "junction sealed value v1\x00"
	wrapAADLabel   = "junction data key v1\x00"
)

// Errors carried (as the cause of an *junction.Error with code EINTERNAL) by
// Open and Rotate. Match them with errors.Is.
var (
	// ErrUnknownKey means the value is wrapped with a master key this ring
	// does not hold.
	ErrUnknownKey = errors.New("master key not loaded")
	// ErrInvalidSealed means the value is malformed, was tampered with, or
	// belongs to another record.
	ErrInvalidSealed = errors.New("sealed value fails authentication")
)

// Ring holds the loaded master keys: one primary that wraps new data keys,
// and older ones still accepted for opening. It is safe for concurrent use.
type Ring struct {
	mu      sync.RWMutex
	primary *masterKey
	keys    map[string]*masterKey

	// Set when the ring was loaded from a key file: another process may
	// rotate the file, and this ring follows it.
	path     string
	reloadMu sync.Mutex  // serialises re-reads of the file
	loaded   os.FileInfo // the file as last read; guarded by reloadMu
	logger   *slog.Logger

	// kms unwraps the key file's wrapped keys; nil when no KMS is
	// configured (a file holding wrapped keys then cannot be loaded).
	kms *kmsKeys
}

var _ junction.Keyring = (*Ring)(nil)

// masterKey holds the key in locked memory and builds its cipher for each
// use, so that no long-lived copy of the key (or of its AES key schedule)
// sits on the Go heap, where it could be swapped out or dumped. The buffer
// is destroyed only under Ring.mu's write lock, and read only under its
// read lock.
type masterKey struct {
	id  string
	key *lockedmem.Buffer
	// kms is the URL of the KMS key that wraps this key in the key file;
	// "" for keys held in the file or the environment.
	kms string
}

func (k *masterKey) aead() (cipher.AEAD, error) {
	b := k.key.Bytes()
	if len(b) != KeySize {
		return nil, fmt.Errorf("master key %q is no longer loaded", k.id)
	}
	return newGCM(b)
}

// KeyID returns the ID of a master key: the first 16 hex digits of a
// domain-separated SHA-256 of the key. It identifies the key without
// revealing anything useful about it.
func KeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte(keyIDLabel))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// GenerateKey returns a new random master key.
func GenerateKey() []byte {
	k := make([]byte, KeySize)
	_, _ = rand.Read(k) // crypto/rand.Read never fails; it crashes the process instead
	return k
}

// New returns a ring whose primary key is primary and which also opens
// values wrapped with any of previous. The key bytes are not retained.
func New(primary []byte, previous ...[]byte) (*Ring, error) {
	return newRing(slog.New(slog.DiscardHandler), primary, previous...)
}

func newRing(logger *slog.Logger, primary []byte, previous ...[]byte) (*Ring, error) {
	r := &Ring{logger: logger}
	pk, keys, err := buildKeys(logger, primary, previous)
	if err != nil {
		return nil, err
	}
	r.primary, r.keys = pk, keys
	return r, nil
}

func buildKeys(logger *slog.Logger, primary []byte, previous [][]byte) (*masterKey, map[string]*masterKey, error) {
	keys := make(map[string]*masterKey, 1+len(previous))
	pk, err := newMasterKey(logger, primary, "")
	if err != nil {
		return nil, nil, err
	}
	keys[pk.id] = pk
	for _, p := range previous {
		if _, dup := keys[KeyID(p)]; dup {
			continue
		}
		k, err := newMasterKey(logger, p, "")
		if err != nil {
			destroyKeys(keys, nil)
			return nil, nil, err
		}
		keys[k.id] = k
	}
	return pk, keys, nil
}

// newMasterKey copies key into locked memory; the caller clears its own
// copy.
func newMasterKey(logger *slog.Logger, key []byte, kms string) (*masterKey, error) {
	if len(key) != KeySize {
		return nil, junction.Errorf(junction.EINVALID, "a master key must be %d bytes, got %d", KeySize, len(key))
	}
	buf, err := lockedmem.New(KeySize, logger)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("memory for a master key: %w", err))
	}
	copy(buf.Bytes(), key)
	return &masterKey{id: KeyID(key), key: buf, kms: kms}, nil
}

// destroyKeys wipes the keys of old that are not in keep. The caller holds
// Ring.mu for writing, or owns old alone.
func destroyKeys(old, keep map[string]*masterKey) {
	for id, k := range old {
		if keep[id] != k {
			k.key.Destroy()
		}
	}
}

// Close wipes the loaded master keys from memory. The ring cannot seal or
// open afterwards.
func (r *Ring) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	destroyKeys(r.keys, nil)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// PrimaryKeyID returns the ID of the key that wraps newly sealed values.
func (r *Ring) PrimaryKeyID() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.primary.id
}

// KeyIDs returns the IDs of every loaded key, primary first.
func (r *Ring) KeyIDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := []string{r.primary.id}
	for id := range r.keys {
		if id != r.primary.id {
			ids = append(ids, id)
		}
	}
	return ids
}

// KeyFile returns the key file the ring was loaded from, or "" when its keys
// came from the environment or from New.
func (r *Ring) KeyFile() string { return r.path }

// PrimaryKMS returns the URL of the KMS key that wraps the primary master
// key, or "" when the primary key is held in the key file or the
// environment.
func (r *Ring) PrimaryKMS() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.primary.kms
}

// Seal encrypts plaintext for record id of tenant tenantID under a fresh data
// key wrapped with the primary master key. The returned value has no
// timestamps; the store sets them.
func (r *Ring) Seal(tenantID, id string, plaintext []byte) (*junction.SealedValue, error) {
	r.followFile()

	dataKey := make([]byte, KeySize)
	_, _ = rand.Read(dataKey)
	defer clear(dataKey)
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("seal value %s: %w", id, err))
	}
	r.mu.RLock()
	pk := r.primary
	wrapped, err := wrap(pk, tenantID, id, dataKey)
	r.mu.RUnlock()
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("seal value %s: %w", id, err))
	}
	nonce := make([]byte, nonceSize)
	_, _ = rand.Read(nonce)
	return &junction.SealedValue{
		ID:         id,
		TenantID:   tenantID,
		KeyID:      pk.id,
		WrappedKey: wrapped,
		Nonce:      nonce,
		Ciphertext: aead.Seal(nil, nonce, plaintext, recordAAD(tenantID, id)),
	}, nil
}

// Open decrypts v. It returns an *junction.Error with code EINTERNAL whose
// cause is ErrUnknownKey or ErrInvalidSealed; the error names the record and
// key IDs and never any key or plaintext material.
func (r *Ring) Open(v *junction.SealedValue) ([]byte, error) {
	if v == nil {
		return nil, openError("", ErrInvalidSealed)
	}
	dataKey, err := r.unwrapDataKey(v)
	if errors.Is(err, ErrUnknownKey) {
		return nil, &junction.Error{
			Code:    junction.EINTERNAL,
			Message: fmt.Sprintf("sealed value %s is wrapped with master key %q, which is not loaded", v.ID, v.KeyID),
			Err:     ErrUnknownKey,
		}
	}
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	if len(v.Nonce) != nonceSize {
		return nil, openError(v.ID, ErrInvalidSealed)
	}
	aead, err := newGCM(dataKey)
	if err != nil {
		return nil, junction.Internal(err)
	}
	pt, err := aead.Open(nil, v.Nonce, v.Ciphertext, recordAAD(v.TenantID, v.ID))
	if err != nil {
		return nil, openError(v.ID, ErrInvalidSealed)
	}
	return pt, nil
}

func openError(id string, cause error) error {
	return &junction.Error{
		Code:    junction.EINTERNAL,
		Message: fmt.Sprintf("sealed value %s cannot be opened: it is damaged or belongs to another record", id),
		Err:     cause,
	}
}

// unwrapDataKey returns v's data key; the error's cause is ErrUnknownKey
// when v's master key is not loaded.
func (r *Ring) unwrapDataKey(v *junction.SealedValue) ([]byte, error) {
	if !r.lookup(v.KeyID) {
		return nil, fmt.Errorf("sealed value %s: master key %q: %w", v.ID, v.KeyID, ErrUnknownKey)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	k := r.keys[v.KeyID]
	if k == nil {
		// Retired from the key file between the lookup and now.
		return nil, fmt.Errorf("sealed value %s: master key %q: %w", v.ID, v.KeyID, ErrUnknownKey)
	}
	return unwrap(k, v)
}

// rewrap returns v's data key wrapped with pk, for rotation.
func (r *Ring) rewrap(v *junction.SealedValue, pk *masterKey) ([]byte, error) {
	dataKey, err := r.unwrapDataKey(v)
	if err != nil {
		return nil, err
	}
	defer clear(dataKey)
	r.mu.RLock()
	defer r.mu.RUnlock()
	return wrap(pk, v.TenantID, v.ID, dataKey)
}

// wrap and unwrap read k's key: the caller holds r.mu for reading.
func wrap(k *masterKey, tenantID, id string, dataKey []byte) ([]byte, error) {
	aead, err := k.aead()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+nonceSize, wrappedSize)
	out[0] = formatVersion
	_, _ = rand.Read(out[1:])
	return aead.Seal(out, out[1:1+nonceSize], dataKey, wrapAAD(k.id, tenantID, id)), nil
}

func unwrap(k *masterKey, v *junction.SealedValue) ([]byte, error) {
	w := v.WrappedKey
	if len(w) != wrappedSize || w[0] != formatVersion {
		return nil, openError(v.ID, ErrInvalidSealed)
	}
	aead, err := k.aead()
	if err != nil {
		return nil, junction.Internal(err)
	}
	dataKey, err := aead.Open(nil, w[1:1+nonceSize], w[1+nonceSize:], wrapAAD(k.id, v.TenantID, v.ID))
	if err != nil {
		return nil, openError(v.ID, ErrInvalidSealed)
	}
	return dataKey, nil
}

// recordAAD binds a ciphertext to its tenant and record, so a value copied
// onto another record, or into another tenant, fails to open.
func recordAAD(tenantID, id string) []byte {
	return appendFields([]byte(recordAADLabel), tenantID, id)
}

// wrapAAD binds a wrapped data key to its master key and record.
func wrapAAD(keyID, tenantID, id string) []byte {
	return appendFields([]byte(wrapAADLabel), keyID, tenantID, id)
}

// appendFields length-prefixes each field so that no two different field
// lists encode to the same bytes.
func appendFields(b []byte, fields ...string) []byte {
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// has reports whether the master key id is loaded.
func (r *Ring) has(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[id] != nil
}

// lookup reports whether master key id is loaded. A ring loaded from a key
// file re-reads the file once when the ID is unknown: another process may
// have rotated.
func (r *Ring) lookup(id string) bool {
	if r.has(id) {
		return true
	}
	if r.path == "" || id == "" {
		return false
	}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	if r.has(id) {
		return true // another caller re-read the file while this one waited
	}
	if err := r.reloadLocked(); err != nil {
		r.logger.Warn("re-reading the master key file failed", slog.String("path", r.path), slog.String("error", err.Error()))
		return false
	}
	return r.has(id)
}

// followFile re-reads the key file when it changed since it was last read,
// so that a server adopts a new primary key as soon as it is added instead of
// wrapping new values with a key that is being rotated away.
func (r *Ring) followFile() {
	if r.path == "" {
		return
	}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	fi, err := os.Stat(r.path)
	if err != nil {
		r.logger.Warn("master key file cannot be checked; keeping the loaded keys", slog.String("path", r.path), slog.String("error", err.Error()))
		return
	}
	if r.loaded != nil && os.SameFile(fi, r.loaded) && fi.ModTime().Equal(r.loaded.ModTime()) && fi.Size() == r.loaded.Size() {
		return
	}
	if err := r.reloadLocked(); err != nil {
		r.logger.Warn("master key file changed but cannot be read; keeping the loaded keys", slog.String("path", r.path), slog.String("error", err.Error()))
	}
}

// reloadLocked replaces the ring's keys with the key file's. The caller
// holds reloadMu.
func (r *Ring) reloadLocked() error {
	kf, fi, err := readKeyFile(r.path)
	if err != nil {
		return err
	}
	defer kf.clear()
	ctx, cancel := context.WithTimeout(context.Background(), kmsTimeout)
	defer cancel()
	r.mu.RLock()
	loaded := r.keys
	r.mu.RUnlock()
	pk, keys, err := kf.ringKeys(ctx, r.logger, r.kms, loaded)
	if err != nil {
		return err
	}
	r.mu.Lock()
	old := r.primary.id
	r.primary, r.keys = pk, keys
	destroyKeys(loaded, keys)
	r.mu.Unlock()
	r.loaded = fi
	if old != pk.id {
		r.logger.Info("master key file re-read: new primary key", slog.String("path", r.path),
			slog.String("key_id", pk.id), slog.String("previous_key_id", old))
	}
	return nil
}
