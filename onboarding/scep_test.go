package onboarding_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
)

// An onboarding whose certificate comes from a third-party CA over SCEP
// (micromdm's scepserver without a static challenge, as issuer.SCEP
// documents: the CSR's challengePassword is the onboarding's nonce).
func TestManagerEnrolsThroughSCEP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts scepserver")
	}
	t.Parallel()
	ctx := context.Background()
	scep, err := issuer.NewSCEP(issuer.SCEPConfig{URL: testenv.StartSCEPServer(t, "")},
		issuer.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	require.NoError(t, err)
	store := memstore.New()
	m, err := onboarding.New(store, scep, onboarding.Config{})
	require.NoError(t, err)
	app, err := m.CreateApplication(ctx, onboarding.Application{Name: "Door", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	require.NoError(t, err)

	d := newDevice(t)
	st, err := m.Start(ctx, "Door", d.spki)
	require.NoError(t, err)
	st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, nil)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusPending, st.Status)
	require.NoError(t, m.Approve(ctx, st.ActivityID, onboarding.Approval{Admin: "admin", UserID: "user-1"}))
	st, err = m.Status(ctx, st.ActivityID, st.Nonce)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusAwaitingCSR, st.Status)

	enr, err := m.Enrol(ctx, st.ActivityID, d.csr(t, st.Nonce))
	require.NoError(t, err)
	assert.True(t, d.key.PublicKey.Equal(enr.Certificate.PublicKey), "the CA certified the device's key")
	caCerts, err := scep.CACertificates(ctx)
	require.NoError(t, err)
	require.NoError(t, enr.Certificate.CheckSignatureFrom(caCerts[0]))
	devs, err := store.ListDevices(ctx, app.ID, "user-1")
	require.NoError(t, err)
	require.Len(t, devs, 1)
	assert.Equal(t, enr.Certificate.SerialNumber.Text(16), devs[0].CertSerial)
}
