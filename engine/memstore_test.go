package engine_test

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"junction"
)

// memConnections stands in for the connection and execution tables until
// the SQL store has them. It wraps a real Store (sealed values, assets,
// credential stores and transactions are real); several wrappers sharing one
// memData act as several servers on one database.
type memData struct {
	mu     sync.Mutex
	conns  map[string]*junction.Connection
	states map[string]*junction.OAuthState
	execs  []*junction.Execution
	events []*junction.Event
}

func newMemData() *memData {
	return &memData{conns: map[string]*junction.Connection{}, states: map[string]*junction.OAuthState{}}
}

type memStore struct {
	junction.Store
	d *memData
}

func (m *memStore) InTx(ctx context.Context, fn func(tx junction.Store) error) error {
	return m.Store.InTx(ctx, func(tx junction.Store) error { return fn(&memStore{Store: tx, d: m.d}) })
}

func (m *memStore) CreateConnection(_ context.Context, c *junction.Connection) error {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	if c.ID == "" {
		c.ID = junction.NewID()
	}
	cp := *c
	m.d.conns[c.ID] = &cp
	return nil
}

func (m *memStore) GetConnection(_ context.Context, tenantID, id string) (*junction.Connection, error) {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	c, ok := m.d.conns[id]
	if !ok || c.TenantID != tenantID {
		return nil, junction.NotFound("connection")
	}
	cp := *c
	return &cp, nil
}

func (m *memStore) ListConnections(context.Context, string, junction.ConnectionFilter) ([]*junction.Connection, error) {
	return nil, nil
}

func (m *memStore) UpdateConnection(_ context.Context, c *junction.Connection) error {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	if _, ok := m.d.conns[c.ID]; !ok {
		return junction.NotFound("connection")
	}
	cp := *c
	m.d.conns[c.ID] = &cp
	return nil
}

func (m *memStore) DeleteConnection(_ context.Context, _, id string) error {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	delete(m.d.conns, id)
	return nil
}

func (m *memStore) RecordAuthResult(_ context.Context, tenantID, id string, ok bool) (int, error) {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	c, found := m.d.conns[id]
	if !found {
		return 0, junction.NotFound("connection")
	}
	if ok {
		c.AuthFailures = 0
	} else {
		c.AuthFailures++
	}
	return c.AuthFailures, nil
}

// LockConnection relies on the wrapped SQLite store's single writer, which
// serialises transactions across handles already.
func (m *memStore) LockConnection(ctx context.Context, tenantID, id string) (*junction.Connection, error) {
	return m.GetConnection(ctx, tenantID, id)
}

func (m *memStore) CreateOAuthState(_ context.Context, s *junction.OAuthState) error {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	cp := *s
	m.d.states[hex.EncodeToString(s.StateHash)] = &cp
	return nil
}

func (m *memStore) TakeOAuthState(_ context.Context, hash []byte, now time.Time) (*junction.OAuthState, error) {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	k := hex.EncodeToString(hash)
	s, ok := m.d.states[k]
	if !ok || !now.Before(s.ExpiresAt) {
		return nil, junction.NotFound("oauth state")
	}
	delete(m.d.states, k)
	return s, nil
}

func (m *memStore) AppendExecution(_ context.Context, e *junction.Execution) error {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	cp := *e
	m.d.execs = append(m.d.execs, &cp)
	return nil
}

func (m *memStore) ListExecutions(_ context.Context, tenantID string, _ junction.ExecutionFilter) ([]*junction.Execution, error) {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	var out []*junction.Execution
	for _, e := range m.d.execs {
		if e.TenantID == tenantID {
			cp := *e
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (m *memStore) AppendEvent(_ context.Context, e *junction.Event) error {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	cp := *e
	m.d.events = append(m.d.events, &cp)
	return nil
}

func (m *memStore) ListEvents(_ context.Context, tenantID string, _ junction.Page) ([]*junction.Event, error) {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	var out []*junction.Event
	for _, e := range m.d.events {
		if e.TenantID == tenantID {
			cp := *e
			out = append(out, &cp)
		}
	}
	return out, nil
}
