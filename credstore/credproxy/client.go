// Package credproxy is the Credentials Proxy: a process that runs credential
// store adapters inside a private network, next to the vaults, and serves
// them over TLS to Junction servers that cannot reach the vaults themselves.
// Server is the proxy's side; Type is the store type a Junction server uses
// to reach a store through a proxy, with the same errors as the store
// itself, so the resolver's outage rules apply unchanged.
package credproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"junction"
	"junction/credstore/storehttp"
)

// TypeName is the store type of a store reached through a Credentials Proxy.
const TypeName = junction.CredentialProxyStoreType

// Type is the store type that reaches a store kept on a Credentials Proxy.
// The store's vault login is the proxy's: the Junction server holds only the
// proxy's address, the CA that signed its certificate, and the key (or client
// certificate) the proxy knows it by.
var Type = junction.CredentialStoreType{
	Name:       TypeName,
	Writable:   true,
	ConfigKeys: configKeys,
	Choices: []junction.ConfigChoice{{
		Name: "authentication",
		Options: []junction.ConfigOption{
			{Keys: []string{"key"}, Help: "the shared key, over TLS"},
			{Keys: []string{"client_cert", "client_key"}, Help: "a client certificate the proxy trusts (mutual TLS)"},
			{Keys: []string{"key", "client_cert", "client_key"}, Help: "both"},
		},
	}},
	Open: func(config map[string]string, opts junction.CredentialStoreOptions) (junction.CredentialStore, error) {
		return Open(config, opts)
	},
}

var configKeys = []junction.ConfigKey{
	{Name: "url", Required: true, Help: "the proxy's https:// address; several, separated by commas, are tried in order when one cannot be reached or fails"},
	{Name: "store", Required: true, Help: "the name of the store in the proxy's --stores file; without it the store can only be checked (the proxy reachable and accepting Junction), not read"},
	{Name: "ca_cert", Help: "PEM CA certificate(s) the proxy's certificate chains to (default: the system roots)"},
	{Name: "client_cert", Help: "PEM client certificate presented to a proxy that requires one (mutual TLS)"},
	{Name: "client_key", Secret: true, Help: "PEM private key of client_cert"},
	{Name: "key", Secret: true, Help: "the proxy's shared key (its JUNCTION_PROXY_KEY or --key-file)"},
}

// Store is a credential store reached through a Credentials Proxy. It holds
// no value between calls; it is safe for concurrent use.
type Store struct {
	name   string // the store's name in Junction, for messages
	ref    string // the store's name on the proxy
	urls   []*url.URL
	key    junction.Secret
	client *http.Client
	logger *slog.Logger
}

var (
	_ junction.CredentialStore         = (*Store)(nil)
	_ junction.WritableCredentialStore = (*Store)(nil)
	_ junction.Closer                  = (*Store)(nil)
)

// Open validates config and returns a store. It does not contact the proxy.
func Open(config map[string]string, opts junction.CredentialStoreOptions) (*Store, error) {
	if err := storehttp.CheckKeys(TypeName, configKeys, config); err != nil {
		return nil, err
	}
	var urls []*url.URL
	for _, raw := range strings.Split(config["url"], ",") {
		if raw = strings.TrimSpace(raw); raw == "" {
			continue
		}
		u, err := storehttp.ParseAddress("url", raw, opts)
		if err != nil {
			return nil, err
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		return nil, junction.Invalid("url", "is required")
	}
	ref := strings.TrimSpace(config["store"])
	if err := checkRef(ref); ref != "" && err != nil {
		return nil, junction.Invalid("store", "%s", err.Error())
	}
	if (config["client_cert"] == "") != (config["client_key"] == "") {
		return nil, junction.Invalid("client_cert", "client_cert and client_key go together")
	}
	if config["key"] == "" && config["client_cert"] == "" {
		return nil, junction.Invalid("key", "is required unless a client certificate is set: the proxy serves no one it cannot authenticate")
	}
	client, err := storehttp.NewClient(opts, storehttp.TLS{
		CACertPEM: config["ca_cert"], CAKey: "ca_cert",
		ClientCertPEM: config["client_cert"], ClientKeyPEM: config["client_key"], ClientCertKey: "client_cert",
	})
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Store{name: opts.Name, ref: ref, urls: urls, key: junction.NewSecret(config["key"]), client: client, logger: logger}, nil
}

// Close drops the idle connections to the proxy.
func (s *Store) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// Check asks the proxy to log in to the store and prove it reachable.
// Without a store name it proves only the proxy reachable, its
// certificate trusted and Junction's key or certificate accepted.
func (s *Store) Check(ctx context.Context) error {
	if s.ref == "" {
		return s.call(ctx, opPing, "", request{}, nil)
	}
	return s.call(ctx, opCheck, "", request{}, nil)
}

func (s *Store) needRef() error {
	if s.ref == "" {
		return junction.Invalid("store", "is required to read or write: the name of the store in the proxy's --stores file")
	}
	return nil
}

// Read fetches the secret under name through the proxy. The value's
// lifetime the vault gave (ValidFor) crosses the proxy.
func (s *Store) Read(ctx context.Context, kind junction.SecretKind, name string) (junction.StoredSecret, error) {
	if err := s.needRef(); err != nil {
		return junction.StoredSecret{}, err
	}
	var out readResponse
	if err := s.call(ctx, opRead, name, request{Kind: kind, Name: name}, &out); err != nil {
		return junction.StoredSecret{}, err
	}
	v := junction.StoredSecret{Username: out.Username, Value: junction.NewSecret(out.Value),
		ValidFor: time.Duration(out.ValidForMS) * time.Millisecond}
	out.Value = ""
	return v, nil
}

// Write stores v under name through the proxy.
func (s *Store) Write(ctx context.Context, kind junction.SecretKind, name string, v junction.StoredSecret) error {
	if err := s.needRef(); err != nil {
		return err
	}
	return s.call(ctx, opWrite, name, request{Kind: kind, Name: name, Username: v.Username, Value: v.Value.Reveal()}, nil)
}

// Delete removes the secret under name through the proxy.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := s.needRef(); err != nil {
		return err
	}
	return s.call(ctx, opDelete, name, request{Name: name}, nil)
}

