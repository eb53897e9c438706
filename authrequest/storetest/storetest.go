// Package storetest is the conformance suite of authrequest.Store: every
// implementation (authrequest/memstore, authrequest/sqlstore) runs Run and
// must pass it.
//
// The suite uses fixed times in UTC truncated to the microsecond, since SQL
// stores keep microseconds, and compares times with time.Equal. It uses
// application, user and policy IDs of its own ("app-1", "u1"), so a store
// must not require them to exist elsewhere.
//
// Where authrequest's Store docs leave a choice, the suite expects:
//   - ExpireRequests hands fn each request as it now is, in StateExpired;
//   - UpdateProfile onto a name another profile of the application has
//     (without regard to case) is ErrConflict;
//   - policy names, like profile names, are unique without regard to case;
//   - CreatePreApproval with an ID in use, and CreateToken with a Hash in
//     use, are ErrConflict;
//   - RecordAuthentication keeps the latest time, so an older one recorded
//     later changes nothing;
//   - "not expired at t" means ExpiresAt after t; unclaimed requests are
//     never pending (PendingRequests, singlePending);
//   - UpdatePreApproval keeps ID, ApplicationID and CreatedAt and sets
//     UpdatedAt, as UpdateRequest does; on create, UpdatedAt of a request
//     or pre-approval is the store's to set or keep.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
)

// Option adds an optional check to Run.
type Option func(*config)

type config struct {
	deliveries func(t *testing.T, s authrequest.Store) []authrequest.Delivery
}

// WithDeliveries lets the suite read back the deliveries a store has
// recorded (every one since the store was made, in any order, none of them
// delivered, as no worker runs during the suite). With it, the suite checks
// that CreateRequest, UpdateRequest and ExpireRequests record exactly the
// deliveries they are handed and nothing when they fail. Without it those
// checks are skipped.
func WithDeliveries(fn func(t *testing.T, s authrequest.Store) []authrequest.Delivery) Option {
	return func(c *config) { c.deliveries = fn }
}

// Run runs the suite against stores made by newStore, which must return a
// new, empty store for each call (and close it when t ends). Subtests run
// in parallel, each with its own store.
func Run(t *testing.T, newStore func(t *testing.T) authrequest.Store, opts ...Option) {
	t.Helper()
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	tests := []struct {
		name string
		fn   func(*testing.T, *config, authrequest.Store)
	}{
		{"RequestRoundTrip", testRequestRoundTrip},
		{"CreateRequestConflict", testCreateRequestConflict},
		{"UpdateRequest", testUpdateRequest},
		{"UpdateRequestError", testUpdateRequestError},
		{"UpdateRequestConcurrent", testUpdateRequestConcurrent},
		{"SinglePending", testSinglePending},
		{"SinglePendingConcurrent", testSinglePendingConcurrent},
		{"PendingRequests", testPendingRequests},
		{"ListRequests", testListRequests},
		{"DeleteRequest", testDeleteRequest},
		{"ExpireRequests", testExpireRequests},
		{"RequestCopies", testRequestCopies},
		{"Profiles", testProfiles},
		{"ProfileNames", testProfileNames},
		{"ProfileCopies", testProfileCopies},
		{"Approvers", testApprovers},
		{"Policies", testPolicies},
		{"PreApprovals", testPreApprovals},
		{"ActivePreApproval", testActivePreApproval},
		{"Activity", testActivity},
		{"Tokens", testTokens},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, c, newStore(t))
		})
	}
}

// base is the suite's fixed clock: UTC, whole microseconds.
var base = time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC)

func at(d time.Duration) time.Time { return base.Add(d) }

func newID(t *testing.T) string {
	t.Helper()
	var b [16]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return hex.EncodeToString(b[:])
}

// request is a pending request of user in app, created at base+created,
// valid for five minutes.
func request(t *testing.T, app, user string, created time.Duration) authrequest.Request {
	return authrequest.Request{
		ID:            newID(t),
		ApplicationID: app,
		UserID:        user,
		Username:      user,
		Action:        "Sign in",
		Description:   "VPN",
		Origin:        authrequest.OriginAPI,
		Kind:          authrequest.KindAuthentication,
		Nonce:         newID(t),
		Status:        authrequest.StatePending,
		CreatedAt:     at(created),
		ExpiresAt:     at(created + 5*time.Minute),
		UpdatedAt:     at(created),
	}
}

