package awssmtest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// AWS KMS's Encrypt and Decrypt (JSON 1.1, X-Amz-Target
// TrentService.<Operation>, signed for the "kms" service), with symmetric
// keys the tests create. A ciphertext blob names the key that made it, as
// AWS's do, so Decrypt works without a KeyId and refuses a KeyId that is not
// the blob's with IncorrectKeyException.

const kmsTargetPrefix = "TrentService."

type kmsKey struct {
	id       string
	arn      string
	aead     cipher.AEAD
	disabled bool
}

// CreateKMSKey creates a symmetric encryption key and, when alias is not
// empty, the alias "alias/<alias>" for it. It returns the key's ID.
func (s *Server) CreateKMSKey(alias string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	block, _ := aes.NewCipher(raw)
	aead, _ := cipher.NewGCM(block)
	id := newUUID()
	s.kmsKeys[id] = &kmsKey{id: id, arn: fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", Region, AccountID, id), aead: aead}
	if alias != "" {
		s.kmsAliases["alias/"+alias] = id
	}
	return id
}

// DisableKMSKey makes the key refuse every operation with
// DisabledException, as `aws kms disable-key` does.
func (s *Server) DisableKMSKey(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kmsKeys[id].disabled = true
}

// KMSCalls counts signed KMS requests for an operation ("Encrypt",
// "Decrypt").
func (s *Server) KMSCalls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kmsCalls[op]
}

type kmsRequest struct {
	KeyID             string `json:"KeyId"`
	Plaintext         []byte
	CiphertextBlob    []byte
	EncryptionContext map[string]string
}

func (s *Server) serveKMS(w http.ResponseWriter, op string, body []byte) {
	var in kmsRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "SerializationException", msg: "Start of structure or map found where not expected."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kmsCalls[op]++
	var (
		out  any
		aerr *apiError
	)
	switch op {
	case "Encrypt":
		out, aerr = s.kmsEncrypt(in)
	case "Decrypt":
		out, aerr = s.kmsDecrypt(in)
	default:
		aerr = &apiError{status: http.StatusBadRequest, typ: "UnknownOperationException", msg: ""}
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// kmsLookup resolves a key ID, key ARN, alias name or alias ARN; the caller
// holds s.mu.
func (s *Server) kmsLookup(ref string) (*kmsKey, *apiError) {
	if ref == "" {
		return nil, &apiError{status: http.StatusBadRequest, typ: "ValidationException", msg: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"}
	}
	id := ref
	if i := strings.Index(ref, ":alias/"); i >= 0 {
		id = s.kmsAliases[ref[i+1:]]
	} else if strings.HasPrefix(ref, "alias/") {
		id = s.kmsAliases[ref]
	} else if i := strings.Index(ref, ":key/"); i >= 0 {
		id = ref[i+len(":key/"):]
	}
	k := s.kmsKeys[id]
	if k == nil {
		return nil, &apiError{status: http.StatusBadRequest, typ: "NotFoundException", msg: fmt.Sprintf("Key '%s' does not exist", ref)}
	}
	if k.disabled {
		return nil, &apiError{status: http.StatusBadRequest, typ: "DisabledException", msg: k.arn + " is disabled."}
	}
	return k, nil
}

func (s *Server) kmsEncrypt(in kmsRequest) (any, *apiError) {
	k, aerr := s.kmsLookup(in.KeyID)
	if aerr != nil {
		return nil, aerr
	}
	if len(in.Plaintext) == 0 || len(in.Plaintext) > 4096 {
		return nil, &apiError{status: http.StatusBadRequest, typ: "ValidationException", msg: "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and 4096"}
	}
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	blob := append([]byte(k.id), nonce...)
	blob = k.aead.Seal(blob, nonce, in.Plaintext, encryptionContext(in.EncryptionContext))
	return map[string]any{"CiphertextBlob": blob, "KeyId": k.arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil
}

func (s *Server) kmsDecrypt(in kmsRequest) (any, *apiError) {
	invalid := &apiError{status: http.StatusBadRequest, typ: "InvalidCiphertextException", msg: ""}
	const idLen = 36
	if len(in.CiphertextBlob) < idLen+12 {
		return nil, invalid
	}
	k, aerr := s.kmsLookup(string(in.CiphertextBlob[:idLen]))
	if aerr != nil {
		if aerr.typ == "NotFoundException" {
			return nil, invalid
		}
		return nil, aerr
	}
	if in.KeyID != "" {
		want, aerr := s.kmsLookup(in.KeyID)
		if aerr != nil {
			return nil, aerr
		}
		if want != k {
			return nil, &apiError{status: http.StatusBadRequest, typ: "IncorrectKeyException",
				msg: "The key ID in the request does not identify a CMK that can perform this operation."}
		}
	}
	rest := in.CiphertextBlob[idLen:]
	ns := k.aead.NonceSize()
	pt, err := k.aead.Open(nil, rest[:ns], rest[ns:], encryptionContext(in.EncryptionContext))
	if err != nil {
		return nil, invalid
	}
	return map[string]any{"Plaintext": pt, "KeyId": k.arn, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}, nil
}

// encryptionContext is the additional authenticated data an encryption
// context stands for: the same pairs, in any order, give the same bytes.
func encryptionContext(m map[string]string) []byte {
	b, _ := json.Marshal(m) // encoding/json sorts map keys
	return b
}
