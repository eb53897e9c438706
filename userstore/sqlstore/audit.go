package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
)

// auditInsert appends one audit event.
const auditInsert = `INSERT INTO usher_audit (realm, id, at, kind, user_id, login, remote, reason, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// AppendAudit records an event, setting ID (random) and Time (the clock)
// when they are empty. It is an INSERT and no change-feed event; on
// PostgreSQL concurrent calls share INSERTs (see auditbatch.go), and each
// returns once its event is committed. Text that is not valid UTF-8 or
// holds NUL bytes (a login typed by an attacker, say) is recorded with
// U+FFFD in their place, not refused.
func (s *Store) AppendAudit(ctx context.Context, e userstore.AuditEvent) error {
	const op = "append audit"
	if err := s.writable(ctx, op); err != nil {
		return err
	}
	if e.ID == "" {
		e.ID = randomID()
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	var detail map[string]string
	if e.Detail != nil {
		detail = make(map[string]string, len(e.Detail))
		for k, v := range e.Detail {
			detail[cleanText(k)] = cleanText(v)
		}
	}
	args := []any{s.realm, cleanText(e.ID), toNS(e.Time), cleanText(string(e.Kind)), cleanText(e.UserID), cleanText(e.Login),
		cleanText(e.Remote), cleanText(e.Reason), marshalMap(detail)}
	if s.dialect == database.Postgres {
		return s.fail(op, s.appendAuditBatched(ctx, args))
	}
	defer s.lockWriter()()
	_, err := cached{s}.ExecContext(ctx, auditInsert, args...)
	return s.fail(op, err)
}

// auditCursor is the position of the last event of a page: events are
// ordered by time, then by insertion.
type auditCursor struct {
	at, n int64
	start bool
}

// Audit streams events matching f, newest first; events of the same time
// come last-appended first. Since keeps events at or after f.Since; a
// Limit <= 0 means no limit. Pages are read with keyset pagination.
func (s *Store) Audit(ctx context.Context, f userstore.AuditFilter) iter.Seq2[userstore.AuditEvent, error] {
	where := []string{`realm = $1`}
	args := []any{s.realm}
	add := func(pred string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(pred, len(args)))
	}
	if f.UserID != "" {
		add(`user_id = $%d`, f.UserID)
	}
	if f.Kind != "" {
		add(`kind = $%d`, string(f.Kind))
	}
	if !f.Since.IsZero() {
		add(`at >= $%d`, toNS(f.Since))
	}
	base := `SELECT n, id, at, kind, user_id, login, remote, reason, detail FROM usher_audit WHERE ` + strings.Join(where, " AND ")
	next := len(args) + 1
	return stream(ctx, s, "audit", f.Limit, auditCursor{start: true}, func(ctx context.Context, c auditCursor, n int) ([]userstore.AuditEvent, auditCursor, error) {
		query, a := base, args
		if !c.start {
			query += fmt.Sprintf(` AND (at < $%d OR (at = $%d AND n < $%d))`, next, next, next+1)
			a = append(a[:len(a):len(a)], c.at, c.n)
		}
		query += ` ORDER BY at DESC, n DESC LIMIT ` + fmt.Sprint(n)
		page, err := database.QueryAll(ctx, s.db, func(r *sql.Rows) (auditRow, error) {
			var (
				row          auditRow
				kind, detail string
			)
			if err := r.Scan(&row.n, &row.e.ID, &row.at, &kind, &row.e.UserID, &row.e.Login, &row.e.Remote, &row.e.Reason, &detail); err != nil {
				return row, err
			}
			row.e.Kind, row.e.Time = userstore.AuditKind(kind), fromNS(row.at)
			var err error
			row.e.Detail, err = unmarshalMap(detail)
			return row, err
		}, query, a...)
		out := make([]userstore.AuditEvent, len(page))
		for i, r := range page {
			out[i] = r.e
		}
		if len(page) > 0 {
			last := page[len(page)-1]
			c = auditCursor{at: last.at, n: last.n}
		}
		return out, c, err
	})
}

type auditRow struct {
	e     userstore.AuditEvent
	at, n int64
}
