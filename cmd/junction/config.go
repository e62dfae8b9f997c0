package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"junction"
	"junction/httpapi"
	"junction/kms"
	"junction/outbound"
)

// Config is the server's configuration after flags, environment, the
// configuration file and defaults have been merged, in that order of
// precedence.
type Config struct {
	Listen   string
	DataDir  string
	Database string // a file path or sqlite: DSN, or a postgres:// URL; empty means junction.db in DataDir
	// ConfigFile is the YAML file the other keys were read from, if any.
	ConfigFile    string
	LogFormat     string // text or json
	LogLevel      string // debug, info, warn, error
	OutboundAllow []string
	StoreAllow    []string
	// StoreServerIdentity is which tenants' credential stores may log in
	// as the server itself: default, all or none.
	StoreServerIdentity string
	ConnectorsDir       string
	TrustedProxies      []string
	// PublicURL is the address people and OAuth providers reach the server
	// at; empty means http://<the listen address>.
	PublicURL string
	// Metrics is "true" or "false": whether GET /metrics is served.
	Metrics string
	// AuthFailureBurst and AuthFailureRefill limit failed authentication:
	// a count (0 turns the limit off) and a Go duration.
	AuthFailureBurst  string
	AuthFailureRefill string
	// MaxExecuteBodyBytes bounds the body of an execution, whose file
	// inputs come in base64; OutboundMaxResponseBytes bounds what an
	// upstream API may answer, a downloaded file included. Both are whole
	// numbers of bytes.
	MaxExecuteBodyBytes      string
	OutboundMaxResponseBytes string
	// MasterKeyKMS is the URL of the KMS key that wraps the master keys
	// in the key file; empty keeps them in the file itself.
	MasterKeyKMS string
	// MasterKeyKMSCAFile is a PEM file of CAs for a KMS with a private
	// certificate (a private Vault).
	MasterKeyKMSCAFile string
	// SMTPURL is smtp://user@host:587 (or smtps://); empty sends no email.
	// The password comes from SMTPPasswordFile or JUNCTION_SMTP_PASSWORD,
	// never from the URL or a flag, so it shows in no process list.
	SMTPURL          string
	SMTPFrom         string
	SMTPPasswordFile string
	// OIDCIssuer turns on single sign-on with that OpenID Connect
	// provider. The client secret comes from OIDCClientSecretFile or
	// JUNCTION_OIDC_CLIENT_SECRET, never from a flag.
	OIDCIssuer           string
	OIDCClientID         string
	OIDCClientSecretFile string
	// OIDCClientSecretAsset names a secret or credential asset of the
	// default tenant holding the client secret, resolved at each sign-in.
	OIDCClientSecretAsset string
	OIDCUsernameClaim     string
	OIDCCreateUsers       string // "true" or "false"
	OIDCDefaultRoles      []string
	OIDCCAFile            string
	// UsageFlushInterval is a Go duration: how often usage counts are
	// written, which is also what a crash may lose of them.
	UsageFlushInterval string
}

// setting is one configuration key: its flag, environment variable, YAML key
// and default. Keeping them in one table keeps --help, the README's table and
// the precedence rules from drifting apart.
type setting struct {
	flag, env, key string
	def            string
	usage          string
	str            *string   // for single values
	list           *[]string // for repeatable values; the env var is comma-separated
	// boolean lets the flag stand alone for true (--metrics).
	boolean bool
	// number lets the YAML file give a whole number unquoted.
	number bool
}

