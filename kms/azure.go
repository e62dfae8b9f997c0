package kms

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"

	"junction"
	"junction/keyring"
)

// azureKey is a Key Vault (or Managed HSM) RSA key, used through the
// documented wrapkey and unwrapkey operations with RSA-OAEP-256.
// Credentials come from azidentity's DefaultAzureCredential (environment,
// workload identity, managed identity, the Azure CLI).
type azureKey struct {
	client  *azkeys.Client
	vault   string
	name    string
	version string // "" wraps with the key's current version
}

var _ keyring.KeyWrapper = (*azureKey)(nil)

func openAzure(_ context.Context, u *url.URL, opts Options) (*azureKey, error) {
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if u.Host == "" || len(parts) < 2 || len(parts) > 3 || parts[0] != "keys" || parts[1] == "" {
		return nil, invalid("%s URL must name a key: azurekeyvault://<vault>.vault.azure.net/keys/<name>[/<version>]", SchemeAzure)
	}
	k := &azureKey{vault: u.Host, name: parts[1]}
	if len(parts) == 3 {
		k.version = parts[2]
	}
	hc, err := httpClient(opts, "")
	if err != nil {
		return nil, err
	}
	clientOpts := azcore.ClientOptions{
		Transport: hc,
		Telemetry: policy.TelemetryOptions{ApplicationID: "junction"},
	}
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
		ClientOptions: clientOpts,
		// Instance discovery asks login.microsoftonline.com to vouch for
		// the authority; an operator who sets AZURE_AUTHORITY_HOST has named
		// a sovereign or private cloud deliberately, which it could not
		// vouch for.
		DisableInstanceDiscovery: opts.env("AZURE_AUTHORITY_HOST") != "",
	})
	if err != nil {
		return nil, invalid("Azure credentials for the master key's KMS: %v", err)
	}
	// The challenge resource stays verified: the vault must be a host under
	// the domain Key Vault names in its challenge.
	k.client, err = azkeys.NewClient("https://"+u.Host, cred, &azkeys.ClientOptions{ClientOptions: clientOpts})
	if err != nil {
		return nil, invalid("%q is not a usable Key Vault address", u.Host)
	}
	return k, nil
}

// Wrap returns "<key version>.<base64url of the wrapped key>": Key Vault
// unwraps only with the version that wrapped, and the key may have been
// given a new version since.
func (k *azureKey) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	alg := azkeys.EncryptionAlgorithmRSAOAEP256
	resp, err := k.client.WrapKey(ctx, k.name, k.version, azkeys.KeyOperationParameters{Algorithm: &alg, Value: key}, nil)
	if err != nil {
		return nil, k.mapError(err, "wrapkey")
	}
	version := k.version
	if resp.KID != nil {
		version = resp.KID.Version()
	}
	if version == "" || strings.Contains(version, ".") || len(resp.Result) == 0 {
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: k.describe() + " answered wrapkey without a key version or result"}
	}
	return []byte(version + "." + base64.RawURLEncoding.EncodeToString(resp.Result)), nil
}

func (k *azureKey) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	version, b64, ok := strings.Cut(string(wrapped), ".")
	ct, err := base64.RawURLEncoding.DecodeString(b64)
	if !ok || version == "" || err != nil {
		return nil, &junction.Error{Code: junction.EINVALID, Message: "the wrapped key is not one " + k.describe() + " made"}
	}
	alg := azkeys.EncryptionAlgorithmRSAOAEP256
	resp, err := k.client.UnwrapKey(ctx, k.name, version, azkeys.KeyOperationParameters{Algorithm: &alg, Value: ct}, nil)
	if err != nil {
		return nil, k.mapError(err, "unwrapkey")
	}
	return resp.Result, nil
}

func (k *azureKey) describe() string {
	return fmt.Sprintf("Azure Key Vault key %q in %s", k.name, k.vault)
}

// mapError turns Key Vault's and Entra ID's answers into the keyring's
// codes. Their messages name the caller, the key and the permission, never
// the data.
func (k *azureKey) mapError(err error, op string) error {
	var re *azcore.ResponseError
	var af *azidentity.AuthenticationFailedError
	switch {
	case errors.As(err, &af), strings.Contains(err.Error(), "DefaultAzureCredential"):
		return &junction.Error{Code: junction.EPERMISSIONDENIED,
			Message: fmt.Sprintf("%s: no Azure token for %s: %s; check AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential, or the managed identity",
				k.describe(), op, entraReason(err)), Err: err}
	case !errors.As(err, &re):
		return transportError(k.describe(), err)
	}
	msg := fmt.Sprintf("%s refused %s (HTTP %d %s)", k.describe(), op, re.StatusCode, re.ErrorCode)
	switch st := re.StatusCode; {
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		return &junction.Error{Code: junction.EPERMISSIONDENIED, Message: msg + "; grant the identity wrapKey and unwrapKey on the key", Err: err}
	case st == http.StatusNotFound:
		return &junction.Error{Code: junction.ENOTFOUND, Message: msg, Err: err}
	case st >= 500 || st == http.StatusTooManyRequests:
		return &junction.Error{Code: junction.EUNAVAILABLE, Message: msg, Err: err}
	}
	return &junction.Error{Code: junction.EINVALID, Message: msg, Err: err}
}

// aadsts is Entra ID's own account of a refused login, such as
// "AADSTS7000215: Invalid client secret provided."
var aadsts = regexp.MustCompile(`AADSTS\d+: [^\\\r\n"]*`)

// entraReason is why no token could be had: Entra ID's AADSTS message when
// there is one (it names the application, never the secret), else the
// credential chain's first line.
func entraReason(err error) string {
	if m := aadsts.FindString(err.Error()); m != "" {
		return strings.TrimSpace(m)
	}
	s, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
	return s
}
