package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanUser reads a row of q.selectUser.
func scanUser(r scanner) (userstore.User, error) {
	var (
		u                         userstore.User
		lockedUntil, created, upd int64
		attrs, roles              string
		groups                    sql.NullString
		failed                    int64
	)
	err := r.Scan(&u.ID, &u.Username, &u.Email, &u.EmailVerified, &u.Phone, &u.DisplayName, &u.GivenName, &u.FamilyName,
		&u.Enabled, &u.MustChangePassword, &u.PasswordHash, &failed, &lockedUntil, &attrs, &u.Source, &u.ExternalID,
		&created, &upd, &u.Version, &roles, &groups)
	if err != nil {
		return userstore.User{}, err
	}
	u.FailedLogins = int(failed)
	u.LockedUntil, u.CreatedAt, u.UpdatedAt = fromNS(lockedUntil), fromNS(created), fromNS(upd)
	if u.Attributes, err = unmarshalMap(attrs); err != nil {
		return userstore.User{}, fmt.Errorf("user %s: attributes: %w", u.ID, err)
	}
	if u.Roles, err = unmarshalStrings(roles); err != nil {
		return userstore.User{}, fmt.Errorf("user %s: roles: %w", u.ID, err)
	}
	if len(u.Roles) == 0 {
		u.Roles = nil
	}
	if groups.Valid && groups.String != "" {
		u.Groups = strings.Split(groups.String, "\x1f")
		slices.SortFunc(u.Groups, cmp.Compare)
	}
	return u, nil
}

// marshalMap encodes a map as JSON: null for nil, so that nil and empty
// maps come back as they went in. The bytes are json.Marshal's (keys
// sorted, its escaping), written without reflection: a sync writes one
// map per user, its record's signature among the values.
func marshalMap(m map[string]string) string {
	if m == nil {
		return "null"
	}
	var buf [8]string
	keys := sortedKeys(m, buf[:0])
	n := 2
	for _, k := range keys {
		n += len(k) + len(m[k]) + 6
	}
	var b strings.Builder // its String does not copy the bytes again
	b.Grow(n)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, k)
		b.WriteByte(':')
		writeJSONString(&b, m[k])
	}
	b.WriteByte('}')
	return b.String()
}

// sortedKeys returns m's keys in order, appended to buf (which a
// caller gives from an array on its stack: a sync's users have three
// attributes and few groups, so that sorting them allocates nothing).
func sortedKeys(m map[string]string, buf []string) []string {
	for k := range m {
		buf = append(buf, k)
	}
	slices.Sort(buf)
	return buf
}

// jsonPlain marks the bytes json.Marshal writes as they are in a string:
// printable ASCII other than ", \, <, > and &.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()

// writeJSONString writes s as json.Marshal writes a string: plain bytes
// as they are, anything else through json.Marshal.
func writeJSONString(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if !jsonPlain[s[i]] {
			q, _ := json.Marshal(s) // a string always encodes
			b.Write(q)
			return
		}
	}
	b.WriteByte('"')
	b.WriteString(s)
	b.WriteByte('"')
}

// marshalRoles encodes roles sorted and without duplicates as a JSON
// array, null for none.
func marshalRoles(roles []string) string {
	if len(roles) == 0 {
		return "null"
	}
	b, _ := json.Marshal(sortedRoles(roles)) // a []string always encodes
	return string(b)
}

// sortedRoles returns a sorted copy of roles without duplicates, nil for
// none.
func sortedRoles(roles []string) []string {
	if len(roles) == 0 {
		return nil
	}
	return slices.Compact(slices.Sorted(slices.Values(roles)))
}

