package sqlstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

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
// reads what the batch touches with a few queries, decides in memory,
// and writes with multi-row INSERTs on SQLite. On PostgreSQL it writes
// updates and new groups from arrays, and the new users, their
// memberships and the change-feed events with COPY when the database is
// opened with pgx's driver (as OpenPostgres and database.Open do; from
// arrays with another). On PostgreSQL the first batch of a Store that
// creates users also runs ANALYZE on the user, group and membership tables
// if they were never analyzed (a new database): without statistics a
// listing of a source's users read each page by sorting all of them.
// A batch whose users are all marked New (SyncedUser.New) does not read
// them: it takes them for new, and if the unique index says one is stored
// after all, the batch is tried again with them read. See
// userstore.SyncWriter.
func (s *Store) UpsertSynced(ctx context.Context, users []userstore.SyncedUser) ([]userstore.User, error) {
	const op = "upsert synced"
	wants, err := synced.CheckBatch(users, checkUser)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", op, err)
	}
	if len(users) == 0 {
		return nil, nil
	}
	prep := s.prepareSynced(users)
	var p *syncPlan
	// First without reading who owns the new users' usernames (see
	// planSynced), and, when the caller marked every user New, without
	// reading the batch's users either; if a username or an external ID
	// is taken after all, again with them read. A batch that a
	// concurrent one got ahead of (raced) is tried again.
	allNames, allStored := false, !allNew(users)
	for races := 0; ; {
		var lost error
		try := func(t *tx, write func(*syncPlan) error) error {
			if p, err = t.planSynced(ctx, users, wants, prep, allNames, allStored); err != nil {
				return err
			}
			err := write(p)
			if !allStored && externalTaken(err) {
				return errStoredUnread
			}
			if !allNames && usernameTaken(err) {
				return errNamesUnread
			}
			if raced(err) {
				lost = err
			}
			return err
		}
		if s.dialect == database.Postgres {
			err = s.writeRaw(ctx, op, func(t *tx, raw database.RawConn) error {
				return try(t, func(p *syncPlan) error { return t.copySynced(ctx, p, raw) })
			})
		} else {
			err = s.write(ctx, op, func(t *tx) error {
				return try(t, func(p *syncPlan) error { return t.writeSynced(ctx, p) })
			})
		}
		switch {
		case !allStored && errors.Is(err, errStoredUnread):
			allStored = true
			s.log.DebugContext(ctx, "sqlstore: upsert synced: a user marked new is stored; trying again with the batch's users read", "realm", s.realm)
			continue
		case !allNames && errors.Is(err, errNamesUnread):
			// The username may be that of a stored user of the batch,
			// unread: read those too.
			allNames, allStored = true, true
			s.log.DebugContext(ctx, "sqlstore: upsert synced: a new user's username is taken; trying again with the owners read", "realm", s.realm)
			continue
		case lost != nil && races < maxSyncedRaces:
			races++
			s.log.DebugContext(ctx, "sqlstore: upsert synced: a concurrent writer got ahead; trying again", "realm", s.realm, "err", lost)
			continue
		}
		break
	}
	if err != nil {
		return nil, err
	}
	s.analyzeIfNeverAnalyzed(ctx, len(p.inserts))
	return p.out, nil
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
	vals := make([]string, 0, len(externalIDs))
	for _, id := range externalIDs {
		if id != "" && !s.cannotStore(id) {
			vals = append(vals, id)
		}
	}
	var out []userstore.User
	err := s.matching(s.q.selectUser+` WHERE u.realm = $1 AND u.source = $2 AND u.external_id <> ''`, "u.external_id", "", vals, 3, func(query string, args []any) error {
		found, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (userstore.User, error) { return scanUser(r) },
			query, append([]any{s.realm, source}, args...)...)
		out = append(out, found...)
		return err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// syncedStatesPage is how many users one query of SyncedStates reads.
const syncedStatesPage = 5000

// SyncedStates streams the external IDs and enabled states of the users
// of source, in external-ID order, with keyset pagination on the
// external-ID index. See userstore.SyncReader.
func (s *Store) SyncedStates(ctx context.Context, source string) iter.Seq2[userstore.SyncedState, error] {
	const op = "synced states"
	return func(yield func(userstore.SyncedState, error) bool) {
		if err := s.ready(ctx, op); err != nil {
			yield(userstore.SyncedState{}, err)
			return
		}
		if s.cannotStore(source) {
			return
		}
		after := ""
		for {
			page, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (userstore.SyncedState, error) {
				var st userstore.SyncedState
				return st, r.Scan(&st.ExternalID, &st.Enabled)
			}, `SELECT external_id, enabled FROM usher_users WHERE realm = $1 AND source = $2 AND external_id <> '' AND external_id > $3
ORDER BY external_id LIMIT `+strconv.Itoa(syncedStatesPage), s.realm, source, after)
			if err != nil {
				yield(userstore.SyncedState{}, s.fail(op, err))
				return
			}
			for _, st := range page {
				if !yield(st, nil) {
					return
				}
			}
			if len(page) < syncedStatesPage {
				return
			}
			after = page[len(page)-1].ExternalID
		}
	}
}

