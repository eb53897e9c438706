package main

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/usher-sdk/usher/internal/ids"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// teeStore is a pool's store whose audit events also go to syslog, once
// the database has them. Everything else is the store's.
type teeStore struct {
	*sqlstore.Store
	pool string
	sink *syslogSink
	now  func() time.Time
}

// AppendAudit records e and then queues it for syslog (never waiting on
// the receiver).
func (t *teeStore) AppendAudit(ctx context.Context, e userstore.AuditEvent) error {
	if e.ID == "" {
		e.ID, _ = ids.Random(rand.Reader) // crypto/rand never fails
	}
	if e.Time.IsZero() {
		e.Time = t.now()
	}
	if err := t.Store.AppendAudit(ctx, e); err != nil {
		return err
	}
	t.sink.send(t.pool, e)
	return nil
}

// withSyslog returns the store to hand the pool's services: the store,
// teed to syslog when one is configured.
func (a *app) withSyslog(s *sqlstore.Store, pool string) userstore.Store {
	if a.syslog == nil {
		return s
	}
	return &teeStore{Store: s, pool: pool, sink: a.syslog, now: a.now}
}
