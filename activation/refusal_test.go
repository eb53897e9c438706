package activation_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/userstore"
)

// readCounter is a store that counts the lookups Activate makes.
type readCounter struct {
	userstore.Store
	mu    sync.Mutex
	reads map[string]int
}

func (c *readCounter) read(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads[op]++
}

func (c *readCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reads
	c.reads = map[string]int{}
	return r
}

func (c *readCounter) GetUserByUsername(ctx context.Context, username string) (userstore.User, error) {
	c.read("GetUserByUsername")
	return c.Store.GetUserByUsername(ctx, username)
}

func (c *readCounter) UserTokens(ctx context.Context, kind, userID string) ([]userstore.Token, error) {
	c.read("UserTokens")
	return c.Store.UserTokens(ctx, kind, userID)
}

// TestActivateRefusalsLookAlike: an unknown user, a wrong code, a locked
// account and an expired code get the same error and make the same store
// lookups (a user by name, then the user's code), while the audit trail
// says which it was. What still differs: a wrong code also writes a strike.
func TestActivateRefusalsLookAlike(t *testing.T) {
	onEveryStore(t, func(t *testing.T, store userstore.Store) {
		ctx := context.Background()
		counter := &readCounter{Store: store, reads: map[string]int{}}
		clock := newFakeClock()
		var logs bytes.Buffer
		m, err := activation.New(counter, testKey, policySetter(store), enabled(activation.Settings{ExpiryDays: 1}),
			activation.WithClock(clock.Now), activation.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		newUser := func(name string) userstore.User {
			u, err := store.CreateUser(ctx, userstore.User{Username: name})
			require.NoError(t, err)
			return u
		}
		newCode := func(name string) string {
			c, err := m.Create(ctx, name, nil)
			require.NoError(t, err)
			return c.Code
		}
		known := newUser("known")
		locked := newUser("locked")
		lockedCode := newCode("locked")
		_, err = store.RecordFailedLogin(ctx, locked.ID, 1, 48*time.Hour, clock.Now())
		require.NoError(t, err)
		late := newUser("late")
		lateCode := newCode("late")
		clock.Advance(24 * time.Hour) // the codes so far have expired
		code := newCode("known")

		cases := []struct {
			name, username, code, reason, userID string
		}{
			{"unknown user", "nobody", code, userstore.ReasonUnknownUser, ""},
			{"wrong code", "known", wrongCode(code), activation.ReasonWrongCode, known.ID},
			{"locked", "locked", lockedCode, userstore.ReasonLocked, locked.ID},
			{"expired", "late", lateCode, activation.ReasonExpired, late.ID},
		}
		want := map[string]int{"GetUserByUsername": 1, "UserTokens": 1}
		for _, tc := range cases {
			counter.take()
			_, err := m.Activate(ctx, activation.Request{Username: tc.username, Code: tc.code, Remote: "192.0.2.1"})
			require.ErrorIs(t, err, activation.ErrActivationFailed, tc.name)
			assert.Equal(t, activation.ErrActivationFailed.Error(), err.Error(), "%s: the message tells nothing more", tc.name)
			assert.Equal(t, want, counter.take(), "%s: store lookups", tc.name)
			ev := lastRefusal(t, store)
			assert.Equal(t, tc.reason, ev.Reason, tc.name)
			assert.Equal(t, tc.userID, ev.UserID, tc.name)
			assert.Equal(t, tc.username, ev.Login, tc.name)
			assert.Equal(t, clock.Now(), ev.Time.UTC(), tc.name)
			assert.NotContains(t, ev.Detail, "code", tc.name)
			assert.Contains(t, logs.String(), "reason=\""+tc.reason+"\"", tc.name)
			assert.NotContains(t, logs.String(), normalize(tc.code), "%s: the code is never logged", tc.name)
		}
	})
}
