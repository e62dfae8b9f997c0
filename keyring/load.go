package keyring

import (
	"context"
	"errors"
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
	// KMS is the URL of the KMS key that wraps the key file's new master
	// keys (--master-key-kms); "" keeps new keys in the file itself. It
	// cannot be combined with JUNCTION_MASTER_KEY.
	KMS string
	// OpenKMS reaches the KMS keys named by KMS and by the key file's
	// wrapped entries. Without it, a key file holding wrapped keys cannot
	// be loaded.
	OpenKMS OpenKMSFunc
	// KeyFileMustExist refuses to create a missing key file: the database
	// already holds values sealed under a master key, and a new key would
	// open none of them while hiding that the old one is lost.
	KeyFileMustExist bool
}

func (o LoadOptions) kmsKeys() *kmsKeys {
	if o.OpenKMS == nil && o.KMS == "" {
		return nil
	}
	return newKMSKeys(o.KMS, o.OpenKMS)
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
	if opts.KMS != "" && opts.env(EnvMasterKey) != "" {
		return nil, junction.Errorf(junction.EINVALID,
			"%s is set and so is a KMS key for the master key: keep the master key in one place (unset %s, or drop the KMS key)", EnvMasterKey, EnvMasterKey)
	}
	if opts.KMS != "" && opts.OpenKMS == nil {
		return nil, junction.Internal(fmt.Errorf("keyring: LoadOptions.KMS is set without OpenKMS"))
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
	if opts.KeyFileMustExist {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			return nil, junction.Errorf(junction.EINVALID,
				"the master key file %s does not exist, but the database holds secrets sealed under a master key: "+
					"restore the key file from your backup (or set %s or %s to where it is); "+
					"a new key would open none of them", path, EnvMasterKeyFile, EnvMasterKey)
		}
	}
	return loadFile(path, logger, opts.kmsKeys())
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
	return newRing(opts.logger(), primary, previous...)
}

func loadFile(path string, logger *slog.Logger, kms *kmsKeys) (*Ring, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*kmsTimeout)
	defer cancel()
	if _, err := os.Lstat(path); os.IsNotExist(err) {
		if err := createFile(ctx, path, logger, kms); err != nil {
			return nil, err
		}
	}
	r := &Ring{path: path, logger: logger, kms: kms}
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	kf, fi, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	defer kf.clear()
	pk, keys, err := kf.ringKeys(ctx, logger, kms, nil)
	if err != nil {
		return nil, prefixError(err, "master key file "+path)
	}
	r.primary, r.keys, r.loaded = pk, keys, fi
	if kms != nil && kms.configured != "" && !sameKMSKey(pk.kms, kms.configured) {
		logger.Warn("the primary master key is not wrapped by the configured KMS key; run rotate-master-key to move to it",
			slog.String("path", path), slog.String("key_id", pk.id), slog.String("kms", kmsKeyName(kms.configured)))
	}
	return r, nil
}

// prefixError says where err happened, keeping its code and, for the
// person reading it, its message.
func prefixError(err error, where string) error {
	var je *junction.Error
	if !errors.As(err, &je) {
		return fmt.Errorf("%s: %w", where, err)
	}
	return &junction.Error{Code: je.Code, Message: where + ": " + je.Message, Field: je.Field, Err: err}
}

// createFile makes a key file holding one new master key, wrapped by the
// configured KMS key if there is one.
func createFile(ctx context.Context, path string, logger *slog.Logger, kms *kmsKeys) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create directory for master key file: %w", err)
	}
	e, err := newKeyEntry(ctx, kms, time.Now())
	if err != nil {
		return prefixError(err, "create master key file "+path)
	}
	kf := &keyFile{Primary: e.ID, Keys: []keyFileEntry{e}}
	created, err := createKeyFile(path, kf)
	kf.clear()
	if err != nil || !created {
		return err
	}
	if e.KMS != "" {
		logger.Warn("created a new master key file holding a master key wrapped by the KMS key; back it up, since sealed secrets cannot be recovered without it and the KMS key",
			slog.String("path", path), slog.String("key_id", e.ID), slog.String("kms", kmsKeyName(e.KMS)))
	} else {
		logger.Warn("created a new master key file; back it up, since sealed secrets cannot be recovered without it",
			slog.String("path", path), slog.String("key_id", e.ID))
	}
	return nil
}
