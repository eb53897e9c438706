// Package memstore is an in-memory authrequest.Store, for tests and
// single-process demos. It passes authrequest/storetest.
//
// NOT DURABLE: everything, including callback deliveries not yet made, is
// lost when the process ends. The promise that no callback is lost
// holds only for authrequest/sqlstore; do not use memstore in production.
//
// Values go in and come out as deep copies, so a caller cannot change what
// the store holds except through its methods. Each method holds one lock
// for its whole run, so UpdateRequest and UpdatePreApproval are atomic;
// their fn, and ExpireRequests' fn, run under that lock and must not call
// the store. A method called with a context already done returns its
// error; otherwise contexts are not consulted, as nothing blocks.
package memstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	"github.com/usher-sdk/usher/internal/ids"
)

// Store is an in-memory authrequest.Store with an in-process outbox (see
// StartDelivery). Make it with New; it is safe for concurrent use. After
// Close every method returns authrequest.ErrClosed.
type Store struct {
	now      func() time.Time
	log      *slog.Logger
	delivery DeliveryConfig

	mu           sync.Mutex
	closed       bool
	seq          ids.Sequence
	requests     map[string]authrequest.Request
	profiles     map[string]authrequest.Profile
	approvers    map[userKey]string
	policies     map[string]authrequest.PreApprovalPolicy
	preApprovals map[string]authrequest.PreApproval
	lastAuth     map[userKey]time.Time
	tokens       map[string]authrequest.Token

	outbox
}

type userKey struct{ app, user string }

// Option sets a dependency or the delivery settings of a Store.
type Option func(*Store)

// WithClock sets the clock of the times the store sets (IDs, CreatedAt,
// UpdatedAt). Default: time.Now.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithLogger sets the logger of delivery failures. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(s *Store) { s.log = l } }

// WithDelivery sets how StartDelivery delivers; zero fields take their
// defaults.
func WithDelivery(c DeliveryConfig) Option { return func(s *Store) { s.delivery = c } }

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		now:          time.Now,
		log:          slog.New(slog.DiscardHandler),
		requests:     map[string]authrequest.Request{},
		profiles:     map[string]authrequest.Profile{},
		approvers:    map[userKey]string{},
		policies:     map[string]authrequest.PreApprovalPolicy{},
		preApprovals: map[string]authrequest.PreApproval{},
		lastAuth:     map[userKey]time.Time{},
		tokens:       map[string]authrequest.Token{},
	}
	for _, o := range opts {
		o(s)
	}
	s.delivery = s.delivery.withDefaults()
	s.outbox.init()
	return s
}

// Close stops the delivery workers, waits for them, and makes every later
// call return authrequest.ErrClosed. Deliveries not yet made are dropped.
// Closing twice is harmless.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.stopLocked()
	s.mu.Unlock()
	s.workers.Wait()
	return nil
}

// lock takes the store's lock, or returns ErrClosed or ctx's error
// without it.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("memstore: %w", authrequest.ErrClosed)
	}
	return nil
}

// stamp is the store's time for what it sets: UTC, whole microseconds, as a
// SQL store keeps it.
func (s *Store) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Store) newID() (string, time.Time, error) {
	now := s.stamp()
	id, err := s.seq.Next(now, rand.Reader)
	if err != nil {
		return "", now, fmt.Errorf("memstore: %w", err)
	}
	return id, now, nil
}

func notFound(what string) error {
	return fmt.Errorf("memstore: %s: %w", what, authrequest.ErrNotFound)
}

// nameKey is how names compare: without regard to case.
func nameKey(name string) string { return strings.ToLower(name) }

func copyRequest(r authrequest.Request) authrequest.Request {
	r.Vars = maps.Clone(r.Vars)
	r.Answers = slices.Clone(r.Answers)
	for i := range r.Answers {
		r.Answers[i].Payload = bytes.Clone(r.Answers[i].Payload)
		r.Answers[i].Signature = bytes.Clone(r.Answers[i].Signature)
	}
	return r
}

func copyProfile(p authrequest.Profile) authrequest.Profile {
	p.Vars = maps.Clone(p.Vars)
	p.Secrets = slices.Clone(p.Secrets)
	p.Callbacks = slices.Clone(p.Callbacks)
	for i := range p.Callbacks {
		p.Callbacks[i] = copyCallback(p.Callbacks[i])
	}
	return p
}

func copyCallback(c callback.Callback) callback.Callback {
	c.Headers = maps.Clone(c.Headers)
	c.Auth.Scopes = slices.Clone(c.Auth.Scopes)
	return c
}

func copyDelivery(d authrequest.Delivery) authrequest.Delivery {
	d.Vars = maps.Clone(d.Vars)
	return d
}

func copyToken(t authrequest.Token) authrequest.Token {
	t.ApplicationIDs = slices.Clone(t.ApplicationIDs)
	return t
}

var _ authrequest.Store = (*Store)(nil)
