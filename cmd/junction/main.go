// Command junction is Junction's single binary: "junction serve" runs the
// server, the other commands are the client (package cli) and maintenance
// (rotate-master-key). This package only wires: configuration in, the
// packages that do the work out.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"junction"
	"junction/app"
	"junction/cli"
	"junction/connector"
	"junction/engine"
	"junction/keyring"
	"junction/kms"
	"junction/notify"
	"junction/outbound"
	"junction/queue"
	"junction/resolver"
	"junction/sqldb"
	"junction/storecache"
	"junction/trigger"
	"junction/usage"
)

// envBootstrapToken names the variable that fixes the first administrator's
// token on an empty database.
const envBootstrapToken = "JUNCTION_BOOTSTRAP_TOKEN"

// envBootstrapPassword names the variable that gives the first
// administrator a password for the web UI on an empty database.
const envBootstrapPassword = "JUNCTION_BOOTSTRAP_PASSWORD"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// run executes one command line and returns the process exit code. Failures
// are printed as one line, "error: <message> (<code>)".
func run(ctx context.Context, args []string, env cli.Env) int {
	root := newRootCommand(env)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(env.Stderr, cli.FormatError(err))
		return 1
	}
	return 0
}

func newRootCommand(env cli.Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "junction",
		Short: "Junction: a self-hosted integration service",
		Long: `Junction lets automations call SaaS APIs through connections whose
credentials stay in your vaults.

"junction serve" runs the server; the other commands talk to a running
server over its REST API (see "junction login").

Flags of every client command:
  --server URL      the server (JUNCTION_SERVER; default: saved by junction login)
  --token TOKEN     the API token (JUNCTION_TOKEN; default: saved by junction login)
  -o, --output F    table, json or yaml (JUNCTION_FORMAT; default table)
  --field NAME      print only this field of the answer, bare

Objects are named by ID or by name; folders by path (Finance/Payroll).`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.AddCommand(newServeCommand(env), newCredentialsProxyCommand(env), newRotateCommand(env), newDoctorCommand(env), newVersionCommand(env))
	root.AddCommand(cli.New(env).Commands()...)
	root.Version = readBuildInfo().String()
	root.SetVersionTemplate("{{.Version}}\n")
	refuseUnknownSubcommands(root)
	return root
}

func newServeCommand(env cli.Env) *cobra.Command {
	m := NewMain()
	m.Stdout, m.Stderr, m.Getenv = env.Stdout, env.Stderr, env.Getenv
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Junction server",
		Long: `Serve runs the Junction server. Every setting can be given as a flag, an
environment variable or a key of the --config YAML file; a flag wins over the
environment, which wins over the file, which wins over the default.

On an empty database it creates the default tenant and its administrator. The
administrator's API token is taken from JUNCTION_BOOTSTRAP_TOKEN (at least 32
characters) or, when that is unset, generated and printed once to standard
error. JUNCTION_BOOTSTRAP_PASSWORD, when set, becomes the administrator's
password for the web UI (at least 12 characters, not containing "admin");
when unset, a one-time link to set it, valid 24 hours, is printed once to
standard error.

The master key that seals secrets at rest comes from JUNCTION_MASTER_KEY
(base64 of 32 bytes; older keys in JUNCTION_MASTER_KEY_PREVIOUS), or from the
key file JUNCTION_MASTER_KEY_FILE, else master.key in the data directory,
created on first start. With --master-key-kms the key file holds the master
key only wrapped by that KMS key, which unwraps it at each start.

SIGINT or SIGTERM stops accepting connections, lets in-flight requests finish
and exits 0.`,
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

func newVersionCommand(env cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date of this binary",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(env.Stdout, readBuildInfo())
		},
	}
}

// refuseUnknownSubcommands makes every command that only groups others
// fail on an argument that names none of them. Cobra checks this for the
// root alone; below it, "junction folders bogus" would print the help and
// exit 0, so a typo in a script would pass unnoticed. Without arguments
// such a command still prints its help.
func refuseUnknownSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if !cmd.HasSubCommands() || cmd.Runnable() || !cmd.HasParent() {
		return
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		names := []string{}
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		return fmt.Errorf("unknown command %q for %q; available: %s", args[0], c.CommandPath(), strings.Join(names, ", "))
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
}

