package sqlstore

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/usher-sdk/usher/database"
)

// writeRaw is write for PostgreSQL writers that may reach the driver's
// connection (database.DB.TxRaw).
func (s *Store) writeRaw(ctx context.Context, op string, fn func(*tx, database.RawConn) error) error {
	if err := s.writable(ctx, op); err != nil {
		return err
	}
	err := s.base.TxRaw(ctx, func(sqlTx *sql.Tx, raw database.RawConn) error {
		t := &tx{Tx: sqlTx, s: s}
		if err := fn(t, raw); err != nil {
			return err
		}
		return t.saveCounter(ctx)
	})
	return s.fail(op, err)
}

// pgxConn is what pgx's database/sql driver (github.com/jackc/pgx/v5/stdlib)
// connections offer besides database/sql's interfaces.
type pgxConn interface{ Conn() *pgx.Conn }

// copySynced writes p on PostgreSQL. What the rows of stored users and
// groups need goes through writeStored; the batch's new users, their
// memberships and its change-feed events, nearly all of a first sync's
// rows, are sent with COPY in PostgreSQL's binary format when the
// database is opened with pgx's driver: the server then skips parsing
// and planning, and writes each table's rows in multi-row batches
// (heap_multi_insert) rather than row by row, and the Go side encodes
// plain bytes instead of one array per column. With any other driver
// they are inserted as on every database (insertNew).
//
// COPY has no ON CONFLICT: it may, since no other transaction can have
// made a membership of a user this one inserted and has not committed
// (the membership's check, a foreign key on SQLite and the
// usher_members_inserted trigger on PostgreSQL, would not find the user).
func (t *tx) copySynced(ctx context.Context, p *syncPlan, raw database.RawConn) error {
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
	copied := false
	err := raw(func(dc any) error {
		c, ok := dc.(pgxConn)
		if !ok {
			return nil
		}
		copied = true
		return t.copyNew(ctx, c.Conn().PgConn(), p, pos)
	})
	if err != nil || copied {
		return err
	}
	return t.insertNew(ctx, p, pos)
}

// copyNew is copySynced's COPY of p's new users, their memberships and
// the change-feed events (the first at position pos) on conn.
func (t *tx) copyNew(ctx context.Context, conn *pgconn.PgConn, p *syncPlan, pos int64) error {
	realm, nowNS := t.s.realm, toNS(p.now)
	var r copyRows
	if len(p.inserts) > 0 {
		err := r.copyIn(ctx, conn, `usher_users (realm, id, username, username_norm, email, email_norm, email_verified,
	phone, display_name, given_name, family_name, enabled, must_change_password, password_hash, failed_logins, locked_until,
	attributes, source, external_id, created_at, updated_at, version)`, len(p.inserts), func(b *copyData, i int) {
			in := &p.inserts[i]
			u := &in.User
			b.row(22)
			b.text(realm, u.ID, u.Username, in.norm, u.Email, in.emailNorm)
			b.bool(u.EmailVerified)
			b.text(u.Phone, u.DisplayName, u.GivenName, u.FamilyName)
			b.bool(u.Enabled, u.MustChangePassword)
			b.text(u.PasswordHash)
			b.int8(int64(u.FailedLogins), toNS(u.LockedUntil))
			b.text(in.attrsJSON, u.Source, u.ExternalID)
			b.int8(nowNS, nowNS, 1)
		})
		if err != nil {
			return err
		}
	}
	if len(p.newMembers) > 0 {
		err := r.copyIn(ctx, conn, `usher_members (realm, group_norm, user_id)`, len(p.newMembers), func(b *copyData, i int) {
			b.row(3)
			b.text(realm, p.newMembers[i][0], p.newMembers[i][1])
		})
		if err != nil {
			return err
		}
	}
	if len(p.events) == 0 {
		return nil
	}
	return r.copyIn(ctx, conn, `usher_changes (realm, pos, kind, user_id, group_name, group_id, at)`, len(p.events), func(b *copyData, i int) {
		e := &p.events[i]
		b.row(7)
		b.text(realm)
		b.int8(pos + int64(i))
		b.text(string(e.kind), e.userID, e.group, e.groupID)
		b.int8(nowNS)
	})
}
