package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
)

func testRequestRoundTrip(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	r := fullRequest(t)
	d := delivery(t, r.ID, authrequest.EventCreate)
	created, err := s.CreateRequest(ctx, r, false, []authrequest.Delivery{d})
	require.NoError(t, err)
	want := norm(r)
	// UpdatedAt on create is the store's to set or keep.
	want.UpdatedAt = tm(created.UpdatedAt)
	assert.Equal(t, want, norm(created))
	assert.False(t, created.UpdatedAt.IsZero(), "UpdatedAt")

	got, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, norm(created), norm(got))
	c.expectDeliveries(t, s, d)

	// A bare request (no maps, answers or optional fields).
	bare := request(t, "app-1", "", 0)
	bare.Status = authrequest.StateUnclaimed
	bare.Origin = authrequest.OriginQR
	_, err = s.CreateRequest(ctx, bare, false, nil)
	require.NoError(t, err)
	got, err = s.GetRequest(ctx, bare.ID)
	require.NoError(t, err)
	bare.UpdatedAt = got.UpdatedAt
	assert.Equal(t, norm(bare), norm(got))

	_, err = s.GetRequest(ctx, newID(t))
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	c.expectDeliveries(t, s, d)
}

func testCreateRequestConflict(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	r := request(t, "app-1", "u1", 0)
	d := delivery(t, r.ID, authrequest.EventCreate)
	_, err := s.CreateRequest(ctx, r, false, []authrequest.Delivery{d})
	require.NoError(t, err)

	again := request(t, "app-2", "u9", time.Minute)
	again.ID = r.ID
	_, err = s.CreateRequest(ctx, again, false, []authrequest.Delivery{delivery(t, r.ID, authrequest.EventCreate)})
	assert.ErrorIs(t, err, authrequest.ErrConflict)

	got, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, "app-1", got.ApplicationID)
	assert.Equal(t, "u1", got.UserID)
	c.expectDeliveries(t, s, d)
}

func testUpdateRequest(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	r := mustCreate(t, s, request(t, "app-1", "u1", 0))
	bogus := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	d1 := delivery(t, r.ID, authrequest.EventApprove)
	d2 := delivery(t, r.ID, authrequest.EventResponse)
	ans := authrequest.Answer{
		DeviceID: "d1", UserID: "u1", Decision: authrequest.Approve,
		Payload: []byte("p"), PayloadType: "text/plain", Signature: []byte{7, 8},
		ResponseIP: "192.0.2.9", Time: at(10 * time.Second),
	}
	up, err := s.UpdateRequest(ctx, r.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
		assert.Equal(t, norm(r), norm(*x), "fn sees the stored request")
		x.Status = authrequest.StateApproved
		x.Answers = append(x.Answers, ans)
		x.Vars = map[string]string{"k": "v"}
		x.Nonce = "used"
		// Immutable or the store's: ignored.
		x.ID = "other"
		x.ApplicationID = "app-other"
		x.CreatedAt = bogus
		x.UpdatedAt = bogus
		return []authrequest.Delivery{d1, d2}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, r.ID, up.ID)
	assert.Equal(t, "app-1", up.ApplicationID)
	assert.True(t, up.CreatedAt.Equal(r.CreatedAt), "CreatedAt kept: %v", up.CreatedAt)
	assert.False(t, up.UpdatedAt.IsZero() || up.UpdatedAt.Equal(bogus), "UpdatedAt set by the store: %v", up.UpdatedAt)
	assert.Equal(t, authrequest.StateApproved, up.Status)
	assert.Equal(t, "used", up.Nonce)
	assert.Equal(t, map[string]string{"k": "v"}, up.Vars)
	require.Len(t, up.Answers, 1)
	assert.Equal(t, norm(authrequest.Request{Answers: []authrequest.Answer{ans}}).Answers, norm(up).Answers)

	got, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, norm(up), norm(got))
	_, err = s.GetRequest(ctx, "other")
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	c.expectDeliveries(t, s, d1, d2)

	// No deliveries is fine.
	_, err = s.UpdateRequest(ctx, r.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
		x.Description = "changed"
		return nil, nil
	})
	require.NoError(t, err)
	got, err = s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, "changed", got.Description)
	c.expectDeliveries(t, s, d1, d2)

	called := false
	_, err = s.UpdateRequest(ctx, newID(t), func(*authrequest.Request) ([]authrequest.Delivery, error) {
		called = true
		return nil, nil
	})
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	assert.False(t, called, "fn called for an unknown request")
}