// Main is the server: the configuration and the pieces it wires together.
// Tests build one, set Config (Listen "127.0.0.1:0", a temporary DataDir),
// call Run, talk to Addr, and Close it.
type Main struct {
	Config Config
	// Stderr receives the logs and, on first start, the generated
	// administrator token.
	Stdout, Stderr io.Writer
	// Getenv reads the environment; tests pass their own.
	Getenv func(string) string
	Clock  junction.Clock
	// ShutdownTimeout bounds how long Close waits for in-flight requests.
	ShutdownTimeout time.Duration

	logger  *slog.Logger
	keyring *keyring.Ring
	db      *sqldb.DB
	// store is db behind the cache of what every request reads; the
	// server's components use it, never db directly.
	store     *storecache.Store
	stopCache context.CancelFunc
	cacheDone chan struct{}
	// stopRotations ends the watch for values other servers found rotated.
	stopRotations context.CancelFunc
	rotationsDone chan struct{}
	app           *app.App
	resolver      *resolver.Resolver
	engine        *engine.Engine
	outbound      *outbound.Client
	// usage counts consumption in memory and flushes it to the database.
	usage *usage.Meter
	// queue runs background jobs (polls, webhook events, deliveries) and
	// triggers is the trigger runtime whose workers it runs.
	queue    *queue.Queue
	triggers *trigger.Runtime
	// stopJobNotify ends the forwarding of this server's finished trigger
	// work to waiting job claims.
	stopJobNotify func()
	// tuneQueue and tuneTriggers, set by tests only, adjust the queue's
	// and the trigger runtime's options (timeouts, retry delays) before
	// they are built.
	tuneQueue    func(*queue.Options)
	tuneTriggers func(*trigger.Options)
	// notifier turns events into notifications; tuneNotify, set by tests
	// only, adjusts its options.
	notifier   *notify.Notifier
	tuneNotify func(*notify.Options)

	// tuneOutbound, set by tests only, adjusts the outbound client: the
	// roots that verify a loopback API's TLS certificate.
	tuneOutbound func(*outbound.Options)
	// retireKeys is rotate-master-key's --retire.
	retireKeys bool
	// metrics is the one registry every component reports to.
	metrics  *prometheus.Registry
	listener net.Listener
	server   *http.Server
	// serveDone is closed when the HTTP server stops serving; serveErr is
	// why, nil after a shutdown.
	serveDone chan struct{}
	serveErr  error
}

// NewMain returns a Main with the default configuration and the process's
// own environment and output.
func NewMain() *Main {
	m := &Main{
		Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		Clock:           junction.SystemClock{},
		ShutdownTimeout: 30 * time.Second,
	}
	m.Config.bindFlags(newFlagSet()) // fills the defaults
	return m
}

// ParseFlags reads the serve flags from args, then the environment and the
// configuration file, as "junction serve" does.
func (m *Main) ParseFlags(args []string) error {
	fs := newFlagSet()
	m.Config.bindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	return m.Config.resolve(fs, m.Getenv)
}

// Serve runs the server until ctx is cancelled (SIGINT or SIGTERM in the
// binary) or the server fails, then shuts down gracefully.
func (m *Main) Serve(ctx context.Context) error {
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	select {
	case <-ctx.Done():
		m.logger.Info("shutting down: draining in-flight requests", slog.Duration("timeout", m.ShutdownTimeout))
	case <-m.serveDone:
		m.logger.Error("server stopped", slog.Any("error", m.serveErr))
	}
	return m.Close()
}

