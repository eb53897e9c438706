package main

import (
	"context"
	"crypto"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/syncapi"
)

// RegisterKey registers the organization's public key (PEM). The same
// key again is accepted (init may run twice); another key, or another
// organization, is syncapi.ErrOtherKey: replacing the key that vouches for every
// synced user is a deliberate act, not an upload.
// (syncapi.Keys, for the sync API).
func (s *serverDB) RegisterKey(ctx context.Context, orgID string, pemData []byte) (created bool, err error) {
	if _, err := directory.ParsePublicKey(pemData); err != nil {
		return false, fmt.Errorf("%w: %v", errBadBody, err)
	}
	createdBy := "the sync API"
	if t := tokenOf(ctx); t.Name != "" {
		createdBy = "the token " + t.Name
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
			return fmt.Errorf("%w: the server syncs the organization %q", syncapi.ErrOtherKey, org)
		case key != pemText:
			return fmt.Errorf("%w: the organization %q has another key", syncapi.ErrOtherKey, org)
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

// OrganizationKey returns the organization's public key, or
// syncapi.ErrUnknownOrganization when orgID is not the registered
// organization (syncapi.Keys).
func (s *serverDB) OrganizationKey(ctx context.Context, orgID string) (crypto.PublicKey, error) {
	var key string
	err := s.db.SQL().QueryRowContext(ctx, `SELECT public_key FROM usher_server_sync_keys WHERE org_id = $1`, orgID).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, syncapi.ErrUnknownOrganization
	}
	if err != nil {
		return nil, fmt.Errorf("read sync key: %w", err)
	}
	return directory.ParsePublicKey([]byte(key))
}

var _ syncapi.Keys = (*serverDB)(nil)
