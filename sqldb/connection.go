package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"junction"
)

const connectionColumns = "id, tenant_id, folder_id, connector, name, auth_type, fields, is_default, status, status_reason, " +
	"poll_interval_minutes, proxy_url, secrets_sealed_id, token_sealed_id, auth_failures, created_by, created_at, updated_at, " +
	"connector_version, debug_until"

func scanConnection(s scanner) (*junction.Connection, error) {
	var c junction.Connection
	var fields, status string
	var secrets, token sql.NullString
	var created, updated int64
	var debugUntil sql.NullInt64
	if err := s.Scan(&c.ID, &c.TenantID, &c.FolderID, &c.Connector, &c.Name, &c.AuthType, &fields, &c.IsDefault,
		&status, &c.StatusReason, &c.PollIntervalMinutes, &c.ProxyURL, &secrets, &token, &c.AuthFailures,
		&c.CreatedBy, &created, &updated, &c.ConnectorVersion, &debugUntil); err != nil {
		return nil, err
	}
	c.DebugUntil = fromNullMicros(debugUntil)
	c.Fields = map[string]junction.FieldValue{}
	if err := decodeJSON(fields, &c.Fields); err != nil {
		return nil, err
	}
	c.Status = junction.ConnectionStatus(status)
	c.SecretsSealedID, c.TokenSealedID = fromNullString(secrets), fromNullString(token)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

func encodeFields(c *junction.Connection) (string, error) {
	if c.Fields == nil {
		return "{}", nil
	}
	return encodeJSON(c.Fields)
}

// connectionWriteErr maps the error of an INSERT or UPDATE of c. The default
// flag is cleared on the others before it is set, so its index only fires
// when another server made a different connection the default at the same
// moment.
func connectionWriteErr(op string, c *junction.Connection, err error) error {
	if classify(err) == uniqueViolation {
		msg := err.Error()
		if strings.Contains(msg, "connections_default") || strings.Contains(msg, "connections.connector") {
			return &junction.Error{Code: junction.ECONFLICT, Field: "is_default", Err: err,
				Message: "another connection of this connector became the folder's default at the same time; try again"}
		}
	}
	return writeErr(op, "connection", err,
		"a connection named "+quote(c.Name)+" already exists in this folder",
		&junction.Error{Code: junction.ENOTFOUND, Field: "folder_id", Message: "folder not found"})
}

// clearDefault takes the default flag off the connections of a folder that
// share a connector with the connection id (other than id itself), before
// id takes it. connector is the connector to match, or "" to match the one
// stored for id. On PostgreSQL the folder row is locked first (FOR NO KEY
// UPDATE, which foreign key checks do not wait for), so two servers making
// different connections the default take turns and the later one wins
// instead of failing on the unique index. SQLite's one writer takes turns
// already.
func (h *handle) clearDefault(ctx context.Context, tenantID, folderID, id, connector string) error {
	if h.db.dialect == DialectPostgres {
		var one int
		err := h.writer().QueryRowContext(ctx,
			"SELECT 1 FROM folders WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE", tenantID, folderID).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return internal("lock folder for default connection", err)
		}
	}
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	c.add("folder_id = " + c.arg(folderID))
	c.add("id <> " + c.arg(id))
	c.add("is_default")
	if connector != "" {
		c.add("connector = " + c.arg(connector))
	} else {
		c.add("connector = (SELECT s.connector FROM connections s WHERE s.tenant_id = $1 AND s.id = $3)")
	}
	if _, err := h.writer().ExecContext(ctx, "UPDATE connections SET is_default = "+c.arg(false)+c.clause(), c.args...); err != nil {
		return internal("clear default connection", err)
	}
	return nil
}

// CreateConnection stores c, filling an empty ID and the timestamps. When
// c.IsDefault is set, the folder's other connections of the same connector
// lose the flag in the same transaction.
func (h *handle) CreateConnection(ctx context.Context, c *junction.Connection) error {
	newID(&c.ID)
	fields, err := encodeFields(c)
	if err != nil {
		return internal("create connection: encode fields", err)
	}
	c.CreatedAt = stamp(c.CreatedAt, h.db.now())
	c.UpdatedAt = stamp(c.UpdatedAt, c.CreatedAt)
	return h.write(ctx, func(h *handle) error {
		if c.IsDefault {
			if err := h.clearDefault(ctx, c.TenantID, c.FolderID, c.ID, c.Connector); err != nil {
				return err
			}
		}
		_, err := h.writer().ExecContext(ctx,
			"INSERT INTO connections ("+connectionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
			c.ID, c.TenantID, c.FolderID, c.Connector, c.Name, c.AuthType, fields, c.IsDefault, string(c.Status),
			c.StatusReason, c.PollIntervalMinutes, c.ProxyURL, nullString(c.SecretsSealedID), nullString(c.TokenSealedID),
			c.AuthFailures, c.CreatedBy, toMicros(c.CreatedAt), toMicros(c.UpdatedAt), c.ConnectorVersion,
			nullMicros(c.DebugUntil))
		if err != nil {
			return connectionWriteErr("create connection", c, err)
		}
		return nil
	})
}

