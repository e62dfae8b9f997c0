package main

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"

	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"github.com/spf13/pflag"

	"junction"
	"junction/app"
	"junction/connector"
	"junction/credstore/awssm"
	"junction/credstore/azurekv"
	"junction/credstore/beyondtrust"
	"junction/credstore/conjur"
	"junction/credstore/credproxy"
	"junction/credstore/cyberark"
	"junction/credstore/delinea"
	"junction/credstore/gcpsm"
	"junction/credstore/vault"
	"junction/engine"
	"junction/httpapi"
	"junction/notify"
	"junction/outbound"
	"junction/queue"
	"junction/resolver"
	"junction/retention"
	"junction/storecache"
	"junction/trigger"
	"junction/usage"
	"junction/webui"
)

// storeTypes is the registry of external credential store types, by the
// name used in a store's "type". Adding a vault means adding its package
// here; the built-in "database" type needs no entry.
func storeTypes() map[string]junction.CredentialStoreType {
	return map[string]junction.CredentialStoreType{
		vault.TypeName:       vault.Type,
		cyberark.TypeName:    cyberark.Type,
		azurekv.TypeName:     azurekv.Type(),
		awssm.TypeName:       awssm.Type(),
		conjur.TypeName:      conjur.Type,
		gcpsm.TypeName:       gcpsm.Type,
		delinea.TypeName:     delinea.Type,
		beyondtrust.TypeName: beyondtrust.Type,
		credproxy.TypeName:   credproxy.Type,
	}
}

// prefixes parses CIDRs that validate already checked: --outbound-allow,
// --store-allow, --trusted-proxy.
func prefixes(cidrs []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(cidrs))
	for _, c := range cidrs {
		out = append(out, netip.MustParsePrefix(c).Masked())
	}
	return out
}

func newFlagSet() *pflag.FlagSet {
	return pflag.NewFlagSet("serve", pflag.ContinueOnError)
}

// handler builds the HTTP API over the app, with the web UI on every
// other path.
func (m *Main) handler(ctx context.Context) (http.Handler, error) {
	burst, refill := m.Config.AuthFailureLimit()
	opts := httpapi.Options{
		Logger:         m.logger,
		Readiness:      m.ready,
		TrustedProxies: prefixes(m.Config.TrustedProxies),
		Version:        readBuildInfo().Version,
		AuthFailures:   httpapi.AuthLimit{Burst: burst, Every: refill},
	}
	opts.MaxExecuteBodyBytes, _ = m.Config.ByteLimits()
	if m.Config.MetricsEnabled() {
		opts.Metrics = m.metrics
	}
	sso, err := m.ssoOptions(ctx)
	if err != nil {
		return nil, err
	}
	api := httpapi.New(m.app, opts)
	api.Mount(webui.New(m.app, webui.Options{Guard: api, Logger: m.logger, Clock: m.Clock, SSO: sso,
		Secure: strings.HasPrefix(m.Config.PublicURL, "https://")}))
	return api.Handler(), nil
}

// newMetricsRegistry makes the one registry /metrics serves: the Go
// runtime, the process, and the secret cache's counters; the engine adds
// its own.
func newMetricsRegistry(res *resolver.Resolver) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		res.Collector(),
	)
	return reg
}

// newEngine builds the engine over the outbound client, which may reach
// the private networks --outbound-allow names and no others.
func (m *Main) newEngine(catalog connector.Definitions) (*engine.Engine, error) {
	_, maxResponse := m.Config.ByteLimits()
	oo := outbound.Options{Allow: prefixes(m.Config.OutboundAllow), Clock: m.Clock, Logger: m.logger, MaxResponseBytes: maxResponse}
	if m.tuneOutbound != nil {
		m.tuneOutbound(&oo)
	}
	out, err := outbound.New(oo)
	if err != nil {
		return nil, fmt.Errorf("outbound client: %w", err)
	}
	m.outbound = out
	eng, err := engine.New(engine.Options{
		Store: m.store, Keyring: m.keyring, Catalog: catalog, Resolver: m.resolver, Outbound: out,
		Clock: m.Clock, Logger: m.logger, Registerer: m.metrics, Usage: m.usage,
	})
	if err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	return eng, nil
}

