package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
)

func profile(app, name string) authrequest.Profile {
	return authrequest.Profile{
		ApplicationID:   app,
		Name:            name,
		TTL:             90 * time.Second,
		Action:          "Sign in to {app}",
		Description:     "Hello {username}",
		Vars:            map[string]string{"app": "VPN"},
		NumberMatching:  true,
		SinglePending:   true,
		RequireApprover: true,
		Callbacks: []callback.Callback{
			{
				Event:       "Response",
				Method:      "PUT",
				URL:         "https://hooks.example/{uuid}?s={state}",
				Headers:     map[string]string{"X-Event": "{event}"},
				Body:        `{"u":"{username}"}`,
				ContentType: "application/json",
				Auth:        callback.Auth{Kind: callback.AuthHeader, Header: "Authorization", Value: "Bearer s3cr3t"},
			},
			{
				Event: "Error",
				URL:   "https://errors.example/",
				Auth: callback.Auth{
					Kind: callback.AuthOAuth2, TokenURL: "https://idp.example/token",
					ClientID: "cid", ClientSecret: "csecret", Scopes: []string{"a", "b"},
				},
			},
			{Event: "Create", URL: "http://plain.example/"},
		},
		Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_b2xkc2VjcmV0b2xkc2VjcmV0"},
	}
}

func normCallbacks(cbs []callback.Callback) []callback.Callback {
	if len(cbs) == 0 {
		return nil
	}
	out := make([]callback.Callback, len(cbs))
	for i, cb := range cbs {
		cb.Headers = emptyNil(cb.Headers)
		cb.Auth.Scopes = emptyNilSlice(cb.Auth.Scopes)
		out[i] = cb
	}
	return out
}

func normProfile(p authrequest.Profile) authrequest.Profile {
	p.CreatedAt, p.UpdatedAt = tm(p.CreatedAt), tm(p.UpdatedAt)
	p.Vars = emptyNil(p.Vars)
	p.Callbacks = normCallbacks(p.Callbacks)
	p.Secrets = emptyNilSlice(p.Secrets)
	return p
}

func mustProfile(t *testing.T, s authrequest.Store, p authrequest.Profile) authrequest.Profile {
	t.Helper()
	got, err := s.CreateProfile(t.Context(), p)
	require.NoError(t, err, "CreateProfile %q", p.Name)
	return got
}

func testProfiles(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	in := profile("app-1", "VPN")
	p := mustProfile(t, s, in)
	assert.NotEmpty(t, p.ID)
	assert.False(t, p.CreatedAt.IsZero(), "CreatedAt")
	assert.False(t, p.UpdatedAt.IsZero(), "UpdatedAt")
	want := normProfile(in)
	want.ID, want.CreatedAt, want.UpdatedAt = p.ID, tm(p.CreatedAt), tm(p.UpdatedAt)
	assert.Equal(t, want, normProfile(p))

	got, err := s.GetProfile(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, want, normProfile(got), "with Secrets and callbacks' Auth")

	_, err = s.GetProfile(ctx, "nope")
	assert.ErrorIs(t, err, authrequest.ErrNotFound)

	// A bare profile.
	bare, err := s.CreateProfile(ctx, authrequest.Profile{ApplicationID: "app-1", Name: "bare"})
	require.NoError(t, err)
	got, err = s.GetProfile(ctx, bare.ID)
	require.NoError(t, err)
	assert.Equal(t, normProfile(bare), normProfile(got))
	assert.NotEqual(t, p.ID, bare.ID)

	// Update replaces everything but ID, ApplicationID and CreatedAt.
	bogus := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	ch := got
	ch.ApplicationID = "app-other"
	ch.CreatedAt, ch.UpdatedAt = bogus, bogus
	ch.Name = "Bare Renamed"
	ch.TTL = time.Minute
	ch.Vars = map[string]string{"x": "y"}
	ch.Callbacks = []callback.Callback{{Event: "Any", URL: "https://any.example/"}}
	ch.Secrets = []string{"whsec_bmV3"}
	up, err := s.UpdateProfile(ctx, ch)
	require.NoError(t, err)
	assert.Equal(t, bare.ID, up.ID)
	assert.Equal(t, "app-1", up.ApplicationID)
	assert.True(t, up.CreatedAt.Equal(bare.CreatedAt), "CreatedAt kept")
	assert.False(t, up.UpdatedAt.IsZero() || up.UpdatedAt.Equal(bogus), "UpdatedAt set by the store: %v", up.UpdatedAt)
	assert.Equal(t, "Bare Renamed", up.Name)
	assert.Equal(t, time.Minute, up.TTL)
	assert.Equal(t, []string{"whsec_bmV3"}, up.Secrets)
	got, err = s.GetProfile(ctx, bare.ID)
	require.NoError(t, err)
	assert.Equal(t, normProfile(up), normProfile(got))

	missing := ch
	missing.ID = "nope"
	_, err = s.UpdateProfile(ctx, missing)
	assert.ErrorIs(t, err, authrequest.ErrNotFound)

	require.NoError(t, s.DeleteProfile(ctx, bare.ID))
	_, err = s.GetProfile(ctx, bare.ID)
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	assert.ErrorIs(t, s.DeleteProfile(ctx, bare.ID), authrequest.ErrNotFound)
	_, err = s.UpdateProfile(ctx, up)
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	list, err := s.ListProfiles(ctx, "app-1")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, want, normProfile(list[0]))
}

