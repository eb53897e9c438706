package main

import (
	"context"
	_ "embed"
	"io/fs"
	"net/http"
	"time"

	"github.com/usher-sdk/usher/activation"
)

// handler returns every route of the server.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.HandleFunc("GET /readyz", a.handleReady)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/", http.StatusSeeOther)
	})

	// The API, authenticated by access tokens (openapi.json describes it).
	for _, rt := range a.apiRoutes() {
		mux.HandleFunc(rt.method+" "+rt.path, a.requireScope(rt.scope, rt.handler))
	}
	mux.HandleFunc("GET /api/v1/openapi.json", serveOpenAPI)
	// activation's own JSON steps for applications: POST /api/v1/activation/activate, …/password.
	mux.Handle("/api/v1/activation/", http.StripPrefix("/api/v1/activation", a.activationHandler((*activation.Manager).UserHandler)))
	// The devices' endpoints, without access tokens (devices prove their
	// key): onboarding, and the device CA's certificate and CRL.
	a.mountDevice(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, codeNotFound, "no such API route")
	})

	// SCIM 2.0 for identity providers (tokens with scope scim).
	mux.Handle("/scim/v2/", a.scim)

	// PortalGuard's endpoint, at PortalGuard's path, for existing scripts
	// (batch admins: -batch-admins).
	mux.Handle("/_layouts/PG/register.aspx", a.activationHandler((*activation.Manager).PortalGuardHandler))

	// The end user's pages: activation and password reset.
	user := http.NewServeMux()
	user.HandleFunc("GET /activate", a.activatePage)
	user.HandleFunc("POST /activate", a.activateForm)
	user.HandleFunc("POST /activate/password", a.activatePasswordForm)
	user.HandleFunc("GET /reset", a.resetPage)
	user.HandleFunc("POST /reset/request", a.resetRequestForm)
	user.HandleFunc("POST /reset", a.resetForm)
	// A policy's link: a user asks for a period of access (pushauthpages.go).
	user.HandleFunc("GET /preapprove/{policy}", a.preApprovePage)
	user.Handle("POST /preapprove/{policy}", a.limitPerAddress("\x00pre-approval", http.HandlerFunc(a.preApproveForm)))
	user.HandleFunc("GET /preapprove/status/{id}", a.preApproveStatus)
	for _, p := range []string{"/activate", "/activate/", "/reset", "/reset/", "/preapprove/"} {
		mux.Handle(p, http.NewCrossOriginProtection().Handler(user))
	}

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
	admin.HandleFunc("GET /admin/users/{id}", a.requireAdmin(a.userPage))
	admin.HandleFunc("POST /admin/users/{id}/{action}", a.requireAdmin(a.userAction))
	admin.HandleFunc("GET /admin/applications", a.requireAdmin(a.applicationsPage))
	admin.HandleFunc("POST /admin/applications", a.requireAdmin(a.createApplicationForm))
	admin.HandleFunc("GET /admin/applications/{id}", a.requireAdmin(a.applicationPage))
	admin.HandleFunc("POST /admin/applications/{id}", a.requireAdmin(a.updateApplicationForm))
	admin.HandleFunc("GET /admin/applications/{id}/activities", a.requireAdmin(a.activitiesPage))
	admin.HandleFunc("POST /admin/applications/{id}/devices/destroy", a.requireAdmin(a.destroyDevicesForm))
	admin.HandleFunc("POST /admin/applications/{id}/users", a.requireAdmin(a.addRealmUserForm))
	admin.HandleFunc("GET /admin/applications/{id}/authentication", a.requireAdmin(a.authPage))
	admin.HandleFunc("POST /admin/applications/{id}/profiles", a.requireAdmin(a.createProfileForm))
	admin.HandleFunc("POST /admin/applications/{id}/policies", a.requireAdmin(a.createPolicyForm))
	admin.HandleFunc("POST /admin/applications/{id}/policies/{policy}/delete", a.requireAdmin(a.deletePolicyForm))
	admin.HandleFunc("POST /admin/applications/{id}/approver", a.requireAdmin(a.approverForm))
	admin.HandleFunc("POST /admin/applications/{id}/auth-requests/{request}/destroy", a.requireAdmin(a.destroyAuthRequestForm))
	admin.HandleFunc("GET /admin/profiles/{id}", a.requireAdmin(a.profilePage))
	admin.HandleFunc("POST /admin/profiles/{id}", a.requireAdmin(a.updateProfileForm))
	admin.HandleFunc("POST /admin/profiles/{id}/callbacks", a.requireAdmin(a.addCallbackForm))
	admin.HandleFunc("POST /admin/profiles/{id}/callbacks/{n}/remove", a.requireAdmin(a.removeCallbackForm))
	admin.HandleFunc("POST /admin/profiles/{id}/callbacks/{n}/test", a.requireAdmin(a.testCallbackForm))
	admin.HandleFunc("POST /admin/profiles/{id}/rotate", a.requireAdmin(a.rotateSecretForm))
	admin.HandleFunc("POST /admin/profiles/{id}/drop-secrets", a.requireAdmin(a.dropSecretsForm))
	admin.HandleFunc("POST /admin/profiles/{id}/delete", a.requireAdmin(a.deleteProfileForm))
	admin.HandleFunc("GET /admin/pending", a.requireAdmin(a.pendingPage))
	admin.HandleFunc("GET /admin/activities/{id}/picture.svg", a.requireAdmin(a.activityPicture))
	admin.HandleFunc("GET /admin/activities/{id}/picture.png", a.requireAdmin(a.activityPicture))
	admin.HandleFunc("POST /admin/activities/{id}/{action}", a.requireAdmin(a.decideForm))
	admin.HandleFunc("GET /admin/activation", a.requireAdmin(a.activationPage))
	admin.HandleFunc("POST /admin/activation", a.requireAdmin(a.saveActivationForm))
	admin.HandleFunc("GET /admin/claims", a.requireAdmin(a.mappingPage))
	admin.HandleFunc("POST /admin/claims", a.requireAdmin(a.saveMappingForm))
	admin.HandleFunc("GET /admin/sync", a.requireAdmin(a.syncPage))
	admin.HandleFunc("GET /admin/audit", a.requireAdmin(a.auditPage))
	admin.HandleFunc("GET /admin/tokens", a.requireAdmin(a.tokensPage))
	admin.HandleFunc("POST /admin/tokens", a.requireAdmin(a.createTokenForm))
	admin.HandleFunc("POST /admin/tokens/{id}/revoke", a.requireAdmin(a.revokeTokenForm))
	mux.Handle("/admin/", http.NewCrossOriginProtection().Handler(admin))
	if a.oidcClients != nil {
		// The provider sends the browser back cross-site; claims binds each
		// sign-in to its browser with a state cookie instead.
		mux.Handle("/admin/oidc/", http.StripPrefix("/admin/oidc", http.HandlerFunc(a.oidcClients.serveAdminSignIn)))
	}
	return a.metrics.instrument(mux)
}

