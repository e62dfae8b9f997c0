package app

import (
	"context"
	"slices"
	"strings"

	"junction"
)

// cleanFolderName checks a folder name: a display name that holds no "/",
// which the CLI and the API use to write folder paths.
func cleanFolderName(field, s string) (string, error) {
	s, err := cleanName(field, s)
	if err != nil {
		return "", err
	}
	if strings.Contains(s, "/") {
		return "", junction.Invalid(field, "must not contain /")
	}
	return s, nil
}

// CreateFolderInput describes a new folder.
type CreateFolderInput struct {
	Name string
	// ParentID is empty for a top-level folder.
	ParentID string
}

// CreateFolder creates a folder. Needs Folders.Create; the parent, when
// given, must be visible to the caller.
func (a *App) CreateFolder(ctx context.Context, p *junction.Principal, in CreateFolderInput) (*junction.Folder, error) {
	name, err := cleanFolderName("name", in.Name)
	if err != nil {
		return nil, err
	}
	var out *junction.Folder
	err = a.tx(ctx, func(tx junction.Store) error {
		now := a.now()
		f := &junction.Folder{ID: junction.NewID(), TenantID: p.TenantID(), Name: name, CreatedAt: now, UpdatedAt: now}
		if in.ParentID != "" {
			// The parent is looked up first so an invisible one answers
			// not_found whatever the caller's permissions.
			parent, err := a.folderFor(ctx, tx, p, in.ParentID, junction.PermFoldersCreate)
			if err != nil {
				return fieldNotFound(err, "parent_id")
			}
			f.ParentID = parent.ID
			f.Path = append(slices.Clone(parent.Path), f.ID)
		} else {
			if err := requireTenant(p, junction.PermFoldersCreate); err != nil {
				return err
			}
			f.Path = []string{f.ID}
		}
		if err := tx.CreateFolder(ctx, f); err != nil {
			return conflictName(err, "name", "a folder named %q already exists there", name)
		}
		out = f
		return a.audit(ctx, tx, p, "folder.create", "folder", f.ID, f.ID,
			map[string]any{"name": f.Name, "parent_id": f.ParentID})
	})
	return out, err
}

// fieldNotFound names the input field that referred to a missing object.
func fieldNotFound(err error, field string) error {
	var e *junction.Error
	if junction.IsCode(err, junction.ENOTFOUND) && asError(err, &e) && e.Field == "" {
		c := *e
		c.Field = field
		return &c
	}
	return err
}

// GetFolder returns a folder the caller can see.
func (a *App) GetFolder(ctx context.Context, p *junction.Principal, id string) (*junction.Folder, error) {
	return a.folderFor(ctx, a.store, p, id, "")
}

// FolderQuery narrows ListFolders.
type FolderQuery struct {
	// ParentID, when set, lists the direct children of that folder.
	ParentID     string
	NameContains string
	junction.Page
}

// ListFolders lists the folders the caller can see. With Folders.View, or
// any folder permission, tenant-wide that is every folder; otherwise it is
// the subtrees under the folders where the caller holds a role.
func (a *App) ListFolders(ctx context.Context, p *junction.Principal, q FolderQuery) (List[*junction.Folder], error) {
	var empty List[*junction.Folder]
	if err := checkCursor(q.Page); err != nil {
		return empty, err
	}
	filter := junction.FolderFilter{NameContains: q.NameContains, Page: q.Page.Normalize()}
	switch {
	case q.ParentID != "":
		// Every child of a visible folder is visible, so no further
		// narrowing is needed.
		if _, err := a.folderFor(ctx, a.store, p, q.ParentID, ""); err != nil {
			return empty, fieldNotFound(err, "parent_id")
		}
		filter.ParentID = q.ParentID
	case p.Access.SeesAllFolders():
	default:
		roots, err := a.grantRoots(ctx, p)
		if err != nil {
			return empty, err
		}
		if len(roots) == 0 {
			return newList([]*junction.Folder{}, q.Page, nil), nil
		}
		filter.Within = roots
	}
	fs, err := a.store.ListFolders(ctx, p.TenantID(), filter)
	if err != nil {
		return empty, err
	}
	return newList(fs, q.Page, func(f *junction.Folder) string { return f.ID }), nil
}