func (c *Config) settings() []setting {
	return []setting{
		{flag: "listen", env: "JUNCTION_LISTEN", key: "listen", def: "127.0.0.1:8080", str: &c.Listen,
			usage: "address to serve HTTP on; port 0 picks a free port"},
		{flag: "data-dir", env: "JUNCTION_DATA_DIR", key: "data_dir", def: "./junction-data", str: &c.DataDir,
			usage: "directory for the master key and the SQLite database (created with mode 0700)"},
		{flag: "database", env: "JUNCTION_DATABASE", key: "database", str: &c.Database,
			usage: "SQLite file path, or a postgres:// URL to use PostgreSQL (default: junction.db in the data dir)"},
		{flag: "log-format", env: "JUNCTION_LOG_FORMAT", key: "log_format", def: "text", str: &c.LogFormat,
			usage: "log format: text or json"},
		{flag: "log-level", env: "JUNCTION_LOG_LEVEL", key: "log_level", def: "info", str: &c.LogLevel,
			usage: "least severe level logged: debug, info, warn or error"},
		{flag: "outbound-allow", env: "JUNCTION_OUTBOUND_ALLOW", key: "outbound_allow", list: &c.OutboundAllow,
			usage: "private network (CIDR) that outbound calls may reach; repeatable, env comma-separated"},
		{flag: "store-allow", env: "JUNCTION_STORE_ALLOW", key: "store_allow", list: &c.StoreAllow,
			usage: "loopback, link-local or metadata address (CIDR) that credential stores may reach; repeatable, env comma-separated"},
		{flag: "store-server-identity", env: "JUNCTION_STORE_SERVER_IDENTITY", key: "store_server_identity", def: "default",
			str:   &c.StoreServerIdentity,
			usage: "which tenants' credential stores may log in as this server (its cloud identity, a file or an environment variable of it): default (the default tenant only), all or none"},
		{flag: "connectors-dir", env: "JUNCTION_CONNECTORS_DIR", key: "connectors_dir", str: &c.ConnectorsDir,
			usage: "directory of connector definitions"},
		{flag: "trusted-proxy", env: "JUNCTION_TRUSTED_PROXIES", key: "trusted_proxies", list: &c.TrustedProxies,
			usage: "CIDR of a reverse proxy whose X-Forwarded-For is believed; repeatable, env comma-separated"},
		{flag: "auth-failure-burst", env: "JUNCTION_AUTH_FAILURE_BURST", key: "auth_failure_burst", def: "10",
			str: &c.AuthFailureBurst, number: true,
			usage: "failed authentications in a row a client address or token prefix may have before further attempts answer 429; 0 turns the limit off"},
		{flag: "max-execute-body-bytes", env: "JUNCTION_MAX_EXECUTE_BODY_BYTES", key: "max_execute_body_bytes",
			def: strconv.Itoa(httpapi.DefaultMaxExecuteBodyBytes), str: &c.MaxExecuteBodyBytes, number: true,
			usage: "largest body of a request to run an activity, whose files come in base64 (a third larger than the file)"},
		{flag: "outbound-max-response-bytes", env: "JUNCTION_OUTBOUND_MAX_RESPONSE_BYTES", key: "outbound_max_response_bytes",
			def: strconv.Itoa(outbound.DefaultMaxResponseBytes), str: &c.OutboundMaxResponseBytes, number: true,
			usage: "largest answer read from a third-party API, a downloaded file included; larger ones fail with response_too_large"},
		{flag: "auth-failure-refill", env: "JUNCTION_AUTH_FAILURE_REFILL", key: "auth_failure_refill", def: "6s",
			str: &c.AuthFailureRefill, usage: "time in which one more failed authentication is allowed again, such as 6s or 1m"},
		{flag: "public-url", env: "JUNCTION_PUBLIC_URL", key: "public_url", str: &c.PublicURL,
			usage: "URL people and OAuth providers reach this server at; OAuth redirects go to <public-url>/oauth/callback (default http://<listen>)"},
		{flag: "metrics", env: "JUNCTION_METRICS", key: "metrics", def: "true", str: &c.Metrics, boolean: true,
			usage: "serve Prometheus metrics at /metrics, without a token, on the API's listener"},
		{flag: "master-key-kms", env: "JUNCTION_MASTER_KEY_KMS", key: "master_key_kms", str: &c.MasterKeyKMS,
			usage: "URL of a KMS key (hashivault://, awskms://, azurekeyvault://, gcpkms://) that wraps the master keys, so none is stored in the clear"},
		{flag: "master-key-kms-ca-file", env: "JUNCTION_MASTER_KEY_KMS_CA_FILE", key: "master_key_kms_ca_file", str: &c.MasterKeyKMSCAFile,
			usage: "PEM file of the CAs that issued the KMS's TLS certificate (a private Vault)"},
		{flag: "smtp-url", env: "JUNCTION_SMTP_URL", key: "smtp_url", str: &c.SMTPURL,
			usage: "SMTP server notifications are emailed through, smtp://user@host:587 (STARTTLS, required except to loopback) or smtps://user@host:465; no password here"},
		{flag: "smtp-from", env: "JUNCTION_SMTP_FROM", key: "smtp_from", str: &c.SMTPFrom,
			usage: "sender address of notification emails, such as Junction <junction@example.com>"},
		{flag: "smtp-password-file", env: "JUNCTION_SMTP_PASSWORD_FILE", key: "smtp_password_file", str: &c.SMTPPasswordFile,
			usage: "file holding the SMTP password (or set JUNCTION_SMTP_PASSWORD)"},
		{flag: "oidc-issuer", env: "JUNCTION_OIDC_ISSUER", key: "oidc_issuer", str: &c.OIDCIssuer,
			usage: "issuer URL of an OpenID Connect provider to offer single sign-on with; register <public-url>/login/sso/callback as its redirect URI"},
		{flag: "oidc-client-id", env: "JUNCTION_OIDC_CLIENT_ID", key: "oidc_client_id", str: &c.OIDCClientID,
			usage: "client ID Junction has at the OpenID Connect provider"},
		{flag: "oidc-client-secret-file", env: "JUNCTION_OIDC_CLIENT_SECRET_FILE", key: "oidc_client_secret_file", str: &c.OIDCClientSecretFile,
			usage: "file holding the OpenID Connect client secret (or set JUNCTION_OIDC_CLIENT_SECRET)"},
		{flag: "oidc-client-secret-asset", env: "JUNCTION_OIDC_CLIENT_SECRET_ASSET", key: "oidc_client_secret_asset", str: &c.OIDCClientSecretAsset,
			usage: "ID of a secret or credential asset of the default tenant holding the OpenID Connect client secret, resolved from its store at each sign-in so that a rotation needs no restart"},
		{flag: "oidc-username-claim", env: "JUNCTION_OIDC_USERNAME_CLAIM", key: "oidc_username_claim", str: &c.OIDCUsernameClaim,
			usage: "ID token or userinfo claim holding the Junction user name (default preferred_username, else email)"},
		{flag: "oidc-create-users", env: "JUNCTION_OIDC_CREATE_USERS", key: "oidc_create_users", def: "false", str: &c.OIDCCreateUsers, boolean: true,
			usage: "create a user at their first single sign-on instead of refusing names Junction does not know"},
		{flag: "oidc-default-roles", env: "JUNCTION_OIDC_DEFAULT_ROLES", key: "oidc_default_roles", list: &c.OIDCDefaultRoles,
			usage: "role given tenant-wide in the default tenant to users created at single sign-on; repeatable, env comma-separated"},
		{flag: "oidc-ca-file", env: "JUNCTION_OIDC_CA_FILE", key: "oidc_ca_file", str: &c.OIDCCAFile,
			usage: "PEM file of the CAs that issued the OpenID Connect provider's TLS certificate (a private provider)"},
		{flag: "usage-flush-interval", env: "JUNCTION_USAGE_FLUSH_INTERVAL", key: "usage_flush_interval", def: "5s",
			str:   &c.UsageFlushInterval,
			usage: "how often usage counts are written to the database; a crash loses at most this much of them, and servers together may overshoot an API-call quota by this much"},
	}
}

