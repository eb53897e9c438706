package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/userstore"
)

// profileJSON is an authentication profile in the admin API: TTL in
// seconds, callbacks without their auth secrets (a callback sent back
// with an empty value or client secret keeps the stored one), the number
// of signing secrets, and the new secret only in the answers to create
// and rotate.
type profileJSON struct {
	ID              string              `json:"id,omitempty"`
	ApplicationID   string              `json:"application_id,omitempty"`
	Name            string              `json:"name"`
	TTL             int                 `json:"ttl,omitempty"`
	Action          string              `json:"action,omitempty"`
	Description     string              `json:"description,omitempty"`
	Vars            map[string]string   `json:"vars,omitempty"`
	NumberMatching  bool                `json:"number_matching"`
	SinglePending   bool                `json:"single_pending"`
	RequireApprover bool                `json:"require_approver"`
	Callbacks       []callback.Callback `json:"callbacks,omitempty"`
	Secrets         int                 `json:"secrets,omitempty"`
	Secret          string              `json:"secret,omitempty"`
	CreatedAt       time.Time           `json:"created_at,omitzero"`
	UpdatedAt       time.Time           `json:"updated_at,omitzero"`
}

// viewProfile is p as the admin API and pages show it: never a secret.
func viewProfile(p authrequest.Profile) profileJSON {
	cbs := make([]callback.Callback, len(p.Callbacks))
	for i, cb := range p.Callbacks {
		cb.Headers = maps.Clone(cb.Headers)
		cb.Auth.Value, cb.Auth.ClientSecret = "", ""
		cbs[i] = cb
	}
	return profileJSON{ID: p.ID, ApplicationID: p.ApplicationID, Name: p.Name, TTL: int(p.TTL / time.Second),
		Action: p.Action, Description: p.Description, Vars: p.Vars, NumberMatching: p.NumberMatching,
		SinglePending: p.SinglePending, RequireApprover: p.RequireApprover, Callbacks: cbs,
		Secrets: len(p.Secrets), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// profile turns the JSON into a Profile of the application.
func (in profileJSON) profile(appID string) (authrequest.Profile, error) {
	if in.TTL < 0 || in.TTL > int(authrequest.MaxTTL/time.Second) {
		return authrequest.Profile{}, fmt.Errorf("%w: ttl: 0 to %d seconds", authrequest.ErrInvalid, int(authrequest.MaxTTL/time.Second))
	}
	return authrequest.Profile{ApplicationID: appID, Name: strings.TrimSpace(in.Name), TTL: time.Duration(in.TTL) * time.Second,
		Action: in.Action, Description: in.Description, Vars: in.Vars, NumberMatching: in.NumberMatching,
		SinglePending: in.SinglePending, RequireApprover: in.RequireApprover, Callbacks: in.Callbacks}, nil
}

// keepAuthSecrets gives each callback of next whose auth value or client
// secret is empty the stored one of the same callback in cur — the one
// with its ID, or, for a callback sent without an ID, the one at the same
// place that has none either — when that has the same kind of auth and
// the same URL: the API and pages never show the secrets, so an edit
// sends them back empty, and a secret never moves to another receiver.
func keepAuthSecrets(cur, next []callback.Callback) {
	byID := map[string]callback.Callback{}
	for _, c := range cur {
		if c.ID != "" {
			byID[c.ID] = c
		}
	}
	for i := range next {
		var old callback.Callback
		var ok bool
		switch {
		case next[i].ID != "":
			old, ok = byID[next[i].ID]
		case i < len(cur) && cur[i].ID == "":
			old, ok = cur[i], true
		}
		if !ok || next[i].Auth.Kind != old.Auth.Kind || next[i].URL != old.URL {
			continue
		}
		if next[i].Auth.Value == "" {
			next[i].Auth.Value = old.Auth.Value
		}
		if next[i].Auth.ClientSecret == "" {
			next[i].Auth.ClientSecret = old.Auth.ClientSecret
		}
	}
}

// authApplication returns the application of the path's {id}.
func (a *app) authApplication(ctx context.Context, id string) (onboarding.Application, error) {
	app, err := a.onboarding.Application(ctx, id)
	if errors.Is(err, onboarding.ErrNotFound) {
		return app, fmt.Errorf("application %q: %w", id, authrequest.ErrNotFound)
	}
	return app, err
}

// appUser returns the user of the application's realm whose ID or
// username is s.
func (a *app) realmUser(ctx context.Context, app onboarding.Application, s string) (userstore.User, error) {
	pool, err := a.realms.get(ctx, app.Realm())
	if err != nil {
		return userstore.User{}, err
	}
	u, err := pool.store.GetUser(ctx, s)
	if errors.Is(err, userstore.ErrNotFound) || errors.Is(err, userstore.ErrInvalid) {
		u, err = pool.store.GetUserByUsername(ctx, s)
	}
	if errors.Is(err, userstore.ErrInvalid) {
		err = userstore.ErrNotFound
	}
	return u, err
}

// createProfile validates and stores a profile and returns it with its
// first signing secret, to show once.
func (a *app) createProfile(ctx context.Context, p authrequest.Profile) (profileJSON, error) {
	p, err := a.authreq.CreateProfile(ctx, p)
	if err != nil {
		return profileJSON{}, err
	}
	v := viewProfile(p)
	v.Secret = p.Secrets[0]
	a.auditAdminCtx(ctx, "admin.auth_profile_created", "", map[string]string{"application": p.ApplicationID, "profile": p.ID, "name": p.Name})
	return v, nil
}

// updateProfile replaces a profile's settings and callbacks, keeping the
// callbacks' auth secrets sent back empty and the signing secrets.
func (a *app) updateProfile(ctx context.Context, id string, p authrequest.Profile) (authrequest.Profile, error) {
	cur, err := a.arStore.GetProfile(ctx, id)
	if err != nil {
		return authrequest.Profile{}, err
	}
	keepAuthSecrets(cur.Callbacks, p.Callbacks)
	p.ID = id
	if p, err = a.authreq.UpdateProfile(ctx, p); err != nil {
		return authrequest.Profile{}, err
	}
	a.auditAdminCtx(ctx, "admin.auth_profile_updated", "", map[string]string{"application": p.ApplicationID, "profile": p.ID})
	return p, nil
}

// testTimeout bounds a "send test event" call.
const testTimeout = 10 * time.Second

// testResult is the outcome of a test event: whether the receiver took
// it, its exact status and how long the call took, and a summary that
// never holds a secret (no URL, header or body).
type testResult struct {
	Delivered bool `json:"delivered"`
	// Status is the receiver's HTTP status, 0 when it did not answer.
	Status     int    `json:"status,omitempty"`
	DurationMS int64  `json:"durationMs"`
	Summary    string `json:"summary"`
}

// sampleVars are the variables of a test event.
func sampleVars(p authrequest.Profile, event string) map[string]string {
	vs := map[string]string{}
	for k, v := range p.Vars {
		vs[k] = v
	}
	e := event
	switch authrequest.Event(event) {
	case authrequest.EventAny, authrequest.EventResponse:
		e = string(authrequest.EventApprove)
	}
	resp := ""
	switch authrequest.Event(e) {
	case authrequest.EventApprove:
		resp = "ApproveRequest"
	case authrequest.EventDeny:
		resp = "DenyRequest"
	}
	for k, v := range map[string]string{
		"event": e, "response_type": resp, "uuid": "test-" + randomHex(8), "state": "test", "username": "test.user",
		"user_email": "test.user@example.com", "user_phone": "+10000000000", "user_full_name": "Test User",
		"user_id": "test-user", "user_guid": "test-user", "biometry_check": "false", "keytoken": "",
		"fingerprint": "", "action": "Test event", "description": "A test event sent from the admin page",
		"response_payload_base64": "", "response_payload_type": "", "response_ip": "", "request_ip": "",
	} {
		vs[k] = v
	}
	if e == string(authrequest.EventError) {
		vs["error"], vs["error_message"] = "test", "a test of the Error callback"
	}
	return vs
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testCallback sends callback n of a profile a sample event at once,
// signed like any delivery, and reports what the receiver said.
func (a *app) testCallback(ctx context.Context, profileID string, n int) (testResult, error) {
	p, err := a.arStore.GetProfile(ctx, profileID)
	if err != nil {
		return testResult{}, err
	}
	if n < 0 || n >= len(p.Callbacks) {
		return testResult{}, fmt.Errorf("callback %d: %w", n, authrequest.ErrNotFound)
	}
	cb := p.Callbacks[n]
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	vs := sampleVars(p, cb.Event)
	res, err := a.deliverer.Try(ctx, authrequest.Delivery{ID: "msg_test_" + randomHex(12), ProfileID: p.ID, CallbackID: cb.ID, Callback: n,
		RequestID: "test", Event: authrequest.Event(vs["event"]), Vars: vs})
	a.auditAdminCtx(ctx, "admin.auth_callback_tested", "", map[string]string{"profile": p.ID, "callback": strconv.Itoa(n), "ok": strconv.FormatBool(err == nil)})
	out := testResult{Status: res.StatusCode, DurationMS: res.Duration.Milliseconds()}
	took := res.Duration.Round(time.Millisecond).String()
	if err == nil {
		out.Delivered, out.Summary = true, fmt.Sprintf("the receiver accepted the test event: it answered %d in %s", res.StatusCode, took)
		return out, nil
	}
	_, answered := errors.AsType[*callback.Error](err)
	switch {
	case answered, errors.Is(err, context.DeadlineExceeded), errors.Is(err, callback.ErrInvalid):
		out.Summary = authrequest.DeliveryErrorSummary(err)
		if errors.Is(err, context.DeadlineExceeded) {
			out.Summary += fmt.Sprintf(" (%s)", testTimeout)
		} else if res.Duration > 0 {
			out.Summary += " after " + took
		}
		return out, nil
	case errors.Is(err, authrequest.ErrPermanent):
		// The profile or the callback went meanwhile.
		return testResult{}, fmt.Errorf("callback %d: %w", n, authrequest.ErrNotFound)
	}
	return testResult{}, err
}

// writeAuthError answers an error of the authrequest admin API.
func (a *app) writeAuthError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errBadBody), errors.Is(err, errQuery):
		writeStoreError(w, a.logger, r, err)
	case errors.Is(err, authrequest.ErrInvalid):
		writeError(w, http.StatusBadRequest, codeInvalidInput, strings.ReplaceAll(err.Error(), "authrequest: invalid input: ", ""))
	case errors.Is(err, authrequest.ErrConflict):
		writeError(w, http.StatusConflict, codeConflict, "a profile or policy of that name exists in the application")
	case errors.Is(err, authrequest.ErrNotFound), errors.Is(err, userstore.ErrNotFound):
		writeError(w, http.StatusNotFound, codeNotFound, "no such application, profile, callback, user, policy or request")
	default:
		writeStoreError(w, a.logger, r, err)
	}
}