var _ userstore.SyncReader = (*Store)(nil)

type extKey struct{ source, externalID string }

// inserted is a user to insert, its normalized username and e-mail
// address, and its attributes' JSON.
type inserted struct {
	userstore.User
	norm, emailNorm, attrsJSON string
}

// bulkEvent is a change-feed event to insert.
type bulkEvent struct {
	kind                   userstore.ChangeKind
	userID, group, groupID string
}

// newGroupID returns a group ID for a group UpsertSynced creates: 32
// lower-case hex digits, the form of the column's DEFAULT, made here so
// that the batch's change-feed events can carry it.
func newGroupID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// syncPlan is what a batch of UpsertSynced writes, decided from what the
// transaction read.
type syncPlan struct {
	now       time.Time
	out       []userstore.User
	inserts   []inserted
	updates   []userstore.User
	renamed   []bool // whether updates[k] changes its username
	newGroups []userstore.Group
	// addMembers are the new memberships (group key, user ID) of stored
	// users, newMembers those of the users the batch inserts, which no
	// other transaction can have made: the users are not committed yet.
	addMembers, newMembers [][2]string
	delMembers             [][2]string
	events                 []bulkEvent
}

// maxSyncedRaces is how many times UpsertSynced tries a batch again that
// concurrent writers got ahead of (raced).
const maxSyncedRaces = 3

// raced reports whether err is how PostgreSQL refuses a batch's
// transaction that a concurrent one got ahead of: a group or a user of
// an external ID that both created (the later waits for the earlier to
// commit, then fails on the unique index), a deadlock between them. A
// new transaction reads what the other one wrote and decides again.
// (SQLite's writers take turns: none races.)
func raced(err error) bool {
	e, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		return false
	}
	switch e.Code {
	case "40P01", "40001": // deadlock_detected, serialization_failure
		return true
	case "23505": // unique_violation
		switch e.ConstraintName {
		case "usher_groups_pkey", "usher_groups_id", "usher_users_external":
			return true
		}
	}
	return false
}

// errStoredUnread is returned from an UpsertSynced transaction that
// planSynced did not read the batch's users for, and whose insert found
// one of its external IDs stored: the batch is then tried again with
// them read.
var errStoredUnread = errors.New("a new user's external ID is stored")

// externalTaken reports whether err is the unique violation of the
// external IDs' index.
func externalTaken(err error) bool {
	return uniqueViolated(err, "usher_users_external", "usher_users.external_id")
}

// errNamesUnread is returned from an UpsertSynced transaction
// that planSynced did not read every username for, and whose insert
// found one of its new users' usernames taken: the batch is then tried
// again with them read, to find which user it was.
var errNamesUnread = errors.New("a new user's username is taken")

// usernameTaken reports whether err is the unique violation of the
// usernames' index.
func usernameTaken(err error) bool {
	return uniqueViolated(err, "usher_users_username", "usher_users.username_norm")
}

