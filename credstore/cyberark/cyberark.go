// Package cyberark is the CyberArk Central Credential Provider (CCP) store:
// it reads password objects through the CCP REST web service, authenticated
// by application ID and TLS client certificate. CCP is read-only by design.
package cyberark

import (
	"context"
	"crypto"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"junction"
	"junction/credstore/storehttp"
)

// TypeName is the name the store type is registered and configured under.
const TypeName = "cyberark-ccp"

// Type is the cyberark-ccp credential store type, for registration in main.
var Type = junction.CredentialStoreType{
	Name:       TypeName,
	Writable:   false,
	ConfigKeys: configKeys,
	Choices: []junction.ConfigChoice{{Name: "client certificate", Options: []junction.ConfigOption{
		{Keys: []string{"client_cert", "client_key"}, Help: "PEM certificate and key"},
		{Keys: []string{"client_pkcs12", "client_pkcs12_password"}, Help: "a PKCS#12 bundle"},
		{Keys: []string{}, Help: "none: CCP authenticates the application by its address alone"},
	}}},
	Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
		return Open(config, opts)
	},
}

var configKeys = []junction.ConfigKey{
	{Name: "url", Required: true, Help: "base URL of the CCP web server, https://ccp.example.com"},
	{Name: "web_service", Help: "name of the CCP web service; default AIMWebService"},
	{Name: "app_id", Required: true, Help: "application ID Junction is defined as in CyberArk"},
	{Name: "safe", Required: true, Help: "safe holding the password objects"},
	{Name: "folder", Help: "folder in the safe; default Root"},
	{Name: "client_cert", Help: "PEM client certificate presented to CCP (with client_key)"},
	{Name: "client_key", Secret: true, Help: "PEM private key of client_cert"},
	{Name: "client_pkcs12", Secret: true, Help: "base64 PKCS#12 bundle with client certificate and key, instead of client_cert/client_key"},
	{Name: "client_pkcs12_password", Secret: true, Help: "password of client_pkcs12"},
	{Name: "ca_cert", Help: "PEM of the CA that issued the CCP server's certificate; system roots when empty"},
}

// checkObject is the object Check asks for. It is not expected to exist:
// CCP has no login call, so asking for an object is the only way to make it
// authenticate the application and its certificate. A "not found" answer
// (APPAP004E) means the request passed TLS, the client certificate and the
// application ID checks; an authentication error means it did not.
//
// CCP answers APPAP004E also when the application may not read the safe at
// all, so Check cannot prove safe permissions; the first real read does.
const checkObject = "junction-connectivity-check"

// Store is one configured CCP. It is safe for concurrent use: it holds no
// state besides its HTTP client.
type Store struct {
	name     string
	endpoint *url.URL // .../{web_service}/api/Accounts
	appID    string
	safe     string
	folder   string
	http     *http.Client
	log      *slog.Logger
}

var _ junction.CredentialStore = (*Store)(nil)

