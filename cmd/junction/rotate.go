package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"junction"
	"junction/cli"
	"junction/keyring"
	"junction/kms"
	"junction/sqldb"
)

// newRotateCommand is `junction rotate-master-key`: a new primary master key,
// then every sealed value re-wrapped with it. Servers may keep running.
func newRotateCommand(env cli.Env) *cobra.Command {
	m := NewMain()
	m.Stdout, m.Stderr, m.Getenv = env.Stdout, env.Stderr, env.Getenv
	cmd := &cobra.Command{
		Use:   "rotate-master-key",
		Short: "Add a new master key and re-wrap every sealed value with it",
		Long: `Rotate-master-key makes a new master key the primary one and re-wraps the
data key of every sealed value with it. Ciphertexts are not rewritten, and
running servers keep serving throughout.

With the key file (master.key in the data directory, or JUNCTION_MASTER_KEY_FILE)
it adds a new key to the file; older keys stay in it until every value is
re-wrapped (--retire then removes them). With --master-key-kms the new key is
wrapped by that KMS key and only the wrapped form is written, so the same
command moves the master key from the file into a KMS, to another KMS key, or,
without the flag, back into the file. With JUNCTION_MASTER_KEY set, that key
is taken as the new primary and the older ones must be in
JUNCTION_MASTER_KEY_PREVIOUS.

Run it again to resume an interrupted pass.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := m.Config.resolve(cmd.Flags(), m.Getenv); err != nil {
				return err
			}
			return m.RotateMasterKey(cmd)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&m.Config.ConfigFile, "config", "", "YAML file setting data_dir, database and master_key_kms (env "+envConfig+")")
	for _, s := range m.Config.settings() {
		if isKeySetting(s.flag) {
			fs.StringVar(s.str, s.flag, s.def, fmt.Sprintf("%s (env %s)", s.usage, s.env))
		}
	}
	fs.BoolVar(&m.retireKeys, "retire", false, "once every value is re-wrapped, remove the older keys from the key file")
	return cmd
}

// RotateMasterKey runs one rotation pass against the configured database and
// prints what it did.
func (m *Main) RotateMasterKey(cmd *cobra.Command) error {
	level, err := parseLevel(m.Config.LogLevel)
	if err != nil {
		return err
	}
	m.logger = newLogger(m.Stderr, m.Config.LogFormat, level)
	ctx := cmd.Context()

	// Opening a missing SQLite file would create an empty database: say
	// plainly that there is nothing to rotate instead.
	if !m.Config.IsPostgres() {
		if _, err := os.Stat(m.Config.DatabaseDSN()); errors.Is(err, fs.ErrNotExist) {
			return junction.Errorf(junction.EINVALID, "no database at %s: check --data-dir or --database", m.Config.DatabaseDSN())
		}
	}
	db, err := sqldb.Open(ctx, m.Config.DatabaseDSN(), sqldb.Options{Clock: m.Clock, Logger: m.logger})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	res, err := keyring.RotateMasterKey(ctx, db, m.keyringOptions())
	if err != nil {
		return err
	}
	if res.NewKey && m.Config.MasterKeyKMS != "" {
		fmt.Fprintf(m.Stdout, "Added master key %s, wrapped by the KMS key %s, to %s as the primary key.\n",
			res.PrimaryKeyID, kms.KeyName(m.Config.MasterKeyKMS), res.KeyFile)
	} else if res.NewKey {
		fmt.Fprintf(m.Stdout, "Added master key %s to %s as the primary key.\n", res.PrimaryKeyID, res.KeyFile)
	} else {
		fmt.Fprintf(m.Stdout, "Primary master key is %s (from the environment).\n", res.PrimaryKeyID)
	}
	fmt.Fprintf(m.Stdout, "Re-wrapped %d sealed values.\n", res.Rewrapped)
	if len(res.Failed) > 0 {
		fmt.Fprintf(m.Stdout, "Could not re-wrap %d values: %s\n", len(res.Failed), strings.Join(res.Failed, ", "))
		return junction.Errorf(junction.EINTERNAL,
			"%d sealed values are still wrapped with older keys; keep those keys and run rotate-master-key again", len(res.Failed))
	}
	m.logger.Info("master key rotated", slog.String("key_id", res.PrimaryKeyID), slog.Int("rewrapped", res.Rewrapped))
	if !m.retireKeys || res.KeyFile == "" {
		fmt.Fprintln(m.Stdout, "Every sealed value is now wrapped with the primary key; older keys may be retired.")
		return nil
	}
	retired, err := keyring.RetireKeys(ctx, db, res.KeyFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Every sealed value is now wrapped with the primary key; removed %d older keys from %s.\n", len(retired), res.KeyFile)
	return nil
}
