package main

import (
	"strings"
	"testing"

	"junction/httpapi"
	"junction/outbound"
)

func TestByteLimitSettings(t *testing.T) {
	parse := func(env map[string]string, args ...string) (*Main, error) {
		m := NewMain()
		m.Getenv = func(k string) string { return env[k] }
		return m, m.ParseFlags(args)
	}
	t.Run("Defaults", func(t *testing.T) {
		m, err := parse(nil)
		if err != nil {
			t.Fatal(err)
		}
		body, resp := m.Config.ByteLimits()
		if body != httpapi.DefaultMaxExecuteBodyBytes || resp != outbound.DefaultMaxResponseBytes {
			t.Fatalf("limits = %d, %d", body, resp)
		}
	})
	t.Run("FlagAndEnv", func(t *testing.T) {
		m, err := parse(map[string]string{"JUNCTION_OUTBOUND_MAX_RESPONSE_BYTES": "33554432"}, "--max-execute-body-bytes", "2097152")
		if err != nil {
			t.Fatal(err)
		}
		if body, resp := m.Config.ByteLimits(); body != 2<<20 || resp != 32<<20 {
			t.Fatalf("limits = %d, %d", body, resp)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		for _, args := range [][]string{{"--max-execute-body-bytes", "16MB"}, {"--outbound-max-response-bytes", "10"}} {
			if _, err := parse(nil, args...); err == nil || !strings.Contains(err.Error(), args[0]) {
				t.Errorf("%v: err = %v", args, err)
			}
		}
	})
}
