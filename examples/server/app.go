package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
	arsql "github.com/usher-sdk/usher/authrequest/sqlstore"
	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	obsql "github.com/usher-sdk/usher/onboarding/sqlstore"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/mail"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// adminRealm is the user pool of the server's administrators, apart from
// the users they administer (database.DefaultRealm).
const adminRealm = "usher-admin"

// app is everything the server's handlers use, opened once.
type app struct {
	cfg    settings
	logger *slog.Logger
	now    func() time.Time

	db      *database.DB
	server  *serverDB
	users   *sqlstore.Store
	userSvc *userstore.Service
	admins  *sqlstore.Store
	hashers *hasher.Registry
	pages   *pages
	metrics *metrics

	activations  *activationManagers
	batchAuthSvc *userstore.Service

	scim        http.Handler
	syncAPI     http.Handler
	oidcClients *oidcClients // nil without -oidc-config
	oidcAdmins  *claims.Provisioner

	syslog     *syslogSink
	stopSyslog func()
	// usersAudit is the users' audit trail, teed to syslog when set.
	usersAudit userstore.AuditLog
	adminSvc   *userstore.Service
	components []database.Component

	// Onboarding (onboarding.go): the Manager on its SQL store, the device
	// CA, the applications' user pools and the Manager's admin API.
	onboarding *onboarding.Manager
	obStore    *obsql.Store
	ca         *issuer.LocalCA
	realms     *realms
	obAdmin    http.Handler

	// Push authentication (pushauth.go): the authrequest Manager on its
	// SQL store, the Sender of its outbox, its handlers.
	authreq         *authrequest.Manager
	arStore         *arsql.Store
	deliverer       *authrequest.Deliverer
	arAPI           http.Handler
	arDevice        http.Handler
	stopAuthRequest func()

	closeOnce sync.Once
}

// openApp opens the database (creating a SQLite file and its folder when
// missing), migrates every component in one step and opens the stores.
func openApp(ctx context.Context, cfg settings, logger *slog.Logger) (_ *app, err error) {
	dsn := cfg.Database
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok && path != "" && !strings.HasPrefix(path, ":memory:") {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("database folder: %w", err)
		}
		// The file holds password hashes: only its owner may read it
		// (SQLite gives its -wal and -shm files the same mode).
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_ = f.Close()
		} else if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("database file: %w", err)
		}
	}
	db, err := database.Open(ctx, dsn, database.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, logger: logger, now: time.Now, db: db, metrics: newMetrics()}
	if a.pages, err = parsePages(); err != nil {
		_ = db.Close()
		return nil, err
	}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	a.components = []database.Component{sqlstore.Component(), claims.Component(), obsql.Component(), arsql.Component(), outbox.Component(), component()}
	if err := db.Migrate(ctx, a.components...); err != nil {
		return nil, err
	}
	a.server = &serverDB{db: db, now: a.now}

	hashers, err := hasher.NewRegistry("usher-v1", hasher.Config{})
	if err != nil {
		return nil, err
	}
	a.hashers = hashers
	if err := a.openSyslog(); err != nil {
		return nil, err
	}
	if a.users, err = sqlstore.New(ctx, db, sqlstore.WithLogger(logger)); err != nil {
		return nil, err
	}
	a.usersAudit = a.withSyslog(a.users, "users")
	userCfg := userstore.Config{LoginByEmail: true, AuditSuccessfulLogins: cfg.AuditLogins, ResetMail: userstore.ResetMail{LinkURL: a.baseURL() + "/reset"}}
	userOpts := []userstore.ServiceOption{userstore.WithLogger(logger)}
	if cfg.MailConfig != "" {
		sender, err := openMail(cfg.MailConfig)
		if err != nil {
			return nil, err
		}
		userOpts = append(userOpts, userstore.WithMailSender(sender))
	}
	if a.userSvc, err = userstore.NewService(a.withSyslog(a.users, "users"), hashers, userCfg, userOpts...); err != nil {
		return nil, err
	}
	if a.admins, err = sqlstore.New(ctx, db, sqlstore.WithRealm(adminRealm), sqlstore.WithLogger(logger)); err != nil {
		return nil, err
	}
	// The admin pool locks an account only after many wrong passwords:
	// the sign-in page holds back each guessing address first (throttle.go).
	a.adminSvc, err = userstore.NewService(a.withSyslog(a.admins, "admin"), hashers,
		userstore.Config{AuditSuccessfulLogins: true, MaxFailedLogins: adminMaxFailedLogins}, userstore.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	if err := a.openActivation(ctx); err != nil {
		return nil, err
	}
	if err := a.openOIDC(ctx); err != nil {
		return nil, err
	}
	if err := a.openOnboarding(ctx); err != nil {
		return nil, err
	}
	if err := a.openAuthRequest(ctx); err != nil {
		return nil, err
	}
	if a.scim, err = a.openSCIM(); err != nil {
		return nil, err
	}
	if a.syncAPI, err = a.openSyncAPI(); err != nil {
		return nil, err
	}
	return a, nil
}

