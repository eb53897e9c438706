package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// TestDashboardCounts checks the dashboard's numbers of users and enabled
// users, counted by the server's store.
func TestDashboardCounts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ctx := t.Context()
	before, err := ts.app.users.CountUsers(ctx, userstore.CountOptions{})
	require.NoError(t, err)
	for i := range 12 {
		u := userstore.User{Username: fmt.Sprintf("dash%02d", i), Enabled: i%4 != 0}
		if i < 2 {
			u.LockedUntil = time.Now().Add(time.Hour)
		}
		_, err := ts.app.users.CreateUser(ctx, u)
		require.NoError(t, err)
	}
	b := ts.signIn()
	r := ts.get(b, "/admin/")
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, fmt.Sprintf(`<span class="n">%d</span> users`, before.Total+12))
	assert.Contains(t, r.Body, fmt.Sprintf(`<span class="n">%d</span> enabled`, before.Enabled+9))
	assert.Contains(t, r.Body, fmt.Sprintf(`<span class="n">%d</span> locked out now`, before.Locked+2))
}

// hiddenCounter is a store seen only as a UserReader, which hides its
// Counter: the dashboard must list.
type hiddenCounter struct{ userstore.UserReader }

// manyUsers is a UserReader of n users, the even ones enabled, that lists
// without storing them; with a counter, it counts them and refuses to list.
type manyUsers struct {
	userstore.UserReader
	n     int
	count bool
	err   error
}

func (m manyUsers) ListUsers(_ context.Context, opts userstore.ListOptions) iter.Seq2[userstore.User, error] {
	return func(yield func(userstore.User, error) bool) {
		switch {
		case m.err != nil:
			yield(userstore.User{}, m.err)
			return
		case m.count:
			yield(userstore.User{}, errors.New("the dashboard listed the users of a Counter"))
			return
		}
		listed := 0
		for i := range m.n {
			if opts.Limit > 0 && listed == opts.Limit {
				return
			}
			u := userstore.User{ID: fmt.Sprintf("u%07d", i), Enabled: i%2 == 0}
			if opts.Enabled != nil && u.Enabled != *opts.Enabled {
				continue
			}
			listed++
			if !yield(u, nil) {
				return
			}
		}
	}
}

// countingUsers is manyUsers with a Counter.
type countingUsers struct{ manyUsers }

func (c countingUsers) CountUsers(context.Context, userstore.CountOptions) (userstore.UserCounts, error) {
	if c.err != nil {
		return userstore.UserCounts{}, c.err
	}
	return userstore.UserCounts{Total: c.n, Enabled: (c.n + 1) / 2}, nil
}

func TestDashboardUserCounts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	mem := memstore.New()
	t.Cleanup(func() { _ = mem.Close() })
	for i := range 5 {
		_, err := mem.CreateUser(ctx, userstore.User{Username: fmt.Sprintf("m%d", i), Enabled: i != 2, LockedUntil: time.Now().Add(time.Hour)})
		require.NoError(t, err)
	}
	boom := errors.New("boom")
	for _, tt := range []struct {
		name           string
		r              userstore.UserReader
		users, enabled string
		err            error
	}{
		{"memstore counts", mem, "5", "4", nil},
		{"memstore listed", hiddenCounter{mem}, "5", "4", nil},
		{"a Counter is exact beyond the listing limit", countingUsers{manyUsers{n: 250_001, count: true}}, "250001", "125001", nil},
		{"listing stops at the limit", manyUsers{n: countLimit + 1}, "100000+", "50001", nil},
		{"listing to the limit is exact", manyUsers{n: countLimit}, "100000", "50000", nil},
		{"a failing Counter", countingUsers{manyUsers{err: boom}}, "", "", boom},
		{"a failing listing", manyUsers{err: boom}, "", "", boom},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := userCounts(ctx, tt.r, time.Now())
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.users, c.Users)
			assert.Equal(t, tt.enabled, c.Enabled)
		})
	}
}

// TestDashboardCountError checks that a failing count is an error page,
// not numbers.
func TestDashboardCountError(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	b := ts.signIn()
	require.NoError(t, ts.app.users.Close())
	r := ts.get(b, "/admin/")
	assert.Equal(t, http.StatusInternalServerError, r.StatusCode)
	assert.NotContains(t, r.Body, "</span> users")
}
