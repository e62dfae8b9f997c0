package app

import (
	"crypto/sha256"
	"sync"
)

// textMemo remembers what was worked out from a draft's text, by a hash of
// that text: a review validates the whole draft and the REST view decodes
// its YAML, which for an import of hundreds of operations take a good
// part of a second between them, and every page and API read of an
// unchanged draft asks for both again. The zero value is ready; it is
// safe for concurrent use. Values are shared: callers copy what they hand
// out.
type textMemo[V any] struct {
	mu    sync.Mutex
	items map[[sha256.Size]byte]V
}

// textMemoSize bounds a memo: past it, it starts over. Drafts are a few
// hundred kilobytes at most, so a full memo holds some tens of megabytes.
const textMemoSize = 32

// textKey hashes texts into a memo key; each text is ended with a NUL so
// that ("ab", "c") and ("a", "bc") differ.
func textKey(texts ...string) [sha256.Size]byte {
	h := sha256.New()
	for _, t := range texts {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	return [sha256.Size]byte(h.Sum(nil))
}

func (m *textMemo[V]) get(key [sha256.Size]byte, work func() V) V {
	m.mu.Lock()
	v, ok := m.items[key]
	m.mu.Unlock()
	if ok {
		return v
	}
	v = work()
	m.mu.Lock()
	if m.items == nil || len(m.items) >= textMemoSize {
		m.items = map[[sha256.Size]byte]V{}
	}
	m.items[key] = v
	m.mu.Unlock()
	return v
}
