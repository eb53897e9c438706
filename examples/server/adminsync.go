package main

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// syncKeyInfo is the registered organization, for the sync page.
type syncKeyInfo struct {
	Organization string
	CreatedBy    string
	CreatedAt    time.Time
}

// syncKeyInfo returns the registered organization, if any.
func (s *serverDB) syncKeyInfo(ctx context.Context) (syncKeyInfo, bool, error) {
	var k syncKeyInfo
	var created int64
	err := s.db.SQL().QueryRowContext(ctx, `SELECT org_id, created_by, created_at FROM usher_server_sync_keys LIMIT 1`).Scan(&k.Organization, &k.CreatedBy, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return k, false, nil
	}
	if err != nil {
		return k, false, err
	}
	k.CreatedAt = time.UnixMilli(created)
	return k, true, nil
}

// syncPage: GET /admin/sync — the registered organization and the last
// pushes of the sync agent (changes applied and refused).
func (a *app) syncPage(w http.ResponseWriter, r *http.Request) {
	key, registered, err := a.server.syncKeyInfo(r.Context())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	runs, err := a.auditEvents(r, userstore.AuditFilter{Kind: "sync.applied", Limit: 50})
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "sync.html", page{Title: "Directory sync", Data: struct {
		Registered bool
		Key        syncKeyInfo
		Runs       []userstore.AuditEvent
	}{registered, key, runs}})
}
