package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/memstore"
)

// fakeSender counts attempts per delivery and answers with send.
type fakeSender struct {
	send func(d authrequest.Delivery, attempt int) error

	mu        sync.Mutex
	attempts  map[string]int
	delivered []authrequest.Delivery
	failed    []failure
	inFlight  int
	maxFlight int
}

type failure struct {
	d   authrequest.Delivery
	err error
}

func newSender(send func(authrequest.Delivery, int) error) *fakeSender {
	return &fakeSender{send: send, attempts: map[string]int{}}
}

func (f *fakeSender) Send(ctx context.Context, d authrequest.Delivery) error {
	f.mu.Lock()
	f.attempts[d.ID]++
	n := f.attempts[d.ID]
	f.inFlight++
	f.maxFlight = max(f.maxFlight, f.inFlight)
	f.mu.Unlock()
	err := f.send(d, n)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
	if err == nil {
		f.delivered = append(f.delivered, d)
	}
	return err
}

// Failed returns one Error delivery for a failed delivery that is not
// itself an Error one.
func (f *fakeSender) Failed(_ context.Context, d authrequest.Delivery, err error) []authrequest.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failed = append(f.failed, failure{d, err})
	if d.Event == authrequest.EventError {
		return nil
	}
	return []authrequest.Delivery{{
		ID: d.ID + "-error", ProfileID: d.ProfileID, RequestID: d.RequestID, Event: authrequest.EventError,
		Vars: map[string]string{"error": "delivery_failed", "error_message": err.Error()},
	}}
}

func (f *fakeSender) attemptsOf(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[id]
}

func (f *fakeSender) deliveredIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, d := range f.delivered {
		out = append(out, d.ID)
	}
	return out
}

func (f *fakeSender) failures() []failure {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]failure(nil), f.failed...)
}

var fast = memstore.DeliveryConfig{Workers: 4, MaxAttempts: 5, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: time.Second}

