package userstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// newStoreFunc makes an empty store for one test. The login rules below
// run on every store (memstore here; the SQL stores in sqlstore_test.go).
type newStoreFunc func(t testing.TB, clock *fakeClock) userstore.Store

func newMemstore(t testing.TB, clock *fakeClock) userstore.Store {
	s := memstore.New(memstore.WithClock(clock.Now))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestLoginRules_Memstore(t *testing.T) { runLoginRules(t, newMemstore) }

// runLoginRules is the login, lock-out and audit behaviour every store
// must give the Service.
func runLoginRules(t *testing.T, newStore newStoreFunc) {
	mk := func(t *testing.T, cfg userstore.Config) *env {
		clock := newFakeClock()
		return newEnvOn(t, newStore(t, clock), clock, cfg)
	}
	t.Run("Outcomes", func(t *testing.T) { t.Parallel(); testLoginOutcomes(t, mk) })
	t.Run("Lockout", func(t *testing.T) { t.Parallel(); testLockout(t, mk) })
	t.Run("LockoutConcurrent", func(t *testing.T) { t.Parallel(); testLockoutConcurrent(t, mk) })
	t.Run("Rehash", func(t *testing.T) { t.Parallel(); testRehash(t, mk) })
	t.Run("ChangeBeatsRehash", func(t *testing.T) { t.Parallel(); testChangeBeatsRehash(t, newStore) })
}

func testLoginOutcomes(t *testing.T, mk func(*testing.T, userstore.Config) *env) {
	e := mk(t, userstore.Config{LoginByEmail: true, AuditSuccessfulLogins: true})
	alice := e.addUser("Alice", "alice@example.com", "alice-secret")
	e.addUser("bob", "shared@example.com", "bob-secret")
	e.addUser("carol", "shared@example.com", "carol-secret")
	dave := e.addUser("dave", "dave@example.com", "dave-secret", func(u *userstore.User) { u.Enabled = false })
	erin := e.addUser("erin", "", "erin-secret", func(u *userstore.User) { u.LockedUntil = e.clock.Now().Add(time.Hour) })
	frank := e.addUser("frank", "", "frank-secret", func(u *userstore.User) { u.MustChangePassword = true })
	grace := e.addUser("grace", "", "")

	tests := []struct {
		name, login, password string
		wantErr               error
		wantUser              string // ID of the returned user
		auditKind             userstore.AuditKind
		auditUser             string
		reason                string
	}{
		{"username", "Alice", "alice-secret", nil, alice.ID, userstore.AuditLoginSucceeded, alice.ID, ""},
		{"username in other case", "aLiCe", "alice-secret", nil, alice.ID, userstore.AuditLoginSucceeded, alice.ID, ""},
		{"unique e-mail", "ALICE@example.com", "alice-secret", nil, alice.ID, userstore.AuditLoginSucceeded, alice.ID, ""},
		{"wrong password", "alice", "nope", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, alice.ID, userstore.ReasonWrongPassword},
		{"unknown user", "mallory", "x", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, "", userstore.ReasonUnknownUser},
		{"unknown e-mail", "nobody@example.com", "x", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, "", userstore.ReasonUnknownUser},
		{"shared e-mail", "shared@example.com", "bob-secret", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, "", userstore.ReasonAmbiguousEmail},
		{"empty login", "", "x", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, "", userstore.ReasonEmptyLogin},
		{"control characters", "ali\x00ce", "x", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, "", userstore.ReasonInvalidLogin},
		{"invalid UTF-8", "al\xffice", "x", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, "", userstore.ReasonInvalidLogin},
		{"disabled, right password", "dave", "dave-secret", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, dave.ID, userstore.ReasonDisabled},
		{"locked, right password", "erin", "erin-secret", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, erin.ID, userstore.ReasonLocked},
		{"must change, right password", "frank", "frank-secret", userstore.ErrPasswordChangeRequired, frank.ID, userstore.AuditLoginFailed, frank.ID, userstore.ReasonMustChange},
		{"must change, wrong password", "frank", "nope", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, frank.ID, userstore.ReasonWrongPassword},
		{"no password hash", "grace", "anything", userstore.ErrInvalidCredentials, "", userstore.AuditLoginFailed, grace.ID, userstore.ReasonNoPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.hashers.verifies()
			u, err := e.svc.Login(context.Background(), userstore.LoginRequest{Login: tt.login, Password: tt.password, Remote: "198.51.100.4"})
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
				if tt.wantErr == userstore.ErrInvalidCredentials {
					// Callers cannot tell the reasons apart.
					assert.Equal(t, userstore.ErrInvalidCredentials.Error(), err.Error())
				}
			}
			assert.Equal(t, tt.wantUser, u.ID)
			assert.Empty(t, u.PasswordHash, "the returned user never carries the hash")
			// Every path verifies exactly one hash (a dummy when no user),
			// so the paths take comparable time.
			assert.Equal(t, int64(1), e.hashers.verifies()-before, "hash verifications")

			ev := e.lastAudit(tt.auditKind)
			assert.Equal(t, tt.auditUser, ev.UserID)
			assert.Equal(t, strings.ReplaceAll(strings.ToValidUTF8(tt.login, "\uFFFD"), "\x00", "\uFFFD"), ev.Login, "the typed login, made safe for the store")
			assert.Equal(t, "198.51.100.4", ev.Remote)
			assert.Equal(t, tt.reason, ev.Reason)
			assert.Equal(t, e.clock.Now(), ev.Time.UTC())
		})
	}

	t.Run("by e-mail needs LoginByEmail", func(t *testing.T) {
		e := mk(t, userstore.Config{})
		e.addUser("alice", "alice@example.com", "alice-secret")
		_, err := e.login("alice@example.com", "alice-secret")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
		assert.Equal(t, userstore.ReasonUnknownUser, e.lastAudit(userstore.AuditLoginFailed).Reason)
	})
	t.Run("successes not audited by default", func(t *testing.T) {
		e := mk(t, userstore.Config{})
		e.addUser("alice", "", "alice-secret")
		_, err := e.login("alice", "alice-secret")
		require.NoError(t, err)
		assert.Empty(t, e.audit(userstore.AuditFilter{}))
	})
	t.Run("a username that looks like another's e-mail wins", func(t *testing.T) {
		e := mk(t, userstore.Config{LoginByEmail: true})
		e.addUser("x@example.com", "", "first-secret")
		e.addUser("other", "x@example.com", "second-secret")
		_, err := e.login("x@example.com", "second-secret")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
		_, err = e.login("x@example.com", "first-secret")
		require.NoError(t, err)
	})
}

