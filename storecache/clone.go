package storecache

import (
	"maps"
	"slices"

	"junction"
)

// Cached values are shared between requests, while the Store contract gives
// callers objects they own and may change. Every value is therefore copied
// deeply on the way in and on the way out. TestClonesAreDeep fills every
// field and fails if a copy still shares memory with its original, so a
// field added to one of these types cannot be forgotten here silently.

func clonePrincipal(p *junction.TokenPrincipal) *junction.TokenPrincipal {
	if p == nil {
		return nil
	}
	out := &junction.TokenPrincipal{
		Token:       cloneToken(p.Token),
		User:        clonePtr(p.User),
		Assignments: slices.Clone(p.Assignments),
	}
	if p.Roles != nil {
		out.Roles = make(map[string]*junction.Role, len(p.Roles))
		for id, r := range p.Roles {
			out.Roles[id] = cloneRole(r)
		}
	}
	return out
}

func cloneToken(t *junction.Token) *junction.Token {
	if t == nil {
		return nil
	}
	c := *t
	c.Hash = slices.Clone(t.Hash)
	c.ExpiresAt = clonePtr(t.ExpiresAt)
	c.RevokedAt = clonePtr(t.RevokedAt)
	c.LastUsedAt = clonePtr(t.LastUsedAt)
	return &c
}

func cloneRole(r *junction.Role) *junction.Role {
	if r == nil {
		return nil
	}
	c := *r
	c.Permissions = slices.Clone(r.Permissions)
	return &c
}

func cloneConnection(cn *junction.Connection) *junction.Connection {
	if cn == nil {
		return nil
	}
	c := *cn
	if cn.Fields != nil {
		c.Fields = make(map[string]junction.FieldValue, len(cn.Fields))
		for k, v := range cn.Fields {
			v.Value = cloneJSON(v.Value)
			c.Fields[k] = v
		}
	}
	if cn.DebugUntil != nil {
		t := *cn.DebugUntil
		c.DebugUntil = &t
	}
	return &c
}

func cloneFolder(f *junction.Folder) *junction.Folder {
	if f == nil {
		return nil
	}
	c := *f
	c.Path = slices.Clone(f.Path)
	return &c
}

func cloneAsset(a *junction.Asset) *junction.Asset {
	if a == nil {
		return nil
	}
	c := *a
	c.AllowedHosts = slices.Clone(a.AllowedHosts)
	return &c
}

func cloneCredentialStore(s *junction.CredentialStoreConfig) *junction.CredentialStoreConfig {
	if s == nil {
		return nil
	}
	c := *s
	c.Config = maps.Clone(s.Config)
	c.SecretKeys = slices.Clone(s.SecretKeys)
	c.AllowedHosts = slices.Clone(s.AllowedHosts)
	return &c
}

func cloneSealed(v *junction.SealedValue) *junction.SealedValue {
	if v == nil {
		return nil
	}
	c := *v
	c.WrappedKey = slices.Clone(v.WrappedKey)
	c.Nonce = slices.Clone(v.Nonce)
	c.Ciphertext = slices.Clone(v.Ciphertext)
	return &c
}

func cloneTrigger(t *junction.Trigger) *junction.Trigger {
	if t == nil {
		return nil
	}
	c := *t
	if t.Parameters != nil {
		c.Parameters = cloneJSON(t.Parameters).(map[string]any)
	}
	c.LastSuccessAt = clonePtr(t.LastSuccessAt)
	c.LastFailureAt = clonePtr(t.LastFailureAt)
	c.BaselineAt = clonePtr(t.BaselineAt)
	c.WebhookTokenHash = slices.Clone(t.WebhookTokenHash)
	c.PreviousWebhookTokenHash = slices.Clone(t.PreviousWebhookTokenHash)
	c.PreviousWebhookTokenExpiresAt = clonePtr(t.PreviousWebhookTokenExpiresAt)
	return &c
}

// cloneJSON copies a decoded JSON value: maps and slices deeply, scalars
// as they are.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneJSON(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = cloneJSON(x)
		}
		return s
	default:
		return v
	}
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