// Open validates config and returns a Store. It does not contact CCP.
func Open(config map[string]string, opts junction.CredentialStoreOptions) (*Store, error) {
	known := map[string]bool{}
	for _, k := range configKeys {
		known[k.Name] = true
	}
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !known[k] {
			return nil, junction.Invalid(k, "is not a cyberark-ccp setting")
		}
	}
	get := func(k string) string { return strings.TrimSpace(config[k]) }

	base, err := storehttp.ParseAddress("url", config["url"], opts)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"app_id", "safe"} {
		if get(k) == "" {
			return nil, junction.Invalid(k, "is required")
		}
	}
	webService := strings.Trim(get("web_service"), "/")
	if webService == "" {
		webService = "AIMWebService"
	}
	if strings.ContainsAny(webService, "/?#%") {
		return nil, junction.Invalid("web_service", "must be a single path segment such as AIMWebService")
	}
	folder := get("folder")
	if folder == "" {
		folder = "Root"
	}

	t := storehttp.TLS{CACertPEM: config["ca_cert"], CAKey: "ca_cert", ClientCertKey: "client_cert"}
	if strings.TrimSpace(t.CACertPEM) != "" {
		if _, err := storehttp.ParseCAPEM("ca_cert", t.CACertPEM); err != nil {
			return nil, err
		}
	}
	hasPEM := config["client_cert"] != "" || config["client_key"] != ""
	hasP12 := config["client_pkcs12"] != ""
	switch {
	case hasPEM && hasP12:
		return nil, junction.Invalid("client_pkcs12", "set either client_cert and client_key or client_pkcs12, not both")
	case hasPEM:
		if config["client_cert"] == "" {
			return nil, junction.Invalid("client_cert", "is required with client_key")
		}
		if config["client_key"] == "" {
			return nil, junction.Invalid("client_key", "is required with client_cert")
		}
		t.ClientCertPEM, t.ClientKeyPEM = config["client_cert"], config["client_key"]
	case hasP12:
		cert, err := parsePKCS12(config["client_pkcs12"], config["client_pkcs12_password"])
		if err != nil {
			return nil, err
		}
		t.ClientCertificate = &cert
	case config["client_pkcs12_password"] != "":
		return nil, junction.Invalid("client_pkcs12_password", "is set but client_pkcs12 is not")
	}
	hc, err := storehttp.NewClient(opts, t)
	if err != nil {
		return nil, err
	}

	endpoint := base.JoinPath(webService, "api", "Accounts")
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{
		name:     opts.Name,
		endpoint: endpoint,
		appID:    get("app_id"),
		safe:     get("safe"),
		folder:   folder,
		http:     hc,
		log:      log.With("credential_store", opts.Name, "store_type", TypeName),
	}, nil
}

// Check proves CCP is reachable over trusted TLS and accepts Junction's
// client certificate and application ID; see checkObject for why it asks for
// an object that should not exist.
func (s *Store) Check(ctx context.Context) error {
	_, err := s.fetch(ctx, checkObject)
	if junction.IsCode(err, junction.ECREDNOTFOUND) {
		return nil
	}
	return err
}

// Read fetches the password object named name: the password from Content,
// the user name from UserName.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	switch kind {
	case junction.KindCredential, junction.KindSecret:
	default:
		return junction.StoredSecret{}, junction.Invalid("kind", "must be credential or secret, not %q", kind)
	}
	if strings.TrimSpace(name) == "" {
		return junction.StoredSecret{}, junction.Invalid("external_name", "must not be empty")
	}
	acct, err := s.fetch(ctx, name)
	if err != nil {
		return junction.StoredSecret{}, err
	}
	if acct.Content == "" {
		return junction.StoredSecret{}, &junction.Error{Code: junction.EINVALID,
			Message: fmt.Sprintf("password object %q in credential store %q has no content", name, s.name)}
	}
	v := junction.StoredSecret{Value: junction.NewSecret(acct.Content)}
	if kind == junction.KindCredential {
		if acct.UserName == "" {
			return junction.StoredSecret{}, &junction.Error{Code: junction.EINVALID,
				Message: fmt.Sprintf("password object %q in credential store %q has no UserName", name, s.name)}
		}
		v.Username = acct.UserName
	}
	return v, nil
}

// account is the part of CCP's answer Junction uses.
type account struct {
	Content  string `json:"Content"`
	UserName string `json:"UserName"`
}

// ccpError is CCP's documented error body.
type ccpError struct {
	ErrorCode string `json:"ErrorCode"`
	ErrorMsg  string `json:"ErrorMsg"`
}

