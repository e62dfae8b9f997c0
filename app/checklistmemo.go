package app

import (
	"crypto/sha256"
	"slices"
	"sync"

	"junction"
	"junction/importer"
)

// checklistMemo remembers the checklists of the drafts reviewed last, by
// their text and import notes: a review validates the whole draft, which
// for an import of hundreds of operations takes a good part of a second,
// and every page and API read of an unchanged draft asks for it again.
// The zero value is ready; it is safe for concurrent use.
type checklistMemo struct {
	mu    sync.Mutex
	items map[[sha256.Size]byte][]importer.ChecklistItem
}

// checklistMemoSize bounds the memo: past it, it starts over.
const checklistMemoSize = 64

func (m *checklistMemo) get(c *junction.CustomConnector, review func() []importer.ChecklistItem) []importer.ChecklistItem {
	h := sha256.New()
	h.Write([]byte(c.Draft))
	h.Write([]byte{0})
	h.Write([]byte(c.ImportNotes))
	key := [sha256.Size]byte(h.Sum(nil))
	m.mu.Lock()
	items, ok := m.items[key]
	m.mu.Unlock()
	if ok {
		return slices.Clone(items)
	}
	items = review()
	m.mu.Lock()
	if m.items == nil || len(m.items) >= checklistMemoSize {
		m.items = map[[sha256.Size]byte][]importer.ChecklistItem{}
	}
	m.items[key] = items
	m.mu.Unlock()
	return slices.Clone(items)
}