// Run starts the server and returns once it is listening: it creates the
// data directory, opens and migrates the database, bootstraps an empty one,
// and serves HTTP in the background.
func (m *Main) Run(ctx context.Context) error {
	level, err := parseLevel(m.Config.LogLevel)
	if err != nil {
		return err
	}
	m.logger = newLogger(m.Stderr, m.Config.LogFormat, level)

	if err := m.prepareDataDir(); err != nil {
		return err
	}
	// The database first: a server that cannot reach it must not leave a
	// new master key behind, and one whose database already holds sealed
	// values must not make a new key when its key file is missing.
	m.db, err = sqldb.Open(ctx, m.Config.DatabaseDSN(), sqldb.Options{Clock: m.Clock, Logger: m.logger})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	sealed, err := m.db.ListSealedNotWrappedWith(ctx, "", 1)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	opts := m.keyringOptions()
	opts.KeyFileMustExist = len(sealed) > 0
	m.keyring, err = keyring.Load(opts)
	if err != nil {
		return fmt.Errorf("load master key: %w", err)
	}
	if kmsURL := m.keyring.PrimaryKMS(); kmsURL != "" {
		m.logger.Info("master key unwrapped by the KMS", slog.String("key_id", m.keyring.PrimaryKeyID()),
			slog.String("kms", kms.KeyName(kmsURL)))
	}
	m.startStoreCache()
	types := storeTypes()
	m.resolver, err = resolver.New(resolver.Options{
		Store: m.store, Keyring: m.keyring, Types: types, Clock: m.Clock, Logger: m.logger,
		StoreAllow: prefixes(m.Config.StoreAllow), Peers: m.db, ServerIdentity: m.serverIdentity(m.store),
	})
	if err != nil {
		return fmt.Errorf("start secret resolver: %w", err)
	}
	m.followRotations()
	catalog, err := connector.LoadCatalog(connector.Builtin(), m.Config.ConnectorsDir)
	if err != nil {
		return fmt.Errorf("load connector definitions: %w", err)
	}
	// The built-in catalog plus each tenant's published custom connectors.
	defs := connector.NewLibrary(catalog, m.store)
	// Another server's deletion of a custom connector reaches this one
	// through the change feed (PostgreSQL); a new connector given the same
	// key and version numbers must not run this server's old parse.
	m.store.OnChange(func(table string) {
		if table == "" || table == "custom_connectors" {
			defs.ForgetAll()
		}
	})
	m.metrics = newMetricsRegistry(m.resolver)
	m.startUsage(ctx)
	if m.engine, err = m.newEngine(defs); err != nil {
		return err
	}
	// The listener comes before the app: without --public-url, OAuth
	// redirects name the address it really got (port 0 picks one).
	m.listener, err = net.Listen("tcp", m.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Listen, err)
	}
	if err := m.newTriggerRuntime(ctx, defs); err != nil {
		return err
	}
	m.app = app.New(m.store, app.Options{
		Clock: m.Clock, Logger: m.logger, Keyring: m.keyring, Resolver: m.resolver, StoreTypes: types,
		Catalog: defs, Engine: m.engine, OAuthRedirectURI: m.Config.OAuthRedirectURI(m.listener.Addr().String()),
		Triggers: m.triggers, PublicURL: m.Config.PublicBaseURL(m.listener.Addr().String()),
		Usage: m.usage, System: m.systemInfo(), SystemChecks: m.systemChecks,
	})
	if err := m.startNotifications(); err != nil {
		return err
	}
	if err := m.bootstrap(ctx); err != nil {
		return err
	}
	if err := m.app.EnsureDatabaseStores(ctx); err != nil {
		return fmt.Errorf("create built-in credential stores: %w", err)
	}
	if err := m.app.WarnInsecureStores(ctx); err != nil {
		return fmt.Errorf("check credential stores: %w", err)
	}

	handler, err := m.handler(ctx)
	if err != nil {
		return err
	}
	if err := m.startTriggers(ctx); err != nil {
		return err
	}

	m.server = &http.Server{
		Handler: handler,
		// Slow or stalled clients must not hold connections forever.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
	}
	m.serveDone = make(chan struct{})
	go func() {
		defer close(m.serveDone)
		if err := m.server.Serve(m.listener); !errors.Is(err, http.ErrServerClosed) {
			m.serveErr = fmt.Errorf("serve HTTP: %w", err)
		}
	}()
	m.logger.Info("junction listening",
		slog.String("addr", m.listener.Addr().String()),
		slog.String("version", readBuildInfo().Version),
		slog.String("database", m.databaseKind()),
		slog.String("master_key_id", m.keyring.PrimaryKeyID()))
	return nil
}

// Addr is the address the server listens on, with the real port when
// --listen asked for port 0. It is empty before Run.
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// URL is the server's base URL, for clients in tests.
func (m *Main) URL() string { return "http://" + m.Addr() }

