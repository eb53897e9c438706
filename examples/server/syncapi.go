package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/usher-sdk/usher/directory/syncapi"
)

// openSyncAPI makes the sync API (directory/syncapi) the sync agent
// (examples/sync) pushes to from another machine: the organization's key
// in the server's database, records verified against it and written into
// the users' pool, each push counted and audited. Mounted at /api/sync
// behind tokens of scope sync.
func (a *app) openSyncAPI() (http.Handler, error) {
	h, err := syncapi.NewHandler(a.server, a.users, syncapi.WithLogger(a.logger),
		syncapi.WithKeyRegistered(func(ctx context.Context, org string) {
			a.auditAdminCtx(ctx, "admin.sync_key_registered", "", map[string]string{"organization": org})
		}),
		syncapi.WithApplied(func(ctx context.Context, org string, applied, bad, refused int) {
			a.metrics.syncChanges.WithLabelValues("applied").Add(float64(applied))
			a.metrics.syncChanges.WithLabelValues("bad_signature").Add(float64(bad))
			a.metrics.syncChanges.WithLabelValues("refused").Add(float64(refused))
			a.auditAdminCtx(ctx, "sync.applied", "", map[string]string{"organization": org,
				"applied": fmt.Sprint(applied), "refused": fmt.Sprint(bad + refused)})
		}))
	if err != nil {
		return nil, err
	}
	return http.StripPrefix("/api/sync", h), nil
}
