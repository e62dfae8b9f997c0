// Package awssm is the aws-secrets-manager credential store: it reads and
// writes AWS Secrets Manager secrets with the AWS SDK, signing requests with
// a configured access key or the SDK's default credential chain.
package awssm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"junction"
	"junction/credstore/storehttp"
)

// TypeName is the store type's registered name.
const TypeName = "aws-secrets-manager"

// Configuration keys.
const (
	keyRegion          = "region"
	keyAccessKeyID     = "access_key_id"
	keySecretAccessKey = "secret_access_key"
	keySessionToken    = "session_token"
	keyEndpoint        = "endpoint"
	keyCACert          = "ca_cert"
)

var configKeys = []junction.ConfigKey{
	{Name: keyRegion, Required: true, Help: "The AWS region of the secrets, such as eu-central-1."},
	{Name: keyAccessKeyID, Help: "The access key ID Junction signs with. Leave it and secret_access_key empty to use the default credential chain (environment, shared config, web identity, container or instance role)."},
	{Name: keySecretAccessKey, Secret: true, Required: true, Help: "The secret access key; required with access_key_id."},
	{Name: keySessionToken, Secret: true, Help: "The session token of temporary credentials."},
	{Name: keyEndpoint, Help: "A custom endpoint such as a VPC interface endpoint, https://vpce-....secretsmanager.eu-central-1.vpce.amazonaws.com."},
	{Name: keyCACert, Help: "PEM of the CA that issued the endpoint's certificate, when not a public CA (TLS-inspecting proxies)."},
}

var (
	region = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	// secretID is a secret's name (letters, digits and /_+=.@-) or its ARN.
	secretID = regexp.MustCompile(`^([A-Za-z0-9/_+=.@-]{1,512}|arn:[A-Za-z0-9/_+=.@:-]+)$`)
)

// Retry sets how often a failed request (throttled, 5xx, unreachable) is
// tried again. The zero value is the production policy.
type Retry struct {
	// MaxRetries is the number of retries after the first try; below zero
	// means none.
	MaxRetries int
	// MaxDelay caps the jittered exponential back-off between tries.
	MaxDelay time.Duration
}

// The production policy is the SDK's standard mode with a shorter cap: a
// read sits on the path of an automation run.
const (
	defaultMaxRetries = 2
	defaultMaxDelay   = 4 * time.Second
)

func (r Retry) retryer() aws.Retryer {
	if r.MaxRetries < 0 {
		return aws.NopRetryer{}
	}
	if r == (Retry{}) {
		r = Retry{MaxRetries: defaultMaxRetries, MaxDelay: defaultMaxDelay}
	}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = r.MaxRetries + 1
		if r.MaxDelay > 0 {
			o.MaxBackoff = r.MaxDelay
		}
	})
}

// Type is the aws-secrets-manager store type with the production retry
// policy.
func Type() junction.CredentialStoreType { return NewType(Retry{}) }

// NewType is the aws-secrets-manager store type with the given retry policy.
func NewType(r Retry) junction.CredentialStoreType {
	return junction.CredentialStoreType{
		Name:       TypeName,
		Writable:   true,
		ConfigKeys: configKeys,
		CheckName:  validateName,
		Choices: []junction.ConfigChoice{{Name: "authentication", Options: []junction.ConfigOption{
			{Keys: []string{keyAccessKeyID, keySecretAccessKey, keySessionToken}, Help: "an access key (session_token only for temporary credentials)"},
			{Keys: []string{}, Help: "the default credential chain: environment, shared config, web identity, container or instance role"},
		}}},
		Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
			return open(config, opts, r)
		},
	}
}

// Open validates config and returns a store with the production retry
// policy. It does not contact AWS.
func Open(config map[string]string, opts junction.CredentialStoreOptions) (*Store, error) {
	return open(config, opts, Retry{})
}

// Store is a live client of Secrets Manager in one region. It is safe for
// concurrent use.
//
// A credential asset is a secret whose SecretString is the JSON object
// {"username": "...", "password": "..."}, the layout the AWS console offers
// for "other type of secret". A secret asset is the whole SecretString,
// unless that is a JSON object with a "value" key, in which case it is that
// key's string, so a single value can sit beside other keys. Binary secrets
// are not read.
//
// Deleting a secret deletes it without a recovery window
// (ForceDeleteWithoutRecovery): Junction deletes an asset's secret only on an
// explicit, audited request, and a secret waiting out a window would keep its
// name from being written again for up to thirty days.
type Store struct {
	name string

	// newClient builds the client on first use: the default credential
	// chain reads files and environment, which Open must not depend on.
	newClient func(context.Context) (*secretsmanager.Client, error)
	mu        sync.Mutex
	client    *secretsmanager.Client
}

