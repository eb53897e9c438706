package main

import (
	"context"
	"net/http"

	"github.com/usher-sdk/usher/userstore"
)

// auditAdmin records an admin action in the users' audit trail: kind
// ("admin.user_created"…), the user it concerns (may be empty), and who
// did it — the admin of the session, or the access token of an API call.
// A failure to record is logged, not returned: the action has happened.
func (a *app) auditAdmin(r *http.Request, kind, userID string, detail map[string]string) {
	a.auditAdminCtx(remoteContext(r), kind, userID, detail)
}

type remoteKey struct{}

// remoteContext carries the request's client address into the context,
// for audit events recorded where only the context is at hand.
func remoteContext(r *http.Request) context.Context {
	return context.WithValue(r.Context(), remoteKey{}, r.RemoteAddr)
}

// auditAdminCtx is auditAdmin for code that has the request's context
// (with its session or token, and the address when remoteContext put it
// there) but not the request.
func (a *app) auditAdminCtx(ctx context.Context, kind, userID string, detail map[string]string) {
	d := map[string]string{}
	for k, v := range detail {
		d[k] = v
	}
	login := ""
	if s, ok := sessionOf(ctx); ok {
		login, d["admin"] = s.Username, s.Username
	} else if t := tokenOf(ctx); t.ID != "" {
		login, d["token"], d["token_name"] = "token:"+t.Name, t.ID, t.Name
	}
	remote, _ := ctx.Value(remoteKey{}).(string)
	err := a.usersAudit.AppendAudit(ctx, userstore.AuditEvent{
		Kind: userstore.AuditKind(kind), UserID: userID, Login: login, Remote: remote, Detail: d,
	})
	if err != nil {
		a.logger.ErrorContext(ctx, "audit admin action", "kind", kind, "err", err)
	}
}
