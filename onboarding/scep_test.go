package onboarding_test

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
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
// (micromdm's scepserver): without a static challenge the CSR's
// challengePassword is the onboarding's nonce; with one (scepserver
// -challenge), the device learns it at the CSR step and the nonce moves to
// randomNonce.
func TestManagerEnrolsThroughSCEP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts scepserver")
	}
	t.Parallel()
	for _, challenge := range []string{"", "SECRET"} {
		t.Run("challenge="+challenge, func(t *testing.T) {
			t.Parallel()
			enrolThroughSCEP(t, challenge)
		})
	}
}

func enrolThroughSCEP(t *testing.T, challenge string) {
	ctx := context.Background()
	scep, err := issuer.NewSCEP(issuer.SCEPConfig{URL: testenv.StartSCEPServer(t, challenge), Challenge: challenge},
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
	assert.Equal(t, challenge, st.CSRChallenge, "the device learns the CA's challenge at the CSR step")
	if challenge != "" {
		_, err = m.Enrol(ctx, st.ActivityID, d.csr(t, st.Nonce))
		require.ErrorIs(t, err, onboarding.ErrReplay, "a CSR without the challenge")
	}

	csr, err := issuer.NewCSRChallenge(rand.Reader, d.key, pkix.Name{CommonName: "phone"}, st.Nonce, st.CSRChallenge)
	require.NoError(t, err)
	enr, err := m.Enrol(ctx, st.ActivityID, csr)
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
