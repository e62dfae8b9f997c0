package keyring

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"junction"
)

// kmsTimeout bounds each call to a KMS: a start or a rotation waiting on an
// unreachable KMS should fail and say so, not hang.
const kmsTimeout = 30 * time.Second

// KeyWrapper wraps and unwraps master keys with a key that never leaves a
// key management service. Implementations are safe for concurrent use and
// return errors that carry a junction error code (EPERMISSIONDENIED when
// the KMS refuses, EUNAVAILABLE when it cannot be reached, EINVALID when the
// wrapped key is not one of its own) and never contain key material.
type KeyWrapper interface {
	// Wrap encrypts a master key with the KMS key.
	Wrap(ctx context.Context, key []byte) ([]byte, error)
	// Unwrap decrypts what Wrap returned. The caller clears the result.
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

// OpenKMSFunc returns the KeyWrapper of the KMS key named by a URL such as
// hashivault://junction?address=https://vault:8200. It is called once per
// URL and ring.
type OpenKMSFunc func(ctx context.Context, keyURL string) (KeyWrapper, error)

// kmsKeys opens and remembers the wrappers of the KMS keys a key file
// names. configured is the KMS key new master keys are wrapped with, ""
// when they are held in the file.
type kmsKeys struct {
	configured string
	open       OpenKMSFunc

	mu       sync.Mutex
	wrappers map[string]KeyWrapper // by KMS key name
}

func newKMSKeys(configured string, open OpenKMSFunc) *kmsKeys {
	return &kmsKeys{configured: configured, open: open, wrappers: map[string]KeyWrapper{}}
}

// kmsKeyName is what identifies a KMS key in its URL: scheme, host and
// path. The query only says how to reach it (address, region, endpoint).
func kmsKeyName(keyURL string) string {
	u, err := url.Parse(keyURL)
	if err != nil {
		return keyURL
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// sameKMSKey reports whether two KMS URLs name the same key, however they
// say how to reach it.
func sameKMSKey(a, b string) bool { return a != "" && b != "" && kmsKeyName(a) == kmsKeyName(b) }

// wrapper returns the wrapper for the KMS key at keyURL. A key file entry
// naming the configured KMS key is reached the way the configuration says
// (its address or region may have changed since the entry was written).
func (k *kmsKeys) wrapper(ctx context.Context, keyURL string) (KeyWrapper, error) {
	if k == nil || k.open == nil {
		return nil, junction.Errorf(junction.EINVALID,
			"the master key file holds keys wrapped by the KMS key %s, but this program was given no way to reach a KMS", kmsKeyName(keyURL))
	}
	if sameKMSKey(keyURL, k.configured) {
		keyURL = k.configured
	}
	name := kmsKeyName(keyURL)
	k.mu.Lock()
	defer k.mu.Unlock()
	if w := k.wrappers[name]; w != nil {
		return w, nil
	}
	w, err := k.open(ctx, keyURL)
	if err != nil {
		return nil, err
	}
	k.wrappers[name] = w
	return w, nil
}

// unwrap returns the master key of a wrapped key file entry, checked
// against the entry's ID. The caller copies it into locked memory and
// clears it; what the vendor's client decoded it from (a response body, a
// base64 string) is garbage the keyring cannot reach, and is collected.
func (k *kmsKeys) unwrap(ctx context.Context, e keyFileEntry) ([]byte, error) {
	w, err := k.wrapper(ctx, e.KMS)
	if err != nil {
		return nil, kmsError(err, "master key %q: open KMS key %s", e.ID, kmsKeyName(e.KMS))
	}
	ctx, cancel := context.WithTimeout(ctx, kmsTimeout)
	defer cancel()
	key, err := w.Unwrap(ctx, e.Wrapped)
	if err != nil {
		return nil, kmsError(err, "master key %q: KMS key %s did not unwrap it", e.ID, kmsKeyName(e.KMS))
	}
	if len(key) != KeySize || KeyID(key) != e.ID {
		clear(key)
		return nil, junction.Errorf(junction.EINVALID,
			"master key %q: what KMS key %s unwrapped is not that key (the key file entry is damaged)", e.ID, kmsKeyName(e.KMS))
	}
	return key, nil
}

// wrapNew generates a master key and wraps it with the configured KMS key,
// for a new key file entry.
func (k *kmsKeys) wrapNew(ctx context.Context, now time.Time) (keyFileEntry, error) {
	w, err := k.wrapper(ctx, k.configured)
	if err != nil {
		return keyFileEntry{}, kmsError(err, "open KMS key %s", kmsKeyName(k.configured))
	}
	key := GenerateKey()
	defer clear(key)
	ctx, cancel := context.WithTimeout(ctx, kmsTimeout)
	defer cancel()
	wrapped, err := w.Wrap(ctx, key)
	if err != nil {
		return keyFileEntry{}, kmsError(err, "KMS key %s did not wrap a new master key", kmsKeyName(k.configured))
	}
	return keyFileEntry{ID: KeyID(key), KMS: k.configured, Wrapped: wrapped, CreatedAt: now.UTC()}, nil
}

// kmsError puts what the keyring was doing before the KMS's own account,
// keeping the KMS error's code (permission_denied, unavailable, ...).
func kmsError(err error, format string, args ...any) error {
	code := junction.ErrorCode(err)
	if code == "" || code == junction.EINTERNAL {
		code = junction.EUNAVAILABLE
	}
	return &junction.Error{Code: code, Message: fmt.Sprintf(format, args...) + ": " + junction.ErrorMessage(err), Err: err}
}