var (
	_ junction.CredentialStore         = (*Store)(nil)
	_ junction.WritableCredentialStore = (*Store)(nil)
)

func open(cfg map[string]string, opts junction.CredentialStoreOptions, r Retry) (*Store, error) {
	for k := range cfg {
		if !slices.ContainsFunc(configKeys, func(c junction.ConfigKey) bool { return c.Name == k }) {
			return nil, junction.Invalid(k, "is not a configuration key of %s stores (known keys: %s)", TypeName, knownKeys())
		}
	}
	reg := strings.TrimSpace(cfg[keyRegion])
	switch {
	case reg == "":
		return nil, junction.Invalid(keyRegion, "is required")
	case !region.MatchString(reg):
		return nil, junction.Invalid(keyRegion, "%q is not an AWS region such as eu-central-1", reg)
	}
	keyID, secretKey, token := strings.TrimSpace(cfg[keyAccessKeyID]), cfg[keySecretAccessKey], cfg[keySessionToken]
	switch {
	case keyID != "" && secretKey == "":
		return nil, junction.Invalid(keySecretAccessKey, "is required with access_key_id")
	case keyID == "" && secretKey != "":
		return nil, junction.Invalid(keyAccessKeyID, "is required with secret_access_key")
	case keyID == "" && token != "":
		return nil, junction.Invalid(keyAccessKeyID, "is required with session_token")
	}
	var endpoint *string
	if e := cfg[keyEndpoint]; e != "" {
		u, err := storehttp.ParseAddress(keyEndpoint, e, opts)
		if err != nil {
			return nil, err
		}
		endpoint = aws.String(u.String())
	}
	httpClient, err := storehttp.NewClient(opts, storehttp.TLS{CACertPEM: cfg[keyCACert], CAKey: keyCACert})
	if err != nil {
		return nil, err
	}
	smOpts := func(o *secretsmanager.Options) {
		o.Region = reg
		o.BaseEndpoint = endpoint
		o.HTTPClient = httpClient
		o.Retryer = r.retryer()
		o.AppID = "junction"
	}
	s := &Store{name: opts.Name}
	if keyID != "" {
		// Static keys need nothing from the environment, so the client is
		// hermetic: no shared config file or AWS_* variable changes it.
		creds := credentials.NewStaticCredentialsProvider(keyID, secretKey, token)
		s.newClient = func(context.Context) (*secretsmanager.Client, error) {
			return secretsmanager.New(secretsmanager.Options{Credentials: aws.NewCredentialsCache(creds)}, smOpts), nil
		}
		return s, nil
	}
	// Credential providers (STS, SSO, the instance metadata service) get a
	// client of their own, without the store's proxy and CA: the instance
	// metadata service must not be sent through the store's proxy. It is
	// guarded all the same, so the host's own role is used only when the
	// operator allows the metadata address with --store-allow.
	// The SDK's own buildable client is kept so that AWS_CA_BUNDLE still
	// applies. The SDK replaces its transport's DialContext when it sets
	// timeouts (the metadata client does), so the guard also sits in the
	// dialer's Control hook, which every copy keeps.
	ambient := awshttp.NewBuildableClient().
		WithTransportOptions(func(tr *http.Transport) { storehttp.Guard(tr, opts) }).
		WithDialerOptions(func(d *net.Dialer) { d.Control = storehttp.GuardControl(opts) })
	s.newClient = func(ctx context.Context) (*secretsmanager.Client, error) {
		awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(reg), config.WithHTTPClient(ambient))
		if err != nil {
			return nil, &junction.Error{Code: junction.ECREDSTOREAUTH, Err: errors.New("load default AWS configuration"),
				Message: fmt.Sprintf("credential store %q: the AWS shared configuration could not be loaded; check AWS_PROFILE and ~/.aws/config", s.name)}
		}
		return secretsmanager.NewFromConfig(awsCfg, smOpts, func(o *secretsmanager.Options) {
			o.Credentials = chainCredentials{o.Credentials}
		}), nil
	}
	return s, nil
}

// chainCredentials marks failures of the default credential chain so they
// can be told apart from the endpoint's answers.
type chainCredentials struct{ aws.CredentialsProvider }

type credentialsError struct{ err error }

