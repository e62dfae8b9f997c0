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
	"slices"
	"strings"
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

// minProxyKeyLen is the shortest shared key the proxy accepts.
const minProxyKeyLen = 32

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
	cert, err := tls.LoadX509KeyPair(m.Config.TLSCert, m.Config.TLSKey)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	if m.Config.ClientCA != "" {
		pem, err := os.ReadFile(m.Config.ClientCA)
		if err != nil {
			return fmt.Errorf("--client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--client-ca %s holds no PEM certificate", m.Config.ClientCA)
		}
		tlsConf.ClientCAs, tlsConf.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	key, err := m.sharedKey()
	if err != nil {
		return err
	}
	defs, err := credproxy.LoadDefinitions(m.Config.Stores, m.Getenv)
	if err != nil {
		return err
	}
	m.proxy, err = credproxy.NewServer(credproxy.ServerOptions{
		Stores: defs, Types: storeTypes(), Key: key, ClientCertificates: tlsConf.ClientCAs != nil,
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
	m.listener = tls.NewListener(ln, tlsConf)
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
		if !key.IsZero() {
			auth += " and shared key"
		}
	}
	m.logger.Info("credentials proxy listening", slog.String("addr", ln.Addr().String()), slog.String("auth", auth),
		slog.Int("stores", len(defs)))
	return nil
}

// sharedKey reads the key from --key-file or JUNCTION_PROXY_KEY. It may be
// absent only when client certificates authenticate callers.
func (m *ProxyMain) sharedKey() (junction.Secret, error) {
	var key string
	switch {
	case m.Config.KeyFile != "":
		b, err := os.ReadFile(m.Config.KeyFile)
		if err != nil {
			return junction.Secret{}, fmt.Errorf("--key-file: %w", err)
		}
		key = strings.TrimSpace(string(b))
	default:
		key = m.Getenv(envProxyKey)
	}
	if key == "" {
		if m.Config.ClientCA != "" {
			return junction.Secret{}, nil
		}
		return junction.Secret{}, fmt.Errorf("a shared key is required (%s or --key-file), or client certificates (--client-ca)", envProxyKey)
	}
	if len(key) < minProxyKeyLen {
		return junction.Secret{}, fmt.Errorf("the shared key must be at least %d characters", minProxyKeyLen)
	}
	return junction.NewSecret(key), nil
}

// URL is the proxy's base address, for a store's "url".
func (m *ProxyMain) URL() string { return "https://" + m.listener.Addr().String() }

// Serve runs the proxy until ctx is cancelled or serving fails.
func (m *ProxyMain) Serve(ctx context.Context) error {
	if err := m.Run(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		m.logger.Info("credentials proxy shutting down")
	case <-m.serveDone:
		m.logger.Error("credentials proxy stopped", slog.Any("error", m.serveErr))
	}
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

Callers authenticate with the shared key (JUNCTION_PROXY_KEY or --key-file, at
least 32 characters), with a client certificate (--client-ca), or both. The
proxy refuses to start without TLS and one of them. Values pass through and
are kept no longer than the request; logs name the store and the outcome,
never a value. GET /healthz answers without authentication.

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
