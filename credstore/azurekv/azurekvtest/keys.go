package azurekvtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// The Key Vault keys API's wrapkey and unwrapkey operations, as Microsoft
// documents them: POST /keys/{name}/{version}/wrapkey (the version may be
// left out for the current one) with {"alg": "RSA-OAEP-256", "value":
// base64url}, answered {"kid": ".../keys/{name}/{version}", "value":
// base64url}. Keys are RSA, with versions.

type rsaVersion struct {
	version string
	key     *rsa.PrivateKey
}

// CreateKey creates an RSA key named name, or a new current version of it,
// as `az keyvault key create` does.
func (s *Server) CreateKey(name string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("azurekvtest: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[name] = append(s.keys[name], rsaVersion{version: newID(), key: key})
}

// DenyKeys makes every keys operation answer 403 Forbidden, as Key Vault
// does for an identity without the key permissions (or RBAC role).
func (s *Server) DenyKeys(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyKeys = deny
}

// KeyOperations counts accepted "wrapkey" or "unwrapkey" requests.
func (s *Server) KeyOperations(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyOps[op]
}

func (s *Server) serveKeyOperation(w http.ResponseWriter, r *http.Request, name, version, op string) {
	s.mu.Lock()
	deny := s.denyKeys
	versions := s.keys[name]
	s.mu.Unlock()
	if deny {
		vaultError(w, http.StatusForbidden, "Forbidden",
			"Caller is not authorized to perform action on resource. If role assignments, deny assignments or role definitions were changed recently, please observe propagation time. Action: 'Microsoft.KeyVault/vaults/keys/"+op+"/action'")
		return
	}
	var kv *rsaVersion
	for i := range versions {
		if versions[i].version == version || (version == "" && i == len(versions)-1) {
			kv = &versions[i]
		}
	}
	if kv == nil {
		vaultError(w, http.StatusNotFound, "KeyNotFound",
			fmt.Sprintf("A key with (name/id) %s (version %s) was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.", name, version))
		return
	}
	var in struct {
		Alg   string `json:"alg"`
		Value string `json:"value"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &in); err != nil {
		vaultError(w, http.StatusBadRequest, "BadParameter", "The request body is not valid JSON.")
		return
	}
	if in.Alg != "RSA-OAEP-256" {
		vaultError(w, http.StatusBadRequest, "BadParameter", fmt.Sprintf("Algorithm %q is not supported by this test server.", in.Alg))
		return
	}
	value, err := base64.RawURLEncoding.DecodeString(in.Value)
	if err != nil {
		vaultError(w, http.StatusBadRequest, "BadParameter", "Property 'value' is not base64url.")
		return
	}
	var out []byte
	if op == "wrapkey" {
		out, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, &kv.key.PublicKey, value, nil)
	} else {
		out, err = rsa.DecryptOAEP(sha256.New(), rand.Reader, kv.key, value, nil)
	}
	if err != nil {
		vaultError(w, http.StatusBadRequest, "BadParameter", "The parameter is incorrect.")
		return
	}
	s.mu.Lock()
	s.keyOps[op]++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"kid":   fmt.Sprintf("https://%s/keys/%s/%s", VaultHost, name, kv.version),
		"value": base64.RawURLEncoding.EncodeToString(out),
	})
}
