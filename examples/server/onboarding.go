package main

import (
	"bytes"
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

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/internal/keyfile"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/sms"
	obsql "github.com/usher-sdk/usher/onboarding/sqlstore"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// dataFile is where a file of the server's lives when no setting names
// it: beside a SQLite database, else in usher-data.
func dataFile(dsn, name string) string {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok && path != "" && !strings.HasPrefix(path, ":memory:") {
		return filepath.Join(filepath.Dir(path), name)
	}
	return filepath.Join("usher-data", name)
}

// loadKeyFile returns configured when set (at least 32 bytes), else reads
// the key file at path, making it on first start (32 random bytes in hex,
// 0600, whole or not at all; of processes starting at once one writes it
// and all read the same).
func loadKeyFile(configured, path, what string) ([]byte, error) {
	if configured != "" {
		if len(configured) < 32 {
			return nil, fmt.Errorf("%s: at least 32 bytes", what)
		}
		return []byte(configured), nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	if err := keyfile.WriteNew(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	data, err := keyfile.ReadSecret(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	key := strings.TrimRight(string(data), "\r\n")
	if len(key) < 32 {
		return nil, fmt.Errorf("%s: %s holds fewer than 32 bytes", what, path)
	}
	return []byte(key), nil
}

// openOnboarding wires the onboarding Manager: its SQL store on the one
// database (migrated with the other components), the device CA in
// -ca-dir with its revocations in the database, the Credentials
// requirement through each application's lookup chain, Manual, SMS when
// -sms-config is set and OIDC when -oidc-config is.
func (a *app) openOnboarding(ctx context.Context) error {
	store, err := obsql.New(ctx, a.db, obsql.WithoutMigrations())
	if err != nil {
		return err
	}
	a.obStore = store
	dir := a.cfg.CADir
	if dir == "" {
		dir = dataFile(a.cfg.Database, "ca")
	}
	if a.ca, err = issuer.NewLocalCA(issuer.LocalCAConfig{Dir: dir}, issuer.WithRevocationStore(store), issuer.WithLogger(a.logger)); err != nil {
		return fmt.Errorf("ca-dir: %w", err)
	}
	// Made (or checked: a key file others may read is refused) now, not
	// at the first enrolment.
	if _, err := a.ca.Certificate(ctx); err != nil {
		return fmt.Errorf("ca-dir %s: %w", dir, err)
	}
	a.realms = &realms{a: a, m: map[string]*realmUsers{}}
	reqs := []onboarding.Requirement{
		onboarding.Credentials{Chain: func(ctx context.Context, app onboarding.Application) (onboarding.Authenticator, error) {
			r, err := a.realms.get(ctx, app.Realm())
			if err != nil {
				return nil, err
			}
			return r.chain, nil
		}},
	}
	if a.cfg.SMSConfig != "" {
		req, err := a.openSMS(store)
		if err != nil {
			return err
		}
		reqs = append(reqs, req)
	}
	if req, err := a.openOnboardingOIDC(ctx); err != nil {
		return err
	} else if req != nil {
		reqs = append(reqs, req)
	}
	a.onboarding, err = onboarding.New(store, a.ca, onboarding.Config{Requirements: reqs},
		onboarding.WithLogger(a.logger), onboarding.WithAudit(&onboardingAudit{a: a}))
	if err != nil {
		return err
	}
	a.obAdmin = a.onboarding.AdminHandler(adminName)
	return nil
}

// openSMS makes the SMS requirement: codes hashed under -sms-key in the
// onboarding store's table, sent through the webhook of -sms-config.
func (a *app) openSMS(store *obsql.Store) (onboarding.Requirement, error) {
	b, err := readBounded(a.cfg.SMSConfig)
	if err != nil {
		return nil, fmt.Errorf("sms-config: %w", err)
	}
	var wc sms.WebhookConfig
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wc); err != nil {
		return nil, fmt.Errorf("sms-config %s: %w", a.cfg.SMSConfig, err)
	}
	sender, err := sms.NewWebhook(wc, sms.WithLogger(a.logger))
	if err != nil {
		return nil, fmt.Errorf("sms-config %s: %w", a.cfg.SMSConfig, err)
	}
	key, err := loadKeyFile(a.cfg.SMSKey, dataFile(a.cfg.Database, "sms.key"), "sms key")
	if err != nil {
		return nil, err
	}
	codes, err := sms.NewCodes(sms.CodesConfig{Key: key}, store.SMSCodes())
	if err != nil {
		return nil, err
	}
	return onboarding.SMS{Codes: codes, Sender: sender, DefaultRegion: a.cfg.SMSRegion,
		Users: func(ctx context.Context, app onboarding.Application) (onboarding.UserGetter, error) {
			r, err := a.realms.get(ctx, app.Realm())
			if err != nil {
				return nil, err
			}
			return r.store, nil
		}}, nil
}

// adminName names who decides in the onboarding admin API: the signed-in
// admin, or the access token.
func adminName(r *http.Request) string {
	if s, ok := sessionOf(r.Context()); ok {
		return s.Username
	}
	if t := tokenOf(r.Context()); t.ID != "" {
		return "token:" + t.Name
	}
	return ""
}

// errAdminRealm refuses the admins' pool as an application's users.
var errAdminRealm = errors.New("the realm " + adminRealm + " holds the server's administrators; choose another")

// realmUsers is one user pool (a userstore realm) as the onboarding
// requirements use it.
type realmUsers struct {
	raw   *sqlstore.Store // nil for the default realm (a.users)
	store userstore.Store
	svc   *userstore.Service
	chain *directory.Chain
}

// realms opens the user pools of applications on demand, once each: the
// default realm is the server's users; another realm gets its own store
// and Service on the same database.
type realms struct {
	a  *app
	mu sync.Mutex
	m  map[string]*realmUsers
}

// get returns the pool of realm name ("" is the default realm).
func (rs *realms) get(ctx context.Context, name string) (*realmUsers, error) {
	if name == "" {
		name = database.DefaultRealm
	}
	if name == adminRealm {
		return nil, errAdminRealm
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r, ok := rs.m[name]; ok {
		return r, nil
	}
	a := rs.a
	r := &realmUsers{}
	if name == database.DefaultRealm {
		r.store, r.svc = a.withSyslog(a.users, "users"), a.userSvc
	} else {
		st, err := sqlstore.New(ctx, a.db, sqlstore.WithRealm(name), sqlstore.WithLogger(a.logger))
		if err != nil {
			return nil, err
		}
		r.raw, r.store = st, a.withSyslog(st, name)
		if r.svc, err = userstore.NewService(r.store, a.hashers, userstore.Config{LoginByEmail: true}, userstore.WithLogger(a.logger)); err != nil {
			_ = st.Close()
			return nil, err
		}
	}
	svc := r.svc
	chain, err := directory.NewChain(r.store, directory.ChainConfig{Logger: a.logger,
		Local: func(ctx context.Context, login, password string) (userstore.User, error) {
			u, err := svc.Login(ctx, userstore.LoginRequest{Login: login, Password: password, Remote: "onboarding"})
			if errors.Is(err, userstore.ErrPasswordChangeRequired) {
				// A device cannot change the password: the user signs in
				// on the activation or reset page first.
				return userstore.User{}, userstore.ErrInvalidCredentials
			}
			return u, err
		}})
	if err != nil {
		r.close()
		return nil, err
	}
	r.chain = chain
	rs.m[name] = r
	return r, nil
}

func (r *realmUsers) close() {
	if r.raw == nil {
		return // the default realm's are the app's
	}
	if r.svc != nil {
		_ = r.svc.Close()
	}
	_ = r.raw.Close()
}

// close closes the pools it opened.
func (rs *realms) close() {
	if rs == nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, r := range rs.m {
		r.close()
	}
	rs.m = map[string]*realmUsers{}
}

// applications lists every application by name.
func (a *app) applications(ctx context.Context) ([]onboarding.Application, error) {
	apps, err := a.onboarding.Applications(ctx)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	if apps == nil {
		apps = []onboarding.Application{}
	}
	return apps, nil
}

// onboardingAudit counts the Manager's events in the metrics and records
// them in the users' audit trail (and syslog, when set).
type onboardingAudit struct{ a *app }

// AppendAudit counts e and records it.
func (o *onboardingAudit) AppendAudit(ctx context.Context, e userstore.AuditEvent) error {
	m := o.a.metrics
	switch e.Kind {
	case onboarding.AuditStarted:
		m.onboardings.WithLabelValues("started").Inc()
	case onboarding.AuditApproved:
		m.onboardings.WithLabelValues("approved").Inc()
	case onboarding.AuditRejected:
		m.onboardings.WithLabelValues("rejected").Inc()
	case onboarding.AuditRefused:
		m.onboardings.WithLabelValues("refused").Inc()
	case onboarding.AuditEnrolled:
		m.onboardings.WithLabelValues("completed").Inc()
		m.devices.WithLabelValues("enrolled").Inc()
	case onboarding.AuditDeviceDestroyed:
		m.devices.WithLabelValues("destroyed").Inc()
	}
	return o.a.usersAudit.AppendAudit(ctx, e)
}
