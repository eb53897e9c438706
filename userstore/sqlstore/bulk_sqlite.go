package sqlstore

import (
	"context"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

// On SQLite binding a statement's parameters was a quarter of a first
// sync's writer time (each value is copied into SQLite, under its
// connection's mutex), so UpsertSynced binds what every row of a batch
// shares once, as numbered parameters that each row names (?1, ?2), and
// leaves out of its new users the columns that hold their defaults in a
// directory's users (no password, no lock-out, no given or family name,
// e-mail not verified): 11 values a user instead of 22, and 5 a
// change-feed event instead of 7.

// sharedInsert is a multi-row INSERT on SQLite whose rows may refer to
// shared parameters: row is one row's list of values, in which ?1…?k are
// the shared values and each "?" one of the row's own (vals a row);
// suffix follows the rows (ON CONFLICT …).
type sharedInsert struct {
	table, row, suffix string
	vals               int
}

var (
	// plainUsers inserts new users whose other columns keep their
	// defaults; ?1 is the realm, ?2 the batch's time.
	plainUsers = sharedInsert{
		table: `usher_users (realm, created_at, updated_at, version, id, username, username_norm, email, email_norm,
	phone, display_name, enabled, attributes, source, external_id)`,
		row:  "?1,?2,?2,1,?,?,?,?,?,?,?,?,?,?,?",
		vals: 11,
	}
	// changeEvents inserts change-feed events; ?1 is the realm, ?2 the
	// batch's time.
	changeEvents = sharedInsert{
		table: `usher_changes (realm, at, pos, kind, user_id, group_name, group_id)`,
		row:   "?1,?2,?,?,?,?,?",
		vals:  5,
	}
)

// plainUser reports whether u's columns outside plainUsers hold their
// defaults.
func plainUser(u *userstore.User) bool {
	return !u.EmailVerified && u.GivenName == "" && u.FamilyName == "" && !u.MustChangePassword &&
		u.PasswordHash == "" && u.FailedLogins == 0 && toNS(u.LockedUntil) == 0
}

// insertShared writes rows with ins, bulkRows a statement, shared bound
// once per statement; add appends a row's own values to args. The
// connection keeps each statement prepared (database's statement cache):
// a full chunk's is compiled once per connection, not once per batch.
func insertShared[T any](ctx context.Context, t *tx, ins sharedInsert, shared []any, rows []T, add func(args []any, r T) []any) error {
	full := ""
	args := make([]any, 0, len(shared)+min(len(rows), bulkRows)*ins.vals)
	for len(rows) > 0 {
		n := min(len(rows), bulkRows)
		args = append(args[:0], shared...)
		for _, r := range rows[:n] {
			args = add(args, r)
		}
		query := full
		if n < bulkRows || full == "" {
			var b strings.Builder
			b.WriteString("INSERT INTO " + ins.table + " VALUES ")
			for i := range n {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString("(" + ins.row + ")")
			}
			b.WriteString(ins.suffix)
			if query = b.String(); n == bulkRows {
				full = query
			}
		}
		if _, err := t.ExecContext(ctx, query, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// insertNewSQLite is insertNew's writing of new users and change-feed
// events on SQLite.
func (t *tx) insertNewSQLite(ctx context.Context, p *syncPlan, pos int64, nowNS int64) error {
	shared := []any{t.s.realm, nowNS}
	plain, other := splitPlain(p.inserts)
	err := insertShared(ctx, t, plainUsers, shared, plain, func(args []any, in inserted) []any {
		u := in.User
		return append(args, u.ID, u.Username, in.norm, u.Email, in.emailNorm, u.Phone, u.DisplayName, u.Enabled,
			in.attrsJSON, u.Source, u.ExternalID)
	})
	if err != nil {
		return err
	}
	if err := t.insertUsers(ctx, other, nowNS); err != nil {
		return err
	}
	if err := t.insertNewMembers(ctx, p); err != nil {
		return err
	}
	return insertShared(ctx, t, changeEvents, shared, p.events, func(args []any, e bulkEvent) []any {
		args = append(args, pos, string(e.kind), e.userID, e.group, e.groupID)
		pos++
		return args
	})
}

// splitPlain returns the users of ins that are plainUser and the others,
// in their order; ins itself when all are plain (a directory's users),
// else copies.
func splitPlain(ins []inserted) (plain, other []inserted) {
	n := 0
	for i := range ins {
		if plainUser(&ins[i].User) {
			n++
		}
	}
	if n == len(ins) {
		return ins, nil
	}
	plain, other = make([]inserted, 0, n), make([]inserted, 0, len(ins)-n)
	for i := range ins {
		if plainUser(&ins[i].User) {
			plain = append(plain, ins[i])
		} else {
			other = append(other, ins[i])
		}
	}
	return plain, other
}