// listProfilesAPI: GET /api/v1/applications/{id}/profiles.
func (a *app) listProfilesAPI(w http.ResponseWriter, r *http.Request) {
	app, err := a.authApplication(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	ps, err := a.arStore.ListProfiles(r.Context(), app.ID)
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	out := make([]profileJSON, len(ps))
	for i, p := range ps {
		out[i] = viewProfile(p)
	}
	writeJSON(w, http.StatusOK, map[string][]profileJSON{"profiles": out})
}

// createProfileAPI: POST /api/v1/applications/{id}/profiles → 201 with
// the signing secret, shown this once.
func (a *app) createProfileAPI(w http.ResponseWriter, r *http.Request) {
	var in profileJSON
	if err := decodeJSON(w, r, &in); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	app, err := a.authApplication(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	p, err := in.profile(app.ID)
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	out, err := a.createProfile(remoteContext(r), p)
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// getProfileAPI: GET /api/v1/profiles/{id}.
func (a *app) getProfileAPI(w http.ResponseWriter, r *http.Request) {
	p, err := a.arStore.GetProfile(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewProfile(p))
}

// updateProfileAPI: PUT /api/v1/profiles/{id}.
func (a *app) updateProfileAPI(w http.ResponseWriter, r *http.Request) {
	var in profileJSON
	if err := decodeJSON(w, r, &in); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	p, err := in.profile("")
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	if p, err = a.updateProfile(remoteContext(r), r.PathValue("id"), p); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewProfile(p))
}

// deleteProfileAPI: DELETE /api/v1/profiles/{id}.
func (a *app) deleteProfileAPI(w http.ResponseWriter, r *http.Request) {
	if err := a.arStore.DeleteProfile(r.Context(), r.PathValue("id")); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.auth_profile_deleted", "", map[string]string{"profile": r.PathValue("id")})
	w.WriteHeader(http.StatusNoContent)
}

// rotateSecretAPI: POST /api/v1/profiles/{id}/secret → {"secret": …},
// the new signing secret, shown this once; the older ones still sign
// until DELETE /api/v1/profiles/{id}/old-secrets.
func (a *app) rotateSecretAPI(w http.ResponseWriter, r *http.Request) {
	s, err := a.authreq.RotateSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.auth_secret_rotated", "", map[string]string{"profile": r.PathValue("id")})
	writeJSON(w, http.StatusOK, map[string]string{"secret": s})
}

// dropOldSecretsAPI: DELETE /api/v1/profiles/{id}/old-secrets.
func (a *app) dropOldSecretsAPI(w http.ResponseWriter, r *http.Request) {
	if err := a.authreq.DropOldSecrets(r.Context(), r.PathValue("id")); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.auth_old_secrets_dropped", "", map[string]string{"profile": r.PathValue("id")})
	w.WriteHeader(http.StatusNoContent)
}

// testCallbackAPI: POST /api/v1/profiles/{id}/callbacks/{n}/test →
// testResult.
func (a *app) testCallbackAPI(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		a.writeAuthError(w, r, fmt.Errorf("callback: %w", authrequest.ErrNotFound))
		return
	}
	res, err := a.testCallback(remoteContext(r), r.PathValue("id"), n)
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// setApprover makes the user of the application's realm named by
// approver (ID or username; "" removes) the approver of user.
func (a *app) setApprover(ctx context.Context, appID, user, approver string) error {
	app, err := a.authApplication(ctx, appID)
	if err != nil {
		return err
	}
	u, err := a.realmUser(ctx, app, user)
	if err != nil {
		return err
	}
	approverID := ""
	if approver != "" {
		ap, err := a.realmUser(ctx, app, approver)
		if err != nil {
			return fmt.Errorf("approver: %w", err)
		}
		approverID = ap.ID
	}
	if err := a.authreq.SetApprover(ctx, app.ID, u.ID, approverID); err != nil {
		return err
	}
	a.auditAdminCtx(ctx, "admin.approver_set", u.ID, map[string]string{"application": app.ID, "approver": approverID})
	return nil
}

// putApproverAPI: PUT /api/v1/applications/{id}/users/{user}/approver
// {"approver": ID or username} → 204.
func (a *app) putApproverAPI(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Approver string `json:"approver"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	if in.Approver == "" {
		a.writeAuthError(w, r, fmt.Errorf("%w: approver is required (DELETE removes it)", authrequest.ErrInvalid))
		return
	}
	if err := a.setApprover(remoteContext(r), r.PathValue("id"), r.PathValue("user"), in.Approver); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteApproverAPI: DELETE /api/v1/applications/{id}/users/{user}/approver.
func (a *app) deleteApproverAPI(w http.ResponseWriter, r *http.Request) {
	if err := a.setApprover(remoteContext(r), r.PathValue("id"), r.PathValue("user"), ""); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// policyJSON is a pre-approval policy in the admin API: periods in
// seconds, and the link users open.
type policyJSON struct {
	ID            string    `json:"id,omitempty"`
	ApplicationID string    `json:"application_id,omitempty"`
	Name          string    `json:"name"`
	MaxPeriod     int       `json:"max_period"`
	AskValidity   int       `json:"ask_validity,omitempty"`
	Link          string    `json:"link,omitempty"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
}

func (a *app) viewPolicy(p authrequest.PreApprovalPolicy) policyJSON {
	return policyJSON{ID: p.ID, ApplicationID: p.ApplicationID, Name: p.Name, MaxPeriod: int(p.MaxPeriod / time.Second),
		AskValidity: int(p.AskValidity / time.Second), Link: a.baseURL() + "/preapprove/" + p.ID, CreatedAt: p.CreatedAt}
}

// listPoliciesAPI: GET /api/v1/applications/{id}/pre-approval-policies.
func (a *app) listPoliciesAPI(w http.ResponseWriter, r *http.Request) {
	app, err := a.authApplication(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	ps, err := a.arStore.ListPolicies(r.Context(), app.ID)
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	out := make([]policyJSON, len(ps))
	for i, p := range ps {
		out[i] = a.viewPolicy(p)
	}
	writeJSON(w, http.StatusOK, map[string][]policyJSON{"policies": out})
}

// createPolicy stores a pre-approval policy of the application.
func (a *app) createPolicy(ctx context.Context, appID, name string, maxPeriod, askValidity time.Duration) (authrequest.PreApprovalPolicy, error) {
	app, err := a.authApplication(ctx, appID)
	if err != nil {
		return authrequest.PreApprovalPolicy{}, err
	}
	p, err := a.authreq.CreatePolicy(ctx, authrequest.PreApprovalPolicy{ApplicationID: app.ID, Name: strings.TrimSpace(name), MaxPeriod: maxPeriod, AskValidity: askValidity})
	if err != nil {
		return p, err
	}
	a.auditAdminCtx(ctx, "admin.pre_approval_policy_created", "", map[string]string{"application": app.ID, "policy": p.ID})
	return p, nil
}

// createPolicyAPI: POST /api/v1/applications/{id}/pre-approval-policies.
func (a *app) createPolicyAPI(w http.ResponseWriter, r *http.Request) {
	var in policyJSON
	if err := decodeJSON(w, r, &in); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	p, err := a.createPolicy(remoteContext(r), r.PathValue("id"), in.Name, time.Duration(in.MaxPeriod)*time.Second, time.Duration(in.AskValidity)*time.Second)
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, a.viewPolicy(p))
}

// deletePolicyAPI: DELETE /api/v1/pre-approval-policies/{id}.
func (a *app) deletePolicyAPI(w http.ResponseWriter, r *http.Request) {
	if err := a.arStore.DeletePolicy(r.Context(), r.PathValue("id")); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.pre_approval_policy_deleted", "", map[string]string{"policy": r.PathValue("id")})
	w.WriteHeader(http.StatusNoContent)
}

// maxActivities bounds one page of authentication activities.
const maxActivities = 200

// listAuthRequestsAPI: GET /api/v1/applications/{id}/auth-requests
// ?before=RFC 3339&limit=N (default 50, at most 200), newest first.
func (a *app) listAuthRequestsAPI(w http.ResponseWriter, r *http.Request) {
	app, err := a.authApplication(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxActivities {
			a.writeAuthError(w, r, fmt.Errorf("%w: limit: 1 to %d", errQuery, maxActivities))
			return
		}
	}
	var before time.Time
	if v := q.Get("before"); v != "" {
		if before, err = time.Parse(time.RFC3339Nano, v); err != nil {
			a.writeAuthError(w, r, fmt.Errorf("%w: before: an RFC 3339 time", errQuery))
			return
		}
	}
	rs, err := a.arStore.ListRequests(r.Context(), app.ID, before, limit)
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	if rs == nil {
		rs = []authrequest.Request{}
	}
	writeJSON(w, http.StatusOK, map[string][]authrequest.Request{"requests": rs})
}

// deleteAuthRequestAPI: DELETE /api/v1/auth-requests/{id}.
func (a *app) deleteAuthRequestAPI(w http.ResponseWriter, r *http.Request) {
	if err := a.arStore.DeleteRequest(r.Context(), r.PathValue("id")); err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	a.auditAdmin(r, "admin.auth_request_deleted", "", map[string]string{"request": r.PathValue("id")})
	w.WriteHeader(http.StatusNoContent)
}

// activeUsersAPI: GET /api/v1/applications/{id}/active-users → the users
// who authenticated in the last 90 days.
func (a *app) activeUsersAPI(w http.ResponseWriter, r *http.Request) {
	app, err := a.authApplication(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	ids, err := a.authreq.ActiveUsers(r.Context(), app.ID)
	if err != nil {
		a.writeAuthError(w, r, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(ids), "user_ids": ids})
}
