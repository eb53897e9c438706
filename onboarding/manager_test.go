package onboarding_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
)

var creds = json.RawMessage(`{"username":"alice","password":"secret"}`)

func TestManagerCredentialsManualEnrol(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 1)
	d := newDevice(t)

	st, err := f.m.Start(ctx, "bank", d.spki)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusInProgress, st.Status)
	require.Equal(t, onboarding.KindCredentials, st.Prompt.Kind)

	_, err = f.m.Answer(ctx, st.ActivityID, 0, st.Nonce, json.RawMessage(`{"username":"alice","password":"wrong"}`))
	require.ErrorIs(t, err, onboarding.ErrRefused)

	st1, err := f.m.Answer(ctx, st.ActivityID, 0, st.Nonce, creds)
	require.NoError(t, err)
	require.Equal(t, 1, st1.Step)
	require.Equal(t, onboarding.KindManual, st1.Prompt.Kind)
	assert.NotEqual(t, st.Nonce, st1.Nonce)

	// Replaying the credentials answer is refused, both with the old
	// nonce and with the new one for the old step.
	_, err = f.m.Answer(ctx, st.ActivityID, 0, st.Nonce, creds)
	assert.ErrorIs(t, err, onboarding.ErrReplay)
	_, err = f.m.Answer(ctx, st.ActivityID, 0, st1.Nonce, creds)
	assert.ErrorIs(t, err, onboarding.ErrOutOfOrder)
	// A CSR now skips the manual step.
	_, err = f.m.Enrol(ctx, st.ActivityID, d.csr(t, st1.Nonce))
	assert.ErrorIs(t, err, onboarding.ErrOutOfOrder)

	st2, err := f.m.Answer(ctx, st.ActivityID, 1, st1.Nonce, nil)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusPending, st2.Status)

	pend, err := f.m.Pending(ctx, f.app.ID)
	require.NoError(t, err)
	require.Len(t, pend, 1)
	assert.Equal(t, st1.Prompt.Code, pend[0].Code, "server and device show the same code")

	_, err = f.m.Answer(ctx, st.ActivityID, 1, st2.Nonce, nil)
	assert.ErrorIs(t, err, onboarding.ErrPending)
	polled, err := f.m.Status(ctx, st.ActivityID, st2.Nonce)
	require.NoError(t, err)
	assert.Equal(t, onboarding.StatusPending, polled.Status)

	require.NoError(t, f.m.Approve(ctx, st.ActivityID, onboarding.Approval{Admin: "admin"}))
	polled, err = f.m.Status(ctx, st.ActivityID, st2.Nonce)
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusAwaitingCSR, polled.Status)

	// A CSR for another key, or with another nonce, is refused.
	other := newDevice(t)
	_, err = f.m.Enrol(ctx, st.ActivityID, other.csr(t, polled.Nonce))
	assert.ErrorIs(t, err, onboarding.ErrKeyMismatch)
	_, err = f.m.Enrol(ctx, st.ActivityID, d.csr(t, st1.Nonce))
	assert.ErrorIs(t, err, onboarding.ErrReplay)
	forged := d.csr(t, polled.Nonce)
	forged[len(forged)-3] ^= 1
	_, err = f.m.Enrol(ctx, st.ActivityID, forged)
	assert.ErrorIs(t, err, issuer.ErrBadSignature)

	enr, err := f.m.Enrol(ctx, st.ActivityID, d.csr(t, polled.Nonce))
	require.NoError(t, err)
	sub, err := issuer.SubjectOf(enr.Certificate)
	require.NoError(t, err)
	assert.Equal(t, issuer.Subject{UserID: enr.Device.UserID, Application: "Bank", DeviceID: enr.Device.ID}, sub)
	assert.Equal(t, d.spki, enr.Device.PublicKey)

	_, err = f.m.Enrol(ctx, st.ActivityID, d.csr(t, polled.Nonce))
	assert.ErrorIs(t, err, onboarding.ErrReplay, "a used nonce is refused")

	act, err := f.m.Activity(ctx, st.ActivityID)
	require.NoError(t, err)
	var tags []string
	for _, s := range act.Steps {
		tags = append(tags, s.Tag)
	}
	assert.Equal(t, []string{"system", "credentials", "manual", "manual", "system"}, tags)

	// A second device of alice is over the limit and changes nothing.
	d2 := newDevice(t)
	s, err := f.m.Start(ctx, "Bank", d2.spki)
	require.NoError(t, err)
	s, err = f.m.Answer(ctx, s.ActivityID, 0, s.Nonce, creds)
	require.NoError(t, err)
	s, err = f.m.Answer(ctx, s.ActivityID, 1, s.Nonce, nil)
	require.NoError(t, err)
	require.NoError(t, f.m.Approve(ctx, s.ActivityID, onboarding.Approval{Admin: "admin"}))
	_, err = f.m.Enrol(ctx, s.ActivityID, d2.csr(t, s.Nonce))
	assert.ErrorIs(t, err, onboarding.ErrDeviceLimit)
	again, err := f.m.Status(ctx, s.ActivityID, s.Nonce)
	require.NoError(t, err, "a refused enrolment leaves the nonce usable")
	assert.Equal(t, onboarding.StatusAwaitingCSR, again.Status)

	// Destroying the device revokes its certificate and frees the slot.
	require.NoError(t, f.m.DestroyDevice(ctx, enr.Device.ID))
	revs, err := f.revs.Revocations(ctx)
	require.NoError(t, err)
	require.Len(t, revs, 1)
	assert.Equal(t, 0, revs[0].Serial.Cmp(enr.Certificate.SerialNumber))
	_, err = f.m.Enrol(ctx, s.ActivityID, d2.csr(t, s.Nonce))
	require.NoError(t, err)
	require.NoError(t, f.m.DestroyUserDevices(ctx, enr.Device.UserID))
	revs, _ = f.revs.Revocations(ctx)
	assert.Len(t, revs, 2)

	var kinds []string
	for _, e := range f.audit.events {
		if e.Detail[onboarding.DetailActivity] == st.ActivityID {
			kinds = append(kinds, string(e.Kind)+"/"+e.Detail[onboarding.DetailTag])
			assert.NotContains(t, e.Detail[onboarding.DetailMessage], "secret")
		}
	}
	assert.Equal(t, []string{"onboarding.started/system", "onboarding.refused/credentials", "onboarding.step/credentials",
		"onboarding.step/manual", "onboarding.approved/manual", "onboarding.enrolled/system", "onboarding.device_destroyed/system"}, kinds)
	lines := f.audit.lines()
	assert.Contains(t, lines[0], "[ONBOARDING] [")
	assert.Contains(t, lines, "[ONBOARDING] ["+st.ActivityID[:5]+"] [alice] ["+onboarding.Fingerprint(d.spki)[:5]+"] Credentials checked. User found.")
}

func TestManagerRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 1)
	d := newDevice(t)
	_, err := f.m.Start(ctx, "nope", d.spki)
	assert.ErrorIs(t, err, onboarding.ErrUnknownApplication)
	_, err = f.m.Start(ctx, "Bank", []byte("junk"))
	assert.ErrorIs(t, err, onboarding.ErrUnsupportedKey)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	spki384, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	require.NoError(t, err)
	_, err = f.m.Start(ctx, "Bank", spki384)
	assert.ErrorIs(t, err, onboarding.ErrUnsupportedKey)

	st, err := f.m.Start(ctx, "Bank", d.spki)
	require.NoError(t, err)
	before, err := f.m.Activity(ctx, st.ActivityID)
	require.NoError(t, err)
	for name, call := range map[string]func() error{
		"skip": func() error {
			_, err := f.m.Answer(ctx, st.ActivityID, 1, st.Nonce, nil)
			return err
		},
		"bad nonce": func() error {
			_, err := f.m.Answer(ctx, st.ActivityID, 0, "00", creds)
			return err
		},
		"too large": func() error {
			_, err := f.m.Answer(ctx, st.ActivityID, 0, st.Nonce, make(json.RawMessage, onboarding.MaxAnswerSize+1))
			return err
		},
		"not json": func() error {
			_, err := f.m.Answer(ctx, st.ActivityID, 0, st.Nonce, json.RawMessage(`[`))
			return err
		},
		"approve not pending": func() error { return f.m.Approve(ctx, st.ActivityID, onboarding.Approval{Admin: "admin"}) },
		"early csr": func() error {
			_, err := f.m.Enrol(ctx, st.ActivityID, d.csr(t, st.Nonce))
			return err
		},
	} {
		assert.Error(t, call(), name)
	}
	after, err := f.m.Activity(ctx, st.ActivityID)
	require.NoError(t, err)
	assert.Equal(t, before, after, "refusals changed the activity")

	// Reject ends the onboarding.
	s, err := f.m.Answer(ctx, st.ActivityID, 0, st.Nonce, creds)
	require.NoError(t, err)
	_, err = f.m.Answer(ctx, st.ActivityID, 1, s.Nonce, nil)
	require.NoError(t, err)
	require.NoError(t, f.m.Reject(ctx, st.ActivityID, onboarding.Approval{Admin: "admin"}))
	_, err = f.m.Status(ctx, st.ActivityID, s.Nonce)
	assert.ErrorIs(t, err, onboarding.ErrRejected)
	require.NoError(t, f.m.DestroyActivity(ctx, st.ActivityID))
	_, err = f.m.Activity(ctx, st.ActivityID)
	assert.ErrorIs(t, err, onboarding.ErrNotFound)
}

func TestCreateApplicationValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 1)
	for name, a := range map[string]onboarding.Application{
		"no name":          {Requirements: []onboarding.RequirementSpec{{Kind: "manual"}}},
		"no requirements":  {Name: "x"},
		"unknown kind":     {Name: "x", Requirements: []onboarding.RequirementSpec{{Kind: "sms"}}},
		"negative limit":   {Name: "x", DeviceLimit: -1, Requirements: []onboarding.RequirementSpec{{Kind: "manual"}}},
		"bad settings":     {Name: "x", Requirements: []onboarding.RequirementSpec{{Kind: "manual", Settings: []byte("{")}}},
		"system kind":      {Name: "x", Requirements: []onboarding.RequirementSpec{{Kind: "system"}}},
		"duplicate (case)": {Name: "BANK", Requirements: []onboarding.RequirementSpec{{Kind: "manual"}}},
	} {
		_, err := f.m.CreateApplication(ctx, a)
		assert.Error(t, err, name)
	}
	_, err := f.m.CreateApplication(ctx, onboarding.Application{Name: "x", Requirements: []onboarding.RequirementSpec{{Kind: "sms"}}})
	assert.ErrorIs(t, err, onboarding.ErrUnknownRequirement)
}

func TestConcurrentAnswersMeetOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 1)
	d := newDevice(t)
	st, err := f.m.Start(ctx, "Bank", d.spki)
	require.NoError(t, err)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := f.m.Answer(ctx, st.ActivityID, 0, st.Nonce, creds)
			errs <- err
		}()
	}
	ok := 0
	for range n {
		if err := <-errs; err == nil {
			ok++
		} else {
			assert.ErrorIs(t, err, onboarding.ErrReplay)
		}
	}
	assert.Equal(t, 1, ok)
	act, _ := f.m.Activity(ctx, st.ActivityID)
	assert.Equal(t, 1, act.Step)
}

type failingIssuer struct{ err error }

func (f failingIssuer) Issue(context.Context, *x509.CertificateRequest, issuer.Subject) (*x509.Certificate, error) {
	return nil, f.err
}

// TestEnrolIssuerDown: when the issuer fails, the device may send its CSR
// again with the same nonce.
func TestEnrolIssuerDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	down := errors.New("CA down")
	m, err := onboarding.New(memstore.New(), failingIssuer{down}, onboarding.Config{})
	require.NoError(t, err)
	_, err = m.CreateApplication(ctx, onboarding.Application{Name: "Door", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	require.NoError(t, err)
	d := newDevice(t)
	st, err := m.Start(ctx, "Door", d.spki)
	require.NoError(t, err)
	st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, nil)
	require.NoError(t, err)
	require.NoError(t, m.Approve(ctx, st.ActivityID, onboarding.Approval{UserID: "u1"}))
	_, err = m.Enrol(ctx, st.ActivityID, d.csr(t, st.Nonce))
	require.ErrorIs(t, err, down)
	again, err := m.Status(ctx, st.ActivityID, st.Nonce)
	require.NoError(t, err)
	assert.Equal(t, onboarding.StatusAwaitingCSR, again.Status)
}
