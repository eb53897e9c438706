package main

import (
	"context"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// teeStore is a pool's store that wakes the syslog forwarder when it
// appends an audit event. The forwarder reads the event back from the
// audit trail (syslogforward.go), so the request that appended it never
// waits on the receiver, and the event goes out even when this process
// stops first. Everything else is the store's.
type teeStore struct {
	*sqlstore.Store
	sink *syslogSink
}

// AppendAudit records e and wakes the forwarder.
func (t *teeStore) AppendAudit(ctx context.Context, e userstore.AuditEvent) error {
	if err := t.Store.AppendAudit(ctx, e); err != nil {
		return err
	}
	t.sink.appended()
	return nil
}

// withSyslog returns the store to hand the pool's services: the store,
// waking the syslog forwarder when one is configured. The second argument
// is the pool's name in messages, which the forwarder derives from the
// event's realm instead (poolOf), as events of other processes need.
func (a *app) withSyslog(s *sqlstore.Store, _ string) userstore.Store {
	if a.syslog == nil {
		return s
	}
	return &teeStore{Store: s, sink: a.syslog}
}
