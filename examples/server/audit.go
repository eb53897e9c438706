package main

import (
	"net/http"

	"github.com/usher-sdk/usher/userstore"
)

// auditAdmin records an admin action in the users' audit trail: kind
// ("admin.user_created"…), the user it concerns (may be empty), and who
// did it — the admin of the session, or the access token of an API call.
// A failure to record is logged, not returned: the action has happened.
func (a *app) auditAdmin(r *http.Request, kind, userID string, detail map[string]string) {
	d := map[string]string{}
	for k, v := range detail {
		d[k] = v
	}
	login := ""
	if s, ok := sessionOf(r.Context()); ok {
		login, d["admin"] = s.Username, s.Username
	} else if t := tokenOf(r.Context()); t.ID != "" {
		login, d["token"], d["token_name"] = "token:"+t.Name, t.ID, t.Name
	}
	err := a.usersAudit.AppendAudit(r.Context(), userstore.AuditEvent{
		Kind: userstore.AuditKind(kind), UserID: userID, Login: login, Remote: r.RemoteAddr, Detail: d,
	})
	if err != nil {
		a.logger.ErrorContext(r.Context(), "audit admin action", "kind", kind, "err", err)
	}
}
