package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/database"
)

// RecordAuthentication notes that userID authenticated in the application
// at t, keeping the latest time.
func (s *Store) RecordAuthentication(ctx context.Context, applicationID, userID string, t time.Time) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	greatest := "max"
	if s.postgres() {
		greatest = "GREATEST"
	}
	return wrap("record authentication", s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_authrequest_activity (application_id, user_id, last_at) VALUES ($1, $2, $3)
		ON CONFLICT (application_id, user_id) DO UPDATE SET last_at = `+greatest+`(usher_authrequest_activity.last_at, excluded.last_at)`,
			applicationID, userID, nanos(t))
		return err
	}))
}

// LastAuthentication returns when userID last authenticated in any
// application, or the zero time.
func (s *Store) LastAuthentication(ctx context.Context, userID string) (time.Time, error) {
	if err := s.begin(ctx); err != nil {
		return time.Time{}, err
	}
	var last sql.NullInt64
	err := s.db.SQL().QueryRowContext(ctx, `SELECT max(last_at) FROM usher_authrequest_activity WHERE user_id = $1`, userID).Scan(&last)
	if err != nil {
		return time.Time{}, wrap("last authentication", err)
	}
	return fromNanos(last.Int64), nil
}

// ActiveUsers returns the users of the application ("" for every one) who
// authenticated at or after since, sorted.
func (s *Store) ActiveUsers(ctx context.Context, applicationID string, since time.Time) ([]string, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	q := `SELECT user_id FROM usher_authrequest_activity WHERE last_at >= $1`
	args := []any{nanos(since)}
	if applicationID != "" {
		q += ` AND application_id = $2`
		args = append(args, applicationID)
	}
	out, err := database.QueryAll(ctx, s.db.SQL(), func(r *sql.Rows) (string, error) {
		var u string
		return u, r.Scan(&u)
	}, q+` GROUP BY user_id ORDER BY user_id`+s.collate(), args...)
	return out, wrap("active users", err)
}

const tokenColumns = `id, name, hash, application_ids, created_at`

func scanToken(r scanner) (authrequest.Token, error) {
	var t authrequest.Token
	var apps string
	var created int64
	if err := r.Scan(&t.ID, &t.Name, &t.Hash, &apps, &created); err != nil {
		return t, err
	}
	t.CreatedAt = fromNanos(created)
	if err := json.Unmarshal([]byte(apps), &t.ApplicationIDs); err != nil {
		return t, fmt.Errorf("sqlstore: decode token: %w", err)
	}
	return t, nil
}

// CreateToken stores t with a new ID and CreatedAt; a Hash in use is
// authrequest.ErrConflict.
func (s *Store) CreateToken(ctx context.Context, t authrequest.Token) (authrequest.Token, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.Token{}, err
	}
	id, now, err := s.newID()
	if err != nil {
		return authrequest.Token{}, err
	}
	t.ID, t.CreatedAt = id, now
	apps, err := json.Marshal(t.ApplicationIDs)
	if err != nil {
		return authrequest.Token{}, fmt.Errorf("sqlstore: encode token: %w", err)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_authrequest_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			t.ID, t.Name, t.Hash, string(apps), nanos(now))
		if isUnique(err) {
			return authrequest.ErrConflict
		}
		return err
	})
	if err != nil {
		return authrequest.Token{}, wrap("create token", err)
	}
	return t, nil
}

// TokenByHash returns the token whose Hash is hash, or
// authrequest.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (authrequest.Token, error) {
	if err := s.begin(ctx); err != nil {
		return authrequest.Token{}, err
	}
	t, err := scanToken(s.db.SQL().QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM usher_authrequest_tokens WHERE hash = $1`, hash))
	if err != nil {
		return authrequest.Token{}, wrap("token", notFound(err))
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]authrequest.Token, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	out, err := database.QueryAll(ctx, s.db.SQL(), func(r *sql.Rows) (authrequest.Token, error) { return scanToken(r) },
		`SELECT `+tokenColumns+` FROM usher_authrequest_tokens ORDER BY created_at, id`)
	return out, wrap("list tokens", err)
}

// DeleteToken revokes a token or returns authrequest.ErrNotFound.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	if err := s.begin(ctx); err != nil {
		return err
	}
	return wrap("delete token", s.tx(ctx, func(tx *sql.Tx) error {
		return affected(tx.ExecContext(ctx, `DELETE FROM usher_authrequest_tokens WHERE id = $1`, id))
	}))
}
