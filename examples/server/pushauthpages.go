package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/userstore"
)

// approverRow is one user of an application's authentication page with
// their approver.
type approverRow struct {
	User     userstore.User
	Approver string // the approver's username, "" for none
}

// policyRow is one pre-approval policy as the page shows it.
type policyRow struct {
	P        policyJSON
	Max, Ask time.Duration
}

// activityRow is one authentication request as the page shows it.
type activityRow struct {
	Request authrequest.Request
	Status  authrequest.State
}

// authPageData is what an application's authentication page shows.
type authPageData struct {
	App        onboarding.Application
	Profiles   []profileJSON
	Policies   []policyRow
	Approvers  []approverRow
	Activities []activityRow
	Active     int
	Before     string // cursor of the next page of activities
	NewProfile profileForm
}

// profileForm is the settings form of a profile.
type profileForm struct {
	Name, Action, Description, VarsText            string
	TTL                                            int
	NumberMatching, SinglePending, RequireApprover bool
}

// authPage: GET /admin/applications/{id}/authentication, an
// application's push authentication: profiles, pre-approval policies,
// approvers, active users and authentication activities, newest first.
func (a *app) authPage(w http.ResponseWriter, r *http.Request) {
	a.renderAuth(w, r, http.StatusOK, "", "")
}

func (a *app) renderAuth(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string) {
	ctx := r.Context()
	app, err := a.authApplication(ctx, r.PathValue("id"))
	if errors.Is(err, authrequest.ErrNotFound) {
		a.renderApplications(w, r, http.StatusNotFound, "", "No such application.", applicationForm{})
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	d := authPageData{App: app}
	ps, err := a.arStore.ListProfiles(ctx, app.ID)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	for _, p := range ps {
		d.Profiles = append(d.Profiles, viewProfile(p))
	}
	pols, err := a.arStore.ListPolicies(ctx, app.ID)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	for _, p := range pols {
		d.Policies = append(d.Policies, policyRow{P: a.viewPolicy(p), Max: p.MaxPeriod, Ask: p.AskValidity})
	}
	pool, err := a.realms.get(ctx, app.Realm())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	names := map[string]string{}
	for u, err := range pool.store.ListUsers(ctx, userstore.ListOptions{Limit: usersPageSize}) {
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		names[u.ID] = u.Username
		ap, err := a.arStore.Approver(ctx, app.ID, u.ID)
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		d.Approvers = append(d.Approvers, approverRow{User: u, Approver: ap})
	}
	for i, row := range d.Approvers {
		if row.Approver == "" {
			continue
		}
		if n, ok := names[row.Approver]; ok {
			d.Approvers[i].Approver = n
		} else if u, err := pool.store.GetUser(ctx, row.Approver); err == nil {
			d.Approvers[i].Approver = u.Username
		}
	}
	var before time.Time
	if v := r.URL.Query().Get("before"); v != "" {
		before, _ = time.Parse(time.RFC3339Nano, bounded(v, 64))
	}
	rs, err := a.arStore.ListRequests(ctx, app.ID, before, usersPageSize+1)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	now := a.now()
	for i, req := range rs {
		if i == usersPageSize {
			d.Before = rs[i-1].CreatedAt.UTC().Format(time.RFC3339Nano)
			break
		}
		st := req.Status
		if !st.Final() && !now.Before(req.ExpiresAt) {
			st = authrequest.StateExpired
		}
		d.Activities = append(d.Activities, activityRow{Request: req, Status: st})
	}
	active, err := a.authreq.ActiveUsers(ctx, app.ID)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	d.Active = len(active)
	a.render(w, r, status, "authentication.html", page{Title: app.Name + ": authentication", Notice: notice, Error: errMsg, Data: d})
}

// approverName is the username of userID's approver in the application,
// "" for none (or the approver's ID when the approver is gone).
func (a *app) approverName(ctx context.Context, app onboarding.Application, userID string) (string, error) {
	id, err := a.arStore.Approver(ctx, app.ID, userID)
	if err != nil || id == "" {
		return "", err
	}
	pool, err := a.realms.get(ctx, app.Realm())
	if err != nil {
		return "", err
	}
	u, err := pool.store.GetUser(ctx, id)
	if errors.Is(err, userstore.ErrNotFound) {
		return id, nil
	}
	return u.Username, err
}

// authFailed answers err on the authentication page: a refusal that
// authMessage knows with its message, anything else as an error page. It
// reports whether it answered (false for a nil err).
func (a *app) authFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	if status, msg, ok := authMessage(err); ok {
		a.renderAuth(w, r, status, "", msg)
		return true
	} else if err != nil {
		a.pageError(w, r, err)
		return true
	}
	return false
}