// apiRoute is one route of the token-authenticated API.
type apiRoute struct {
	method, path, scope string
	handler             http.HandlerFunc
}

// apiRoutes lists the API's routes: the one list the mux and the test of
// openapi.json both read.
func (a *app) apiRoutes() []apiRoute {
	return []apiRoute{
		{"GET", "/api/v1/users", scopeUsersRead, a.listUsers},
		{"POST", "/api/v1/users", scopeUsersWrite, a.createUser},
		{"POST", "/api/v1/users/import", scopeUsersWrite, a.importUsers},
		{"GET", "/api/v1/users/export", scopeUsersRead, a.exportUsers},
		{"GET", "/api/v1/users/{id}", scopeUsersRead, a.getUser},
		{"PATCH", "/api/v1/users/{id}", scopeUsersWrite, a.updateUser},
		{"DELETE", "/api/v1/users/{id}", scopeUsersWrite, a.deleteUser},
		{"PUT", "/api/v1/users/{id}/password", scopeUsersWrite, a.setPassword},
		{"POST", "/api/v1/users/enable", scopeUsersWrite, a.bulkEnable(true)},
		{"POST", "/api/v1/users/disable", scopeUsersWrite, a.bulkEnable(false)},
		{"POST", "/api/v1/users/delete", scopeUsersWrite, a.bulkDelete},
		{"POST", "/api/v1/authenticate", scopeAuth, a.authenticate},
		{"PUT", "/api/v1/users/{id}/groups", scopeUsersWrite, a.setUserGroups},
		{"GET", "/api/v1/groups", scopeUsersRead, a.listGroups},
		{"POST", "/api/v1/groups", scopeUsersWrite, a.createGroup},
		{"GET", "/api/v1/groups/{id}", scopeUsersRead, a.getGroup},
		{"PATCH", "/api/v1/groups/{id}", scopeUsersWrite, a.updateGroup},
		{"DELETE", "/api/v1/groups/{id}", scopeUsersWrite, a.deleteGroup},
		{"GET", "/api/v1/groups/{id}/members", scopeUsersRead, a.groupMembers},
		{"POST", "/api/v1/users/{id}/activation-code", scopeActivation, a.createActivationCode},
		{"DELETE", "/api/v1/users/{id}/activation-code", scopeActivation, a.deleteActivationCode},
		{"GET", "/api/v1/activation-codes", scopeActivation, a.listActivationCodes},
		{"POST", "/api/sync/keys", scopeSync, a.syncAPI.ServeHTTP},
		{"GET", "/api/sync/records", scopeSync, a.syncAPI.ServeHTTP},
		{"POST", "/api/sync/records/lookup", scopeSync, a.syncAPI.ServeHTTP},
		{"POST", "/api/sync/changes", scopeSync, a.syncAPI.ServeHTTP},
		{"GET", "/api/v1/applications", scopeOnboarding, a.listApplications},
		{"POST", "/api/v1/applications", scopeOnboarding, a.createApplication},
		{"GET", "/api/v1/applications/{id}", scopeOnboarding, a.getApplication},
		{"PUT", "/api/v1/applications/{id}", scopeOnboarding, a.updateApplication},
		{"GET", "/api/v1/applications/{id}/pending", scopeOnboarding, a.onboardingAdminAPI},
		{"GET", "/api/v1/applications/{id}/activities", scopeOnboarding, a.onboardingAdminAPI},
		{"GET", "/api/v1/applications/{id}/users/{user}/devices", scopeOnboarding, a.userDevices},
		{"POST", "/api/v1/applications/{id}/devices/destroy", scopeOnboarding, a.destroyDevicesAPI},
		{"GET", "/api/v1/activities/{id}", scopeOnboarding, a.onboardingAdminAPI},
		{"GET", "/api/v1/activities/{id}/picture.svg", scopeOnboarding, a.onboardingAdminAPI},
		{"GET", "/api/v1/activities/{id}/picture.png", scopeOnboarding, a.onboardingAdminAPI},
		{"POST", "/api/v1/activities/{id}/approve", scopeOnboarding, a.onboardingAdminAPI},
		{"POST", "/api/v1/activities/{id}/reject", scopeOnboarding, a.onboardingAdminAPI},
		{"DELETE", "/api/v1/activities/{id}", scopeOnboarding, a.onboardingAdminAPI},
		{"DELETE", "/api/v1/devices/{id}", scopeOnboarding, a.onboardingAdminAPI},
		{"POST", "/api/v1/auth/requests", scopeAuthRequest, a.authRequestAPI},
		{"GET", "/api/v1/auth/requests/{id}", scopeAuthRequest, a.authRequestAPI},
		{"GET", "/api/v1/auth/requests/{id}/wait", scopeAuthRequest, a.authRequestAPI},
		{"GET", "/api/v1/applications/{id}/profiles", scopeAuthRequest, a.listProfilesAPI},
		{"POST", "/api/v1/applications/{id}/profiles", scopeAuthRequest, a.createProfileAPI},
		{"GET", "/api/v1/profiles/{id}", scopeAuthRequest, a.getProfileAPI},
		{"PUT", "/api/v1/profiles/{id}", scopeAuthRequest, a.updateProfileAPI},
		{"DELETE", "/api/v1/profiles/{id}", scopeAuthRequest, a.deleteProfileAPI},
		{"POST", "/api/v1/profiles/{id}/secret", scopeAuthRequest, a.rotateSecretAPI},
		{"DELETE", "/api/v1/profiles/{id}/old-secrets", scopeAuthRequest, a.dropOldSecretsAPI},
		{"POST", "/api/v1/profiles/{id}/callbacks/{n}/test", scopeAuthRequest, a.testCallbackAPI},
		{"PUT", "/api/v1/applications/{id}/users/{user}/approver", scopeAuthRequest, a.putApproverAPI},
		{"DELETE", "/api/v1/applications/{id}/users/{user}/approver", scopeAuthRequest, a.deleteApproverAPI},
		{"GET", "/api/v1/applications/{id}/pre-approval-policies", scopeAuthRequest, a.listPoliciesAPI},
		{"POST", "/api/v1/applications/{id}/pre-approval-policies", scopeAuthRequest, a.createPolicyAPI},
		{"DELETE", "/api/v1/pre-approval-policies/{id}", scopeAuthRequest, a.deletePolicyAPI},
		{"GET", "/api/v1/applications/{id}/auth-requests", scopeAuthRequest, a.listAuthRequestsAPI},
		{"DELETE", "/api/v1/auth-requests/{id}", scopeAuthRequest, a.deleteAuthRequestAPI},
		{"GET", "/api/v1/applications/{id}/active-users", scopeAuthRequest, a.activeUsersAPI},
		{"GET", "/api/v1/oidc/mapping", scopeUsersRead, a.mappingsAPI},
		{"GET", "/metrics", scopeMetrics, a.metrics.handler().ServeHTTP},
	}
}

//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
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
