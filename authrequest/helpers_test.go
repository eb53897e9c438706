package authrequest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/memstore"
	"github.com/usher-sdk/usher/onboarding"
	obmem "github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a Manager on in-memory stores with one application.
type env struct {
	m     *authrequest.Manager
	store *memstore.Store
	onb   *obmem.Store
	users *usermem.Store
	app   onboarding.Application
	clock *clock
}

func newEnv(t testing.TB, opts ...authrequest.Option) *env {
	return newEnvOn(t, nil, opts...)
}

// newEnvOn is newEnv with the store's options.
func newEnvOn(t testing.TB, storeOpts []memstore.Option, opts ...authrequest.Option) *env {
	t.Helper()
	ctx := t.Context()
	c := &clock{t: time.Now().UTC().Truncate(time.Microsecond)}
	e := &env{store: memstore.New(append([]memstore.Option{memstore.WithClock(c.Now)}, storeOpts...)...), onb: obmem.New(), users: usermem.New(), clock: c}
	var err error
	e.app, err = e.onb.CreateApplication(ctx, onboarding.Application{Name: "VPN", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	require.NoError(t, err)
	cfg := authrequest.Config{Users: func(context.Context, onboarding.Application) (authrequest.Users, error) { return e.users, nil }}
	e.m, err = authrequest.New(e.store, e.onb, e.onb, cfg, append([]authrequest.Option{authrequest.WithClock(c.Now)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.store.Close() })
	return e
}

func (e *env) user(t *testing.T, name string) userstore.User {
	t.Helper()
	u, err := e.users.CreateUser(t.Context(), userstore.User{Username: name, Email: name + "@example.com", Phone: "+37120000000",
		DisplayName: "User " + name, Enabled: true, ExternalID: "guid-" + name, Source: "ad"})
	require.NoError(t, err)
	return u
}

// device is a simulated phone: its key and its enrolled device.
type device struct {
	id  string
	key crypto.Signer
	d   onboarding.Device
}

func (e *env) device(t *testing.T, u userstore.User, ed bool) *device {
	t.Helper()
	var key crypto.Signer
	if ed {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		key = k
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		key = k
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	require.NoError(t, err)
	d, err := e.onb.AddDevice(t.Context(), onboarding.Device{ApplicationID: e.app.ID, UserID: u.ID, PublicKey: spki,
		CertSerial: "0a1b", State: onboarding.DeviceActive}, 10)
	require.NoError(t, err)
	return &device{id: d.ID, key: key, d: d}
}

func (d *device) pending(t *testing.T, e *env) []authrequest.DeviceRequest {
	t.Helper()
	now := e.clock.Now()
	sig, err := authrequest.Sign(d.key, authrequest.ListMessage(d.id, now))
	require.NoError(t, err)
	rs, err := e.m.Pending(t.Context(), authrequest.DeviceProof{DeviceID: d.id, Time: now.Unix(), Signature: sig})
	require.NoError(t, err)
	return rs
}

// answer signs and sends an answer to r.
func (d *device) answer(t *testing.T, e *env, r authrequest.DeviceRequest, dec authrequest.Decision, number, reason string) (authrequest.Request, error) {
	t.Helper()
	a := d.signed(t, e, r.ID, r.Nonce, dec, number, reason)
	return e.m.Answer(t.Context(), r.ID, a)
}

func (d *device) signed(t *testing.T, e *env, id, nonce string, dec authrequest.Decision, number, reason string) authrequest.DeviceAnswer {
	t.Helper()
	exp := e.clock.Now().Add(time.Minute).Truncate(time.Second)
	sa := authrequest.SignedAnswer{RequestID: id, Nonce: nonce, Decision: dec, Expiry: exp, Number: number,
		Payload: []byte(`{"ok":true}`), PayloadType: "application/json", Reason: reason}
	sig, err := authrequest.Sign(d.key, sa.Message())
	require.NoError(t, err)
	return authrequest.DeviceAnswer{DeviceID: d.id, Decision: dec, Nonce: nonce, Expiry: exp.Unix(), Number: number,
		Payload: sa.Payload, PayloadType: sa.PayloadType, Reason: reason, Signature: sig, ResponseIP: "192.0.2.7"}
}