func testLockout(t *testing.T, mk func(*testing.T, userstore.Config) *env) {
	e := mk(t, userstore.Config{MaxFailedLogins: 3, LockoutDuration: 10 * time.Minute})
	u := e.addUser("alice", "", "alice-secret")

	// Two wrong, one right: the count goes back to zero.
	for range 2 {
		_, err := e.login("alice", "wrong")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	}
	assert.Equal(t, 2, e.user(u.ID).FailedLogins)
	_, err := e.login("alice", "alice-secret")
	require.NoError(t, err)
	assert.Equal(t, 0, e.user(u.ID).FailedLogins)

	// Unknown-user and disabled refusals do not count; only wrong passwords do.
	for i := 1; i <= 3; i++ {
		_, err := e.login("alice", "wrong")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
		got := e.user(u.ID)
		assert.Equal(t, i, got.FailedLogins)
		assert.Equal(t, i == 3, got.Locked(e.clock.Now()), "locked after %d", i)
	}
	locked := e.lastAudit(userstore.AuditLocked)
	assert.Equal(t, u.ID, locked.UserID)
	assert.Equal(t, e.clock.Now().Add(10*time.Minute).Format(time.RFC3339), locked.Detail["lockedUntil"])

	// Locked: the right password is refused and does not unlock.
	_, err = e.login("alice", "alice-secret")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	assert.Equal(t, userstore.ReasonLocked, e.lastAudit(userstore.AuditLoginFailed).Reason)
	assert.True(t, e.user(u.ID).Locked(e.clock.Now()))

	// Wrong passwords during the lock are refused and audited but neither
	// counted nor extend the lock: an attacker cannot keep it closed.
	until := e.user(u.ID).LockedUntil
	for range 5 {
		e.clock.Advance(time.Minute)
		_, err = e.login("alice", "still-wrong")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
		refused := e.lastAudit(userstore.AuditLoginFailed)
		assert.Equal(t, userstore.ReasonLocked, refused.Reason)
		assert.Equal(t, "wrong", refused.Detail["password"])
	}
	got := e.user(u.ID)
	assert.Equal(t, 3, got.FailedLogins, "not counted during the lock")
	assert.True(t, until.Equal(got.LockedUntil), "the lock ends when it ended before the attempts")
	assert.Len(t, e.audit(userstore.AuditFilter{Kind: userstore.AuditLocked}), 1, "locked once")

	// After the lock-out the right password works and clears the state.
	e.clock.Advance(5*time.Minute + time.Second)
	_, err = e.login("alice", "alice-secret")
	require.NoError(t, err)
	got = e.user(u.ID)
	assert.Equal(t, 0, got.FailedLogins)
	assert.True(t, got.LockedUntil.IsZero())

	t.Run("the end of a lock-out starts a new count", func(t *testing.T) {
		e := mk(t, userstore.Config{MaxFailedLogins: 2, LockoutDuration: time.Minute})
		u := e.addUser("bob", "", "bob-secret")
		for range 2 {
			_, _ = e.login("bob", "wrong")
		}
		e.clock.Advance(2 * time.Minute)
		require.False(t, e.user(u.ID).Locked(e.clock.Now()))
		_, _ = e.login("bob", "wrong")
		got := e.user(u.ID)
		assert.Equal(t, 1, got.FailedLogins)
		assert.False(t, got.Locked(e.clock.Now()), "one wrong password after a lock-out does not lock again")
		_, _ = e.login("bob", "wrong")
		assert.True(t, e.user(u.ID).Locked(e.clock.Now()), "a new series of wrong passwords locks again")
		assert.Len(t, e.audit(userstore.AuditFilter{Kind: userstore.AuditLocked}), 2, "each lock is reported")
	})
	t.Run("negative MaxFailedLogins never locks", func(t *testing.T) {
		e := mk(t, userstore.Config{MaxFailedLogins: -1})
		u := e.addUser("bob", "", "bob-secret")
		for range 20 {
			_, _ = e.login("bob", "wrong")
		}
		got := e.user(u.ID)
		assert.Equal(t, 20, got.FailedLogins)
		assert.False(t, got.Locked(e.clock.Now()))
		_, err := e.login("bob", "bob-secret")
		require.NoError(t, err)
	})
}

