package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"junction"
	"junction/outbound"
	"junction/resolver"
)

// Assets live in folders and follow the folder rule: an asset in a folder
// the caller cannot see answers not_found; a visible one without the
// needed Assets.* permission answers permission_denied.
//
// Values leave this package only through ResolveAsset. Text, integer and
// boolean assets hold their value in the asset itself; secret and
// credential assets keep it sealed in the database store, or leave it in an
// external vault where Junction holds only the name it lives under.

// maxAssetValueLen bounds a value Junction stores or writes (64 KiB): assets
// are settings and credentials, not documents.
const maxAssetValueLen = 64 << 10

// maxExternalNameLen bounds the name of a secret in an external store.
const maxExternalNameLen = 512

// AssetView is an asset as callers see it. It never carries a secret value.
type AssetView struct {
	ID          string             `json:"id"`
	TenantID    string             `json:"tenant_id"`
	FolderID    string             `json:"folder_id"`
	Name        string             `json:"name"`
	Type        junction.AssetType `json:"type"`
	Description string             `json:"description,omitempty"`
	// Value is the value of a text, integer or boolean asset, as a JSON
	// string, number or boolean by its type. Secret and credential assets
	// never show theirs; resolving is the only way to it.
	Value json.RawMessage `json:"value,omitempty"`
	// HasValue tells whether Junction itself holds the value: always for
	// text, integer and boolean assets; when one is sealed, for assets in
	// the database store; never for assets in an external store, whose
	// value lives only in the vault.
	HasValue bool `json:"has_value"`
	// StoreID is the credential store of a secret or credential asset.
	StoreID string `json:"store_id,omitempty"`
	// ExternalName is where the value lives in an external store.
	ExternalName string `json:"external_name,omitempty"`
	// AllowedHosts are the only hosts a secret or credential asset's value
	// is sent to; none means any host.
	AllowedHosts []string  `json:"allowed_hosts,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func assetView(a *junction.Asset) *AssetView {
	v := &AssetView{
		ID: a.ID, TenantID: a.TenantID, FolderID: a.FolderID, Name: a.Name, Type: a.Type,
		Description: a.Description, StoreID: a.StoreID, ExternalName: a.ExternalName,
		AllowedHosts: slices.Clone(a.AllowedHosts), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	if a.Type.Sensitive() {
		v.HasValue = a.SealedID != ""
	} else {
		v.Value, v.HasValue = PlainValueJSON(a.Type, a.Value), true
	}
	return v
}

// PlainValueJSON is the value of a text, integer or boolean asset as JSON.
// Integers and booleans are stored in their canonical text ("42", "true"),
// which is already their JSON form; anything else, text included, is
// quoted, so a response never carries broken JSON.
func PlainValueJSON(t junction.AssetType, v string) json.RawMessage {
	if (t == junction.AssetInteger || t == junction.AssetBoolean) && v != "" && json.Valid([]byte(v)) {
		return json.RawMessage(v)
	}
	b, _ := json.Marshal(v) // a string always encodes
	return b
}

func kindOf(t junction.AssetType) junction.SecretKind {
	if t == junction.AssetCredential {
		return junction.KindCredential
	}
	return junction.KindSecret
}

func validAssetType(t junction.AssetType) bool {
	switch t {
	case junction.AssetText, junction.AssetInteger, junction.AssetBoolean, junction.AssetSecret, junction.AssetCredential:
		return true
	}
	return false
}

func invalidAssetType(t junction.AssetType) error {
	if t == "" {
		return junction.Invalid("type", "is required: text, integer, boolean, secret or credential")
	}
	return junction.Invalid("type", "must be text, integer, boolean, secret or credential, not %q", string(t))
}

// plainValue checks the value of a text, integer or boolean asset and
// returns its canonical form ("42", "true").
func plainValue(t junction.AssetType, v string) (string, error) {
	switch t {
	case junction.AssetInteger:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "", junction.Invalid("value", "must be a whole number such as 42 for an integer asset")
		}
		return strconv.FormatInt(n, 10), nil
	case junction.AssetBoolean:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return "true", nil
		case "false":
			return "false", nil
		}
		return "", junction.Invalid("value", "must be true or false for a boolean asset")
	default:
		if !utf8.ValidString(v) {
			return "", junction.Invalid("value", "must be valid UTF-8")
		}
		if len(v) > maxAssetValueLen {
			return "", junction.Invalid("value", "must be at most %d bytes", maxAssetValueLen)
		}
		return v, nil
	}
}

// checkSecretValue checks a secret value (or password) Junction is given to
// keep or write. The message never quotes it.
func checkSecretValue(field string, s junction.Secret) error {
	if s.IsZero() {
		return junction.Invalid(field, "must not be empty")
	}
	if len(s.Reveal()) > maxAssetValueLen {
		return junction.Invalid(field, "must be at most %d bytes", maxAssetValueLen)
	}
	return nil
}

func cleanUsername(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", junction.Invalid("username", "must not be empty")
	}
	if len(s) > 1024 || !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n") {
		return "", junction.Invalid("username", "must be at most 1024 characters of one line")
	}
	return s, nil
}

// checkExternalName applies the store type's own rules for the names of
// its secrets, so that a name the vault can never hold is refused now, not
// at the first resolve. Without an explicit external name, the asset's own
// name is the external one and must pass them too.
func (a *App) checkExternalName(cfg *junction.CredentialStoreConfig, name string) error {
	t, ok := a.storeTypes[cfg.Type]
	if !ok || t.CheckName == nil {
		return nil
	}
	if err := t.CheckName(name); err != nil {
		var je *junction.Error
		if errors.As(err, &je) && je.Field == "" {
			named := *je
			named.Field = "external_name"
			return &named
		}
		return err
	}
	return nil
}

func cleanExternalName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", junction.Invalid("external_name", "must not be empty")
	}
	if len(s) > maxExternalNameLen || !utf8.ValidString(s) {
		return "", junction.Invalid("external_name", "must be at most %d characters", maxExternalNameLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", junction.Invalid("external_name", "must not contain control characters")
		}
	}
	return s, nil
}

// allowedHosts checks the allowed hosts given for an asset of type t and
// returns them in canonical form (see outbound.ParseAllowedHosts).
func allowedHosts(t junction.AssetType, hosts []string) ([]string, error) {
	if !t.Sensitive() {
		if len(hosts) > 0 {
			return nil, junction.Invalid("allowed_hosts", "applies to secret and credential assets only: %s values are not secret", t)
		}
		return nil, nil
	}
	out, err := outbound.ParseAllowedHosts("allowed_hosts", hosts)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// assetFor loads an asset for the caller with the folder rule applied: an
// asset in a folder the caller cannot see is not found, like a missing one.
func (a *App) assetFor(ctx context.Context, st junction.Store, p *junction.Principal, id string, perm junction.Permission) (*junction.Asset, error) {
	if !junction.ValidID(id) {
		return nil, junction.NotFound("asset")
	}
	as, err := st.GetAsset(ctx, p.TenantID(), id)
	if err != nil {
		return nil, err
	}
	if _, err := a.folderFor(ctx, st, p, as.FolderID, perm); err != nil {
		if junction.IsCode(err, junction.ENOTFOUND) {
			return nil, junction.NotFound("asset")
		}
		return nil, err
	}
	return as, nil
}

// storeForAsset loads the credential store an asset names. A store that is
// missing, or of another tenant, is a wrong input rather than a missing
// page, hence validation_failed.
func (a *App) storeForAsset(ctx context.Context, st junction.Store, p *junction.Principal, id string) (*junction.CredentialStoreConfig, error) {
	if !junction.ValidID(id) {
		return nil, junction.Invalid("store_id", "there is no credential store with this ID")
	}
	cfg, err := st.GetCredentialStore(ctx, p.TenantID(), id)
	if junction.IsCode(err, junction.ENOTFOUND) {
		return nil, junction.Invalid("store_id", "there is no credential store with this ID")
	}
	return cfg, err
}

func readOnlyStore(cfg *junction.CredentialStoreConfig, field string) error {
	return &junction.Error{Code: junction.ECREDSTOREREADONLY, Field: field,
		Message: fmt.Sprintf("credential store %q is read-only: Junction only reads from it. Leave the value out to refer to a secret that exists there, or use a store that is not read-only", cfg.Name),
		Details: map[string]any{"store_id": cfg.ID}}
}

// writableStore returns the live adapter of a store Junction may write to.
func (a *App) writableStore(ctx context.Context, cfg *junction.CredentialStoreConfig, field string) (junction.WritableCredentialStore, error) {
	if cfg.ReadOnly {
		return nil, readOnlyStore(cfg, field)
	}
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	s, err := a.resolver.Client(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ws, ok := s.(junction.WritableCredentialStore)
	if !ok {
		return nil, readOnlyStore(cfg, field)
	}
	return ws, nil
}

// writeExternal writes v to the store under the asset's external name and
// drops the cached value, which is keyed by that name.
func (a *App) writeExternal(ctx context.Context, cfg *junction.CredentialStoreConfig, as *junction.Asset, v junction.StoredSecret, field string) error {
	ws, err := a.writableStore(ctx, cfg, field)
	if err != nil {
		return err
	}
	err = ws.Write(ctx, kindOf(as.Type), as.ExternalName, v)
	a.resolver.Invalidate(as)
	if err != nil {
		return fmt.Errorf("write asset %q to credential store %q: %w", as.Name, cfg.Name, err)
	}
	return nil
}

// sealAssetValue seals v as the value of a database-store asset, under its
// existing sealed ID or a new one.
func (a *App) sealAssetValue(ctx context.Context, tx junction.Store, as *junction.Asset, v junction.StoredSecret) error {
	if a.keyring == nil {
		return junction.Internal(fmt.Errorf("app: no keyring configured"))
	}
	if as.SealedID == "" {
		as.SealedID = junction.NewID()
	}
	sv, err := resolver.SealDatabaseValue(a.keyring, as.TenantID, as.SealedID, v)
	if err != nil {
		return err
	}
	return tx.PutSealed(ctx, sv)
}

// nameTaken reports, ahead of a vault write, whether the folder already has
// an asset of that name, so a doomed create does not touch the vault. The
// unique index still decides in the transaction.
func (a *App) nameTaken(ctx context.Context, as *junction.Asset) error {
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		list, err := a.store.ListAssets(ctx, as.TenantID, junction.AssetFilter{FolderIDs: []string{as.FolderID}, NameContains: as.Name, Page: page})
		if err != nil {
			return err
		}
		for _, o := range list {
			if o.ID != as.ID && o.Name == as.Name {
				return assetNameConflict(as.Name)
			}
		}
		if len(list) < page.Limit {
			return nil
		}
		page.After = list[len(list)-1].ID
	}
}

func assetNameConflict(name string) error {
	return &junction.Error{Code: junction.ECONFLICT, Field: "name",
		Message: fmt.Sprintf("an asset named %q already exists in this folder", name)}
}

// CreateAssetInput describes a new asset.
//
// Text, integer and boolean assets need Value. Secret assets take Value and
// credential assets Username and Password. Without StoreID they go to the
// database store, which seals the value. With the ID of an external store
// they refer to the secret under ExternalName (the asset's name when
// empty); given a value as well, Junction writes it there first, which a
// read-only store refuses.
type CreateAssetInput struct {
	FolderID    string
	Name        string
	Type        junction.AssetType
	Description string
	// Value is the value of a text, integer, boolean or secret asset. It
	// is typed Secret because it may be one; the plain types store it as
	// given once validated.
	Value        *junction.Secret
	Username     *string
	Password     *junction.Secret
	StoreID      string
	ExternalName string
	// AllowedHosts, for a secret or credential asset, are the only hosts
	// its value may be sent to: host names, "*." and a domain, or IP
	// addresses, without scheme, port or path. None means any host.
	AllowedHosts []string
}

// assetValue checks the value fields of a create or update against the
// asset's type. It returns the value to keep or write, and whether one was
// given at all.
func assetValue(t junction.AssetType, value *junction.Secret, username *string, password *junction.Secret) (junction.StoredSecret, bool, error) {
	switch t {
	case junction.AssetText, junction.AssetInteger, junction.AssetBoolean:
		if username != nil {
			return junction.StoredSecret{}, false, junction.Invalid("username", "applies to credential assets only")
		}
		if password != nil {
			return junction.StoredSecret{}, false, junction.Invalid("password", "applies to credential assets only")
		}
		if value == nil {
			return junction.StoredSecret{}, false, nil
		}
		v, err := plainValue(t, value.Reveal())
		if err != nil {
			return junction.StoredSecret{}, false, err
		}
		return junction.StoredSecret{Value: junction.NewSecret(v)}, true, nil
	case junction.AssetSecret:
		if username != nil {
			return junction.StoredSecret{}, false, junction.Invalid("username", "applies to credential assets only; a secret asset has one value")
		}
		if password != nil {
			return junction.StoredSecret{}, false, junction.Invalid("password", "applies to credential assets only; a secret asset has one value")
		}
		if value == nil {
			return junction.StoredSecret{}, false, nil
		}
		if err := checkSecretValue("value", *value); err != nil {
			return junction.StoredSecret{}, false, err
		}
		return junction.StoredSecret{Value: *value}, true, nil
	default: // credential
		if value != nil {
			return junction.StoredSecret{}, false, junction.Invalid("value", "a credential asset has a username and a password, not a value")
		}
		var v junction.StoredSecret
		if username != nil {
			u, err := cleanUsername(*username)
			if err != nil {
				return v, false, err
			}
			v.Username = u
		}
		if password != nil {
			if err := checkSecretValue("password", *password); err != nil {
				return v, false, err
			}
			v.Value = *password
		}
		return v, username != nil || password != nil, nil
	}
}

// CreateAsset creates an asset. Needs Assets.Create on the folder.
func (a *App) CreateAsset(ctx context.Context, p *junction.Principal, in CreateAssetInput) (*AssetView, error) {
	if !validAssetType(in.Type) {
		return nil, invalidAssetType(in.Type)
	}
	if in.FolderID == "" {
		return nil, junction.Invalid("folder_id", "is required")
	}
	name, err := cleanName("name", in.Name)
	if err != nil {
		return nil, err
	}
	desc, err := cleanDescription("description", in.Description)
	if err != nil {
		return nil, err
	}
	value, hasValue, err := assetValue(in.Type, in.Value, in.Username, in.Password)
	if err != nil {
		return nil, err
	}
	hosts, err := allowedHosts(in.Type, in.AllowedHosts)
	if err != nil {
		return nil, err
	}
	now := a.now()
	as := &junction.Asset{
		ID: junction.NewID(), TenantID: p.TenantID(), FolderID: in.FolderID, Name: name, Type: in.Type,
		Description: desc, AllowedHosts: hosts, CreatedAt: now, UpdatedAt: now,
	}
	if !in.Type.Sensitive() {
		if in.StoreID != "" {
			return nil, junction.Invalid("store_id", "%s assets hold their value themselves and have no credential store", in.Type)
		}
		if in.ExternalName != "" {
			return nil, junction.Invalid("external_name", "%s assets hold their value themselves and have no external name", in.Type)
		}
		if !hasValue {
			return nil, junction.Invalid("value", "is required")
		}
		as.Value = value.Value.Reveal()
	}

	// An external store is written to before the transaction: holding the
	// database's write lock across a vault round trip would stall every
	// other change. The caller's rights and the name are checked first, so
	// a create that is bound to fail does not touch the vault; one that
	// fails in the transaction all the same (a name taken meanwhile, the
	// database gone) deletes again a secret its write created.
	external := false
	// undo is the store of a secret this create wrote there new, to delete
	// again if the asset cannot be committed.
	var undo *junction.CredentialStoreConfig
	if in.Type.Sensitive() && in.StoreID != "" {
		if _, err := a.folderFor(ctx, a.store, p, in.FolderID, junction.PermAssetsCreate); err != nil {
			return nil, fieldNotFound(err, "folder_id")
		}
		cfg, err := a.storeForAsset(ctx, a.store, p, in.StoreID)
		if err != nil {
			return nil, err
		}
		if cfg.Type != junction.DatabaseStoreType {
			external = true
			as.StoreID, as.ExternalName = cfg.ID, name
			if in.ExternalName != "" {
				if as.ExternalName, err = cleanExternalName(in.ExternalName); err != nil {
					return nil, err
				}
			}
			if err := a.checkExternalName(cfg, as.ExternalName); err != nil {
				return nil, err
			}
			if err := a.checkReference(ctx, p, cfg, as, hasValue); err != nil {
				return nil, err
			}
			if err := a.checkSharedSecret(ctx, p, as); err != nil {
				return nil, err
			}
			if hasValue {
				created, err := a.writeExternalNew(ctx, cfg, as, value)
				if err != nil {
					return nil, err
				}
				if created {
					undo = cfg
				}
			}
		}
	}

	err = a.tx(ctx, func(tx junction.Store) error {
		if _, err := a.folderFor(ctx, tx, p, as.FolderID, junction.PermAssetsCreate); err != nil {
			return fieldNotFound(err, "folder_id")
		}
		if in.Type.Sensitive() && !external {
			if err := a.prepareDatabaseAsset(ctx, tx, p, as, in, value); err != nil {
				return err
			}
		}
		if err := tx.CreateAsset(ctx, as); err != nil {
			if junction.IsCode(err, junction.ECONFLICT) {
				return assetNameConflict(name)
			}
			return fieldNotFound(err, "folder_id")
		}
		return a.audit(ctx, tx, p, "asset.create", "asset", as.ID, as.FolderID, map[string]any{
			"name": as.Name, "type": string(as.Type), "store_id": as.StoreID, "external_name": as.ExternalName,
			"written_to_store": external && hasValue, "allowed_hosts": auditHosts(as.AllowedHosts),
		})
	})
	if err != nil {
		if undo != nil {
			a.undoExternalWrite(ctx, undo, as, err)
		}
		return nil, err
	}
	return assetView(as), nil
}

// widens reports whether the allowed hosts to would let the value go to a
// host that from does not: none at all (any host) after some, or a pattern
// that no pattern of from covers.
func widens(from, to []string) bool {
	if len(from) == 0 {
		return false
	}
	if len(to) == 0 {
		return true
	}
	for _, p := range to {
		if !covered(from, p) {
			return true
		}
	}
	return false
}

// covered reports whether every host pattern p matches is matched by one
// of list: p itself, or a wildcard of a domain above p.
func covered(list []string, p string) bool {
	name := strings.TrimPrefix(p, "*.")
	for _, q := range list {
		if q == p {
			return true
		}
		if suffix, ok := strings.CutPrefix(q, "*"); ok && strings.HasSuffix(name, suffix) && len(name) > len(suffix) {
			return true
		}
	}
	return false
}

// mayWiden checks that the caller may let an asset's value go to more
// hosts: whoever chooses where a value goes can have it sent to
// themselves, so widening takes Assets.Resolve, the right to read it,
// beside Assets.Edit. Narrowing takes Assets.Edit only.
func (a *App) mayWiden(ctx context.Context, p *junction.Principal, as *junction.Asset) error {
	if _, err := a.folderFor(ctx, a.store, p, as.FolderID, junction.PermAssetsResolve); err != nil {
		if junction.IsCode(err, junction.EPERMISSIONDENIED) {
			return &junction.Error{Code: junction.EPERMISSIONDENIED, Field: "allowed_hosts",
				Message: fmt.Sprintf("letting asset %q go to more hosts needs %s on its folder, as reading it does: "+
					"whoever chooses where a value goes can have it sent to themselves; narrowing the list needs %s only",
					as.Name, junction.PermAssetsResolve, junction.PermAssetsEdit)}
		}
		return err
	}
	return nil
}

// checkReference keeps a vault's secrets from being handed out by
// reference. An asset that refers to a secret already in an external store
// lets its value go wherever the asset's connections point, and Junction's
// login to the vault may read far more than anyone meant to share. Unless
// the store confines where its values may go (its allowed hosts, set by
// whoever administers the store), referring to an existing secret is as
// good as reading it and needs Assets.Resolve on the folder. An asset that
// brings its own value (written) reveals nothing it did not know. Within a
// confined store, an asset may only narrow the store's hosts.
func (a *App) checkReference(ctx context.Context, p *junction.Principal, store *junction.CredentialStoreConfig, as *junction.Asset, written bool) error {
	if len(store.AllowedHosts) > 0 {
		if len(as.AllowedHosts) > 0 && widens(store.AllowedHosts, as.AllowedHosts) {
			return &junction.Error{Code: junction.EINVALID, Field: "allowed_hosts",
				Message: fmt.Sprintf("credential store %q confines its values to %s: an asset of it may only narrow that list",
					store.Name, strings.Join(store.AllowedHosts, ", ")),
				Details: map[string]any{"store_allowed_hosts": store.AllowedHosts}}
		}
		return nil
	}
	if written {
		return nil
	}
	if _, err := a.folderFor(ctx, a.store, p, as.FolderID, junction.PermAssetsResolve); err == nil {
		return nil
	} else if !junction.IsCode(err, junction.EPERMISSIONDENIED) {
		return err
	}
	return &junction.Error{Code: junction.EPERMISSIONDENIED, Field: "external_name",
		Message: fmt.Sprintf("credential store %q does not confine where its values may be sent, so referring to its "+
			"existing secret %q is as good as reading it: that needs %s on the folder; or have the store's "+
			"administrator set its allowed hosts (allowed_hosts), or give the value yourself",
			store.Name, as.ExternalName, junction.PermAssetsResolve)}
}

// checkSharedSecret keeps allowed hosts from being side-stepped by a second
// asset: an asset referring to an external secret that another asset
// restricts to certain hosts must itself be restricted within each such
// list, unless the caller may read the secret anyway (Assets.Resolve on the
// asset's folder). Otherwise anyone who may create assets could refer to
// the same vault secret without a restriction and send it to their own
// host.
func (a *App) checkSharedSecret(ctx context.Context, p *junction.Principal, as *junction.Asset) error {
	var restrictions [][]string
	err := a.eachAssetOfSecret(ctx, as, func(o *junction.Asset) bool {
		if len(o.AllowedHosts) > 0 {
			restrictions = append(restrictions, o.AllowedHosts)
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, r := range restrictions {
		if !widens(r, as.AllowedHosts) {
			continue
		}
		if _, err := a.folderFor(ctx, a.store, p, as.FolderID, junction.PermAssetsResolve); err == nil {
			return nil
		} else if !junction.IsCode(err, junction.EPERMISSIONDENIED) {
			return err
		}
		return &junction.Error{Code: junction.EPERMISSIONDENIED, Field: "allowed_hosts",
			Message: fmt.Sprintf("another asset restricts the secret %q of this store to %s: an asset referring to it must be "+
				"restricted within those hosts (allowed_hosts), unless you hold %s on its folder",
				as.ExternalName, strings.Join(r, ", "), junction.PermAssetsResolve),
			Details: map[string]any{"allowed_hosts": r}}
	}
	return nil
}

// auditHosts is an asset's allowed hosts as its audit entries record them:
// a list, empty for none, so a lifted restriction is on record too.
func auditHosts(hosts []string) []string {
	if hosts == nil {
		return []string{}
	}
	return hosts
}

// undoExternalWrite deletes the secret a create wrote new to an external
// store when the asset itself could not be committed (cause), so the vault
// is not left holding a value no asset refers to. It is best effort: a
// failure is logged, without any value, and the secret stays. A secret
// that another asset has come to refer to meanwhile is left alone.
func (a *App) undoExternalWrite(ctx context.Context, cfg *junction.CredentialStoreConfig, as *junction.Asset, cause error) {
	// The caller's context may be what ended the transaction.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	attrs := []slog.Attr{slog.String("asset", as.Name), slog.String("store", cfg.Name),
		slog.String("external_name", as.ExternalName), slog.String("cause", junction.ErrorCode(cause))}
	shared, err := a.externalNameShared(ctx, as)
	if err == nil && shared {
		return
	}
	if err == nil {
		err = a.deleteExternal(ctx, cfg, as)
	}
	a.resolver.Invalidate(as)
	if err != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelError, "asset not created, and the secret written for it could not be deleted from the credential store",
			append(attrs, slog.Any("error", err))...)
		return
	}
	a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "asset not created; the secret written for it was deleted from the credential store", attrs...)
}

// undoTimeout bounds the deletion undoing a vault write.
const undoTimeout = 30 * time.Second

// writeExternalNew writes the value of a new asset to its external store,
// after checking that the whole value is there and the name is free. It
// reports whether the secret was created by this write, rather than
// replacing one the store already held: only such a secret may be deleted
// again when the asset cannot be committed.
func (a *App) writeExternalNew(ctx context.Context, cfg *junction.CredentialStoreConfig, as *junction.Asset, v junction.StoredSecret) (created bool, err error) {
	field := "value"
	if as.Type == junction.AssetCredential {
		field = "password"
		if err := completeCredential(v); err != nil {
			return false, err
		}
	}
	if cfg.ReadOnly {
		return false, readOnlyStore(cfg, field)
	}
	if err := a.nameTaken(ctx, as); err != nil {
		return false, err
	}
	ws, err := a.writableStore(ctx, cfg, field)
	if err != nil {
		return false, err
	}
	// Any answer but "not found" (the secret exists, or the store cannot
	// tell) counts as an existing secret, which an undo must not delete.
	_, rerr := ws.Read(ctx, kindOf(as.Type), as.ExternalName)
	created = junction.IsCode(rerr, junction.ECREDNOTFOUND)
	return created, a.writeExternal(ctx, cfg, as, v, field)
}

// completeCredential requires both halves of a credential Junction is to
// keep or write: a vault secret is replaced whole, so a missing half would
// be erased.
func completeCredential(v junction.StoredSecret) error {
	if v.Username == "" {
		return junction.Invalid("username", "is required with the password")
	}
	if v.Value.IsZero() {
		return junction.Invalid("password", "is required with the username")
	}
	return nil
}

// prepareDatabaseAsset points a new secret or credential asset at the
// database store and seals its value there.
func (a *App) prepareDatabaseAsset(ctx context.Context, tx junction.Store, p *junction.Principal, as *junction.Asset, in CreateAssetInput, v junction.StoredSecret) error {
	var cfg *junction.CredentialStoreConfig
	var err error
	if in.StoreID != "" {
		cfg, err = a.storeForAsset(ctx, tx, p, in.StoreID)
	} else {
		cfg, err = a.databaseStore(ctx, tx, p.TenantID())
	}
	if err != nil {
		return err
	}
	if in.ExternalName != "" {
		return junction.Invalid("external_name", "applies to external stores only; the database store keeps the value itself")
	}
	switch as.Type {
	case junction.AssetCredential:
		if err := completeCredential(v); err != nil {
			return err
		}
	default:
		if v.Value.IsZero() {
			return junction.Invalid("value", "is required for a secret in the database store")
		}
	}
	as.StoreID = cfg.ID
	return a.sealAssetValue(ctx, tx, as, v)
}

// GetAsset returns an asset without its secret value. Needs Assets.View on
// its folder.
func (a *App) GetAsset(ctx context.Context, p *junction.Principal, id string) (*AssetView, error) {
	as, err := a.assetFor(ctx, a.store, p, id, junction.PermAssetsView)
	if err != nil {
		return nil, err
	}
	return assetView(as), nil
}

// AssetQuery narrows ListAssets.
type AssetQuery struct {
	// FolderID lists the assets of that folder only, or, with Subfolders,
	// of that folder and every folder below it.
	FolderID   string
	Subfolders bool
	Type       junction.AssetType
	StoreID    string
	// NameContains matches names case-insensitively.
	NameContains string
	junction.Page
}

// ListAssets lists the assets in folders where the caller holds
// Assets.View, never with secret values.
func (a *App) ListAssets(ctx context.Context, p *junction.Principal, q AssetQuery) (List[*AssetView], error) {
	var empty List[*AssetView]
	if err := checkCursor(q.Page); err != nil {
		return empty, err
	}
	if q.Type != "" && !validAssetType(q.Type) {
		return empty, invalidAssetType(q.Type)
	}
	if q.StoreID != "" && !junction.ValidID(q.StoreID) {
		return empty, junction.Invalid("store_id", "is not a credential store ID")
	}
	filter := junction.AssetFilter{Type: q.Type, StoreID: q.StoreID, NameContains: q.NameContains, Page: q.Page.Normalize()}
	var err error
	switch {
	case q.FolderID != "":
		f, err := a.folderFor(ctx, a.store, p, q.FolderID, junction.PermAssetsView)
		if err != nil {
			return empty, fieldNotFound(err, "folder_id")
		}
		filter.FolderIDs = []string{f.ID}
		if q.Subfolders {
			// Assets.View on a folder holds in all its subfolders.
			if filter.FolderIDs, err = a.foldersWithin(ctx, p, []string{f.ID}); err != nil {
				return empty, err
			}
		}
	case p.Access.CanTenant(junction.PermAssetsView):
	default:
		if filter.FolderIDs, err = a.assetViewFolders(ctx, p); err != nil {
			return empty, err
		}
		if len(filter.FolderIDs) == 0 {
			return newList([]*AssetView{}, q.Page, nil), nil
		}
	}
	list, err := a.store.ListAssets(ctx, p.TenantID(), filter)
	if err != nil {
		return empty, err
	}
	views := make([]*AssetView, len(list))
	for i, as := range list {
		views[i] = assetView(as)
	}
	return newList(views, q.Page, func(v *AssetView) string { return v.ID }), nil
}

// assetViewFolders returns the folders where the caller holds Assets.View
// through a folder assignment: those folders and everything below them.
func (a *App) assetViewFolders(ctx context.Context, p *junction.Principal) ([]string, error) {
	var roots []string
	for id, perms := range p.Access.Folders {
		if perms[junction.PermAssetsView] {
			roots = append(roots, id)
		}
	}
	if len(roots) == 0 {
		return nil, nil
	}
	return a.foldersWithin(ctx, p, roots)
}

// foldersWithin returns the IDs of the given folders and all their
// descendants.
func (a *App) foldersWithin(ctx context.Context, p *junction.Principal, roots []string) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		fs, err := a.store.ListFolders(ctx, p.TenantID(), junction.FolderFilter{Within: roots, Page: page})
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if !seen[f.ID] {
				seen[f.ID] = true
				ids = append(ids, f.ID)
			}
		}
		if len(fs) < page.Limit {
			return ids, nil
		}
		page.After = fs[len(fs)-1].ID
	}
}

// UpdateAssetInput changes an asset. Nil fields stay as they are. An
// asset's type, folder and store do not change; create a new one instead.
type UpdateAssetInput struct {
	Name        *string
	Description *string
	// Value replaces the value of a text, integer, boolean or secret asset.
	Value *junction.Secret
	// Username and Password replace the halves of a credential. In the
	// database store either may change alone; an external store is
	// written whole, so it needs both.
	Username *string
	Password *junction.Secret
	// ExternalName points an asset in an external store at another secret.
	ExternalName *string
	// AllowedHosts replaces the allowed hosts of a secret or credential
	// asset; an empty list lifts the restriction.
	AllowedHosts *[]string
}

// UpdateAsset changes an asset. Needs Assets.Edit on its folder. A new
// value for an asset in an external store is written to the vault (a
// read-only store refuses); in the database store it is sealed anew.
//
// The vault is written before the database change, outside its
// transaction; the change then applies only if nobody changed the asset
// meanwhile (conflict otherwise), and the vault keeps the value it was
// given either way, which is what the caller asked it to hold.
func (a *App) UpdateAsset(ctx context.Context, p *junction.Principal, id string, in UpdateAssetInput) (*AssetView, error) {
	cur, err := a.assetFor(ctx, a.store, p, id, junction.PermAssetsEdit)
	if err != nil {
		return nil, err
	}
	next := *cur
	var changed []string
	if in.Name != nil {
		name, err := cleanName("name", *in.Name)
		if err != nil {
			return nil, err
		}
		if name != next.Name {
			next.Name = name
			changed = append(changed, "name")
		}
	}
	if in.Description != nil {
		desc, err := cleanDescription("description", *in.Description)
		if err != nil {
			return nil, err
		}
		if desc != next.Description {
			next.Description = desc
			changed = append(changed, "description")
		}
	}
	if in.AllowedHosts != nil {
		hosts, err := allowedHosts(cur.Type, *in.AllowedHosts)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(hosts, next.AllowedHosts) {
			if widens(cur.AllowedHosts, hosts) {
				if err := a.mayWiden(ctx, p, cur); err != nil {
					return nil, err
				}
			}
			next.AllowedHosts = hosts
			changed = append(changed, "allowed_hosts")
		}
	}
	value, hasValue, err := assetValue(cur.Type, in.Value, in.Username, in.Password)
	if err != nil {
		return nil, err
	}
	var cfg *junction.CredentialStoreConfig
	if cur.Type.Sensitive() {
		if cfg, err = a.store.GetCredentialStore(ctx, cur.TenantID, cur.StoreID); err != nil {
			return nil, fmt.Errorf("credential store of asset %q: %w", cur.Name, err)
		}
	}
	external := cfg != nil && cfg.Type != junction.DatabaseStoreType
	if in.ExternalName != nil {
		if !external {
			return nil, junction.Invalid("external_name", "applies to assets in external stores only")
		}
		en, err := cleanExternalName(*in.ExternalName)
		if err != nil {
			return nil, err
		}
		if err := a.checkExternalName(cfg, en); err != nil {
			return nil, err
		}
		if en != next.ExternalName {
			next.ExternalName = en
			changed = append(changed, "external_name")
		}
	}
	if external && (next.ExternalName != cur.ExternalName || !slices.Equal(next.AllowedHosts, cur.AllowedHosts)) {
		// Pointing at another secret without giving its value refers to
		// what is already there, like a new asset would.
		if err := a.checkReference(ctx, p, cfg, &next, next.ExternalName == cur.ExternalName || hasValue); err != nil {
			return nil, err
		}
		if err := a.checkSharedSecret(ctx, p, &next); err != nil {
			return nil, err
		}
	}
	var seal *junction.StoredSecret
	switch {
	case !hasValue:
	case !cur.Type.Sensitive():
		if v := value.Value.Reveal(); v != next.Value {
			next.Value = v
			changed = append(changed, "value")
		}
	case external:
		field := "value"
		if cur.Type == junction.AssetCredential {
			field = "password"
			if err := completeCredential(value); err != nil {
				return nil, err
			}
		}
		if cfg.ReadOnly {
			return nil, readOnlyStore(cfg, field)
		}
		if next.Name != cur.Name {
			if err := a.nameTaken(ctx, &next); err != nil {
				return nil, err
			}
		}
		if err := a.writeExternal(ctx, cfg, &next, value, field); err != nil {
			return nil, err
		}
		changed = append(changed, "value")
	default: // the database store
		merged := value
		if cur.Type == junction.AssetCredential && (in.Username == nil || in.Password == nil) {
			old, err := resolver.OpenDatabaseValue(ctx, a.store, a.keyring, cur)
			if err != nil && !junction.IsCode(err, junction.ECREDNOTFOUND) {
				return nil, err
			}
			if in.Username == nil {
				merged.Username = old.Username
			}
			if in.Password == nil {
				merged.Value = old.Value
			}
			if err := completeCredential(merged); err != nil {
				return nil, err
			}
		}
		seal = &merged
		changed = append(changed, "value")
	}
	if len(changed) == 0 {
		return assetView(cur), nil
	}

	err = a.tx(ctx, func(tx junction.Store) error {
		again, err := a.assetFor(ctx, tx, p, id, junction.PermAssetsEdit)
		if err != nil {
			return err
		}
		if !again.UpdatedAt.Equal(cur.UpdatedAt) {
			return junction.Errorf(junction.ECONFLICT, "asset %q was changed while this update ran; read it again and retry", cur.Name)
		}
		if seal != nil {
			if err := a.sealAssetValue(ctx, tx, &next, *seal); err != nil {
				return err
			}
		}
		next.UpdatedAt = a.now()
		if err := tx.UpdateAsset(ctx, &next); err != nil {
			if junction.IsCode(err, junction.ECONFLICT) {
				return assetNameConflict(next.Name)
			}
			return err
		}
		return a.audit(ctx, tx, p, "asset.update", "asset", next.ID, next.FolderID, map[string]any{
			"name": next.Name, "type": string(next.Type), "store_id": next.StoreID,
			"external_name": next.ExternalName, "changed": changed, "allowed_hosts": auditHosts(next.AllowedHosts),
		})
	})
	if a.resolver != nil {
		a.resolver.Invalidate(cur)
		a.resolver.Invalidate(&next)
	}
	if err != nil {
		if external && hasValue {
			// The vault already holds the new value and the previous one
			// cannot be put back: Junction never held it (it is read only
			// to resolve, into a cache, not before a write), and writing
			// it back would be a second write that can fail too, or undo
			// a newer value written meanwhile. On KV v2 the previous value
			// is still there as an older version of the secret, which an
			// operator can roll back to; on other stores it is gone.
			a.log(ctx).LogAttrs(ctx, slog.LevelWarn, "asset not updated, but its credential store already holds the new value",
				slog.String("asset_id", cur.ID), slog.String("store", cfg.Name),
				slog.String("external_name", next.ExternalName), slog.String("cause", junction.ErrorCode(err)))
		}
		return nil, err
	}
	return assetView(&next), nil
}

// DeleteAsset deletes an asset. Needs Assets.Delete on its folder. A value
// sealed in the database store goes with it. In an external store that is
// not read-only, the secret is deleted from the vault too, unless another
// asset still refers to it; a read-only store is never touched.
func (a *App) DeleteAsset(ctx context.Context, p *junction.Principal, id string) error {
	cur, err := a.assetFor(ctx, a.store, p, id, junction.PermAssetsDelete)
	if err != nil {
		return err
	}
	externalDeleted := false
	if cur.Type.Sensitive() && cur.ExternalName != "" {
		cfg, err := a.store.GetCredentialStore(ctx, cur.TenantID, cur.StoreID)
		if err != nil {
			return fmt.Errorf("credential store of asset %q: %w", cur.Name, err)
		}
		if !cfg.ReadOnly {
			shared, err := a.externalNameShared(ctx, cur)
			if err != nil {
				return err
			}
			if !shared {
				if err := a.deleteExternal(ctx, cfg, cur); err != nil {
					return err
				}
				externalDeleted = true
			}
		}
	}
	err = a.tx(ctx, func(tx junction.Store) error {
		as, err := a.assetFor(ctx, tx, p, id, junction.PermAssetsDelete)
		if err != nil {
			return err
		}
		if err := tx.DeleteAsset(ctx, as.TenantID, as.ID); err != nil {
			return err
		}
		if as.SealedID != "" {
			if err := tx.DeleteSealed(ctx, as.TenantID, as.SealedID); err != nil && !junction.IsCode(err, junction.ENOTFOUND) {
				return err
			}
		}
		return a.audit(ctx, tx, p, "asset.delete", "asset", as.ID, as.FolderID, map[string]any{
			"name": as.Name, "type": string(as.Type), "store_id": as.StoreID, "external_name": as.ExternalName,
			"deleted_from_store": externalDeleted,
		})
	})
	if a.resolver != nil {
		a.resolver.Invalidate(cur)
	}
	return err
}

// externalNameShared reports whether another asset refers to the same
// secret of the same store, which deleting this one must then leave alone.
func (a *App) externalNameShared(ctx context.Context, as *junction.Asset) (bool, error) {
	shared := false
	err := a.eachAssetOfSecret(ctx, as, func(o *junction.Asset) bool {
		shared = kindOf(o.Type) == kindOf(as.Type)
		return !shared
	})
	return shared, err
}

// eachAssetOfSecret calls fn with every other asset of the tenant that
// refers to the same external secret as as (same store, same external
// name), until fn returns false.
func (a *App) eachAssetOfSecret(ctx context.Context, as *junction.Asset, fn func(*junction.Asset) bool) error {
	page := junction.Page{Limit: junction.MaxPageSize}
	for {
		list, err := a.store.ListAssets(ctx, as.TenantID, junction.AssetFilter{StoreID: as.StoreID, Page: page})
		if err != nil {
			return err
		}
		for _, o := range list {
			if o.ID != as.ID && o.ExternalName == as.ExternalName && !fn(o) {
				return nil
			}
		}
		if len(list) < page.Limit {
			return nil
		}
		page.After = list[len(list)-1].ID
	}
}

func (a *App) deleteExternal(ctx context.Context, cfg *junction.CredentialStoreConfig, as *junction.Asset) error {
	if err := a.needResolver(); err != nil {
		return err
	}
	s, err := a.resolver.Client(ctx, cfg)
	if err != nil {
		return err
	}
	ws, ok := s.(junction.WritableCredentialStore)
	if !ok {
		// A type that cannot write is always read-only; nothing to delete.
		return nil
	}
	err = ws.Delete(ctx, as.ExternalName)
	if err != nil && !junction.IsCode(err, junction.ECREDNOTFOUND) {
		return fmt.Errorf("delete asset %q from credential store %q: %w", as.Name, cfg.Name, err)
	}
	return nil
}

// ResolvedAsset is an asset's value: the one thing this package hands out
// that may hold a secret. Callers reveal it only to send it on.
type ResolvedAsset struct {
	Type junction.AssetType
	// Username is set for credential assets.
	Username string
	// Value is the password of a credential asset, and the value of every
	// other type.
	Value junction.Secret
}

// ResolveAsset returns an asset's value: from the resolver's one-hour cache
// for secret and credential assets, or read afresh from their store with
// refresh. Needs Assets.Resolve on the asset's folder.
//
// Every resolution of a visible asset is audited as asset.resolve with its
// outcome (success or the error code), never the value. The entry is
// written on its own, so failed resolutions are recorded too; when it
// cannot be written the value is not returned.
func (a *App) ResolveAsset(ctx context.Context, p *junction.Principal, id string, refresh bool) (*ResolvedAsset, error) {
	as, err := a.assetFor(ctx, a.store, p, id, "")
	if err != nil {
		return nil, err
	}
	out, err := a.resolveVisible(ctx, p, as, refresh)
	details := map[string]any{"name": as.Name, "type": string(as.Type), "refresh": refresh}
	if as.StoreID != "" {
		details["store_id"] = as.StoreID
	}
	if as.ExternalName != "" {
		details["external_name"] = as.ExternalName
	}
	outcome := outcomeSuccess
	if err != nil {
		outcome = junction.ErrorCode(err)
	}
	entry := &junction.AuditEntry{
		ID: junction.NewID(), TenantID: p.TenantID(), At: a.now(), ActorID: p.User.ID, ActorName: p.User.Name,
		Action: "asset.resolve", ObjectType: "asset", ObjectID: as.ID, FolderID: as.FolderID,
		IP: p.IP, RequestID: p.RequestID, Outcome: outcome, Details: details,
	}
	if aerr := a.store.AppendAudit(ctx, entry); aerr != nil {
		a.log(ctx).LogAttrs(ctx, slog.LevelError, "audit asset resolution",
			slog.String("asset_id", as.ID), slog.Any("error", aerr))
		return nil, aerr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (a *App) resolveVisible(ctx context.Context, p *junction.Principal, as *junction.Asset, refresh bool) (*ResolvedAsset, error) {
	if _, err := a.folderFor(ctx, a.store, p, as.FolderID, junction.PermAssetsResolve); err != nil {
		return nil, err
	}
	if !as.Type.Sensitive() {
		return &ResolvedAsset{Type: as.Type, Value: junction.NewSecret(as.Value)}, nil
	}
	if err := a.needResolver(); err != nil {
		return nil, err
	}
	var v junction.StoredSecret
	var err error
	if refresh {
		v, _, err = a.resolver.Refresh(ctx, as)
	} else {
		v, err = a.resolver.Resolve(ctx, as)
	}
	if err != nil {
		return nil, fmt.Errorf("resolve asset %q: %w", as.Name, err)
	}
	return &ResolvedAsset{Type: as.Type, Username: v.Username, Value: v.Value}, nil
}