func (h *handle) GetConnection(ctx context.Context, tenantID, id string) (*junction.Connection, error) {
	c, err := scanConnection(h.reader().QueryRowContext(ctx,
		"SELECT "+connectionColumns+" FROM connections WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("connection", "get connection", err)
	}
	return c, nil
}

// ListConnections lists connections by ID. A non-nil but empty FolderIDs
// matches no connection.
func (h *handle) ListConnections(ctx context.Context, tenantID string, f junction.ConnectionFilter) ([]*junction.Connection, error) {
	var c conds
	c.add("tenant_id = " + c.arg(tenantID))
	c.in("folder_id", f.FolderIDs)
	c.in("id", f.IDs)
	if f.Connector != "" {
		c.add("connector = " + c.arg(f.Connector))
	}
	if f.Status != "" {
		c.add("status = " + c.arg(string(f.Status)))
	}
	if f.NameContains != "" {
		c.contains(f.NameContains, "name")
	}
	tail := c.page(f.Page, "id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+connectionColumns+" FROM connections"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list connections", err)
	}
	out, err := collect(rows, scanConnection)
	if err != nil {
		return nil, internal("list connections", err)
	}
	return out, nil
}

// UpdateConnection saves every field but the IDs, Connector, CreatedBy and
// CreatedAt (moving the connection to another folder included; AuthFailures
// included, so a caller holding LockConnection may reset it). UpdatedAt is
// stamped when zero. The fields not saved are read back into c.
func (h *handle) UpdateConnection(ctx context.Context, c *junction.Connection) error {
	fields, err := encodeFields(c)
	if err != nil {
		return internal("update connection: encode fields", err)
	}
	c.UpdatedAt = stamp(c.UpdatedAt, h.db.now())
	return h.write(ctx, func(h *handle) error {
		if c.IsDefault {
			if err := h.clearDefault(ctx, c.TenantID, c.FolderID, c.ID, ""); err != nil {
				return err
			}
		}
		var created int64
		err := h.writer().QueryRowContext(ctx,
			`UPDATE connections SET folder_id = $1, name = $2, auth_type = $3, fields = $4, is_default = $5, status = $6,
				status_reason = $7, poll_interval_minutes = $8, proxy_url = $9, secrets_sealed_id = $10,
				token_sealed_id = $11, auth_failures = $12, updated_at = $13, connector_version = $14,
				debug_until = $17
			WHERE tenant_id = $15 AND id = $16
			RETURNING connector, created_by, created_at`,
			c.FolderID, c.Name, c.AuthType, fields, c.IsDefault, string(c.Status), c.StatusReason, c.PollIntervalMinutes,
			c.ProxyURL, nullString(c.SecretsSealedID), nullString(c.TokenSealedID), c.AuthFailures,
			toMicros(c.UpdatedAt), c.ConnectorVersion, c.TenantID, c.ID, nullMicros(c.DebugUntil)).Scan(&c.Connector, &c.CreatedBy, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return junction.NotFound("connection")
		}
		if err != nil {
			return connectionWriteErr("update connection", c, err)
		}
		c.CreatedAt = fromMicros(created)
		return nil
	})
}