// close releases everything openApp opened; closing again does nothing.
func (a *app) close() {
	a.closeOnce.Do(a.closeAll)
}

func (a *app) closeAll() {
	a.closeAuthRequest()
	a.realms.close()
	if a.stopSyslog != nil {
		a.stopSyslog()
	}
	for _, s := range []*userstore.Service{a.userSvc, a.adminSvc, a.batchAuthSvc} {
		if s != nil {
			_ = s.Close()
		}
	}
	for _, s := range []*sqlstore.Store{a.users, a.admins} {
		if s != nil {
			_ = s.Close()
		}
	}
	if a.db != nil {
		_ = a.db.Close()
	}
}

// bootstrapAdmin is the account created on first start.
const bootstrapAdmin = "admin"

// bootstrap creates the first admin account when the admin pool is
// empty, with the configured password or a random one, and returns the
// password to print once ("" when nothing was created). The account is
// created with its hash in one write, so a crash cannot leave an account
// without a password, and two processes starting at once create it once.
func (a *app) bootstrap(ctx context.Context) (string, error) {
	for _, err := range a.admins.ListUsers(ctx, userstore.ListOptions{Limit: 1}) {
		if err != nil {
			return "", fmt.Errorf("bootstrap: %w", err)
		}
		return "", nil // there is an admin already
	}
	password, generated := a.cfg.BootstrapPassword, false
	if password == "" {
		password, generated = randomPassword(), true
	}
	if err := a.adminSvc.CheckPassword(bootstrapAdmin, password); err != nil {
		return "", fmt.Errorf("bootstrap-password: %w", err)
	}
	hash, err := a.hashers.Hash(ctx, password)
	if err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	}
	_, err = a.admins.CreateUser(ctx, userstore.User{Username: bootstrapAdmin, DisplayName: "Bootstrap administrator", Enabled: true, PasswordHash: hash})
	if errors.Is(err, userstore.ErrConflict) {
		return "", nil // another process made it first
	}
	if err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	}
	a.logger.Info("bootstrap admin account created", "username", bootstrapAdmin, "generated_password", generated)
	if !generated {
		return "(the one you configured)", nil
	}
	return password, nil
}

// baseURL is where users reach the server: -base-url, else the listen
// address.
func (a *app) baseURL() string {
	if a.cfg.BaseURL != "" {
		return a.cfg.BaseURL
	}
	if a.tls() {
		return "https://" + a.cfg.Addr
	}
	return "http://" + a.cfg.Addr
}

// openMail reads the mail sender's JSON configuration.
func openMail(path string) (mail.Sender, error) {
	b, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("mail-config: %w", err)
	}
	s, err := mail.FromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("mail-config %s: %w", path, err)
	}
	return s, nil
}