func (s *Store) fetch(ctx context.Context, object string) (account, error) {
	u := *s.endpoint
	u.RawQuery = url.Values{
		"AppID":  {s.appID},
		"Safe":   {s.safe},
		"Folder": {s.folder},
		"Object": {object},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return account{}, junction.Internal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		// CCP usually demands a client certificate at the TLS layer; make a
		// rejected one show as such rather than as a dropped connection.
		return account{}, storehttp.Unavailable(s.name, storehttp.ExplainTransportError(ctx, s.http, s.endpoint, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return account{}, storehttp.Unavailable(s.name, err)
	}
	if resp.StatusCode == http.StatusOK {
		var a account
		if err := json.Unmarshal(body, &a); err != nil {
			return account{}, &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
				Message: fmt.Sprintf("credential store %q answered with something that is not a CCP response", s.name)}
		}
		return a, nil
	}
	return account{}, s.mapError(resp.StatusCode, body, object)
}

// mapError turns CCP's ErrorCode into the contract's codes. CCP's ErrorMsg
// describes the query, not the password, so it is safe to pass on.
func (s *Store) mapError(status int, body []byte, object string) error {
	var ce ccpError
	_ = json.Unmarshal(body, &ce)
	said := ""
	if ce.ErrorCode != "" {
		msg := ce.ErrorMsg
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		said = fmt.Sprintf(" (%s: %s)", ce.ErrorCode, msg)
	}
	cause := fmt.Errorf("CCP answered HTTP %d %s", status, ce.ErrorCode)
	switch {
	case ce.ErrorCode == "APPAP004E":
		return &junction.Error{Code: junction.ECREDNOTFOUND, Err: cause,
			Message: fmt.Sprintf("credential store %q has no password object %q in safe %q, folder %q, or application %q may not see it",
				s.name, object, s.safe, s.folder, s.appID)}
	case authCodes[ce.ErrorCode] || status == http.StatusUnauthorized || status == http.StatusForbidden:
		return &junction.Error{Code: junction.ECREDSTOREAUTH, Err: cause,
			Message: fmt.Sprintf("credential store %q refused application %q%s; check the application ID, its allowed machines and client certificate, and its safe membership", s.name, s.appID, said)}
	case status >= 500 || status == http.StatusTooManyRequests:
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE, Err: cause,
			Message: fmt.Sprintf("credential store %q is unavailable: CCP answered HTTP %d%s", s.name, status, said)}
	case status == http.StatusNotFound && ce.ErrorCode == "":
		// Not CCP's JSON: the web service path is wrong.
		return &junction.Error{Code: junction.EINVALID, Field: "web_service", Err: cause,
			Message: fmt.Sprintf("credential store %q has no CCP web service at %s", s.name, s.endpoint.Redacted())}
	default:
		return &junction.Error{Code: junction.EINVALID, Err: cause,
			Message: fmt.Sprintf("credential store %q rejected the request with HTTP %d%s", s.name, status, said)}
	}
}

// authCodes are CCP errors meaning the application or its certificate was
// not accepted or not authorised.
var authCodes = map[string]bool{
	"APPAP282E": true, // application authentication data could not be verified
	"APPAP227E": true, // application or machine not authorised
	"APPAP229E": true, // application not allowed to use the password
}

// parsePKCS12 decodes a base64 PKCS#12 bundle into a client certificate,
// with any chain after it. Bundles from current OpenSSL (AES-256 and
// SHA-256, PBES2) open as well as legacy 3DES ones.
func parsePKCS12(b64, password string) (tls.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil {
		return tls.Certificate{}, junction.Invalid("client_pkcs12", "is not base64")
	}
	key, leaf, chain, err := pkcs12.DecodeChain(der, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return tls.Certificate{}, junction.Invalid("client_pkcs12_password", "does not open client_pkcs12")
		}
		var ni pkcs12.NotImplementedError
		if errors.As(err, &ni) {
			return tls.Certificate{}, junction.Invalid("client_pkcs12",
				"uses a layout or encryption this server cannot read (%s); use client_cert and client_key instead", string(ni))
		}
		return tls.Certificate{}, junction.Invalid("client_pkcs12", "is not a valid PKCS#12 bundle holding one certificate and its key")
	}
	signer, ok := key.(crypto.Signer)
	if !ok || !samePublicKey(leaf.PublicKey, signer.Public()) {
		return tls.Certificate{}, junction.Invalid("client_pkcs12", "holds no certificate matching its private key")
	}
	out := tls.Certificate{PrivateKey: key, Leaf: leaf, Certificate: [][]byte{leaf.Raw}}
	for _, c := range chain {
		out.Certificate = append(out.Certificate, c.Raw)
	}
	return out, nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}
