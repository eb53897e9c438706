package sqlstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/usher-sdk/usher/userstore"
)

// copyData is data of a COPY in PostgreSQL's binary format: a header,
// then per row its number of fields and each field's length and bytes
// (network byte order), then -1. Text is sent as its UTF-8 bytes (the
// server checks them), bigint as 8 bytes, boolean as 1.
type copyData struct {
	b       []byte
	tooLong bool
}

func (c *copyData) header() {
	c.b = append(c.b, "PGCOPY\n\xff\r\n\x00"...)
	c.b = append(c.b, 0, 0, 0, 0, 0, 0, 0, 0) // no flags, no header extension
}

func (c *copyData) trailer() { c.b = binary.BigEndian.AppendUint16(c.b, 0xffff) }

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

// copyRows is an io.Reader of the data of a COPY of n rows, each encoded
// by encode as it is read: pgconn reads 64 KiB at a time, and a batch's
// rows are never in one buffer (growing one to a batch of 1,000 users,
// 1.2 MB, was a third of UpsertSynced's CPU on the Go side). One copyRows
// serves a transaction's COPYs one after the other.
type copyRows struct {
	n, next int
	encode  func(c *copyData, i int)
	c       copyData // encoded and not yet read from off on
	off     int
	started bool // the header is in c
	ended   bool // the trailer is in c
	err     error
}

// errCopyTooLong is what a value no COPY field can hold (over 2 GiB) ends
// the COPY with.
var errCopyTooLong = fmt.Errorf("a value of over %d bytes: %w", math.MaxInt32, userstore.ErrInvalid)

// copyChunk is about how many bytes of rows copyRows encodes at once.
const copyChunk = 16 << 10

// copyIn sends n rows, encoded by encode, to table (with its column list)
// with COPY FROM STDIN in the binary format.
func (r *copyRows) copyIn(ctx context.Context, conn *pgconn.PgConn, table string, n int, encode func(c *copyData, i int)) error {
	r.start(n, encode)
	tag, err := conn.CopyFrom(ctx, r, "COPY "+table+" FROM STDIN (FORMAT binary)")
	if r.err != nil {
		// pgconn sends CopyFail and returns the server's error: ours says
		// what was wrong.
		return r.err
	}
	if err != nil {
		return err
	}
	if got := tag.RowsAffected(); got != int64(n) {
		return fmt.Errorf("COPY %.20s…: %d of %d rows written", table, got, n)
	}
	return nil
}

// start makes r the data of a COPY of n rows encoded by encode, keeping
// its buffer.
func (r *copyRows) start(n int, encode func(c *copyData, i int)) {
	*r = copyRows{n: n, encode: encode, c: copyData{b: r.c.b[:0]}}
}

// Read fills p with the next bytes of the COPY.
func (r *copyRows) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	for n < len(p) {
		if r.off == len(r.c.b) && !r.fill() {
			break
		}
		k := copy(p[n:], r.c.b[r.off:])
		r.off += k
		n += k
	}
	if r.err != nil {
		return 0, r.err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// fill encodes what comes next into c: the header, rows, the trailer. It
// returns false once everything was read, or when a row cannot be sent
// (r.err).
func (r *copyRows) fill() bool {
	if r.ended {
		return false
	}
	r.c.b, r.off = r.c.b[:0], 0
	if !r.started {
		r.c.header()
		r.started = true
	}
	for len(r.c.b) < copyChunk && r.next < r.n {
		r.encode(&r.c, r.next)
		r.next++
	}
	if r.c.tooLong {
		r.err = errCopyTooLong
		return false
	}
	if r.next == r.n {
		r.c.trailer()
		r.ended = true
	}
	return true
}
