package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/internal/keyfile"
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
	// Made on first start, whole or not at all; of processes starting at
	// once, one writes it and all read the same.
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	if err := keyfile.WriteNew(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("activation key: %w", err)
	}
	data, err := keyfile.ReadSecret(path)
	if err != nil {
		return nil, fmt.Errorf("activation key: %w", err)
	}
	key := strings.TrimRight(string(data), "\r\n")
	if len(key) < 32 {
		return nil, fmt.Errorf("activation key: %s holds fewer than 32 bytes", path)
	}
	return []byte(key), nil
}

// activationManagers makes the activation Manager of the users' pool
// from the settings an admin saved (or the defaults), and makes it again
// when they change — also when another process changed them: each use
// reads the settings' row, one point read.
type activationManagers struct {
	a    *app
	key  []byte
	auth activation.Authenticator

	mu      sync.Mutex
	raw     string // the settings the current Manager was made from
	current *activation.Manager
}

// defaultActivationSettings are the settings before an admin saves any:
// on, codes shown in groups of four, the batch admins of -batch-admins.
func (a *app) defaultActivationSettings() activation.Settings {
	return activation.Settings{Enabled: true, HyphenEvery: 4, BatchAdmins: a.cfg.BatchAdmins}
}

// openActivation prepares the activation Managers. Batch admins sign in
// with their admin-page passwords, checked through a read-only Service
// over the admin pool, so that wrong ones never lock an admin out (the
// Manager throttles them by address instead).
func (a *app) openActivation(ctx context.Context) error {
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
	a.activations = &activationManagers{a: a, key: key, auth: auth}
	_, err = a.activations.get(ctx)
	return err
}

// build makes a Manager of settings s.
func (m *activationManagers) build(s activation.Settings) (*activation.Manager, error) {
	return activation.New(m.a.withSyslog(m.a.users, "users"), m.key, m.a.userSvc, s,
		activation.WithAuthenticator(m.auth), activation.WithLogger(m.a.logger))
}

// get returns the Manager of the settings in force.
func (m *activationManagers) get(ctx context.Context) (*activation.Manager, error) {
	raw, err := m.a.server.setting(ctx, "activation")
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.current != nil && raw == m.raw {
		return m.current, nil
	}
	s := m.a.defaultActivationSettings()
	if raw != "" {
		s = activation.Settings{} // saved settings are whole: not merged into the defaults
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return nil, fmt.Errorf("activation settings in the database: %w", err)
		}
	}
	mgr, err := m.build(s)
	if err != nil {
		return nil, fmt.Errorf("activation settings in the database: %w", err)
	}
	m.raw, m.current = raw, mgr
	return mgr, nil
}

// save checks s (as New does) and stores it for every process.
func (m *activationManagers) save(ctx context.Context, s activation.Settings, by string) error {
	if _, err := m.build(s); err != nil {
		return err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return m.a.server.putSetting(ctx, "activation", string(b), by)
}

// activation returns the Manager in force, or answers the request with
// an error and returns nil.
func (a *app) activation(w http.ResponseWriter, r *http.Request) *activation.Manager {
	m, err := a.activations.get(r.Context())
	if err != nil {
		a.logger.ErrorContext(r.Context(), "activation settings", "err", err)
		http.Error(w, "activation is not available; the server's log has the detail", http.StatusInternalServerError)
		return nil
	}
	return m
}

// activationHandler serves one of the Manager's handlers with the
// Manager in force.
func (a *app) activationHandler(pick func(*activation.Manager) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := a.activation(w, r); m != nil {
			pick(m).ServeHTTP(w, r)
		}
	})
}
