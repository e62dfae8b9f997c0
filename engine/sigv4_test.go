package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"junction"
	"junction/credstore/credstoretest"
	"junction/engine"
)

// awsAPI stands in for an AWS JSON API: it signs each request again with
// the key pair it knows, at the request's own X-Amz-Date, and answers 403
// the way AWS does when the signatures differ.
type awsAPI struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	bodies []string
}

func newAWSAPI(t testing.TB, secret string) *awsAPI {
	a := &awsAPI{secret: secret}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		secret := a.secret
		a.bodies = append(a.bodies, string(body))
		a.mu.Unlock()
		if !awsSigned(r, body, "AKIAEXAMPLE", secret, "ses", "eu-west-1") {
			refuseAWSSignature(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"MessageId":"0100018f-example"}`)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// awsSigned tells whether r (whose body was read into body) carries the
// Signature Version 4 that AWS computes with the key pair, at the request's
// own X-Amz-Date.
func awsSigned(r *http.Request, body []byte, keyID, secret, service, region string) bool {
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return false
	}
	check := r.Clone(context.Background())
	check.Header.Del("Authorization")
	check.Header.Del("X-Amz-Date")
	check.Header.Del("User-Agent")
	check.Header.Del("Accept-Encoding")
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		check, hex.EncodeToString(sum[:]), service, region, at)
	return err == nil && check.Header.Get("Authorization") == r.Header.Get("Authorization")
}

// refuseAWSSignature answers as AWS does when the signatures differ.
func refuseAWSSignature(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", "InvalidSignatureException")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprint(w, `{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}`)
}

// A definition like amazon-ses but with its endpoint a field, so that the
// loopback server can stand in for AWS.
const awsLoopbackDef = `key: aws-loopback
display_name: AWS loopback
version: 1.0.0
base_url: "{endpoint}"
fields:
  - {name: endpoint, type: text, required: true}
auth:
  - type: aws_sigv4
    region: eu-west-1
    service: ses
    fields:
      - {name: access_key_id, type: text, required: true}
      - {name: secret_access_key, type: secret, required: true}
test: {path: /v2/email/account}
auth_failure:
  body:
    - status: [403]
      match: [{path: message, values: ["The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."]}]
activities:
  - name: send
    description: Sends an email.
    method: POST
    path: /v2/email/outbound-emails
    inputs:
      - {name: subject, type: string, required: true, description: The subject.}
    body: {Content: {Simple: {Subject: {Data: "{subject}"}}}}
`

// The secret access key comes from a credential asset in the vault; when
// it is rotated there and at AWS, the first request is refused, the engine
// reads the asset again and the request, signed with the new key, passes.
func TestExecuteAWSSigV4FromVault(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "aws-loopback.yaml"), []byte(awsLoopbackDef), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, fixtureOptions{extra: dir})
	const old, rotated = "old-secret/AAAA+example", "new-secret/BBBB+example"
	api := newAWSAPI(t, old)
	f.trust(api.srv)
	cred := f.vaultAsset(t, "aws-ses", junction.AssetCredential, map[string]string{"username": "AKIAEXAMPLE", "password": old})
	conn := f.connection(t, "aws-loopback", "aws_sigv4", map[string]junction.FieldValue{
		"endpoint":          {Value: api.srv.URL},
		"access_key_id":     {Value: "AKIAEXAMPLE"},
		"secret_access_key": {AssetID: cred.ID, Part: "password"},
	}, nil)
	send := engine.ExecuteRequest{Connection: conn, Caller: "user-1", Activity: "send", Input: map[string]any{"subject": "Hello"}}

	res, err := f.eng.Execute(f.ctx, send)
	if err != nil || res.Attempts != 1 {
		t.Fatalf("first send: %+v %v", res, err)
	}
	f.clock.Advance(time.Minute)
	f.vault.Put("secret/apps/aws-ses", map[string]string{"username": "AKIAEXAMPLE", "password": rotated})
	api.mu.Lock()
	api.secret = rotated
	api.mu.Unlock()
	res, err = f.eng.Execute(f.ctx, send)
	if err != nil || res.Attempts != 2 {
		t.Fatalf("after rotation: %+v %v", res, err)
	}
	for _, e := range f.executions(t) {
		credstoretest.AssertNoLeak(t, "execution record", mustJSON(t, e), junction.NewSecret(old), junction.NewSecret(rotated))
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	for _, b := range api.bodies {
		if strings.Contains(b, "secret") {
			t.Errorf("a body sent to AWS holds the key: %s", b)
		}
	}
}
