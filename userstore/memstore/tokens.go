package memstore

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

type tokenKey struct{ kind, hash string }

// PutToken stores t, setting CreatedAt when it is zero. With replace, the
// user's other tokens of the same kind are removed first. Kind, UserID and
// Hash are required (ErrInvalid); the user must exist (ErrNotFound); a
// token of the kind with the same hash is ErrConflict.
func (s *Store) PutToken(ctx context.Context, t userstore.Token, replace bool) error {
	for _, f := range [...]struct{ name, value string }{{"Kind", t.Kind}, {"UserID", t.UserID}, {"Hash", t.Hash}} {
		if f.value == "" {
			return fmt.Errorf("memstore: put token: %w", &userstore.ValidationError{Field: f.name, Reason: "must not be empty"})
		}
	}
	if err := s.lock(ctx, "put token"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.users[t.UserID]; !ok {
		return fmt.Errorf("memstore: put token: user: %w", userstore.ErrNotFound)
	}
	key := tokenKey{t.Kind, t.Hash}
	if old, taken := s.tokens[key]; taken && !(replace && old.UserID == t.UserID) {
		return fmt.Errorf("memstore: put token: hash of kind %q is taken: %w", t.Kind, userstore.ErrConflict)
	}
	if replace {
		s.deleteTokens(t.Kind, t.UserID)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	t.CreatedAt, t.ExpiresAt = t.CreatedAt.UTC(), utc(t.ExpiresAt)
	t.Data = bytes.Clone(t.Data)
	s.tokens[key] = t
	return nil
}

// UserTokens returns the user's tokens of a kind, unexpired or not, oldest
// first.
func (s *Store) UserTokens(ctx context.Context, kind, userID string) ([]userstore.Token, error) {
	if err := s.rlock(ctx, "user tokens"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []userstore.Token
	for k, t := range s.tokens {
		if k.kind == kind && t.UserID == userID {
			t.Data = bytes.Clone(t.Data)
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b userstore.Token) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.Hash, b.Hash))
	})
	return out, nil
}

// ConsumeToken removes and returns the token of a kind with the given
// hash, or returns ErrNotFound. Of concurrent callers exactly one gets it.
func (s *Store) ConsumeToken(ctx context.Context, kind, hash string) (userstore.Token, error) {
	if err := s.lock(ctx, "consume token"); err != nil {
		return userstore.Token{}, err
	}
	defer s.mu.Unlock()
	key := tokenKey{kind, hash}
	t, ok := s.tokens[key]
	if !ok {
		return userstore.Token{}, fmt.Errorf("memstore: consume token: %w", userstore.ErrNotFound)
	}
	delete(s.tokens, key)
	return t, nil
}

// DeleteTokens removes the user's tokens of a kind (all kinds when kind is
// empty). Removing none is not an error.
func (s *Store) DeleteTokens(ctx context.Context, kind, userID string) error {
	if err := s.lock(ctx, "delete tokens"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.deleteTokens(kind, userID)
	return nil
}

// deleteTokens is DeleteTokens under the write lock.
func (s *Store) deleteTokens(kind, userID string) {
	for k, t := range s.tokens {
		if t.UserID == userID && (kind == "" || k.kind == kind) {
			delete(s.tokens, k)
		}
	}
}

// ListTokens returns a page of the tokens of q.Kind, oldest first
// (CreatedAt, then Hash), after q.After. It sorts every token of the kind
// for each page, which suits a fake.
func (s *Store) ListTokens(ctx context.Context, q userstore.TokenQuery) ([]userstore.Token, error) {
	limit, err := tokenLimit(q)
	if err != nil {
		return nil, fmt.Errorf("memstore: list tokens: %w", err)
	}
	if err := s.rlock(ctx, "list tokens"); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []userstore.Token
	for k, t := range s.tokens {
		if k.kind != q.Kind || (!q.UnexpiredAt.IsZero() && t.Expired(q.UnexpiredAt)) {
			continue
		}
		if !q.After.IsZero() && compareToken(t, q.After) <= 0 {
			continue
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b userstore.Token) int {
		return compareToken(a, userstore.TokenCursor{CreatedAt: b.CreatedAt, Hash: b.Hash})
	})
	out = out[:min(len(out), limit)]
	for i := range out {
		out[i].Data = bytes.Clone(out[i].Data)
	}
	return slices.Clip(out), nil
}

// compareToken compares t's place in the order of ListTokens with c.
func compareToken(t userstore.Token, c userstore.TokenCursor) int {
	return cmp.Or(t.CreatedAt.Compare(c.CreatedAt), strings.Compare(t.Hash, c.Hash))
}

// tokenLimit checks q and returns its page size.
func tokenLimit(q userstore.TokenQuery) (int, error) {
	switch {
	case q.Kind == "":
		return 0, &userstore.ValidationError{Field: "Kind", Reason: "must not be empty"}
	case q.Limit > userstore.MaxTokenPage:
		return 0, &userstore.ValidationError{Field: "Limit", Reason: fmt.Sprintf("must be at most %d", userstore.MaxTokenPage)}
	case q.Limit <= 0:
		return userstore.DefaultTokenPage, nil
	}
	return q.Limit, nil
}
