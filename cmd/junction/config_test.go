package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"junction"
)

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "junction.yaml")
	if err := os.WriteFile(file, []byte(`
listen: 127.0.0.1:7000
log_level: debug
log_format: json
outbound_allow: [10.1.0.0/16, 10.2.0.0/16]
connectors_dir: /from/file
`), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(t *testing.T, env map[string]string, args ...string) (*Main, error) {
		m := NewMain()
		m.Getenv = func(k string) string { return env[k] }
		return m, m.ParseFlags(args)
	}

	t.Run("Defaults", func(t *testing.T) {
		m, err := parse(t, nil)
		if err != nil {
			t.Fatal(err)
		}
		c := m.Config
		if c.Listen != "127.0.0.1:8080" || c.DataDir != "./junction-data" || c.LogFormat != "text" || c.LogLevel != "info" {
			t.Fatalf("defaults: %+v", c)
		}
		if c.DatabaseDSN() != filepath.Join("junction-data", "junction.db") || c.IsPostgres() {
			t.Fatalf("default database %q", c.DatabaseDSN())
		}
	})

	t.Run("FlagOverEnvOverFileOverDefault", func(t *testing.T) {
		env := map[string]string{
			"JUNCTION_CONFIG":         file,
			"JUNCTION_LISTEN":         "127.0.0.1:7001",
			"JUNCTION_LOG_LEVEL":      "warn",
			"JUNCTION_OUTBOUND_ALLOW": "192.168.0.0/24, 172.16.0.0/12",
			"JUNCTION_DATABASE":       "postgres://db.example/junction",
		}
		m, err := parse(t, env, "--listen", "127.0.0.1:7002")
		if err != nil {
			t.Fatal(err)
		}
		c := m.Config
		if c.Listen != "127.0.0.1:7002" {
			t.Errorf("listen = %q, want the flag's", c.Listen)
		}
		if c.LogLevel != "warn" {
			t.Errorf("log level = %q, want the environment's", c.LogLevel)
		}
		if c.LogFormat != "json" || c.ConnectorsDir != "/from/file" {
			t.Errorf("log format %q, connectors dir %q: want the file's", c.LogFormat, c.ConnectorsDir)
		}
		if !slices.Equal(c.OutboundAllow, []string{"192.168.0.0/24", "172.16.0.0/12"}) {
			t.Errorf("outbound allow = %v, want the environment's", c.OutboundAllow)
		}
		if c.DataDir != "./junction-data" {
			t.Errorf("data dir = %q, want the default", c.DataDir)
		}
		if !c.IsPostgres() {
			t.Errorf("database %q should select PostgreSQL", c.DatabaseDSN())
		}
	})

	t.Run("FileLists", func(t *testing.T) {
		m, err := parse(t, nil, "--config", file)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Config.OutboundAllow, []string{"10.1.0.0/16", "10.2.0.0/16"}) {
			t.Fatalf("outbound allow = %v", m.Config.OutboundAllow)
		}
	})

	t.Run("RepeatedFlag", func(t *testing.T) {
		m, err := parse(t, nil, "--trusted-proxy", "10.0.0.1/32", "--trusted-proxy", "fd00::/8")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Config.TrustedProxies, []string{"10.0.0.1/32", "fd00::/8"}) {
			t.Fatalf("trusted proxies = %v", m.Config.TrustedProxies)
		}
	})

	t.Run("StoreAllow", func(t *testing.T) {
		m, err := parse(t, nil, "--store-allow", "127.0.0.1/32", "--store-allow", "169.254.169.254/32")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Config.StoreAllow, []string{"127.0.0.1/32", "169.254.169.254/32"}) {
			t.Fatalf("store allow = %v", m.Config.StoreAllow)
		}
		m, err = parse(t, map[string]string{"JUNCTION_STORE_ALLOW": "127.0.0.1/32, ::1/128"})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Config.StoreAllow, []string{"127.0.0.1/32", "::1/128"}) {
			t.Fatalf("store allow from the environment = %v", m.Config.StoreAllow)
		}
	})

	t.Run("AuthFailureLimit", func(t *testing.T) {
		m, err := parse(t, nil)
		if err != nil {
			t.Fatal(err)
		}
		if burst, refill := m.Config.AuthFailureLimit(); burst != 10 || refill != 6*time.Second {
			t.Fatalf("defaults: %d per %v", burst, refill)
		}
		m, err = parse(t, map[string]string{"JUNCTION_AUTH_FAILURE_BURST": "0"}, "--auth-failure-refill", "1m")
		if err != nil {
			t.Fatal(err)
		}
		if burst, refill := m.Config.AuthFailureLimit(); burst >= 0 || refill != time.Minute {
			t.Fatalf("off: %d per %v", burst, refill)
		}
		m, err = parse(t, nil, "--config", writeFile(t, "auth_failure_burst: 25\nauth_failure_refill: 2s\n"))
		if err != nil {
			t.Fatal(err)
		}
		if burst, refill := m.Config.AuthFailureLimit(); burst != 25 || refill != 2*time.Second {
			t.Fatalf("from the file: %d per %v", burst, refill)
		}
	})

	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"ErrBadStoreCIDR":   {args: []string{"--store-allow", "localhost"}, want: "--store-allow"},
		"ErrUnknownFileKey": {args: []string{"--config", writeFile(t, "listen: x:1\nlisten_addr: y\n")}, want: `unknown key "listen_addr"`},
		"ErrMissingFile":    {args: []string{"--config", filepath.Join(dir, "nope.yaml")}, want: "does not exist"},
		"ErrBadCIDR":        {env: map[string]string{"JUNCTION_OUTBOUND_ALLOW": "10.0.0.0"}, want: "not a CIDR"},
		"ErrBadLogFormat":   {args: []string{"--log-format", "xml"}, want: "text or json"},
		"ErrBadLogLevel":    {args: []string{"--log-level", "loud"}, want: "--log-level"},
		"ErrBadListen":      {args: []string{"--listen", "8080"}, want: "--listen"},
		"ErrWrongFileType":  {args: []string{"--config", writeFile(t, "listen: [a, b]\n")}, want: "must be a string"},
		"ErrBadAuthBurst":   {args: []string{"--auth-failure-burst", "-1"}, want: "--auth-failure-burst"},
		"ErrBadAuthRefill":  {env: map[string]string{"JUNCTION_AUTH_FAILURE_REFILL": "6"}, want: "--auth-failure-refill"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parse(t, tc.env, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLoggerRedacts(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log := newLogger(&buf, format, slog.LevelInfo)
			log.Info("event",
				slog.String("password", "hunter2-plain"),
				slog.String("Authorization", "Bearer abc-plain"),
				slog.String("client_secret", "cs-plain"),
				slog.String("api_key", "ak-plain"),
				slog.String("apikey", "ak2-plain"),
				slog.Group("vault", slog.String("token", "vt-plain")),
				slog.Any("typed", junction.NewSecret("typed-plain")),
				slog.String("token_id", "keep-this-id"),
				slog.String("folder", "keep-this-too"),
			)
			out := buf.String()
			if strings.Contains(out, "-plain") {
				t.Fatalf("a secret reached the log: %s", out)
			}
			for _, keep := range []string{"keep-this-id", "keep-this-too"} {
				if !strings.Contains(out, keep) {
					t.Fatalf("%q was redacted: %s", keep, out)
				}
			}
		})
	}
}

// TestStoreTypeChoicesNameTheirKeys: every key a store type's choices name
// is one of its configuration keys, and a choice picked by a key names one
// that exists.
func TestStoreTypeChoicesNameTheirKeys(t *testing.T) {
	for name, typ := range storeTypes() {
		keys := map[string]bool{}
		for _, k := range typ.ConfigKeys {
			keys[k.Name] = true
		}
		for _, ch := range typ.Choices {
			if ch.Key != "" && !keys[ch.Key] {
				t.Errorf("%s: choice %q is picked by unknown key %q", name, ch.Name, ch.Key)
			}
			for _, o := range ch.Options {
				if ch.Key != "" && o.Value == "" {
					t.Errorf("%s: an option of %q has no value for %s", name, ch.Name, ch.Key)
				}
				for _, k := range o.Keys {
					if !keys[k] {
						t.Errorf("%s: choice %q names unknown key %q", name, ch.Name, k)
					}
				}
			}
		}
	}
}
