package memstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"iter"
	"sync"
	"time"

	"github.com/usher-sdk/usher/internal/ids"
	"github.com/usher-sdk/usher/internal/paging"
	"github.com/usher-sdk/usher/userstore"
)

// defaultPageSize is how many records a stream copies out under one lock.
const defaultPageSize = 100

// Store is an in-memory userstore.Store. Make one with New; the zero value
// is not usable. A Store is safe for concurrent use.
type Store struct {
	clock    func() time.Time
	rand     io.Reader
	pageSize int

	mu     sync.RWMutex
	closed bool
	idSeq  ids.Sequence
	// groupSeq numbers group IDs when the random source fails.
	groupSeq uint64

	users      map[string]*userRec            // by ID
	ids        []string                       // every user ID, ascending
	byName     map[string]string              // normalized username -> ID
	byExt      map[extKey]string              // source and external ID -> ID
	groups     map[string]*userstore.Group    // by normalized name
	groupIDs   map[string]string              // group ID -> normalized name
	members    map[string]map[string]struct{} // group key -> user IDs
	userGroups map[string]map[string]struct{} // user ID -> group keys
	tokens     map[tokenKey]userstore.Token
	changes    []userstore.Change // ascending Seq
	seq        int64
	audit      []auditRec // ascending (Time, n)
	auditN     int64
}

var _ userstore.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock that stamps CreatedAt, UpdatedAt, change events,
// tokens and audit events without a time, and the time part of new IDs.
// The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.clock = now
		}
	}
}

// WithRand sets the source of the random part of new IDs and audit event
// IDs. The default is crypto/rand.Reader. A reader that fails makes the
// writes that need an ID fail.
func WithRand(r io.Reader) Option {
	return func(s *Store) {
		if r != nil {
			s.rand = r
		}
	}
}

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		clock:      time.Now,
		rand:       rand.Reader,
		pageSize:   defaultPageSize,
		users:      make(map[string]*userRec),
		byName:     make(map[string]string),
		byExt:      make(map[extKey]string),
		groups:     make(map[string]*userstore.Group),
		groupIDs:   make(map[string]string),
		members:    make(map[string]map[string]struct{}),
		userGroups: make(map[string]map[string]struct{}),
		tokens:     make(map[tokenKey]userstore.Token),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Close empties the store. Every later call returns an error matching
// userstore.ErrClosed; closing again returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.users, s.ids, s.byName, s.byExt = nil, nil, nil, nil
	s.groups, s.groupIDs, s.members, s.userGroups = nil, nil, nil, nil
	s.tokens, s.changes, s.audit = nil, nil, nil
	return nil
}

// now reads the clock in UTC without a monotonic reading.
func (s *Store) now() time.Time { return s.clock().UTC() }

// lock takes the write lock for op, checking ctx and whether the store is
// closed. On success the caller must call s.mu.Unlock.
func (s *Store) lock(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("memstore: %s: %w", op, userstore.ErrClosed)
	}
	return nil
}

// rlock is lock for readers; the caller must call s.mu.RUnlock.
func (s *Store) rlock(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return fmt.Errorf("memstore: %s: %w", op, userstore.ErrClosed)
	}
	return nil
}

// emit records a change; the caller holds the write lock.
func (s *Store) emit(kind userstore.ChangeKind, userID, group string, at time.Time) {
	s.seq++
	c := userstore.Change{Seq: s.seq, Kind: kind, UserID: userID, Group: group, At: at}
	if group != "" {
		if g, ok := s.groups[userstore.NormalizeUsername(group)]; ok {
			c.GroupID = g.ID
		}
	}
	s.changes = append(s.changes, c)
}

// emitGroup records a change of group g; the caller holds the write lock.
func (s *Store) emitGroup(kind userstore.ChangeKind, userID string, g *userstore.Group, at time.Time) {
	s.seq++
	s.changes = append(s.changes, userstore.Change{Seq: s.seq, Kind: kind, UserID: userID, Group: g.Name, GroupID: g.ID, At: at})
}

// stream yields records page by page through paging.Stream: fetch,
// called under the read lock, returns up to n records after cursor c and
// the cursor after them; the lock is not held while the consumer runs.
func stream[T, C any](ctx context.Context, s *Store, op string, limit int, c C, fetch func(c C, n int) ([]T, C, error)) iter.Seq2[T, error] {
	return paging.Stream(s.pageSize, limit, c, func(c C, n int) ([]T, C, error) {
		if err := s.rlock(ctx, op); err != nil {
			return nil, c, err
		}
		defer s.mu.RUnlock()
		page, next, err := fetch(c, n)
		if err != nil {
			return nil, c, fmt.Errorf("memstore: %s: %w", op, err)
		}
		return page, next, nil
	})
}