// testLockoutConcurrent: 100 parallel wrong passwords lock exactly once, at
// the limit: the count stops there, since attempts during the lock are
// refused without being counted, and every attempt is audited.
func testLockoutConcurrent(t *testing.T, mk func(*testing.T, userstore.Config) *env) {
	const n, limit = 100, 10
	e := mk(t, userstore.Config{MaxFailedLogins: limit, LockNotification: userstore.LockNotification{
		Enabled: true, Recipients: "helpdesk@example.com",
	}})
	u := e.addUser("alice", "", "alice-secret")
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := e.login("alice", "wrong")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	}
	e.flush()
	got := e.user(u.ID)
	assert.Equal(t, limit, got.FailedLogins)
	assert.True(t, got.Locked(e.clock.Now()))
	assert.Len(t, e.audit(userstore.AuditFilter{Kind: userstore.AuditLoginFailed}), n)
	locks := e.audit(userstore.AuditFilter{Kind: userstore.AuditLocked})
	assert.Len(t, locks, 1, "the lock is recorded once")
	assert.Len(t, e.mail.messages(), 1, "the lock is notified once")
	counts := map[string]int{}
	for _, ev := range e.audit(userstore.AuditFilter{Kind: userstore.AuditLoginFailed}) {
		counts[ev.Detail["failedLogins"]]++
	}
	for i := 1; i <= limit; i++ {
		assert.Equal(t, 1, counts[strconv.Itoa(i)], "exactly one attempt saw count %d", i)
	}
	assert.Len(t, counts, limit+1, "the others were refused as locked, without a count")
}