// getUser reads one user matching where (a predicate on u with $2...,
// after the realm as $1).
func (s *Store) getUser(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, where string, args ...any) (userstore.User, error) {
	if s.cannotStore(args...) {
		return userstore.User{}, userstore.ErrNotFound
	}
	u, err := scanUser(q.QueryRowContext(ctx, s.q.selectUser+` WHERE u.realm = $1 AND `+where, append([]any{s.realm}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return userstore.User{}, userstore.ErrNotFound
	}
	return u, err
}

// GetUser returns the user with the given ID, or an error matching
// userstore.ErrNotFound.
func (s *Store) GetUser(ctx context.Context, id string) (userstore.User, error) {
	const op = "get user"
	if err := s.ready(ctx, op); err != nil {
		return userstore.User{}, err
	}
	u, err := s.getUser(ctx, cached{s}, `u.id = $2`, id)
	return u, s.fail(op, err)
}

// GetUserByUsername finds a user by username without regard to case.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (userstore.User, error) {
	const op = "get user by username"
	if err := s.ready(ctx, op); err != nil {
		return userstore.User{}, err
	}
	u, err := s.getUser(ctx, cached{s}, `u.username_norm = $2`, userstore.NormalizeUsername(username))
	return u, s.fail(op, err)
}

// FindUsersByEmail returns up to limit users (all when limit <= 0) whose
// e-mail equals email without regard to case, in ascending ID order. An
// empty email matches no one.
func (s *Store) FindUsersByEmail(ctx context.Context, email string, limit int) ([]userstore.User, error) {
	const op = "find users by e-mail"
	if err := s.ready(ctx, op); err != nil {
		return nil, err
	}
	norm := userstore.NormalizeUsername(email)
	if norm == "" || s.cannotStore(norm) {
		return nil, nil
	}
	// One fixed, prepared query: logins by e-mail and reset requests ask
	// it on every miss, which must cost what a hit costs.
	if limit <= 0 {
		limit = math.MaxInt32
	}
	users, err := database.QueryAll(ctx, cached{s}, func(r *sql.Rows) (userstore.User, error) { return scanUser(r) },
		s.q.selectUser+` WHERE u.realm = $1 AND u.email_norm = $2 ORDER BY u.id LIMIT $3`, s.realm, norm, limit)
	return users, s.fail(op, err)
}

// GetUserByExternalID finds the user linked to a directory entry; an
// empty externalID matches no one.
func (s *Store) GetUserByExternalID(ctx context.Context, source, externalID string) (userstore.User, error) {
	const op = "get user by external ID"
	if err := s.ready(ctx, op); err != nil {
		return userstore.User{}, err
	}
	if externalID == "" {
		return userstore.User{}, fmt.Errorf("sqlstore: %s: %w", op, userstore.ErrNotFound)
	}
	u, err := s.getUser(ctx, cached{s}, `u.source = $2 AND u.external_id = $3 AND u.external_id <> ''`, source, externalID)
	return u, s.fail(op, err)
}

// ListUsers streams users in ascending ID order, filtered and paged by
// opts, reading one page (WithPageSize) per query with keyset pagination.
// A Group that does not exist matches no one.
func (s *Store) ListUsers(ctx context.Context, opts userstore.ListOptions) iter.Seq2[userstore.User, error] {
	var (
		where = []string{`u.realm = $1`, `u.id > $2`}
		args  = []any{s.realm, ""}
	)
	add := func(pred string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(pred, len(args)))
	}
	if p := userstore.NormalizeUsername(opts.Prefix); p != "" {
		add(s.q.startsWith, p)
	}
	if opts.Group != "" {
		add(`EXISTS (SELECT 1 FROM usher_members m WHERE m.realm = u.realm AND m.user_id = u.id AND m.group_norm = $%d)`, userstore.NormalizeUsername(opts.Group))
	}
	if opts.Role != "" {
		add(s.q.hasRole, opts.Role)
	}
	if opts.Source != "" {
		add(`u.source = $%d`, opts.Source)
	}
	if opts.Enabled != nil {
		add(`u.enabled = $%d`, *opts.Enabled)
	}
	query := s.q.selectUser + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY u.id LIMIT `
	return stream(ctx, s, "list users", opts.Limit, opts.After, func(ctx context.Context, after string, n int) ([]userstore.User, string, error) {
		a := slices.Clone(args)
		a[1] = s.cursor(after)
		page, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (userstore.User, error) { return scanUser(r) }, query+fmt.Sprint(n), a...)
		if len(page) > 0 {
			after = page[len(page)-1].ID
		}
		return page, after, err
	})
}

// CreateUser stores a new user with Version 1 and a new ID unless u.ID is
// set. See userstore.UserWriter.
func (s *Store) CreateUser(ctx context.Context, u userstore.User) (userstore.User, error) {
	const op = "create user"
	if err := checkUser(u); err != nil {
		return userstore.User{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	now := s.now()
	if u.ID == "" {
		u.ID = s.newID(now)
	}
	u.Groups = nil
	u.Roles = sortedRoles(u.Roles)
	u.Attributes = maps.Clone(u.Attributes)
	u.LockedUntil = fromNS(toNS(u.LockedUntil))
	u.CreatedAt, u.UpdatedAt, u.Version = now, now, 1
	err := s.write(ctx, op, func(t *tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO usher_users (realm, id, username, username_norm, email, email_norm, email_verified,
	phone, display_name, given_name, family_name, enabled, must_change_password, password_hash, failed_logins, locked_until,
	attributes, source, external_id, created_at, updated_at, version, roles)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, 1, $21)`,
			s.realm, u.ID, u.Username, userstore.NormalizeUsername(u.Username), u.Email, userstore.NormalizeUsername(u.Email), u.EmailVerified,
			u.Phone, u.DisplayName, u.GivenName, u.FamilyName, u.Enabled, u.MustChangePassword, u.PasswordHash, u.FailedLogins, toNS(u.LockedUntil),
			marshalMap(u.Attributes), u.Source, u.ExternalID, toNS(now), marshalRoles(u.Roles))
		if err != nil {
			return err
		}
		return t.emit(ctx, userstore.UserCreated, u.ID, "", now)
	})
	if err != nil {
		return userstore.User{}, err
	}
	return u, nil
}

