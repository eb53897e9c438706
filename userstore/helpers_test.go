package userstore_test

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/mail"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// fastHasher is a cheap salted SHA-256 "password hash" for tests:
// "<name>$<salt hex>$<sum hex>". It counts Verify calls, so tests can check
// that every login path does the same hash work. Never use it for real.
type fastHasher struct {
	name     string
	verifies atomic.Int64
	salt     atomic.Int64
}

func (h *fastHasher) Name() string { return h.name }

func (h *fastHasher) Recognize(encoded string) bool { return strings.HasPrefix(encoded, h.name+"$") }

func (h *fastHasher) Hash(ctx context.Context, password string) (string, error) {
	salt := hex.EncodeToString([]byte{byte(h.salt.Add(1))})
	return h.name + "$" + salt + "$" + h.sum(salt, password), nil
}

func (h *fastHasher) sum(salt, password string) string {
	s := sha256.Sum256([]byte(salt + "\x00" + password))
	return hex.EncodeToString(s[:])
}

func (h *fastHasher) Verify(ctx context.Context, password, encoded string) (bool, bool, error) {
	h.verifies.Add(1)
	parts := strings.Split(encoded, "$")
	if len(parts) != 3 || parts[0] != h.name {
		return false, false, hasher.ErrMalformedHash
	}
	ok := subtle.ConstantTimeCompare([]byte(h.sum(parts[1], password)), []byte(parts[2])) == 1
	return ok, false, nil
}

// hashers is a registry whose default is the cheap "test-fast" hasher and
// which also knows "test-old", a format a login rehashes from.
type hashers struct {
	*hasher.Registry
	fast, old *fastHasher
}

func newHashers(t testing.TB) hashers {
	t.Helper()
	h := hashers{fast: &fastHasher{name: "test-fast"}, old: &fastHasher{name: "test-old"}}
	var err error
	h.Registry, err = hasher.NewRegistry("test-fast", hasher.Config{}, hasher.WithHasher(h.fast), hasher.WithHasher(h.old))
	require.NoError(t, err)
	return h
}

// verifies is the number of Verify calls of both test hashers.
func (h hashers) verifies() int64 { return h.fast.verifies.Load() + h.old.verifies.Load() }

// fakeClock is the tests\' settable clock.
type fakeClock = testenv.Clock

func newFakeClock() *fakeClock { return testenv.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) }

// fakeSender records the messages it is given.
type fakeSender struct {
	mu   sync.Mutex
	msgs []mail.Message
	err  error
}

func (f *fakeSender) Send(ctx context.Context, m mail.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.msgs = append(f.msgs, m)
	return nil
}

func (f *fakeSender) messages() []mail.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]mail.Message(nil), f.msgs...)
}

// env is a Service over a store with a fake clock and mail sender.
type env struct {
	t       testing.TB
	store   userstore.Store
	svc     *userstore.Service
	clock   *fakeClock
	mail    *fakeSender
	hashers hashers
}

// newEnv makes an env over a new memstore.
func newEnv(t testing.TB, cfg userstore.Config, opts ...userstore.ServiceOption) *env {
	t.Helper()
	clock := newFakeClock()
	store := memstore.New(memstore.WithClock(clock.Now))
	t.Cleanup(func() { _ = store.Close() })
	return newEnvOn(t, store, clock, cfg, opts...)
}

// newEnvOn makes an env over store, whose clock should be clock.
func newEnvOn(t testing.TB, store userstore.Store, clock *fakeClock, cfg userstore.Config, opts ...userstore.ServiceOption) *env {
	t.Helper()
	e := &env{t: t, store: store, clock: clock, mail: &fakeSender{}, hashers: newHashers(t)}
	opts = append([]userstore.ServiceOption{userstore.WithClock(clock.Now), userstore.WithMailSender(e.mail)}, opts...)
	svc, err := userstore.NewService(store, e.hashers.Registry, cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = svc.Close() })
	e.svc = svc
	return e
}

