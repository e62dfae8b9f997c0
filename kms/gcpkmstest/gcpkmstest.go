// Package gcpkmstest runs, in process and over real TLS, Google Cloud KMS's
// REST API for symmetric keys as Google documents it (POST
// /v1/{cryptoKey}:encrypt and :decrypt, with CRC32C checksums and
// google.rpc.Status errors), so a master key held by Cloud KMS is tested
// with Google's own client.
package gcpkmstest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"junction/credstore/credstoretest"
)

// AccessToken is the OAuth access token the server accepts, as
// GOOGLE_OAUTH_ACCESS_TOKEN.
const AccessToken = "ya29.junction-test-access-token"

// Server is the Cloud KMS endpoint. It is safe for concurrent use.
type Server struct {
	tls *credstoretest.TLSServer

	mu    sync.Mutex
	keys  map[string]*cryptoKey // by resource name
	deny  bool
	calls map[string]int
}

type cryptoKey struct {
	versions []cipher.AEAD // cryptoKeyVersions/n is versions[n-1]; the last is primary
}

// New starts a server and stops it when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{keys: map[string]*cryptoKey{}, calls: map[string]int{}}
	s.tls = credstoretest.NewTLSServer(tb, http.HandlerFunc(s.serve), credstoretest.TLSServerConfig{})
	return s
}

// URL is the endpoint, the gcpkms URL's endpoint parameter.
func (s *Server) URL() string { return s.tls.URL() }

// CACertPEM is the CA that issued the server's certificate.
func (s *Server) CACertPEM() string { return s.tls.CACertPEM() }

// KeyName is the resource name of a key in the server's one project,
// location and key ring.
func KeyName(key string) string {
	return "projects/junction-test/locations/europe-west1/keyRings/junction/cryptoKeys/" + key
}

// CreateKey creates the symmetric key KeyName(key), or a new primary
// version of it.
func (s *Server) CreateKey(key string) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	block, _ := aes.NewCipher(raw)
	aead, _ := cipher.NewGCM(block)
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[KeyName(key)]
	if k == nil {
		k = &cryptoKey{}
		s.keys[KeyName(key)] = k
	}
	k.versions = append(k.versions, aead)
}

// Deny makes every request fail with 403 PERMISSION_DENIED, as Cloud KMS
// does for a principal without roles/cloudkms.cryptoKeyEncrypterDecrypter.
func (s *Server) Deny(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = deny
}

// Calls counts accepted "encrypt" or "decrypt" requests.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// int64Value is a google.protobuf.Int64Value in JSON: a string, though a
// number is accepted.
type int64Value struct {
	v   int64
	set bool
}

func (i *int64Value) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	i.v, i.set = v, err == nil
	return err
}

func crc32c(b []byte) int64 { return int64(crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	name, op, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1/"), ":")
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/v1/") || !ok || (op != "encrypt" && op != "decrypt") {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", "The requested URL was not found on this server.")
		return
	}
	if tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); subtle.ConstantTimeCompare([]byte(tok), []byte(AccessToken)) != 1 {
		writeStatus(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	var in struct {
		Plaintext        []byte     `json:"plaintext"`
		Ciphertext       []byte     `json:"ciphertext"`
		PlaintextCrc32c  int64Value `json:"plaintextCrc32c"`
		CiphertextCrc32c int64Value `json:"ciphertextCrc32c"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(body, &in); err != nil {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deny {
		permission := map[string]string{"encrypt": "useToEncrypt", "decrypt": "useToDecrypt"}[op]
		writeStatus(w, http.StatusForbidden, "PERMISSION_DENIED",
			fmt.Sprintf("Permission 'cloudkms.cryptoKeyVersions.%s' denied on resource '%s' (or it may not exist).", permission, name))
		return
	}
	k := s.keys[name]
	if k == nil {
		writeStatus(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("CryptoKey %s not found.", name))
		return
	}
	s.calls[op]++
	if op == "encrypt" {
		if in.PlaintextCrc32c.set && in.PlaintextCrc32c.v != crc32c(in.Plaintext) {
			writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The checksum in field plaintext_crc32c did not match the data in field plaintext.")
			return
		}
		v := len(k.versions)
		aead := k.versions[v-1]
		nonce := make([]byte, aead.NonceSize())
		_, _ = rand.Read(nonce)
		ct := aead.Seal(append([]byte{byte(v)}, nonce...), nonce, in.Plaintext, []byte(name))
		writeJSON(w, map[string]any{
			"name":                    fmt.Sprintf("%s/cryptoKeyVersions/%d", name, v),
			"ciphertext":              ct,
			"ciphertextCrc32c":        strconv.FormatInt(crc32c(ct), 10),
			"verifiedPlaintextCrc32c": in.PlaintextCrc32c.set,
			"protectionLevel":         1, // SOFTWARE, as enum-encoding=int asks
		})
		return
	}
	if in.CiphertextCrc32c.set && in.CiphertextCrc32c.v != crc32c(in.Ciphertext) {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The checksum in field ciphertext_crc32c did not match the data in field ciphertext.")
		return
	}
	ct := in.Ciphertext
	if len(ct) < 1+12 || int(ct[0]) < 1 || int(ct[0]) > len(k.versions) {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.")
		return
	}
	aead := k.versions[int(ct[0])-1]
	pt, err := aead.Open(nil, ct[1:1+aead.NonceSize()], ct[1+aead.NonceSize():], []byte(name))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Decryption failed: the ciphertext is invalid.")
		return
	}
	writeJSON(w, map[string]any{
		"plaintext":       pt,
		"plaintextCrc32c": strconv.FormatInt(crc32c(pt), 10),
		"usedPrimary":     int(ct[0]) == len(k.versions),
		"protectionLevel": 1,
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// writeStatus writes a google.rpc.Status error as the REST API does.
func writeStatus(w http.ResponseWriter, code int, status, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}
