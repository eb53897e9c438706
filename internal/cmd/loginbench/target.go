package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/internal/pgscratch"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// password is every benchmark user's password; wrongPassword is what the
// failed-login run types.
const (
	password      = "correct horse"
	wrongPassword = "battery staple"
)

// target is one database under test: the Store and the Services of the
// Usher path, and the same database handle for the bare path.
type target struct {
	name    string
	dsn     string // PostgreSQL's, for the failed-login run's workers
	store   *sqlstore.Store
	svc     *userstore.Service // successful logins audited
	failSvc *userstore.Service // the failed-login run's: see failedConfig
	cleanup []func()
	users   []string // usernames

	// The bare path's statements, prepared once like the Store's own.
	read, insert, failUpdate, failInsert *sql.Stmt
}

func (t *target) close() {
	for _, st := range []*sql.Stmt{t.read, t.insert, t.failUpdate, t.failInsert} {
		if st != nil {
			_ = st.Close()
		}
	}
	for _, svc := range []*userstore.Service{t.svc, t.failSvc} {
		if svc != nil {
			_ = svc.Close()
		}
	}
	_ = t.store.Close()
	for i := len(t.cleanup) - 1; i >= 0; i-- {
		t.cleanup[i]()
	}
}

// newTarget wraps an open store with Services on the cheap hasher; the
// failed-login run's locks accounts after maxFailed wrong passwords
// (never when negative).
func newTarget(name string, s *sqlstore.Store, maxFailed int, cleanup []func()) (*target, error) {
	t := &target{name: name, store: s, cleanup: cleanup}
	reg, err := hasher.NewRegistry(cheapHasher{}.Name(), hasher.Config{}, hasher.WithHasher(cheapHasher{}))
	if err == nil {
		t.svc, err = userstore.NewService(s, reg, userstore.Config{AuditSuccessfulLogins: true})
	}
	if err == nil {
		t.failSvc, err = userstore.NewService(s, reg, userstore.Config{MaxFailedLogins: maxFailed})
	}
	ctx := context.Background()
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{{&t.read, bareRead}, {&t.insert, bareInsert}, {&t.failUpdate, bareFailUpdate}, {&t.failInsert, bareFailInsert}} {
		if err == nil {
			*p.st, err = s.DB().SQL().PrepareContext(ctx, p.sql)
		}
	}
	if err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// The bare path's SQL: a successful login reads the user and appends an
// audit event; a failed one counts the failure with one UPDATE ...
// RETURNING, which returns the hash to check, and appends an audit event.
const (
	bareRead       = `SELECT id, password_hash, enabled, failed_logins, locked_until FROM usher_users WHERE realm = $1 AND username_norm = $2`
	bareInsert     = `INSERT INTO usher_audit (realm, id, at, kind, user_id, login, remote, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, '', 'null')`
	bareFailUpdate = `UPDATE usher_users SET failed_logins = failed_logins + 1, version = version + 1, updated_at = $3
WHERE realm = $1 AND username_norm = $2 RETURNING id, password_hash, enabled, failed_logins, locked_until`
	bareFailInsert = `INSERT INTO usher_audit (realm, id, at, kind, user_id, login, remote, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
)

func openSQLite(ctx context.Context, o options) (*target, error) {
	var cleanup []func()
	path := o.sqlite
	if path == "" {
		dir, err := os.MkdirTemp("", "loginbench")
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, func() { _ = os.RemoveAll(dir) })
		path = filepath.Join(dir, "usher.db")
	}
	s, err := sqlstore.OpenSQLite(ctx, path, sqlstore.WithRealm("loginbench-"+randomHex(4)))
	if err != nil {
		for _, f := range cleanup {
			f()
		}
		return nil, err
	}
	return newTarget("sqlite", s, o.maxFailed, cleanup)
}

// openPostgres creates a scratch database next to the DSN's and opens a
// Store on it; when it may not create one, it uses a scratch realm in the
// DSN's own database.
func openPostgres(ctx context.Context, o options) (*target, error) {
	var cleanup []func()
	dsn := o.dsn
	if scratch, drop, err := pgscratch.New(ctx, o.dsn, "loginbench_"); err == nil {
		dsn = scratch
		cleanup = append(cleanup, drop)
	} else {
		fmt.Fprintf(os.Stderr, "loginbench: no scratch database (%v); using a scratch realm in the given one\n", err)
	}
	s, err := sqlstore.OpenPostgres(ctx, dsn, sqlstore.WithRealm("loginbench-"+randomHex(4)))
	if err != nil {
		for _, f := range cleanup {
			f()
		}
		return nil, err
	}
	t, err := newTarget("postgres", s, o.maxFailed, cleanup)
	if err != nil {
		return nil, err
	}
	t.dsn = dsn
	return t, nil
}

// seed creates n users with the benchmark password.
func (t *target) seed(ctx context.Context, n int) error {
	h, err := cheapHasher{}.Hash(ctx, password)
	if err != nil {
		return err
	}
	t.users = usernames(n)
	for _, name := range t.users {
		if _, err := t.store.CreateUser(ctx, userstore.User{Username: name, Email: name + "@example.com", Enabled: true, PasswordHash: h}); err != nil {
			return err
		}
	}
	return nil
}

// usernames returns the names of the n benchmark users.
func usernames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%05d", i)
	}
	return out
}

// usherLogin is one login through the Service.
func (t *target) usherLogin(ctx context.Context, login string) error {
	_, err := t.svc.Login(ctx, userstore.LoginRequest{Login: login, Password: password, Remote: "192.0.2.1"})
	return err
}

// bareLogin is the least a login must do against the same tables, with
// prepared statements: read the user by username, check the hash, append
// an audit event.
func (t *target) bareLogin(ctx context.Context, login string) error {
	var (
		id, hash       string
		enabled        bool
		failed, locked int64
	)
	err := t.read.QueryRowContext(ctx, t.store.Realm(), strings.ToLower(login)).Scan(&id, &hash, &enabled, &failed, &locked)
	if err != nil {
		return err
	}
	if ok, _, err := (cheapHasher{}).Verify(ctx, password, hash); err != nil || !ok || !enabled {
		return fmt.Errorf("bare login of %s refused", login)
	}
	_, err = t.insert.ExecContext(ctx, t.store.Realm(), randomHex(16), time.Now().UnixNano(), string(userstore.AuditLoginSucceeded), id, login, "192.0.2.1")
	return err
}

// usherFailedLogin is one wrong password through the Service.
func (t *target) usherFailedLogin(ctx context.Context, login string) error {
	_, err := t.failSvc.Login(ctx, userstore.LoginRequest{Login: login, Password: wrongPassword, Remote: "192.0.2.1"})
	switch {
	case errors.Is(err, userstore.ErrInvalidCredentials):
		return nil
	case err == nil:
		return fmt.Errorf("a wrong password for %s was accepted", login)
	}
	return err
}

// bareFailedLogin is the least a wrong password must do against the same
// tables: count the failure and read the hash in one UPDATE ... RETURNING,
// check the hash, append an audit event with the count.
func (t *target) bareFailedLogin(ctx context.Context, login string) error {
	var (
		id, hash       string
		enabled        bool
		failed, locked int64
	)
	now := time.Now().UnixNano()
	err := t.failUpdate.QueryRowContext(ctx, t.store.Realm(), strings.ToLower(login), now).Scan(&id, &hash, &enabled, &failed, &locked)
	if err != nil {
		return err
	}
	if ok, _, err := (cheapHasher{}).Verify(ctx, wrongPassword, hash); err != nil || ok {
		return fmt.Errorf("bare failed login of %s: the wrong password matched (%v)", login, err)
	}
	_, err = t.failInsert.ExecContext(ctx, t.store.Realm(), randomHex(16), now, string(userstore.AuditLoginFailed), id, login, "192.0.2.1",
		userstore.ReasonWrongPassword, `{"failedLogins":"`+strconv.FormatInt(failed, 10)+`"}`)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cheapHasher is a salted SHA-256 "password hash": the benchmark measures
// storage, not key stretching. Never use it for real passwords.
type cheapHasher struct{}

func (cheapHasher) Name() string { return "loginbench-sha256" }
func (cheapHasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, "loginbench-sha256$")
}

func (cheapHasher) Hash(_ context.Context, password string) (string, error) {
	salt := randomHex(8)
	return "loginbench-sha256$" + salt + "$" + cheapSum(salt, password), nil
}

func (cheapHasher) Verify(_ context.Context, password, encoded string) (match, weaker bool, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 3 {
		return false, false, hasher.ErrMalformedHash
	}
	return subtle.ConstantTimeCompare([]byte(cheapSum(parts[1], password)), []byte(parts[2])) == 1, false, nil
}

func cheapSum(salt, password string) string {
	s := sha256.Sum256([]byte(salt + "\x00" + password))
	return hex.EncodeToString(s[:])
}
