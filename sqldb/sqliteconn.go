package sqldb

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"

	"modernc.org/sqlite"
)

// maxConnStmts bounds the statements each SQLite connection keeps. The
// job queue's queries are fixed strings, a few dozen, except batch inserts
// and updates, whose text grows with the batch: those must not grow the
// cache without end.
const maxConnStmts = 128

// stmtConnector opens SQLite connections that keep every statement they
// prepare, keyed by its text, and run it again on the next query with the
// same text. The SQLite driver otherwise parses and plans a query given as
// text (rather than through a prepared *sql.Stmt) anew on every call, and
// the job queue's driver gives all its queries as text: in a profile of
// the webhook path, parsing took about 40 % of the server's CPU, most of
// it inside transactions on the one writer connection, where every other
// writer waits. The Store's own statement cache (stmtCache) remains: it
// saves the prepare round trip too, and works the same on PostgreSQL.
type stmtConnector struct {
	dsn string
	drv *sqlite.Driver
}

func newStmtConnector(dsn string) stmtConnector {
	return stmtConnector{dsn: dsn, drv: &sqlite.Driver{}}
}

func (c stmtConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("sqldb: the SQLite driver's connection lacks a method this package uses")
	}
	return &stmtConn{sqliteConn: inner, stmts: make(map[string]*list.Element)}, nil
}

func (c stmtConnector) Driver() driver.Driver { return c.drv }

// sqliteConn is what the SQLite driver's connection implements and
// database/sql uses.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtConn is a connection keeping its statements. database/sql never uses
// a connection from two goroutines at once (rows are closed under the same
// lock), so it needs no lock of its own.
type stmtConn struct {
	sqliteConn
	stmts map[string]*list.Element // of *connStmt, most recently used first in lru
	lru   list.List
}

type connStmt struct {
	query string
	stmt  driver.Stmt
	// busy is set while rows of the statement are open: a query with the
	// same text meanwhile (inside a loop over the rows) runs unprepared,
	// since running the statement again would reset those rows.
	busy    bool
	evicted bool // close when no longer busy
}

type connStmtRunner interface {
	driver.StmtExecContext
	driver.StmtQueryContext
}

// stmt returns the statement of query, preparing it on a miss, or nil when
// its statement is busy.
func (c *stmtConn) stmt(ctx context.Context, query string) (*connStmt, error) {
	if e, ok := c.stmts[query]; ok {
		s := e.Value.(*connStmt)
		if s.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return s, nil
	}
	st, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if _, ok := st.(connStmtRunner); !ok {
		_ = st.Close()
		return nil, nil
	}
	s := &connStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(s)
	if c.lru.Len() > maxConnStmts {
		c.evict(c.lru.Back())
	}
	return s, nil
}

func (c *stmtConn) evict(e *list.Element) {
	s := c.lru.Remove(e).(*connStmt)
	delete(c.stmts, s.query)
	s.evicted = true
	if !s.busy {
		_ = s.stmt.Close()
	}
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	s.busy = true
	res, err := s.stmt.(connStmtRunner).ExecContext(ctx, args)
	c.release(s)
	return res, err
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	s.busy = true
	rows, err := s.stmt.(connStmtRunner).QueryContext(ctx, args)
	if err != nil {
		c.release(s)
		return nil, err
	}
	return &stmtRows{Rows: rows, release: func() { c.release(s) }}, nil
}

func (c *stmtConn) release(s *connStmt) {
	s.busy = false
	if s.evicted {
		_ = s.stmt.Close()
	}
}

// Close finalizes the statements before the connection.
func (c *stmtConn) Close() error {
	for c.lru.Len() > 0 {
		c.evict(c.lru.Back())
	}
	return c.sqliteConn.Close()
}

// stmtRows frees its statement for the next query when closed. The column
// type methods are passed on for sql.Rows.ColumnTypes.
type stmtRows struct {
	driver.Rows
	release func()
}

func (r *stmtRows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}

func (r *stmtRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *stmtRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *stmtRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *stmtRows) ColumnTypeLength(i int) (length int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *stmtRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

var (
	_ driver.Connector                      = stmtConnector{}
	_ sqliteConn                            = (*stmtConn)(nil)
	_ driver.RowsColumnTypeDatabaseTypeName = (*stmtRows)(nil)
)