// authMessage is what a page says of a refused change.
func authMessage(err error) (int, string, bool) {
	switch {
	case errors.Is(err, authrequest.ErrInvalid):
		return http.StatusBadRequest, strings.ReplaceAll(err.Error(), "authrequest: invalid input: ", "") + ".", true
	case errors.Is(err, authrequest.ErrConflict):
		return http.StatusConflict, "A profile or policy of that name exists in this application.", true
	case errors.Is(err, authrequest.ErrNotFound), errors.Is(err, userstore.ErrNotFound):
		return http.StatusNotFound, "No such user, profile, policy or request.", true
	}
	return 0, "", false
}

// parseForm reads a form of at most maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	return r.ParseForm() == nil
}

// formLines reads "name<sep>value" lines into a map.
func formLines(text, sep string) (map[string]string, bool) {
	out := map[string]string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, sep)
		if !ok || strings.TrimSpace(k) == "" {
			return nil, false
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if len(out) == 0 {
		return nil, true
	}
	return out, true
}

// profileFromForm reads the settings of a profile form.
func profileFromForm(f url.Values) (authrequest.Profile, string) {
	ttl := 0
	if v := strings.TrimSpace(f.Get("ttl")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > int(authrequest.MaxTTL/time.Second) {
			return authrequest.Profile{}, "The validity is a number of seconds from 0 (five minutes) to 3600."
		}
		ttl = n
	}
	vars, ok := formLines(f.Get("vars"), "=")
	if !ok {
		return authrequest.Profile{}, "Custom variables are lines of name=value."
	}
	return authrequest.Profile{Name: strings.TrimSpace(f.Get("name")), TTL: time.Duration(ttl) * time.Second,
		Action: strings.TrimSpace(f.Get("action")), Description: strings.TrimSpace(f.Get("description")), Vars: vars,
		NumberMatching: f.Get("numberMatching") != "", SinglePending: f.Get("singlePending") != "",
		RequireApprover: f.Get("requireApprover") != ""}, ""
}

