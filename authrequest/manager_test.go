package authrequest_test

import (
	"math/big"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	"github.com/usher-sdk/usher/onboarding/issuer"
)

func hook(event string) callback.Callback {
	return callback.Callback{Event: event, URL: "https://receiver.example/hook/{uuid}?user={username}", Body: `{"event":"{event}","user":"{username}"}`}
}

func TestApproveReportsAndRecords(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	prof, err := e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "vpn",
		Action: "Sign in to VPN as {username}", Description: "From {client}", Vars: map[string]string{"client": "office"},
		Callbacks: []callback.Callback{hook("Create"), hook("Response"), hook("Deny")}})
	require.NoError(t, err)
	require.Len(t, prof.Secrets, 1)

	c, err := e.m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "FRANK", ProfileID: prof.ID,
		State: "xyz", Vars: map[string]string{"client": "laptop"}, RequestIP: "198.51.100.1"})
	require.NoError(t, err)
	assert.Len(t, c.ID, 32)
	assert.Equal(t, 300, c.ExpiresIn)
	assert.Equal(t, 2, c.Interval)
	assert.Empty(t, c.Number)

	rs := phone.pending(t, e)
	require.Len(t, rs, 1)
	assert.Equal(t, "Sign in to VPN as FRANK", rs[0].Action)
	assert.Equal(t, "From laptop", rs[0].Description)
	assert.Equal(t, authrequest.RoleUser, rs[0].Role)

	r, err := phone.answer(t, e, rs[0], authrequest.Approve, "", "")
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, r.Status)
	_, st, err := e.m.Get(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, st.Status)
	assert.Equal(t, "xyz", st.State)
	assert.Equal(t, phone.id, st.DeviceID)
	assert.JSONEq(t, `{"ok":true}`, string(st.Payload))

	ds := e.store.Deliveries()
	require.Len(t, ds, 2, "Create and Response fire; Deny does not")
	assert.Equal(t, authrequest.EventCreate, ds[0].Event)
	assert.Equal(t, 0, ds[0].Callback)
	assert.Equal(t, authrequest.EventApprove, ds[1].Event)
	assert.Equal(t, 1, ds[1].Callback)
	v := ds[1].Vars
	assert.Equal(t, "approve", v["response_type"])
	assert.Equal(t, c.ID, v["uuid"])
	assert.Equal(t, "frank@example.com", v["user_email"])
	assert.Equal(t, "User frank", v["user_full_name"])
	assert.Equal(t, "guid-frank", v["user_guid"])
	assert.Equal(t, u.ID, v["user_id"])
	assert.Equal(t, phone.id, v["keytoken"])
	assert.Equal(t, "192.0.2.7", v["response_ip"])
	assert.Equal(t, "198.51.100.1", v["request_ip"])
	assert.Equal(t, "eyJvayI6dHJ1ZX0=", v["response_payload_base64"])
	assert.Equal(t, "laptop", v["client"])
	assert.NotEqual(t, ds[0].ID, ds[1].ID)

	last, err := e.store.LastAuthentication(ctx, u.ID)
	require.NoError(t, err)
	assert.True(t, last.Equal(e.clock.Now()))
	active, err := e.m.ActiveUsers(ctx, e.app.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{u.ID}, active)

	// Answered once.
	_, err = phone.answer(t, e, rs[0], authrequest.Approve, "", "")
	assert.ErrorIs(t, err, authrequest.ErrAnswered)
	assert.Empty(t, phone.pending(t, e))
}

func TestDenyCarriesReason(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "anna")
	phone := e.device(t, u, true)
	prof, err := e.m.CreateProfile(t.Context(), authrequest.Profile{ApplicationID: e.app.ID, Name: "p", Callbacks: []callback.Callback{hook("Deny")}})
	require.NoError(t, err)
	c, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "anna", ProfileID: prof.ID, Action: "Pay"})
	require.NoError(t, err)
	rs := phone.pending(t, e)
	require.Len(t, rs, 1)
	_, err = phone.answer(t, e, rs[0], authrequest.Deny, "", "this wasn't me")
	require.NoError(t, err)
	_, st, err := e.m.Get(t.Context(), c.ID)
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateDenied, st.Status)
	assert.Equal(t, "this wasn't me", st.Reason)
	ds := e.store.Deliveries()
	require.Len(t, ds, 1)
	assert.Equal(t, "deny", ds[0].Vars["response_type"])
	assert.Equal(t, "this wasn't me", ds[0].Vars["error_message"])
}

func TestAnswerRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	u := e.user(t, "frank")
	other := e.user(t, "eve")
	phone := e.device(t, u, false)
	evePhone := e.device(t, other, false)
	_, err := e.m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", Action: "x"})
	require.NoError(t, err)
	r := phone.pending(t, e)[0]

	forged := phone.signed(t, e, r.ID, r.Nonce, authrequest.Approve, "", "")
	forged.Signature[len(forged.Signature)-1] ^= 1
	wrongNonce := phone.signed(t, e, r.ID, "0123456789abcdef", authrequest.Approve, "", "")
	alteredReason := phone.signed(t, e, r.ID, r.Nonce, authrequest.Deny, "", "benign")
	alteredReason.Reason = "changed"
	foreign := evePhone.signed(t, e, r.ID, r.Nonce, authrequest.Approve, "", "")
	stolenKey := phone.signed(t, e, r.ID, r.Nonce, authrequest.Approve, "", "")
	stolenKey.DeviceID = evePhone.id // phone's signature, eve's device
	stale := phone.signed(t, e, r.ID, r.Nonce, authrequest.Approve, "", "")
	stale.Expiry = e.clock.Now().Add(-time.Second).Unix()
	farAhead := phone.signed(t, e, r.ID, r.Nonce, authrequest.Approve, "", "")
	farAhead.Expiry = e.clock.Now().Add(time.Hour).Unix()
	unknownDevice := phone.signed(t, e, r.ID, r.Nonce, authrequest.Approve, "", "")
	unknownDevice.DeviceID = "ffffffffffffffffffffffffffffffff"

	for name, a := range map[string]authrequest.DeviceAnswer{
		"forged": forged, "wrong nonce": wrongNonce, "altered reason": alteredReason, "foreign device": foreign,
		"other device's key": stolenKey, "stale": stale, "far ahead": farAhead, "unknown device": unknownDevice,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.m.Answer(ctx, r.ID, a)
			assert.ErrorIs(t, err, authrequest.ErrRefused)
		})
	}
	_, err = e.m.Answer(ctx, "ffffffffffffffffffffffffffffffff", phone.signed(t, e, "ffffffffffffffffffffffffffffffff", r.Nonce, authrequest.Approve, "", ""))
	assert.ErrorIs(t, err, authrequest.ErrRefused, "an unknown request looks like any refusal")
	bad := phone.signed(t, e, r.ID, r.Nonce, "maybe", "", "")
	_, err = e.m.Answer(ctx, r.ID, bad)
	assert.ErrorIs(t, err, authrequest.ErrInvalid)

	// Still pending after all that, and the right answer works.
	require.Len(t, phone.pending(t, e), 1)
	_, err = phone.answer(t, e, r, authrequest.Approve, "", "")
	require.NoError(t, err)
}

func TestExpiredRequestCannotBeAnswered(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	c, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", Action: "x", TTL: 30 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, 30, c.ExpiresIn)
	r := phone.pending(t, e)[0]
	e.clock.Add(31 * time.Second)
	assert.Empty(t, phone.pending(t, e))
	_, err = phone.answer(t, e, r, authrequest.Approve, "", "")
	assert.ErrorIs(t, err, authrequest.ErrAnswered)
	_, st, err := e.m.Get(t.Context(), c.ID)
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateExpired, st.Status)
	n, err := e.m.Sweep(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func TestRevokedDeviceIsRefused(t *testing.T) {
	revs := &issuer.MemoryRevocations{}
	e := newEnv(t, authrequest.WithRevocations(revs))
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	_, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", Action: "x"})
	require.NoError(t, err)
	r := phone.pending(t, e)[0]
	serial, _ := new(big.Int).SetString(phone.d.CertSerial, 16)
	require.NoError(t, revs.AddRevocation(t.Context(), issuer.Revocation{Serial: serial, RevokedAt: e.clock.Now()}))
	_, err = phone.answer(t, e, r, authrequest.Approve, "", "")
	assert.ErrorIs(t, err, authrequest.ErrRefused)
}

func TestNumberMatching(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	prof, err := e.m.CreateProfile(t.Context(), authrequest.Profile{ApplicationID: e.app.ID, Name: "nm", NumberMatching: true})
	require.NoError(t, err)
	c, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, Action: "x"})
	require.NoError(t, err)
	require.Len(t, c.Number, authrequest.DefaultNumberDigits)
	r := phone.pending(t, e)[0]
	assert.True(t, r.NumberMatching)
	wrong := "000"
	if c.Number == wrong {
		wrong = "111"
	}
	_, err = phone.answer(t, e, r, authrequest.Approve, "", "")
	assert.ErrorIs(t, err, authrequest.ErrRefused, "an approval without the number")
	_, err = phone.answer(t, e, r, authrequest.Approve, wrong, "")
	assert.ErrorIs(t, err, authrequest.ErrRefused, "an approval with a wrong number")
	got, err := phone.answer(t, e, r, authrequest.Approve, c.Number, "")
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, got.Status)

	// A deny needs no number.
	_, err = e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, Action: "y"})
	require.NoError(t, err)
	_, err = phone.answer(t, e, phone.pending(t, e)[0], authrequest.Deny, "", "not me")
	require.NoError(t, err)
}