func testRehash(t *testing.T, mk func(*testing.T, userstore.Config) *env) {
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprint("AutomaticPasswordRehash=", on), func(t *testing.T) {
			e := mk(t, userstore.Config{AutomaticPasswordRehash: on})
			old, err := e.hashers.old.Hash(context.Background(), "alice-secret")
			require.NoError(t, err)
			u := e.addUser("alice", "", "", func(u *userstore.User) { u.PasswordHash = old })
			_, err = e.login("alice", "alice-secret")
			require.NoError(t, err)
			got := e.user(u.ID).PasswordHash
			if on {
				assert.Regexp(t, `^test-fast\$`, got)
				assert.Equal(t, u.ID, e.lastAudit(userstore.AuditPasswordRehashed).UserID)
			} else {
				assert.Equal(t, old, got)
			}
			// The password still works either way.
			_, err = e.login("alice", "alice-secret")
			require.NoError(t, err)
		})
	}
}

func TestLoginContextDone(t *testing.T) {
	e := newEnv(t, userstore.Config{})
	e.addUser("alice", "", "alice-secret")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.svc.Login(ctx, userstore.LoginRequest{Login: "alice", Password: "alice-secret"})
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, errors.Is(err, userstore.ErrInvalidCredentials))
}

func TestLoginStoreFailure(t *testing.T) {
	// A store that cannot count is logged, and the login is still refused.
	clock := newFakeClock()
	spy := &writeSpy{Store: newMemstore(t, clock), fail: errSpy}
	e := newEnvOn(t, spy, clock, userstore.Config{})
	e.addUser("alice", "", "alice-secret")
	_, err := e.login("alice", "wrong")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	_, err = e.login("alice", "alice-secret")
	require.NoError(t, err)

	// A closed store is an infrastructure error, not a refusal.
	require.NoError(t, spy.Store.Close())
	_, err = e.login("alice", "alice-secret")
	require.ErrorIs(t, err, userstore.ErrClosed)
}

func TestReadOnly(t *testing.T) {
	clock := newFakeClock()
	spy := &writeSpy{Store: newMemstore(t, clock)}
	e := newEnvOn(t, spy, clock, userstore.Config{
		ReadOnly: true, MaxFailedLogins: 2, AuditSuccessfulLogins: true, AutomaticPasswordRehash: true,
		ResetMail:        userstore.ResetMail{LinkURL: "https://idp.example.com/reset"},
		LockNotification: userstore.LockNotification{Enabled: true, Recipients: "helpdesk@example.com"},
	}, userstore.WithMigrationHook(userstore.MigrationHookFunc(func(ctx context.Context, login, password string) (bool, error) {
		return password == "legacy-secret", nil
	})))
	ctx := context.Background()
	alice := e.addUser("alice", "alice@example.com", "alice-secret")
	old, err := e.hashers.old.Hash(ctx, "bob-secret")
	require.NoError(t, err)
	e.addUser("bob", "", "", func(u *userstore.User) { u.PasswordHash = old })
	e.addUser("carol", "", "", func(u *userstore.User) { u.LockedUntil = clock.Now().Add(time.Hour) })
	e.addUser("legacy", "", "")
	created := spy.Writes()

	// Logins verify; wrong passwords are not counted, so nothing locks.
	for range 5 {
		_, err := e.login("alice", "wrong")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	}
	_, err = e.login("alice", "alice-secret")
	require.NoError(t, err)
	_, err = e.login("bob", "bob-secret") // would be rehashed
	require.NoError(t, err)
	_, err = e.login("carol", "x") // a stored lock is honoured
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	for range 2 { // the hook is asked every time: nothing is stored
		_, err = e.login("legacy", "legacy-secret")
		require.NoError(t, err)
	}

	// Every writing method refuses.
	require.ErrorIs(t, e.svc.ChangePassword(ctx, userstore.ChangePasswordRequest{Login: "alice", Current: "alice-secret", New: "a-new-secret"}), userstore.ErrReadOnly)
	require.ErrorIs(t, e.svc.SetInitialPassword(ctx, alice.ID, "a-new-secret"), userstore.ErrReadOnly)
	require.ErrorIs(t, e.svc.SetUserPassword(ctx, alice.ID, "a-new-secret"), userstore.ErrReadOnly)
	require.ErrorIs(t, e.svc.RequestPasswordReset(ctx, userstore.ResetRequest{Login: "alice"}), userstore.ErrReadOnly)
	require.ErrorIs(t, e.svc.ResetPassword(ctx, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "a-new-secret"), userstore.ErrReadOnly)

	e.flush()
	assert.Equal(t, created, spy.Writes(), "the Service wrote to the store")
	assert.Equal(t, 0, e.user(alice.ID).FailedLogins)
	assert.Empty(t, e.mail.messages())
}

