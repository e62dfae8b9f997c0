package credproxy

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Definition is one store the proxy serves, as its --stores file gives it.
// The store's login lives here, on the proxy's side only: the Junction
// server's store holds the proxy's address and key, never the vault's
// login.
type Definition struct {
	Type     string `yaml:"type"`
	Insecure bool   `yaml:"insecure"`
	ReadOnly bool   `yaml:"read_only"`
	ProxyURL string `yaml:"proxy_url"`
	// Config is the store type's configuration, secret keys included once
	// loaded; the file may instead name them in ConfigEnv and ConfigFiles.
	Config map[string]string `yaml:"config"`
	// ConfigEnv takes configuration keys from environment variables
	// (key: VARIABLE), so logins need not be written in the file.
	ConfigEnv map[string]string `yaml:"config_env"`
	// ConfigFiles takes configuration keys from files (key: path), read
	// whole with one trailing newline dropped.
	ConfigFiles map[string]string `yaml:"config_files"`
}

type definitionsFile struct {
	Stores map[string]Definition `yaml:"stores"`
}

// LoadDefinitions reads a --stores file (YAML, or JSON, which YAML reads
// too), filling each store's Config from its ConfigEnv and ConfigFiles.
// Errors name the store and the key, never a value.
func LoadDefinitions(path string, getenv func(string) string) (map[string]Definition, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read stores file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var f definitionsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("stores file %s: %w", path, err)
	}
	if len(f.Stores) == 0 {
		return nil, fmt.Errorf("stores file %s defines no stores (a top-level \"stores\" map of name to definition)", path)
	}
	for _, name := range slices.Sorted(maps.Keys(f.Stores)) {
		d := f.Stores[name]
		if d.Config == nil {
			d.Config = map[string]string{}
		}
		for _, k := range slices.Sorted(maps.Keys(d.ConfigEnv)) {
			v := getenv(d.ConfigEnv[k])
			if v == "" {
				return nil, fmt.Errorf("stores file: store %q: config_env.%s: environment variable %s is not set", name, k, d.ConfigEnv[k])
			}
			d.Config[k] = v
		}
		for _, k := range slices.Sorted(maps.Keys(d.ConfigFiles)) {
			b, err := os.ReadFile(d.ConfigFiles[k])
			if err != nil {
				return nil, fmt.Errorf("stores file: store %q: config_files.%s: %w", name, k, err)
			}
			d.Config[k] = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		}
		f.Stores[name] = d
	}
	return f.Stores, nil
}