// UpdateUser replaces a stored user if u.Version is current. See
// userstore.UserWriter.
func (s *Store) UpdateUser(ctx context.Context, u userstore.User) (userstore.User, error) {
	const op = "update user"
	if err := checkUser(u); err != nil {
		return userstore.User{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	var out userstore.User
	err := s.write(ctx, op, func(t *tx) error {
		now := s.now()
		res, err := t.ExecContext(ctx, `UPDATE usher_users SET username = $4, username_norm = $5, email = $6, email_norm = $7,
	email_verified = $8, phone = $9, display_name = $10, given_name = $11, family_name = $12, enabled = $13,
	must_change_password = $14, password_hash = $15, attributes = $16, source = $17, external_id = $18,
	updated_at = $19, roles = $20, version = version + 1
WHERE realm = $1 AND id = $2 AND version = $3`,
			s.realm, u.ID, u.Version, u.Username, userstore.NormalizeUsername(u.Username), u.Email, userstore.NormalizeUsername(u.Email),
			u.EmailVerified, u.Phone, u.DisplayName, u.GivenName, u.FamilyName, u.Enabled,
			u.MustChangePassword, u.PasswordHash, marshalMap(u.Attributes), u.Source, u.ExternalID, toNS(now), marshalRoles(u.Roles))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var stored int64
			err := t.QueryRowContext(ctx, `SELECT version FROM usher_users WHERE realm = $1 AND id = $2`, s.realm, u.ID).Scan(&stored)
			if errors.Is(err, sql.ErrNoRows) {
				return userstore.ErrNotFound
			} else if err != nil {
				return err
			}
			return fmt.Errorf("version %d, stored %d: %w", u.Version, stored, userstore.ErrVersionConflict)
		}
		if out, err = s.getUser(ctx, t, `u.id = $2`, u.ID); err != nil {
			return err
		}
		return t.emit(ctx, userstore.UserUpdated, u.ID, "", now)
	})
	if err != nil {
		return userstore.User{}, err
	}
	return out, nil
}

// DeleteUser removes a user, its memberships and tokens.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	return s.write(ctx, "delete user", func(t *tx) error {
		// The user's row first, as SetUserGroups locks it: in the other
		// order the two could deadlock over a membership.
		if err := t.lockUser(ctx, id); err != nil {
			return err
		}
		// Memberships and tokens would go by cascade too (ON DELETE
		// CASCADE, and on PostgreSQL a trigger for memberships); deleting
		// them first keeps a database opened without foreign keys clean.
		for _, q := range []string{
			`DELETE FROM usher_members WHERE realm = $1 AND user_id = $2`,
			`DELETE FROM usher_tokens WHERE realm = $1 AND user_id = $2`,
		} {
			if _, err := t.ExecContext(ctx, q, s.realm, id); err != nil {
				return err
			}
		}
		if err := expectOne(t.ExecContext(ctx, `DELETE FROM usher_users WHERE realm = $1 AND id = $2`, s.realm, id)); err != nil {
			return err
		}
		return t.emit(ctx, userstore.UserDeleted, id, "", s.now())
	})
}

// expectOne turns an Exec result that touched no row into ErrNotFound.
func expectOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return userstore.ErrNotFound
	}
	return nil
}