// createProfileForm: POST /admin/applications/{id}/profiles; the new
// profile's page shows its signing secret this once.
func (a *app) createProfileForm(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		a.renderAuth(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	p, msg := profileFromForm(r.PostForm)
	if msg != "" {
		a.renderAuth(w, r, http.StatusBadRequest, "", msg)
		return
	}
	p.ApplicationID = r.PathValue("id")
	out, err := a.createProfile(remoteContext(r), p)
	if a.authFailed(w, r, err) {
		return
	}
	a.renderProfile(w, r, out.ID, http.StatusCreated, "Created the profile "+out.Name+".", "", out.Secret, nil)
}

// profilePageData is what a profile's page shows.
type profilePageData struct {
	App     onboarding.Application
	Profile profileJSON
	// Secret is a new signing secret, shown once.
	Secret string
	Form   profileForm
	Events []string
	Test   *testResult
	TestN  int
}

// profilePage: GET /admin/profiles/{id}.
func (a *app) profilePage(w http.ResponseWriter, r *http.Request) {
	a.renderProfile(w, r, r.PathValue("id"), http.StatusOK, "", "", "", nil)
}

func (a *app) renderProfile(w http.ResponseWriter, r *http.Request, id string, status int, notice, errMsg, secret string, test *testResult) {
	ctx := r.Context()
	p, err := a.arStore.GetProfile(ctx, id)
	if errors.Is(err, authrequest.ErrNotFound) {
		a.renderApplications(w, r, http.StatusNotFound, "", "No such profile.", applicationForm{})
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	app, err := a.onboarding.Application(ctx, p.ApplicationID)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	var vars []string
	for k, v := range p.Vars {
		vars = append(vars, k+"="+v)
	}
	sort.Strings(vars)
	v := viewProfile(p)
	d := profilePageData{App: app, Profile: v, Secret: secret, Test: test,
		Form: profileForm{Name: v.Name, Action: v.Action, Description: v.Description, VarsText: strings.Join(vars, "\n"), TTL: v.TTL,
			NumberMatching: v.NumberMatching, SinglePending: v.SinglePending, RequireApprover: v.RequireApprover},
		Events: []string{"Create", "Approve", "Deny", "Response", "Error", "Any"}}
	if test != nil {
		d.TestN, _ = strconv.Atoi(r.PathValue("n"))
	}
	a.render(w, r, status, "profile.html", page{Title: "Profile " + p.Name + " of " + app.Name, Notice: notice, Error: errMsg, Data: d})
}

// updateProfileForm: POST /admin/profiles/{id}, the settings (the
// callbacks and secrets stay).
func (a *app) updateProfileForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !parseForm(w, r) {
		a.renderProfile(w, r, id, http.StatusBadRequest, "", "The form could not be read.", "", nil)
		return
	}
	p, msg := profileFromForm(r.PostForm)
	if msg != "" {
		a.renderProfile(w, r, id, http.StatusBadRequest, "", msg, "", nil)
		return
	}
	cur, err := a.arStore.GetProfile(r.Context(), id)
	if err == nil {
		p.Callbacks = cur.Callbacks
		_, err = a.updateProfile(remoteContext(r), id, p)
	}
	a.profileResult(w, r, err, "Saved.")
}

// profileResult re-renders the profile page after a change.
func (a *app) profileResult(w http.ResponseWriter, r *http.Request, err error, notice string) {
	id := r.PathValue("id")
	if status, msg, ok := authMessage(err); ok {
		if status == http.StatusNotFound && !a.profileExists(r, id) {
			a.renderApplications(w, r, http.StatusNotFound, "", "No such profile.", applicationForm{})
			return
		}
		a.renderProfile(w, r, id, status, "", msg, "", nil)
		return
	} else if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.renderProfile(w, r, id, http.StatusOK, notice, "", "", nil)
}

func (a *app) profileExists(r *http.Request, id string) bool {
	_, err := a.arStore.GetProfile(r.Context(), id)
	return err == nil
}

// callbackFromForm reads the new-callback form.
func callbackFromForm(f url.Values) (callback.Callback, string) {
	headers, ok := formLines(f.Get("headers"), ":")
	if !ok {
		return callback.Callback{}, "Headers are lines of Name: value."
	}
	cb := callback.Callback{Event: f.Get("event"), Method: strings.ToUpper(strings.TrimSpace(f.Get("method"))), URL: strings.TrimSpace(f.Get("url")),
		Headers: headers, Body: f.Get("body"), ContentType: strings.TrimSpace(f.Get("contentType")),
		Auth: callback.Auth{Kind: callback.AuthKind(f.Get("authKind")), Header: strings.TrimSpace(f.Get("authHeader")), Value: f.Get("authValue"),
			TokenURL: strings.TrimSpace(f.Get("tokenUrl")), ClientID: strings.TrimSpace(f.Get("clientId")), ClientSecret: f.Get("clientSecret"),
			Scopes: strings.Fields(f.Get("scopes"))}}
	return cb, ""
}

// addCallbackForm: POST /admin/profiles/{id}/callbacks.
func (a *app) addCallbackForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !parseForm(w, r) {
		a.renderProfile(w, r, id, http.StatusBadRequest, "", "The form could not be read.", "", nil)
		return
	}
	cb, msg := callbackFromForm(r.PostForm)
	if msg != "" {
		a.renderProfile(w, r, id, http.StatusBadRequest, "", msg, "", nil)
		return
	}
	p, err := a.arStore.GetProfile(r.Context(), id)
	if err == nil {
		p.Callbacks = append(p.Callbacks, cb)
		_, err = a.updateProfile(remoteContext(r), id, p)
	}
	a.profileResult(w, r, err, "Added the callback.")
}

