package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
)

func testApprovers(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	got, err := s.Approver(ctx, "app-1", "u1")
	require.NoError(t, err, "no approver is no error")
	assert.Empty(t, got)

	require.NoError(t, s.SetApprover(ctx, "app-1", "u1", "boss"))
	require.NoError(t, s.SetApprover(ctx, "app-2", "u1", "other-boss"))
	require.NoError(t, s.SetApprover(ctx, "app-1", "u2", "boss"))
	for _, c := range []struct{ app, user, want string }{
		{"app-1", "u1", "boss"}, {"app-2", "u1", "other-boss"}, {"app-1", "u2", "boss"}, {"app-2", "u2", ""}, {"app-1", "boss", ""},
	} {
		got, err := s.Approver(ctx, c.app, c.user)
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%s/%s", c.app, c.user)
	}

	require.NoError(t, s.SetApprover(ctx, "app-1", "u1", "new-boss"), "replace")
	got, err = s.Approver(ctx, "app-1", "u1")
	require.NoError(t, err)
	assert.Equal(t, "new-boss", got)

	require.NoError(t, s.SetApprover(ctx, "app-1", "u1", ""), "remove")
	got, err = s.Approver(ctx, "app-1", "u1")
	require.NoError(t, err)
	assert.Empty(t, got)
	require.NoError(t, s.SetApprover(ctx, "app-1", "u1", ""), "remove again")
	got, err = s.Approver(ctx, "app-2", "u1")
	require.NoError(t, err)
	assert.Equal(t, "other-boss", got, "other application untouched")
}

func policy(app, name string) authrequest.PreApprovalPolicy {
	return authrequest.PreApprovalPolicy{ApplicationID: app, Name: name, MaxPeriod: 8 * time.Hour, AskValidity: 45 * time.Minute}
}

func normPolicy(p authrequest.PreApprovalPolicy) authrequest.PreApprovalPolicy {
	p.CreatedAt = tm(p.CreatedAt)
	return p
}

func mustPolicy(t *testing.T, s authrequest.Store, p authrequest.PreApprovalPolicy) authrequest.PreApprovalPolicy {
	t.Helper()
	got, err := s.CreatePolicy(t.Context(), p)
	require.NoError(t, err, "CreatePolicy %q", p.Name)
	return got
}

func preApproval(t *testing.T, pol authrequest.PreApprovalPolicy, user string) authrequest.PreApproval {
	return authrequest.PreApproval{
		ID:            newID(t),
		PolicyID:      pol.ID,
		ApplicationID: pol.ApplicationID,
		UserID:        user,
		ApproverID:    "boss",
		Period:        30 * time.Minute,
		State:         authrequest.PreApprovalAsked,
		CreatedAt:     at(0),
		AskExpiresAt:  at(time.Hour),
		UpdatedAt:     at(0),
	}
}

func normPA(p authrequest.PreApproval) authrequest.PreApproval {
	p.CreatedAt, p.AskExpiresAt, p.ActiveUntil, p.UpdatedAt = tm(p.CreatedAt), tm(p.AskExpiresAt), tm(p.ActiveUntil), tm(p.UpdatedAt)
	return p
}

func mustPA(t *testing.T, s authrequest.Store, p authrequest.PreApproval) authrequest.PreApproval {
	t.Helper()
	got, err := s.CreatePreApproval(t.Context(), p)
	require.NoError(t, err, "CreatePreApproval")
	return got
}

func testPolicies(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	in := policy("app-1", "Contractors")
	p := mustPolicy(t, s, in)
	assert.NotEmpty(t, p.ID)
	assert.False(t, p.CreatedAt.IsZero(), "CreatedAt")
	in.ID, in.CreatedAt = p.ID, p.CreatedAt
	assert.Equal(t, normPolicy(in), normPolicy(p))
	got, err := s.GetPolicy(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, normPolicy(p), normPolicy(got))
	_, err = s.GetPolicy(ctx, "nope")
	assert.ErrorIs(t, err, authrequest.ErrNotFound)

	_, err = s.CreatePolicy(ctx, policy("app-1", "contractors"))
	assert.ErrorIs(t, err, authrequest.ErrConflict, "name without regard to case")
	mustPolicy(t, s, policy("app-2", "Contractors"))
	admins := mustPolicy(t, s, authrequest.PreApprovalPolicy{ApplicationID: "app-1", Name: "Admins"})
	assert.Zero(t, admins.MaxPeriod)
	assert.Zero(t, admins.AskValidity)

	list, err := s.ListPolicies(ctx, "app-1")
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []string{"Admins", "Contractors"}, []string{list[0].Name, list[1].Name}, "by name")
	assert.Equal(t, normPolicy(p), normPolicy(list[1]))
	list, err = s.ListPolicies(ctx, "app-3")
	require.NoError(t, err)
	assert.Empty(t, list)

	// Deleting a policy removes its pre-approvals, and only its.
	pa := mustPA(t, s, preApproval(t, p, "u1"))
	keep := mustPA(t, s, preApproval(t, admins, "u1"))
	require.NoError(t, s.DeletePolicy(ctx, p.ID))
	_, err = s.GetPolicy(ctx, p.ID)
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	_, err = s.GetPreApproval(ctx, pa.ID)
	assert.ErrorIs(t, err, authrequest.ErrNotFound, "its pre-approvals go with it")
	_, err = s.GetPreApproval(ctx, keep.ID)
	assert.NoError(t, err, "another policy's pre-approval stays")
	assert.ErrorIs(t, s.DeletePolicy(ctx, p.ID), authrequest.ErrNotFound)
	list, err = s.ListPolicies(ctx, "app-1")
	require.NoError(t, err)
	require.Len(t, list, 1)
	mustPolicy(t, s, policy("app-1", "CONTRACTORS")) // the name is free again
}

