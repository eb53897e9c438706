package main

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/usher-sdk/usher/database"
)

//go:embed migrations
var migrationFiles embed.FS

// component is the server's own schema: admin sessions and API access
// tokens (usher_server_sessions, usher_server_tokens).
func component() database.Component {
	sub, _ := fs.Sub(migrationFiles, "migrations") // a constant, valid path
	return database.Component{Name: "server", Migrations: sub}
}

// errNoRow is returned when a session or token is unknown, expired or
// revoked: the caller cannot tell which, and need not.
var errNoRow = errors.New("not found")

// serverDB keeps the server's sessions and tokens in the shared database,
// so that any server process sharing it serves any request.
type serverDB struct {
	db  *database.DB
	now func() time.Time
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// session is one admin sign-in.
type session struct {
	AdminID   string
	Username  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// createSession stores a new session and returns its cookie secret.
func (s *serverDB) createSession(ctx context.Context, adminID, username string, ttl time.Duration) (string, error) {
	secret := newSecret("uss_")
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Sweep expired sessions while here: their number stays bounded
		// by the sign-ins of one TTL.
		if _, err := tx.ExecContext(ctx, `DELETE FROM usher_server_sessions WHERE expires_at <= $1`, ms(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_server_sessions (id_hash, admin_id, username, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			secretHash(secret), adminID, username, ms(now), ms(now.Add(ttl)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return secret, nil
}

// session returns the unexpired session of a cookie secret, or errNoRow.
func (s *serverDB) session(ctx context.Context, secret string) (session, error) {
	if !wellFormed(secret, "uss_") {
		return session{}, errNoRow
	}
	var se session
	var created, expires int64
	err := s.db.SQL().QueryRowContext(ctx, `SELECT admin_id, username, created_at, expires_at FROM usher_server_sessions WHERE id_hash = $1 AND expires_at > $2`,
		secretHash(secret), ms(s.now())).Scan(&se.AdminID, &se.Username, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return session{}, errNoRow
	}
	if err != nil {
		return session{}, fmt.Errorf("read session: %w", err)
	}
	se.CreatedAt, se.ExpiresAt = time.UnixMilli(created), time.UnixMilli(expires)
	return se, nil
}

// deleteSession ends a session (sign-out); an unknown one is not an error.
func (s *serverDB) deleteSession(ctx context.Context, secret string) error {
	if !wellFormed(secret, "uss_") {
		return nil
	}
	unlock := s.db.LockWriter()
	defer unlock()
	_, err := s.db.SQL().ExecContext(ctx, `DELETE FROM usher_server_sessions WHERE id_hash = $1`, secretHash(secret))
	return err
}

// Scopes of access tokens. A token carries one or more.
const (
	scopeUsersRead  = "users:read"
	scopeUsersWrite = "users:write"
	scopeActivation = "activation"   // create and delete activation codes
	scopeSync       = "sync"         // the sync agent's API
	scopeMetrics    = "metrics"      // GET /metrics, for Prometheus
	scopeSCIM       = "scim"         // the SCIM 2.0 endpoint, for identity providers
	scopeAuth       = "authenticate" // check users' passwords, for applications
)

// knownScopes lists every scope, in the order the admin page shows them.
func knownScopes() []string {
	return []string{scopeUsersRead, scopeUsersWrite, scopeAuth, scopeActivation, scopeOnboarding, scopeAuthRequest, scopeSync, scopeSCIM, scopeMetrics}
}

// accessToken is an API client's token, without its secret.
type accessToken struct {
	ID         string
	Name       string
	Scopes     []string
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	RevokedAt  time.Time // zero: not revoked
	LastUsedAt time.Time // zero: never used
}

// has reports whether the token carries scope.
func (t accessToken) has(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// Limits of access tokens.
const (
	maxTokenName = 100
	maxTokens    = 1000
)

// errTokenInput is a bad token name or scope list.
var errTokenInput = errors.New("invalid token")

// createToken stores a new token and returns it with its secret, which
// exists nowhere else afterwards.
func (s *serverDB) createToken(ctx context.Context, name string, scopes []string, ttl time.Duration, createdBy string) (accessToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxTokenName || strings.ContainsFunc(name, isControl) {
		return accessToken{}, "", fmt.Errorf("%w: a name of 1 to %d characters is required", errTokenInput, maxTokenName)
	}
	if len(scopes) == 0 {
		return accessToken{}, "", fmt.Errorf("%w: at least one scope is required", errTokenInput)
	}
	for _, sc := range scopes {
		if !contains(knownScopes(), sc) {
			return accessToken{}, "", fmt.Errorf("%w: unknown scope %q (known: %s)", errTokenInput, sc, strings.Join(knownScopes(), ", "))
		}
	}
	now := s.now()
	t := accessToken{ID: newSecret("")[:16], Name: name, Scopes: scopes, CreatedBy: createdBy, CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	secret := newSecret("ush_")
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM usher_server_tokens WHERE revoked_at = 0`).Scan(&n); err != nil {
			return err
		}
		if n >= maxTokens {
			return fmt.Errorf("%w: there are %d tokens already; revoke some first", errTokenInput, n)
		}
		var exp int64
		if !t.ExpiresAt.IsZero() {
			exp = ms(t.ExpiresAt)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_server_tokens (id, name, hash, scopes, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.ID, t.Name, secretHash(secret), strings.Join(scopes, " "), createdBy, ms(now), exp)
		return err
	})
	if err != nil {
		return accessToken{}, "", fmt.Errorf("create token: %w", err)
	}
	return t, secret, nil
}

const selectToken = `SELECT id, name, scopes, created_by, created_at, expires_at, revoked_at, last_used_at FROM usher_server_tokens`

func scanToken(row interface{ Scan(...any) error }) (accessToken, error) {
	var t accessToken
	var scopes string
	var created, expires, revoked, used int64
	if err := row.Scan(&t.ID, &t.Name, &scopes, &t.CreatedBy, &created, &expires, &revoked, &used); err != nil {
		return t, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt = time.UnixMilli(created)
	for _, p := range []struct {
		dst *time.Time
		v   int64
	}{{&t.ExpiresAt, expires}, {&t.RevokedAt, revoked}, {&t.LastUsedAt, used}} {
		if p.v != 0 {
			*p.dst = time.UnixMilli(p.v)
		}
	}
	return t, nil
}

// tokenUseInterval is how often a token's last use is written: at most
// once a minute, so that API traffic does not turn into writes.
const tokenUseInterval = time.Minute

// token returns the live token of a secret (not revoked, not expired), or
// errNoRow, and notes its use.
func (s *serverDB) token(ctx context.Context, secret string) (accessToken, error) {
	if !wellFormed(secret, "ush_") {
		return accessToken{}, errNoRow
	}
	now := s.now()
	t, err := scanToken(s.db.SQL().QueryRowContext(ctx, selectToken+` WHERE hash = $1 AND revoked_at = 0 AND (expires_at = 0 OR expires_at > $2)`,
		secretHash(secret), ms(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return accessToken{}, errNoRow
	}
	if err != nil {
		return accessToken{}, fmt.Errorf("read token: %w", err)
	}
	if now.Sub(t.LastUsedAt) >= tokenUseInterval {
		unlock := s.db.LockWriter()
		_, err := s.db.SQL().ExecContext(ctx, `UPDATE usher_server_tokens SET last_used_at = $2 WHERE id = $1`, t.ID, ms(now))
		unlock()
		if err != nil {
			return accessToken{}, fmt.Errorf("note token use: %w", err)
		}
	}
	return t, nil
}

// tokens lists every token, newest first.
func (s *serverDB) tokens(ctx context.Context) ([]accessToken, error) {
	rows, err := s.db.SQL().QueryContext(ctx, selectToken+` ORDER BY created_at DESC, id LIMIT $1`, maxTokens*2)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []accessToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// revokeToken revokes a token by ID; revoking twice is not an error, an
// unknown ID is errNoRow.
func (s *serverDB) revokeToken(ctx context.Context, id string) error {
	unlock := s.db.LockWriter()
	defer unlock()
	res, err := s.db.SQL().ExecContext(ctx, `UPDATE usher_server_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN $2 ELSE revoked_at END WHERE id = $1`, id, ms(s.now()))
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoRow
	}
	return nil
}

// ready reports whether the database answers and every component's
// schema is what this binary expects.
func (s *serverDB) ready(ctx context.Context, components ...database.Component) error {
	if err := s.db.SQL().PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return s.db.CheckSchema(ctx, components...)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// setting returns the JSON of a saved setting, "" when none was saved.
func (s *serverDB) setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.SQL().QueryRowContext(ctx, `SELECT value FROM usher_server_settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, nil
}

// putSetting saves a setting's JSON.
func (s *serverDB) putSetting(ctx context.Context, name, value, by string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO usher_server_settings (name, value, updated_by, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			name, value, by, ms(s.now()))
		return err
	})
}
