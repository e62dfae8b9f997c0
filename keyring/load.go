package keyring

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"junction"
)

// Environment variables Load reads.
const (
	EnvMasterKey         = "JUNCTION_MASTER_KEY"
	EnvMasterKeyPrevious = "JUNCTION_MASTER_KEY_PREVIOUS"
	EnvMasterKeyFile     = "JUNCTION_MASTER_KEY_FILE"
)

// LoadOptions say where Load finds master keys.
type LoadOptions struct {
	// LookupEnv reads environment variables; nil means os.LookupEnv.
	// Tests pass a map lookup.
	LookupEnv func(string) (string, bool)
	// DataDir holds master.key when neither JUNCTION_MASTER_KEY nor
	// JUNCTION_MASTER_KEY_FILE is set.
	DataDir string
	// Logger receives key file creation and re-read notices; nil discards.
	Logger *slog.Logger
}

func (o LoadOptions) env(name string) string {
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, _ := lookup(name)
	return strings.TrimSpace(v)
}

func (o LoadOptions) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// keyFilePath returns the key file Load would use, or "" when the keys come
// from the environment.
func (o LoadOptions) keyFilePath() (string, error) {
	if o.env(EnvMasterKey) != "" {
		return "", nil
	}
	if p := o.env(EnvMasterKeyFile); p != "" {
		return p, nil
	}
	if o.DataDir == "" {
		return "", junction.Errorf(junction.EINVALID,
			"no master key: set %s or %s, or give a data directory to keep %s in", EnvMasterKey, EnvMasterKeyFile, DefaultKeyFileName)
	}
	return filepath.Join(o.DataDir, DefaultKeyFileName), nil
}

// Load returns the ring configured by the environment and data directory
// (see the package comment for the order). A missing key file is created
// with a new key and mode 0600.
func Load(opts LoadOptions) (*Ring, error) {
	logger := opts.logger()
	if opts.env(EnvMasterKey) == "" && opts.env(EnvMasterKeyPrevious) != "" {
		return nil, junction.Errorf(junction.EINVALID, "%s is set but %s is not", EnvMasterKeyPrevious, EnvMasterKey)
	}
	path, err := opts.keyFilePath()
	if err != nil {
		return nil, err
	}
	if path == "" {
		if opts.env(EnvMasterKeyFile) != "" {
			logger.Warn("both master key variables are set; using " + EnvMasterKey + " and ignoring " + EnvMasterKeyFile)
		}
		return loadEnv(opts)
	}
	return loadFile(path, logger)
}

func loadEnv(opts LoadOptions) (*Ring, error) {
	primary, ok := decodeKey(opts.env(EnvMasterKey))
	if !ok {
		return nil, junction.Invalid(EnvMasterKey, "must be the base64 encoding of %d random bytes (for example the output of: openssl rand -base64 32)", KeySize)
	}
	defer clear(primary)
	var previous [][]byte
	for i, s := range strings.Split(opts.env(EnvMasterKeyPrevious), ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		k, ok := decodeKey(s)
		if !ok {
			return nil, junction.Invalid(EnvMasterKeyPrevious, "entry %d must be the base64 encoding of %d bytes", i+1, KeySize)
		}
		defer clear(k)
		previous = append(previous, k)
	}
	r, err := New(primary, previous...)
	if err != nil {
		return nil, err
	}
	r.logger = opts.logger()
	return r, nil
}

func loadFile(path string, logger *slog.Logger) (*Ring, error) {
	if _, err := os.Lstat(path); os.IsNotExist(err) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create directory for master key file: %w", err)
		}
		kf := newKeyFile(time.Now())
		created, err := createKeyFile(path, kf)
		kf.clear()
		if err != nil {
			return nil, err
		}
		if created {
			logger.Warn("created a new master key file; back it up, since sealed secrets cannot be recovered without it",
				slog.String("path", path), slog.String("key_id", kf.Primary))
		}
	}
	r := &Ring{path: path, logger: logger}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	kf, fi, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	defer kf.clear()
	pk, keys, err := kf.ringKeys()
	if err != nil {
		return nil, err
	}
	r.primary, r.keys, r.loaded = pk, keys, fi
	return r, nil
}
