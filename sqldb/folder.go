package sqldb

import (
	"context"
	"database/sql"
	"strings"

	"junction"
)

// Folder paths are stored as "/id1/id2/id3/": the folders of a subtree are
// those whose path starts with the subtree root's path, and the trailing
// slash keeps one ID from matching another that merely starts with it.

func encodePath(ids []string) string { return "/" + strings.Join(ids, "/") + "/" }

func decodePath(s string) []string {
	s = strings.Trim(s, "/")
	if s == "" {
		return nil
	}
	return strings.Split(s, "/")
}

const folderColumns = "f.id, f.tenant_id, f.parent_id, f.name, f.path, f.created_at, f.updated_at"

func scanFolder(s scanner) (*junction.Folder, error) {
	var f junction.Folder
	var parent sql.NullString
	var path string
	var created, updated int64
	if err := s.Scan(&f.ID, &f.TenantID, &parent, &f.Name, &path, &created, &updated); err != nil {
		return nil, err
	}
	f.ParentID = fromNullString(parent)
	f.Path = decodePath(path)
	f.CreatedAt, f.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &f, nil
}

func folderNameTaken(f *junction.Folder) string {
	if f.ParentID == "" {
		return "a top-level folder named " + quote(f.Name) + " already exists"
	}
	return "a folder named " + quote(f.Name) + " already exists in this parent"
}

func parentNotFound() error {
	return &junction.Error{Code: junction.ENOTFOUND, Field: "parent_id", Message: "parent folder not found"}
}

// folderPath reads the stored path of a folder.
func (h *handle) folderPath(ctx context.Context, tenantID, id string) (string, error) {
	var p string
	err := h.reader().QueryRowContext(ctx,
		"SELECT path FROM folders WHERE tenant_id = $1 AND id = $2", tenantID, id).Scan(&p)
	return p, err
}