// Close stops accepting connections, waits up to ShutdownTimeout for
// in-flight requests, then closes the database. It is safe to call on a
// Main whose Run failed half-way.
func (m *Main) Close() error {
	var errs []error
	closed := false
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
		err := m.server.Shutdown(ctx)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("shut down HTTP server: %w", err))
			m.server.Close()
		}
		<-m.serveDone
		if m.serveErr != nil {
			errs = append(errs, m.serveErr)
		}
		m.server = nil
		m.listener = nil
		closed = true
	}
	if m.listener != nil {
		// Run failed between listening and serving.
		_ = m.listener.Close()
		m.listener = nil
	}
	if m.stopJobNotify != nil {
		m.stopJobNotify()
		m.stopJobNotify = nil
	}
	if m.queue != nil {
		// After the drain, before the engine and the database: running
		// polls and deliveries finish, or are cancelled at the timeout
		// and run again later (a job is done only once it completed).
		ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
		if err := m.triggers.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("finish first delivery attempts: %w", err))
		}
		if err := m.queue.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop job queue: %w", err))
		}
		cancel()
		m.queue, m.triggers = nil, nil
	}
	if m.engine != nil {
		// After the drain: the last executions' records are written.
		if err := m.engine.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close engine: %w", err))
		}
		m.engine = nil
	}
	if m.usage != nil {
		// After the engine and the queue: every execution, poll and
		// delivery has been counted.
		ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
		if err := m.usage.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("write usage counts: %w", err))
		}
		cancel()
		m.usage = nil
	}
	if m.stopRotations != nil {
		m.stopRotations()
		<-m.rotationsDone
		m.stopRotations = nil
	}
	if m.resolver != nil {
		// Drops every cached secret and ends the stores' login renewals.
		if err := m.resolver.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close secret resolver: %w", err))
		}
		m.resolver = nil
	}
	if m.stopCache != nil {
		m.stopCache()
		<-m.cacheDone
		m.stopCache, m.store = nil, nil
	}
	if m.db != nil {
		if err := m.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
		m.db = nil
		closed = true
	}
	if m.keyring != nil {
		// Last: everything that seals or opens has stopped.
		m.keyring.Close()
		m.keyring = nil
	}
	if closed && len(errs) == 0 {
		m.logger.Info("junction stopped")
	}
	return errors.Join(errs...)
}

// prepareDataDir creates the data directory readable by its owner only; it
// holds the master key.
func (m *Main) prepareDataDir() error {
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	fi, err := os.Stat(m.Config.DataDir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		m.logger.Warn("the data directory is readable by others; it holds the master key",
			slog.String("data_dir", m.Config.DataDir), slog.String("mode", fi.Mode().Perm().String()))
	}
	return nil
}

// keyringOptions tells the keyring where master keys are: the environment
// (JUNCTION_MASTER_KEY...) or master.key in the data directory, and which
// KMS key wraps them there.
func (m *Main) keyringOptions() keyring.LoadOptions {
	lookup := func(k string) (string, bool) {
		v := m.Getenv(k)
		return v, v != ""
	}
	return keyring.LoadOptions{
		LookupEnv: lookup,
		DataDir:   m.Config.DataDir,
		Logger:    m.logger,
		KMS:       m.Config.MasterKeyKMS,
		OpenKMS:   kms.Opener(kms.Options{CAFile: m.Config.MasterKeyKMSCAFile, LookupEnv: lookup}),
	}
}

// bootstrap prepares an empty database. A generated administrator token is
// written straight to Stderr, once, and never through the logger: log
// pipelines keep what they receive.
func (m *Main) bootstrap(ctx context.Context) error {
	res, err := m.app.Bootstrap(ctx, app.BootstrapOptions{Token: junction.NewSecret(m.Getenv(envBootstrapToken)),
		Password: junction.NewSecret(m.Getenv(envBootstrapPassword))})
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if !res.Created {
		return nil
	}
	m.logger.Info("created the default tenant and its administrator",
		slog.String("tenant_id", res.Tenant.ID), slog.String("admin", res.Admin.Name), slog.String("token_id", res.TokenID))
	if !res.Token.IsZero() {
		fmt.Fprintf(m.Stderr, "\nAdministrator %q API token (shown only this once; store it now):\n\n    %s\n\n",
			res.Admin.Name, res.Token.Reveal())
	}
	if !res.SetupToken.IsZero() {
		fmt.Fprintf(m.Stderr, "\nSet administrator %q's password for the web UI within %s (this link works once):\n\n    %s/setup?token=%s\n\n",
			res.Admin.Name, app.SetupTokenTTL, m.Config.PublicBaseURL(m.listener.Addr().String()), res.SetupToken.Reveal())
	}
	return nil
}

func (m *Main) databaseKind() string {
	if m.Config.IsPostgres() {
		return "postgres"
	}
	return "sqlite " + m.Config.DatabaseDSN()
}
