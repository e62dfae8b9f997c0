package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/net/http/httpproxy"

	"junction"
	"junction/app"
	"junction/cli"
	"junction/keyring"
	"junction/notify"
	"junction/resolver"
	"junction/sqldb"
)

// doctorTimeout bounds each network check: a filtered port answers
// nothing, and a person is waiting.
const doctorTimeout = 10 * time.Second

// Clock skew against the database beyond these is worth a warning (times
// stamped by each disagree visibly) and an error (sessions, token expiry
// and schedules go wrong).
const (
	skewWarning = 2 * time.Second
	skewError   = 30 * time.Second
)

// newDoctorCommand is `junction doctor`: the checks an operator runs when
// something is wrong, with the same configuration as serve.
func newDoctorCommand(env cli.Env) *cobra.Command {
	m := NewMain()
	m.Stdout, m.Stderr, m.Getenv = env.Stdout, env.Stderr, env.Getenv
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the configuration, database, master key, credential stores, public URL, proxy, DNS and SMTP",
		Long: `Doctor takes the same configuration as serve (flags, environment, --config
file) and checks, without changing anything: the configuration itself, that
the database answers and its schema fits this Junction, that the master key
opens a sealed value from the database, the clock against the database's, a
test login to each credential store of each tenant, that the public URL
answers, the outbound proxy, that the configured host names resolve, and the
SMTP server (connection, STARTTLS, login; no mail is sent).

Each check prints ok, warning or error, and what to do when it is not ok. The
exit status is 1 when any check is an error. A running server need not be
stopped. Tenant administrators get the checks that make sense from inside the
server at GET /api/v1/system/diagnostics.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks := m.Doctor(cmd.Context(), cmd.Flags())
			d := app.NewDiagnostics(checks)
			printChecks(m.Stdout, checks)
			if d.Status == junction.CheckError {
				failed := 0
				for _, c := range checks {
					if c.Status == junction.CheckError {
						failed++
					}
				}
				return fmt.Errorf("%d of %d checks failed; see above", failed, len(checks))
			}
			return nil
		},
	}
	m.Config.bindFlags(cmd.Flags())
	return cmd
}

func printChecks(w io.Writer, checks []junction.Check) {
	width := 0
	for _, c := range checks {
		width = max(width, len(c.Name))
	}
	for _, c := range checks {
		fmt.Fprintf(w, "%-7s  %-*s  %s\n", c.Status, width, c.Name, c.Message)
		if c.Fix != "" {
			fmt.Fprintf(w, "%-7s  %-*s  fix: %s\n", "", width, "", c.Fix)
		}
	}
}

// Doctor resolves the configuration from fs, the environment and the file,
// then runs every check it can. Checks that need a failed one are skipped
// rather than reported as failures of their own.
func (m *Main) Doctor(ctx context.Context, fs *pflag.FlagSet) []junction.Check {
	m.logger = slog.New(slog.DiscardHandler)
	if err := m.Config.resolve(fs, m.Getenv); err != nil {
		return []junction.Check{{Name: "configuration", Status: junction.CheckError, Message: err.Error(),
			Fix: "Correct that setting: a flag, its JUNCTION_ environment variable or the key in the --config file (flags win over the environment, which wins over the file)."}}
	}
	source := "flags, environment and defaults"
	if m.Config.ConfigFile != "" {
		source = "flags, environment and " + m.Config.ConfigFile
	}
	checks := []junction.Check{{Name: "configuration", Status: junction.CheckOK, Message: "read from " + source}}

	db, dbCheck := m.doctorDatabase(ctx)
	checks = append(checks, dbCheck)
	if db != nil {
		defer db.Close()
		checks = append(checks, schemaCheck(ctx, db), clockCheck(ctx, db, m.Clock.Now()))
	}
	ring, keyCheck := m.doctorMasterKey(ctx, db)
	checks = append(checks, keyCheck)
	if ring != nil {
		defer ring.Close()
	}
	checks = append(checks, m.doctorStores(ctx, db, ring)...)
	checks = append(checks, m.doctorPublicURL(ctx), doctorProxy(ctx), m.doctorDNS(ctx), m.doctorSMTP(ctx))
	return checks
}

// doctorDatabase opens the database as it is: no schema created, no
// migration run. A missing SQLite file is not created either.
func (m *Main) doctorDatabase(ctx context.Context) (*sqldb.DB, junction.Check) {
	c := junction.Check{Name: "database"}
	dsn := m.Config.DatabaseDSN()
	if !m.Config.IsPostgres() {
		if _, err := os.Stat(dsn); errors.Is(err, fs.ErrNotExist) {
			c.Status, c.Message = junction.CheckWarning, "no SQLite database at "+dsn+" yet"
			c.Fix = "Start junction serve once to create it, or correct --data-dir or --database if the database is elsewhere."
			return nil, c
		}
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: m.Clock, Logger: m.logger, Inspect: true})
	if err != nil {
		c.Status, c.Message = junction.CheckError, junction.ErrorMessage(err)
		c.Fix = "Start the database server, or correct --database (host, port, user, database name), and check that this machine can reach it: a firewall or a stopped server answers the same."
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			c.Message = fmt.Sprintf("the %s database did not answer within %s", m.databaseKind(), doctorTimeout)
		}
		return nil, c
	}
	c.Status, c.Message = junction.CheckOK, m.databaseKind()+" answers"
	return db, c
}

// schemaCheck compares the database's schema with the one this binary
// knows. Serve migrates a schema that lags; one that is ahead was written
// by a newer Junction.
func schemaCheck(ctx context.Context, db *sqldb.DB) junction.Check {
	c := junction.Check{Name: "database schema"}
	known := sqldb.KnownSchemaVersion()
	v, err := db.SchemaVersion(ctx)
	switch {
	case err != nil:
		c.Status, c.Message = junction.CheckWarning, "the database holds no Junction schema yet"
		c.Fix = "Start junction serve, which creates it; if Junction ran here before, check that --database names the right database (and search_path the right schema)."
	case v > known:
		entry, _ := junction.LookupError(junction.ESCHEMATOONEW)
		c.Status = junction.CheckError
		c.Message = fmt.Sprintf("the schema is at version %d, newer than the %d this Junction knows: a newer Junction migrated it", v, known)
		c.Fix = entry.Fix
	case v < known:
		c.Status = junction.CheckWarning
		c.Message = fmt.Sprintf("the schema is at version %d; this Junction migrates it to %d when it starts", v, known)
		c.Fix = "Back up the database, then start this Junction: it applies the pending migrations, each in a transaction."
	default:
		c.Status, c.Message = junction.CheckOK, fmt.Sprintf("version %d, as this Junction expects", v)
	}
	return c
}

// clockCheck compares now with the database server's clock.
func clockCheck(ctx context.Context, db *sqldb.DB, now time.Time) junction.Check {
	c := junction.Check{Name: "clock"}
	dbNow, ok, err := db.ServerTime(ctx)
	switch {
	case err != nil:
		c.Status, c.Message = junction.CheckWarning, "the database's clock could not be read: "+junction.ErrorMessage(err)
		c.Fix = "Check the database's answers above; then run doctor again."
		return c
	case !ok:
		c.Status, c.Message = junction.CheckOK, "SQLite keeps this machine's time"
		return c
	}
	skew := now.Sub(dbNow).Abs().Round(time.Millisecond)
	c.Message = fmt.Sprintf("this machine and the database differ by %s", skew)
	switch {
	case skew > skewError:
		c.Status = junction.CheckError
	case skew > skewWarning:
		c.Status = junction.CheckWarning
	default:
		c.Status = junction.CheckOK
		return c
	}
	c.Fix = "Synchronise both machines' clocks with NTP (chrony or systemd-timesyncd): sessions, token expiry, retention and poll schedules compare times stamped by both."
	return c
}

// systemChecks are the checks a running server makes for GET
// /api/v1/system/diagnostics: its database as it is now.
func (m *Main) systemChecks(ctx context.Context) []junction.Check {
	c := junction.Check{Name: "database", Status: junction.CheckOK, Message: m.databaseKind() + " answers"}
	if err := m.db.Ping(ctx); err != nil {
		entry, _ := junction.LookupError(junction.EUNAVAILABLE)
		c.Status, c.Message, c.Fix = junction.CheckError, "the database does not answer", entry.Fix
		return []junction.Check{c}
	}
	return []junction.Check{c, schemaCheck(ctx, m.db), clockCheck(ctx, m.db, m.Clock.Now())}
}

// doctorMasterKey loads the master keys without creating a key file, and
// opens one sealed value from the database with them: the only proof that
// they are the keys its secrets were sealed with.
func (m *Main) doctorMasterKey(ctx context.Context, db *sqldb.DB) (*keyring.Ring, junction.Check) {
	c := junction.Check{Name: "master key"}
	var canary *junction.SealedValue
	if db != nil {
		sealed, err := db.ListSealedNotWrappedWith(ctx, "", 1)
		if err == nil && len(sealed) > 0 {
			canary = sealed[0]
		}
	}
	opts := m.keyringOptions()
	opts.KeyFileMustExist = true
	if canary == nil && m.Getenv(keyring.EnvMasterKey) == "" {
		path := m.Getenv(keyring.EnvMasterKeyFile)
		if path == "" {
			path = filepath.Join(m.Config.DataDir, keyring.DefaultKeyFileName)
		}
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			c.Status, c.Message = junction.CheckWarning, "no master key at "+path+" yet, and nothing sealed in the database"
			c.Fix = "Start junction serve once to create it (or set JUNCTION_MASTER_KEY_FILE to where it is), and back the key file up apart from the database."
			return nil, c
		}
	}
	ring, err := keyring.Load(opts)
	if err != nil {
		c.Status, c.Message = junction.CheckError, junction.ErrorMessage(err)
		c.Fix = "Give Junction the master key its secrets were sealed with: restore the key file from your backup, or set JUNCTION_MASTER_KEY (older keys in JUNCTION_MASTER_KEY_PREVIOUS); with --master-key-kms, check that this machine may use the KMS key."
		return nil, c
	}
	if canary == nil {
		c.Status, c.Message = junction.CheckOK, "master key "+ring.PrimaryKeyID()+" loaded; nothing is sealed in the database yet"
		return ring, c
	}
	plain, err := ring.Open(canary)
	clear(plain)
	if err != nil {
		c.Status = junction.CheckError
		c.Message = "the master key does not open the database's secrets: " + junction.ErrorMessage(err)
		c.Fix = "Start with the master key the database was sealed with: restore master.key from your backup, or set JUNCTION_MASTER_KEY to it " +
			"(with JUNCTION_MASTER_KEY_PREVIOUS for older keys). A new key opens none of the existing secrets."
		ring.Close()
		return nil, c
	}
	c.Status, c.Message = junction.CheckOK, "master key "+ring.PrimaryKeyID()+" opens a sealed value from the database"
	return ring, c
}

// doctorStores tests the login of every credential store of every
// tenant, through the same store test the API offers.
func (m *Main) doctorStores(ctx context.Context, db *sqldb.DB, ring *keyring.Ring) []junction.Check {
	c := junction.Check{Name: "credential stores"}
	if db == nil || ring == nil {
		c.Status, c.Message = junction.CheckWarning, "not checked: the database and the master key must work first"
		c.Fix = "Fix the checks above, then run doctor again."
		return []junction.Check{c}
	}
	types := storeTypes()
	res, err := resolver.New(resolver.Options{Store: db, Keyring: ring, Types: types, Clock: m.Clock, Logger: m.logger,
		StoreAllow: prefixes(m.Config.StoreAllow), ServerIdentity: m.serverIdentity(db)})
	if err != nil {
		c.Status, c.Message = junction.CheckError, junction.ErrorMessage(err)
		return []junction.Check{c}
	}
	defer res.Close()
	a := app.New(db, app.Options{Clock: m.Clock, Logger: m.logger, Keyring: ring, Resolver: res, StoreTypes: types})
	checks, err := a.DiagnoseAllCredentialStores(ctx)
	if err != nil {
		c.Status, c.Message = junction.CheckError, "the stores could not be listed: "+junction.ErrorMessage(err)
		c.Fix = "Check the database checks above."
		return append(checks, c)
	}
	if len(checks) == 0 {
		c.Status, c.Message = junction.CheckOK, "no external credential stores"
		return []junction.Check{c}
	}
	return checks
}

// doctorPublicURL asks the public URL for /healthz, as a person or an
// OAuth provider would reach the server.
func (m *Main) doctorPublicURL(ctx context.Context) junction.Check {
	c := junction.Check{Name: "public URL"}
	if m.Config.PublicURL == "" {
		c.Status, c.Message = junction.CheckWarning, "not set: webhook and OAuth redirect URLs name http://"+m.Config.Listen
		c.Fix = "Set --public-url (JUNCTION_PUBLIC_URL) to the https:// address people and providers reach Junction at."
		return c
	}
	u, _ := url.Parse(m.Config.PublicURL) // validate checked it
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	health := strings.TrimSuffix(m.Config.PublicURL, "/") + "/healthz"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, health, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.Status, c.Message = junction.CheckWarning, "no answer from "+health+": "+unwrapURLError(err)
		c.Fix = "If the server is running, check DNS for " + u.Hostname() + ", the reverse proxy or load balancer in front of Junction, and the firewall between them."
		return c
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.Status, c.Message = junction.CheckWarning, fmt.Sprintf("%s answered %d", health, resp.StatusCode)
		c.Fix = "Check that the reverse proxy forwards " + u.Host + " to Junction's --listen address."
		return c
	}
	if u.Scheme != "https" && !loopbackHost(u.Hostname()) {
		c.Status, c.Message = junction.CheckWarning, health+" answers, but over plain http"
		c.Fix = "Serve Junction behind TLS (a reverse proxy) and make --public-url https://: passwords, sessions and OAuth codes cross this URL."
		return c
	}
	c.Status, c.Message = junction.CheckOK, health+" answers"
	return c
}

// doctorProxy connects to the forward proxy outbound calls use, which the
// HTTPS_PROXY and NO_PROXY environment variables choose.
func doctorProxy(ctx context.Context) junction.Check {
	c := junction.Check{Name: "outbound proxy"}
	proxy, err := httpproxy.FromEnvironment().ProxyFunc()(&url.URL{Scheme: "https", Host: "api.example.com"})
	if err != nil {
		c.Status, c.Message = junction.CheckError, "HTTPS_PROXY is not a URL"
		c.Fix = "Set HTTPS_PROXY to http://host:port of the proxy, or unset it."
		return c
	}
	if proxy == nil {
		c.Status, c.Message = junction.CheckOK, "none (HTTPS_PROXY unset): outbound calls connect directly"
		return c
	}
	addr := proxy.Host
	if proxy.Port() == "" {
		addr = net.JoinHostPort(proxy.Hostname(), "80")
	}
	ctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		c.Status, c.Message = junction.CheckError, "cannot connect to the proxy "+addr+": "+unwrapURLError(err)
		c.Fix = "Start the proxy or correct HTTPS_PROXY; every call to a third-party API goes through it."
		return c
	}
	conn.Close()
	c.Status, c.Message = junction.CheckOK, "outbound calls go through "+addr+", which accepts connections"
	return c
}

// doctorDNS resolves every host name the configuration names.
func (m *Main) doctorDNS(ctx context.Context) junction.Check {
	c := junction.Check{Name: "DNS"}
	var hosts []string
	add := func(raw string) {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" && net.ParseIP(u.Hostname()) == nil {
			hosts = append(hosts, u.Hostname())
		}
	}
	if m.Config.IsPostgres() {
		add(m.Config.DatabaseDSN())
	}
	add(m.Config.PublicURL)
	add(m.Config.SMTPURL)
	if p, err := httpproxy.FromEnvironment().ProxyFunc()(&url.URL{Scheme: "https", Host: "api.example.com"}); err == nil && p != nil {
		add(p.String())
	}
	if len(hosts) == 0 {
		c.Status, c.Message = junction.CheckOK, "the configuration names no host to resolve"
		return c
	}
	var failed []string
	for _, h := range hosts {
		lctx, cancel := context.WithTimeout(ctx, doctorTimeout)
		if _, err := net.DefaultResolver.LookupHost(lctx, h); err != nil {
			failed = append(failed, h)
		}
		cancel()
	}
	if len(failed) > 0 {
		c.Status, c.Message = junction.CheckError, "cannot resolve "+strings.Join(failed, ", ")
		c.Fix = "Check the spelling of these hosts in the configuration, and this machine's DNS servers (/etc/resolv.conf)."
		return c
	}
	c.Status, c.Message = junction.CheckOK, "resolved "+strings.Join(hosts, ", ")
	return c
}

// doctorSMTP holds a conversation with the SMTP server up to the login,
// and sends nothing.
func (m *Main) doctorSMTP(ctx context.Context) junction.Check {
	c := junction.Check{Name: "SMTP"}
	if m.Config.SMTPURL == "" {
		c.Status, c.Message = junction.CheckOK, "not configured: notifications are not emailed"
		return c
	}
	password, err := m.smtpPassword()
	if err != nil {
		c.Status, c.Message = junction.CheckError, err.Error()
		c.Fix = "Make --smtp-password-file readable by Junction, or set JUNCTION_SMTP_PASSWORD."
		return c
	}
	mailer, err := notify.NewSMTP(notify.SMTPConfig{URL: m.Config.SMTPURL, From: m.Config.SMTPFrom, Password: password, Timeout: doctorTimeout})
	if err != nil {
		c.Status, c.Message = junction.CheckError, "--smtp-url: "+junction.ErrorMessage(err)
		c.Fix = "Correct --smtp-url or --smtp-from."
		return c
	}
	if err := mailer.Check(ctx); err != nil {
		c.Status, c.Message = junction.CheckError, err.Error()
		c.Fix = "Check the host and port in --smtp-url, that the server offers STARTTLS (or use smtps:// on 465) with a certificate this machine trusts, and the user and password."
		return c
	}
	c.Status, c.Message = junction.CheckOK, "connected, secured and logged in; no mail sent"
	return c
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// unwrapURLError drops net/http's "Get \"URL\":" prefix, which repeats
// what the message already names.
func unwrapURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