// Job queue settings. Idle workers look for jobs made by any server five
// times a second; a job inserted on this server wakes them sooner. Fifty
// workers: most trigger work waits on other servers (APIs polled, targets
// delivered to), and River fetches at most as many jobs as it has free
// workers each time. With webhook events stored and delivered in shared
// transactions, 25 workers did less and 50 and 100 did the same (bench,
// 2 cores, SQLite). Polls run in a queue of their own (see trigger). A job
// still running twice its timeout after it started was cut off at the
// timeout or lost with a crashed server: it runs again.
const (
	queueFetchInterval = 200 * time.Millisecond
	queueMaxWorkers    = 50
	queueJobTimeout    = time.Minute
	queueRescueAfter   = 2 * queueJobTimeout
)

// newTriggerRuntime builds the job queue in the database and the trigger
// runtime whose workers it runs (polls, webhook events, deliveries). They
// start with startTriggers.
func (m *Main) newTriggerRuntime(ctx context.Context, catalog connector.Definitions) error {
	qo := queue.Options{DB: m.db, Logger: m.logger, FetchPollInterval: queueFetchInterval, MaxWorkers: queueMaxWorkers,
		JobTimeout: queueJobTimeout, RescueStuckJobsAfter: queueRescueAfter}
	if m.tuneQueue != nil {
		m.tuneQueue(&qo)
	}
	q, err := queue.New(ctx, qo)
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	to := trigger.Options{Store: m.store, Keyring: m.keyring, Catalog: catalog, Engine: m.engine, Queue: q,
		Outbound: m.outbound, Clock: m.Clock, Logger: m.logger, Registerer: m.metrics, Usage: m.usage,
		// The app is made after the runtime, and serves before any
		// webhook arrives.
		OnQueueJobs: func() { m.app.NotifyJobs() }}
	if m.tuneTriggers != nil {
		m.tuneTriggers(&to)
	}
	rt, err := trigger.New(to)
	if err != nil {
		return fmt.Errorf("trigger runtime: %w", err)
	}
	m.queue, m.triggers = q, rt
	return nil
}

// startTriggers starts the queue's workers and forwards the end of this
// server's polls and webhook events, which may have made queue jobs, to
// the claims waiting for them. The workers outlive ctx: Close stops them
// after the HTTP drain.
func (m *Main) startTriggers(ctx context.Context) error {
	events, cancel := m.queue.Client().Subscribe(river.EventKindJobCompleted)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range events {
			if k := ev.Job.Kind; k == trigger.KindPoll || k == trigger.KindWebhookEvent || k == trigger.KindWebhookEvents {
				m.app.NotifyJobs()
			}
		}
	}()
	m.stopJobNotify = func() { cancel(); <-done }
	if n, err := m.triggers.ResumeFirstDeliveries(ctx); err != nil {
		return fmt.Errorf("resume first delivery attempts: %w", err)
	} else if n > 0 {
		m.logger.Info("resumed the first delivery attempts of a previous run", "groups", n)
	}
	if err := m.queue.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	return nil
}

// ready is the readiness probe: the database answers and its schema is the
// one this binary knows (a newer server may have migrated it meanwhile).
func (m *Main) ready(ctx context.Context) error {
	if err := m.db.Ping(ctx); err != nil {
		return err
	}
	return m.db.CheckSchema(ctx)
}

// startStoreCache puts the cache of per-request lookups in front of the
// database and follows the database's change feed, so that writes made by
// other servers reach it.
func (m *Main) startStoreCache() {
	m.store = storecache.New(m.db, storecache.Options{Clock: m.Clock, Logger: m.logger, Feed: m.db})
	ctx, cancel := context.WithCancel(context.Background())
	m.stopCache, m.cacheDone = cancel, make(chan struct{})
	go func() {
		defer close(m.cacheDone)
		_ = m.store.Run(ctx) // returns when stopped; losses are logged as they happen
	}()
}

