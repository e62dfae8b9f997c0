package kms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"junction"
	"junction/keyring"
)

// awsKey is an AWS KMS symmetric key, used through the TrentService.Encrypt
// and Decrypt operations. Credentials and, unless the URL names one, the
// region come from the SDK's default chain (environment, shared config,
// SSO, web identity, instance or container role).
type awsKey struct {
	client *awskms.Client
	keyID  string
	region string
}

var _ keyring.KeyWrapper = (*awsKey)(nil)

func openAWS(ctx context.Context, u *url.URL, opts Options) (*awsKey, error) {
	keyID := strings.TrimPrefix(u.Host+u.Path, "/")
	if keyID == "" {
		return nil, invalid("%s URL must name a key: awskms://alias/<name>?region=<region>, awskms://<key ID> or awskms:///<key ARN>", SchemeAWS)
	}
	q := u.Query()
	base, err := transport(opts, "")
	if err != nil {
		return nil, err
	}
	// The SDK's own client, so that AWS_CA_BUNDLE is honoured as the SDK
	// documents (added to the roots), on top of our TLS settings.
	hc := awshttp.NewBuildableClient().WithTimeout(requestTimeout).WithTransportOptions(func(tr *http.Transport) {
		tr.TLSClientConfig = base.TLSClientConfig.Clone()
		tr.Proxy = base.Proxy
		if base.DialContext != nil {
			tr.DialContext = base.DialContext
		}
	})
	loadOpts := []func(*awsconfig.LoadOptions) error{awsconfig.WithHTTPClient(hc)}
	if r := q.Get("region"); r != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(r))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, invalid("AWS configuration for the master key's KMS: %v", err)
	}
	if cfg.Region == "" {
		return nil, invalid("%s URL needs ?region=<region> (or AWS_REGION)", SchemeAWS)
	}
	endpoint := q.Get("endpoint")
	if endpoint != "" {
		eu, err := url.Parse(endpoint)
		if err != nil || eu.Scheme != "https" || eu.Host == "" || eu.User != nil {
			return nil, invalid("%s endpoint %q must be an https:// URL", SchemeAWS, redactURL(endpoint))
		}
	}
	client := awskms.NewFromConfig(cfg, func(o *awskms.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return &awsKey{client: client, keyID: keyID, region: cfg.Region}, nil
}

func (k *awsKey) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	out, err := k.client.Encrypt(ctx, &awskms.EncryptInput{KeyId: aws.String(k.keyID), Plaintext: key})
	if err != nil {
		return nil, k.mapError(err, "Encrypt")
	}
	return out.CiphertextBlob, nil
}

func (k *awsKey) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	// Naming the key makes KMS refuse a blob made by any other key, rather
	// than decrypt it with whichever key made it.
	out, err := k.client.Decrypt(ctx, &awskms.DecryptInput{KeyId: aws.String(k.keyID), CiphertextBlob: wrapped})
	if err != nil {
		return nil, k.mapError(err, "Decrypt")
	}
	return out.Plaintext, nil
}

func (k *awsKey) describe() string {
	return fmt.Sprintf("AWS KMS key %q in %s", k.keyID, k.region)
}

// mapError turns an AWS error into the keyring's codes. AWS's messages name
// principals, actions and keys, never the data, so they are kept.
func (k *awsKey) mapError(err error, op string) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return transportError(k.describe(), err)
	}
	msg := fmt.Sprintf("%s refused %s: %s: %s", k.describe(), op, ae.ErrorCode(), ae.ErrorMessage())
	switch ae.ErrorCode() {
	case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
		"IncompleteSignatureException", "MissingAuthenticationTokenException", "ExpiredTokenException":
		return &junction.Error{Code: junction.EPERMISSIONDENIED, Message: msg + "; check the AWS credentials and the key policy", Err: err}
	case "NotFoundException":
		return &junction.Error{Code: junction.ENOTFOUND, Message: msg, Err: err}
	case "DisabledException", "KMSInvalidStateException", "InvalidCiphertextException", "IncorrectKeyException",
		"InvalidKeyUsageException", "ValidationException":
		return &junction.Error{Code: junction.EINVALID, Message: msg, Err: err}
	}
	return &junction.Error{Code: junction.EUNAVAILABLE, Message: msg, Err: err}
}
