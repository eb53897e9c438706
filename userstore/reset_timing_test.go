package userstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// gatedStore holds every user lookup until open is closed, and counts them.
type gatedStore struct {
	userstore.Store
	open    chan struct{}
	lookups atomic.Int32
}

func (g *gatedStore) wait() {
	g.lookups.Add(1)
	<-g.open
}

func (g *gatedStore) GetUserByUsername(ctx context.Context, username string) (userstore.User, error) {
	g.wait()
	return g.Store.GetUserByUsername(ctx, username)
}

func (g *gatedStore) FindUsersByEmail(ctx context.Context, email string, limit int) ([]userstore.User, error) {
	g.wait()
	return g.Store.FindUsersByEmail(ctx, email, limit)
}

// A reset request does the same work before it answers whether or not
// the user exists: no lookup at all (before, an unknown username cost a
// second, e-mail lookup on the request path). Everything else happens in
// the background and still ends in a mail or an audited refusal.
func TestResetRequestDoesNoLookupBeforeAnswering(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	mem := memstore.New(memstore.WithClock(clock.Now))
	t.Cleanup(func() { _ = mem.Close() })
	g := &gatedStore{Store: mem, open: make(chan struct{})}
	e := newEnvOn(t, g, clock, resetCfg)
	e.addUser("alice", "alice@example.com", "secret-1")

	for _, login := range []string{"alice", "alice@example.com", "nobody", "nobody@example.com"} {
		done := make(chan error, 1)
		go func() {
			done <- e.svc.RequestPasswordReset(context.Background(), userstore.ResetRequest{Login: login})
		}()
		select {
		case err := <-done:
			require.NoError(t, err, login)
		case <-time.After(10 * time.Second):
			t.Fatalf("RequestPasswordReset(%q) waited for a store lookup", login)
		}
	}
	close(g.open)
	require.NoError(t, e.svc.Close())
	assert.Len(t, e.mail.messages(), 2, "alice by username and by e-mail")
	refused := e.audit(userstore.AuditFilter{Kind: userstore.AuditResetRequested})
	reasons := map[string]int{}
	for _, ev := range refused {
		reasons[ev.Reason]++
	}
	assert.Equal(t, map[string]int{"": 2, userstore.ReasonUnknownUser: 2}, reasons)
}

// The dummy hash unknown users are checked against exists once the
// Service does, so the first unknown login costs no more than the others.
func TestDummyHashMadeWithTheService(t *testing.T) {
	t.Parallel()
	e := newEnv(t, userstore.Config{})
	before := e.hashers.fast.salt.Load() // counts Hash calls
	_, err := e.login("nobody", "whatever")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	assert.Equal(t, before, e.hashers.fast.salt.Load(), "the first unknown login made no hash")
}

// A flood of reset requests cannot start background work without bound:
// at most 64 run at once, and the others wait for one to finish, or give
// up when their context ends.
func TestResetFloodIsBounded(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	mem := memstore.New(memstore.WithClock(clock.Now))
	t.Cleanup(func() { _ = mem.Close() })
	g := &gatedStore{Store: mem, open: make(chan struct{})}
	e := newEnvOn(t, g, clock, resetCfg)

	const requests = 100
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	errs := make(chan error, requests)
	for range requests {
		go func() { errs <- e.svc.RequestPasswordReset(ctx, userstore.ResetRequest{Login: "nobody"}) }()
	}
	started, gaveUp := 0, 0
	for range requests {
		if err := <-errs; err == nil {
			started++
		} else {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			gaveUp++
		}
	}
	assert.Equal(t, 64, started)
	assert.Equal(t, requests-64, gaveUp)
	assert.EqualValues(t, 64, g.lookups.Load(), "one waiting lookup per running worker, none for the others")
	close(g.open)
	require.NoError(t, e.svc.Close())
}
