package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"junction"
)

// SealSecrets seals a connection's literal secret field values (field name
// to value) as one JSON object under sealedID, ready for Store.PutSealed;
// the connection then points at it with SecretsSealedID and marks each of
// those fields Set. The whole object is replaced when any secret changes.
func SealSecrets(k junction.Keyring, tenantID, sealedID string, secrets map[string]junction.Secret) (*junction.SealedValue, error) {
	plain := make(map[string]string, len(secrets))
	for name, s := range secrets {
		plain[name] = s.Reveal()
	}
	b, err := json.Marshal(plain)
	clear(plain)
	if err != nil {
		return nil, junction.Internal(err)
	}
	defer clear(b)
	return k.Seal(tenantID, sealedID, b)
}

// OpenSecrets reads and opens the literal secrets sealed by SealSecrets.
func OpenSecrets(ctx context.Context, st junction.SealedStore, k junction.Keyring, tenantID, sealedID string) (map[string]junction.Secret, error) {
	sv, err := st.GetSealed(ctx, tenantID, sealedID)
	if err != nil {
		return nil, fmt.Errorf("read connection secrets: %w", err)
	}
	b, err := k.Open(sv)
	if err != nil {
		return nil, junction.Internal(fmt.Errorf("open connection secrets: %w", err))
	}
	defer clear(b)
	var plain map[string]string
	if err := json.Unmarshal(b, &plain); err != nil {
		return nil, junction.Internal(fmt.Errorf("decode connection secrets: %w", err))
	}
	out := make(map[string]junction.Secret, len(plain))
	for name, v := range plain {
		out[name] = junction.NewSecret(v)
	}
	return out, nil
}