// grantRoots returns the folders where the caller holds a role, without
// those inside another such folder, so subtree queries see each folder once.
func (a *App) grantRoots(ctx context.Context, p *junction.Principal) ([]string, error) {
	var roots []string
	for id, perms := range p.Access.Folders {
		if len(perms) == 0 {
			continue
		}
		f, err := a.store.GetFolder(ctx, p.TenantID(), id)
		if junction.IsCode(err, junction.ENOTFOUND) {
			continue
		} else if err != nil {
			return nil, err
		}
		inner := false
		for _, anc := range f.Path[:len(f.Path)-1] {
			if len(p.Access.Folders[anc]) > 0 {
				inner = true
				break
			}
		}
		if !inner {
			roots = append(roots, id)
		}
	}
	slices.Sort(roots)
	return roots, nil
}

// UpdateFolderInput changes a folder. Nil fields stay as they are.
type UpdateFolderInput struct {
	Name *string
	// ParentID moves the folder: a folder ID, or "" for the top level.
	ParentID *string
}

// UpdateFolder renames and/or moves a folder. Needs Folders.Edit. A folder
// cannot move under itself or one of its descendants.
func (a *App) UpdateFolder(ctx context.Context, p *junction.Principal, id string, in UpdateFolderInput) (*junction.Folder, error) {
	var out *junction.Folder
	err := a.tx(ctx, func(tx junction.Store) error {
		f, err := a.folderFor(ctx, tx, p, id, junction.PermFoldersEdit)
		if err != nil {
			return err
		}
		details := map[string]any{}
		if in.Name != nil {
			name, err := cleanFolderName("name", *in.Name)
			if err != nil {
				return err
			}
			if name != f.Name {
				details["old_name"], details["name"] = f.Name, name
				f.Name = name
			}
		}
		if in.ParentID != nil && *in.ParentID != f.ParentID {
			newPath := []string{f.ID}
			if *in.ParentID != "" {
				parent, err := a.folderFor(ctx, tx, p, *in.ParentID, junction.PermFoldersEdit)
				if err != nil {
					return fieldNotFound(err, "parent_id")
				}
				if slices.Contains(parent.Path, f.ID) {
					return junction.Invalid("parent_id", "a folder cannot move into itself or one of its subfolders")
				}
				newPath = append(slices.Clone(parent.Path), f.ID)
			}
			details["old_parent_id"], details["parent_id"] = f.ParentID, *in.ParentID
			f.ParentID, f.Path = *in.ParentID, newPath
		}
		if len(details) == 0 {
			out = f
			return nil
		}
		f.UpdatedAt = a.now()
		if err := tx.UpdateFolder(ctx, f); err != nil {
			return conflictName(err, "name", "a folder named %q already exists there", f.Name)
		}
		out = f
		return a.audit(ctx, tx, p, "folder.update", "folder", f.ID, f.ID, details)
	})
	return out, err
}

// DeleteFolder deletes a folder with its subfolders and their role
// assignments. Needs Folders.Delete.
func (a *App) DeleteFolder(ctx context.Context, p *junction.Principal, id string) error {
	return a.tx(ctx, func(tx junction.Store) error {
		f, err := a.folderFor(ctx, tx, p, id, junction.PermFoldersDelete)
		if err != nil {
			return err
		}
		if err := tx.DeleteFolder(ctx, p.TenantID(), f.ID); err != nil {
			return err
		}
		return a.audit(ctx, tx, p, "folder.delete", "folder", f.ID, f.ID,
			map[string]any{"name": f.Name})
	})
}