func TestSinglePending(t *testing.T) {
	e := newEnv(t)
	e.user(t, "frank")
	prof, err := e.m.CreateProfile(t.Context(), authrequest.Profile{ApplicationID: e.app.ID, Name: "one", SinglePending: true})
	require.NoError(t, err)
	in := authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, Action: "x"}
	_, err = e.m.Create(t.Context(), in)
	require.NoError(t, err)
	_, err = e.m.Create(t.Context(), in)
	assert.ErrorIs(t, err, authrequest.ErrPendingExists)
	// Unknown users never collide, and are not told apart from known ones.
	in.Username = "nobody"
	_, err = e.m.Create(t.Context(), in)
	require.NoError(t, err)
	_, err = e.m.Create(t.Context(), in)
	require.NoError(t, err)
}

func TestUnknownAndDisabledUsersGetPhantomRequests(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	for _, name := range []string{"nobody", "disabled"} {
		if name == "disabled" {
			d := e.user(t, name)
			d.Enabled = false
			_, err := e.users.UpdateUser(t.Context(), d)
			require.NoError(t, err)
		}
		c, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: name, Action: "x"})
		require.NoError(t, err, name)
		_, st, err := e.m.Get(t.Context(), c.ID)
		require.NoError(t, err)
		assert.Equal(t, authrequest.StatePending, st.Status)
	}
	assert.Empty(t, phone.pending(t, e))
}

func TestConcurrentAnswersOneWins(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	_, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", Action: "x"})
	require.NoError(t, err)
	r := phone.pending(t, e)[0]
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 32 {
		dec := authrequest.Approve
		if i%2 == 1 {
			dec = authrequest.Deny
		}
		a := phone.signed(t, e, r.ID, r.Nonce, dec, "", "")
		wg.Go(func() {
			if _, err := e.m.Answer(t.Context(), r.ID, a); err == nil {
				wins.Add(1)
			} else {
				assert.ErrorIs(t, err, authrequest.ErrAnswered)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
}

func TestImmediateApproval(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	u := e.user(t, "frank")
	boss := e.user(t, "boss")
	phone, bossPhone := e.device(t, u, false), e.device(t, boss, false)
	require.NoError(t, e.m.SetApprover(ctx, e.app.ID, u.ID, boss.ID))
	assert.ErrorIs(t, e.m.SetApprover(ctx, e.app.ID, u.ID, u.ID), authrequest.ErrInvalid)
	prof, err := e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "guarded", RequireApprover: true,
		Callbacks: []callback.Callback{hook("Any")}})
	require.NoError(t, err)

	for _, bossSays := range []authrequest.Decision{authrequest.Approve, authrequest.Deny} {
		c, err := e.m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, Action: "Open the vault"})
		require.NoError(t, err)
		assert.Empty(t, bossPhone.pending(t, e), "the approver is asked only after the user")
		r := phone.pending(t, e)[0]
		got, err := phone.answer(t, e, r, authrequest.Approve, "", "")
		require.NoError(t, err)
		assert.Equal(t, authrequest.StateApproverPending, got.Status)
		_, st, err := e.m.Get(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, authrequest.StatePending, st.Status, "the third party still waits")
		assert.Empty(t, phone.pending(t, e))
		// The user's answer cannot be replayed as the approver's.
		_, err = phone.answer(t, e, r, authrequest.Approve, "", "")
		assert.ErrorIs(t, err, authrequest.ErrRefused)

		br := bossPhone.pending(t, e)
		require.Len(t, br, 1)
		assert.Equal(t, authrequest.RoleApprover, br[0].Role)
		assert.Equal(t, "frank", br[0].Username, "the approver sees who wants what")
		assert.Equal(t, "Open the vault", br[0].Action)
		got, err = bossPhone.answer(t, e, br[0], bossSays, "", "")
		require.NoError(t, err)
		want := map[authrequest.Decision]authrequest.State{authrequest.Approve: authrequest.StateApproved, authrequest.Deny: authrequest.StateDenied}[bossSays]
		assert.Equal(t, want, got.Status)
		assert.Len(t, got.Answers, 2)
	}
}

