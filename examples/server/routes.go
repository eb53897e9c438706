package main

import (
	"context"
	"io/fs"
	"net/http"
	"time"
)

// handler returns every route of the server.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.HandleFunc("GET /readyz", a.handleReady)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/", http.StatusSeeOther)
	})

	// The API, authenticated by access tokens.
	mux.HandleFunc("GET /api/v1/users", a.requireScope(scopeUsersRead, a.listUsers))
	mux.HandleFunc("POST /api/v1/users", a.requireScope(scopeUsersWrite, a.createUser))
	mux.HandleFunc("POST /api/v1/users/import", a.requireScope(scopeUsersWrite, a.importUsers))
	mux.HandleFunc("GET /api/v1/users/export", a.requireScope(scopeUsersRead, a.exportUsers))
	mux.HandleFunc("GET /api/v1/users/{id}", a.requireScope(scopeUsersRead, a.getUser))
	mux.HandleFunc("PATCH /api/v1/users/{id}", a.requireScope(scopeUsersWrite, a.updateUser))
	mux.HandleFunc("DELETE /api/v1/users/{id}", a.requireScope(scopeUsersWrite, a.deleteUser))
	mux.HandleFunc("PUT /api/v1/users/{id}/password", a.requireScope(scopeUsersWrite, a.setPassword))
	mux.HandleFunc("POST /api/v1/users/enable", a.requireScope(scopeUsersWrite, a.bulkEnable(true)))
	mux.HandleFunc("POST /api/v1/users/disable", a.requireScope(scopeUsersWrite, a.bulkEnable(false)))
	mux.HandleFunc("POST /api/v1/users/{id}/activation-code", a.requireScope(scopeActivation, a.createActivationCode))
	mux.HandleFunc("DELETE /api/v1/users/{id}/activation-code", a.requireScope(scopeActivation, a.deleteActivationCode))
	// activation's own JSON steps for applications: POST /api/v1/activation/activate, …/password.
	mux.Handle("/api/v1/activation/", http.StripPrefix("/api/v1/activation", a.activation.UserHandler()))
	mux.HandleFunc("POST /api/sync/keys", a.requireScope(scopeSync, a.uploadSyncKey))
	mux.HandleFunc("GET /api/sync/records", a.requireScope(scopeSync, a.syncedRecords))
	mux.HandleFunc("POST /api/sync/changes", a.requireScope(scopeSync, a.applySyncChanges))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound, "no such API route")
	})

	// PortalGuard's endpoint, at PortalGuard's path, for existing scripts
	// (batch admins: -batch-admins).
	mux.Handle("/_layouts/PG/register.aspx", a.activation.PortalGuardHandler())

	// The end user's activation pages.
	user := http.NewServeMux()
	user.HandleFunc("GET /activate", a.activatePage)
	user.HandleFunc("POST /activate", a.activateForm)
	user.HandleFunc("POST /activate/password", a.activatePasswordForm)
	mux.Handle("/activate", http.NewCrossOriginProtection().Handler(user))
	mux.Handle("/activate/", http.NewCrossOriginProtection().Handler(user))

	// The admin page, authenticated by sessions; every form is protected
	// against cross-origin posts.
	admin := http.NewServeMux()
	static, _ := fs.Sub(templateFiles, "templates") // a constant, valid path
	admin.Handle("GET /admin/static/admin.css", http.StripPrefix("/admin/static/", http.FileServerFS(static)))
	admin.HandleFunc("GET /admin/login", a.loginPage)
	admin.HandleFunc("POST /admin/login", a.login)
	admin.HandleFunc("POST /admin/logout", a.logout)
	admin.HandleFunc("GET /admin/{$}", a.requireAdmin(a.dashboard))
	admin.HandleFunc("GET /admin/users", a.requireAdmin(a.usersPage))
	admin.HandleFunc("POST /admin/users", a.requireAdmin(a.createUserForm))
	admin.HandleFunc("POST /admin/users/bulk", a.requireAdmin(a.bulkForm))
	admin.HandleFunc("POST /admin/users/import", a.requireAdmin(a.importForm))
	admin.HandleFunc("GET /admin/users/export", a.requireAdmin(a.exportUsers))
	admin.HandleFunc("GET /admin/audit", a.requireAdmin(a.auditPage))
	admin.HandleFunc("GET /admin/tokens", a.requireAdmin(a.tokensPage))
	admin.HandleFunc("POST /admin/tokens", a.requireAdmin(a.createTokenForm))
	admin.HandleFunc("POST /admin/tokens/{id}/revoke", a.requireAdmin(a.revokeTokenForm))
	mux.Handle("/admin/", http.NewCrossOriginProtection().Handler(admin))
	return mux
}

func handleHealth(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady answers 200 when the database answers and its schema is
// current, else 503 with the reason.
func (a *app) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.server.ready(ctx, a.components...); err != nil {
		a.logger.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database unreachable or schema not current; see the server's log"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