// addUser creates an enabled user with password (none when empty) and
// applies mods first.
func (e *env) addUser(username, email, password string, mods ...func(*userstore.User)) userstore.User {
	e.t.Helper()
	u := userstore.User{Username: username, Email: email, Enabled: true}
	if password != "" {
		h, err := e.hashers.Hash(context.Background(), password)
		require.NoError(e.t, err)
		u.PasswordHash = h
	}
	for _, m := range mods {
		m(&u)
	}
	u, err := e.store.CreateUser(context.Background(), u)
	require.NoError(e.t, err)
	return u
}

func (e *env) user(id string) userstore.User {
	e.t.Helper()
	u, err := e.store.GetUser(context.Background(), id)
	require.NoError(e.t, err)
	return u
}

func (e *env) login(login, password string) (userstore.User, error) {
	return e.svc.Login(context.Background(), userstore.LoginRequest{Login: login, Password: password, Remote: "192.0.2.7"})
}

// audit returns the audit events matching f, newest first.
func (e *env) audit(f userstore.AuditFilter) []userstore.AuditEvent {
	e.t.Helper()
	var out []userstore.AuditEvent
	for ev, err := range e.store.Audit(context.Background(), f) {
		require.NoError(e.t, err)
		out = append(out, ev)
	}
	return out
}

// lastAudit returns the newest audit event of a kind.
func (e *env) lastAudit(kind userstore.AuditKind) userstore.AuditEvent {
	e.t.Helper()
	evs := e.audit(userstore.AuditFilter{Kind: kind, Limit: 1})
	require.NotEmpty(e.t, evs, "no audit event %s", kind)
	return evs[0]
}

// flush waits for the Service's background work.
func (e *env) flush() {
	require.NoError(e.t, e.svc.Close())
}

// writeSpy is a store that records every write asked of it (read-only
// tests) and can fail the writes.
type writeSpy struct {
	userstore.Store
	mu     sync.Mutex
	writes []string
	fail   error
}

func (s *writeSpy) wrote(op string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, op)
	return s.fail
}

func (s *writeSpy) Writes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func (s *writeSpy) RecordFailedLogin(ctx context.Context, id string, n int, d time.Duration, now time.Time) (userstore.LoginState, error) {
	if err := s.wrote("RecordFailedLogin"); err != nil {
		return userstore.LoginState{}, err
	}
	return s.Store.RecordFailedLogin(ctx, id, n, d, now)
}

func (s *writeSpy) ResetFailedLogins(ctx context.Context, id string) error {
	if err := s.wrote("ResetFailedLogins"); err != nil {
		return err
	}
	return s.Store.ResetFailedLogins(ctx, id)
}

func (s *writeSpy) SetPassword(ctx context.Context, id, expectedHash, newHash string, mustChange bool) error {
	if err := s.wrote("SetPassword"); err != nil {
		return err
	}
	return s.Store.SetPassword(ctx, id, expectedHash, newHash, mustChange)
}

func (s *writeSpy) PutToken(ctx context.Context, t userstore.Token, replace bool) error {
	if err := s.wrote("PutToken"); err != nil {
		return err
	}
	return s.Store.PutToken(ctx, t, replace)
}

func (s *writeSpy) ConsumeToken(ctx context.Context, kind, hash string) (userstore.Token, error) {
	if err := s.wrote("ConsumeToken"); err != nil {
		return userstore.Token{}, err
	}
	return s.Store.ConsumeToken(ctx, kind, hash)
}

func (s *writeSpy) DeleteTokens(ctx context.Context, kind, userID string) error {
	if err := s.wrote("DeleteTokens"); err != nil {
		return err
	}
	return s.Store.DeleteTokens(ctx, kind, userID)
}

func (s *writeSpy) AppendAudit(ctx context.Context, ev userstore.AuditEvent) error {
	if err := s.wrote("AppendAudit"); err != nil {
		return err
	}
	return s.Store.AppendAudit(ctx, ev)
}

var errSpy = errors.New("spy: write refused")