func TestPreApproval(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	u := e.user(t, "frank")
	boss := e.user(t, "boss")
	phone, bossPhone := e.device(t, u, false), e.device(t, boss, false)
	require.NoError(t, e.m.SetApprover(ctx, e.app.ID, u.ID, boss.ID))
	prof, err := e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "guarded", RequireApprover: true})
	require.NoError(t, err)
	pol, err := e.m.CreatePolicy(ctx, authrequest.PreApprovalPolicy{ApplicationID: e.app.ID, Name: "on call", MaxPeriod: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, time.Hour, pol.AskValidity)

	create := func() {
		_, err := e.m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, Action: "x"})
		require.NoError(t, err)
	}
	create()
	assert.Empty(t, phone.pending(t, e), "no requests without a pre-approval")

	_, err = e.m.AskPreApproval(ctx, pol.ID, "frank", 2*time.Hour)
	assert.ErrorIs(t, err, authrequest.ErrInvalid, "longer than the policy allows")
	pa, err := e.m.AskPreApproval(ctx, pol.ID, "frank", 30*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, authrequest.PreApprovalAsked, pa.State)
	ghost, err := e.m.AskPreApproval(ctx, pol.ID, "nobody", 30*time.Minute)
	require.NoError(t, err, "unknown users ask like anyone")
	assert.Equal(t, authrequest.PreApprovalAsked, ghost.State)

	rs := phone.pending(t, e)
	require.Len(t, rs, 1)
	assert.Equal(t, authrequest.KindPreApproval, rs[0].Kind)
	_, err = phone.answer(t, e, rs[0], authrequest.Approve, "", "")
	require.NoError(t, err)
	st, err := e.m.PreApprovalStatus(ctx, pa.ID)
	require.NoError(t, err)
	assert.Equal(t, authrequest.PreApprovalConfirmed, st.State)
	br := bossPhone.pending(t, e)
	require.Len(t, br, 1)
	_, err = bossPhone.answer(t, e, br[0], authrequest.Approve, "", "")
	require.NoError(t, err)
	st, err = e.m.PreApprovalStatus(ctx, pa.ID)
	require.NoError(t, err)
	assert.Equal(t, authrequest.PreApprovalActive, st.State)

	create()
	rs = phone.pending(t, e)
	require.Len(t, rs, 1)
	got, err := phone.answer(t, e, rs[0], authrequest.Approve, "", "")
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, got.Status, "pre-approved: no approver step")

	e.clock.Add(31 * time.Minute)
	st, err = e.m.PreApprovalStatus(ctx, pa.ID)
	require.NoError(t, err)
	assert.Equal(t, authrequest.PreApprovalExpired, st.State)
	create()
	assert.Empty(t, phone.pending(t, e), "after the period, no requests")

	// An ask nobody approves in time expires.
	pa2, err := e.m.AskPreApproval(ctx, pol.ID, "frank", 10*time.Minute)
	require.NoError(t, err)
	e.clock.Add(61 * time.Minute)
	st, err = e.m.PreApprovalStatus(ctx, pa2.ID)
	require.NoError(t, err)
	assert.Equal(t, authrequest.PreApprovalExpired, st.State)
}

