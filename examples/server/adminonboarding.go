package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/keyart"
	"github.com/usher-sdk/usher/userstore"
)

// maxFormSteps is how many requirement selects the new-application form
// offers; more go in its JSON field.
const maxFormSteps = 4

// applicationsData is what the applications page shows.
type applicationsData struct {
	Applications []onboarding.Application
	Kinds        []string // requirement kinds the server offers
	Steps        []int    // 1…maxFormSteps, for the form's selects
	Form         applicationForm
}

// applicationForm is the new-application form as the admin filled it.
type applicationForm struct {
	Name, Description, LogoURL, Primary, Secondary, Realm, Limit, Requirements string
}

// requirementKinds lists the kinds of requirements the server offers.
func (a *app) requirementKinds() []string {
	kinds := []string{onboarding.KindCredentials, onboarding.KindManual}
	if a.cfg.SMSConfig != "" {
		kinds = append(kinds, onboarding.KindSMS)
	}
	if a.cfg.OIDCConfig != "" {
		kinds = append(kinds, onboarding.KindOIDC)
	}
	return kinds
}

func (a *app) applicationsPage(w http.ResponseWriter, r *http.Request) {
	a.renderApplications(w, r, http.StatusOK, "", "", applicationForm{})
}

func (a *app) renderApplications(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string, form applicationForm) {
	apps, err := a.applications(r.Context())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	steps := make([]int, maxFormSteps)
	for i := range steps {
		steps[i] = i + 1
	}
	a.render(w, r, status, "applications.html", page{Title: "Applications", Notice: notice, Error: errMsg,
		Data: applicationsData{Applications: apps, Kinds: a.requirementKinds(), Steps: steps, Form: form}})
}

// createApplicationForm: POST /admin/applications. The requirements come
// from the step selects in order, or from the JSON field when it is
// filled ([{"kind": "credentials"}, {"kind": "manual"}]).
func (a *app) createApplicationForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderApplications(w, r, http.StatusBadRequest, "", "The form could not be read.", applicationForm{})
		return
	}
	form, in, msg := readApplicationForm(r.PostForm)
	if msg != "" {
		a.renderApplications(w, r, http.StatusBadRequest, "", msg, form)
		return
	}
	in.UserRealm = form.Realm
	app, err := a.newApplication(remoteContext(r), in)
	if err != nil {
		status, msg := http.StatusBadRequest, ""
		switch {
		case errors.Is(err, onboarding.ErrConflict):
			status, msg = http.StatusConflict, "An application of that name exists."
		case errors.Is(err, errAdminRealm):
			msg = err.Error() + "."
		case errors.Is(err, onboarding.ErrInvalid):
			msg = strings.ReplaceAll(err.Error(), "onboarding: invalid input: ", "")
		default:
			a.pageError(w, r, err)
			return
		}
		a.renderApplications(w, r, status, "", msg, form)
		return
	}
	a.renderApplications(w, r, http.StatusCreated, "Created the application "+app.Name+".", "", applicationForm{})
}

// readApplicationForm reads an application's settings from the new and the
// edit form; msg says what is wrong, if anything. The requirements come from
// the JSON field when it is filled, else from the step selects in order.
func readApplicationForm(f url.Values) (form applicationForm, in onboarding.Application, msg string) {
	form = applicationForm{Name: strings.TrimSpace(f.Get("name")), Description: strings.TrimSpace(f.Get("description")),
		LogoURL: strings.TrimSpace(f.Get("logoUrl")), Primary: f.Get("primaryColour"), Secondary: f.Get("secondaryColour"),
		Realm: strings.TrimSpace(f.Get("realm")), Limit: strings.TrimSpace(f.Get("deviceLimit")), Requirements: strings.TrimSpace(f.Get("requirements"))}
	in = onboarding.Application{Name: form.Name, Description: form.Description,
		Layout: onboarding.Layout{LogoURL: form.LogoURL, PrimaryColour: form.Primary, SecondaryColour: form.Secondary}}
	if form.Limit != "" {
		n, err := strconv.Atoi(form.Limit)
		if err != nil || n < 0 || n > 1000 {
			return form, in, "The device limit is a number from 0 (the default, 1) to 1000."
		}
		in.DeviceLimit = n
	}
	if form.Requirements != "" {
		if err := json.Unmarshal([]byte(form.Requirements), &in.Requirements); err != nil {
			return form, in, `The requirements are a JSON list like [{"kind": "credentials"}, {"kind": "manual"}].`
		}
	} else {
		for i := 1; i <= maxFormSteps; i++ {
			if k := f.Get("step" + strconv.Itoa(i)); k != "" {
				in.Requirements = append(in.Requirements, onboarding.RequirementSpec{Kind: k})
			}
		}
	}
	if err := checkLayout(in.Layout); err != nil {
		msg = strings.TrimPrefix(err.Error(), onboarding.ErrInvalid.Error()+": ")
		return form, in, strings.ToUpper(msg[:1]) + msg[1:] + "."
	}
	return form, in, ""
}

