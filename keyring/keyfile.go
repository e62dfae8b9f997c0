package keyring

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"junction"
)

// DefaultKeyFileName is the key file created in the data directory when no
// key is configured.
const DefaultKeyFileName = "master.key"

// maxKeyFileSize guards against reading something that is plainly not a key
// file (a log, a database) into memory.
const maxKeyFileSize = 1 << 20

// keyFile is the on-disk key file: readable JSON that can hold several keys,
// so a rotation can add a key without losing the ones still in use. A key is
// either held in the file ("key") or wrapped by a KMS key ("kms", the KMS
// key's URL, and "wrapped", what the KMS returned), in which case the file
// alone reveals nothing:
//
//	{"primary": "<id>", "keys": [{"id": "<id>", "key": "<base64>", "created_at": "<RFC 3339>"},
//	                             {"id": "<id>", "kms": "<URL>", "wrapped": "<base64>", "created_at": "<RFC 3339>"}]}
//
// A file holding only the base64 of one 32-byte key is also accepted, so an
// operator can create one with `openssl rand -base64 32`.
type keyFile struct {
	Primary string         `json:"primary"`
	Keys    []keyFileEntry `json:"keys"`
}

type keyFileEntry struct {
	ID        string    `json:"id"`
	Key       []byte    `json:"key,omitempty"` // base64 in JSON
	KMS       string    `json:"kms,omitempty"`
	Wrapped   []byte    `json:"wrapped,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func (kf *keyFile) clear() {
	for _, e := range kf.Keys {
		clear(e.Key)
	}
}

// ringKeys builds the ring's keys from a validated file. Keys already in
// loaded are kept as they are (an ID is derived from its key, so the same
// ID is the same key), so a re-read asks the KMS only about new keys. On
// error no key of loaded is touched.
func (kf *keyFile) ringKeys(ctx context.Context, logger *slog.Logger, kms *kmsKeys, loaded map[string]*masterKey) (*masterKey, map[string]*masterKey, error) {
	keys := make(map[string]*masterKey, len(kf.Keys))
	for _, e := range kf.Keys {
		if k := loaded[e.ID]; k != nil {
			keys[e.ID] = k
			continue
		}
		key := e.Key
		if e.KMS != "" {
			var err error
			if key, err = kms.unwrap(ctx, e); err != nil {
				destroyKeys(keys, loaded)
				return nil, nil, err
			}
		}
		k, err := newMasterKey(logger, key, e.KMS)
		if e.KMS != "" {
			clear(key)
		}
		if err != nil {
			destroyKeys(keys, loaded)
			return nil, nil, err
		}
		keys[e.ID] = k
	}
	return keys[kf.Primary], keys, nil
}

// readKeyFile reads and validates a key file. It refuses a file that users
// other than its owner may read or write.
func readKeyFile(path string) (*keyFile, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open master key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("stat master key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, junction.Errorf(junction.EINVALID, "master key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, nil, junction.Errorf(junction.EINVALID,
			"master key file %s is accessible to other users (mode %04o); restrict it with: chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read master key file %s: %w", path, err)
	}
	defer clear(b)
	if len(b) > maxKeyFileSize {
		return nil, nil, junction.Errorf(junction.EINVALID, "master key file %s is too large to be a key file", path)
	}
	kf, err := parseKeyFile(b)
	if err != nil {
		// The parse error never quotes the file: it holds keys.
		return nil, nil, junction.Errorf(junction.EINVALID, "master key file %s: %s", path, junction.ErrorMessage(err))
	}
	return kf, fi, nil
}

func parseKeyFile(b []byte) (*keyFile, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' {
		key, ok := decodeKey(string(b))
		if !ok {
			return nil, junction.Errorf(junction.EINVALID, "not a JSON key file nor the base64 encoding of %d bytes", KeySize)
		}
		return &keyFile{Primary: KeyID(key), Keys: []keyFileEntry{{ID: KeyID(key), Key: key}}}, nil
	}
	var kf keyFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&kf); err != nil {
		// json errors may quote input; say only where it went wrong.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, junction.Errorf(junction.EINVALID, "invalid JSON at byte %d", se.Offset)
		}
		return nil, junction.Errorf(junction.EINVALID, "invalid key file")
	}
	if len(kf.Keys) == 0 {
		return nil, junction.Errorf(junction.EINVALID, "holds no keys")
	}
	seen := map[string]bool{}
	for i, e := range kf.Keys {
		if e.KMS != "" || len(e.Wrapped) > 0 {
			if err := checkWrappedEntry(i, e); err != nil {
				return nil, err
			}
			if seen[e.ID] {
				return nil, junction.Errorf(junction.EINVALID, "key %q appears twice", e.ID)
			}
			seen[e.ID] = true
			continue
		}
		if len(e.Key) != KeySize {
			return nil, junction.Errorf(junction.EINVALID, "key %d is %d bytes, want %d", i, len(e.Key), KeySize)
		}
		id := KeyID(e.Key)
		if e.ID == "" {
			kf.Keys[i].ID = id
		} else if e.ID != id {
			return nil, junction.Errorf(junction.EINVALID, "key %d: id %q does not match the key (damaged file?)", i, e.ID)
		}
		if seen[id] {
			return nil, junction.Errorf(junction.EINVALID, "key %q appears twice", id)
		}
		seen[id] = true
	}
	if kf.Primary == "" && len(kf.Keys) == 1 {
		kf.Primary = kf.Keys[0].ID
	}
	if !seen[kf.Primary] {
		return nil, junction.Errorf(junction.EINVALID, "primary key %q is not among the keys", kf.Primary)
	}
	return &kf, nil
}

// checkWrappedEntry validates what can be checked of a KMS-wrapped entry
// without the KMS; its ID is checked once unwrapped.
func checkWrappedEntry(i int, e keyFileEntry) error {
	switch {
	case len(e.Key) > 0:
		return junction.Errorf(junction.EINVALID, "key %d has both a key and a KMS-wrapped key", i)
	case e.KMS == "" || len(e.Wrapped) == 0:
		return junction.Errorf(junction.EINVALID, "key %d is KMS-wrapped but lacks kms or wrapped", i)
	case len(e.ID) != 16:
		return junction.Errorf(junction.EINVALID, "key %d: a KMS-wrapped key needs its 16-digit id", i)
	}
	if _, err := hex.DecodeString(e.ID); err != nil {
		return junction.Errorf(junction.EINVALID, "key %d: id %q is not hexadecimal", i, e.ID)
	}
	u, err := url.Parse(e.KMS)
	if err != nil || u.Scheme == "" || u.User != nil {
		return junction.Errorf(junction.EINVALID, "key %d: kms is not a KMS key URL", i)
	}
	return nil
}

// writeKeyFile replaces path atomically, so that a server re-reading the
// file sees either the old or the new content, never a partial one.
func writeKeyFile(path string, kf *keyFile) error {
	tmp, err := writeTemp(path, kf)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("replace master key file %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// createKeyFile writes kf to path only if path does not exist yet. It
// reports false when another process created the file first.
func createKeyFile(path string, kf *keyFile) (bool, error) {
	tmp, err := writeTemp(path, kf)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	// A hard link publishes the complete file atomically and fails if the
	// name is taken, unlike rename which would replace a concurrent
	// creator's key.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("create master key file %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return true, nil
}

func writeTemp(path string, kf *keyFile) (string, error) {
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return "", junction.Internal(err)
	}
	defer clear(b)
	b = append(b, '\n')
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("write master key file %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("write master key file %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(b); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write master key file %s: %w", path, err)
	}
	return tmp, nil
}

// syncDir makes a rename or link durable; failure only weakens durability
// across a crash, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// newKeyEntry generates a master key for a key file: wrapped by the
// configured KMS key, or held in the file when none is configured.
func newKeyEntry(ctx context.Context, kms *kmsKeys, now time.Time) (keyFileEntry, error) {
	if kms != nil && kms.configured != "" {
		return kms.wrapNew(ctx, now)
	}
	key := GenerateKey()
	return keyFileEntry{ID: KeyID(key), Key: key, CreatedAt: now.UTC()}, nil
}

// AddKeyToFile generates a new master key, makes it the primary key of the
// key file at path and keeps the older keys for opening. It returns the new
// key's ID. Follow it with Rotate (or use RotateMasterKey, which does both).
// It must not run concurrently with itself or RetireKeys on the same file.
func AddKeyToFile(path string) (string, error) {
	return addKeyToFile(context.Background(), path, nil)
}

// addKeyToFile is AddKeyToFile with the new key wrapped by kms's configured
// KMS key, if any.
func addKeyToFile(ctx context.Context, path string, kms *kmsKeys) (string, error) {
	kf, _, err := readKeyFile(path)
	if err != nil {
		return "", err
	}
	defer kf.clear()
	e, err := newKeyEntry(ctx, kms, time.Now())
	if err != nil {
		return "", err
	}
	kf.Keys = append(kf.Keys, e)
	kf.Primary = e.ID
	if err := writeKeyFile(path, kf); err != nil {
		return "", err
	}
	return e.ID, nil
}

// RetireKeys removes every key but the primary from the key file at path,
// provided store holds no value wrapped with any other key (run Rotate
// first). It returns the IDs removed. With values still on older keys it
// returns ECONFLICT and leaves the file alone.
func RetireKeys(ctx context.Context, store junction.SealedStore, path string) ([]string, error) {
	kf, _, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	defer kf.clear()
	left, err := store.ListSealedNotWrappedWith(ctx, kf.Primary, 1)
	if err != nil {
		return nil, fmt.Errorf("check for values on older master keys: %w", err)
	}
	if len(left) > 0 {
		return nil, junction.Errorf(junction.ECONFLICT,
			"sealed values are still wrapped with older master keys (for example %s with key %q); run the rotation again first",
			left[0].ID, left[0].KeyID)
	}
	var keep []keyFileEntry
	var retired []string
	for _, e := range kf.Keys {
		if e.ID == kf.Primary {
			keep = append(keep, e)
		} else {
			retired = append(retired, e.ID)
		}
	}
	if len(retired) == 0 {
		return nil, nil
	}
	kf.Keys = keep
	if err := writeKeyFile(path, kf); err != nil {
		return nil, err
	}
	return retired, nil
}

// decodeKey accepts standard or URL-safe base64, padded or not.
func decodeKey(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) == KeySize {
				return b, true
			}
			clear(b)
		}
	}
	return nil, false
}
