package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"junction"
	"junction/cli"
	"junction/credstore/credproxy"
)

// envProxyKey holds the Credentials Proxy's shared key when --key-file
// does not name a file; a flag would show it in the process list.
const envProxyKey = "JUNCTION_PROXY_KEY"

// ProxyConfig is the configuration of "junction credentials-proxy", from
// flags, then the environment, then defaults.
type ProxyConfig struct {
	Listen     string
	TLSCert    string
	TLSKey     string
	ClientCA   string
	KeyFile    string
	Stores     string
	StoreAllow []string
	LogFormat  string
	LogLevel   string
}

func (c *ProxyConfig) settings() []setting {
	return []setting{
		{flag: "listen", env: "JUNCTION_PROXY_LISTEN", def: "127.0.0.1:8443", str: &c.Listen,
			usage: "address to serve HTTPS on; port 0 picks a free port"},
		{flag: "tls-cert", env: "JUNCTION_PROXY_TLS_CERT", str: &c.TLSCert,
			usage: "PEM file of the proxy's TLS certificate (chain); required"},
		{flag: "tls-key", env: "JUNCTION_PROXY_TLS_KEY", str: &c.TLSKey,
			usage: "PEM file of the TLS certificate's private key; required"},
		{flag: "client-ca", env: "JUNCTION_PROXY_CLIENT_CA", str: &c.ClientCA,
			usage: "PEM file of the CAs whose client certificates may call the proxy; set, every caller must present one (mutual TLS)"},
		{flag: "key-file", env: "JUNCTION_PROXY_KEY_FILE", str: &c.KeyFile,
			usage: "file holding the shared key callers must send (or set " + envProxyKey + "); required unless --client-ca is set"},
		{flag: "stores", env: "JUNCTION_PROXY_STORES", str: &c.Stores,
			usage: "YAML or JSON file of the stores served: name -> type, config, config_env, config_files; required"},
		{flag: "store-allow", env: "JUNCTION_STORE_ALLOW", list: &c.StoreAllow,
			usage: "loopback, link-local or metadata address (CIDR) that the stores may reach; repeatable, env comma-separated"},
		{flag: "log-format", env: "JUNCTION_LOG_FORMAT", def: "text", str: &c.LogFormat,
			usage: "log format: text or json"},
		{flag: "log-level", env: "JUNCTION_LOG_LEVEL", def: "info", str: &c.LogLevel,
			usage: "least severe level logged: debug, info, warn or error"},
	}
}

func (c *ProxyConfig) bindFlags(fs *pflag.FlagSet) {
	for _, s := range c.settings() {
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		if s.list != nil {
			fs.StringArrayVar(s.list, s.flag, nil, usage)
		} else {
			fs.StringVar(s.str, s.flag, s.def, usage)
		}
	}
}

func (c *ProxyConfig) resolve(fs *pflag.FlagSet, getenv func(string) string) error {
	for _, s := range c.settings() {
		if fs.Changed(s.flag) {
			continue
		}
		if v := getenv(s.env); v != "" {
			if s.list != nil {
				*s.list = splitList(v)
			} else {
				*s.str = v
			}
		}
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("--listen %q: %w", c.Listen, err)
	}
	if c.TLSCert == "" || c.TLSKey == "" {
		return errors.New("--tls-cert and --tls-key are required: the proxy serves only over TLS")
	}
	if c.Stores == "" {
		return errors.New("--stores is required: the file of the stores this proxy serves")
	}
	for _, cidr := range c.StoreAllow {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			return fmt.Errorf("--store-allow %q is not a CIDR such as 127.0.0.1/32", cidr)
		}
	}
	if !slices.Contains([]string{"text", "json"}, c.LogFormat) {
		return fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
	}
	_, err := parseLevel(c.LogLevel)
	return err
}

// ProxyMain is the Credentials Proxy process: tests call ParseFlags, Run,
// URL and Close, as the command does.
type ProxyMain struct {
	Config ProxyConfig
	Stderr io.Writer
	Getenv func(string) string
	// ShutdownTimeout bounds how long Close waits for in-flight calls.
	ShutdownTimeout time.Duration

	logger    *slog.Logger
	tlsConf   atomic.Pointer[tls.Config] // of the last (re)load
	proxy     *credproxy.Server
	listener  net.Listener
	http      *http.Server
	serveDone chan struct{}
	serveErr  error
}

