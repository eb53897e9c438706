package userstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
)

// testChangeBeatsRehash races a login that rehashes an old-format hash
// against ChangePassword, 50 rounds: whichever writes first, the new
// password works afterwards and the old one does not. The store waits a
// random moment before its lookups and password writes, so that the
// rounds see different orders of the two.
func testChangeBeatsRehash(t *testing.T, newStore newStoreFunc) {
	clock := newFakeClock()
	e := newEnvOn(t, &jitter{Store: newStore(t, clock)}, clock, userstore.Config{AutomaticPasswordRehash: true})
	ctx := context.Background()
	const rounds = 50
	for round := range rounds {
		name := fmt.Sprint("racer", round)
		old, err := e.hashers.old.Hash(ctx, "old-secret")
		require.NoError(t, err)
		u := e.addUser(name, "", "", func(u *userstore.User) { u.PasswordHash = old })
		newPassword := fmt.Sprint("new-secret-", round)

		var (
			wg                  sync.WaitGroup
			loginErr, changeErr error
			start               = make(chan struct{})
		)
		wg.Go(func() {
			<-start
			_, loginErr = e.login(name, "old-secret")
		})
		wg.Go(func() {
			<-start
			changeErr = e.svc.ChangePassword(ctx, userstore.ChangePasswordRequest{Login: name, Current: "old-secret", New: newPassword})
		})
		close(start)
		wg.Wait()

		require.NoError(t, changeErr, "round %d: the change", round)
		if loginErr != nil { // the change came first
			require.ErrorIs(t, loginErr, userstore.ErrInvalidCredentials, "round %d: the login", round)
		}
		_, err = e.login(name, newPassword)
		require.NoError(t, err, "round %d: the new password must work after the race", round)
		_, err = e.login(name, "old-secret")
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials, "round %d: the old password must not", round)
		assert.Regexp(t, `^test-fast\$`, e.user(u.ID).PasswordHash, "round %d", round)
	}
}

// jitter is a store that waits up to half a millisecond before a lookup
// by username and before a password write.
type jitter struct{ userstore.Store }

func (j *jitter) wait() { time.Sleep(time.Duration(rand.Int64N(int64(500 * time.Microsecond)))) }

func (j *jitter) GetUserByUsername(ctx context.Context, username string) (userstore.User, error) {
	j.wait()
	return j.Store.GetUserByUsername(ctx, username)
}

func (j *jitter) SetPassword(ctx context.Context, id, expectedHash, newHash string, mustChange bool) error {
	j.wait()
	return j.Store.SetPassword(ctx, id, expectedHash, newHash, mustChange)
}

// meddler is a store that lets another writer's password write land just
// before the first SetPassword asked of it: the write in between that a
// race gives only sometimes.
type meddler struct {
	userstore.Store
	once    sync.Once
	between func()
}

func (m *meddler) SetPassword(ctx context.Context, id, expectedHash, newHash string, mustChange bool) error {
	m.once.Do(m.between)
	return m.Store.SetPassword(ctx, id, expectedHash, newHash, mustChange)
}

// setHash is the write in between: hash password with h and store it over
// whatever the user has.
func setHash(t *testing.T, s userstore.Store, h interface {
	Hash(context.Context, string) (string, error)
}, id, password string) {
	ctx := context.Background()
	hash, err := h.Hash(ctx, password)
	require.NoError(t, err)
	u, err := s.GetUser(ctx, id)
	require.NoError(t, err)
	require.NoError(t, s.SetPassword(ctx, id, u.PasswordHash, hash, false))
}