func newStore(t *testing.T, cfg memstore.DeliveryConfig) *memstore.Store {
	s := memstore.New(memstore.WithDelivery(cfg))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// create stores a request whose creation records one delivery per ID.
func create(t *testing.T, s *memstore.Store, ids ...string) {
	t.Helper()
	var ds []authrequest.Delivery
	for _, id := range ids {
		ds = append(ds, authrequest.Delivery{ID: id, ProfileID: "p", RequestID: "r-" + id, Event: authrequest.EventCreate, Vars: map[string]string{"uuid": "r-" + id}})
	}
	now := time.Now()
	_, err := s.CreateRequest(t.Context(), authrequest.Request{
		ID: "r-" + ids[0], ApplicationID: "app", UserID: "u", Status: authrequest.StatePending,
		CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	}, false, ds)
	require.NoError(t, err)
}

var errTransient = errors.New("503 from receiver")

func TestDeliveryRetriesUntilSuccess(t *testing.T) {
	t.Parallel()
	s := newStore(t, fast)
	snd := newSender(func(_ authrequest.Delivery, attempt int) error {
		if attempt <= 2 {
			return errTransient
		}
		return nil
	})
	create(t, s, "d1") // recorded before the start: still delivered
	require.NoError(t, s.StartDelivery(t.Context(), snd))
	require.Eventually(t, func() bool { return len(snd.deliveredIDs()) == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 3, snd.attemptsOf("d1"), "two failures, then success")
	assert.Empty(t, snd.failures())
	assert.Len(t, s.Deliveries(), 1)
}

func TestDeliveryPermanentFailure(t *testing.T) {
	t.Parallel()
	s := newStore(t, fast)
	snd := newSender(func(d authrequest.Delivery, _ int) error {
		if d.Event == authrequest.EventError {
			return nil
		}
		return fmt.Errorf("404 from receiver: %w", authrequest.ErrPermanent)
	})
	require.NoError(t, s.StartDelivery(t.Context(), snd))
	create(t, s, "d1")
	require.Eventually(t, func() bool { return len(snd.deliveredIDs()) == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 1, snd.attemptsOf("d1"), "a permanent error is not retried")
	fs := snd.failures()
	require.Len(t, fs, 1)
	assert.Equal(t, "d1", fs[0].d.ID)
	assert.ErrorIs(t, fs[0].err, authrequest.ErrPermanent)
	assert.Equal(t, []string{"d1-error"}, snd.deliveredIDs(), "the Error callback is delivered")
	rec := s.Deliveries()
	require.Len(t, rec, 2, "the Error delivery is recorded")
	assert.Equal(t, authrequest.EventError, rec[1].Event)
	assert.Equal(t, "delivery_failed", rec[1].Vars["error"])
}

func TestDeliveryGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	cfg := fast
	cfg.MaxAttempts = 3
	s := newStore(t, cfg)
	snd := newSender(func(authrequest.Delivery, int) error { return errTransient })
	require.NoError(t, s.StartDelivery(t.Context(), snd))
	create(t, s, "d1")
	// d1 fails three times, then its Error delivery three times; the
	// latter's failure returns nothing more.
	require.Eventually(t, func() bool { return len(snd.failures()) == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 3, snd.attemptsOf("d1"))
	assert.Equal(t, 3, snd.attemptsOf("d1-error"))
	fs := snd.failures()
	assert.ErrorIs(t, fs[0].err, errTransient)
	assert.Equal(t, "d1-error", fs[1].d.ID)
	time.Sleep(20 * time.Millisecond)
	assert.Len(t, s.Deliveries(), 2, "nothing else recorded")
}

func TestDeliveryBoundedConcurrency(t *testing.T) {
	t.Parallel()
	cfg := fast
	cfg.Workers = 2
	s := newStore(t, cfg)
	release := make(chan struct{})
	snd := newSender(func(authrequest.Delivery, int) error { <-release; return nil })
	ids := []string{"a", "b", "c", "d", "e", "f"}
	create(t, s, ids...)
	require.NoError(t, s.StartDelivery(t.Context(), snd))
	require.Eventually(t, func() bool {
		snd.mu.Lock()
		defer snd.mu.Unlock()
		return snd.inFlight == 2
	}, 5*time.Second, time.Millisecond)
	close(release)
	require.Eventually(t, func() bool { return len(snd.deliveredIDs()) == len(ids) }, 5*time.Second, time.Millisecond)
	snd.mu.Lock()
	defer snd.mu.Unlock()
	assert.Equal(t, 2, snd.maxFlight, "at most Workers at once")
}

func TestDeliveryTimeout(t *testing.T) {
	t.Parallel()
	cfg := fast
	cfg.AttemptTimeout = 10 * time.Millisecond
	cfg.MaxAttempts = 2
	s := newStore(t, cfg)
	snd := newSender(nil)
	snd.send = func(d authrequest.Delivery, _ int) error {
		if d.Event == authrequest.EventError {
			return nil
		}
		return errTransient
	}
	hang := &hangingSender{fakeSender: snd}
	require.NoError(t, s.StartDelivery(t.Context(), hang))
	create(t, s, "d1")
	require.Eventually(t, func() bool { return len(snd.deliveredIDs()) == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 2, snd.attemptsOf("d1"))
	hang.mu.Lock()
	defer hang.mu.Unlock()
	for _, w := range hang.waited {
		assert.Less(t, w, time.Second, "each attempt ends at its AttemptTimeout")
	}
	assert.Len(t, hang.waited, 2)
}

// hangingSender is a receiver that never answers: its Send waits for the
// attempt's context to end.
type hangingSender struct {
	*fakeSender
	mu     sync.Mutex
	waited []time.Duration
}

func (h *hangingSender) Send(ctx context.Context, d authrequest.Delivery) error {
	if d.Event != authrequest.EventError {
		start := time.Now()
		<-ctx.Done()
		h.mu.Lock()
		h.waited = append(h.waited, time.Since(start))
		h.mu.Unlock()
	}
	return h.fakeSender.Send(ctx, d)
}

func TestDeliveryStopsWithContext(t *testing.T) {
	t.Parallel()
	s := newStore(t, fast)
	ctx, cancel := context.WithCancel(t.Context())
	snd := newSender(func(authrequest.Delivery, int) error { return nil })
	require.NoError(t, s.StartDelivery(ctx, snd))
	cancel()
	time.Sleep(20 * time.Millisecond)
	create(t, s, "d1")
	time.Sleep(20 * time.Millisecond)
	assert.Zero(t, snd.attemptsOf("d1"), "no worker after ctx is done")
}

func TestStartDeliveryTwice(t *testing.T) {
	t.Parallel()
	s := newStore(t, fast)
	snd := newSender(func(authrequest.Delivery, int) error { return nil })
	require.NoError(t, s.StartDelivery(t.Context(), snd))
	assert.Error(t, s.StartDelivery(t.Context(), snd))
	assert.ErrorIs(t, s.StartDelivery(t.Context(), nil), authrequest.ErrInvalid)
}

func TestClose(t *testing.T) {
	t.Parallel()
	s := memstore.New(memstore.WithDelivery(fast))
	block := make(chan struct{})
	snd := newSender(func(authrequest.Delivery, int) error { <-block; return errTransient })
	require.NoError(t, s.StartDelivery(t.Context(), snd))
	create(t, s, "d1")
	require.Eventually(t, func() bool { return snd.attemptsOf("d1") == 1 }, 5*time.Second, time.Millisecond)
	done := make(chan error)
	go func() { done <- s.Close() }()
	close(block) // Close waits for the worker's attempt
	require.NoError(t, <-done)
	require.NoError(t, s.Close(), "twice")

	ctx := t.Context()
	_, err := s.GetRequest(ctx, "r-d1")
	assert.ErrorIs(t, err, authrequest.ErrClosed)
	_, err = s.CreateRequest(ctx, authrequest.Request{ID: "x"}, false, nil)
	assert.ErrorIs(t, err, authrequest.ErrClosed)
	_, err = s.ListTokens(ctx)
	assert.ErrorIs(t, err, authrequest.ErrClosed)
	assert.ErrorIs(t, s.SetApprover(ctx, "a", "u", "b"), authrequest.ErrClosed)
	assert.ErrorIs(t, s.StartDelivery(ctx, snd), authrequest.ErrClosed)
	assert.Len(t, s.Deliveries(), 1, "what was recorded stays readable")
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, 1, snd.attemptsOf("d1"), "no retry after Close")
}