// uniqueViolated reports whether err is a unique violation of the index
// PostgreSQL names index, or of the one SQLite names by a column (its
// extended code SQLITE_CONSTRAINT_UNIQUE, its message naming the index's
// columns).
func uniqueViolated(err error, index, column string) bool {
	if e, ok := errors.AsType[*pgconn.PgError](err); ok {
		return e.Code == "23505" && e.ConstraintName == index
	}
	e, ok := errors.AsType[*sqlite.Error](err)
	return ok && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(e.Error(), column)
}

// planSynced reads what a batch of UpsertSynced touches inside t and
// decides what to write, as if the users were applied one by one; prep
// is the batch prepared by prepareSynced.
//
// Whether a username is free needs its owner, if any. The owners of the
// stored users' current usernames are known from reading those users;
// planSynced reads the owners of the usernames stored users change to,
// and, if allNames, of the new users' usernames. Without allNames a new
// user whose username belongs to a user outside the batch is only
// caught by the unique index when it is inserted, and the caller tries
// again with allNames (errNamesUnread): a first sync, where nearly every
// user is new and nearly no username taken, skips one lookup per user.
// Without allStored the batch's users are not read at all and every one
// is taken for new: the unique index on external IDs catches one that is
// stored, and the caller tries again with allStored (errStoredUnread).
func (t *tx) planSynced(ctx context.Context, users []userstore.SyncedUser, wants []map[string]string, prep *syncPrep, allNames, allStored bool) (*syncPlan, error) {
	s := t.s
	now := s.now()

	// On PostgreSQL, the position of the transaction's first change-feed
	// event (pg_current_xact_id gives the transaction its ID). Batches
	// run side by side there: the users a batch reads are locked, and
	// what it creates (users of new external IDs, groups) the unique
	// indexes guard; a batch that another got ahead of is tried again
	// (raced). SQLite's transactions hold the database.
	if s.dialect == database.Postgres {
		var first sql.NullInt64
		if err := t.QueryRowContext(ctx, `SELECT `+pgPosition+` FROM usher_user_feed WHERE realm = $1`, s.realm).Scan(&first); err != nil {
			return nil, fmt.Errorf("realm %q: %w", s.realm, err)
		}
		if first.Valid && !t.based {
			t.first, t.based = first.Int64, true
		}
	}

	// Read what the batch touches: the users with its external IDs (locked
	// until the commit, so that a failed login or an edit meanwhile cannot
	// change their Version under the batch), the owners of its usernames
	// and its groups.
	bySource := map[string][]string{}
	norms := prep.norms
	groupKeys := map[string]bool{}
	for i, su := range users {
		if allStored {
			bySource[su.User.Source] = append(bySource[su.User.Source], su.User.ExternalID)
		}
		for k := range wants[i] {
			groupKeys[k] = true
		}
	}
	stored := map[extKey]userstore.User{} // read below; their groups' keys join groupKeys
	for _, src := range slices.Sorted(maps.Keys(bySource)) {
		err := s.matching(s.q.selectUser+` WHERE u.realm = $1 AND u.source = $2 AND u.external_id <> ''`, "u.external_id", s.q.forUpdateOf, bySource[src], 3, func(query string, args []any) error {
			found, err := database.QueryAll(ctx, t, func(r *sql.Rows) (userstore.User, error) { return scanUser(r) },
				query, append([]any{s.realm, src}, args...)...)
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
	for _, u := range stored {
		names[userstore.NormalizeUsername(u.Username)] = u.ID
	}
	unread := norms
	if !allNames {
		unread = nil
		for i, su := range users {
			if _, known := names[norms[i]]; !known && stored[extKey{su.User.Source, su.User.ExternalID}].ID != "" {
				unread = append(unread, norms[i])
			}
		}
	}
	err := s.matching(`SELECT username_norm, id FROM usher_users WHERE realm = $1`, "username_norm", "", unread, 2, func(query string, args []any) error {
		rows, err := database.QueryAll(ctx, t, func(r *sql.Rows) ([2]string, error) {
			var v [2]string
			return v, r.Scan(&v[0], &v[1])
		}, query, append([]any{s.realm}, args...)...)
		for _, v := range rows {
			names[v[0]] = v[1]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, u := range stored {
		for _, g := range u.Groups {
			groupKeys[userstore.NormalizeUsername(g)] = true
		}
	}
	groups := map[string]string{}   // key -> stored name
	groupIDs := map[string]string{} // key -> group ID, for the change feed
	err = s.matching(`SELECT name_norm, name, id FROM usher_groups WHERE realm = $1`, "name_norm", "", slices.Sorted(maps.Keys(groupKeys)), 2, func(query string, args []any) error {
		rows, err := database.QueryAll(ctx, t, func(r *sql.Rows) ([3]string, error) {
			var v [3]string
			return v, r.Scan(&v[0], &v[1], &v[2])
		}, query, append([]any{s.realm}, args...)...)
		for _, v := range rows {
			groups[v[0]], groupIDs[v[0]] = v[1], v[2]
		}
		return err
	})
	if err != nil {
		return nil, err
	}

	// Decide, as if the users were applied one by one.
	// Sized for a first sync, where every user is new.
	memberships := 0
	for _, w := range wants {
		memberships += len(w)
	}
	p := &syncPlan{now: now, out: make([]userstore.User, len(users)),
		inserts: make([]inserted, 0, len(users)-len(stored)), events: make([]bulkEvent, 0, len(users)+memberships)}
	if len(stored) == 0 {
		p.newMembers = make([][2]string, 0, memberships)
	}
	var (
		inserts, updates, renamed, newGroups = &p.inserts, &p.updates, &p.renamed, &p.newGroups
		delMembers, events, out              = &p.delMembers, &p.events, p.out
	)
	for i, su := range users {
		u, norm := su.User, norms[i]
		old, exists := stored[extKey{u.Source, u.ExternalID}]
		id, fresh := old.ID, &prep.fresh[i]
		if !exists {
			id = fresh.id
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
				*updates = append(*updates, next)
				*renamed = append(*renamed, userstore.NormalizeUsername(next.Username) != userstore.NormalizeUsername(old.Username))
				*events = append(*events, bulkEvent{kind: userstore.UserUpdated, userID: id})
			}
			u = next
			for _, g := range old.Groups {
				key := userstore.NormalizeUsername(g)
				cur = append(cur, key)
				groups[key] = g
			}
			slices.Sort(cur)
		} else {
			u.ID, u.Attributes = id, fresh.attrs
			u.Roles = nil // a sync does not set roles (memstore's rule too)
			u.LockedUntil = fromNS(toNS(u.LockedUntil))
			u.CreatedAt, u.UpdatedAt, u.Version = now, now, 1
			*inserts = append(*inserts, inserted{u, norm, fresh.emailNorm, fresh.attrsJSON})
			*events = append(*events, bulkEvent{kind: userstore.UserCreated, userID: id})
		}
		names[norm] = id

		want := wants[i]
		for _, key := range cur {
			if _, keep := want[key]; !keep {
				*delMembers = append(*delMembers, [2]string{key, id})
				*events = append(*events, bulkEvent{userstore.MemberRemoved, id, groups[key], groupIDs[key]})
			}
		}
		u.Groups = make([]string, 0, len(want))
		var keyBuf [8]string
		for _, key := range sortedKeys(want, keyBuf[:0]) {
			name, ok := groups[key]
			if !ok {
				name = want[key]
				gid, err := newGroupID()
				if err != nil {
					return nil, err
				}
				groups[key], groupIDs[key] = name, gid
				*newGroups = append(*newGroups, userstore.Group{ID: gid, Name: name})
				*events = append(*events, bulkEvent{userstore.GroupCreated, "", name, gid})
			}
			u.Groups = append(u.Groups, name)
			if _, has := slices.BinarySearch(cur, key); !has {
				if exists {
					p.addMembers = append(p.addMembers, [2]string{key, id})
				} else {
					p.newMembers = append(p.newMembers, [2]string{key, id})
				}
				*events = append(*events, bulkEvent{userstore.MemberAdded, id, name, groupIDs[key]})
			}
		}
		slices.SortFunc(u.Groups, cmp.Compare)
		if len(u.Groups) == 0 {
			u.Groups = nil
		}
		out[i] = u
	}

	return p, nil
}

// writeSynced writes p inside t with the statements of database/sql.
func (t *tx) writeSynced(ctx context.Context, p *syncPlan) error {
	if err := t.writeStored(ctx, p); err != nil {
		return err
	}
	var pos int64
	if len(p.events) > 0 {
		var err error
		if pos, err = t.positions(ctx, len(p.events)); err != nil {
			return err
		}
	}
	return t.insertNew(ctx, p, pos)
}

// writeStored writes what p changes of stored users and groups: the
// updates first, so that a username an update frees is free for a user
// the batch creates (insertNew or copyNew, which come after), then the
// new groups, and the memberships that stored users lose and gain.
func (t *tx) writeStored(ctx context.Context, p *syncPlan) error {
	s := t.s
	if err := t.bulkUpdate(ctx, p.updates, p.renamed); err != nil {
		return err
	}
	nowNS := toNS(p.now)
	// In one order in every batch, so that two creating the same groups
	// wait on each other rather than deadlock.
	slices.SortFunc(p.newGroups, func(a, b userstore.Group) int {
		return cmp.Compare(userstore.NormalizeUsername(a.Name), userstore.NormalizeUsername(b.Name))
	})
	err := insertRows(ctx, t, `usher_groups (realm, name_norm, name, description, metadata, created_at, updated_at, version, id)`,
		[]colType{text, text, text, text, text, bigint, bigint, bigint, text}, p.newGroups,
		func(g userstore.Group) []any {
			return []any{s.realm, userstore.NormalizeUsername(g.Name), g.Name, "", "null", nowNS, nowNS, 1, g.ID}
		})
	if err != nil {
		return err
	}
	if len(p.delMembers) > 0 {
		st, err := t.PrepareContext(ctx, `DELETE FROM usher_members WHERE realm = $1 AND group_norm = $2 AND user_id = $3`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, m := range p.delMembers {
			if _, err := st.ExecContext(ctx, s.realm, m[0], m[1]); err != nil {
				return err
			}
		}
	}
	return insertRows(ctx, t, `usher_members (realm, group_norm, user_id)`, memberColumns, p.addMembers, func(m [2]string) []any {
		return []any{s.realm, m[0], m[1]}
	}, skipExisting)
}

// insertNew inserts p's new users, their memberships and the batch's
// change-feed events, the first at position pos.
func (t *tx) insertNew(ctx context.Context, p *syncPlan, pos int64) error {
	s := t.s
	nowNS := toNS(p.now)
	if s.dialect == database.SQLite {
		return t.insertNewSQLite(ctx, p, pos, nowNS)
	}
	if err := t.insertUsers(ctx, p.inserts, nowNS); err != nil {
		return err
	}
	if err := t.insertNewMembers(ctx, p); err != nil {
		return err
	}
	return insertRows(ctx, t, `usher_changes (realm, pos, kind, user_id, group_name, group_id, at)`, changeColumns, p.events, func(e bulkEvent) []any {
		q := pos
		pos++
		return []any{s.realm, q, string(e.kind), e.userID, e.group, e.groupID, nowNS}
	})
}

// insertUsers inserts new users with every column.
func (t *tx) insertUsers(ctx context.Context, users []inserted, nowNS int64) error {
	s := t.s
	return insertRows(ctx, t, `usher_users (realm, id, username, username_norm, email, email_norm, email_verified,
	phone, display_name, given_name, family_name, enabled, must_change_password, password_hash, failed_logins, locked_until,
	attributes, source, external_id, created_at, updated_at, version)`, userColumns, users, func(in inserted) []any {
		u := in.User
		return []any{s.realm, u.ID, u.Username, in.norm, u.Email, in.emailNorm, u.EmailVerified,
			u.Phone, u.DisplayName, u.GivenName, u.FamilyName, u.Enabled, u.MustChangePassword, u.PasswordHash, u.FailedLogins, toNS(u.LockedUntil),
			in.attrsJSON, u.Source, u.ExternalID, nowNS, nowNS, 1}
	})
}

// insertNewMembers inserts the memberships of the users p inserts.
func (t *tx) insertNewMembers(ctx context.Context, p *syncPlan) error {
	s := t.s
	return insertRows(ctx, t, `usher_members (realm, group_norm, user_id)`, memberColumns, p.newMembers, func(m [2]string) []any {
		return []any{s.realm, m[0], m[1]}
	}, skipExisting)
}

// bulkUpdate sets the fields a sync owns on users, each at its read
// Version. The transaction read them locked (or, on SQLite, holds the
// database), so no other writer can have moved them. On PostgreSQL the
// users whose username stays (renamed[k] false) are updated in one
// statement from arrays; the others, like every user on SQLite, one
// statement each and in order, since a username one of them frees may be
// taken by the next and PostgreSQL checks uniqueness row by row.
func (t *tx) bulkUpdate(ctx context.Context, users []userstore.User, renamed []bool) error {
	if len(users) == 0 {
		return nil
	}
	if t.s.dialect == database.Postgres {
		var same []userstore.User
		var rest []userstore.User
		for k, u := range users {
			if renamed[k] {
				rest = append(rest, u)
			} else {
				same = append(same, u)
			}
		}
		if err := t.updateUnnest(ctx, same); err != nil {
			return err
		}
		users = rest
		if len(users) == 0 {
			return nil
		}
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

// updateUnnest is bulkUpdate on PostgreSQL for users whose username
// stays: one UPDATE … FROM unnest of one array per column.
func (t *tx) updateUnnest(ctx context.Context, users []userstore.User) error {
	if len(users) == 0 {
		return nil
	}
	n := len(users)
	var (
		ids, names, norms, emails, emailNorms = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		phones, displays, attrs               = make([]string, n), make([]string, n), make([]string, n)
		versions, updated                     = make([]int64, n), make([]int64, n)
		enabled                               = make([]bool, n)
	)
	for k, u := range users {
		ids[k], versions[k], names[k], norms[k] = u.ID, u.Version-1, u.Username, userstore.NormalizeUsername(u.Username)
		emails[k], emailNorms[k], phones[k], displays[k] = u.Email, userstore.NormalizeUsername(u.Email), u.Phone, u.DisplayName
		enabled[k], attrs[k], updated[k] = u.Enabled, marshalMap(u.Attributes), toNS(u.UpdatedAt)
	}
	res, err := t.ExecContext(ctx, `UPDATE usher_users u SET username = v.username, username_norm = v.username_norm, email = v.email,
	email_norm = v.email_norm, phone = v.phone, display_name = v.display_name, enabled = v.enabled, attributes = v.attributes,
	updated_at = v.updated_at, version = u.version + 1
FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[], $12::bigint[])
	AS v(id, version, username, username_norm, email, email_norm, phone, display_name, enabled, attributes, updated_at)
WHERE u.realm = $1 AND u.id = v.id AND u.version = v.version`,
		t.s.realm, ids, versions, names, norms, emails, emailNorms, phones, displays, enabled, attrs, updated)
	if err != nil {
		return err
	}
	if got, err := res.RowsAffected(); err != nil {
		return err
	} else if got != int64(n) {
		return fmt.Errorf("%d of %d users changed during the batch: %w", int64(n)-got, n, userstore.ErrVersionConflict)
	}
	return nil
}

// colType is the PostgreSQL type of a column insertRows writes, which
// names the array its values are sent in.
type colType string

const (
	text    colType = "text"
	bigint  colType = "bigint"
	boolean colType = "boolean"
)

// memberColumns and changeColumns are the types of the columns
// UpsertSynced inserts memberships and change-feed events with.
var (
	memberColumns = []colType{text, text, text}
	changeColumns = []colType{text, bigint, text, text, text, text, bigint}
)

// userColumns are the types of the columns UpsertSynced inserts users
// with.
var userColumns = []colType{text, text, text, text, text, text, boolean,
	text, text, text, text, boolean, boolean, text, bigint, bigint,
	text, text, text, bigint, bigint, bigint}

// insertRows inserts rows into table (with its column list, of the types
// cols). On PostgreSQL it sends one array per column and inserts them
// all in one statement (INSERT … SELECT FROM unnest), so that a batch
// costs one round trip and no statement of thousands of parameters; on
// SQLite it writes multi-row INSERTs of up to bulkRows rows.
func insertRows[T any](ctx context.Context, t *tx, table string, cols []colType, rows []T, values func(T) []any, opts ...insertOption) error {
	if len(rows) == 0 {
		return nil
	}
	suffix := ""
	for _, o := range opts {
		if o == skipExisting {
			suffix = " ON CONFLICT DO NOTHING"
		}
	}
	if t.s.dialect == database.Postgres {
		return insertUnnest(ctx, t, table, suffix, cols, rows, values)
	}
	row := strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",")
	return insertShared(ctx, t, sharedInsert{table: table, row: row, vals: len(cols), suffix: suffix}, nil, rows,
		func(args []any, r T) []any { return append(args, values(r)...) })
}

// insertOption changes what insertRows does.
type insertOption int

// skipExisting makes insertRows leave out rows whose key is stored
// already (ON CONFLICT DO NOTHING): a membership a concurrent writer made
// between the batch's read and its insert is not a conflict.
const skipExisting insertOption = 1

// insertUnnest is insertRows on PostgreSQL: the values of each column go
// in one typed array (pgx encodes []string, []int64 and []bool as
// PostgreSQL arrays), and unnest turns the arrays back into rows.
func insertUnnest[T any](ctx context.Context, t *tx, table, suffix string, cols []colType, rows []T, values func(T) []any) error {
	arrays := make([]any, len(cols))
	for c, ct := range cols {
		switch ct {
		case text:
			arrays[c] = make([]string, 0, len(rows))
		case bigint:
			arrays[c] = make([]int64, 0, len(rows))
		case boolean:
			arrays[c] = make([]bool, 0, len(rows))
		}
	}
	for _, r := range rows {
		for c, v := range values(r) {
			switch a := arrays[c].(type) {
			case []string:
				arrays[c] = append(a, v.(string))
			case []int64:
				arrays[c] = append(a, toInt64(v))
			case []bool:
				arrays[c] = append(a, v.(bool))
			}
		}
	}
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" SELECT * FROM unnest(")
	for c, ct := range cols {
		if c > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "$%d::%s[]", c+1, ct)
	}
	b.WriteByte(')')
	b.WriteString(suffix)
	_, err := t.ExecContext(ctx, b.String(), arrays...)
	return err
}

// toInt64 converts the integers insertRows is given.
func toInt64(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	}
	panic(fmt.Sprintf("sqlstore: insertRows: %T in a bigint column", v))
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

// matching calls f with a query that selects the rows of query (a
// SELECT with a WHERE clause) whose col is one of vals, followed by
// suffix (a locking clause), and the arguments of the values, whose
// parameters are numbered from first.
//
// On PostgreSQL it calls f once, with all of vals in one array, and looks
// each value up on its own through the index (a LATERAL subquery per
// element of unnest): a plan that does not depend on statistics, which
// lag behind a bulk load (with col = ANY(…) the planner, believing the
// table small, filtered every user of the realm against the array, and
// each batch took longer than the one before). On SQLite it calls f once
// per bulkInList values, with col IN (?, ?, …).
func (s *Store) matching(query, col, suffix string, vals []string, first int, f func(query string, args []any) error) error {
	if len(vals) == 0 {
		return nil
	}
	if s.dialect == database.Postgres {
		return f(`SELECT m.* FROM unnest($`+strconv.Itoa(first)+`::text[]) AS want(v) CROSS JOIN LATERAL (`+
			query+` AND `+col+` = want.v OFFSET 0`+suffix+`) m`, []any{vals})
	}
	for len(vals) > 0 {
		n := min(len(vals), bulkInList)
		in := s.placeholders(1, n, first)
		args := make([]any, n)
		for i, v := range vals[:n] {
			args[i] = v
		}
		if err := f(query+` AND `+col+` IN (`+in[1:len(in)-1]+`)`+suffix, args); err != nil {
			return err
		}
		vals = vals[n:]
	}
	return nil
}

func syncedErr(i int, u userstore.User, err error) error {
	return &userstore.SyncedError{Index: i, Source: u.Source, ExternalID: u.ExternalID, Err: err}
}

var _ userstore.SyncWriter = (*Store)(nil)

// allNew reports whether the caller marked every user of the batch New.
func allNew(users []userstore.SyncedUser) bool {
	for _, su := range users {
		if !su.New {
			return false
		}
	}
	return true
}
