package activation_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
)

// testKey is the Manager key of the tests: 32 bytes, as New demands.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// newFakeClock returns the tests\' clock, at a fixed start.
func newFakeClock() *testenv.Clock {
	return testenv.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
}

// policySetter is the PasswordSetter of the tests: it refuses passwords
// shorter than 8 characters with userstore.ErrPolicy and stores a cheap
// hash otherwise.
func policySetter(store userstore.Store) activation.PasswordSetter {
	return activation.PasswordSetterFunc(func(ctx context.Context, userID, password string) error {
		if len(password) < 8 {
			return fmt.Errorf("%w: a password needs at least 8 characters", userstore.ErrPolicy)
		}
		sum := sha256.Sum256([]byte(password))
		u, err := store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		return store.SetPassword(ctx, userID, u.PasswordHash, "test-sha256$"+hex.EncodeToString(sum[:]), false)
	})
}

// env is one Manager over one store with a known user "jdoe" (disabled,
// as a back-end creates it before activation).
type env struct {
	store userstore.Store
	clock *testenv.Clock
	m     *activation.Manager
	user  userstore.User
}

func newEnv(t *testing.T, store userstore.Store, s activation.Settings, opts ...activation.Option) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{store: store, clock: newFakeClock()}
	u, err := store.CreateUser(ctx, userstore.User{Username: "jdoe", Email: "jdoe@example.test"})
	require.NoError(t, err)
	e.user = u
	opts = append([]activation.Option{activation.WithClock(e.clock.Now)}, opts...)
	e.m, err = activation.New(store, testKey, policySetter(store), s, opts...)
	require.NoError(t, err)
	return e
}

// enabled returns settings with activation on and the other fields given.
func enabled(s activation.Settings) activation.Settings {
	s.Enabled = true
	return s
}