// updateApplicationForm: POST /admin/applications/{id}, the application's
// settings from the edit form on its page (the realm stays).
func (a *app) updateApplicationForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderApplication(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	_, in, msg := readApplicationForm(r.PostForm)
	if msg != "" {
		a.renderApplication(w, r, http.StatusBadRequest, "", msg)
		return
	}
	app, err := a.editApplication(remoteContext(r), r.PathValue("id"), in)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, onboarding.ErrNotFound):
			a.renderApplications(w, r, http.StatusNotFound, "", "No such application.", applicationForm{})
			return
		case errors.Is(err, onboarding.ErrConflict):
			status, msg = http.StatusConflict, "An application of that name exists."
		case errors.Is(err, errRealmFixed):
			msg = "An application's user realm cannot change."
		case errors.Is(err, onboarding.ErrInvalid):
			msg = strings.ReplaceAll(err.Error(), "onboarding: invalid input: ", "")
		default:
			a.pageError(w, r, err)
			return
		}
		a.renderApplication(w, r, status, "", msg)
		return
	}
	a.renderApplication(w, r, http.StatusOK, "Saved the settings of "+app.Name+".", "")
}

func isColour(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	_, err := strconv.ParseUint(s[1:], 16, 32)
	return err == nil
}

// appUser is one user of an application's page with their devices.
type appUser struct {
	User    userstore.User
	Devices []onboarding.Device
	// Approver is the username of the user's approver of push
	// authentication requests in the application, "" for none.
	Approver string
}

// applicationData is what an application's page shows.
type applicationData struct {
	App          onboarding.Application
	Requirements []string // each requirement as kind and settings
	Users        []appUser
	Next         string
	Pending      int
	OwnRealm     bool // the application's users are not the Users page's
	// RequirementsJSON is the requirements as the edit form's JSON field.
	RequirementsJSON string
}

func (a *app) applicationPage(w http.ResponseWriter, r *http.Request) {
	a.renderApplication(w, r, http.StatusOK, "", "")
}