func (e credentialsError) Error() string { return "retrieve AWS credentials: " + e.err.Error() }
func (e credentialsError) Unwrap() error { return e.err }

func (c chainCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if c.CredentialsProvider == nil {
		return aws.Credentials{}, credentialsError{errors.New("no credential provider")}
	}
	creds, err := c.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, credentialsError{err}
	}
	return creds, nil
}

func knownKeys() string {
	names := make([]string, len(configKeys))
	for i, c := range configKeys {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

func (s *Store) sm(ctx context.Context) (*secretsmanager.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		c, err := s.newClient(ctx)
		if err != nil {
			return nil, err
		}
		s.client = c
	}
	return s.client, nil
}

// Check signs a read of a secret that does not exist. AWS verifies the
// signature before anything else, so ResourceNotFoundException proves the
// endpoint, TLS and the credentials. AccessDeniedException proves them too:
// IAM policies are often scoped to a name prefix, and the probe's name is
// outside it; whether a given asset's secret is readable shows on its read.
func (s *Store) Check(ctx context.Context) error {
	c, err := s.sm(ctx)
	if err != nil {
		return err
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("junction-check-" + hex.EncodeToString(b))})
	var ae smithy.APIError
	if err == nil || errors.As(err, &ae) && (ae.ErrorCode() == "ResourceNotFoundException" || ae.ErrorCode() == "AccessDeniedException") {
		return nil
	}
	return s.fail("", err)
}

// Read fetches the current version (AWSCURRENT) of the secret name, which
// may be a name or an ARN.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	if err := validateName(name); err != nil {
		return junction.StoredSecret{}, err
	}
	if kind != junction.KindSecret && kind != junction.KindCredential {
		return junction.StoredSecret{}, junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	c, err := s.sm(ctx)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	var invalid *types.InvalidRequestException
	if errors.As(err, &invalid) && strings.Contains(invalid.ErrorMessage(), "marked for deletion") {
		// Waiting out its recovery window, the secret is gone for readers.
		return junction.StoredSecret{}, &junction.Error{Code: junction.ECREDNOTFOUND, Err: errors.New("secrets manager: InvalidRequestException (marked for deletion)"),
			Message: fmt.Sprintf("credential store %q has no secret named %q (it is scheduled for deletion)", s.name, name)}
	}
	if err != nil {
		return junction.StoredSecret{}, s.fail(name, err)
	}
	if out.SecretString == nil {
		return junction.StoredSecret{}, junction.Invalid("external_name", "secret %q in credential store %q is binary; Junction reads only SecretString", name, s.name)
	}
	if kind == junction.KindSecret {
		return junction.StoredSecret{Value: junction.NewSecret(secretValue(*out.SecretString))}, nil
	}
	return s.credential(name, *out.SecretString)
}

// secretValue applies the documented layout of a secret asset.
func secretValue(s string) string {
	if v, ok := valueKey(s); ok {
		return v
	}
	return s
}

// valueKey returns the string under "value" when s is a JSON object holding
// one.
func valueKey(s string) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) != nil {
		return "", false
	}
	var v string
	if raw, ok := obj["value"]; ok && json.Unmarshal(raw, &v) == nil {
		return v, true
	}
	return "", false
}

// credential parses a credential; parse errors are never wrapped, as they
// quote the value.
func (s *Store) credential(name, value string) (junction.StoredSecret, error) {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(value), &obj) != nil {
		return junction.StoredSecret{}, notCredential(name, s.name, `its SecretString is not a JSON object {"username","password"}`)
	}
	var user, pass string
	rawUser, hasUser := obj["username"]
	rawPass, hasPass := obj["password"]
	switch {
	case !hasUser || json.Unmarshal(rawUser, &user) != nil || user == "":
		return junction.StoredSecret{}, notCredential(name, s.name, `it has no "username" string`)
	case !hasPass || json.Unmarshal(rawPass, &pass) != nil:
		return junction.StoredSecret{}, notCredential(name, s.name, `it has no "password" string`)
	}
	return junction.StoredSecret{Username: user, Value: junction.NewSecret(pass)}, nil
}

func notCredential(name, store, why string) *junction.Error {
	return junction.Invalid("external_name", "secret %q in credential store %q is not a credential: %s", name, store, why)
}

