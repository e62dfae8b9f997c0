package vaulttest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The Transit secrets engine, as Vault documents it: POST
// /v1/<mount>/encrypt/<name> takes base64 "plaintext" and answers
// "ciphertext" as "vault:v<version>:<base64>"; /decrypt/<name> reverses
// it. Keys are AES-256-GCM with versions, like Vault's default key type.

type transitKey struct {
	versions []cipher.AEAD // version n is versions[n-1]
}

// EnableTransit mounts a Transit secrets engine at mount (New mounts one at
// "transit").
func (s *Server) EnableTransit(mount string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.transit == nil {
		s.transit = map[string]map[string]*transitKey{}
	}
	s.transit[clean(mount)] = map[string]*transitKey{}
}

// CreateTransitKey creates an encryption key named name in the Transit
// mount, as `vault write -f <mount>/keys/<name>` does.
func (s *Server) CreateTransitKey(mount, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.transit[clean(mount)]
	if m == nil {
		panic("vaulttest: no Transit mount " + mount)
	}
	m[name] = &transitKey{versions: []cipher.AEAD{newAEAD()}}
}

// RotateTransitKey adds a new version to a Transit key, as `vault write -f
// <mount>/keys/<name>/rotate` does: new encryptions use it, older
// ciphertexts still decrypt.
func (s *Server) RotateTransitKey(mount, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.transit[clean(mount)][name]
	if k == nil {
		panic("vaulttest: no Transit key " + name)
	}
	k.versions = append(k.versions, newAEAD())
}

// TransitRequests counts encrypt or decrypt requests ("encrypt",
// "decrypt") for the key name that got past authentication.
func (s *Server) TransitRequests(op, name string) int { return s.count("transit " + op + " " + name) }

func newAEAD() cipher.AEAD {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	return aead
}

// transitRoute recognises [ns/]<mount>/encrypt/<name> and .../decrypt/<name>.
// Callers hold s.mu.
func (s *Server) transitRoute(path string) (keys map[string]*transitKey, op, name string, ok bool) {
	for _, op := range []string{"/encrypt/", "/decrypt/"} {
		i := strings.LastIndex(path, op)
		if i <= 0 {
			continue
		}
		if m, found := s.transit[path[:i]]; found {
			return m, strings.Trim(op, "/"), path[i+len(op):], true
		}
	}
	return nil, "", "", false
}

func (s *Server) serveTransit(w http.ResponseWriter, r *http.Request, keys map[string]*transitKey, op, name string, body []byte) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		writeErrors(w, http.StatusMethodNotAllowed)
		return
	}
	s.counts["transit "+op+" "+name]++
	var in struct {
		Plaintext  string `json:"plaintext"`
		Ciphertext string `json:"ciphertext"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		writeErrors(w, http.StatusBadRequest, "failed to parse JSON input")
		return
	}
	k := keys[name]
	if k == nil {
		if op == "encrypt" {
			// Vault would create the key on first encrypt when the policy
			// allows; Junction's policy should not, so this server never does.
			writeErrors(w, http.StatusForbidden, "permission denied")
			return
		}
		writeErrors(w, http.StatusBadRequest, "encryption key not found")
		return
	}
	switch op {
	case "encrypt":
		pt, err := base64.StdEncoding.DecodeString(in.Plaintext)
		if err != nil {
			writeErrors(w, http.StatusBadRequest, "failed to base64-decode plaintext")
			return
		}
		v := len(k.versions)
		aead := k.versions[v-1]
		nonce := make([]byte, aead.NonceSize())
		_, _ = rand.Read(nonce)
		ct := aead.Seal(nonce, nonce, pt, nil)
		writeJSON(w, http.StatusOK, map[string]any{"request_id": newID(), "data": map[string]any{
			"ciphertext":  fmt.Sprintf("vault:v%d:%s", v, base64.StdEncoding.EncodeToString(ct)),
			"key_version": v,
		}})
	case "decrypt":
		rest, ok := strings.CutPrefix(in.Ciphertext, "vault:v")
		ver, b64, ok2 := strings.Cut(rest, ":")
		v, err := strconv.Atoi(ver)
		if !ok || !ok2 || err != nil || v < 1 {
			writeErrors(w, http.StatusBadRequest, "invalid ciphertext: no prefix")
			return
		}
		if v > len(k.versions) {
			writeErrors(w, http.StatusBadRequest, "invalid key version")
			return
		}
		ct, err := base64.StdEncoding.DecodeString(b64)
		aead := k.versions[v-1]
		if err != nil || len(ct) < aead.NonceSize() {
			writeErrors(w, http.StatusBadRequest, "invalid ciphertext: unable to decode")
			return
		}
		pt, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], nil)
		if err != nil {
			writeErrors(w, http.StatusBadRequest, "cipher: message authentication failed")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"request_id": newID(), "data": map[string]any{
			"plaintext": base64.StdEncoding.EncodeToString(pt),
		}})
	}
}