// NewProxyMain returns a proxy process with the default settings.
func NewProxyMain() *ProxyMain {
	return &ProxyMain{Stderr: os.Stderr, Getenv: os.Getenv, ShutdownTimeout: 30 * time.Second}
}

// ParseFlags reads the flags from args, then the environment.
func (m *ProxyMain) ParseFlags(args []string) error {
	fs := pflag.NewFlagSet("credentials-proxy", pflag.ContinueOnError)
	m.Config.bindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return m.Config.resolve(fs, m.Getenv)
}

// Run opens every store of the --stores file, which validates their
// configurations without contacting the vaults, and serves HTTPS in the
// background. It refuses to start without TLS, or without a shared key or
// client CA.
func (m *ProxyMain) Run(ctx context.Context) error {
	level, err := parseLevel(m.Config.LogLevel)
	if err != nil {
		return err
	}
	m.logger = newLogger(m.Stderr, m.Config.LogFormat, level)
	tlsConf, err := m.loadTLS()
	if err != nil {
		return err
	}
	m.tlsConf.Store(tlsConf)
	keys, err := m.sharedKeys()
	if err != nil {
		return err
	}
	defs, err := credproxy.LoadDefinitions(m.Config.Stores, m.Getenv)
	if err != nil {
		return err
	}
	m.proxy, err = credproxy.NewServer(credproxy.ServerOptions{
		Stores: defs, Types: storeTypes(), Keys: keys, ClientCertificates: tlsConf.ClientCAs != nil,
		Allow: prefixes(m.Config.StoreAllow), Logger: m.logger,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Listen)
	if err != nil {
		_ = m.proxy.Close()
		return fmt.Errorf("listen on %s: %w", m.Config.Listen, err)
	}
	// Each handshake takes the configuration of the last (re)load, so a
	// renewed certificate or client CA is served without a restart.
	m.listener = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: tlsConf.NextProtos,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return m.tlsConf.Load(), nil }})
	m.http = &http.Server{Handler: m.proxy.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn)}
	m.serveDone = make(chan struct{})
	go func() {
		defer close(m.serveDone)
		if err := m.http.Serve(m.listener); !errors.Is(err, http.ErrServerClosed) {
			m.serveErr = err
		}
	}()
	auth := "shared key"
	if tlsConf.ClientCAs != nil {
		auth = "client certificate"
		if len(keys) > 0 {
			auth += " and shared key"
		}
	}
	m.logger.Info("credentials proxy listening", slog.String("addr", ln.Addr().String()), slog.String("auth", auth),
		slog.Int("stores", len(defs)), slog.Int("keys", len(keys)))
	return nil
}

// Reload reads the stores file, the key file, the TLS certificate and key
// and the client CA again and serves what they now say (new connections
// get the new certificate). When any fails to read, parse or validate, the error is
// returned (and logged) and the proxy keeps serving its running
// configuration. Store adapters whose definitions changed are closed once
// their last call ends.
func (m *ProxyMain) Reload() error {
	err := m.reload()
	if err != nil {
		m.logger.Error("credentials proxy reload failed; serving the previous configuration", slog.String("error", err.Error()))
	}
	return err
}

func (m *ProxyMain) reload() error {
	tlsConf, err := m.loadTLS()
	if err != nil {
		return err
	}
	keys, err := m.sharedKeys()
	if err != nil {
		return err
	}
	defs, err := credproxy.LoadDefinitions(m.Config.Stores, m.Getenv)
	if err != nil {
		return err
	}
	if err := m.proxy.Reload(defs, keys); err != nil {
		return err
	}
	m.tlsConf.Store(tlsConf)
	m.logger.Info("credentials proxy reloaded", slog.Int("stores", len(defs)), slog.Int("keys", len(keys)))
	return nil
}

// loadTLS reads the certificate, its key and the client CA, as a server
// configuration.
func (m *ProxyMain) loadTLS() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(m.Config.TLSCert, m.Config.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	if m.Config.ClientCA != "" {
		pem, err := os.ReadFile(m.Config.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca %s holds no PEM certificate", m.Config.ClientCA)
		}
		conf.ClientCAs, conf.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return conf, nil
}

// ReloadOn calls Reload whenever hangups delivers, until ctx ends: the
// command passes SIGHUP.
func (m *ProxyMain) ReloadOn(ctx context.Context, hangups <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hangups:
			_ = m.Reload()
		}
	}
}

