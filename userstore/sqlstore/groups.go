package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
)

const selectGroup = `SELECT id, name, description, metadata, created_at, updated_at, version FROM usher_groups`

func scanGroup(r scanner) (userstore.Group, error) {
	var (
		g            userstore.Group
		meta         string
		created, upd int64
	)
	if err := r.Scan(&g.ID, &g.Name, &g.Description, &meta, &created, &upd, &g.Version); err != nil {
		return userstore.Group{}, err
	}
	g.CreatedAt, g.UpdatedAt = fromNS(created), fromNS(upd)
	var err error
	if g.Metadata, err = unmarshalMap(meta); err != nil {
		return userstore.Group{}, fmt.Errorf("group %q: metadata: %w", g.Name, err)
	}
	return g, nil
}

// getGroup reads the group with the normalized name key.
func (s *Store) getGroup(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, key string, lock ...string) (userstore.Group, error) {
	if s.cannotStore(key) {
		return userstore.Group{}, userstore.ErrNotFound
	}
	g, err := scanGroup(q.QueryRowContext(ctx, selectGroup+` WHERE realm = $1 AND name_norm = $2`+strings.Join(lock, ""), s.realm, key))
	if errors.Is(err, sql.ErrNoRows) {
		return userstore.Group{}, userstore.ErrNotFound
	}
	return g, err
}

// getGroupByID reads the group with the given ID.
func (s *Store) getGroupByID(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string, lock string) (userstore.Group, error) {
	if s.cannotStore(id) {
		return userstore.Group{}, userstore.ErrNotFound
	}
	g, err := scanGroup(q.QueryRowContext(ctx, selectGroup+` WHERE realm = $1 AND id = $2`+lock, s.realm, id))
	if errors.Is(err, sql.ErrNoRows) {
		return userstore.Group{}, userstore.ErrNotFound
	}
	return g, err
}

// GetGroupByID returns the group with the given ID, or an error matching
// userstore.ErrNotFound.
func (s *Store) GetGroupByID(ctx context.Context, id string) (userstore.Group, error) {
	const op = "get group by ID"
	if err := s.ready(ctx, op); err != nil {
		return userstore.Group{}, err
	}
	g, err := s.getGroupByID(ctx, s.db, id, "")
	return g, s.fail(op, err)
}

