package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/usher-sdk/usher/authrequest"
)

func pending(st authrequest.State) bool {
	return st == authrequest.StatePending || st == authrequest.StateApproverPending
}

// CreateRequest stores r and records ds, or neither.
func (s *Store) CreateRequest(ctx context.Context, r authrequest.Request, singlePending bool, ds []authrequest.Delivery) (authrequest.Request, error) {
	if r.ID == "" {
		return authrequest.Request{}, fmt.Errorf("memstore: request without ID: %w", authrequest.ErrInvalid)
	}
	if err := s.lock(ctx); err != nil {
		return authrequest.Request{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.requests[r.ID]; ok {
		return authrequest.Request{}, fmt.Errorf("memstore: request %s: %w", r.ID, authrequest.ErrConflict)
	}
	if singlePending && r.UserID != "" {
		for _, o := range s.requests {
			if o.ApplicationID == r.ApplicationID && o.UserID == r.UserID && pending(o.Status) && o.ExpiresAt.After(r.CreatedAt) {
				return authrequest.Request{}, fmt.Errorf("memstore: %w", authrequest.ErrPendingExists)
			}
		}
	}
	r = copyRequest(r)
	r.UpdatedAt = s.stamp()
	s.requests[r.ID] = r
	s.recordLocked(ds)
	return copyRequest(r), nil
}

// GetRequest returns the request by ID.
func (s *Store) GetRequest(ctx context.Context, id string) (authrequest.Request, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.Request{}, err
	}
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return authrequest.Request{}, notFound("request")
	}
	return copyRequest(r), nil
}

// UpdateRequest runs fn on a copy of the request under the store's lock and
// keeps the result and fn's deliveries unless fn fails.
func (s *Store) UpdateRequest(ctx context.Context, id string, fn func(*authrequest.Request) ([]authrequest.Delivery, error)) (authrequest.Request, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.Request{}, err
	}
	defer s.mu.Unlock()
	old, ok := s.requests[id]
	if !ok {
		return authrequest.Request{}, notFound("request")
	}
	r := copyRequest(old)
	ds, err := fn(&r)
	if err != nil {
		return authrequest.Request{}, err
	}
	r = copyRequest(r)
	r.ID, r.ApplicationID, r.CreatedAt = old.ID, old.ApplicationID, old.CreatedAt
	r.UpdatedAt = s.stamp()
	s.requests[id] = r
	s.recordLocked(ds)
	return copyRequest(r), nil
}

// oldestFirst orders requests by CreatedAt, then ID.
func oldestFirst(a, b authrequest.Request) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}

func limited(rs []authrequest.Request, limit int) []authrequest.Request {
	rs = rs[:min(len(rs), max(limit, 0))]
	for i := range rs {
		rs[i] = copyRequest(rs[i])
	}
	return rs
}

// PendingRequests returns what userID's devices have to answer.
func (s *Store) PendingRequests(ctx context.Context, applicationID, userID string, now time.Time, limit int) ([]authrequest.Request, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []authrequest.Request
	for _, r := range s.requests {
		mine := (r.Status == authrequest.StatePending && r.UserID == userID) ||
			(r.Status == authrequest.StateApproverPending && r.ApproverID == userID)
		if mine && userID != "" && r.ApplicationID == applicationID && r.ExpiresAt.After(now) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, oldestFirst)
	return limited(out, limit), nil
}

// ListRequests returns an application's requests, newest first.
func (s *Store) ListRequests(ctx context.Context, applicationID string, before time.Time, limit int) ([]authrequest.Request, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []authrequest.Request
	for _, r := range s.requests {
		if r.ApplicationID == applicationID && (before.IsZero() || r.CreatedAt.Before(before)) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b authrequest.Request) int { return oldestFirst(b, a) })
	return limited(out, limit), nil
}

// DeleteRequest removes a request.
func (s *Store) DeleteRequest(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.requests[id]; !ok {
		return notFound("request")
	}
	delete(s.requests, id)
	return nil
}

// ExpireRequests moves the requests not final and past ExpiresAt to
// StateExpired, oldest first, handing each to fn as it now is (expired)
// and recording fn's deliveries.
func (s *Store) ExpireRequests(ctx context.Context, now time.Time, fn func(authrequest.Request) []authrequest.Delivery) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	var due []authrequest.Request
	for _, r := range s.requests {
		if !r.Status.Final() && r.ExpiresAt.Before(now) {
			due = append(due, r)
		}
	}
	slices.SortFunc(due, oldestFirst)
	stamp := s.stamp()
	for _, r := range due {
		r.Status = authrequest.StateExpired
		r.UpdatedAt = stamp
		s.requests[r.ID] = r
		if fn != nil {
			s.recordLocked(fn(copyRequest(r)))
		}
	}
	return len(due), nil
}