// sharedKeys reads the keys from --key-file (one a line, see
// credproxy.ParseKeys) or the one key of JUNCTION_PROXY_KEY. They may be
// absent only when client certificates authenticate callers. Errors never
// hold a key.
func (m *ProxyMain) sharedKeys() ([]junction.Secret, error) {
	var keys []junction.Secret
	switch {
	case m.Config.KeyFile != "":
		b, err := os.ReadFile(m.Config.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--key-file: %w", err)
		}
		if keys, err = credproxy.ParseKeys(string(b)); err != nil {
			return nil, fmt.Errorf("--key-file %s: %w", m.Config.KeyFile, err)
		}
	case m.Getenv(envProxyKey) != "":
		key := m.Getenv(envProxyKey)
		if len(key) < credproxy.MinKeyLen {
			return nil, fmt.Errorf("%s: the shared key must be at least %d characters", envProxyKey, credproxy.MinKeyLen)
		}
		keys = []junction.Secret{junction.NewSecret(key)}
	}
	if len(keys) == 0 && m.Config.ClientCA == "" {
		return nil, fmt.Errorf("a shared key is required (%s or --key-file), or client certificates (--client-ca)", envProxyKey)
	}
	return keys, nil
}

// URL is the proxy's base address, for a store's "url".
func (m *ProxyMain) URL() string { return "https://" + m.listener.Addr().String() }

// Serve runs the proxy until ctx is cancelled or serving fails.
// SIGHUP reloads the stores file and the key file (see Reload).
func (m *ProxyMain) Serve(ctx context.Context) error {
	if err := m.Run(ctx); err != nil {
		return err
	}
	hangups := make(chan os.Signal, 1)
	signal.Notify(hangups, syscall.SIGHUP)
	defer signal.Stop(hangups)
	reloadCtx, stopReloads := context.WithCancel(ctx)
	reloading := make(chan struct{})
	go func() {
		defer close(reloading)
		m.ReloadOn(reloadCtx, hangups)
	}()
	select {
	case <-ctx.Done():
		m.logger.Info("credentials proxy shutting down")
	case <-m.serveDone:
		m.logger.Error("credentials proxy stopped", slog.Any("error", m.serveErr))
	}
	stopReloads()
	<-reloading // no reload may open stores that Close would miss
	return m.Close()
}

// Close drains in-flight calls and closes the stores.
func (m *ProxyMain) Close() error {
	if m.http == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
	defer cancel()
	err := m.http.Shutdown(ctx)
	<-m.serveDone
	m.http = nil
	return errors.Join(err, m.serveErr, m.proxy.Close())
}

func newCredentialsProxyCommand(env cli.Env) *cobra.Command {
	m := NewProxyMain()
	m.Stderr, m.Getenv = env.Stderr, env.Getenv
	cmd := &cobra.Command{
		Use:   "credentials-proxy",
		Short: "Serve credential stores from inside a private network to Junction servers",
		Long: `Credentials-proxy runs the credential store adapters next to the vaults and
serves them over TLS to Junction servers that cannot reach the vaults
themselves. A Junction store of type credentials-proxy names this proxy's
address and one of the stores of the --stores file; the vault logins stay in
that file (or the environment variables and files it names), never on the
Junction server.

Callers authenticate with a shared key (JUNCTION_PROXY_KEY, or --key-file
holding one key a line, any of which is accepted; each at least 32
characters), with a client certificate (--client-ca), or both. The proxy
refuses to start without TLS and one of them. SIGHUP re-reads the stores file
and the key file; when either is wrong, the error is logged and the running
configuration kept.

To rotate the shared key without a gap: add the new key as a second line of
the key file and send SIGHUP; give Junction's registration the new key
(junction credential-proxies update NAME --key @FILE, or PATCH
/api/v1/credential-proxies/{id}); then remove the old line and send SIGHUP
again.

Values pass through and are kept no longer than the request; logs name the
store and the outcome, never a value. GET /healthz answers without
authentication.

The stores file:

  stores:
    team-vault:
      type: hashicorp-vault
      config:
        address: https://vault.internal:8200
        auth_method: approle
        role_id: junction
      config_env:
        secret_id: VAULT_SECRET_ID
      config_files:
        ca_cert: /etc/junction/vault-ca.pem

Every setting can be given as a flag or an environment variable; a flag wins.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.Config.resolve(cmd.Flags(), m.Getenv); err != nil {
				return err
			}
			return m.Serve(cmd.Context())
		},
	}
	m.Config.bindFlags(cmd.Flags())
	return cmd
}