// call sends one operation to the proxy's addresses in turn until one
// answers: a proxy that cannot be reached, or that cannot reach the vault
// or fails (5xx), makes the next one try; any other answer is final. The
// error of the last attempt is returned.
func (s *Store) call(ctx context.Context, op, name string, body request, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return junction.Internal(fmt.Errorf("credentials proxy request: %w", err))
	}
	defer clear(payload)
	var last error
	for _, base := range s.urls {
		status, res, err := s.post(ctx, base, op, payload)
		if err != nil {
			last = storehttp.Unavailable(s.name, err)
			if ctx.Err() != nil {
				return last
			}
			continue
		}
		if status == http.StatusOK || status == http.StatusNoContent {
			if out != nil {
				if err := json.Unmarshal(res, out); err != nil {
					clear(res)
					return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
						Message: fmt.Sprintf("credentials proxy of credential store %q answered with a malformed response", s.name)}
				}
			}
			clear(res)
			return nil
		}
		last = s.remoteError(base, status, res, name)
		if status < 500 {
			return last
		}
	}
	return last
}

func (s *Store) post(ctx context.Context, base *url.URL, op string, payload []byte) (int, []byte, error) {
	u := *base
	u.Path = base.Path + "/v1/stores/" + url.PathEscape(s.ref) + "/" + op
	if op == opPing {
		u.Path = base.Path + "/v1/ping"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if !s.key.IsZero() {
		req.Header.Set("Authorization", "Bearer "+s.key.Reveal())
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// remoteError turns the proxy's problem into the error the store itself
// would have given, so the resolver's rules (an outage serves cached
// values, a missing secret does not) apply as for a vault reached directly.
func (s *Store) remoteError(base *url.URL, status int, body []byte, name string) error {
	var p problem
	if json.Unmarshal(body, &p) != nil || p.Code == "" {
		clear(body)
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("the credentials proxy of credential store %q at %s failed (HTTP %d)", s.name, base.Host, status)}
	}
	clear(body)
	switch p.Code {
	case junction.ECREDNOTFOUND:
		return &junction.Error{Code: junction.ECREDNOTFOUND,
			Message: fmt.Sprintf("credential store %q has no secret named %q", s.name, name)}
	case junction.EUNAUTHENTICATED:
		return &junction.Error{Code: junction.ECREDSTOREAUTH,
			Message: fmt.Sprintf("the credentials proxy of credential store %q at %s refused Junction's key or client certificate", s.name, base.Host)}
	case junction.ECREDSTOREAUTH:
		return &junction.Error{Code: junction.ECREDSTOREAUTH,
			Message: fmt.Sprintf("credential store %q (through its credentials proxy): %s", s.name, p.Message)}
	case junction.ECREDSTOREUNAVAILABLE:
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("credential store %q is unavailable behind its credentials proxy at %s: %s", s.name, base.Host, p.Message)}
	case junction.ECREDSTOREREADONLY:
		return &junction.Error{Code: junction.ECREDSTOREREADONLY,
			Message: fmt.Sprintf("credential store %q is read-only on its credentials proxy", s.name)}
	case junction.EINVALID:
		field := p.Field
		if field == "store" {
			return &junction.Error{Code: junction.EINVALID, Field: "store", Message: p.Message}
		}
		return &junction.Error{Code: junction.EINVALID, Field: field,
			Message: fmt.Sprintf("credential store %q (through its credentials proxy): %s", s.name, p.Message)}
	default:
		if status >= 500 {
			return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
				Message: fmt.Sprintf("the credentials proxy of credential store %q at %s failed (HTTP %d)", s.name, base.Host, status)}
		}
		return &junction.Error{Code: junction.ECREDSTOREUNAVAILABLE,
			Message: fmt.Sprintf("the credentials proxy of credential store %q at %s answered %q: %s", s.name, base.Host, p.Code, p.Message),
			Err:     errors.New(p.Code)}
	}
}
