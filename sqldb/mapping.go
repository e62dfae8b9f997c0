package sqldb

// What every table file shares: converting Go values to columns and back,
// turning driver errors into *junction.Error, and building filtered, paged
// queries. Both dialects accept $1-style placeholders (modernc's SQLite binds
// $N to the Nth argument), so queries are written once.

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"junction"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// Times are stored as Unix microseconds, UTC.

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// storedTime is t as it will read back: UTC, whole microseconds.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// stamp returns t as stored, or now when t is zero.
func stamp(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return storedTime(t)
}

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return toMicros(*t)
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// nullString stores "" as NULL, for optional references that foreign keys
// check.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func fromNullString(v sql.NullString) string { return v.String }

// storableText is s as both dialects can keep it: PostgreSQL refuses a NUL
// or invalid UTF-8 in text, and a record whose text came from a caller or
// an upstream API must not be lost to what was in it. A NUL is written as
// the six characters \u0000 and invalid bytes as U+FFFD, on SQLite too, so
// the two databases read back alike.
func storableText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", `\u0000`), "\uFFFD")
}

func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func decodeJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

// internal wraps an unexpected failure of one operation.
func internal(op string, err error) error {
	var je *junction.Error
	if errors.As(err, &je) && je.Code != junction.EINTERNAL {
		return err
	}
	return junction.Internal(fmt.Errorf("%s: %w", op, err))
}

// notFoundOr returns NotFound(kind) for sql.ErrNoRows and internal(op, err)
// for anything else.
func notFoundOr(kind, op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return junction.NotFound(kind)
	}
	return internal(op, err)
}

// conflict returns an ECONFLICT error with a message for a person.
func conflict(format string, args ...any) *junction.Error {
	return junction.Errorf(junction.ECONFLICT, format, args...)
}

type violation int

const (
	noViolation violation = iota
	uniqueViolation
	primaryKeyViolation
	foreignKeyViolation
)

// classify tells which constraint, if any, err reports breaking.
// Conflict reports whether err is PostgreSQL giving up a transaction for
// another one's sake (a deadlock between them, or a serialization failure):
// nothing is wrong with it, and run again from the start it can commit.
// Transactions writing the same rows in different orders meet this under
// load from several servers. SQLite, with one writer, never does.
func Conflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

func classify(err error) violation {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return primaryKeyViolation
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return uniqueViolation
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return foreignKeyViolation
		case sqlite3.SQLITE_CONSTRAINT_TRIGGER:
			// An ON DELETE RESTRICT action reports itself as a trigger.
			if strings.Contains(se.Error(), "FOREIGN KEY") {
				return foreignKeyViolation
			}
		}
		return noViolation
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			if strings.HasSuffix(pe.ConstraintName, "_pkey") {
				return primaryKeyViolation
			}
			return uniqueViolation
		case "23503":
			return foreignKeyViolation
		}
	}
	return noViolation
}

// writeErr maps the error of an INSERT or UPDATE: a unique clash becomes
// ECONFLICT with the message given, a clash on the ID says so, a broken
// reference becomes refErr (when set), anything else is internal.
func writeErr(op, kind string, err error, uniqueMsg string, refErr error) error {
	switch classify(err) {
	case uniqueViolation:
		return &junction.Error{Code: junction.ECONFLICT, Message: uniqueMsg, Err: err}
	case primaryKeyViolation:
		return &junction.Error{Code: junction.ECONFLICT, Message: "a " + kind + " with this ID already exists", Err: err}
	case foreignKeyViolation:
		if refErr != nil {
			return refErr
		}
	}
	return internal(op, err)
}

// affected returns NotFound(kind) when res changed no row.
func affected(res sql.Result, kind, op string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return internal(op, err)
	}
	if n == 0 {
		return junction.NotFound(kind)
	}
	return nil
}

// conds collects WHERE conditions and their arguments, numbering
// placeholders as they are added.
type conds struct {
	where []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (c *conds) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// argList adds each value and returns the placeholders joined by commas.
func (c *conds) argList(vs []string) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = c.arg(v)
	}
	return strings.Join(ps, ", ")
}

