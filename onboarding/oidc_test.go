package onboarding_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/claims"
	"github.com/usher-sdk/usher/internal/oidctest"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

const deviceRedirect = "https://device.example/callback"

// relay plays the device's browser: it follows the provider's redirects from
// authURL to the redirect URL and returns the callback's parameters.
func relay(t *testing.T, p *oidctest.Provider, authURL string) map[string]string {
	t.Helper()
	hc := &http.Client{Transport: p.Client().Transport, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), deviceRedirect) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := hc.Get(authURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return map[string]string{"state": loc.Query().Get("state"), "code": loc.Query().Get("code")}
}

// TestOIDCThenManual drives the chain OIDC → Manual against a real OpenID
// Provider in the test process.
func TestOIDCThenManual(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := oidctest.New(t)
	p.SetRedirectURIs(deviceRedirect)
	p.PutUser(oidctest.User{Subject: "alice-sub", Profile: map[string]any{
		"preferred_username": "alice", "email": "alice@example.com", "email_verified": true, "name": "Alice"}})
	p.SignInAs("alice-sub")
	client, err := claims.New(claims.Config{Name: "idp", Issuer: p.URL(), ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
		RedirectURL: deviceRedirect, Scopes: []string{"openid", "profile", "email"}}, claims.WithHTTPClient(p.Client()))
	require.NoError(t, err)
	users := usermem.New()
	t.Cleanup(func() { _ = users.Close() })
	prov, err := claims.NewProvisioner(users, claims.ProvisionConfig{SelfRegistration: true, ActiveByDefault: true})
	require.NoError(t, err)
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	m, err := onboarding.New(memstore.New(), ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.OIDC{
			Client: func(context.Context, onboarding.Application) (onboarding.OIDCClient, error) { return client, nil },
			Users: func(context.Context, onboarding.Application) (onboarding.IdentityProvisioner, error) {
				return prov, nil
			},
		},
	}})
	require.NoError(t, err)
	_, err = m.CreateApplication(ctx, onboarding.Application{Name: "Bank", Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindOIDC}, {Kind: onboarding.KindManual}}})
	require.NoError(t, err)

	// Two devices start; the second relays the first's callback: refused.
	d, other := newDevice(t), newDevice(t)
	st, err := m.Start(ctx, "Bank", d.spki)
	require.NoError(t, err)
	require.Equal(t, onboarding.KindOIDC, st.Prompt.Kind)
	st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, json.RawMessage(`{}`))
	require.NoError(t, err)
	require.NotEmpty(t, st.Prompt.URL)
	cb := relay(t, p, st.Prompt.URL)
	cbJSON, _ := json.Marshal(cb)

	ost, err := m.Start(ctx, "Bank", other.spki)
	require.NoError(t, err)
	_, err = m.Answer(ctx, ost.ActivityID, 0, ost.Nonce, cbJSON)
	require.ErrorIs(t, err, onboarding.ErrRefused, "a callback of another onboarding")

	// The state was single use: start a new sign-in for the right device.
	st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, json.RawMessage(`{}`))
	require.NoError(t, err)
	cbJSON, _ = json.Marshal(relay(t, p, st.Prompt.URL))
	st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, cbJSON)
	require.NoError(t, err)
	require.Equal(t, onboarding.KindManual, st.Prompt.Kind)
	_, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, cbJSON)
	assert.ErrorIs(t, err, onboarding.ErrOutOfOrder, "the OIDC step again")

	st, err = m.Answer(ctx, st.ActivityID, 1, st.Nonce, nil)
	require.NoError(t, err)
	require.NoError(t, m.Approve(ctx, st.ActivityID, onboarding.Approval{Admin: "admin"}))
	st, err = m.Status(ctx, st.ActivityID, st.Nonce)
	require.NoError(t, err)
	enr, err := m.Enrol(ctx, st.ActivityID, d.csr(t, st.Nonce))
	require.NoError(t, err)
	u, err := users.GetUserByExternalID(ctx, "idp", "alice-sub")
	require.NoError(t, err, "the application user was created from the claims")
	assert.Equal(t, u.ID, enr.Device.UserID)
}
