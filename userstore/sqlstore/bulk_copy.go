package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
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
// (the membership's foreign key would not find the user).
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
	b := newCopyData(max(len(p.inserts)*500, len(p.newMembers)*80, len(p.events)*120))
	if len(p.inserts) > 0 {
		for _, in := range p.inserts {
			u := in.User
			b.row(22)
			b.text(realm, u.ID, u.Username, in.norm, u.Email, in.emailNorm)
			b.bool(u.EmailVerified)
			b.text(u.Phone, u.DisplayName, u.GivenName, u.FamilyName)
			b.bool(u.Enabled, u.MustChangePassword)
			b.text(u.PasswordHash)
			b.int8(int64(u.FailedLogins), toNS(u.LockedUntil))
			b.text(in.attrsJSON, u.Source, u.ExternalID)
			b.int8(nowNS, nowNS, 1)
		}
		err := copyIn(ctx, conn, `usher_users (realm, id, username, username_norm, email, email_norm, email_verified,
	phone, display_name, given_name, family_name, enabled, must_change_password, password_hash, failed_logins, locked_until,
	attributes, source, external_id, created_at, updated_at, version)`, len(p.inserts), b)
		if err != nil {
			return err
		}
	}
	if len(p.newMembers) > 0 {
		b.reset()
		for _, m := range p.newMembers {
			b.row(3)
			b.text(realm, m[0], m[1])
		}
		if err := copyIn(ctx, conn, `usher_members (realm, group_norm, user_id)`, len(p.newMembers), b); err != nil {
			return err
		}
	}
	if len(p.events) == 0 {
		return nil
	}
	b.reset()
	for k, e := range p.events {
		b.row(7)
		b.text(realm)
		b.int8(pos + int64(k))
		b.text(string(e.kind), e.userID, e.group, e.groupID)
		b.int8(nowNS)
	}
	return copyIn(ctx, conn, `usher_changes (realm, pos, kind, user_id, group_name, group_id, at)`, len(p.events), b)
}

// copyIn sends the n rows of b to table (with its column list) with COPY
// FROM STDIN in the binary format.
func copyIn(ctx context.Context, conn *pgconn.PgConn, table string, n int, b *copyData) error {
	data, err := b.end()
	if err != nil {
		return err
	}
	tag, err := conn.CopyFrom(ctx, bytes.NewReader(data), "COPY "+table+" FROM STDIN (FORMAT binary)")
	if err != nil {
		return err
	}
	if got := tag.RowsAffected(); got != int64(n) {
		return fmt.Errorf("COPY %.20s…: %d of %d rows written", table, got, n)
	}
	return nil
}

// copyData is the data of a COPY in PostgreSQL's binary format: a
// header, then per row its number of fields and each field's length and
// bytes (network byte order), then -1. Text is sent as its UTF-8 bytes
// (the server checks them), bigint as 8 bytes, boolean as 1.
type copyData struct {
	b       []byte
	tooLong bool
}

// newCopyData returns an empty copyData with room for size bytes of
// rows, which reset empties again for the next COPY.
func newCopyData(size int) *copyData {
	c := &copyData{b: make([]byte, 0, size+copyHeaderLen+2)}
	c.reset()
	return c
}

const copyHeaderLen = 19

func (c *copyData) reset() {
	c.b = append(c.b[:0], "PGCOPY\n\xff\r\n\x00"...)
	c.b = append(c.b, 0, 0, 0, 0, 0, 0, 0, 0) // no flags, no header extension
	c.tooLong = false
}

func (c *copyData) row(fields int) { c.b = binary.BigEndian.AppendUint16(c.b, uint16(fields)) }

func (c *copyData) text(vals ...string) {
	for _, s := range vals {
		if len(s) > math.MaxInt32 {
			c.tooLong = true
			return
		}
		c.b = binary.BigEndian.AppendUint32(c.b, uint32(len(s)))
		c.b = append(c.b, s...)
	}
}

func (c *copyData) int8(vals ...int64) {
	for _, v := range vals {
		c.b = binary.BigEndian.AppendUint32(c.b, 8)
		c.b = binary.BigEndian.AppendUint64(c.b, uint64(v))
	}
}

func (c *copyData) bool(vals ...bool) {
	for _, v := range vals {
		c.b = binary.BigEndian.AppendUint32(c.b, 1)
		if v {
			c.b = append(c.b, 1)
		} else {
			c.b = append(c.b, 0)
		}
	}
}

// end returns the data with the trailer appended.
func (c *copyData) end() ([]byte, error) {
	if c.tooLong {
		return nil, fmt.Errorf("a value of over %d bytes: %w", math.MaxInt32, userstore.ErrInvalid)
	}
	return binary.BigEndian.AppendUint16(c.b, 0xffff), nil
}
