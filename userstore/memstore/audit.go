package memstore

import (
	"cmp"
	"context"
	"iter"
	"maps"
	"slices"

	"github.com/usher-sdk/usher/userstore"
)

// auditRec is a stored audit event; n orders events of the same time by
// when they were appended.
type auditRec struct {
	e userstore.AuditEvent
	n int64
}

func compareAudit(a, b auditRec) int {
	return cmp.Or(a.e.Time.Compare(b.e.Time), cmp.Compare(a.n, b.n))
}

// AppendAudit records an event, setting ID (random) and Time (the clock)
// when they are empty.
func (s *Store) AppendAudit(ctx context.Context, e userstore.AuditEvent) error {
	if err := s.lock(ctx, "append audit"); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if e.ID == "" {
		id, err := s.randomID()
		if err != nil {
			return err
		}
		e.ID = id
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Time = e.Time.UTC()
	e.Detail = maps.Clone(e.Detail)
	s.auditN++
	r := auditRec{e: e, n: s.auditN}
	i, _ := slices.BinarySearchFunc(s.audit, r, compareAudit)
	s.audit = slices.Insert(s.audit, i, r)
	return nil
}

// Audit streams events matching f, newest first; events of the same time
// come last-appended first. Since keeps events at or after f.Since; a
// Limit <= 0 means no limit.
func (s *Store) Audit(ctx context.Context, f userstore.AuditFilter) iter.Seq2[userstore.AuditEvent, error] {
	match := func(e *userstore.AuditEvent) bool {
		return (f.UserID == "" || e.UserID == f.UserID) &&
			(f.Kind == "" || e.Kind == f.Kind) &&
			(f.Since.IsZero() || !e.Time.Before(f.Since))
	}
	// The cursor is the position in s.audit before which to continue,
	// found again by value because appends may shift positions.
	start := auditRec{n: -1}
	return stream(ctx, s, "audit", f.Limit, start, func(before auditRec, n int) ([]userstore.AuditEvent, auditRec, error) {
		i := len(s.audit)
		if before.n >= 0 {
			i, _ = slices.BinarySearchFunc(s.audit, before, compareAudit)
		}
		var page []userstore.AuditEvent
		for i--; i >= 0 && len(page) < n; i-- {
			r := s.audit[i]
			if !match(&r.e) {
				continue
			}
			r.e.Detail = maps.Clone(r.e.Detail)
			page = append(page, r.e)
			before = r
		}
		return page, before, nil
	})
}
