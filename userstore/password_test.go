package userstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
)

func TestChangePassword(t *testing.T) {
	tests := []struct {
		name             string
		login, cur, next string
		wantErr          error
		wantRule         string
		wantStrike       bool
	}{
		{"ok", "alice", "alice-secret", "a-brand-new-one", nil, "", false},
		{"ok by any case", "ALICE", "alice-secret", "a-brand-new-one", nil, "", false},
		{"wrong current", "alice", "wrong", "a-brand-new-one", userstore.ErrInvalidCredentials, "", true},
		{"unknown user", "mallory", "alice-secret", "a-brand-new-one", userstore.ErrInvalidCredentials, "", false},
		{"too short, checked first", "alice", "wrong", "short", userstore.ErrPolicy, userstore.RuleMinLength, false},
		{"too long", "alice", "alice-secret", strings.Repeat("x", 1025), userstore.ErrPolicy, userstore.RuleMaxLength, false},
		{"unchanged", "alice", "alice-secret", "alice-secret", userstore.ErrPolicy, userstore.RuleUnchanged, false},
		{"invalid UTF-8", "alice", "alice-secret", "abcdefgh\xff", userstore.ErrPolicy, userstore.RuleEncoding, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, userstore.Config{})
			u := e.addUser("alice", "", "alice-secret")
			err := e.svc.ChangePassword(context.Background(), userstore.ChangePasswordRequest{Login: tt.login, Current: tt.cur, New: tt.next, Remote: "192.0.2.1"})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				if tt.wantRule != "" {
					var pe *userstore.PolicyError
					require.True(t, errors.As(err, &pe))
					assert.Equal(t, tt.wantRule, pe.Rule)
				}
				_, lerr := e.login("alice", "alice-secret")
				assert.NoError(t, lerr, "the old password still works")
				if tt.wantStrike {
					ev := e.lastAudit(userstore.AuditLoginFailed)
					assert.Equal(t, "change password", ev.Detail["op"])
					assert.Equal(t, "1", ev.Detail["failedLogins"])
				}
				return
			}
			require.NoError(t, err)
			_, err = e.login("alice", tt.next)
			require.NoError(t, err)
			_, err = e.login("alice", "alice-secret")
			require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
			ev := e.lastAudit(userstore.AuditPasswordChanged)
			assert.Equal(t, u.ID, ev.UserID)
			assert.Equal(t, "192.0.2.1", ev.Remote)
		})
	}

	t.Run("equal to the username", func(t *testing.T) {
		e := newEnv(t, userstore.Config{})
		e.addUser("alice.longname", "", "alice-secret")
		err := e.svc.ChangePassword(context.Background(), userstore.ChangePasswordRequest{Login: "alice.longname", Current: "alice-secret", New: "Alice.LongName"})
		var pe *userstore.PolicyError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, userstore.RuleUsername, pe.Rule)
		assert.ErrorIs(t, err, userstore.ErrPolicy)
	})
}

func TestInitialPasswordFlow(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, userstore.Config{MaxFailedLogins: 3})
	u := e.addUser("alice", "", "")

	require.ErrorIs(t, e.svc.SetInitialPassword(ctx, u.ID, "short"), userstore.ErrPolicy)
	require.ErrorIs(t, e.svc.SetInitialPassword(ctx, "no-such-id", "initial-secret"), userstore.ErrNotFound)
	require.NoError(t, e.svc.SetInitialPassword(ctx, u.ID, "initial-secret"))
	assert.Equal(t, "password.set", string(e.lastAudit(userstore.AuditPasswordSet).Kind))

	// The right password gives the user and "must change"; a wrong one is
	// a plain refusal.
	got, err := e.login("alice", "initial-secret")
	require.ErrorIs(t, err, userstore.ErrPasswordChangeRequired)
	assert.Equal(t, u.ID, got.ID)
	_, err = e.login("alice", "wrong")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)

	// A must-change user may change the password, and then logs in.
	require.NoError(t, e.svc.ChangePassword(ctx, userstore.ChangePasswordRequest{Login: "alice", Current: "initial-secret", New: "my-own-secret"}))
	_, err = e.login("alice", "my-own-secret")
	require.NoError(t, err)
	assert.False(t, e.user(u.ID).MustChangePassword)

	// SetUserPassword (activation) needs no change afterwards and unlocks.
	for range 3 {
		_, _ = e.login("alice", "wrong")
	}
	require.True(t, e.user(u.ID).Locked(e.clock.Now()))
	require.ErrorIs(t, e.svc.SetUserPassword(ctx, u.ID, "alice"), userstore.ErrPolicy)
	require.NoError(t, e.svc.SetUserPassword(ctx, u.ID, "activated-secret"))
	got = e.user(u.ID)
	assert.False(t, got.MustChangePassword)
	assert.False(t, got.Locked(e.clock.Now()))
	_, err = e.login("alice", "activated-secret")
	require.NoError(t, err)
}

func TestCheckPassword(t *testing.T) {
	e := newEnv(t, userstore.Config{PasswordPolicy: userstore.PasswordPolicy{MinLength: 4, MaxLength: 6, AllowUsername: true}})
	tests := []struct {
		pw   string
		rule string
	}{
		{"abc", userstore.RuleMinLength},
		{"abcd", ""},
		{"äöüß", ""}, // four characters, eight bytes
		{"abcdefg", userstore.RuleMaxLength},
		{"alice", ""}, // AllowUsername
	}
	for _, tt := range tests {
		err := e.svc.CheckPassword("alice", tt.pw)
		if tt.rule == "" {
			assert.NoError(t, err, tt.pw)
			continue
		}
		var pe *userstore.PolicyError
		if assert.ErrorAs(t, err, &pe, tt.pw) {
			assert.Equal(t, tt.rule, pe.Rule)
		}
	}
}