// CreateGroup stores a new group with Version 1.
func (s *Store) CreateGroup(ctx context.Context, g userstore.Group) (userstore.Group, error) {
	const op = "create group"
	if err := g.Validate(); err != nil {
		return userstore.Group{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	if err := checkText("Description", g.Description, "Metadata", g.Metadata); err != nil {
		return userstore.Group{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	var out userstore.Group
	err := s.write(ctx, op, func(t *tx) error {
		var err error
		out, err = t.addGroup(ctx, userstore.NormalizeUsername(g.Name), g)
		return err
	})
	return out, err
}

// addGroup inserts a new group under key and records its creation.
func (t *tx) addGroup(ctx context.Context, key string, g userstore.Group) (userstore.Group, error) {
	now := t.s.now()
	g.Metadata = maps.Clone(g.Metadata)
	g.CreatedAt, g.UpdatedAt, g.Version = now, now, 1
	// The ID is the column's DEFAULT, which inserts that do not name it
	// (SyncWriter's) get too.
	err := t.QueryRowContext(ctx, `INSERT INTO usher_groups (realm, name_norm, name, description, metadata, created_at, updated_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $6, 1) RETURNING id`, t.s.realm, key, g.Name, g.Description, marshalMap(g.Metadata), toNS(now)).Scan(&g.ID)
	if err != nil {
		return userstore.Group{}, err
	}
	return g, t.emitGroup(ctx, userstore.GroupCreated, "", g.Name, g.ID, now)
}

// ensureGroup creates the group name under key unless another writer
// has just created it, and returns the group as stored.
func (t *tx) ensureGroup(ctx context.Context, key, name string) (userstore.Group, error) {
	now := t.s.now()
	var id string
	err := t.QueryRowContext(ctx, `INSERT INTO usher_groups (realm, name_norm, name, description, metadata, created_at, updated_at, version)
VALUES ($1, $2, $3, '', 'null', $4, $4, 1) ON CONFLICT DO NOTHING RETURNING id`, t.s.realm, key, name, toNS(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // created meanwhile (PostgreSQL waited for it)
		return t.s.getGroup(ctx, t, key)
	}
	if err != nil {
		return userstore.Group{}, err
	}
	return userstore.Group{ID: id, Name: name, CreatedAt: now, UpdatedAt: now, Version: 1}, t.emitGroup(ctx, userstore.GroupCreated, "", name, id, now)
}

// GetGroup finds a group by name without regard to case.
func (s *Store) GetGroup(ctx context.Context, name string) (userstore.Group, error) {
	const op = "get group"
	if err := s.ready(ctx, op); err != nil {
		return userstore.Group{}, err
	}
	g, err := s.getGroup(ctx, s.db, userstore.NormalizeUsername(name))
	return g, s.fail(op, err)
}

// UpdateGroup changes description and metadata, if g.Version is current.
// Errors: ErrNotFound, ErrVersionConflict.
func (s *Store) UpdateGroup(ctx context.Context, g userstore.Group) (userstore.Group, error) {
	if err := checkText("Description", g.Description, "Metadata", g.Metadata); err != nil {
		return userstore.Group{}, fmt.Errorf("sqlstore: update group: %w", err)
	}
	var out userstore.Group
	err := s.write(ctx, "update group", func(t *tx) error {
		key := userstore.NormalizeUsername(g.Name)
		now := s.now()
		res, err := t.ExecContext(ctx, `UPDATE usher_groups SET description = $4, metadata = $5, updated_at = $6, version = version + 1
WHERE realm = $1 AND name_norm = $2 AND version = $3`, s.realm, key, g.Version, g.Description, marshalMap(g.Metadata), toNS(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			stored, err := s.getGroup(ctx, t, key)
			if err != nil {
				return err
			}
			return fmt.Errorf("version %d, stored %d: %w", g.Version, stored.Version, userstore.ErrVersionConflict)
		}
		if out, err = s.getGroup(ctx, t, key); err != nil {
			return err
		}
		return t.emitGroup(ctx, userstore.GroupUpdated, "", out.Name, out.ID, now)
	})
	return out, err
}

// DeleteGroup removes a group and its memberships.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	return s.write(ctx, "delete group", func(t *tx) error {
		key := userstore.NormalizeUsername(name)
		// The group's row before its memberships, as UpdateGroupByID
		// takes them, so that the two cannot deadlock on PostgreSQL.
		if _, err := s.getGroup(ctx, t, key, s.q.forUpdate); err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM usher_members WHERE realm = $1 AND group_norm = $2`, s.realm, key); err != nil {
			return err
		}
		var stored, id string
		err := t.QueryRowContext(ctx, `DELETE FROM usher_groups WHERE realm = $1 AND name_norm = $2 RETURNING name, id`, s.realm, key).Scan(&stored, &id)
		if errors.Is(err, sql.ErrNoRows) {
			return userstore.ErrNotFound
		} else if err != nil {
			return err
		}
		return t.emitGroup(ctx, userstore.GroupDeleted, "", stored, id, s.now())
	})
}

// ListGroups streams groups in ascending name order, a page per query.
func (s *Store) ListGroups(ctx context.Context) iter.Seq2[userstore.Group, error] {
	return stream(ctx, s, "list groups", 0, "", func(ctx context.Context, after string, n int) ([]userstore.Group, string, error) {
		page, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (userstore.Group, error) { return scanGroup(r) },
			selectGroup+` WHERE realm = $1 AND name > $2 ORDER BY name LIMIT `+fmt.Sprint(n), s.realm, after)
		if len(page) > 0 {
			after = page[len(page)-1].Name
		}
		return page, after, err
	})
}

// AddMember adds a user to a group; adding a member twice is not an error
// and records no change.
func (s *Store) AddMember(ctx context.Context, group, userID string) error {
	return s.write(ctx, "add member", func(t *tx) error {
		key := userstore.NormalizeUsername(group)
		g, err := s.getGroup(ctx, t, key)
		if err != nil {
			return fmt.Errorf("group %q: %w", group, err)
		}
		if err := t.userExists(ctx, userID); err != nil {
			return err
		}
		return t.addMember(ctx, key, g, userID)
	})
}

// userExists returns ErrNotFound unless the user is stored.
func (t *tx) userExists(ctx context.Context, userID string) error {
	if t.s.cannotStore(userID) {
		return fmt.Errorf("user: %w", userstore.ErrNotFound)
	}
	var one int
	err := t.QueryRowContext(ctx, `SELECT 1 FROM usher_users WHERE realm = $1 AND id = $2`, t.s.realm, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user: %w", userstore.ErrNotFound)
	}
	return err
}

// lockUser locks the user's row until the transaction ends (SQLite's
// transaction holds the database already), or returns ErrNotFound.
func (t *tx) lockUser(ctx context.Context, userID string) error {
	if t.s.cannotStore(userID) {
		return fmt.Errorf("user: %w", userstore.ErrNotFound)
	}
	var one int
	err := t.QueryRowContext(ctx, `SELECT 1 FROM usher_users WHERE realm = $1 AND id = $2`+t.s.q.forUpdate, t.s.realm, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user: %w", userstore.ErrNotFound)
	}
	return err
}

// addMember and removeMember change one membership and record it when it
// changed.
func (t *tx) addMember(ctx context.Context, key string, g userstore.Group, userID string) error {
	res, err := t.ExecContext(ctx, `INSERT INTO usher_members (realm, group_norm, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, t.s.realm, key, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return t.emitGroup(ctx, userstore.MemberAdded, userID, g.Name, g.ID, t.s.now())
}

func (t *tx) removeMember(ctx context.Context, key string, g userstore.Group, userID string) error {
	res, err := t.ExecContext(ctx, `DELETE FROM usher_members WHERE realm = $1 AND group_norm = $2 AND user_id = $3`, t.s.realm, key, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return t.emitGroup(ctx, userstore.MemberRemoved, userID, g.Name, g.ID, t.s.now())
}

// RemoveMember removes a user from a group; removing a non-member, or from
// a group that does not exist, is not an error and records no change.
func (s *Store) RemoveMember(ctx context.Context, group, userID string) error {
	return s.write(ctx, "remove member", func(t *tx) error {
		key := userstore.NormalizeUsername(group)
		g, err := s.getGroup(ctx, t, key)
		if errors.Is(err, userstore.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return t.removeMember(ctx, key, g, userID)
	})
}

// SetUserGroups makes groups the whole list of the user's groups, creating
// groups that do not exist yet. Names are matched without regard to case;
// a group it creates takes the first spelling in groups. An invalid name
// is an error matching ErrInvalid, and nothing is changed. Changes are
// recorded in a stable order: removals, then additions, by normalized name.
func (s *Store) SetUserGroups(ctx context.Context, userID string, groups []string) error {
	const op = "set user groups"
	want := make(map[string]string, len(groups)) // key -> name as given
	for _, name := range groups {
		if err := (userstore.Group{Name: name}).Validate(); err != nil {
			return fmt.Errorf("sqlstore: %s: %w", op, err)
		}
		key := userstore.NormalizeUsername(name)
		if _, dup := want[key]; !dup {
			want[key] = name
		}
	}
	return s.write(ctx, op, func(t *tx) error {
		// The user's row is locked first, so that calls for one user run
		// one after the other (each reads the groups it replaces).
		if err := t.lockUser(ctx, userID); err != nil {
			return err
		}
		type member struct{ key, name, id string }
		current, err := database.QueryAll(ctx, t, func(r *sql.Rows) (member, error) {
			var m member
			return m, r.Scan(&m.key, &m.name, &m.id)
		}, `SELECT m.group_norm, g.name, g.id FROM usher_members m JOIN usher_groups g ON g.realm = m.realm AND g.name_norm = m.group_norm
WHERE m.realm = $1 AND m.user_id = $2 ORDER BY m.group_norm`, s.realm, userID)
		if err != nil {
			return err
		}
		for _, m := range current {
			if _, keep := want[m.key]; !keep {
				if err := t.removeMember(ctx, m.key, userstore.Group{ID: m.id, Name: m.name}, userID); err != nil {
					return err
				}
			}
		}
		for _, key := range slices.Sorted(maps.Keys(want)) {
			g, err := s.getGroup(ctx, t, key)
			if errors.Is(err, userstore.ErrNotFound) {
				g, err = t.ensureGroup(ctx, key, want[key])
			}
			if err != nil {
				return err
			}
			if err := t.addMember(ctx, key, g, userID); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListMembers streams the members of a group in ascending ID order, a page
// per query, or yields ErrNotFound when the group does not exist.
func (s *Store) ListMembers(ctx context.Context, group string) iter.Seq2[userstore.User, error] {
	key := userstore.NormalizeUsername(group)
	query := s.q.selectUser + ` JOIN usher_members gm ON gm.realm = u.realm AND gm.user_id = u.id
WHERE u.realm = $1 AND gm.group_norm = $2 AND u.id > $3 ORDER BY u.id LIMIT `
	return stream(ctx, s, "list members", 0, "", func(ctx context.Context, after string, n int) ([]userstore.User, string, error) {
		if after == "" {
			if _, err := s.getGroup(ctx, s.db, key); err != nil {
				return nil, after, fmt.Errorf("group %q: %w", group, err)
			}
		}
		page, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (userstore.User, error) { return scanUser(r) }, query+fmt.Sprint(n), s.realm, key, after)
		if len(page) > 0 {
			after = page[len(page)-1].ID
		}
		return page, after, err
	})
}

// UpdateGroupByID renames the group, replaces its description and
// metadata and changes its members in one transaction. See
// userstore.GroupStore.
func (s *Store) UpdateGroupByID(ctx context.Context, u userstore.GroupUpdate) (userstore.Group, error) {
	const op = "update group by ID"
	g := u.Group
	if g.Name != "" {
		if err := g.Validate(); err != nil {
			return userstore.Group{}, fmt.Errorf("sqlstore: %s: %w", op, err)
		}
	}
	if err := checkText("Description", g.Description, "Metadata", g.Metadata); err != nil {
		return userstore.Group{}, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	remove := make(map[string]bool, len(u.RemoveMembers))
	for _, id := range u.RemoveMembers {
		remove[id] = true
	}
	add := map[string]bool{}
	for _, id := range u.AddMembers {
		if remove[id] {
			return userstore.Group{}, fmt.Errorf("sqlstore: %s: %w", op, &userstore.ValidationError{Field: "AddMembers", Reason: "names a user that RemoveMembers names too"})
		}
		add[id] = true
	}
	var (
		out userstore.Group
		err error
	)
	// The lock order rules out deadlocks with the other GroupStore
	// writes; a SyncWriter batch locks its users in another order, and a
	// deadlock with one (PostgreSQL aborts one of the two) is run again.
	for attempt := 0; attempt == 0 || attempt < 3 && isDeadlock(err); attempt++ {
		err = s.write(ctx, op, func(t *tx) error {
			var err error
			out, err = t.updateGroupByID(ctx, g, add, remove)
			return err
		})
	}
	if err != nil {
		return userstore.Group{}, err
	}
	return out, nil
}

// updateGroupByID is one attempt of UpdateGroupByID.
func (t *tx) updateGroupByID(ctx context.Context, g userstore.Group, add, remove map[string]bool) (userstore.Group, error) {
	s := t.s
	// The users' rows first, in ID order, and the group's last, the order
	// of SetUserGroups and DeleteUser (user, then memberships), so that
	// none of them can deadlock with this one on PostgreSQL.
	var gone map[string]bool // users to remove that do not exist
	for _, id := range slices.Sorted(maps.Keys(add)) {
		if err := t.lockUser(ctx, id); err != nil {
			return userstore.Group{}, fmt.Errorf("user %q: %w", id, err)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(remove)) {
		err := t.lockUser(ctx, id)
		if errors.Is(err, userstore.ErrNotFound) {
			if gone == nil {
				gone = map[string]bool{}
			}
			gone[id] = true
		} else if err != nil {
			return userstore.Group{}, err
		}
	}
	stored, err := s.getGroupByID(ctx, t, g.ID, s.q.forUpdate)
	if err != nil {
		return userstore.Group{}, err
	}
	if g.Version != stored.Version {
		return userstore.Group{}, fmt.Errorf("version %d, stored %d: %w", g.Version, stored.Version, userstore.ErrVersionConflict)
	}
	out := stored
	if g.Name != "" {
		out.Name = g.Name
	}
	newKey := userstore.NormalizeUsername(out.Name)
	if out.Name != stored.Name || g.Description != stored.Description || !maps.Equal(g.Metadata, stored.Metadata) {
		now := s.now()
		// A name another group has fails the primary key: ErrConflict.
		// Memberships follow: by ON UPDATE CASCADE on SQLite, by the
		// usher_groups_renamed trigger on PostgreSQL.
		_, err := t.ExecContext(ctx, `UPDATE usher_groups SET name_norm = $3, name = $4, description = $5, metadata = $6,
	updated_at = $7, version = version + 1 WHERE realm = $1 AND id = $2`,
			s.realm, g.ID, newKey, out.Name, g.Description, marshalMap(g.Metadata), toNS(now))
		if err != nil {
			return userstore.Group{}, err
		}
		out.Description, out.Metadata = g.Description, maps.Clone(g.Metadata)
		out.UpdatedAt, out.Version = fromNS(toNS(now)), stored.Version+1
		if err := t.emitGroup(ctx, userstore.GroupUpdated, "", out.Name, out.ID, now); err != nil {
			return userstore.Group{}, err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(remove)) {
		if gone[id] {
			continue
		}
		if err := t.removeMember(ctx, newKey, out, id); err != nil {
			return userstore.Group{}, err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(add)) {
		if err := t.addMember(ctx, newKey, out, id); err != nil {
			return userstore.Group{}, err
		}
	}
	return out, nil
}