func (c *conds) add(cond string) { c.where = append(c.where, cond) }

// in adds "column IN (ids)" for a filter's ID list: nil matches any value,
// a non-nil empty list matches none, so an empty "visible folders" list
// never widens to everything.
func (c *conds) in(column string, ids []string) {
	if ids == nil {
		return
	}
	if len(ids) == 0 {
		c.add("1 = 0")
		return
	}
	c.add(column + " IN (" + c.argList(ids) + ")")
}

// contains adds a case-insensitive substring match of s on any of columns.
func (c *conds) contains(s string, columns ...string) {
	c.add("(" + c.containsAny(c.containsArg(s), columns...) + ")")
}

// containsArg adds the LIKE pattern matching s anywhere, its wildcards
// escaped, and returns its placeholder.
func (c *conds) containsArg(s string) string {
	return c.arg("%" + escapeLike(strings.ToLower(s)) + "%")
}

// containsAny is the condition that any of columns matches the pattern
// behind placeholder p, case-insensitively.
func (c *conds) containsAny(p string, columns ...string) string {
	ors := make([]string, len(columns))
	for i, col := range columns {
		ors[i] = "lower(" + col + ") LIKE " + p + ` ESCAPE '\'`
	}
	return strings.Join(ors, " OR ")
}

// order is the direction a list runs in by ID. IDs from junction.NewID
// grow with time, so ascending is oldest first.
type order bool

const (
	oldestFirst order = false
	newestFirst order = true
)

// page adds the cursor condition on column id and returns the ORDER BY and
// LIMIT clause ending the query, for a list in creation order.
func (c *conds) page(p junction.Page, id string) string { return c.pageBy(p, id, oldestFirst) }

// pageBy is page in either direction. The cursor is the last ID of the
// previous page, so the next page holds the IDs beyond it in the list's
// direction: greater oldest first, smaller newest first.
func (c *conds) pageBy(p junction.Page, id string, o order) string {
	p = p.Normalize()
	beyond, dir := " > ", ""
	if o == newestFirst {
		beyond, dir = " < ", " DESC"
	}
	if p.After != "" {
		c.add(id + beyond + c.arg(p.After))
	}
	return " ORDER BY " + id + dir + " LIMIT " + c.arg(p.Limit)
}

// clause returns " WHERE a AND b ...", or "" without conditions.
func (c *conds) clause() string {
	if len(c.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.where, " AND ")
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// collect scans every row with scan.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// newID fills an empty ID.
func newID(id *string) {
	if *id == "" {
		*id = junction.NewID()
	}
}

// quote writes a name the way messages show it: "Shared".
func quote(s string) string { return strconv.Quote(s) }

// errOr returns notFound in place of sql.ErrNoRows, and err otherwise, for
// lookups whose missing row has a more precise error than NotFound(kind).
func errOr(err error, notFound error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return err
}

// plural writes "1 thing is" or "3 things are", given both forms after the
// count.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// joinedRow lets the scan function of each table in a join read its own
// columns of the current row: Scan fills the columns from offset on and
// skips the others. A row of *sql.Rows may be scanned more than once.
type joinedRow struct {
	rows    *sql.Rows
	offset  int
	columns int // in the whole row
}

func (j joinedRow) Scan(dest ...any) error {
	all := make([]any, j.columns)
	for i := range all {
		all[i] = skipColumn{}
	}
	copy(all[j.offset:], dest)
	return j.rows.Scan(all...)
}

// skipColumn is a scan destination that ignores its column.
type skipColumn struct{}

func (skipColumn) Scan(any) error { return nil }

// columnCount is the number of columns in a comma-separated list.
func columnCount(columns string) int { return strings.Count(columns, ",") + 1 }

// prefixed qualifies each column of a column list with prefix.
func prefixed(prefix, columns string) string {
	cs := strings.Split(columns, ", ")
	for i, c := range cs {
		cs[i] = prefix + c
	}
	return strings.Join(cs, ", ")
}