func testPreApprovals(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	pol := mustPolicy(t, s, policy("app-1", "P"))
	in := preApproval(t, pol, "u1")
	pa := mustPA(t, s, in)
	assert.False(t, pa.UpdatedAt.IsZero(), "UpdatedAt")
	in.UpdatedAt = pa.UpdatedAt // the store's to set or keep
	assert.Equal(t, normPA(in), normPA(pa))
	got, err := s.GetPreApproval(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, normPA(pa), normPA(got))
	_, err = s.GetPreApproval(ctx, "nope")
	assert.ErrorIs(t, err, authrequest.ErrNotFound)

	dup := preApproval(t, pol, "u2")
	dup.ID = in.ID
	_, err = s.CreatePreApproval(ctx, dup)
	assert.ErrorIs(t, err, authrequest.ErrConflict, "an existing ID")

	bogus := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	up, err := s.UpdatePreApproval(ctx, in.ID, func(p *authrequest.PreApproval) error {
		assert.Equal(t, normPA(pa), normPA(*p), "fn sees the stored pre-approval")
		p.State = authrequest.PreApprovalActive
		p.ActiveUntil = at(2 * time.Hour)
		p.ID, p.ApplicationID, p.CreatedAt, p.UpdatedAt = "other", "app-other", bogus, bogus
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, in.ID, up.ID)
	assert.Equal(t, "app-1", up.ApplicationID)
	assert.True(t, up.CreatedAt.Equal(in.CreatedAt), "CreatedAt kept")
	assert.False(t, up.UpdatedAt.IsZero() || up.UpdatedAt.Equal(bogus), "UpdatedAt set by the store: %v", up.UpdatedAt)
	assert.Equal(t, authrequest.PreApprovalActive, up.State)
	assert.True(t, up.ActiveUntil.Equal(at(2*time.Hour)))
	got, err = s.GetPreApproval(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, normPA(up), normPA(got))

	boom := errors.New("boom")
	_, err = s.UpdatePreApproval(ctx, in.ID, func(p *authrequest.PreApproval) error {
		p.State = authrequest.PreApprovalRejected
		return boom
	})
	assert.ErrorIs(t, err, boom)
	got, err = s.GetPreApproval(ctx, in.ID)
	require.NoError(t, err)
	assert.Equal(t, normPA(up), normPA(got), "a failed update changed it")

	called := false
	_, err = s.UpdatePreApproval(ctx, "nope", func(*authrequest.PreApproval) error { called = true; return nil })
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	assert.False(t, called)

	// Concurrent confirmations: exactly one sees it asked.
	pa2 := mustPA(t, s, preApproval(t, pol, "u2"))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 10 {
		wg.Go(func() {
			_, err := s.UpdatePreApproval(ctx, pa2.ID, func(p *authrequest.PreApproval) error {
				if p.State != authrequest.PreApprovalAsked {
					return authrequest.ErrAnswered
				}
				time.Sleep(time.Millisecond) // widen the window of a store that is not atomic
				p.State = authrequest.PreApprovalConfirmed
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else {
				assert.ErrorIs(t, err, authrequest.ErrAnswered)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, wins)
}

func testActivePreApproval(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	pol := mustPolicy(t, s, policy("app-1", "P"))
	pol2 := mustPolicy(t, s, policy("app-2", "P"))
	mk := func(p authrequest.PreApprovalPolicy, user string, st authrequest.PreApprovalState, until time.Duration) authrequest.PreApproval {
		pa := preApproval(t, p, user)
		pa.State = st
		if until != 0 {
			pa.ActiveUntil = at(until)
		}
		return mustPA(t, s, pa)
	}
	now := at(time.Hour)
	_, err := s.ActivePreApproval(ctx, "app-1", "u1", now)
	assert.ErrorIs(t, err, authrequest.ErrNotFound, "none")

	mk(pol, "u1", authrequest.PreApprovalAsked, 0)
	mk(pol, "u1", authrequest.PreApprovalConfirmed, 0)
	mk(pol, "u1", authrequest.PreApprovalRejected, 0)
	mk(pol, "u1", authrequest.PreApprovalExpired, 2*time.Hour)
	mk(pol, "u1", authrequest.PreApprovalActive, 30*time.Minute) // ended
	mk(pol2, "u1", authrequest.PreApprovalActive, 2*time.Hour)   // another application
	mk(pol, "u2", authrequest.PreApprovalActive, 2*time.Hour)    // another user
	_, err = s.ActivePreApproval(ctx, "app-1", "u1", now)
	assert.ErrorIs(t, err, authrequest.ErrNotFound, "none active for u1 in app-1")

	active := mk(pol, "u1", authrequest.PreApprovalActive, 2*time.Hour)
	got, err := s.ActivePreApproval(ctx, "app-1", "u1", now)
	require.NoError(t, err)
	assert.Equal(t, normPA(active), normPA(got))
	_, err = s.ActivePreApproval(ctx, "app-1", "u1", at(3*time.Hour))
	assert.ErrorIs(t, err, authrequest.ErrNotFound, "after ActiveUntil")
	got, err = s.ActivePreApproval(ctx, "app-2", "u1", now)
	require.NoError(t, err)
	assert.Equal(t, "app-2", got.ApplicationID)
}
