package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
)

// activationKeyFile is where the activation key lives when none is
// configured: beside a SQLite database, else in usher-data.
func activationKeyFile(dsn string) string {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok && path != "" && !strings.HasPrefix(path, ":memory:") {
		return filepath.Join(filepath.Dir(path), "activation.key")
	}
	return filepath.Join("usher-data", "activation.key")
}

// loadActivationKey returns the configured key, or reads (making it on
// first start, 0600) the key file: 32 random bytes in hex.
func loadActivationKey(cfg settings) ([]byte, error) {
	if cfg.ActivationKey != "" {
		if len(cfg.ActivationKey) < 32 {
			return nil, errors.New("activation-key: at least 32 bytes")
		}
		return []byte(cfg.ActivationKey), nil
	}
	path := activationKeyFile(cfg.Database)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("activation key: %w", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		_, werr := f.WriteString(hex.EncodeToString(b) + "\n")
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("activation key: %w", werr)
		}
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("activation key: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("activation key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("activation key: %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := readSecret(path)
	if err != nil {
		return nil, fmt.Errorf("activation key: %w", err)
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("activation key: %s holds fewer than 32 bytes", path)
	}
	return []byte(key), nil
}

// openActivation makes the activation Manager of the users' pool. Batch
// admins sign in with their admin-page passwords, checked through a
// read-only Service over the admin pool, so that wrong ones never lock an
// admin out (the Manager throttles them by address instead).
func (a *app) openActivation() error {
	key, err := loadActivationKey(a.cfg)
	if err != nil {
		return err
	}
	readOnly, err := userstore.NewService(a.admins, a.hashers, userstore.Config{ReadOnly: true}, userstore.WithLogger(a.logger))
	if err != nil {
		return err
	}
	a.batchAuthSvc = readOnly
	auth, err := activation.NewServiceAuthenticator(readOnly)
	if err != nil {
		return err
	}
	a.activation, err = activation.New(a.withSyslog(a.users, "users"), key, a.userSvc, activation.Settings{
		Enabled: true, HyphenEvery: 4, BatchAdmins: a.cfg.BatchAdmins,
	}, activation.WithAuthenticator(auth), activation.WithLogger(a.logger))
	return err
}