// CreateFolder stores f, filling an empty ID and the timestamps. Path is
// computed from the parent's stored path (so it always ends with f.ID, as
// the contract asks of callers) and written back to f.
func (h *handle) CreateFolder(ctx context.Context, f *junction.Folder) error {
	newID(&f.ID)
	return h.write(ctx, func(h *handle) error {
		path := encodePath([]string{f.ID})
		if f.ParentID != "" {
			pp, err := h.folderPath(ctx, f.TenantID, f.ParentID)
			if err != nil {
				return internal("create folder: read parent", errOr(err, parentNotFound()))
			}
			path = pp + f.ID + "/"
		}
		f.CreatedAt = stamp(f.CreatedAt, h.db.now())
		f.UpdatedAt = stamp(f.UpdatedAt, f.CreatedAt)
		_, err := h.writer().ExecContext(ctx,
			`INSERT INTO folders (id, tenant_id, parent_id, name, path, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			f.ID, f.TenantID, nullString(f.ParentID), f.Name, path, toMicros(f.CreatedAt), toMicros(f.UpdatedAt))
		if err != nil {
			return writeErr("create folder", "folder", err, folderNameTaken(f), junction.NotFound("tenant"))
		}
		f.Path = decodePath(path)
		return nil
	})
}

func (h *handle) GetFolder(ctx context.Context, tenantID, id string) (*junction.Folder, error) {
	f, err := scanFolder(h.reader().QueryRowContext(ctx,
		"SELECT "+folderColumns+" FROM folders f WHERE f.tenant_id = $1 AND f.id = $2", tenantID, id))
	if err != nil {
		return nil, notFoundOr("folder", "get folder", err)
	}
	return f, nil
}

// ListFolders lists folders by ID. A non-nil but empty Within matches no
// folder, so a caller passing "the folders this user sees" never widens an
// empty set to everything.
func (h *handle) ListFolders(ctx context.Context, tenantID string, ff junction.FolderFilter) ([]*junction.Folder, error) {
	var c conds
	c.add("f.tenant_id = " + c.arg(tenantID))
	if ff.ParentID != "" {
		c.add("f.parent_id = " + c.arg(ff.ParentID))
	}
	if ff.TopLevel {
		c.add("f.parent_id IS NULL")
	}
	if ff.Within != nil {
		if len(ff.Within) == 0 {
			c.add("1 = 0")
		} else {
			c.add(`EXISTS (SELECT 1 FROM folders w WHERE w.tenant_id = f.tenant_id AND w.id IN (` +
				c.argList(ff.Within) + `) AND substr(f.path, 1, length(w.path)) = w.path)`)
		}
	}
	if ff.NameContains != "" {
		c.contains(ff.NameContains, "f.name")
	}
	tail := c.page(ff.Page, "f.id")
	rows, err := h.reader().QueryContext(ctx, "SELECT "+folderColumns+" FROM folders f"+c.clause()+tail, c.args...)
	if err != nil {
		return nil, internal("list folders", err)
	}
	out, err := collect(rows, scanFolder)
	if err != nil {
		return nil, internal("list folders", err)
	}
	return out, nil
}

// UpdateFolder saves f's name and parent. On a move, the new path is computed
// from the new parent, written back to f, and every descendant's path is
// rewritten in the same transaction. Moving a folder under itself or one of
// its descendants is EINVALID.
func (h *handle) UpdateFolder(ctx context.Context, f *junction.Folder) error {
	return h.write(ctx, func(h *handle) error {
		cur, err := h.GetFolder(ctx, f.TenantID, f.ID)
		if err != nil {
			return err
		}
		oldPath := encodePath(cur.Path)
		newPath := oldPath
		if f.ParentID != cur.ParentID {
			newPath = encodePath([]string{f.ID})
			if f.ParentID != "" {
				pp, err := h.folderPath(ctx, f.TenantID, f.ParentID)
				if err != nil {
					return internal("update folder: read parent", errOr(err, parentNotFound()))
				}
				if strings.HasPrefix(pp, oldPath) {
					return junction.Invalid("parent_id", "a folder cannot be moved into itself or one of its subfolders")
				}
				newPath = pp + f.ID + "/"
			}
		}
		f.UpdatedAt = stamp(f.UpdatedAt, h.db.now())
		_, err = h.writer().ExecContext(ctx,
			`UPDATE folders SET name = $1, parent_id = $2, path = $3, updated_at = $4
			WHERE tenant_id = $5 AND id = $6`,
			f.Name, nullString(f.ParentID), newPath, toMicros(f.UpdatedAt), f.TenantID, f.ID)
		if err != nil {
			return writeErr("update folder", "folder", err, folderNameTaken(f), parentNotFound())
		}
		if newPath != oldPath {
			_, err = h.writer().ExecContext(ctx,
				`UPDATE folders SET path = CAST($1 AS TEXT) || substr(path, $2)
				WHERE tenant_id = $3 AND substr(path, 1, $4) = $5 AND id <> $6`,
				newPath, len(oldPath)+1, f.TenantID, len(oldPath), oldPath, f.ID)
			if err != nil {
				return internal("update folder: rewrite descendant paths", err)
			}
		}
		f.Path = decodePath(newPath)
		f.CreatedAt = cur.CreatedAt
		return nil
	})
}

// DeleteFolder removes the folder; foreign keys remove its subfolders and
// their role assignments. While the folder or a subfolder still holds assets
// or connections it returns ECONFLICT, with Details["assets"] and
// Details["connections"] set to the counts: deleting them silently would
// orphan their secrets.
func (h *handle) DeleteFolder(ctx context.Context, tenantID, id string) error {
	return h.write(ctx, func(h *handle) error {
		var assets, conns int
		err := h.writer().QueryRowContext(ctx,
			`WITH sub AS (SELECT s.id FROM folders f JOIN folders s
				ON s.tenant_id = f.tenant_id AND substr(s.path, 1, length(f.path)) = f.path
				WHERE f.tenant_id = $1 AND f.id = $2)
			SELECT (SELECT COUNT(*) FROM assets WHERE tenant_id = $1 AND folder_id IN (SELECT id FROM sub)),
				(SELECT COUNT(*) FROM connections WHERE tenant_id = $1 AND folder_id IN (SELECT id FROM sub))`,
			tenantID, id).Scan(&assets, &conns)
		if err != nil {
			return internal("delete folder: count contents", err)
		}
		if assets > 0 || conns > 0 {
			return folderNotEmpty(assets, conns, nil)
		}
		res, err := h.writer().ExecContext(ctx, "DELETE FROM folders WHERE tenant_id = $1 AND id = $2", tenantID, id)
		if err != nil {
			if classify(err) == foreignKeyViolation {
				return folderNotEmpty(0, 0, err)
			}
			return internal("delete folder", err)
		}
		return affected(res, "folder", "delete folder")
	})
}

// folderNotEmpty says what keeps a folder from being deleted. Zero counts
// (a foreign key caught what the counts missed) name both kinds.
func folderNotEmpty(assets, conns int, cause error) error {
	what := "its assets and connections"
	switch {
	case assets > 0 && conns == 0:
		what = "its assets"
	case conns > 0 && assets == 0:
		what = "its connections"
	}
	e := &junction.Error{Code: junction.ECONFLICT, Err: cause,
		Message: "the folder or one of its subfolders is not empty: move or delete " + what + " first"}
	if cause == nil {
		e.Details = map[string]any{"assets": assets, "connections": conns}
	}
	return e
}