func TestServiceOptions(t *testing.T) {
	reg := newHashers(t).Registry
	store := memstore.New()
	defer store.Close()
	tests := []struct {
		name  string
		store userstore.ServiceStore
		cfg   userstore.Config
		opts  []userstore.ServiceOption
		want  []string // substrings of the error; nil: no error
	}{
		{"zero config", store, userstore.Config{}, nil, nil},
		{"nil store", nil, userstore.Config{}, nil, []string{"nil store"}},
		{"nil options", store, userstore.Config{}, []userstore.ServiceOption{
			userstore.WithClock(nil), userstore.WithLogger(nil), userstore.WithMailSender(nil),
			userstore.WithMigrationHook(nil), userstore.WithRandom(nil),
		}, []string{"WithClock", "WithLogger", "WithMailSender", "WithMigrationHook", "WithRandom"}},
		{"bad numbers", store, userstore.Config{
			LockoutDuration: -time.Second, ResetTokenTTL: -time.Second,
			PasswordPolicy: userstore.PasswordPolicy{MinLength: 10, MaxLength: 5},
		}, nil, []string{"LockoutDuration", "ResetTokenTTL", "MaxLength"}},
		{"notification without recipients or sender", store, userstore.Config{
			LockNotification: userstore.LockNotification{Enabled: true},
		}, nil, []string{"Recipients: no address", "needs a mail sender"}},
		{"bad recipient and template", store, userstore.Config{
			LockNotification: userstore.LockNotification{Enabled: true, Recipients: "ok@example.com;not an address",
				MailTemplate: userstore.MailTemplate{Subject: "[[unclosed", Body: "{{.Password}}"}},
		}, []userstore.ServiceOption{userstore.WithMailSender(&fakeSender{})},
			[]string{`entry 2 "not an address"`, "LockNotification.Subject", "unknown placeholder {{.Password}}"}},
		{"bad reset link", store, userstore.Config{ResetMail: userstore.ResetMail{LinkURL: "/relative"}}, nil, []string{"ResetMail.LinkURL"}},
		{"label with a label", store, userstore.Config{ResetMail: userstore.ResetMail{MailTemplate: userstore.MailTemplate{
			Labels: map[string]map[string]string{"de": {"a": "[[b]]"}},
		}}}, nil, []string{"cannot hold a label"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := userstore.NewService(tt.store, reg, tt.cfg, tt.opts...)
			if tt.want == nil {
				require.NoError(t, err)
				c := svc.Config()
				assert.Equal(t, 5, c.MaxFailedLogins)
				assert.Equal(t, 15*time.Minute, c.LockoutDuration)
				assert.Equal(t, time.Hour, c.ResetTokenTTL)
				assert.Equal(t, 8, c.PasswordPolicy.MinLength)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := userstore.NewService(store, nil, userstore.Config{})
	require.ErrorContains(t, err, "nil hasher registry")
}