// Write stores v as the new current version of name, creating the secret
// when it does not exist yet.
func (s *Store) Write(ctx context.Context, kind junction.SecretKind, name string, v junction.StoredSecret) error {
	if err := validateName(name); err != nil {
		return err
	}
	var value string
	switch kind {
	case junction.KindSecret:
		value = v.Value.Reveal()
		if _, ok := valueKey(value); ok {
			// Stored bare, this value would read back as its "value" key.
			b, _ := json.Marshal(map[string]string{"value": value})
			value = string(b)
		}
	case junction.KindCredential:
		if v.Username == "" {
			return junction.Invalid("username", "is required for a credential")
		}
		b, err := json.Marshal(struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}{v.Username, v.Value.Reveal()})
		if err != nil {
			return junction.Internal(errors.New("encode credential"))
		}
		value = string(b)
	default:
		return junction.Invalid("kind", "must be %q or %q", junction.KindSecret, junction.KindCredential)
	}
	c, err := s.sm(ctx)
	if err != nil {
		return err
	}
	// Updating is the common case; a new asset's secret is created on the
	// first write.
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) && !strings.HasPrefix(name, "arn:") {
		_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
		var exists *types.ResourceExistsException
		if errors.As(err, &exists) {
			// Created by someone else in between: write over it as asked.
			_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
		}
	}
	if err != nil {
		return s.fail(name, err)
	}
	return nil
}

// Delete deletes the secret name at once (see Store).
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := validateName(name); err != nil {
		return err
	}
	c, err := s.sm(ctx)
	if err != nil {
		return err
	}
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if err != nil {
		return s.fail(name, err)
	}
	return nil
}

func validateName(name string) error {
	if len(name) > 2048 || !secretID.MatchString(name) {
		return junction.Invalid("external_name",
			"%q is not a valid AWS Secrets Manager secret name or ARN: use up to 512 letters, digits and /_+=.@-", name)
	}
	return nil
}

// fail turns an SDK error for the secret name ("" for Check) into a junction
// error. Kept causes are rebuilt from the error code: the SDK's own messages
// repeat the request URL and AWS's messages may quote the secret's name.
func (s *Store) fail(name string, err error) error {
	var (
		credErr credentialsError
		ae      smithy.APIError
		re      *awshttp.ResponseError
		je      *junction.Error
	)
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	switch {
	case errors.As(err, &je):
		return je
	case errors.As(err, &credErr):
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: errors.New("default credential chain found no usable credentials"),
			Message: fmt.Sprintf("credential store %q: no AWS credentials were found (environment, shared config, web identity, container or instance role); set access_key_id and secret_access_key or give Junction a role", s.name)}
	case !errors.As(err, &ae):
		return storehttp.Unavailable(s.name, err)
	}
	code := ae.ErrorCode()
	cause := fmt.Errorf("secrets manager: %s (HTTP %d)", code, status)
	switch code {
	case "ResourceNotFoundException":
		if name != "" {
			return &junction.Error{Code: junction.ECREDNOTFOUND, Err: cause,
				Message: fmt.Sprintf("credential store %q has no secret named %q", s.name, name)}
		}
	case "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken":
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: cause,
			Message: fmt.Sprintf("credential store %q: AWS does not recognize the access key or session token (%s); check access_key_id and session_token", s.name, code)}
	case "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature", "IncompleteSignatureException", "MissingAuthenticationTokenException":
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: cause,
			Message: fmt.Sprintf("credential store %q: AWS refused the request signature (%s); check secret_access_key and this machine's clock", s.name, code)}
	case "AccessDeniedException", "AccessDenied", "DecryptionFailure":
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: cause,
			Message: fmt.Sprintf("credential store %q: AWS denied Junction's identity access (%s); allow secretsmanager:GetSecretValue (and PutSecretValue, CreateSecret, DeleteSecret when writing) and kms:Decrypt on the secret's key", s.name, code)}
	case "InvalidRequestException":
		if name != "" && strings.Contains(ae.ErrorMessage(), "deletion") {
			return &junction.Error{Code: junction.ECONFLICT, Err: cause,
				Message: fmt.Sprintf("credential store %q: secret %q is scheduled for deletion; restore it in AWS to use it again", s.name, name)}
		}
		return &junction.Error{Code: junction.EINVALID, Err: cause,
			Message: fmt.Sprintf("credential store %q rejected the request (%s)", s.name, code)}
	case "InvalidParameterException", "ValidationException", "LimitExceededException", "ResourceExistsException":
		return &junction.Error{Code: junction.EINVALID, Err: cause,
			Message: fmt.Sprintf("credential store %q rejected the request (%s)", s.name, code)}
	}
	return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: cause,
		Message: fmt.Sprintf("credential store %q is unavailable: AWS answered %s (HTTP %d)", s.name, code, status)}
}
