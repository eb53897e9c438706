package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
)

// PutToken stores t, setting CreatedAt when it is zero. With replace, the
// user's other tokens of the same kind are removed in the same
// transaction. Kind, UserID and Hash are required (ErrInvalid); the user
// must exist (ErrNotFound); a token of the kind with the same hash is
// ErrConflict.
func (s *Store) PutToken(ctx context.Context, t userstore.Token, replace bool) error {
	const op = "put token"
	for _, f := range [...]struct{ name, value string }{{"Kind", t.Kind}, {"UserID", t.UserID}, {"Hash", t.Hash}} {
		if f.value == "" {
			return fmt.Errorf("sqlstore: %s: %w", op, &userstore.ValidationError{Field: f.name, Reason: "must not be empty"})
		}
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now()
	}
	return s.write(ctx, op, func(tx *tx) error {
		if err := tx.userExists(ctx, t.UserID); err != nil {
			return err
		}
		if replace {
			if _, err := tx.ExecContext(ctx, `DELETE FROM usher_tokens WHERE realm = $1 AND kind = $2 AND user_id = $3`, s.realm, t.Kind, t.UserID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_tokens (realm, kind, hash, user_id, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			s.realm, t.Kind, t.Hash, t.UserID, t.Data, toNS(t.CreatedAt), toNS(t.ExpiresAt))
		return err
	})
}

const tokenCols = `kind, hash, user_id, data, created_at, expires_at`

func scanToken(r scanner) (userstore.Token, error) {
	var (
		t                userstore.Token
		created, expires int64
	)
	if err := r.Scan(&t.Kind, &t.Hash, &t.UserID, &t.Data, &created, &expires); err != nil {
		return userstore.Token{}, err
	}
	t.CreatedAt, t.ExpiresAt = fromNS(created), fromNS(expires)
	if len(t.Data) == 0 {
		t.Data = nil // drivers differ on empty BLOBs
	}
	return t, nil
}

// UserTokens returns the user's tokens of a kind, unexpired or not, oldest
// first.
func (s *Store) UserTokens(ctx context.Context, kind, userID string) ([]userstore.Token, error) {
	const op = "user tokens"
	if err := s.ready(ctx, op); err != nil {
		return nil, err
	}
	if s.cannotStore(kind, userID) {
		return nil, nil
	}
	out, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (userstore.Token, error) { return scanToken(r) },
		`SELECT `+tokenCols+` FROM usher_tokens WHERE realm = $1 AND kind = $2 AND user_id = $3 ORDER BY created_at, hash`, s.realm, kind, userID)
	return out, s.fail(op, err)
}

// ConsumeToken removes and returns the token of a kind with the given
// hash, or returns ErrNotFound. It is one DELETE ... RETURNING, so of
// concurrent callers, in any process, exactly one gets the token.
func (s *Store) ConsumeToken(ctx context.Context, kind, hash string) (userstore.Token, error) {
	const op = "consume token"
	if err := s.writable(ctx, op); err != nil {
		return userstore.Token{}, err
	}
	if s.cannotStore(kind, hash) {
		return userstore.Token{}, fmt.Errorf("sqlstore: %s: %w", op, userstore.ErrNotFound)
	}
	defer s.lockWriter()()
	t, err := scanToken(s.db.QueryRowContext(ctx, `DELETE FROM usher_tokens WHERE realm = $1 AND kind = $2 AND hash = $3 RETURNING `+tokenCols, s.realm, kind, hash))
	if errors.Is(err, sql.ErrNoRows) {
		err = userstore.ErrNotFound
	}
	return t, s.fail(op, err)
}

// DeleteTokens removes the user's tokens of a kind (all kinds when kind is
// empty). Removing none is not an error.
func (s *Store) DeleteTokens(ctx context.Context, kind, userID string) error {
	const op = "delete tokens"
	if err := s.writable(ctx, op); err != nil {
		return err
	}
	if s.cannotStore(kind, userID) {
		return nil
	}
	defer s.lockWriter()()
	_, err := s.db.ExecContext(ctx, `DELETE FROM usher_tokens WHERE realm = $1 AND user_id = $2 AND ($3 = '' OR kind = $3)`, s.realm, userID, kind)
	return s.fail(op, err)
}

// ListTokens returns a page of the tokens of q.Kind, oldest first
// (CreatedAt, then Hash in byte order), after q.After. One indexed range
// read (usher_tokens_kind_created), however many tokens there are.
func (s *Store) ListTokens(ctx context.Context, q userstore.TokenQuery) ([]userstore.Token, error) {
	const op = "list tokens"
	limit, err := tokenLimit(q)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	if err := s.ready(ctx, op); err != nil {
		return nil, err
	}
	if s.cannotStore(q.Kind) {
		return nil, nil
	}
	// The zero cursor's CreatedAt lies before every stored time (toNS
	// stores the earliest as MinInt64+1), its Hash "" before every hash.
	afterNS := int64(math.MinInt64)
	if !q.After.CreatedAt.IsZero() {
		afterNS = toNS(q.After.CreatedAt)
	}
	query := `SELECT ` + tokenCols + ` FROM usher_tokens WHERE realm = $1 AND kind = $2 AND (created_at, hash) > ($3, $4)`
	args := []any{s.realm, q.Kind, afterNS, s.cursor(q.After.Hash)}
	if !q.UnexpiredAt.IsZero() {
		query += ` AND (expires_at = 0 OR expires_at > $5)`
		args = append(args, toNS(q.UnexpiredAt))
	}
	args = append(args, limit)
	query += ` ORDER BY created_at, hash LIMIT $` + strconv.Itoa(len(args))
	out, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (userstore.Token, error) { return scanToken(r) }, query, args...)
	return out, s.fail(op, err)
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