// isKeySetting reports whether a setting says where the master key is:
// rotate-master-key takes these along with the database's.
func isKeySetting(flag string) bool {
	return flag == "data-dir" || flag == "database" || flag == "master-key-kms" || flag == "master-key-kms-ca-file"
}

const envConfig = "JUNCTION_CONFIG"

// bindFlags declares the serve flags on fs, each naming its environment
// variable in its help text.
func (c *Config) bindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.ConfigFile, "config", "", "YAML file setting any of the keys below (env "+envConfig+")")
	for _, s := range c.settings() {
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		if s.list != nil {
			fs.StringArrayVar(s.list, s.flag, nil, usage)
		} else {
			fs.StringVar(s.str, s.flag, s.def, usage)
		}
		if s.boolean {
			fs.Lookup(s.flag).NoOptDefVal = "true"
		}
	}
}

// resolve fills every setting not given as a flag from the environment, then
// the configuration file, then the default (already in place from
// bindFlags), and validates the result.
//
// This merge is written here rather than with koanf, which was compared:
// the settings table above must exist either way, because it is what
// declares the flags, their help and their environment names, and what
// the README's table follows; koanf would replace only this loop, with
// its core plus four provider and parser modules (posflag, env, file,
// yaml), a second untyped key map, and errors that no longer name the
// configuration file and key the operator must fix. The precedence rules
// are tested key by key in config_test.go.
func (c *Config) resolve(fs *pflag.FlagSet, getenv func(string) string) error {
	if !fs.Changed("config") {
		c.ConfigFile = getenv(envConfig)
	}
	file, err := readConfigFile(c.ConfigFile)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, s := range c.settings() {
		known[s.key] = true
		if fs.Changed(s.flag) {
			continue
		}
		if v := getenv(s.env); v != "" {
			if s.list != nil {
				*s.list = splitList(v)
			} else {
				*s.str = v
			}
			continue
		}
		v, ok := file[s.key]
		if !ok {
			continue
		}
		if err := s.setFromFile(v); err != nil {
			return fmt.Errorf("config file %s: %w", c.ConfigFile, err)
		}
	}
	for k := range file {
		if !known[k] {
			return fmt.Errorf("config file %s: unknown key %q", c.ConfigFile, k)
		}
	}
	return c.validate()
}

