package kms

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	vaultapi "github.com/hashicorp/vault/api"

	"junction"
	"junction/keyring"
)

// vaultKey is a key of Vault's Transit secrets engine:
// POST /v1/<mount>/encrypt/<name> and /decrypt/<name>. Vault keeps the key
// and its versions; a wrapped master key is Vault's "vault:v<N>:..."
// ciphertext, which names the key version that decrypts it.
type vaultKey struct {
	client *vaultapi.Client
	mount  string
	name   string
}

var _ keyring.KeyWrapper = (*vaultKey)(nil)

func openVault(_ context.Context, u *url.URL, opts Options) (*vaultKey, error) {
	name := u.Host + u.Path
	if name == "" || strings.Contains(strings.Trim(name, "/"), "/") {
		return nil, invalid("%s URL must name one Transit key: hashivault://<key>?address=https://vault:8200", SchemeVault)
	}
	q := u.Query()
	address := q.Get("address")
	if address == "" {
		address = opts.env("VAULT_ADDR")
	}
	if address == "" {
		return nil, invalid("%s URL needs ?address=https://vault:8200 (or VAULT_ADDR)", SchemeVault)
	}
	au, err := url.Parse(address)
	if err != nil || au.Host == "" || (au.Scheme != "https" && au.Scheme != "http") || au.User != nil {
		return nil, invalid("Vault address %q must be an https:// URL without credentials", redactURL(address))
	}
	token := opts.env("VAULT_TOKEN")
	if token == "" {
		return nil, invalid("no Vault token for the master key's KMS: set VAULT_TOKEN")
	}
	hc, err := httpClient(opts, "VAULT_CACERT")
	if err != nil {
		return nil, err
	}
	c, err := vaultapi.NewClient(&vaultapi.Config{
		Address:          au.String(),
		HttpClient:       hc,
		Timeout:          requestTimeout,
		MaxRetries:       2,
		DisableRedirects: true,
	})
	if err != nil {
		return nil, invalid("Vault address %q is not usable by the Vault client", au.String())
	}
	c.SetToken(token)
	c.ClearNamespace()
	ns := q.Get("namespace")
	if ns == "" {
		ns = opts.env("VAULT_NAMESPACE")
	}
	if ns != "" {
		c.SetNamespace(ns)
	}
	mount := strings.Trim(q.Get("mount"), "/")
	if mount == "" {
		mount = "transit"
	}
	return &vaultKey{client: c, mount: mount, name: strings.Trim(name, "/")}, nil
}

func (k *vaultKey) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	s, err := k.client.Logical().WriteWithContext(ctx, k.mount+"/encrypt/"+url.PathEscape(k.name),
		map[string]any{"plaintext": base64.StdEncoding.EncodeToString(key)})
	if err != nil {
		return nil, k.mapError(err, "encrypt")
	}
	ct, _ := dataString(s, "ciphertext")
	if !strings.HasPrefix(ct, "vault:") {
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: k.describe() + " answered encrypt without a Vault ciphertext"}
	}
	return []byte(ct), nil
}

func (k *vaultKey) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	s, err := k.client.Logical().WriteWithContext(ctx, k.mount+"/decrypt/"+url.PathEscape(k.name),
		map[string]any{"ciphertext": string(wrapped)})
	if err != nil {
		return nil, k.mapError(err, "decrypt")
	}
	pt, _ := dataString(s, "plaintext")
	key, err := base64.StdEncoding.DecodeString(pt)
	if err != nil {
		return nil, &junction.Error{Code: junction.EUNAVAILABLE, Message: k.describe() + " answered decrypt without a base64 plaintext"}
	}
	return key, nil
}

func dataString(s *vaultapi.Secret, field string) (string, bool) {
	if s == nil || s.Data == nil {
		return "", false
	}
	v, ok := s.Data[field].(string)
	return v, ok
}

func (k *vaultKey) describe() string {
	return fmt.Sprintf("Vault Transit key %q (mount %q at %s)", k.name, k.mount, k.client.Address())
}

// mapError turns Vault's answer into the keyring's codes. Vault's error
// strings name paths and reasons, never the plaintext, so they are kept.
func (k *vaultKey) mapError(err error, op string) error {
	var re *vaultapi.ResponseError
	if !errors.As(err, &re) {
		return transportError(k.describe(), err)
	}
	said := ""
	if len(re.Errors) > 0 {
		said = ": " + strings.Join(re.Errors, "; ")
	}
	msg := fmt.Sprintf("%s refused to %s (HTTP %d%s)", k.describe(), op, re.StatusCode, said)
	switch st := re.StatusCode; {
	case st == http.StatusForbidden || st == http.StatusUnauthorized:
		return &junction.Error{Code: junction.EPERMISSIONDENIED, Message: msg + "; check VAULT_TOKEN and its policy on the Transit key"}
	case st == http.StatusNotFound:
		return &junction.Error{Code: junction.ENOTFOUND, Message: msg + "; check the Transit mount and key name"}
	case st >= 500 || st == http.StatusTooManyRequests:
		return &junction.Error{Code: junction.EUNAVAILABLE, Message: msg}
	default:
		return &junction.Error{Code: junction.EINVALID, Message: msg}
	}
}
