package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/onboarding/sms"
)

// SMSCodes returns the sms.CodeStore in the same database, in the table
// usher_onboarding_sms_codes, for sms.NewCodes. Each method is one atomic
// statement (or transaction), so that concurrent guesses from any number of
// processes stay within the attempt limit and a code is used once.
func (s *Store) SMSCodes() sms.CodeStore { return &smsCodes{s} }

type smsCodes struct{ s *Store }

// Replace stores rec unless the record there was issued after notIssuedAfter.
func (c *smsCodes) Replace(ctx context.Context, key string, rec sms.CodeRecord, notIssuedAfter time.Time) (bool, error) {
	var stored bool
	err := c.s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO usher_onboarding_sms_codes
			(code_key, hash, phone, issued_at, expires_at, attempts_left) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (code_key) DO UPDATE SET hash = excluded.hash, phone = excluded.phone,
				issued_at = excluded.issued_at, expires_at = excluded.expires_at, attempts_left = excluded.attempts_left
			WHERE usher_onboarding_sms_codes.issued_at <= $7`,
			key, nonNil(rec.Hash), rec.Phone, nanos(rec.IssuedAt), nanos(rec.ExpiresAt), rec.AttemptsLeft, nanos(notIssuedAfter))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		stored = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlstore: sms code: %w", err)
	}
	return stored, nil
}

// Attempt takes one attempt from the record under key.
func (c *smsCodes) Attempt(ctx context.Context, key string) (sms.CodeRecord, error) {
	var rec sms.CodeRecord
	err := c.s.db.Tx(ctx, func(tx *sql.Tx) error {
		var issued, expires int64
		err := tx.QueryRowContext(ctx, `UPDATE usher_onboarding_sms_codes SET attempts_left = attempts_left - 1
			WHERE code_key = $1 AND attempts_left > 0
			RETURNING hash, phone, issued_at, expires_at, attempts_left`, key).
			Scan(&rec.Hash, &rec.Phone, &issued, &expires, &rec.AttemptsLeft)
		if errors.Is(err, sql.ErrNoRows) {
			var one int
			err = tx.QueryRowContext(ctx, `SELECT 1 FROM usher_onboarding_sms_codes WHERE code_key = $1`, key).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return sms.ErrNoCode
			}
			if err == nil {
				return sms.ErrAttemptsExhausted
			}
		}
		if err != nil {
			return err
		}
		rec.IssuedAt, rec.ExpiresAt = fromNanos(issued), fromNanos(expires)
		return nil
	})
	if errors.Is(err, sms.ErrNoCode) || errors.Is(err, sms.ErrAttemptsExhausted) {
		return sms.CodeRecord{}, err
	}
	if err != nil {
		return sms.CodeRecord{}, fmt.Errorf("sqlstore: sms code: %w", err)
	}
	return rec, nil
}

// Delete removes the record under key if its hash is hash.
func (c *smsCodes) Delete(ctx context.Context, key string, hash []byte) (bool, error) {
	var deleted bool
	err := c.s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM usher_onboarding_sms_codes WHERE code_key = $1 AND hash = $2`, key, nonNil(hash))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		deleted = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlstore: sms code: %w", err)
	}
	return deleted, nil
}
