package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"junction"
	"junction/webui"
)

// envOIDCClientSecret holds the OpenID Connect client secret when no file
// does.
const envOIDCClientSecret = "JUNCTION_OIDC_CLIENT_SECRET"

// ssoOptions is the web UI's single sign-on from the --oidc- settings, nil
// when --oidc-issuer is unset. The default roles must exist, so a typo
// stops the start rather than the first sign-in. Errors name the secret's
// file, never its content.
func (m *Main) ssoOptions(ctx context.Context) (*webui.SSO, error) {
	c := m.Config
	if c.OIDCIssuer == "" {
		return nil, nil
	}
	var secret junction.Secret
	if c.OIDCClientSecretAsset != "" {
		// Read at each sign-in; checked now, without its value.
		if m.Getenv(envOIDCClientSecret) != "" {
			return nil, fmt.Errorf("--oidc-client-secret-asset and %s both give the client secret: give one", envOIDCClientSecret)
		}
		if err := m.app.CheckSSOClientSecretAsset(ctx, c.OIDCClientSecretAsset); err != nil {
			return nil, fmt.Errorf("--oidc-client-secret-asset: %s", junction.ErrorMessage(err))
		}
	} else {
		var err error
		if secret, err = readSecret(c.OIDCClientSecretFile, "--oidc-client-secret-file", m.Getenv(envOIDCClientSecret)); err != nil {
			return nil, err
		}
	}
	if err := m.app.CheckRoleNames(ctx, "oidc_default_roles", c.OIDCDefaultRoles); err != nil {
		return nil, fmt.Errorf("--oidc-default-roles: %s", junction.ErrorMessage(err))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.OIDCCAFile != "" {
		pem, err := os.ReadFile(c.OIDCCAFile)
		if err != nil {
			return nil, fmt.Errorf("--oidc-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--oidc-ca-file %s holds no PEM certificate", c.OIDCCAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &webui.SSO{
		Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: secret, ClientSecretAsset: c.OIDCClientSecretAsset,
		RedirectURL:   c.PublicBaseURL(m.listener.Addr().String()) + "/login/sso/callback",
		UsernameClaim: c.OIDCUsernameClaim, CreateUsers: c.OIDCCreate(), DefaultRoles: c.OIDCDefaultRoles,
		HTTPClient: &http.Client{Transport: tr, Timeout: 30 * time.Second},
	}, nil
}

// readSecret reads a secret from file (named by flag in errors), else
// takes fromEnv.
func readSecret(file, flag, fromEnv string) (junction.Secret, error) {
	if file == "" {
		return junction.NewSecret(fromEnv), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return junction.Secret{}, fmt.Errorf("%s: %w", flag, err)
	}
	defer clear(b)
	return junction.NewSecret(strings.TrimRight(string(b), "\r\n")), nil
}
