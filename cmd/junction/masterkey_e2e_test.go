package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startMain is runMainArgs for a start expected to fail: it returns Run's
// error.
func startMain(t *testing.T, dataDir, database string, env map[string]string) error {
	t.Helper()
	m := NewMain()
	m.Stdout, m.Stderr = io.Discard, io.Discard
	m.Getenv = func(k string) string { return env[k] }
	m.ShutdownTimeout = 10 * time.Second
	if err := m.ParseFlags([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--database", database}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	_ = m.Close()
	if err == nil {
		return errors.New("started")
	}
	return err
}

// TestMasterKeyFileCheckedAgainstDatabase: the key file is made only once
// the database is known to be reachable and to hold nothing sealed; a lost
// key file is never silently replaced while sealed secrets exist.
func TestMasterKeyFileCheckedAgainstDatabase(t *testing.T) {
	env := map[string]string{envBootstrapToken: testBootstrapToken}

	t.Run("UnreachableDatabase", func(t *testing.T) {
		dir := t.TempDir()
		err := startMain(t, dir, "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", env)
		if !strings.Contains(err.Error(), "open database") {
			t.Fatalf("start: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "master.key")); !os.IsNotExist(err) {
			t.Fatalf("a master key was written for a database that could not be opened: %v", err)
		}
	})

	t.Run("LostKeyFile", func(t *testing.T) {
		dir := t.TempDir()
		m, _ := runMainArgs(t, dir, "", env)
		api := &apiClient{t: t, base: m.URL(), token: testBootstrapToken}
		var folder struct {
			ID string `json:"id"`
		}
		api.must(http.StatusCreated, "POST", "/api/v1/folders", map[string]any{"name": "Robots"}, &folder)
		api.must(http.StatusCreated, "POST", "/api/v1/assets", map[string]any{
			"folder_id": folder.ID, "name": "erp", "type": "secret", "value": "sealed-value-of-erp",
		}, nil)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		keyFile := filepath.Join(dir, "master.key")
		if err := os.Remove(keyFile); err != nil {
			t.Fatal(err)
		}
		err := startMain(t, dir, "", env)
		if !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "restore the key file") {
			t.Fatalf("start without the key file: %v", err)
		}
		if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
			t.Fatalf("a new master key replaced the lost one: %v", err)
		}
	})
}
