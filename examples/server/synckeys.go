package main

import (
	"context"
	"crypto"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/usher-sdk/usher/directory"
)

// errOtherKey is an upload for an organization while another key (or
// another organization) is registered.
var errOtherKey = errors.New("another key is registered")

// maxOrgIDLen bounds the organization ID of the sync API.
const maxOrgIDLen = 128

// registerSyncKey registers the organization's public key (PEM). The same
// key again is accepted (init may run twice); another key, or another
// organization, is errOtherKey: replacing the key that vouches for every
// synced user is a deliberate act, not an upload.
func (s *serverDB) registerSyncKey(ctx context.Context, orgID string, pemData []byte, createdBy string) (created bool, err error) {
	if _, err := directory.ParsePublicKey(pemData); err != nil {
		return false, fmt.Errorf("%w: %v", errBadBody, err)
	}
	pemText := strings.TrimSpace(string(pemData))
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var org, key string
		err := tx.QueryRowContext(ctx, `SELECT org_id, public_key FROM usher_server_sync_keys LIMIT 1`).Scan(&org, &key)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case org != orgID:
			return fmt.Errorf("%w: the server syncs the organization %q", errOtherKey, org)
		case key != pemText:
			return fmt.Errorf("%w: the organization %q has another key", errOtherKey, org)
		default:
			return nil // the same key again
		}
		created = true
		_, err = tx.ExecContext(ctx, `INSERT INTO usher_server_sync_keys (org_id, public_key, created_by, created_at) VALUES ($1, $2, $3, $4)`,
			orgID, pemText, createdBy, ms(s.now()))
		return err
	})
	return created, err
}

// syncKey returns the organization's public key, or errNoRow when orgID
// is not the registered organization.
func (s *serverDB) syncKey(ctx context.Context, orgID string) (crypto.PublicKey, error) {
	var key string
	err := s.db.SQL().QueryRowContext(ctx, `SELECT public_key FROM usher_server_sync_keys WHERE org_id = $1`, orgID).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoRow
	}
	if err != nil {
		return nil, fmt.Errorf("read sync key: %w", err)
	}
	return directory.ParsePublicKey([]byte(key))
}
