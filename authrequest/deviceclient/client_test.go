package deviceclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/deviceclient"
	"github.com/usher-sdk/usher/authrequest/memstore"
	"github.com/usher-sdk/usher/onboarding"
	obmem "github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

// setup serves a Manager's device API with one application, the user
// frank and his enrolled phone, whose client it returns.
func setup(t testing.TB) (*authrequest.Manager, onboarding.Application, *deviceclient.Client) {
	ctx := context.Background()
	apps, users := obmem.New(), usermem.New()
	app, err := apps.CreateApplication(ctx, onboarding.Application{Name: "VPN", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	require.NoError(t, err)
	frank, err := users.CreateUser(ctx, userstore.User{Username: "frank", Enabled: true})
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	phone, err := apps.AddDevice(ctx, onboarding.Device{ApplicationID: app.ID, UserID: frank.ID, PublicKey: spki, State: onboarding.DeviceActive}, 1)
	require.NoError(t, err)
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	m, err := authrequest.New(store, apps, apps, authrequest.Config{
		Users: func(context.Context, onboarding.Application) (authrequest.Users, error) { return users, nil }})
	require.NoError(t, err)
	srv := httptest.NewServer(m.DeviceHandler())
	t.Cleanup(srv.Close)
	c, err := deviceclient.New(srv.URL, phone.ID, key, deviceclient.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	return m, app, c
}

func TestApproveDenyClaim(t *testing.T) {
	m, app, c := setup(t)
	ctx := t.Context()
	prof, err := m.CreateProfile(ctx, authrequest.Profile{ApplicationID: app.ID, Name: "nm", NumberMatching: true})
	require.NoError(t, err)

	created, err := m.Create(ctx, authrequest.CreateRequest{ApplicationID: app.ID, Username: "frank", ProfileID: prof.ID, Action: "Sign in"})
	require.NoError(t, err)
	rs, err := c.Pending(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.True(t, rs[0].NumberMatching)
	_, err = c.Approve(ctx, rs[0], deviceclient.Answer{Number: "x"})
	var e *deviceclient.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, authrequest.CodeRefused, e.Code)
	st, err := c.Approve(ctx, rs[0], deviceclient.Answer{Number: created.Number, Payload: []byte("hi"), PayloadType: "text/plain"})
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, st.Status)
	_, err = c.Approve(ctx, rs[0], deviceclient.Answer{Number: created.Number})
	require.ErrorAs(t, err, &e)
	assert.Equal(t, authrequest.CodeAnswered, e.Code)

	_, err = m.Create(ctx, authrequest.CreateRequest{ApplicationID: app.ID, Username: "frank", Action: "Pay"})
	require.NoError(t, err)
	rs, err = c.Pending(ctx)
	require.NoError(t, err)
	st, err = c.Deny(ctx, rs[0], deviceclient.Answer{Reason: "this wasn't me"})
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateDenied, st.Status)
	assert.Equal(t, "this wasn't me", st.Reason)

	qr, err := m.Create(ctx, authrequest.CreateRequest{ApplicationID: app.ID, QR: true, Action: "Kiosk sign-in as {username}"})
	require.NoError(t, err)
	r, err := c.Claim(ctx, qr.QRCode)
	require.NoError(t, err)
	assert.Equal(t, "Kiosk sign-in as frank", r.Action)
	st, err = c.Approve(ctx, r, deviceclient.Answer{})
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, st.Status)
	_, err = c.Claim(ctx, "https://example.com")
	assert.Error(t, err)
}
