package secretcache

// EntryBytes returns a copy of what the cache holds in memory for key: the
// stored ciphertext. Tests check it never contains the plaintext.
func (c *Cache) EntryBytes(key string) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), e.sealed...), true
}

// Len returns the number of entries held, fresh or expired.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
