// Package credjson is the one layout of a credential in vaults whose secrets
// are single values: the JSON object {"username": "...", "password": "..."}.
// Stores that hold one value per name share it so that an operator writes a
// credential the same way in each of them.
package credjson

import (
	"encoding/json"

	"junction"
)

// Parse reads a credential from value, the secret name in the store named
// store. Its errors never quote or wrap the value: JSON parse errors can
// carry a piece of it.
func Parse(store, name, value string) (junction.StoredSecret, error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(value), &obj) != nil {
		return junction.StoredSecret{}, notCredential(store, name, `its value is not a JSON object {"username","password"}`)
	}
	var user, pass string
	rawUser, hasUser := obj["username"]
	rawPass, hasPass := obj["password"]
	switch {
	case !hasUser || json.Unmarshal(rawUser, &user) != nil || user == "":
		return junction.StoredSecret{}, notCredential(store, name, `it has no "username" string`)
	case !hasPass || json.Unmarshal(rawPass, &pass) != nil:
		return junction.StoredSecret{}, notCredential(store, name, `it has no "password" string`)
	}
	return junction.StoredSecret{Username: user, Value: junction.NewSecret(pass)}, nil
}

// Encode returns v as the JSON object Parse reads.
func Encode(v junction.StoredSecret) string {
	b, _ := json.Marshal(struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}{v.Username, v.Value.Reveal()})
	return string(b)
}

func notCredential(store, name, why string) *junction.Error {
	return junction.Invalid("external_name", "secret %q in credential store %q is not a credential: %s", name, store, why)
}