func testProfileNames(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	gamma := mustProfile(t, s, profile("app-1", "gamma"))
	alpha := mustProfile(t, s, profile("app-1", "alpha"))
	beta := mustProfile(t, s, profile("app-1", "beta"))
	other := mustProfile(t, s, profile("app-2", "Alpha")) // same name, another application

	_, err := s.CreateProfile(ctx, profile("app-1", "ALPHA"))
	assert.ErrorIs(t, err, authrequest.ErrConflict, "name without regard to case")
	_, err = s.CreateProfile(ctx, profile("app-2", "alpha"))
	assert.ErrorIs(t, err, authrequest.ErrConflict)

	list, err := s.ListProfiles(ctx, "app-1")
	require.NoError(t, err)
	names := make([]string, len(list))
	for i, p := range list {
		names[i] = p.Name
	}
	assert.Equal(t, []string{"alpha", "beta", "gamma"}, names, "by name")
	assert.Equal(t, []string{alpha.ID, beta.ID, gamma.ID}, []string{list[0].ID, list[1].ID, list[2].ID})

	list, err = s.ListProfiles(ctx, "app-2")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, other.ID, list[0].ID)
	list, err = s.ListProfiles(ctx, "app-3")
	require.NoError(t, err)
	assert.Empty(t, list)

	// Renaming onto a taken name is a conflict; onto its own name in
	// another case is not.
	beta.Name = "Gamma"
	_, err = s.UpdateProfile(ctx, beta)
	assert.ErrorIs(t, err, authrequest.ErrConflict)
	got, err := s.GetProfile(ctx, beta.ID)
	require.NoError(t, err)
	assert.Equal(t, "beta", got.Name)
	beta.Name = "BETA"
	_, err = s.UpdateProfile(ctx, beta)
	require.NoError(t, err)

	// A deleted profile's name is free again.
	require.NoError(t, s.DeleteProfile(ctx, alpha.ID))
	mustProfile(t, s, profile("app-1", "Alpha"))
}

func testProfileCopies(t *testing.T, _ *config, s authrequest.Store) {
	ctx := t.Context()
	in := profile("app-1", "VPN")
	want := normProfile(profile("app-1", "VPN"))
	p := mustProfile(t, s, in)
	in.Vars["app"] = "x"
	in.Callbacks[0].Headers["X-Event"] = "x"
	in.Callbacks[1].Auth.Scopes[0] = "x"
	in.Secrets[0] = "x"
	p.Vars["app"] = "y"
	p.Callbacks[0].URL = "y"
	p.Secrets[1] = "y"
	got, err := s.GetProfile(ctx, p.ID)
	require.NoError(t, err)
	want.ID, want.CreatedAt, want.UpdatedAt = got.ID, tm(got.CreatedAt), tm(got.UpdatedAt)
	assert.Equal(t, want, normProfile(got))
	got.Callbacks[1].Auth.Scopes[1] = "z"
	got.Callbacks[0].Headers["X-Event"] = "z"
	list, err := s.ListProfiles(ctx, "app-1")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, want, normProfile(list[0]))
	list[0].Secrets[0] = "w"
	up := list[0]
	up.Description = "new"
	out, err := s.UpdateProfile(ctx, up)
	require.NoError(t, err)
	up.Callbacks[0].Headers["X-Event"] = "v"
	out.Vars["app"] = "v"
	got, err = s.GetProfile(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, "{event}", got.Callbacks[0].Headers["X-Event"])
	assert.Equal(t, "VPN", got.Vars["app"])
	assert.Equal(t, "w", got.Secrets[0], "the update's own value")
}