func testUpdateRequestError(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	r := mustCreate(t, s, request(t, "app-1", "u1", 0))
	boom := errors.New("boom")
	_, err := s.UpdateRequest(ctx, r.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
		x.Status = authrequest.StateDenied
		x.Answers = append(x.Answers, authrequest.Answer{DeviceID: "d", Decision: authrequest.Deny, Time: at(time.Second)})
		return []authrequest.Delivery{delivery(t, r.ID, authrequest.EventDeny)}, boom
	})
	assert.ErrorIs(t, err, boom)
	got, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, norm(r), norm(got), "a failed update changed the request")
	c.expectDeliveries(t, s)
}

// testUpdateRequestConcurrent: 20 answers race to approve one pending
// request; exactly one sees it pending.
func testUpdateRequestConcurrent(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	r := mustCreate(t, s, request(t, "app-1", "u1", 0))
	const n = 20
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		wins     []authrequest.Delivery
		answered int
		other    []error
	)
	for i := range n {
		d := delivery(t, r.ID, authrequest.EventApprove)
		wg.Go(func() {
			_, err := s.UpdateRequest(ctx, r.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
				if x.Status != authrequest.StatePending {
					return nil, authrequest.ErrAnswered
				}
				time.Sleep(time.Millisecond) // widen the window of a store that is not atomic
				x.Status = authrequest.StateApproved
				x.Answers = append(x.Answers, authrequest.Answer{DeviceID: string(rune('a' + i)), Decision: authrequest.Approve, Time: at(time.Second)})
				return []authrequest.Delivery{d}, nil
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins = append(wins, d)
			case errors.Is(err, authrequest.ErrAnswered):
				answered++
			default:
				other = append(other, err)
			}
		})
	}
	wg.Wait()
	require.Empty(t, other, "unexpected errors")
	require.Len(t, wins, 1, "winners")
	assert.Equal(t, n-1, answered)
	got, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, authrequest.StateApproved, got.Status)
	assert.Len(t, got.Answers, 1)
	c.expectDeliveries(t, s, wins...)
}