// DeleteConnection removes the connection and its OAuth states. Sealed
// values are not foreign keys, so the connection's literal secrets and
// token, and its states' PKCE verifiers, are deleted here, in the same
// transaction: no ciphertext outlives what it belonged to. States are
// deleted before sealed values, in the order expired-state cleanup takes
// them, so the two never wait on each other.
func (h *handle) DeleteConnection(ctx context.Context, tenantID, id string) error {
	return h.write(ctx, func(h *handle) error {
		rows, err := h.writer().QueryContext(ctx,
			"DELETE FROM oauth_states WHERE tenant_id = $1 AND connection_id = $2 RETURNING tenant_id, sealed_id",
			tenantID, id)
		if err != nil {
			return internal("delete connection: delete OAuth states", err)
		}
		states, err := collect(rows, scanSealedRef)
		if err != nil {
			return internal("delete connection: delete OAuth states", err)
		}
		var secrets, token sql.NullString
		err = h.writer().QueryRowContext(ctx,
			"DELETE FROM connections WHERE tenant_id = $1 AND id = $2 RETURNING secrets_sealed_id, token_sealed_id",
			tenantID, id).Scan(&secrets, &token)
		if err != nil {
			return notFoundOr("connection", "delete connection", err)
		}
		sealed := []string{secrets.String, token.String}
		for _, st := range states {
			sealed = append(sealed, st.id)
		}
		// The inputs failed executions kept are for retrying them through
		// this connection: with it gone they serve nothing, and they may
		// hold personal data.
		if _, err := h.writer().ExecContext(ctx, `DELETE FROM sealed_values WHERE tenant_id = $1 AND id IN
			(SELECT input_sealed_id FROM executions WHERE tenant_id = $1 AND connection_id = $2 AND input_sealed_id <> '')`,
			tenantID, id); err != nil {
			return internal("delete connection: delete kept execution inputs", err)
		}
		if _, err := h.writer().ExecContext(ctx,
			"UPDATE executions SET input_sealed_id = '' WHERE tenant_id = $1 AND connection_id = $2 AND input_sealed_id <> ''",
			tenantID, id); err != nil {
			return internal("delete connection: forget kept execution inputs", err)
		}
		return h.deleteSealedValues(ctx, tenantID, sealed...)
	})
}

// deleteSealedValues deletes the sealed values named, skipping empty IDs and
// values already gone.
func (h *handle) deleteSealedValues(ctx context.Context, tenantID string, ids ...string) error {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, err := h.writer().ExecContext(ctx,
			"DELETE FROM sealed_values WHERE tenant_id = $1 AND id = $2", tenantID, id); err != nil {
			return internal("delete sealed value", err)
		}
	}
	return nil
}

// RecordAuthResult resets or increments the failure count in one UPDATE, so
// concurrent results, from any server, are all counted.
func (h *handle) RecordAuthResult(ctx context.Context, tenantID, id string, ok bool) (int, error) {
	set := "auth_failures + 1"
	if ok {
		set = "0"
	}
	var n int
	err := h.writer().QueryRowContext(ctx,
		"UPDATE connections SET auth_failures = "+set+" WHERE tenant_id = $1 AND id = $2 RETURNING auth_failures",
		tenantID, id).Scan(&n)
	if err != nil {
		return 0, notFoundOr("connection", "record authentication result", err)
	}
	return n, nil
}

// LockConnection reads the connection under a row lock on PostgreSQL. On
// SQLite the transaction already holds the one write lock (BEGIN
// IMMEDIATE), so a plain read is as good.
func (h *handle) LockConnection(ctx context.Context, tenantID, id string) (*junction.Connection, error) {
	if h.tx == nil {
		return nil, junction.Internal(errors.New("LockConnection must be called inside InTx: outside a transaction the lock would be released at once"))
	}
	q := "SELECT " + connectionColumns + " FROM connections WHERE tenant_id = $1 AND id = $2"
	if h.db.dialect == DialectPostgres {
		q += " FOR UPDATE"
	}
	c, err := scanConnection(h.tx.QueryRowContext(ctx, q, tenantID, id))
	if err != nil {
		return nil, notFoundOr("connection", "lock connection", err)
	}
	return c, nil
}

var connectionWithFolderQuery = "SELECT " + prefixed("c.", connectionColumns) + ", " + folderColumns + `
	FROM connections c JOIN folders f ON f.tenant_id = c.tenant_id AND f.id = c.folder_id
	WHERE c.tenant_id = $1 AND c.id = $2`

func (h *handle) GetConnectionWithFolder(ctx context.Context, tenantID, id string) (*junction.Connection, *junction.Folder, error) {
	rows, err := h.reader().QueryContext(ctx, connectionWithFolderQuery, tenantID, id)
	if err != nil {
		return nil, nil, internal("get connection with folder", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, nil, internal("get connection with folder", err)
		}
		return nil, nil, junction.NotFound("connection")
	}
	n := columnCount(connectionColumns)
	all := n + columnCount(folderColumns)
	c, err := scanConnection(joinedRow{rows, 0, all})
	if err != nil {
		return nil, nil, internal("get connection with folder", err)
	}
	f, err := scanFolder(joinedRow{rows, n, all})
	if err != nil {
		return nil, nil, internal("get connection with folder", err)
	}
	if err := rows.Close(); err != nil {
		return nil, nil, internal("get connection with folder", err)
	}
	return c, f, nil
}