// followRotations drops from the secret cache every value another server
// found rotated in its vault (PostgreSQL; on SQLite one server is all there
// is), so an execution here uses the new value without a failed attempt.
func (m *Main) followRotations() {
	ctx, cancel := context.WithCancel(context.Background())
	m.stopRotations, m.rotationsDone = cancel, make(chan struct{})
	res := m.resolver
	go func() {
		defer close(m.rotationsDone)
		_ = m.db.WatchRotations(ctx, func(tenantID, assetID string) { res.Rotated(ctx, tenantID, assetID) })
	}()
}

// startUsage starts the usage meter, whose counts are flushed every
// --usage-flush-interval and on Close.
func (m *Main) startUsage(ctx context.Context) {
	m.usage = usage.New(usage.Options{Store: m.store, Clock: m.Clock, Logger: m.logger, FlushInterval: m.Config.UsageFlush()})
	m.usage.Run(context.WithoutCancel(ctx))
}

// systemInfo is what GET /api/v1/system tells of this server besides
// what the app adds: never the database's address, only its kind.
func (m *Main) systemInfo() app.SystemInfo {
	b := readBuildInfo()
	db := "sqlite"
	if m.Config.IsPostgres() {
		db = "postgres"
	}
	return app.SystemInfo{
		Version: b.Version, Commit: b.Commit, BuildDate: b.BuildDate, Database: db,
		SMTP: m.Config.SMTPURL != "", OIDC: m.Config.OIDCIssuer != "", SeveralServers: m.Config.IsPostgres(),
		Limits: app.SystemLimits{
			RequestBodyBytes:       httpapi.DefaultMaxBodyBytes,
			WebhookBodyBytes:       trigger.MaxWebhookBody,
			UpstreamResponseBytes:  m.upstreamResponseBytes(),
			UpstreamTimeoutSeconds: int64(outbound.DefaultTimeout.Seconds()),
			DeliveryTimeoutSeconds: int64(trigger.DefaultDeliveryTimeout.Seconds()),
			MaxPages:               engine.MaxPages,
			UsageFlushSeconds:      int64(m.Config.UsageFlush().Seconds()),
		},
	}
}

// startNotifications registers the notifier (with the SMTP mailer when
// --smtp-url is set) and the retention sweep on the queue, before it
// starts.
func (m *Main) startNotifications() error {
	opts := notify.Options{Store: m.store, Queue: m.queue, Keyring: m.keyring, Outbound: m.outbound,
		PublicURL: m.Config.PublicBaseURL(m.listener.Addr().String()), Clock: m.Clock, Logger: m.logger}
	if m.Config.SMTPURL != "" {
		password, err := m.smtpPassword()
		if err != nil {
			return err
		}
		mailer, err := notify.NewSMTP(notify.SMTPConfig{URL: m.Config.SMTPURL, From: m.Config.SMTPFrom, Password: password})
		if err != nil {
			return fmt.Errorf("--smtp-url: %s", junction.ErrorMessage(err))
		}
		opts.Mailer = mailer
	}
	if m.tuneNotify != nil {
		m.tuneNotify(&opts)
	}
	m.notifier = notify.New(opts)
	m.notifier.Register()
	retention.New(retention.Options{Store: m.store, Clock: m.Clock, Logger: m.logger}).Register(m.queue)
	return nil
}

// envSMTPPassword holds the SMTP password when no file does.
const envSMTPPassword = "JUNCTION_SMTP_PASSWORD"

// smtpPassword reads the SMTP password from --smtp-password-file, else
// the environment. Errors name the file, never its content.
func (m *Main) smtpPassword() (junction.Secret, error) {
	return readSecret(m.Config.SMTPPasswordFile, "--smtp-password-file", m.Getenv(envSMTPPassword))
}

// upstreamResponseBytes is the configured limit on an upstream answer.
func (m *Main) upstreamResponseBytes() int64 {
	if _, n := m.Config.ByteLimits(); n > 0 {
		return n
	}
	return outbound.DefaultMaxResponseBytes
}