func (s setting) setFromFile(v any) error {
	if s.list != nil {
		switch v := v.(type) {
		case []any:
			out := make([]string, 0, len(v))
			for _, e := range v {
				str, ok := e.(string)
				if !ok {
					return fmt.Errorf("%s: list entries must be strings", s.key)
				}
				out = append(out, str)
			}
			*s.list = out
		case string:
			*s.list = splitList(v)
		default:
			return fmt.Errorf("%s: must be a list of strings", s.key)
		}
		return nil
	}
	if b, ok := v.(bool); ok && s.boolean {
		*s.str = strconv.FormatBool(b)
		return nil
	}
	if n, ok := v.(int); ok && s.number {
		*s.str = strconv.Itoa(n)
		return nil
	}
	str, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: must be a string", s.key)
	}
	*s.str = str
	return nil
}

func readConfigFile(path string) (map[string]any, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config file %s does not exist", path)
	} else if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	var m map[string]any
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil && len(bytes.TrimSpace(b)) > 0 {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return m, nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (c *Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("--listen %q: %w", c.Listen, err)
	}
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	if !slices.Contains([]string{"text", "json"}, c.LogFormat) {
		return fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	for _, cidr := range c.OutboundAllow {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			return fmt.Errorf("--outbound-allow %q is not a CIDR such as 10.0.0.0/8", cidr)
		}
	}
	for _, cidr := range c.StoreAllow {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			return fmt.Errorf("--store-allow %q is not a CIDR such as 127.0.0.1/32", cidr)
		}
	}
	if !slices.Contains([]string{"default", "all", "none"}, c.StoreServerIdentity) {
		return fmt.Errorf("--store-server-identity must be default, all or none, not %q", c.StoreServerIdentity)
	}
	if _, err := strconv.ParseBool(c.Metrics); err != nil {
		return fmt.Errorf("--metrics must be true or false, not %q", c.Metrics)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--public-url %q is not an http(s) URL such as https://junction.example.com", c.PublicURL)
		}
	}
	for _, cidr := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			return fmt.Errorf("--trusted-proxy %q is not a CIDR such as 10.0.0.0/8", cidr)
		}
	}
	if n, err := strconv.Atoi(c.AuthFailureBurst); err != nil || n < 0 {
		return fmt.Errorf("--auth-failure-burst must be a whole number, 0 to turn the limit off, not %q", c.AuthFailureBurst)
	}
	for _, s := range []struct{ flag, v string }{{"max-execute-body-bytes", c.MaxExecuteBodyBytes}, {"outbound-max-response-bytes", c.OutboundMaxResponseBytes}} {
		if n, err := strconv.ParseInt(s.v, 10, 64); err != nil || n < 1024 {
			return fmt.Errorf("--%s must be a whole number of bytes, at least 1024, not %q", s.flag, s.v)
		}
	}
	if d, err := time.ParseDuration(c.AuthFailureRefill); err != nil || d <= 0 {
		return fmt.Errorf("--auth-failure-refill must be a positive duration such as 6s, not %q", c.AuthFailureRefill)
	}
	if d, err := time.ParseDuration(c.UsageFlushInterval); err != nil || d < 100*time.Millisecond || d > time.Hour {
		return fmt.Errorf("--usage-flush-interval must be a duration between 100ms and 1h such as 5s, not %q", c.UsageFlushInterval)
	}
	if c.SMTPURL != "" && c.SMTPFrom == "" {
		return errors.New("--smtp-from is required with --smtp-url: say which address notification emails come from")
	}
	if err := c.validateOIDC(); err != nil {
		return err
	}
	if c.MasterKeyKMS != "" {
		if err := kms.CheckURL(c.MasterKeyKMS); err != nil {
			return fmt.Errorf("--master-key-kms: %s", junction.ErrorMessage(err))
		}
	}
	return nil
}

