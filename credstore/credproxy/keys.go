package credproxy

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"junction"
)

// MinKeyLen is the shortest shared key the proxy accepts.
const MinKeyLen = 32

// MaxKeys is how many shared keys the proxy accepts at once: enough for a
// rotation (the old key and the new) with room to spare, and a fixed
// bound so that checking a caller's key always costs the same.
const MaxKeys = 16

// ParseKeys reads a key file: one shared key per line; blank lines and
// lines starting with "#" are ignored, surrounding spaces dropped. Every
// key must be at least MinKeyLen characters. Errors name the line, never
// its content. An empty result with a nil error means the file holds no
// key.
func ParseKeys(text string) ([]junction.Secret, error) {
	var keys []junction.Secret
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < MinKeyLen {
			return nil, fmt.Errorf("line %d: a shared key must be at least %d characters", i+1, MinKeyLen)
		}
		keys = append(keys, junction.NewSecret(line))
	}
	if len(keys) > MaxKeys {
		return nil, fmt.Errorf("%d shared keys: at most %d are accepted at once", len(keys), MaxKeys)
	}
	return keys, nil
}

// keySet holds the digests of the accepted keys in MaxKeys slots, the
// unused ones filled with random digests no key hashes to, so that a check
// compares every slot whatever the number of keys.
type keySet struct {
	sums [MaxKeys][sha256.Size]byte
	any  bool
}

func newKeySet(keys []junction.Secret) (*keySet, error) {
	if len(keys) > MaxKeys {
		return nil, fmt.Errorf("credentials proxy: %d shared keys, at most %d", len(keys), MaxKeys)
	}
	ks := &keySet{}
	for i := range ks.sums {
		if i < len(keys) {
			if keys[i].IsZero() {
				return nil, errors.New("credentials proxy: an empty shared key")
			}
			ks.sums[i], ks.any = sha256.Sum256([]byte(keys[i].Reveal())), true
			continue
		}
		if _, err := rand.Read(ks.sums[i][:]); err != nil {
			return nil, fmt.Errorf("credentials proxy: %w", err)
		}
	}
	return ks, nil
}

// accepts reports whether given is one of the keys. Both sides are hashed,
// so each comparison takes the same time whatever the lengths, and every
// slot is compared, so the time says neither which key matched nor how
// many there are.
func (ks *keySet) accepts(given string) bool {
	sum := sha256.Sum256([]byte(given))
	match := 0
	for i := range ks.sums {
		match |= subtle.ConstantTimeCompare(sum[:], ks.sums[i][:])
	}
	return match == 1
}