func TestQRClaim(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	prof, err := e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app.ID, Name: "kiosk", Action: "Sign in at the kiosk as {username}",
		Callbacks: []callback.Callback{hook("Create")}})
	require.NoError(t, err)
	c, err := e.m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app.ID, QR: true, ProfileID: prof.ID})
	require.NoError(t, err)
	require.Contains(t, c.QRCode, "usher-auth:?")
	assert.Empty(t, e.store.Deliveries(), "Create fires when a device claims")
	qr, err := url.Parse(c.QRCode)
	require.NoError(t, err)
	require.Equal(t, c.ID, qr.Query().Get("id"))
	code := qr.Query().Get("code")

	claim := func(code string) (authrequest.DeviceRequest, error) {
		now := e.clock.Now()
		sig, err := authrequest.Sign(phone.key, authrequest.ClaimMessage(c.ID, code, phone.id, now))
		require.NoError(t, err)
		return e.m.Claim(ctx, c.ID, authrequest.ClaimRequest{DeviceID: phone.id, Code: code, Time: now.Unix(), Signature: sig})
	}
	_, err = claim("00000000000000000000000000000000")
	assert.ErrorIs(t, err, authrequest.ErrRefused)
	r, err := claim(code)
	require.NoError(t, err)
	assert.Equal(t, "Sign in at the kiosk as frank", r.Action)
	_, err = claim(code)
	assert.ErrorIs(t, err, authrequest.ErrAnswered, "claimed once")
	ds := e.store.Deliveries()
	require.Len(t, ds, 1)
	assert.Equal(t, "qr", ds[0].Vars["source"])
	_, err = phone.answer(t, e, phone.pending(t, e)[0], authrequest.Approve, "", "")
	require.NoError(t, err)
}

func TestWaitWakesOnAnswer(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "frank")
	phone := e.device(t, u, false)
	c, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", Action: "x"})
	require.NoError(t, err)
	r := phone.pending(t, e)[0]
	a := phone.signed(t, e, r.ID, r.Nonce, authrequest.Approve, "", "")
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, err := e.m.Answer(t.Context(), r.ID, a)
		assert.NoError(t, err)
	}()
	_, st, err := e.m.Wait(t.Context(), c.ID, 20*time.Second)
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, st.Status)

	c2, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", Action: "x"})
	require.NoError(t, err)
	_, st, err = e.m.Wait(t.Context(), c2.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, authrequest.StatePending, st.Status, "a zero timeout answers at once")
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	long := string(make([]byte, authrequest.MaxTextLength+1))
	for name, in := range map[string]authrequest.CreateRequest{
		"no application": {Username: "frank"},
		"no user":        {ApplicationID: e.app.ID},
		"user and qr":    {ApplicationID: e.app.ID, Username: "frank", QR: true},
		"long action":    {ApplicationID: e.app.ID, Username: "frank", Action: long},
		"builtin var":    {ApplicationID: e.app.ID, Username: "frank", Vars: map[string]string{"username": "root"}},
		"bad var name":   {ApplicationID: e.app.ID, Username: "frank", Vars: map[string]string{"a b": "x"}},
		"negative ttl":   {ApplicationID: e.app.ID, Username: "frank", TTL: -time.Second},
		"invalid utf8":   {ApplicationID: e.app.ID, Username: "frank", Description: "\xff"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.m.Create(t.Context(), in)
			assert.ErrorIs(t, err, authrequest.ErrInvalid)
		})
	}
	_, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: "nope", Username: "frank"})
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	_, err = e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: "nope"})
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
}

func TestTTLIsBoundedByProfile(t *testing.T) {
	e := newEnv(t)
	e.user(t, "frank")
	prof, err := e.m.CreateProfile(t.Context(), authrequest.Profile{ApplicationID: e.app.ID, Name: "short", TTL: time.Minute})
	require.NoError(t, err)
	for asked, want := range map[time.Duration]int{0: 60, 30 * time.Second: 30, time.Hour: 60} {
		c, err := e.m.Create(t.Context(), authrequest.CreateRequest{ApplicationID: e.app.ID, Username: "frank", ProfileID: prof.ID, TTL: asked})
		require.NoError(t, err)
		assert.Equal(t, want, c.ExpiresIn, "asked %s", asked)
	}
}