// ByteLimits are the execution body and upstream response limits, which
// validate checked.
func (c *Config) ByteLimits() (executeBody, outboundResponse int64) {
	executeBody, _ = strconv.ParseInt(c.MaxExecuteBodyBytes, 10, 64)
	outboundResponse, _ = strconv.ParseInt(c.OutboundMaxResponseBytes, 10, 64)
	return executeBody, outboundResponse
}

// AuthFailureLimit is the limit on failed authentication: burst failures
// in a row, then one more each refill; burst is negative when the limit
// is off.
func (c *Config) AuthFailureLimit() (burst int, refill time.Duration) {
	// validate checked both.
	burst, _ = strconv.Atoi(c.AuthFailureBurst)
	refill, _ = time.ParseDuration(c.AuthFailureRefill)
	if burst == 0 {
		burst = -1
	}
	return burst, refill
}

// UsageFlush is the usage flush interval, which validate checked.
func (c *Config) UsageFlush() time.Duration {
	d, _ := time.ParseDuration(c.UsageFlushInterval)
	return d
}

// MetricsEnabled reports whether GET /metrics is served.
func (c *Config) MetricsEnabled() bool {
	b, _ := strconv.ParseBool(c.Metrics) // validate checked it
	return b
}

// OAuthRedirectURI is where OAuth providers send browsers back: the
// callback under the public URL, or under the listen address (its real
// port when it asked for port 0) when no public URL is set.
func (c *Config) OAuthRedirectURI(listenAddr string) string {
	base := c.PublicURL
	if base == "" {
		base = "http://" + listenAddr
	}
	return strings.TrimSuffix(base, "/") + "/oauth/callback"
}

// PublicBaseURL is the base of the URLs others call Junction at (webhook
// trigger URLs): the public URL, or http://<the listen address>.
func (c *Config) PublicBaseURL(listenAddr string) string {
	if c.PublicURL == "" {
		return "http://" + listenAddr
	}
	return strings.TrimSuffix(c.PublicURL, "/")
}

// DatabaseDSN is the database to open: --database, or junction.db in the
// data dir.
func (c *Config) DatabaseDSN() string {
	if c.Database != "" {
		return c.Database
	}
	return filepath.Join(c.DataDir, "junction.db")
}

// IsPostgres reports whether the database is PostgreSQL.
func (c *Config) IsPostgres() bool {
	d := c.DatabaseDSN()
	return strings.HasPrefix(d, "postgres://") || strings.HasPrefix(d, "postgresql://")
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", s)
	}
	return l, nil
}

func (c *Config) validateOIDC() error {
	if _, err := strconv.ParseBool(c.OIDCCreateUsers); err != nil {
		return fmt.Errorf("--oidc-create-users must be true or false, not %q", c.OIDCCreateUsers)
	}
	if c.OIDCIssuer == "" {
		if c.OIDCClientID != "" || c.OIDCClientSecretFile != "" || c.OIDCClientSecretAsset != "" || c.OIDCCAFile != "" || len(c.OIDCDefaultRoles) > 0 {
			return errors.New("--oidc-issuer is required with the other --oidc- settings: say which provider to sign in with")
		}
		return nil
	}
	u, err := url.Parse(c.OIDCIssuer)
	if err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--oidc-issuer %q is not an https URL such as https://login.example.com (http only to loopback)", c.OIDCIssuer)
	}
	if c.OIDCClientID == "" {
		return errors.New("--oidc-client-id is required with --oidc-issuer")
	}
	if c.OIDCClientSecretAsset != "" && c.OIDCClientSecretFile != "" {
		return errors.New("--oidc-client-secret-asset and --oidc-client-secret-file both name the client secret: give one")
	}
	return nil
}

// OIDCCreate reports whether single sign-on creates unknown users.
func (c *Config) OIDCCreate() bool {
	b, _ := strconv.ParseBool(c.OIDCCreateUsers) // validate checked it
	return b
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}
