package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Admin sign-in throttling ("smart lockout"): wrong passwords are counted
// per account and client address, in the database (so every process
// counts them together). An address that makes throttleFailures of them
// for one account within throttleWindow is refused for that account,
// without its password being checked, until throttleWindow has passed —
// while the account's owner, from another address, still signs in. The
// admin pool's own lock-out stays, with a high threshold
// (adminMaxFailedLogins), against guessing from many addresses.
const (
	throttleFailures     = 5
	throttleWindow       = 15 * time.Minute
	adminMaxFailedLogins = 50
)

// throttleKey identifies an account and an address.
func throttleKey(username, remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = ip.Mask(net.CIDRMask(64, 128)).String() // one IPv6 client holds a /64
	}
	sum := sha256.Sum256([]byte(userstore.NormalizeUsername(username) + "\x00" + host))
	return hex.EncodeToString(sum[:])
}

// throttled reports whether key is blocked now.
func (s *serverDB) throttled(ctx context.Context, key string) (bool, error) {
	var until int64
	err := s.db.SQL().QueryRowContext(ctx, `SELECT blocked_until FROM usher_server_login_failures WHERE key = $1`, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return until > ms(s.now()), nil
}

// failed counts a wrong password for key, and blocks it at the limit.
// Rows of windows long past are swept on the way, so the table holds
// about one window's failures.
func (s *serverDB) failed(ctx context.Context, key string) error {
	return s.count(ctx, key, throttleFailures)
}

// count counts an event for key and blocks key for throttleWindow once
// limit events fall in one window.
func (s *serverDB) count(ctx context.Context, key string, limit int) error {
	now := s.now()
	start := ms(now.Add(-throttleWindow))
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM usher_server_login_failures WHERE window_start < $1 AND blocked_until < $2`,
			ms(now.Add(-2*throttleWindow)), ms(now)); err != nil {
			return err
		}
		// A window that has run out starts again at this failure.
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_server_login_failures (key, failures, window_start) VALUES ($1, 1, $2)
			ON CONFLICT (key) DO UPDATE SET
				failures = CASE WHEN usher_server_login_failures.window_start < $3 THEN 1 ELSE usher_server_login_failures.failures + 1 END,
				window_start = CASE WHEN usher_server_login_failures.window_start < $3 THEN $2 ELSE usher_server_login_failures.window_start END`,
			key, ms(now), start)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE usher_server_login_failures SET blocked_until = $2 WHERE key = $1 AND failures >= $3 AND blocked_until <= $4`,
			key, ms(now.Add(throttleWindow)), limit, ms(now))
		return err
	})
}

// succeeded forgets key's failures.
func (s *serverDB) succeeded(ctx context.Context, key string) error {
	unlock := s.db.LockWriter()
	defer unlock()
	_, err := s.db.SQL().ExecContext(ctx, `DELETE FROM usher_server_login_failures WHERE key = $1`, key)
	return err
}