// removeCallbackForm: POST /admin/profiles/{id}/callbacks/{n}/remove.
func (a *app) removeCallbackForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, err := strconv.Atoi(r.PathValue("n"))
	p, gerr := a.arStore.GetProfile(r.Context(), id)
	switch {
	case gerr != nil:
		err = gerr
	case err != nil || n < 0 || n >= len(p.Callbacks):
		err = authrequest.ErrNotFound
	default:
		// The callbacks after n move up; deliveries recorded before name
		// them by place, so one in flight may reach the next callback's
		// receiver: remove callbacks when none are pending.
		p.Callbacks = append(p.Callbacks[:n:n], p.Callbacks[n+1:]...)
		_, err = a.updateProfile(remoteContext(r), id, p)
	}
	a.profileResult(w, r, err, "Removed the callback.")
}

// testCallbackForm: POST /admin/profiles/{id}/callbacks/{n}/test.
func (a *app) testCallbackForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		a.profileResult(w, r, authrequest.ErrNotFound, "")
		return
	}
	res, err := a.testCallback(remoteContext(r), id, n)
	if err != nil {
		a.profileResult(w, r, err, "")
		return
	}
	a.renderProfile(w, r, id, http.StatusOK, "", "", "", &res)
}

// rotateSecretForm: POST /admin/profiles/{id}/rotate; the page shows the
// new secret this once.
func (a *app) rotateSecretForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s, err := a.authreq.RotateSecret(r.Context(), id)
	if err != nil {
		a.profileResult(w, r, err, "")
		return
	}
	a.auditAdmin(r, "admin.auth_secret_rotated", "", map[string]string{"profile": id})
	a.renderProfile(w, r, id, http.StatusOK, "Rotated the signing secret: deliveries carry a signature for each secret until you drop the old ones.", "", s, nil)
}

// dropSecretsForm: POST /admin/profiles/{id}/drop-secrets.
func (a *app) dropSecretsForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := a.authreq.DropOldSecrets(r.Context(), id)
	if err == nil {
		a.auditAdmin(r, "admin.auth_old_secrets_dropped", "", map[string]string{"profile": id})
	}
	a.profileResult(w, r, err, "Dropped the old secrets: only the newest signs.")
}

// deleteProfileForm: POST /admin/profiles/{id}/delete.
func (a *app) deleteProfileForm(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	p, err := a.arStore.GetProfile(r.Context(), id)
	if err == nil {
		err = a.arStore.DeleteProfile(r.Context(), id)
	}
	if err != nil {
		a.profileResult(w, r, err, "")
		return
	}
	a.auditAdmin(r, "admin.auth_profile_deleted", "", map[string]string{"application": p.ApplicationID, "profile": id})
	r.SetPathValue("id", p.ApplicationID)
	a.renderAuth(w, r, http.StatusOK, "Deleted the profile "+p.Name+".", "")
}