func testSinglePending(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	var recorded []authrequest.Delivery
	create := func(r authrequest.Request, single bool) error {
		d := delivery(t, r.ID, authrequest.EventCreate)
		_, err := s.CreateRequest(ctx, r, single, []authrequest.Delivery{d})
		if err == nil {
			recorded = append(recorded, d)
		}
		return err
	}
	now := 10 * time.Minute

	// Requests that do not count: expired, final, another user, another
	// application, unclaimed.
	expired := request(t, "app-1", "u1", 0) // expires at base+5m
	require.NoError(t, create(expired, false))
	for _, st := range []authrequest.State{authrequest.StateApproved, authrequest.StateDenied, authrequest.StateExpired} {
		r := request(t, "app-1", "u1", now-time.Minute)
		r.Status = st
		require.NoError(t, create(r, false))
	}
	require.NoError(t, create(request(t, "app-1", "u2", now-time.Minute), false))
	require.NoError(t, create(request(t, "app-2", "u1", now-time.Minute), false))
	unclaimed := request(t, "app-1", "", now-time.Minute)
	unclaimed.Status = authrequest.StateUnclaimed
	require.NoError(t, create(unclaimed, false))

	first := request(t, "app-1", "u1", now)
	require.NoError(t, create(first, true), "the first pending request of u1")
	err := create(request(t, "app-1", "u1", now+time.Second), true)
	assert.ErrorIs(t, err, authrequest.ErrPendingExists)
	// Without singlePending the pending one does not matter.
	require.NoError(t, create(request(t, "app-1", "u1", now+time.Second), false))
	c.expectDeliveries(t, s, recorded...)

	// StateApproverPending counts too.
	_, err = s.UpdateRequest(ctx, first.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
		x.Status = authrequest.StateApproverPending
		return nil, nil
	})
	require.NoError(t, err)
	s2 := request(t, "app-2", "u3", now)
	require.NoError(t, create(s2, true))
	_, err = s.UpdateRequest(ctx, s2.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
		x.Status = authrequest.StateApproverPending
		return nil, nil
	})
	require.NoError(t, err)
	err = create(request(t, "app-2", "u3", now+time.Second), true)
	assert.ErrorIs(t, err, authrequest.ErrPendingExists)
	// Once it is final, a new one may start.
	_, err = s.UpdateRequest(ctx, s2.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
		x.Status = authrequest.StateApproved
		return nil, nil
	})
	require.NoError(t, err)
	require.NoError(t, create(request(t, "app-2", "u3", now+time.Second), true))
	c.expectDeliveries(t, s, recorded...)
}

// testSinglePendingConcurrent: 20 creates race for one user and
// application with singlePending; exactly one is stored.
func testSinglePendingConcurrent(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	now := 10 * time.Minute
	// Neither an expired pending request nor a final one counts.
	mustCreate(t, s, request(t, "app-1", "u1", 0))
	done := request(t, "app-1", "u1", now-time.Minute)
	done.Status = authrequest.StateDenied
	mustCreate(t, s, done)

	const n = 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		wins    []authrequest.Delivery
		winID   string
		refused int
		other   []error
	)
	for range n {
		r := request(t, "app-1", "u1", now)
		d := delivery(t, r.ID, authrequest.EventCreate)
		wg.Go(func() {
			_, err := s.CreateRequest(ctx, r, true, []authrequest.Delivery{d})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins = append(wins, d)
				winID = r.ID
			case errors.Is(err, authrequest.ErrPendingExists):
				refused++
			default:
				other = append(other, err)
			}
		})
	}
	wg.Wait()
	require.Empty(t, other, "unexpected errors")
	require.Len(t, wins, 1, "stored")
	assert.Equal(t, n-1, refused)
	pending, err := s.PendingRequests(ctx, "app-1", "u1", at(now), 100)
	require.NoError(t, err)
	assert.Equal(t, []string{winID}, ids(pending))
	c.expectDeliveries(t, s, wins...)
}

