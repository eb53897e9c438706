package memstore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

func TestClockAndIDs(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	s := memstore.New(memstore.WithClock(func() time.Time { return fixed }))
	ctx := t.Context()
	var last string
	for _, name := range []string{"a", "b", "c", "d"} {
		u, err := s.CreateUser(ctx, userstore.User{Username: name})
		require.NoError(t, err)
		assert.True(t, u.CreatedAt.Equal(fixed))
		assert.Equal(t, time.UTC, u.CreatedAt.Location())
		assert.Len(t, u.ID, 32)
		assert.Greater(t, u.ID, last, "IDs increase even when the clock stands still")
		last = u.ID
	}
}

func TestClockStampsWrites(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := testenv.NewClock(t0)
	s := memstore.New(memstore.WithClock(clock.Now))
	ctx := t.Context()
	u, err := s.CreateUser(ctx, userstore.User{Username: "a"})
	require.NoError(t, err)

	steps := []struct {
		name  string
		write func() error
	}{
		{"UpdateUser", func() error {
			cur, err := s.GetUser(ctx, u.ID)
			require.NoError(t, err)
			cur.DisplayName = "A"
			_, err = s.UpdateUser(ctx, cur)
			return err
		}},
		{"SetPassword", func() error { return s.SetPassword(ctx, u.ID, "", "$h$", false) }},
		{"RecordFailedLogin", func() error {
			_, err := s.RecordFailedLogin(ctx, u.ID, 1, time.Hour, clock.Now())
			return err
		}},
		{"ResetFailedLogins", func() error { return s.ResetFailedLogins(ctx, u.ID) }},
	}
	for i, step := range steps {
		at := t0.Add(time.Duration(i+1) * time.Minute)
		clock.Set(at)
		require.NoError(t, step.write(), step.name)
		got, err := s.GetUser(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, t0, got.CreatedAt, step.name)
		assert.Equal(t, at, got.UpdatedAt, step.name)
		assert.Equal(t, int64(i+2), got.Version, step.name)
	}

	clock.Set(t0.Add(time.Hour))
	require.NoError(t, s.PutToken(ctx, userstore.Token{Kind: "k", UserID: u.ID, Hash: "h"}, false))
	require.NoError(t, s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed}))
	toks, err := s.UserTokens(ctx, "k", u.ID)
	require.NoError(t, err)
	require.Len(t, toks, 1)
	assert.Equal(t, t0.Add(time.Hour), toks[0].CreatedAt)
	for e, err := range s.Audit(ctx, userstore.AuditFilter{}) {
		require.NoError(t, err)
		assert.Equal(t, t0.Add(time.Hour), e.Time)
		assert.Len(t, e.ID, 32)
	}
	var ats []time.Time
	for c, err := range s.Changes(ctx, 0) {
		require.NoError(t, err)
		ats = append(ats, c.At)
	}
	require.Len(t, ats, 5)
	for i, at := range ats {
		assert.Equal(t, t0.Add(time.Duration(i)*time.Minute), at)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	s := memstore.New()
	ctx := t.Context()
	_, err := s.CreateUser(ctx, userstore.User{Username: "a"})
	require.NoError(t, err)
	_, errCreate := s.CreateUser(ctx, userstore.User{Username: "A"})
	_, errInvalid := s.CreateUser(ctx, userstore.User{Username: " "})
	_, errGet := s.GetUser(ctx, "nope")
	tests := []struct {
		name   string
		err    error
		target error
		text   string
	}{
		{"conflict", errCreate, userstore.ErrConflict, `memstore: create user: username "A" is taken: userstore: conflict`},
		{"invalid", errInvalid, userstore.ErrInvalid, "memstore: create user: userstore: invalid Username: must not begin or end with space"},
		{"not found", errGet, userstore.ErrNotFound, "memstore: get user: userstore: not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, tt.err, tt.target)
			assert.EqualError(t, tt.err, tt.text)
		})
	}
	var ve *userstore.ValidationError
	require.ErrorAs(t, errInvalid, &ve)
	assert.Equal(t, "Username", ve.Field)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "closing twice is not an error")
	_, err = s.GetUser(ctx, "x")
	assert.EqualError(t, err, "memstore: get user: userstore: store closed")
}

func TestRandFailure(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.WithRand(bytes.NewReader(nil)))
	_, err := s.CreateUser(t.Context(), userstore.User{Username: "a"})
	require.Error(t, err)
	n := 0
	for _, err := range s.ListUsers(t.Context(), userstore.ListOptions{}) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n, "a failed create writes nothing")
	for _, err := range s.Changes(t.Context(), 0) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n, "a failed create records no change")
}

// TestSmallPages crosses the internal page boundary of every stream.
func TestSmallPages(t *testing.T) {
	t.Parallel()
	s := memstore.New()
	s.SetPageSize(2)
	ctx := t.Context()
	_, err := s.CreateGroup(ctx, userstore.Group{Name: "g"})
	require.NoError(t, err)
	var ids, enabled []string
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		u, err := s.CreateUser(ctx, userstore.User{Username: name, Enabled: name != "c"})
		require.NoError(t, err)
		require.NoError(t, s.AddMember(ctx, "g", u.ID))
		require.NoError(t, s.AppendAudit(ctx, userstore.AuditEvent{Kind: userstore.AuditLoginFailed, UserID: u.ID}))
		ids = append(ids, u.ID)
		if u.Enabled {
			enabled = append(enabled, u.ID)
		}
	}
	for _, name := range []string{"h1", "h2", "h3"} {
		_, err := s.CreateGroup(ctx, userstore.Group{Name: name})
		require.NoError(t, err)
	}
	yes := true
	tests := []struct {
		name string
		seq  func() []string
		want []string
	}{
		{"all users", func() []string { return userIDs(t, s.ListUsers(ctx, userstore.ListOptions{})) }, ids},
		{"enabled", func() []string { return userIDs(t, s.ListUsers(ctx, userstore.ListOptions{Enabled: &yes})) }, enabled},
		{"limit 3", func() []string { return userIDs(t, s.ListUsers(ctx, userstore.ListOptions{Limit: 3})) }, ids[:3]},
		{"members", func() []string { return userIDs(t, s.ListMembers(ctx, "G")) }, ids},
		{"groups", func() []string {
			var out []string
			for g, err := range s.ListGroups(ctx) {
				require.NoError(t, err)
				out = append(out, g.Name)
			}
			return out
		}, []string{"g", "h1", "h2", "h3"}},
		{"audit", func() []string {
			var out []string
			for e, err := range s.Audit(ctx, userstore.AuditFilter{}) {
				require.NoError(t, err)
				out = append(out, e.UserID)
			}
			return out
		}, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.seq())
		})
	}
	var seqs []int64
	for c, err := range s.Changes(ctx, 0) {
		require.NoError(t, err)
		seqs = append(seqs, c.Seq)
	}
	require.Len(t, seqs, 1+5*2+3)
	for i, seq := range seqs {
		assert.Equal(t, int64(i+1), seq)
	}
}

func userIDs(t *testing.T, seq func(func(userstore.User, error) bool)) []string {
	t.Helper()
	var out []string
	for u, err := range seq {
		require.NoError(t, err)
		out = append(out, u.ID)
	}
	return out
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	s := memstore.New()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.GetUser(ctx, "x")
	assert.True(t, errors.Is(err, context.Canceled))
	for _, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
		assert.ErrorIs(t, err, context.Canceled)
	}
}