// createPolicyForm: POST /admin/applications/{id}/policies.
func (a *app) createPolicyForm(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		a.renderAuth(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	f := r.PostForm
	maxP, err1 := strconv.Atoi(strings.TrimSpace(f.Get("maxPeriod")))
	ask := 0
	var err2 error
	if v := strings.TrimSpace(f.Get("askValidity")); v != "" {
		ask, err2 = strconv.Atoi(v)
	}
	if err1 != nil || err2 != nil || maxP < 1 || ask < 0 || maxP > 30*24*60 || ask > 24*60 {
		a.renderAuth(w, r, http.StatusBadRequest, "", "Periods are numbers of minutes: the longest period 1 to 43200, the approver's time 0 (one hour) to 1440.")
		return
	}
	_, err := a.createPolicy(remoteContext(r), r.PathValue("id"), f.Get("name"), time.Duration(maxP)*time.Minute, time.Duration(ask)*time.Minute)
	if a.authFailed(w, r, err) {
		return
	}
	a.renderAuth(w, r, http.StatusCreated, "Created the policy; users ask for access at its link.", "")
}

// deletePolicyForm: POST /admin/applications/{id}/policies/{policy}/delete.
func (a *app) deletePolicyForm(w http.ResponseWriter, r *http.Request) {
	p, err := a.arStore.GetPolicy(r.Context(), r.PathValue("policy"))
	if err == nil && p.ApplicationID != r.PathValue("id") {
		err = authrequest.ErrNotFound
	}
	if err == nil {
		err = a.arStore.DeletePolicy(r.Context(), p.ID)
	}
	if a.authFailed(w, r, err) {
		return
	}
	a.auditAdmin(r, "admin.pre_approval_policy_deleted", "", map[string]string{"application": p.ApplicationID, "policy": p.ID})
	a.renderAuth(w, r, http.StatusOK, "Deleted the policy "+p.Name+".", "")
}

// approverForm: POST /admin/applications/{id}/approver, user and approver
// by username; an empty approver removes it.
func (a *app) approverForm(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		a.renderAuth(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	user, approver := strings.TrimSpace(r.PostForm.Get("user")), strings.TrimSpace(r.PostForm.Get("approver"))
	err := a.setApprover(remoteContext(r), r.PathValue("id"), bounded(user, 256), bounded(approver, 256))
	if status, msg, ok := authMessage(err); ok {
		if r.PostForm.Get("from") == "application" {
			a.renderApplication(w, r, status, "", msg)
			return
		}
		a.renderAuth(w, r, status, "", msg)
		return
	} else if err != nil {
		a.pageError(w, r, err)
		return
	}
	notice := "Set the approver of " + user + "."
	if approver == "" {
		notice = "Removed the approver of " + user + "."
	}
	if r.PostForm.Get("from") == "application" {
		a.renderApplication(w, r, http.StatusOK, notice, "")
		return
	}
	a.renderAuth(w, r, http.StatusOK, notice, "")
}

// destroyAuthRequestForm: POST /admin/applications/{id}/auth-requests/{request}/destroy.
func (a *app) destroyAuthRequestForm(w http.ResponseWriter, r *http.Request) {
	req, err := a.arStore.GetRequest(r.Context(), r.PathValue("request"))
	if err == nil && req.ApplicationID != r.PathValue("id") {
		err = authrequest.ErrNotFound
	}
	if err == nil {
		err = a.arStore.DeleteRequest(r.Context(), req.ID)
	}
	if a.authFailed(w, r, err) {
		return
	}
	a.auditAdmin(r, "admin.auth_request_deleted", req.UserID, map[string]string{"application": req.ApplicationID, "request": req.ID})
	a.renderAuth(w, r, http.StatusOK, "Destroyed the activity.", "")
}

// preApprovePageData is what the public pre-approval pages show.
type preApprovePageData struct {
	Policy      authrequest.PreApprovalPolicy
	App         onboarding.Application
	Periods     []int // minutes offered
	Username    string
	PreApproval *authrequest.PreApproval
	Refresh     bool
}

// preApprovePolicy finds the policy of the path and its application.
func (a *app) preApprovePolicy(r *http.Request) (authrequest.PreApprovalPolicy, onboarding.Application, error) {
	id := bounded(r.PathValue("policy"), 64)
	p, err := a.arStore.GetPolicy(r.Context(), id)
	if err != nil {
		return p, onboarding.Application{}, err
	}
	app, err := a.onboarding.Application(r.Context(), p.ApplicationID)
	return p, app, err
}

func periodsUpTo(max time.Duration) []int {
	var out []int
	for _, m := range []int{15, 30, 60, 120, 240, 480, 1440, 7 * 1440, 30 * 1440} {
		if time.Duration(m)*time.Minute <= max {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		out = []int{int(max / time.Minute)}
	}
	return out
}

// preApprovePage: GET /preapprove/{policy}, the page a user opens from a
// policy's link to ask for access for a period.
func (a *app) preApprovePage(w http.ResponseWriter, r *http.Request) {
	p, app, err := a.preApprovePolicy(r)
	if err != nil {
		a.preApproveMissing(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "preapprove.html", page{Title: "Access to " + app.Name,
		Data: preApprovePageData{Policy: p, App: app, Periods: periodsUpTo(p.MaxPeriod)}})
}

func (a *app) preApproveMissing(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, authrequest.ErrNotFound) || errors.Is(err, onboarding.ErrNotFound) {
		a.render(w, r, http.StatusNotFound, "preapprove.html", page{Title: "Access", Error: "This link is not valid (any more)."})
		return
	}
	a.pageError(w, r, err)
}

// preApproveForm: POST /preapprove/{policy} asks for the period and sends
// the browser to the ask's status page. Whether the user exists is never
// told.
func (a *app) preApproveForm(w http.ResponseWriter, r *http.Request) {
	p, app, err := a.preApprovePolicy(r)
	if err != nil {
		a.preApproveMissing(w, r, err)
		return
	}
	d := preApprovePageData{Policy: p, App: app, Periods: periodsUpTo(p.MaxPeriod)}
	refuse := func(status int, msg string) {
		a.render(w, r, status, "preapprove.html", page{Title: "Access to " + app.Name, Error: msg, Data: d})
	}
	if !parseForm(w, r) {
		refuse(http.StatusBadRequest, "The form could not be read.")
		return
	}
	d.Username = bounded(strings.TrimSpace(r.PostForm.Get("username")), userstore.MaxUsernameLength)
	minutes, err := strconv.Atoi(r.PostForm.Get("period"))
	if err != nil || minutes < 1 || time.Duration(minutes)*time.Minute > p.MaxPeriod {
		refuse(http.StatusBadRequest, "Choose a period.")
		return
	}
	if d.Username == "" {
		refuse(http.StatusBadRequest, "Type your username.")
		return
	}
	pa, err := a.authreq.AskPreApproval(r.Context(), p.ID, d.Username, time.Duration(minutes)*time.Minute)
	if errors.Is(err, authrequest.ErrInvalid) {
		refuse(http.StatusBadRequest, "Choose a period and type your username.")
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/preapprove/status/"+pa.ID, http.StatusSeeOther)
}

// preApproveStatus: GET /preapprove/status/{id}, an ask's state,
// refreshing itself until it is decided.
func (a *app) preApproveStatus(w http.ResponseWriter, r *http.Request) {
	pa, err := a.authreq.PreApprovalStatus(r.Context(), bounded(r.PathValue("id"), 64))
	if err != nil {
		a.preApproveMissing(w, r, err)
		return
	}
	app, err := a.onboarding.Application(r.Context(), pa.ApplicationID)
	if err != nil {
		a.preApproveMissing(w, r, err)
		return
	}
	refresh := pa.State == authrequest.PreApprovalAsked || pa.State == authrequest.PreApprovalConfirmed
	a.render(w, r, http.StatusOK, "preapprove.html", page{Title: "Access to " + app.Name,
		Data: preApprovePageData{App: app, PreApproval: &pa, Refresh: refresh}})
}
