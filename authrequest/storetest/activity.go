package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
)

func testActivity(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	last, err := s.LastAuthentication(ctx, "u1")
	require.NoError(t, err, "never is no error")
	assert.True(t, last.IsZero(), "never: %v", last)

	day := 24 * time.Hour
	require.NoError(t, s.RecordAuthentication(ctx, "app-1", "u1", at(-100*day)))
	require.NoError(t, s.RecordAuthentication(ctx, "app-1", "u2", at(-10*day)))
	require.NoError(t, s.RecordAuthentication(ctx, "app-2", "u1", at(-5*day)))
	require.NoError(t, s.RecordAuthentication(ctx, "app-1", "u1", at(-50*day)))
	require.NoError(t, s.RecordAuthentication(ctx, "app-2", "u3", at(-1*day)))
	require.NoError(t, s.RecordAuthentication(ctx, "app-1", "u0", at(-90*day)))
	// An older time recorded later does not move the last one back.
	require.NoError(t, s.RecordAuthentication(ctx, "app-2", "u1", at(-200*day)))

	last, err = s.LastAuthentication(ctx, "u1")
	require.NoError(t, err)
	assert.True(t, last.Equal(at(-5*day)), "across applications: %v", last)
	last, err = s.LastAuthentication(ctx, "u2")
	require.NoError(t, err)
	assert.True(t, last.Equal(at(-10*day)), "u2: %v", last)

	since := at(-90 * day)
	for _, c := range []struct {
		app  string
		want []string
	}{
		{"app-1", []string{"u0", "u1", "u2"}}, // u0 at since exactly
		{"app-2", []string{"u1", "u3"}},
		{"", []string{"u0", "u1", "u2", "u3"}},
		{"app-3", nil},
	} {
		got, err := s.ActiveUsers(ctx, c.app, since)
		require.NoError(t, err)
		assert.Equal(t, emptyNilSlice(c.want), emptyNilSlice(got), "ActiveUsers(%q)", c.app)
	}
	got, err := s.ActiveUsers(ctx, "app-1", at(-20*day))
	require.NoError(t, err)
	assert.Equal(t, []string{"u2"}, got)
	got, err = s.ActiveUsers(ctx, "", at(time.Second))
	require.NoError(t, err)
	assert.Empty(t, got)
}

func normToken(tk authrequest.Token) authrequest.Token {
	tk.CreatedAt = tm(tk.CreatedAt)
	tk.ApplicationIDs = emptyNilSlice(tk.ApplicationIDs)
	return tk
}

func testTokens(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	var made []authrequest.Token
	for i, name := range []string{"vpn", "web", "none"} {
		in := authrequest.Token{Name: name, Hash: newID(t) + newID(t), ApplicationIDs: []string{"app-1", "app-2"}}
		if i == 2 {
			in.ApplicationIDs = nil
		}
		tk, err := s.CreateToken(ctx, in)
		require.NoError(t, err)
		assert.NotEmpty(t, tk.ID)
		assert.False(t, tk.CreatedAt.IsZero(), "CreatedAt")
		in.ID, in.CreatedAt = tk.ID, tk.CreatedAt
		assert.Equal(t, normToken(in), normToken(tk))
		made = append(made, tk)
		time.Sleep(2 * time.Millisecond) // distinct CreatedAt
	}

	got, err := s.TokenByHash(ctx, made[1].Hash)
	require.NoError(t, err)
	assert.Equal(t, normToken(made[1]), normToken(got))
	got.ApplicationIDs[0] = "x" // a copy came out; ListTokens below sees none of it
	_, err = s.TokenByHash(ctx, "0000")
	assert.ErrorIs(t, err, authrequest.ErrNotFound)

	list, err := s.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, list, 3)
	for i := range made {
		assert.Equal(t, normToken(made[i]), normToken(list[i]), "oldest first, %d", i)
	}

	_, err = s.CreateToken(ctx, authrequest.Token{Name: "dup", Hash: made[0].Hash})
	assert.ErrorIs(t, err, authrequest.ErrConflict, "a hash taken")

	require.NoError(t, s.DeleteToken(ctx, made[1].ID))
	_, err = s.TokenByHash(ctx, made[1].Hash)
	assert.ErrorIs(t, err, authrequest.ErrNotFound, "revoked")
	assert.ErrorIs(t, s.DeleteToken(ctx, made[1].ID), authrequest.ErrNotFound)
	list, err = s.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []string{made[0].ID, made[2].ID}, []string{list[0].ID, list[1].ID})
}
