package memstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/usher-sdk/usher/authrequest"
)

// DeliveryConfig sets how StartDelivery delivers. The zero value works.
type DeliveryConfig struct {
	// Workers is how many deliveries are made at once. Default 4.
	Workers int
	// MaxAttempts is how many times a delivery is tried before it finally
	// fails. Default 10.
	MaxAttempts int
	// Backoff is the wait before the first retry, doubled before each
	// later one up to MaxBackoff, plus up to a fifth of it at random.
	// Default 1s.
	Backoff time.Duration
	// MaxBackoff caps the wait between attempts. Default 5 minutes.
	MaxBackoff time.Duration
	// AttemptTimeout bounds one attempt, Sender.Send included. Default
	// 15s, as in authrequest/outbox.
	AttemptTimeout time.Duration
}

func (c DeliveryConfig) withDefaults() DeliveryConfig {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 10
	}
	if c.Backoff <= 0 {
		c.Backoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	if c.MaxBackoff < c.Backoff {
		c.MaxBackoff = c.Backoff
	}
	if c.AttemptTimeout <= 0 {
		c.AttemptTimeout = 15 * time.Second
	}
	return c
}

// backoff is the wait after the given number of failed attempts (≥ 1).
func (c DeliveryConfig) backoff(failed int) time.Duration {
	d := c.Backoff
	for i := 1; i < failed && d < c.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.MaxBackoff)
	return d + rand.N(d/5+1)
}

type job struct {
	d        authrequest.Delivery
	attempts int // failed so far
}

// outbox is the Store's in-memory delivery queue; its fields are guarded
// by Store.mu, but for workers.
type outbox struct {
	recorded []authrequest.Delivery
	queue    []job
	wake     chan struct{}
	started  bool
	stop     context.CancelFunc
	timers   map[*time.Timer]struct{}
	workers  sync.WaitGroup
}

func (o *outbox) init() {
	o.wake = make(chan struct{}, 1)
	o.timers = map[*time.Timer]struct{}{}
}

func (o *outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// recordLocked keeps copies of ds, to report them and to deliver them.
func (s *Store) recordLocked(ds []authrequest.Delivery) {
	for _, d := range ds {
		d = copyDelivery(d)
		s.recorded = append(s.recorded, d)
		s.queue = append(s.queue, job{d: copyDelivery(d)})
	}
	if len(ds) > 0 {
		s.signal()
	}
}

func (s *Store) stopLocked() {
	if s.stop != nil {
		s.stop()
	}
	for t := range s.timers {
		t.Stop()
	}
	clear(s.timers)
	s.queue = nil
}

// Deliveries returns every delivery the store has recorded, in the order
// recorded, whether delivered or not (for tests). It works after Close.
func (s *Store) Deliveries() []authrequest.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]authrequest.Delivery, len(s.recorded))
	for i, d := range s.recorded {
		out[i] = copyDelivery(d)
	}
	return out
}

// StartDelivery starts the in-process outbox: DeliveryConfig.Workers
// goroutines hand the recorded deliveries, those recorded before the call
// included, to sender. A failed attempt is retried with backoff up to
// MaxAttempts times, unless its error wraps authrequest.ErrPermanent;
// then sender.Failed is told and the deliveries it returns are recorded
// and delivered in turn. It returns at once; the workers stop when ctx is
// done or the store is closed (Close waits for them). It can be called
// once per store.
//
// Not durable: deliveries waiting or being retried are lost with the
// process or on Close. For tests and single-process demos only.
func (s *Store) StartDelivery(ctx context.Context, sender authrequest.Sender) error {
	if sender == nil {
		return fmt.Errorf("memstore: StartDelivery without a sender: %w", authrequest.ErrInvalid)
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.started {
		return errors.New("memstore: delivery already started")
	}
	s.started = true
	ctx, s.stop = context.WithCancel(ctx)
	for range s.delivery.Workers {
		s.workers.Go(func() { s.work(ctx, sender) })
	}
	s.signal()
	return nil
}

func (s *Store) work(ctx context.Context, sender authrequest.Sender) {
	for ctx.Err() == nil {
		j, ok := s.take()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			}
			continue
		}
		s.attempt(ctx, sender, j)
	}
}

// take pops the next job, passing the wake-up on when more wait.
func (s *Store) take() (job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.queue) == 0 {
		return job{}, false
	}
	j := s.queue[0]
	s.queue[0] = job{}
	s.queue = s.queue[1:]
	if len(s.queue) > 0 {
		s.signal()
	}
	return j, true
}

func (s *Store) attempt(ctx context.Context, sender authrequest.Sender, j job) {
	actx, cancel := context.WithTimeout(ctx, s.delivery.AttemptTimeout)
	err := sender.Send(actx, copyDelivery(j.d))
	cancel()
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		// Stopping: keep the job for a later StartDelivery, unless closed.
		s.mu.Lock()
		if !s.closed {
			s.queue = append([]job{j}, s.queue...)
		}
		s.mu.Unlock()
		return
	}
	j.attempts++
	log := s.log.With("delivery", j.d.ID, "request", j.d.RequestID, "event", string(j.d.Event), "attempts", j.attempts)
	if errors.Is(err, authrequest.ErrPermanent) || j.attempts >= s.delivery.MaxAttempts {
		log.Warn("authrequest: delivery failed", "err", err)
		extra := sender.Failed(ctx, copyDelivery(j.d), err)
		s.mu.Lock()
		if !s.closed {
			s.recordLocked(extra)
		}
		s.mu.Unlock()
		return
	}
	delay := s.delivery.backoff(j.attempts)
	log.Debug("authrequest: delivery will be retried", "err", err, "in", delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.timers, t)
		if !s.closed {
			s.queue = append(s.queue, j)
			s.signal()
		}
	})
	s.timers[t] = struct{}{}
}
