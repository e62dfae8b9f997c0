package sqldb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"junction"
)

// ensureSchema creates the PostgreSQL schema that search_path names first
// when it does not exist yet, so that the first start on a fresh database
// with ?search_path=junction needs no manual step. When the role may not
// create it, the error says the one statement to run.
func (db *DB) ensureSchema(ctx context.Context) error {
	var current *string
	if err := db.write.QueryRowContext(ctx, "SELECT current_schema()").Scan(&current); err != nil {
		return internal("read current schema", err)
	}
	if current != nil {
		return nil
	}
	var path string
	if err := db.write.QueryRowContext(ctx, "SHOW search_path").Scan(&path); err != nil {
		return internal("read search_path", err)
	}
	name := firstSchema(path)
	if name == "" {
		return &junction.Error{Code: junction.EINVALID, Field: "database",
			Message: fmt.Sprintf("the PostgreSQL search_path (%s) names no schema to create", path)}
	}
	quoted := pgx.Identifier{name}.Sanitize()
	_, err := db.write.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoted)
	var pe *pgconn.PgError
	// Two servers starting together may both create it; the loser's
	// unique violation means the schema is there.
	if err != nil && !(errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P06")) {
		return &junction.Error{Code: junction.EINVALID, Field: "database", Err: err,
			Message: fmt.Sprintf("the PostgreSQL schema %s named in search_path does not exist and could not be created (%v); "+
				"create it with: CREATE SCHEMA %s", quoted, errMessage(err), quoted)}
	}
	db.logger.Info("created the PostgreSQL schema named in search_path", "schema", name)
	return nil
}

// firstSchema returns the first schema of a search_path setting as
// PostgreSQL shows it ("$user", public or "My Schema", other), unquoted,
// skipping "$user", which names a schema only when one matches the role.
func firstSchema(path string) string {
	for part := range strings.SplitSeq(path, ",") {
		part = strings.TrimSpace(part)
		if part == "" || part == `"$user"` || part == "$user" {
			continue
		}
		if strings.HasPrefix(part, `"`) && strings.HasSuffix(part, `"`) && len(part) >= 2 {
			return strings.ReplaceAll(part[1:len(part)-1], `""`, `"`)
		}
		return strings.ToLower(part)
	}
	return ""
}

func errMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
