package memstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/usher-sdk/usher/authrequest"
)

// RecordAuthentication notes that userID authenticated in the application
// at t; an earlier t than the one kept changes nothing.
func (s *Store) RecordAuthentication(ctx context.Context, applicationID, userID string, t time.Time) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := userKey{applicationID, userID}
	if t.After(s.lastAuth[k]) {
		s.lastAuth[k] = t
	}
	return nil
}

// LastAuthentication returns when userID last authenticated in any
// application, or the zero time.
func (s *Store) LastAuthentication(ctx context.Context, userID string) (time.Time, error) {
	if err := s.lock(ctx); err != nil {
		return time.Time{}, err
	}
	defer s.mu.Unlock()
	var last time.Time
	for k, t := range s.lastAuth {
		if k.user == userID && t.After(last) {
			last = t
		}
	}
	return last, nil
}

// ActiveUsers returns the users who authenticated at or after since,
// sorted; applicationID "" means every application.
func (s *Store) ActiveUsers(ctx context.Context, applicationID string, since time.Time) ([]string, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for k, t := range s.lastAuth {
		if (applicationID == "" || k.app == applicationID) && !t.Before(since) && !seen[k.user] {
			seen[k.user] = true
			out = append(out, k.user)
		}
	}
	slices.Sort(out)
	return out, nil
}

// CreateToken stores t with a new ID; a Hash in use is ErrConflict.
func (s *Store) CreateToken(ctx context.Context, t authrequest.Token) (authrequest.Token, error) {
	if t.Hash == "" {
		return authrequest.Token{}, fmt.Errorf("memstore: token without hash: %w", authrequest.ErrInvalid)
	}
	if err := s.lock(ctx); err != nil {
		return authrequest.Token{}, err
	}
	defer s.mu.Unlock()
	for _, o := range s.tokens {
		if o.Hash == t.Hash {
			return authrequest.Token{}, fmt.Errorf("memstore: token: %w", authrequest.ErrConflict)
		}
	}
	id, now, err := s.newID()
	if err != nil {
		return authrequest.Token{}, err
	}
	t = copyToken(t)
	t.ID, t.CreatedAt = id, now
	s.tokens[id] = t
	return copyToken(t), nil
}

// TokenByHash returns the token whose Hash is hash.
func (s *Store) TokenByHash(ctx context.Context, hash string) (authrequest.Token, error) {
	if err := s.lock(ctx); err != nil {
		return authrequest.Token{}, err
	}
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.Hash == hash {
			return copyToken(t), nil
		}
	}
	return authrequest.Token{}, notFound("token")
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]authrequest.Token, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]authrequest.Token, 0, len(s.tokens))
	for _, t := range s.tokens {
		out = append(out, copyToken(t))
	}
	slices.SortFunc(out, func(a, b authrequest.Token) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteToken revokes a token.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.tokens[id]; !ok {
		return notFound("token")
	}
	delete(s.tokens, id)
	return nil
}