func (a *app) renderApplication(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string) {
	ctx := r.Context()
	app, err := a.onboarding.Application(ctx, r.PathValue("id"))
	if errors.Is(err, onboarding.ErrNotFound) {
		a.renderApplications(w, r, http.StatusNotFound, "", "No such application.", applicationForm{})
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	d := applicationData{App: app, OwnRealm: app.Realm() != database.DefaultRealm}
	if b, err := json.Marshal(app.Requirements); err == nil {
		d.RequirementsJSON = string(b)
	}
	for _, s := range app.Requirements {
		line := s.Kind
		if len(s.Settings) > 0 {
			line += " " + string(s.Settings)
		}
		d.Requirements = append(d.Requirements, line)
	}
	pool, err := a.realms.get(ctx, app.Realm())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	for u, err := range pool.store.ListUsers(ctx, userstore.ListOptions{After: bounded(r.URL.Query().Get("after"), 64), Limit: usersPageSize + 1}) {
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		if len(d.Users) == usersPageSize {
			d.Next = d.Users[len(d.Users)-1].User.ID
			break
		}
		ds, err := a.obStore.ListDevices(ctx, app.ID, u.ID)
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		approver, err := a.approverName(ctx, app, u.ID)
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		d.Users = append(d.Users, appUser{User: u, Devices: ds, Approver: approver})
	}
	pending, err := a.onboarding.Pending(ctx, app.ID)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	d.Pending = len(pending)
	a.render(w, r, status, "application.html", page{Title: app.Name, Notice: notice, Error: errMsg, Data: d})
}

// destroyDevicesForm: POST /admin/applications/{id}/devices/destroy, the
// devices of the selected users (id) or one device (device).
func (a *app) destroyDevicesForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderApplication(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	ctx := remoteContext(r)
	if dev := r.PostForm.Get("device"); dev != "" {
		d, err := a.obStore.GetDevice(ctx, dev)
		if err == nil && d.ApplicationID != r.PathValue("id") {
			err = onboarding.ErrNotFound
		}
		if err == nil {
			err = a.onboarding.DestroyDevice(ctx, d.ID)
		}
		if errors.Is(err, onboarding.ErrNotFound) {
			a.renderApplication(w, r, http.StatusNotFound, "", "No such device.")
			return
		}
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		a.auditAdmin(r, "admin.device_destroyed", d.UserID, map[string]string{"application": d.ApplicationID, "device": d.ID})
		a.renderApplication(w, r, http.StatusOK, "Destroyed the device; its certificate is revoked.", "")
		return
	}
	ids := r.PostForm["id"]
	if len(ids) == 0 || len(ids) > maxBulk {
		a.renderApplication(w, r, http.StatusBadRequest, "", "Select users (at most 1000).")
		return
	}
	n, err := a.destroyDevices(ctx, r.PathValue("id"), ids)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.renderApplication(w, r, http.StatusOK, fmt.Sprintf("Destroyed %d devices; their certificates are revoked.", n), "")
}

// addRealmUserForm: POST /admin/applications/{id}/users adds a user with
// a password to the realm of an application that has its own (the
// default realm's users are on the Users page).
func (a *app) addRealmUserForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderApplication(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	ctx := r.Context()
	app, err := a.onboarding.Application(ctx, r.PathValue("id"))
	if errors.Is(err, onboarding.ErrNotFound) {
		a.renderApplications(w, r, http.StatusNotFound, "", "No such application.", applicationForm{})
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	pool, err := a.realms.get(ctx, app.Realm())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	u := userstore.User{Username: strings.TrimSpace(r.PostForm.Get("username")), DisplayName: strings.TrimSpace(r.PostForm.Get("displayName")), Enabled: true}
	pw := r.PostForm.Get("password")
	if err := pool.svc.CheckPassword(u.Username, pw); err != nil {
		a.renderApplication(w, r, http.StatusUnprocessableEntity, "", userMessage(err))
		return
	}
	hash, err := a.hashers.Hash(ctx, pw)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	u.PasswordHash = hash
	if u, err = pool.store.CreateUser(ctx, u); err != nil {
		a.renderApplication(w, r, statusOf(err), "", userMessage(err))
		return
	}
	a.auditAdmin(r, "admin.user_created", u.ID, map[string]string{"realm": app.Realm()})
	a.renderApplication(w, r, http.StatusCreated, "Created "+u.Username+" in the realm "+app.Realm()+".", "")
}

// pendingEntry is one onboarding waiting for approval.
type pendingEntry struct {
	App      onboarding.Application
	Activity onboarding.Activity
	Code     string // the comparison code, in groups of four
	Steps    []onboarding.Step
}

// pendingPage: GET /admin/pending, every application's onboardings that
// wait for an administrator, oldest first, each with the picture and
// code of the key the server received.
func (a *app) pendingPage(w http.ResponseWriter, r *http.Request) {
	a.renderPending(w, r, http.StatusOK, "", "")
}

func (a *app) renderPending(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string) {
	apps, err := a.applications(r.Context())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	var out []pendingEntry
	for _, app := range apps {
		ps, err := a.onboarding.Pending(r.Context(), app.ID)
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		for _, p := range ps {
			out = append(out, pendingEntry{App: app, Activity: p.Activity, Code: groupCode(p.Code)})
		}
	}
	a.render(w, r, status, "pending.html", page{Title: "Pending approvals", Notice: notice, Error: errMsg, Data: out})
}

// groupCode writes a comparison code in groups of four digits.
func groupCode(c string) string {
	if len(c) == keyart.CodeDigits {
		return c[:4] + " " + c[4:]
	}
	return c
}

// decideForm: POST /admin/activities/{id}/{approve|reject|destroy}.
func (a *app) decideForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderPending(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	ctx := remoteContext(r)
	id := r.PathValue("id")
	s, _ := sessionOf(ctx)
	var err error
	var notice string
	action := r.PathValue("action")
	switch action {
	case "approve":
		// With no user found by an earlier step (Manual first), the admin
		// names the user the device is for.
		ap := onboarding.Approval{Admin: s.Username}
		if name := strings.TrimSpace(r.PostForm.Get("username")); name != "" {
			u, uerr := a.userOfActivity(ctx, id, name)
			if errors.Is(uerr, userstore.ErrNotFound) {
				a.renderPending(w, r, http.StatusBadRequest, "", "No user "+name+" in the application's realm.")
				return
			}
			if uerr != nil {
				err = uerr
				break
			}
			ap.UserID = u.ID
		}
		err, notice = a.onboarding.Approve(ctx, id, ap), "Approved; the device may now enrol."
	case "reject":
		err, notice = a.onboarding.Reject(ctx, id, onboarding.Approval{Admin: s.Username}), "Rejected."
	case "destroy":
		act, gerr := a.onboarding.Activity(ctx, id)
		if gerr != nil {
			err = gerr
			break
		}
		if err = a.onboarding.DestroyActivity(ctx, id); err == nil {
			a.auditAdmin(r, "admin.activity_destroyed", act.UserID, map[string]string{"activity": id, "application": act.ApplicationID})
			r.SetPathValue("id", act.ApplicationID)
			a.renderActivities(w, r, http.StatusOK, "Destroyed the activity.", "")
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	switch {
	case errors.Is(err, onboarding.ErrNotFound):
		a.renderPending(w, r, http.StatusNotFound, "", "No such onboarding.")
	case errors.Is(err, onboarding.ErrInvalid), errors.Is(err, onboarding.ErrFinished), errors.Is(err, onboarding.ErrRejected), errors.Is(err, onboarding.ErrOutOfOrder):
		a.renderPending(w, r, http.StatusConflict, "", "This onboarding is not waiting for approval (any more).")
	case err != nil:
		a.pageError(w, r, err)
	default:
		a.renderPending(w, r, http.StatusOK, notice, "")
	}
}

// userOfActivity finds a user by username in the realm of an
// activity's application.
func (a *app) userOfActivity(ctx context.Context, activityID, username string) (userstore.User, error) {
	if len(username) > maxLoginLen {
		return userstore.User{}, userstore.ErrNotFound
	}
	act, err := a.onboarding.Activity(ctx, activityID)
	if err != nil {
		return userstore.User{}, err
	}
	app, err := a.onboarding.Application(ctx, act.ApplicationID)
	if err != nil {
		return userstore.User{}, err
	}
	pool, err := a.realms.get(ctx, app.Realm())
	if err != nil {
		return userstore.User{}, err
	}
	return pool.store.GetUserByUsername(ctx, username)
}

// activityView is one activity with its steps grouped by requirement.
type activityView struct {
	Activity onboarding.Activity
	Groups   []stepGroup
}

// stepGroup is a run of an activity's steps with one tag, newest first.
type stepGroup struct {
	Tag   string
	Steps []onboarding.Step
}

// groupSteps orders steps newest first and groups each run of one tag
// (the requirement's kind, or "system").
func groupSteps(steps []onboarding.Step) []stepGroup {
	var out []stepGroup
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if n := len(out); n > 0 && out[n-1].Tag == s.Tag {
			out[n-1].Steps = append(out[n-1].Steps, s)
			continue
		}
		out = append(out, stepGroup{Tag: s.Tag, Steps: []onboarding.Step{s}})
	}
	return out
}

// maxActivitiesShown bounds the activities page.
const maxActivitiesShown = 200

// activitiesPage: GET /admin/applications/{id}/activities, newest first.
func (a *app) activitiesPage(w http.ResponseWriter, r *http.Request) {
	a.renderActivities(w, r, http.StatusOK, "", "")
}

func (a *app) renderActivities(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string) {
	ctx := r.Context()
	app, err := a.onboarding.Application(ctx, r.PathValue("id"))
	if errors.Is(err, onboarding.ErrNotFound) {
		a.renderApplications(w, r, http.StatusNotFound, "", "No such application.", applicationForm{})
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	acts, err := a.onboarding.Activities(ctx, app.ID)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	if len(acts) > maxActivitiesShown {
		acts = acts[:maxActivitiesShown]
	}
	views := make([]activityView, 0, len(acts))
	for _, act := range acts {
		views = append(views, activityView{Activity: act, Groups: groupSteps(act.Steps)})
	}
	a.render(w, r, status, "activities.html", page{Title: "Onboarding activities · " + app.Name, Notice: notice, Error: errMsg,
		Data: struct {
			App        onboarding.Application
			Activities []activityView
		}{app, views}})
}

// activityPicture: GET /admin/activities/{id}/picture.svg (or .png), the
// picture of the key the server received, from onboarding's admin
// handler behind the admin sign-in.
func (a *app) activityPicture(w http.ResponseWriter, r *http.Request) {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = "/v1"+strings.TrimPrefix(r.URL.Path, "/admin"), ""
	r2.URL = &u
	a.obAdmin.ServeHTTP(w, r2)
}

// deviceSummary returns, for the users' export, how many devices a user
// of the default realm has and when they last enrolled one.
func (a *app) deviceSummary(ctx context.Context, apps []onboarding.Application, userID string) (int, time.Time, error) {
	n := 0
	for _, app := range apps {
		ds, err := a.obStore.ListDevices(ctx, app.ID, userID)
		if err != nil {
			return 0, time.Time{}, err
		}
		n += len(ds)
	}
	var last time.Time
	for e, err := range a.users.Audit(ctx, userstore.AuditFilter{UserID: userID, Kind: onboarding.AuditEnrolled, Limit: 1}) {
		if err != nil {
			return 0, time.Time{}, err
		}
		last = e.Time
	}
	return n, last, nil
}