func testPendingRequests(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	mk := func(app, user, approver string, st authrequest.State, created, valid time.Duration) authrequest.Request {
		r := request(t, app, user, created)
		r.ApproverID = approver
		r.Status = st
		r.ExpiresAt = at(created + valid)
		return mustCreate(t, s, r)
	}
	const long = 10 * time.Minute
	p1 := mk("app-1", "u1", "", authrequest.StatePending, 0, long)
	p2 := mk("app-1", "u1", "u2", authrequest.StatePending, 1*time.Second, long)
	mk("app-1", "u1", "", authrequest.StatePending, 2*time.Second, 30*time.Second) // expired at now
	mk("app-1", "u1", "", authrequest.StateApproved, 3*time.Second, long)
	p5 := mk("app-1", "u1", "u2", authrequest.StateApproverPending, 4*time.Second, long) // u2's to approve
	p6 := mk("app-1", "u3", "u1", authrequest.StateApproverPending, 5*time.Second, long) // u1's to approve
	p7 := mk("app-1", "u2", "u1", authrequest.StatePending, 6*time.Second, long)         // u2's
	p8 := mk("app-2", "u1", "", authrequest.StatePending, -time.Second, long)
	mk("app-1", "u1", "", authrequest.StateUnclaimed, 7*time.Second, long)
	mk("app-1", "u3", "u1", authrequest.StateDenied, 8*time.Second, long)
	now := at(time.Minute)

	got, err := s.PendingRequests(ctx, "app-1", "u1", now, 100)
	require.NoError(t, err)
	assert.Equal(t, []string{p1.ID, p2.ID, p6.ID}, ids(got), "u1, oldest first")
	assert.Equal(t, normAll([]authrequest.Request{p1, p2, p6}), normAll(got))
	got, err = s.PendingRequests(ctx, "app-2", "u1", now, 100)
	require.NoError(t, err)
	assert.Equal(t, []string{p8.ID}, ids(got), "u1 in the other application")

	got, err = s.PendingRequests(ctx, "app-1", "u1", now, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{p1.ID, p2.ID}, ids(got), "limit")

	got, err = s.PendingRequests(ctx, "app-1", "u2", now, 100)
	require.NoError(t, err)
	assert.Equal(t, []string{p5.ID, p7.ID}, ids(got), "u2")

	got, err = s.PendingRequests(ctx, "app-1", "u1", at(long+time.Hour), 100)
	require.NoError(t, err)
	assert.Empty(t, got, "all expired")

	got, err = s.PendingRequests(ctx, "app-1", "nobody", now, 100)
	require.NoError(t, err)
	assert.Empty(t, got)
	c.expectDeliveries(t, s)
}

