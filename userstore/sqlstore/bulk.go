package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/synced"
	"github.com/usher-sdk/usher/userstore"
)

// Batch sizes of UpsertSynced's statements: how many values one IN list
// holds and how many rows one INSERT writes. Both stay far below SQLite's
// 32,766 and PostgreSQL's 65,535 parameters.
const (
	bulkInList = 500
	bulkRows   = 100
)

// UpsertSynced writes a batch of directory users in one transaction: it
// reads what the batch touches with a few IN queries, decides in memory,
// and writes with multi-row INSERTs. See userstore.SyncWriter.
func (s *Store) UpsertSynced(ctx context.Context, users []userstore.SyncedUser) ([]userstore.User, error) {
	const op = "upsert synced"
	wants, err := synced.CheckBatch(users, checkUser)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	if len(users) == 0 {
		return nil, nil
	}
	var out []userstore.User
	err = s.write(ctx, op, func(t *tx) error {
		var err error
		out, err = t.upsertSynced(ctx, users, wants)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UsersByExternalID returns the users of source with the given external
// IDs, reading them with IN queries of up to 500 IDs. See
// userstore.SyncReader.
func (s *Store) UsersByExternalID(ctx context.Context, source string, externalIDs []string) ([]userstore.User, error) {
	const op = "users by external ID"
	if err := s.ready(ctx, op); err != nil {
		return nil, err
	}
	if s.cannotStore(source) {
		return nil, nil
	}
	vals := make([]any, 0, len(externalIDs))
	for _, id := range externalIDs {
		if id != "" && !s.cannotStore(id) {
			vals = append(vals, id)
		}
	}
	var out []userstore.User
	err := s.inChunks(vals, 3, func(in string, args []any) error {
		found, err := queryAll(ctx, s.db, func(r *sql.Rows) (userstore.User, error) { return scanUser(r) },
			s.q.selectUser+` WHERE u.realm = $1 AND u.source = $2 AND u.external_id <> '' AND u.external_id IN (`+in+`)`,
			append([]any{s.realm, source}, args...)...)
		out = append(out, found...)
		return err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

var _ userstore.SyncReader = (*Store)(nil)

type extKey struct{ source, externalID string }

// inserted is a user to insert and its normalized username.
type inserted struct {
	userstore.User
	norm string
}

// bulkEvent is a change-feed event to insert.
type bulkEvent struct {
	kind          userstore.ChangeKind
	userID, group string
}

// upsertSynced does UpsertSynced's work inside t.
func (t *tx) upsertSynced(ctx context.Context, users []userstore.SyncedUser, wants []map[string]string) ([]userstore.User, error) {
	s := t.s
	now := s.now()

	// Batches of a realm run one at a time, as they decide on what they
	// read: on PostgreSQL each takes the realm's row in usher_user_feed
	// (SQLite's transactions hold the database already). No other writer
	// takes it.
	if s.q.forUpdate != "" {
		var one int
		if err := t.QueryRowContext(ctx, `SELECT 1 FROM usher_user_feed WHERE realm = $1`+s.q.forUpdate, s.realm).Scan(&one); err != nil {
			return nil, fmt.Errorf("realm %q: %w", s.realm, err)
		}
	}

	// Read what the batch touches: the users with its external IDs (locked
	// until the commit, so that a failed login or an edit meanwhile cannot
	// change their Version under the batch), the owners of its usernames
	// and its groups.
	bySource := map[string][]any{}
	norms := make([]any, len(users))
	groupKeys := map[string]bool{}
	for i, su := range users {
		bySource[su.User.Source] = append(bySource[su.User.Source], su.User.ExternalID)
		norms[i] = userstore.NormalizeUsername(su.User.Username)
		for k := range wants[i] {
			groupKeys[k] = true
		}
	}
	stored := map[extKey]userstore.User{}
	for _, src := range slices.Sorted(maps.Keys(bySource)) {
		err := s.inChunks(bySource[src], 3, func(in string, args []any) error {
			found, err := queryAll(ctx, t, func(r *sql.Rows) (userstore.User, error) { return scanUser(r) },
				s.q.selectUser+` WHERE u.realm = $1 AND u.source = $2 AND u.external_id <> '' AND u.external_id IN (`+in+`)`+s.q.forUpdateOf, append([]any{s.realm, src}, args...)...)
			for _, u := range found {
				stored[extKey{u.Source, u.ExternalID}] = u
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	names := map[string]string{} // normalized username -> ID, "" for free
	err := s.inChunks(norms, 2, func(in string, args []any) error {
		rows, err := queryAll(ctx, t, func(r *sql.Rows) ([2]string, error) {
			var v [2]string
			return v, r.Scan(&v[0], &v[1])
		}, `SELECT username_norm, id FROM usher_users WHERE realm = $1 AND username_norm IN (`+in+`)`, append([]any{s.realm}, args...)...)
		for _, v := range rows {
			names[v[0]] = v[1]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	groups := map[string]string{} // key -> stored name
	err = s.inChunks(anys(slices.Sorted(maps.Keys(groupKeys))), 2, func(in string, args []any) error {
		rows, err := queryAll(ctx, t, func(r *sql.Rows) ([2]string, error) {
			var v [2]string
			return v, r.Scan(&v[0], &v[1])
		}, `SELECT name_norm, name FROM usher_groups WHERE realm = $1 AND name_norm IN (`+in+`)`, append([]any{s.realm}, args...)...)
		for _, v := range rows {
			groups[v[0]] = v[1]
		}
		return err
	})
	if err != nil {
		return nil, err
	}

	// Decide, as if the users were applied one by one.
	var (
		inserts    []inserted
		updates    []userstore.User
		newGroups  []userstore.Group
		addMembers [][2]string // group key, user ID
		delMembers [][2]string
		events     []bulkEvent
		out        = make([]userstore.User, len(users))
	)
	for i, su := range users {
		u, norm := su.User, norms[i].(string)
		old, exists := stored[extKey{u.Source, u.ExternalID}]
		id := old.ID
		if !exists {
			id = u.ID
			if id == "" {
				id = s.newID(now)
			}
		}
		if other := names[norm]; other != "" && other != id {
			return nil, syncedErr(i, u, fmt.Errorf("username %q is taken: %w", u.Username, userstore.ErrConflict))
		}
		var cur []string // current group keys
		if exists {
			next, changed := synced.Apply(old, u)
			if changed {
				names[userstore.NormalizeUsername(old.Username)] = ""
				next.UpdatedAt, next.Version = now, old.Version+1
				updates = append(updates, next)
				events = append(events, bulkEvent{userstore.UserUpdated, id, ""})
			}
			u = next
			for _, g := range old.Groups {
				key := userstore.NormalizeUsername(g)
				cur = append(cur, key)
				groups[key] = g
			}
			slices.Sort(cur)
		} else {
			u.ID, u.Attributes = id, synced.MergeAttributes(nil, u.Attributes)
			u.LockedUntil = fromNS(toNS(u.LockedUntil))
			u.CreatedAt, u.UpdatedAt, u.Version = now, now, 1
			inserts = append(inserts, inserted{u, norm})
			events = append(events, bulkEvent{userstore.UserCreated, id, ""})
		}
		names[norm] = id

		want := wants[i]
		for _, key := range cur {
			if _, keep := want[key]; !keep {
				delMembers = append(delMembers, [2]string{key, id})
				events = append(events, bulkEvent{userstore.MemberRemoved, id, groups[key]})
			}
		}
		u.Groups = make([]string, 0, len(want))
		for _, key := range slices.Sorted(maps.Keys(want)) {
			name, ok := groups[key]
			if !ok {
				name = want[key]
				groups[key] = name
				newGroups = append(newGroups, userstore.Group{Name: name})
				events = append(events, bulkEvent{userstore.GroupCreated, "", name})
			}
			u.Groups = append(u.Groups, name)
			if _, has := slices.BinarySearch(cur, key); !has {
				addMembers = append(addMembers, [2]string{key, id})
				events = append(events, bulkEvent{userstore.MemberAdded, id, name})
			}
		}
		slices.SortFunc(u.Groups, cmp.Compare)
		if len(u.Groups) == 0 {
			u.Groups = nil
		}
		out[i] = u
	}

	// Write: updates first, so that a username an update frees is free
	// for a user created later in the batch.
	if err := t.bulkUpdate(ctx, updates); err != nil {
		return nil, err
	}
	nowNS := toNS(now)
	err = insertRows(ctx, t, `usher_users (realm, id, username, username_norm, email, email_norm, email_verified,
	phone, display_name, given_name, family_name, enabled, must_change_password, password_hash, failed_logins, locked_until,
	attributes, source, external_id, created_at, updated_at, version)`, 22, inserts, func(in inserted) []any {
		u := in.User
		return []any{s.realm, u.ID, u.Username, in.norm, u.Email, userstore.NormalizeUsername(u.Email), u.EmailVerified,
			u.Phone, u.DisplayName, u.GivenName, u.FamilyName, u.Enabled, u.MustChangePassword, u.PasswordHash, u.FailedLogins, toNS(u.LockedUntil),
			marshalMap(u.Attributes), u.Source, u.ExternalID, nowNS, nowNS, 1}
	})
	if err != nil {
		return nil, err
	}
	err = insertRows(ctx, t, `usher_groups (realm, name_norm, name, description, metadata, created_at, updated_at, version)`, 8, newGroups,
		func(g userstore.Group) []any {
			return []any{s.realm, userstore.NormalizeUsername(g.Name), g.Name, "", "null", nowNS, nowNS, 1}
		})
	if err != nil {
		return nil, err
	}
	if len(delMembers) > 0 {
		st, err := t.PrepareContext(ctx, `DELETE FROM usher_members WHERE realm = $1 AND group_norm = $2 AND user_id = $3`)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		for _, m := range delMembers {
			if _, err := st.ExecContext(ctx, s.realm, m[0], m[1]); err != nil {
				return nil, err
			}
		}
	}
	err = insertRows(ctx, t, `usher_members (realm, group_norm, user_id)`, 3, addMembers, func(m [2]string) []any {
		return []any{s.realm, m[0], m[1]}
	})
	if err != nil {
		return nil, err
	}
	if len(events) == 0 {
		return out, nil
	}
	pos, err := t.positions(ctx, len(events))
	if err != nil {
		return nil, err
	}
	err = insertRows(ctx, t, `usher_changes (realm, pos, kind, user_id, group_name, at)`, 6, events, func(e bulkEvent) []any {
		p := pos
		pos++
		return []any{s.realm, p, string(e.kind), e.userID, e.group, nowNS}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// bulkUpdate sets the fields a sync owns on users, each at its read
// Version. The transaction read them locked (or, on SQLite, holds the
// database), so no other writer can have moved them.
func (t *tx) bulkUpdate(ctx context.Context, users []userstore.User) error {
	if len(users) == 0 {
		return nil
	}
	st, err := t.PrepareContext(ctx, `UPDATE usher_users SET username = $4, username_norm = $5, email = $6, email_norm = $7,
	phone = $8, display_name = $9, enabled = $10, attributes = $11, updated_at = $12, version = version + 1
WHERE realm = $1 AND id = $2 AND version = $3`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, u := range users {
		res, err := st.ExecContext(ctx, t.s.realm, u.ID, u.Version-1, u.Username, userstore.NormalizeUsername(u.Username),
			u.Email, userstore.NormalizeUsername(u.Email), u.Phone, u.DisplayName, u.Enabled, marshalMap(u.Attributes), toNS(u.UpdatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fmt.Errorf("user %s changed during the batch: %w", u.ID, userstore.ErrVersionConflict)
		}
	}
	return nil
}

// insertRows inserts rows into table (with its column list) with
// multi-row INSERTs of up to bulkRows rows of cols values each; the
// statement for full chunks is prepared once.
func insertRows[T any](ctx context.Context, t *tx, table string, cols int, rows []T, values func(T) []any) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	args := make([]any, 0, min(len(rows), bulkRows)*cols)
	for len(rows) > 0 {
		n := min(len(rows), bulkRows)
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, values(r)...)
		}
		var err error
		switch {
		case n < bulkRows:
			_, err = t.ExecContext(ctx, "INSERT INTO "+table+" VALUES "+t.s.placeholders(n, cols, 1), args...)
		case full == nil:
			if full, err = t.PrepareContext(ctx, "INSERT INTO "+table+" VALUES "+t.s.placeholders(n, cols, 1)); err != nil {
				return err
			}
			fallthrough
		default:
			_, err = full.ExecContext(ctx, args...)
		}
		if err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// placeholders returns n parenthesized rows of cols parameters, numbered
// from first on PostgreSQL. SQLite gets anonymous "?" parameters, which it
// binds in constant time ("$N" names it looks up in a list, which made
// large statements quadratic).
func (s *Store) placeholders(n, cols, first int) string {
	var b strings.Builder
	for r := range n {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if s.dialect == database.SQLite {
				b.WriteByte('?')
			} else {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(first))
			}
			first++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inChunks calls f with a list of placeholders, numbered from first, and
// its values, for up to bulkInList values of vals at a time.
func (s *Store) inChunks(vals []any, first int, f func(in string, args []any) error) error {
	for len(vals) > 0 {
		n := min(len(vals), bulkInList)
		in := s.placeholders(1, n, first)
		if err := f(in[1:len(in)-1], vals[:n]); err != nil {
			return err
		}
		vals = vals[n:]
	}
	return nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func syncedErr(i int, u userstore.User, err error) error {
	return &userstore.SyncedError{Index: i, Source: u.Source, ExternalID: u.ExternalID, Err: err}
}

var _ userstore.SyncWriter = (*Store)(nil)
