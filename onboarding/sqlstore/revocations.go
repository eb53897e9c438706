package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/onboarding/issuer"
)

// AddRevocation records r unless its serial is already recorded, keeping the
// first RevokedAt. With it the Store is the issuer.RevocationStore that a
// LocalCA of several server processes shares (issuer.WithRevocationStore).
func (s *Store) AddRevocation(ctx context.Context, r issuer.Revocation) error {
	if r.Serial == nil {
		return fmt.Errorf("sqlstore: revocation without a serial")
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_onboarding_revocations (serial, revoked_at) VALUES ($1, $2)
			ON CONFLICT (serial) DO NOTHING`, r.Serial.Text(16), nanos(r.RevokedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: add revocation: %w", err)
	}
	return nil
}

// Revocations returns every recorded revocation, oldest first.
func (s *Store) Revocations(ctx context.Context) ([]issuer.Revocation, error) {
	out, err := database.QueryAll(ctx, s.db.SQL(), func(r *sql.Rows) (issuer.Revocation, error) {
		var serial string
		var at int64
		if err := r.Scan(&serial, &at); err != nil {
			return issuer.Revocation{}, err
		}
		n, ok := new(big.Int).SetString(serial, 16)
		if !ok {
			return issuer.Revocation{}, fmt.Errorf("bad serial %q", serial)
		}
		return issuer.Revocation{Serial: n, RevokedAt: fromNanos(at)}, nil
	}, `SELECT serial, revoked_at FROM usher_onboarding_revocations ORDER BY revoked_at, serial`)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: revocations: %w", err)
	}
	return out, nil
}

var _ issuer.RevocationStore = (*Store)(nil)