func testListRequests(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	var rs []authrequest.Request
	for i := range 5 {
		r := request(t, "app-1", "u1", time.Duration(i)*time.Second)
		if i%2 == 1 {
			r.Status = authrequest.StateDenied
		}
		rs = append(rs, mustCreate(t, s, r))
	}
	mustCreate(t, s, request(t, "app-2", "u1", 10*time.Second))

	got, err := s.ListRequests(ctx, "app-1", time.Time{}, 100)
	require.NoError(t, err)
	assert.Equal(t, []string{rs[4].ID, rs[3].ID, rs[2].ID, rs[1].ID, rs[0].ID}, ids(got), "newest first")
	assert.Equal(t, norm(rs[3]), norm(got[1]))

	got, err = s.ListRequests(ctx, "app-1", time.Time{}, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{rs[4].ID, rs[3].ID}, ids(got), "limit")

	got, err = s.ListRequests(ctx, "app-1", rs[3].CreatedAt, 100)
	require.NoError(t, err)
	assert.Equal(t, []string{rs[2].ID, rs[1].ID, rs[0].ID}, ids(got), "before the cursor, not at it")

	got, err = s.ListRequests(ctx, "app-1", rs[3].CreatedAt, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{rs[2].ID}, ids(got), "cursor and limit")

	got, err = s.ListRequests(ctx, "app-3", time.Time{}, 100)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testDeleteRequest(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	r := mustCreate(t, s, request(t, "app-1", "u1", 0))
	keep := mustCreate(t, s, request(t, "app-1", "u1", time.Second))
	require.NoError(t, s.DeleteRequest(ctx, r.ID))
	_, err := s.GetRequest(ctx, r.ID)
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	assert.ErrorIs(t, s.DeleteRequest(ctx, r.ID), authrequest.ErrNotFound)
	_, err = s.UpdateRequest(ctx, r.ID, func(*authrequest.Request) ([]authrequest.Delivery, error) { return nil, nil })
	assert.ErrorIs(t, err, authrequest.ErrNotFound)
	got, err := s.ListRequests(ctx, "app-1", time.Time{}, 10)
	require.NoError(t, err)
	assert.Equal(t, []string{keep.ID}, ids(got))
	pending, err := s.PendingRequests(ctx, "app-1", "u1", at(time.Minute), 10)
	require.NoError(t, err)
	assert.Equal(t, []string{keep.ID}, ids(pending))
}

func testExpireRequests(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	mk := func(st authrequest.State, valid time.Duration) authrequest.Request {
		r := request(t, "app-1", "u1", 0)
		r.Status = st
		r.ExpiresAt = at(valid)
		return mustCreate(t, s, r)
	}
	a := mk(authrequest.StatePending, time.Minute)
	b := mk(authrequest.StateApproverPending, time.Minute)
	u := mk(authrequest.StateUnclaimed, time.Minute)
	done := mk(authrequest.StateApproved, time.Minute)
	denied := mk(authrequest.StateDenied, time.Minute)
	later := mk(authrequest.StatePending, time.Hour)
	now := at(2 * time.Minute)

	seen := map[string]authrequest.Request{}
	var recorded []authrequest.Delivery
	n, err := s.ExpireRequests(ctx, now, func(r authrequest.Request) []authrequest.Delivery {
		seen[r.ID] = r
		if r.ID == u.ID {
			return nil // no callbacks for this one
		}
		d := delivery(t, r.ID, authrequest.EventError)
		recorded = append(recorded, d)
		return []authrequest.Delivery{d}
	})
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.ElementsMatch(t, []string{a.ID, b.ID, u.ID}, keys(seen))
	for id, r := range seen {
		assert.Equal(t, authrequest.StateExpired, r.Status, "fn sees %s expired", id)
		assert.Equal(t, "app-1", r.ApplicationID)
	}
	for _, r := range []authrequest.Request{a, b, u} {
		got, err := s.GetRequest(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, authrequest.StateExpired, got.Status)
		assert.True(t, got.CreatedAt.Equal(r.CreatedAt))
		assert.True(t, got.ExpiresAt.Equal(r.ExpiresAt))
	}
	for _, r := range []authrequest.Request{done, denied, later} {
		got, err := s.GetRequest(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, r.Status, got.Status, "untouched")
	}
	c.expectDeliveries(t, s, recorded...)

	n, err = s.ExpireRequests(ctx, now, func(r authrequest.Request) []authrequest.Delivery {
		t.Errorf("fn called again for %s", r.ID)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 0, n)
	c.expectDeliveries(t, s, recorded...)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// testRequestCopies: changing what went in or came out changes nothing
// stored.
func testRequestCopies(t *testing.T, c *config, s authrequest.Store) {
	ctx := t.Context()
	r := fullRequest(t)
	want := norm(r)
	ds := []authrequest.Delivery{delivery(t, r.ID, authrequest.EventCreate)}
	wantDs := normDeliveries(ds)
	wantDs[0].Vars = map[string]string{"event": "Create", "uuid": r.ID, "username": "alice \"q\" {x}"}
	out, err := s.CreateRequest(ctx, r, false, ds)
	require.NoError(t, err)
	r.Vars["site"] = "x"
	r.Answers[0].Payload[0] = 'X'
	r.Answers[0].Signature[0] = 9
	r.Answers[0].Reason = "x"
	ds[0].Vars["event"] = "x"
	out.Vars["site"] = "y"
	out.Answers[0].Payload[0] = 'Y'
	got, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	want.UpdatedAt = tm(got.UpdatedAt)
	assert.Equal(t, want, norm(got))
	got.Vars["site"] = "z"
	got.Answers[0].Signature[0] = 3

	up, err := s.UpdateRequest(ctx, r.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
		assert.Equal(t, "Riga", x.Vars["site"])
		return nil, nil
	})
	require.NoError(t, err)
	up.Vars["site"] = "w"
	got, err = s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, "Riga", got.Vars["site"])
	assert.Equal(t, want.Answers, norm(got).Answers)

	pending, err := s.PendingRequests(ctx, "app-1", "u2", at(time.Second), 10)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	pending[0].Vars["site"] = "v"
	list, err := s.ListRequests(ctx, "app-1", time.Time{}, 10)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "Riga", list[0].Vars["site"])
	c.expectDeliveries(t, s, wantDs...)
}
