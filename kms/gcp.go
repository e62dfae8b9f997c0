package kms

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/url"
	"regexp"

	gcpkms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"
	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"junction"
	"junction/keyring"
)

// gcpKey is a Cloud KMS symmetric key, used through the REST API's
// :encrypt and :decrypt (the REST transport rather than gRPC, so that every
// vendor goes through the same HTTP client and private CAs). Credentials are
// Application Default Credentials, or the access token in
// GOOGLE_OAUTH_ACCESS_TOKEN. Both directions carry CRC32C checksums, as
// Google recommends, so a corrupted answer is refused.
type gcpKey struct {
	client *gcpkms.KeyManagementClient
	name   string
}

var _ keyring.KeyWrapper = (*gcpKey)(nil)

var gcpKeyName = regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$`)

const gcpScope = "https://www.googleapis.com/auth/cloudkms"

func openGCP(ctx context.Context, u *url.URL, opts Options) (*gcpKey, error) {
	name := u.Host + u.Path
	if !gcpKeyName.MatchString(name) {
		return nil, invalid("%s URL must name a key: gcpkms://projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>", SchemeGCP)
	}
	base, err := transport(opts, "")
	if err != nil {
		return nil, err
	}
	var ts oauth2.TokenSource
	if tok := opts.env("GOOGLE_OAUTH_ACCESS_TOKEN"); tok != "" {
		ts = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"})
	} else {
		// The token endpoint is reached through the same transport.
		ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: base, Timeout: requestTimeout})
		if ts, err = google.DefaultTokenSource(ctx, gcpScope); err != nil {
			return nil, invalid("no Google credentials for the master key's KMS: set GOOGLE_APPLICATION_CREDENTIALS, run on Google Cloud, or set GOOGLE_OAUTH_ACCESS_TOKEN")
		}
	}
	hc := &http.Client{Transport: &oauth2.Transport{Source: ts, Base: base}, Timeout: requestTimeout}
	clientOpts := []option.ClientOption{option.WithHTTPClient(hc)}
	if ep := u.Query().Get("endpoint"); ep != "" {
		eu, err := url.Parse(ep)
		if err != nil || eu.Scheme != "https" || eu.Host == "" || eu.User != nil {
			return nil, invalid("%s endpoint %q must be an https:// URL", SchemeGCP, redactURL(ep))
		}
		clientOpts = append(clientOpts, option.WithEndpoint(ep))
	}
	client, err := gcpkms.NewKeyManagementRESTClient(ctx, clientOpts...)
	if err != nil {
		return nil, invalid("Cloud KMS client: %v", err)
	}
	return &gcpKey{client: client, name: name}, nil
}

func crc32c(b []byte) int64 { return int64(crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))) }

func (k *gcpKey) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	resp, err := k.client.Encrypt(ctx, &kmspb.EncryptRequest{
		Name: k.name, Plaintext: key, PlaintextCrc32C: wrapperspb.Int64(crc32c(key)),
	})
	if err != nil {
		return nil, k.mapError(err, "encrypt")
	}
	if !resp.GetVerifiedPlaintextCrc32C() || resp.GetCiphertextCrc32C().GetValue() != crc32c(resp.GetCiphertext()) {
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: k.describe() + ": the encrypt request or answer was corrupted in transit (CRC32C mismatch)"}
	}
	return resp.GetCiphertext(), nil
}

func (k *gcpKey) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	resp, err := k.client.Decrypt(ctx, &kmspb.DecryptRequest{
		Name: k.name, Ciphertext: wrapped, CiphertextCrc32C: wrapperspb.Int64(crc32c(wrapped)),
	})
	if err != nil {
		return nil, k.mapError(err, "decrypt")
	}
	if resp.GetPlaintextCrc32C().GetValue() != crc32c(resp.GetPlaintext()) {
		clear(resp.Plaintext)
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: k.describe() + ": the decrypt answer was corrupted in transit (CRC32C mismatch)"}
	}
	return resp.GetPlaintext(), nil
}

func (k *gcpKey) describe() string { return fmt.Sprintf("Cloud KMS key %s", k.name) }

// mapError turns a Google API error into the keyring's codes. Cloud KMS's
// messages name the permission and the resource, never the data.
func (k *gcpKey) mapError(err error, op string) error {
	var ae *apierror.APIError
	if !errors.As(err, &ae) || ae.HTTPCode() <= 0 {
		return transportError(k.describe(), err)
	}
	msg := fmt.Sprintf("%s refused %s (HTTP %d %s: %s)", k.describe(), op, ae.HTTPCode(), ae.GRPCStatus().Code(), ae.GRPCStatus().Message())
	switch st := ae.HTTPCode(); {
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		return &junction.Error{Code: junction.EPERMISSIONDENIED, Message: msg + "; grant the principal roles/cloudkms.cryptoKeyEncrypterDecrypter on the key", Err: err}
	case st == http.StatusNotFound:
		return &junction.Error{Code: junction.ENOTFOUND, Message: msg, Err: err}
	case st >= 500 || st == http.StatusTooManyRequests:
		return &junction.Error{Code: junction.EUNAVAILABLE, Message: msg, Err: err}
	}
	return &junction.Error{Code: junction.EINVALID, Message: msg, Err: err}
}
