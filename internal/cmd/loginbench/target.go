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
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// password is every benchmark user's password.
const password = "correct horse"

// target is one database under test: the Store and Service of the Usher
// path, and the same database handle for the bare path.
type target struct {
	name    string
	store   *sqlstore.Store
	svc     *userstore.Service
	cleanup []func()
	users   []string // usernames

	// The bare path's statements, prepared once like the Store's own.
	read, insert *sql.Stmt
}

func (t *target) close() {
	if t.read != nil {
		_ = t.read.Close()
		_ = t.insert.Close()
	}
	_ = t.svc.Close()
	_ = t.store.Close()
	for i := len(t.cleanup) - 1; i >= 0; i-- {
		t.cleanup[i]()
	}
}

// newTarget wraps an open store with a Service on the cheap hasher.
func newTarget(name string, s *sqlstore.Store, cleanup []func()) (*target, error) {
	reg, err := hasher.NewRegistry(cheapHasher{}.Name(), hasher.Config{}, hasher.WithHasher(cheapHasher{}))
	if err != nil {
		return nil, err
	}
	svc, err := userstore.NewService(s, reg, userstore.Config{AuditSuccessfulLogins: true})
	if err != nil {
		return nil, err
	}
	t := &target{name: name, store: s, svc: svc, cleanup: cleanup}
	ctx := context.Background()
	if t.read, err = s.DB().SQL().PrepareContext(ctx, bareRead); err == nil {
		t.insert, err = s.DB().SQL().PrepareContext(ctx, bareInsert)
	}
	if err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// The bare path's SQL.
const (
	bareRead   = `SELECT id, password_hash, enabled, failed_logins, locked_until FROM usher_users WHERE realm = $1 AND username_norm = $2`
	bareInsert = `INSERT INTO usher_audit (realm, id, at, kind, user_id, login, remote, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, '', 'null')`
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
	return newTarget("sqlite", s, cleanup)
}

// openPostgres creates a scratch database next to the DSN's and opens a
// Store on it; when it may not create one, it uses a scratch realm in the
// DSN's own database.
func openPostgres(ctx context.Context, o options) (*target, error) {
	var cleanup []func()
	dsn := o.dsn
	if scratch, drop, err := scratchDatabase(ctx, o.dsn); err == nil {
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
	return newTarget("postgres", s, cleanup)
}

// scratchDatabase creates an empty database on the server of dsn (a URL)
// and returns its DSN and a function that drops it.
func scratchDatabase(ctx context.Context, dsn string) (string, func(), error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return "", nil, errors.New("the DSN is not a URL")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	name := "loginbench_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		return "", nil, err
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = admin.Close()
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// seed creates n users with the benchmark password.
func (t *target) seed(ctx context.Context, n int) error {
	h, err := cheapHasher{}.Hash(ctx, password)
	if err != nil {
		return err
	}
	for i := range n {
		name := fmt.Sprintf("user%05d", i)
		if _, err := t.store.CreateUser(ctx, userstore.User{Username: name, Email: name + "@example.com", Enabled: true, PasswordHash: h}); err != nil {
			return err
		}
		t.users = append(t.users, name)
	}
	return nil
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