// TestPasswordWritesCompareAndSet puts a password write between each
// password-writing call and its SetPassword: a rehash is dropped, a change
// goes ahead over a rehash but not over another password, and a reset or
// an administrator's setting replaces whatever is there.
func TestPasswordWritesCompareAndSet(t *testing.T) {
	type outcome struct {
		err      error  // of the call
		works    string // the password that works afterwards
		notWorks string
	}
	cases := []struct {
		name string
		// oldFormat stores the first password in the format a login
		// rehashes from.
		oldFormat bool
		// between writes through the inner store, before the call's write.
		between func(t *testing.T, e *env, m *meddler, id string)
		call    func(e *env, id string) error
		want    outcome
		audit   userstore.AuditKind // an event the call must (not) write
		audited bool
	}{
		{
			name:      "rehash after a login is dropped when the password changed",
			oldFormat: true,
			between: func(t *testing.T, e *env, m *meddler, id string) {
				setHash(t, m.Store, e.hashers.fast, id, "changed-secret")
			},
			call: func(e *env, _ string) error {
				_, err := e.login("alice", "old-secret")
				return err
			},
			want:  outcome{works: "changed-secret", notWorks: "old-secret"},
			audit: userstore.AuditPasswordRehashed, audited: false,
		},
		{
			name: "change goes ahead over a rehash of the same password",
			between: func(t *testing.T, e *env, m *meddler, id string) {
				setHash(t, m.Store, e.hashers.fast, id, "old-secret")
			},
			call: func(e *env, _ string) error {
				return e.svc.ChangePassword(context.Background(), userstore.ChangePasswordRequest{Login: "alice", Current: "old-secret", New: "chosen-secret"})
			},
			want:  outcome{works: "chosen-secret", notWorks: "old-secret"},
			audit: userstore.AuditPasswordChanged, audited: true,
		},
		{
			name: "change is refused when another password was set meanwhile",
			between: func(t *testing.T, e *env, m *meddler, id string) {
				setHash(t, m.Store, e.hashers.fast, id, "admin-secret")
			},
			call: func(e *env, _ string) error {
				return e.svc.ChangePassword(context.Background(), userstore.ChangePasswordRequest{Login: "alice", Current: "old-secret", New: "chosen-secret"})
			},
			want:  outcome{err: userstore.ErrInvalidCredentials, works: "admin-secret", notWorks: "chosen-secret"},
			audit: userstore.AuditPasswordChanged, audited: false,
		},
		{
			name: "initial password replaces one set meanwhile",
			between: func(t *testing.T, e *env, m *meddler, id string) {
				setHash(t, m.Store, e.hashers.fast, id, "other-secret")
			},
			call: func(e *env, id string) error {
				return e.svc.SetUserPassword(context.Background(), id, "admin-choice")
			},
			want:  outcome{works: "admin-choice", notWorks: "other-secret"},
			audit: userstore.AuditPasswordChanged, audited: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			m := &meddler{Store: newMemstore(t, clock)}
			e := newEnvOn(t, m, clock, userstore.Config{AutomaticPasswordRehash: true})
			u := e.addUser("alice", "", "old-secret")
			if tc.oldFormat {
				old, err := e.hashers.old.Hash(context.Background(), "old-secret")
				require.NoError(t, err)
				require.NoError(t, m.Store.SetPassword(context.Background(), u.ID, u.PasswordHash, old, false))
			}
			m.between = func() { tc.between(t, e, m, u.ID) }

			err := tc.call(e, u.ID)
			if tc.want.err != nil {
				require.ErrorIs(t, err, tc.want.err)
			} else {
				require.NoError(t, err)
			}
			evs := e.audit(userstore.AuditFilter{Kind: tc.audit})
			if tc.audited {
				assert.NotEmpty(t, evs, "audit %s", tc.audit)
			} else {
				assert.Empty(t, evs, "audit %s", tc.audit)
			}
			if tc.want.err != nil {
				assert.Equal(t, userstore.ReasonPasswordChanged, e.lastAudit(userstore.AuditLoginFailed).Reason)
			}
			_, err = e.login("alice", tc.want.works)
			require.NoError(t, err, "%q must work", tc.want.works)
			_, err = e.login("alice", tc.want.notWorks)
			require.ErrorIs(t, err, userstore.ErrInvalidCredentials, "%q must not work", tc.want.notWorks)
		})
	}
}