func delivery(t *testing.T, requestID string, e authrequest.Event) authrequest.Delivery {
	return authrequest.Delivery{
		ID:        newID(t),
		ProfileID: "profile-1",
		Callback:  1,
		RequestID: requestID,
		Event:     e,
		Vars:      map[string]string{"event": string(e), "uuid": requestID, "username": "alice \"q\" {x}"},
	}
}

func mustCreate(t *testing.T, s authrequest.Store, r authrequest.Request) authrequest.Request {
	t.Helper()
	got, err := s.CreateRequest(t.Context(), r, false, nil)
	require.NoError(t, err, "CreateRequest")
	return got
}

// tm normalises a time for comparison: same instant, UTC, no monotonic
// reading.
func tm(x time.Time) time.Time {
	if x.IsZero() {
		return time.Time{}
	}
	return x.Round(0).UTC()
}

// emptyNil returns a copy of m, nil when empty.
func emptyNil[M ~map[K]V, K comparable, V any](m M) M {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// emptyNilSlice returns a copy of s, nil when empty.
func emptyNilSlice[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// norm makes requests comparable with assert.Equal: times with
// time.Equal's meaning, empty maps and slices as nil. It returns a deep
// copy.
func norm(r authrequest.Request) authrequest.Request {
	r.CreatedAt, r.ExpiresAt, r.UpdatedAt = tm(r.CreatedAt), tm(r.ExpiresAt), tm(r.UpdatedAt)
	r.Vars = emptyNil(r.Vars)
	ans := make([]authrequest.Answer, len(r.Answers))
	for i, a := range r.Answers {
		a.Time = tm(a.Time)
		a.Payload = emptyNilSlice(a.Payload)
		a.Signature = emptyNilSlice(a.Signature)
		ans[i] = a
	}
	r.Answers = emptyNilSlice(ans)
	return r
}

func normAll(rs []authrequest.Request) []authrequest.Request {
	out := make([]authrequest.Request, len(rs))
	for i, r := range rs {
		out[i] = norm(r)
	}
	return out
}

func ids(rs []authrequest.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func normDeliveries(ds []authrequest.Delivery) []authrequest.Delivery {
	out := make([]authrequest.Delivery, len(ds))
	for i, d := range ds {
		d.Vars = emptyNil(d.Vars)
		out[i] = d
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// expectDeliveries checks that the store has recorded exactly want (in any
// order), when the suite can read deliveries back.
func (c *config) expectDeliveries(t *testing.T, s authrequest.Store, want ...authrequest.Delivery) {
	t.Helper()
	if c.deliveries == nil {
		return
	}
	got := c.deliveries(t, s)
	assert.Equal(t, normDeliveries(want), normDeliveries(got), "recorded deliveries")
}

// fullRequest sets every field of a request.
func fullRequest(t *testing.T) authrequest.Request {
	r := request(t, "app-1", "u1", 0)
	r.ProfileID = "profile-1"
	r.ApproverID = "u2"
	r.Fingerprint = "fp:01"
	r.State = "opaque-state"
	r.BiometricCheck = true
	r.Vars = map[string]string{"site": "Riga", "empty": ""}
	r.Origin = authrequest.OriginQR
	r.Kind = authrequest.KindPreApproval
	r.PreApprovalID = newID(t)
	r.Number = "42"
	r.ClaimCodeHash = "ab12"
	r.RequestIP = "192.0.2.1"
	r.Status = authrequest.StateApproverPending
	r.Answers = []authrequest.Answer{{
		DeviceID:    "d1",
		UserID:      "u1",
		Decision:    authrequest.Approve,
		Reason:      "ok",
		Payload:     []byte(`{"a":1}`),
		PayloadType: "application/json",
		Signature:   []byte{0, 1, 2, 255},
		ResponseIP:  "2001:db8::1",
		Time:        at(time.Second),
	}}
	return r
}
