package storetest

import (
	"testing"

	"junction"
)

func sealedValue(tenantID, keyID string) *junction.SealedValue {
	return &junction.SealedValue{ID: junction.NewID(), TenantID: tenantID, KeyID: keyID,
		WrappedKey: randomHash(), Nonce: randomHash()[:12], Ciphertext: randomHash(), CreatedAt: base, UpdatedAt: base}
}

func wantSealed(t *testing.T, got, want *junction.SealedValue) {
	t.Helper()
	wantEqual(t, "id", got.ID, want.ID)
	wantEqual(t, "tenant", got.TenantID, want.TenantID)
	wantEqual(t, "key", got.KeyID, want.KeyID)
	wantBytes(t, "wrapped key", got.WrappedKey, want.WrappedKey)
	wantBytes(t, "nonce", got.Nonce, want.Nonce)
	wantBytes(t, "ciphertext", got.Ciphertext, want.Ciphertext)
	wantTime(t, "created", got.CreatedAt, want.CreatedAt)
}

func testSealed(t *testing.T, open Open) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		v := sealedValue(tn.ID, "k1")
		must(t, s.PutSealed(ctx, v))
		got, err := s.GetSealed(ctx, tn.ID, v.ID)
		must(t, err)
		wantSealed(t, got, v)

		// Put again replaces the value and keeps CreatedAt.
		v2 := sealedValue(tn.ID, "k2")
		v2.ID = v.ID
		v2.CreatedAt = base.Add(later)
		v2.UpdatedAt = base.Add(later)
		must(t, s.PutSealed(ctx, v2))
		wantTime(t, "created after replace", v2.CreatedAt, base)
		got, err = s.GetSealed(ctx, tn.ID, v.ID)
		must(t, err)
		wantSealed(t, got, v2)
		wantTime(t, "updated after replace", got.UpdatedAt, base.Add(later))

		must(t, s.DeleteSealed(ctx, tn.ID, v.ID))
		_, err = s.GetSealed(ctx, tn.ID, v.ID)
		wantCode(t, err, junction.ENOTFOUND)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		_, err := s.GetSealed(ctx, tn.ID, junction.NewID())
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.DeleteSealed(ctx, tn.ID, junction.NewID()), junction.ENOTFOUND)
		wantCode(t, s.RewrapSealed(ctx, junction.NewID(), "k1", randomHash(), "k2", randomHash()), junction.ENOTFOUND)
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		v := sealedValue(a.ID, "k1")
		must(t, s.PutSealed(ctx, v))
		_, err := s.GetSealed(ctx, b.ID, v.ID)
		wantCode(t, err, junction.ENOTFOUND)
		wantCode(t, s.DeleteSealed(ctx, b.ID, v.ID), junction.ENOTFOUND)
		// Putting tenant b's value under tenant a's ID must not overwrite it.
		hijack := sealedValue(b.ID, "k1")
		hijack.ID = v.ID
		if err := s.PutSealed(ctx, hijack); err == nil {
			t.Fatal("PutSealed replaced another tenant's value")
		}
		got, err := s.GetSealed(ctx, a.ID, v.ID)
		must(t, err)
		wantSealed(t, got, v)
	})

	t.Run("Rewrap", func(t *testing.T) {
		s := open(t)
		ctx := ctxFor(t)
		a, b := mustTenant(t, s, "a"), mustTenant(t, s, "b")
		var old []string
		for _, v := range []*junction.SealedValue{sealedValue(a.ID, "k1"), sealedValue(b.ID, "k1"), sealedValue(a.ID, "k0")} {
			must(t, s.PutSealed(ctx, v))
			old = append(old, v.ID)
		}
		current := sealedValue(a.ID, "k2")
		must(t, s.PutSealed(ctx, current))

		sealedIDs := func(vs []*junction.SealedValue) []string {
			return ids(vs, func(v *junction.SealedValue) string { return v.ID })
		}
		vs, err := s.ListSealedNotWrappedWith(ctx, "k2", 0)
		must(t, err)
		wantIDs(t, "not wrapped with k2", sealedIDs(vs), sorted(old...))
		vs, err = s.ListSealedNotWrappedWith(ctx, "k2", 2)
		must(t, err)
		wantIDs(t, "limit 2", sealedIDs(vs), sorted(old...)[:2])

		for _, v := range vs {
			wrapped := randomHash()
			must(t, s.RewrapSealed(ctx, v.ID, v.KeyID, v.WrappedKey, "k2", wrapped))
			got, err := s.GetSealed(ctx, v.TenantID, v.ID)
			must(t, err)
			wantEqual(t, "key after rewrap", got.KeyID, "k2")
			wantBytes(t, "wrapped key after rewrap", got.WrappedKey, wrapped)
			wantBytes(t, "ciphertext after rewrap", got.Ciphertext, v.Ciphertext)
			// A second rotation from the old key finds it moved on.
			wantCode(t, s.RewrapSealed(ctx, v.ID, v.KeyID, v.WrappedKey, "k3", randomHash()), junction.ECONFLICT)
			got, err = s.GetSealed(ctx, v.TenantID, v.ID)
			must(t, err)
			wantEqual(t, "key after stale rewrap", got.KeyID, "k2")
		}
		vs, err = s.ListSealedNotWrappedWith(ctx, "k2", 10)
		must(t, err)
		wantIDs(t, "left to rewrap", sealedIDs(vs), sorted(old...)[2:])
	})

	t.Run("RewrapAfterResealIsConflict", func(t *testing.T) {
		// A rotation reads a value, then the value is sealed again with a
		// new data key under the same (old) master key before the rotation
		// writes: the re-wrapped old data key must not replace the new one.
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		v := sealedValue(tn.ID, "k1")
		must(t, s.PutSealed(ctx, v))
		read, err := s.GetSealed(ctx, tn.ID, v.ID)
		must(t, err)

		resealed := sealedValue(tn.ID, "k1")
		resealed.ID = v.ID
		must(t, s.PutSealed(ctx, resealed))

		wantCode(t, s.RewrapSealed(ctx, read.ID, read.KeyID, read.WrappedKey, "k2", randomHash()), junction.ECONFLICT)
		got, err := s.GetSealed(ctx, tn.ID, v.ID)
		must(t, err)
		wantSealed(t, got, resealed)

		// Re-read, the rotation succeeds.
		wrapped := randomHash()
		must(t, s.RewrapSealed(ctx, got.ID, got.KeyID, got.WrappedKey, "k2", wrapped))
		got, err = s.GetSealed(ctx, tn.ID, v.ID)
		must(t, err)
		wantEqual(t, "key after rewrap", got.KeyID, "k2")
		wantBytes(t, "wrapped key after rewrap", got.WrappedKey, wrapped)
		wantBytes(t, "ciphertext after rewrap", got.Ciphertext, resealed.Ciphertext)
	})

	t.Run("DeletedWithOwner", func(t *testing.T) {
		// Sealed values are not foreign keys: deleting an asset or a
		// credential store deletes the value it points at, and only that.
		s := open(t)
		ctx := ctxFor(t)
		tn := mustTenant(t, s, "acme")
		f := mustFolder(t, s, tn.ID, nil, "F")
		assetValue, login, unrelated := sealedValue(tn.ID, "k1"), sealedValue(tn.ID, "k1"), sealedValue(tn.ID, "k1")
		for _, v := range []*junction.SealedValue{assetValue, login, unrelated} {
			must(t, s.PutSealed(ctx, v))
		}
		a := &junction.Asset{TenantID: tn.ID, FolderID: f.ID, Name: "token", Type: junction.AssetSecret, SealedID: assetValue.ID}
		must(t, s.CreateAsset(ctx, a))
		cs := mustCredStore(t, s, tn.ID, "Vault")
		cs.SealedID = login.ID
		must(t, s.UpdateCredentialStore(ctx, cs))

		must(t, s.DeleteAsset(ctx, tn.ID, a.ID))
		_, err := s.GetSealed(ctx, tn.ID, assetValue.ID)
		wantCode(t, err, junction.ENOTFOUND)
		must(t, s.DeleteCredentialStore(ctx, tn.ID, cs.ID))
		_, err = s.GetSealed(ctx, tn.ID, login.ID)
		wantCode(t, err, junction.ENOTFOUND)
		_, err = s.GetSealed(ctx, tn.ID, unrelated.ID)
		must(t, err)

		// An owner whose value is already gone deletes fine.
		b := &junction.Asset{TenantID: tn.ID, FolderID: f.ID, Name: "b", Type: junction.AssetSecret, SealedID: junction.NewID()}
		must(t, s.CreateAsset(ctx, b))
		must(t, s.DeleteAsset(ctx, tn.ID, b.ID))
	})
}
