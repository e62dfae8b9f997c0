// Package awssmtest runs, in process and over real TLS, the JSON protocols of
// AWS Secrets Manager and of AWS KMS's Encrypt and Decrypt as AWS documents
// them, verifying the Signature Version 4 of every request, so the
// aws-secrets-manager store and a master key held by AWS KMS are tested with
// the real AWS SDK.
package awssmtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"junction"
	"junction/credstore/credstoretest"
)

// The account and the one access key the server knows.
const (
	Region          = "eu-central-1"
	AccountID       = "123456789012"
	AccessKeyID     = "TESTJUNCTIONKEY00001"
	SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYJUNCTIONKEY"
)

// Server is the Secrets Manager endpoint. It is safe for concurrent use.
type Server struct {
	tls *credstoretest.TLSServer

	mu           sync.Mutex
	clock        junction.Clock
	secrets      map[string]*secret // by name
	reads        int
	requests     int
	rejectKey    bool
	sessionToken string
	denied       []string // name prefixes the caller may not touch
	failing      int
	kmsKeys      map[string]*kmsKey // by key ID
	kmsAliases   map[string]string  // "alias/<name>" -> key ID
	kmsCalls     map[string]int     // by operation
}

type secret struct {
	arn          string
	value        string
	version      string
	previous     *version
	created      time.Time
	deletionDate time.Time // zero unless scheduled for deletion
}

type version struct{ id, value string }

// New starts a server and stops it when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{clock: junction.SystemClock{}, secrets: map[string]*secret{},
		kmsKeys: map[string]*kmsKey{}, kmsAliases: map[string]string{}, kmsCalls: map[string]int{}}
	s.tls = credstoretest.NewTLSServer(tb, http.HandlerFunc(s.serve), credstoretest.TLSServerConfig{})
	return s
}

// URL is the endpoint, as configured in endpoint.
func (s *Server) URL() string { return s.tls.URL() }

// CACertPEM is the CA that issued the server's certificate, as configured in
// ca_cert.
func (s *Server) CACertPEM() string { return s.tls.CACertPEM() }

// Config is a complete aws-secrets-manager configuration for this server.
func (s *Server) Config() map[string]string {
	return map[string]string{
		"region":            Region,
		"access_key_id":     AccessKeyID,
		"secret_access_key": SecretAccessKey,
		"endpoint":          s.URL(),
		"ca_cert":           s.CACertPEM(),
	}
}

// Stop makes the endpoint refuse connections; Start brings it back on the
// same address.
func (s *Server) Stop()        { s.tls.Stop() }
func (s *Server) Start() error { return s.tls.Start() }

// SetClock sets the clock signatures are checked against (requests more than
// five minutes off are refused as expired).
func (s *Server) SetClock(c junction.Clock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = c
}

// RequireSessionToken makes the key pair temporary credentials that are only
// valid with token, as STS issues them. "" makes them long-term again.
func (s *Server) RequireSessionToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessionToken = token
}

// RejectKey makes the server answer UnrecognizedClientException for the
// access key, as AWS does once a key is deactivated or deleted.
func (s *Server) RejectKey(reject bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejectKey = reject
}

// Deny refuses every operation on secrets whose name starts with prefix
// with AccessDeniedException, as an IAM policy scoped elsewhere would.
func (s *Server) Deny(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = append(s.denied, prefix)
}

// FailWith makes every signed request fail with status (500 is
// InternalServiceError, others ServiceUnavailable) until FailWith(0).
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = status
}

// Put stores secretString as the current version of name, creating it if
// needed, as `aws secretsmanager put-secret-value` does.
func (s *Server) Put(name, secretString string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(name, secretString)
}

// PutCredential stores a credential in the layout the store reads.
func (s *Server) PutCredential(name, username, password string) {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	s.Put(name, string(b))
}

// Delete removes name at once, as a forced deletion does.
func (s *Server) Delete(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.secrets, name)
}

// Value returns the current SecretString of name, and whether name exists
// and is not scheduled for deletion.
func (s *Server) Value(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	if !ok || !sec.deletionDate.IsZero() {
		return "", false
	}
	return sec.value, true
}

// ScheduledForDeletion reports whether name is waiting out a recovery
// window.
func (s *Server) ScheduledForDeletion(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[name]
	return ok && !sec.deletionDate.IsZero()
}

