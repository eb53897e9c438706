package onboarding_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

// TestCredentialsLDAP onboards a device with the Credentials requirement
// against the private OpenLDAP of `make test`: the application user is
// created in the pool from the directory's entry on the way.
func TestCredentialsLDAP(t *testing.T) {
	t.Parallel()
	srv := testenv.LDAP(t)
	ctx := context.Background()
	src, err := ldap.New(ldap.Config{URL: srv.URL, BindDN: srv.BindDN, BindPassword: srv.BindPassword,
		BaseDN: "ou=people,dc=usher,dc=test", GroupBaseDN: "ou=groups,dc=usher,dc=test", Timeout: 20 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = src.Close() })
	users := usermem.New()
	t.Cleanup(func() { _ = users.Close() })
	chain, err := directory.NewChain(users, directory.ChainConfig{Sources: []directory.Source{src}, AutoCreate: true})
	require.NoError(t, err)
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	m, err := onboarding.New(memstore.New(), ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return chain, nil }},
	}})
	require.NoError(t, err)
	_, err = m.CreateApplication(ctx, onboarding.Application{Name: "Bank",
		Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindCredentials}}})
	require.NoError(t, err)

	d := newDevice(t)
	st, err := m.Start(ctx, "Bank", d.spki)
	require.NoError(t, err)
	_, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, json.RawMessage(`{"username":"alice","password":"wrong"}`))
	require.ErrorIs(t, err, onboarding.ErrRefused)
	_, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, json.RawMessage(`{"username":"nobody","password":"x"}`))
	require.ErrorIs(t, err, onboarding.ErrRefused, "an unknown user is refused like a wrong password")
	st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, json.RawMessage(`{"username":"alice","password":"alice-password"}`))
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusAwaitingCSR, st.Status)
	enr, err := m.Enrol(ctx, st.ActivityID, d.csr(t, st.Nonce))
	require.NoError(t, err)
	u, err := users.GetUserByUsername(ctx, "alice")
	require.NoError(t, err, "the application user was created from the directory entry")
	assert.Equal(t, u.ID, enr.Device.UserID)
	assert.NotEmpty(t, u.Source)
}
