package connector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"junction"
)

// AWS Signature Version 4 covers the time and a hash of the body, so a
// request is signed when it is sent, once per attempt, rather than when it is
// built: a retry a few seconds later, or a rebuilt page of a list, carries a
// signature of its own. The builder only gathers what signing needs.

// awsSigning is what a request needs to sign itself: the key pair, the
// optional session token, and the credential scope.
type awsSigning struct {
	accessKeyID  string
	secret       junction.Secret
	sessionToken junction.Secret
	region       string
	service      string
}

// awsNameRE is what a region or a signing name may hold: they become part
// of the credential scope and, for the region, usually of the host.
var awsNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// applyAWSSigV4 checks and fills the scheme's values; the request is signed
// by the function Signer returns.
func (c *connection) applyAWSSigV4(r *Request) error {
	a := c.auth
	value := func(attr, tmpl, def string, required bool) (string, error) {
		if tmpl == "" {
			tmpl = def
		}
		v, missing := fillTemplate(tmpl, c.value)
		if len(missing) > 0 || v == "" {
			if !required {
				return "", nil
			}
			return "", junction.Invalid(fieldOf(tmpl, "auth."+attr), "is required")
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return "", junction.Invalid(fieldOf(tmpl, "auth."+attr), "must not contain line breaks")
		}
		return v, nil
	}
	akid, err := value("access_key_id", a.AccessKeyID, "{access_key_id}", true)
	if err != nil {
		return err
	}
	secret, err := value("secret_access_key", a.SecretAccessKey, "{secret_access_key}", true)
	if err != nil {
		return err
	}
	token := ""
	if a.SessionToken != "" || c.hasField("session_token") {
		if token, err = value("session_token", a.SessionToken, "{session_token}", false); err != nil {
			return err
		}
	}
	region, _ := fillTemplate(a.Region, c.public)
	if !awsNameRE.MatchString(region) {
		return junction.Invalid(fieldOf(a.Region, "auth.region"), "must be an AWS region such as us-east-1")
	}
	service, _ := fillTemplate(a.Service, c.public)
	if !awsNameRE.MatchString(service) {
		return junction.Invalid(fieldOf(a.Service, "auth.service"), "must be an AWS service's signing name such as ses")
	}
	r.sigv4 = &awsSigning{
		accessKeyID:  akid,
		secret:       junction.NewSecret(secret),
		sessionToken: junction.NewSecret(token),
		region:       region,
		service:      service,
	}
	return nil
}

func (c *connection) hasField(name string) bool {
	_, ok := formField(c.d, c.auth, name)
	return ok
}

// Signer returns the function that signs one attempt of the request at the
// given time, or nil when its auth scheme signs nothing at send time. The
// sender calls it on its own copy of the request (the *http.Request from
// HTTPRequest) before every attempt, after any header it adds that is to be
// signed; it adds Authorization, X-Amz-Date and, with temporary
// credentials, X-Amz-Security-Token.
func (r *Request) Signer() func(*http.Request, time.Time) error {
	if r.sigv4 == nil {
		return nil
	}
	return r.sigv4.sign
}

func (s *awsSigning) sign(hr *http.Request, now time.Time) error {
	body := []byte{}
	if hr.GetBody != nil {
		rc, err := hr.GetBody()
		if err != nil {
			return junction.Internal(fmt.Errorf("read request body to sign: %w", err))
		}
		body, err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return junction.Internal(fmt.Errorf("read request body to sign: %w", err))
		}
	} else if hr.Body != nil && hr.Body != http.NoBody {
		// Only requests from HTTPRequest are signed, and they can replay.
		return junction.Internal(fmt.Errorf("sign %s request for %s: the body cannot be read twice", hr.Method, hr.URL.Host))
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{
		AccessKeyID:     s.accessKeyID,
		SecretAccessKey: s.secret.Reveal(),
		SessionToken:    s.sessionToken.Reveal(),
	}
	// A signer of its own each time: the SDK's signer caches derived keys
	// by region, service and access key ID alone, so a shared one would
	// sign a connection holding someone else's key ID with the other's
	// secret.
	err := v4.NewSigner().SignHTTP(context.Background(), creds, hr, hex.EncodeToString(sum[:]), s.service, s.region, now)
	if err != nil {
		// The SDK's errors do not carry the key, but say nothing of it anyway.
		return junction.Internal(fmt.Errorf("sign %s request for %s with AWS Signature Version 4", hr.Method, hr.URL.Host))
	}
	return nil
}

// awsSigV4 checks an aws_sigv4 scheme: the credentials may name any field
// (the secret key usually a secret one, from a credential asset), the
// region and service only public ones.
func (v *validator) awsSigV4(p string, a *Auth, anyField, publicField func(string) string) {
	tmpl := func(attr, value, def string) {
		if value == "" {
			value = def
		}
		v.checkTemplate(p+"."+attr, value, anyField)
	}
	tmpl("access_key_id", a.AccessKeyID, "{access_key_id}")
	tmpl("secret_access_key", a.SecretAccessKey, "{secret_access_key}")
	if a.SessionToken != "" {
		tmpl("session_token", a.SessionToken, "")
	}
	for _, attr := range []struct{ name, value string }{{"region", a.Region}, {"service", a.Service}} {
		if attr.value == "" {
			v.add(p+"."+attr.name, "is required")
			continue
		}
		v.checkTemplate(p+"."+attr.name, attr.value, publicField)
		if !strings.Contains(attr.value, "{") && !awsNameRE.MatchString(attr.value) {
			v.add(p+"."+attr.name, "must be lower-case letters, digits and '-'")
		}
	}
}