// Reads counts GetSecretValue requests that passed signature checks.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Requests counts every request received, signed correctly or not.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Server) put(name, value string) *secret {
	sec, ok := s.secrets[name]
	if !ok {
		sec = &secret{arn: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", Region, AccountID, name, randomSuffix()), created: s.clock.Now()}
		s.secrets[name] = sec
	} else {
		sec.previous = &version{id: sec.version, value: sec.value}
	}
	sec.value, sec.version = value, newUUID()
	return sec
}

// apiError is an error of the AWS JSON 1.1 protocol.
type apiError struct {
	status int
	typ    string
	msg    string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	now, failing := s.clock.Now(), s.failing
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		writeError(w, &apiError{status: http.StatusNotFound, typ: "UnknownOperationException", msg: ""})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "SerializationException", msg: "could not read the request body"})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	signingName := "secretsmanager"
	if strings.HasPrefix(target, kmsTargetPrefix) {
		signingName = "kms"
	}
	if aerr := s.verifySignature(r, body, now, signingName); aerr != nil {
		writeError(w, aerr)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "SerializationException", msg: "Content-Type must be application/x-amz-json-1.1, not " + ct})
		return
	}
	if failing != 0 {
		typ := "ServiceUnavailable"
		if failing == http.StatusInternalServerError {
			typ = "InternalServiceError"
		}
		writeError(w, &apiError{status: failing, typ: typ, msg: "An error occurred on the server side."})
		return
	}
	if op, ok := strings.CutPrefix(target, kmsTargetPrefix); ok {
		s.serveKMS(w, op, body)
		return
	}
	op, ok := strings.CutPrefix(target, "secretsmanager.")
	if !ok {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "UnknownOperationException", msg: ""})
		return
	}
	var in request
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "SerializationException", msg: "Start of structure or map found where not expected."})
		return
	}
	var (
		out  any
		aerr *apiError
	)
	switch op {
	case "GetSecretValue":
		s.mu.Lock()
		s.reads++
		s.mu.Unlock()
		out, aerr = s.getSecretValue(op, in)
	case "CreateSecret":
		out, aerr = s.createSecret(op, in)
	case "PutSecretValue":
		out, aerr = s.putSecretValue(op, in)
	case "DeleteSecret":
		out, aerr = s.deleteSecret(op, in, now)
	case "RestoreSecret":
		out, aerr = s.restoreSecret(op, in)
	default:
		aerr = &apiError{status: http.StatusBadRequest, typ: "UnknownOperationException", msg: ""}
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// request holds the members of every supported operation's input.
type request struct {
	SecretID                   string `json:"SecretId"`
	Name                       string
	SecretString               *string
	SecretBinary               []byte
	VersionID                  string `json:"VersionId"`
	VersionStage               string
	ClientRequestToken         string
	ForceDeleteWithoutRecovery bool
	RecoveryWindowInDays       *int64
}

// lookup finds a secret by name or ARN; the caller holds s.mu.
func (s *Server) lookup(op, id string) (string, *secret, *apiError) {
	if id == "" {
		return "", nil, invalidParameter("SecretId is required.")
	}
	if aerr := s.deny(op, id); aerr != nil {
		return "", nil, aerr
	}
	if sec, ok := s.secrets[id]; ok {
		return id, sec, nil
	}
	for name, sec := range s.secrets {
		if sec.arn == id {
			return name, sec, nil
		}
	}
	return "", nil, notFound()
}

func (s *Server) deny(op, name string) *apiError {
	for _, p := range s.denied {
		if strings.HasPrefix(name, p) {
			return &apiError{status: http.StatusBadRequest, typ: "AccessDeniedException", msg: fmt.Sprintf(
				"User: arn:aws:iam::%s:user/junction is not authorized to perform: secretsmanager:%s on resource: %s because no identity-based policy allows the secretsmanager:%s action",
				AccountID, op, name, op)}
		}
	}
	return nil
}

func (s *Server) getSecretValue(op string, in request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, sec, aerr := s.lookup(op, in.SecretID)
	if aerr != nil {
		return nil, aerr
	}
	if !sec.deletionDate.IsZero() {
		return nil, markedForDeletion()
	}
	id, value, stage := sec.version, sec.value, "AWSCURRENT"
	switch {
	case in.VersionStage == "AWSPREVIOUS" || (in.VersionID != "" && sec.previous != nil && in.VersionID == sec.previous.id):
		if sec.previous == nil {
			return nil, &apiError{status: http.StatusBadRequest, typ: "ResourceNotFoundException", msg: "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS"}
		}
		id, value, stage = sec.previous.id, sec.previous.value, "AWSPREVIOUS"
	case in.VersionID != "" && in.VersionID != sec.version,
		in.VersionStage != "" && in.VersionStage != "AWSCURRENT":
		return nil, &apiError{status: http.StatusBadRequest, typ: "ResourceNotFoundException", msg: "Secrets Manager can't find the specified secret value for VersionId or staging label."}
	}
	return map[string]any{
		"ARN":           sec.arn,
		"Name":          name,
		"VersionId":     id,
		"SecretString":  value,
		"VersionStages": []string{stage},
		"CreatedDate":   float64(sec.created.UnixMilli()) / 1000,
	}, nil
}

func (s *Server) createSecret(op string, in request) (any, *apiError) {
	if in.Name == "" {
		return nil, invalidParameter("Name is required.")
	}
	if in.SecretString == nil {
		return nil, invalidParameter("You must provide either SecretString or SecretBinary.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if aerr := s.deny(op, in.Name); aerr != nil {
		return nil, aerr
	}
	if sec, ok := s.secrets[in.Name]; ok {
		if !sec.deletionDate.IsZero() {
			return nil, invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		return nil, &apiError{status: http.StatusBadRequest, typ: "ResourceExistsException", msg: fmt.Sprintf("The operation failed because the secret %s already exists.", in.Name)}
	}
	sec := s.put(in.Name, *in.SecretString)
	return map[string]any{"ARN": sec.arn, "Name": in.Name, "VersionId": sec.version}, nil
}

func (s *Server) putSecretValue(op string, in request) (any, *apiError) {
	if in.SecretString == nil {
		return nil, invalidParameter("You must provide either SecretString or SecretBinary.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name, sec, aerr := s.lookup(op, in.SecretID)
	if aerr != nil {
		return nil, aerr
	}
	if !sec.deletionDate.IsZero() {
		return nil, markedForDeletion()
	}
	sec = s.put(name, *in.SecretString)
	return map[string]any{"ARN": sec.arn, "Name": name, "VersionId": sec.version, "VersionStages": []string{"AWSCURRENT"}}, nil
}

func (s *Server) deleteSecret(op string, in request, now time.Time) (any, *apiError) {
	if in.ForceDeleteWithoutRecovery && in.RecoveryWindowInDays != nil {
		return nil, invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	window := int64(30)
	if in.RecoveryWindowInDays != nil {
		window = *in.RecoveryWindowInDays
		if window < 7 || window > 30 {
			return nil, invalidParameter("RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	name, sec, aerr := s.lookup(op, in.SecretID)
	if aerr != nil {
		return nil, aerr
	}
	deletion := now
	if in.ForceDeleteWithoutRecovery {
		delete(s.secrets, name)
	} else {
		if !sec.deletionDate.IsZero() {
			return nil, markedForDeletion()
		}
		deletion = now.Add(time.Duration(window) * 24 * time.Hour)
		sec.deletionDate = deletion
	}
	return map[string]any{"ARN": sec.arn, "Name": name, "DeletionDate": float64(deletion.UnixMilli()) / 1000}, nil
}

func (s *Server) restoreSecret(op string, in request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, sec, aerr := s.lookup(op, in.SecretID)
	if aerr != nil {
		return nil, aerr
	}
	sec.deletionDate = time.Time{}
	return map[string]any{"ARN": sec.arn, "Name": name}, nil
}

func notFound() *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "ResourceNotFoundException", msg: "Secrets Manager can't find the specified secret."}
}

func markedForDeletion() *apiError {
	return invalidRequest("You can't perform this operation on the secret because it was marked for deletion.")
}

func invalidRequest(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "InvalidRequestException", msg: msg}
}

func invalidParameter(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "InvalidParameterException", msg: msg}
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.typ)
	body := map[string]string{"__type": e.typ}
	if e.msg != "" {
		body["Message"] = e.msg
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", newUUID())
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomSuffix is the six characters AWS appends to a secret's name in its
// ARN.
func randomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
