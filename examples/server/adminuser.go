package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/userstore"
)

// userPageData is what the user page shows.
type userPageData struct {
	User   apiUser
	Events []userstore.AuditEvent
	Code   string // an activation code just made, shown once
	Mail   bool   // whether reset mails can be sent
	// Devices are the user's devices in the applications of the default
	// realm, by application.
	Devices []appDevice
}

// appDevice is a device with its application.
type appDevice struct {
	App    onboarding.Application
	Device onboarding.Device
}

// userPage: GET /admin/users/{id}.
func (a *app) userPage(w http.ResponseWriter, r *http.Request) {
	a.renderUser(w, r, http.StatusOK, "", "", "")
}

func (a *app) renderUser(w http.ResponseWriter, r *http.Request, status int, notice, errMsg, code string) {
	u, err := a.users.GetUser(r.Context(), r.PathValue("id"))
	if errors.Is(err, userstore.ErrNotFound) {
		a.renderUsers(w, r, http.StatusNotFound, "", "No such user.")
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	events, err := a.auditEvents(r, userstore.AuditFilter{UserID: u.ID, Limit: 50})
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	devices, err := a.devicesOf(r.Context(), u.ID)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.render(w, r, status, "user.html", page{Title: u.Username, Notice: notice, Error: errMsg,
		Data: userPageData{User: toAPIUser(u, a.now()), Events: events, Code: code, Mail: a.cfg.MailConfig != "", Devices: devices}})
}

// devicesOf lists a default-realm user's devices in every application of
// that realm.
func (a *app) devicesOf(ctx context.Context, userID string) ([]appDevice, error) {
	apps, err := a.applications(ctx)
	if err != nil {
		return nil, err
	}
	var out []appDevice
	for _, app := range apps {
		if app.Realm() != database.DefaultRealm {
			continue
		}
		ds, err := a.obStore.ListDevices(ctx, app.ID, userID)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out = append(out, appDevice{App: app, Device: d})
		}
	}
	return out, nil
}

// userAction: POST /admin/users/{id}/{action} — password, reset,
// activation, enabled, groups, devices, delete.
func (a *app) userAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderUser(w, r, http.StatusBadRequest, "", "The form could not be read.", "")
		return
	}
	ctx := r.Context()
	u, err := a.users.GetUser(ctx, r.PathValue("id"))
	if errors.Is(err, userstore.ErrNotFound) {
		a.renderUsers(w, r, http.StatusNotFound, "", "No such user.")
		return
	}
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	switch r.PathValue("action") {
	case "password":
		set, kind := a.userSvc.SetUserPassword, "admin.password_set"
		if r.PostForm.Get("mustChange") == "true" {
			set, kind = a.userSvc.SetInitialPassword, "admin.initial_password_set"
		}
		if err := set(ctx, u.ID, r.PostForm.Get("password")); err != nil {
			a.renderUser(w, r, statusOf(err), "", userMessage(err), "")
			return
		}
		a.auditAdmin(r, kind, u.ID, nil)
		a.renderUser(w, r, http.StatusOK, "Password set.", "", "")
	case "reset":
		if err := a.userSvc.RequestPasswordReset(ctx, userstore.ResetRequest{Login: u.Username, Remote: r.RemoteAddr}); err != nil {
			a.logger.ErrorContext(ctx, "admin reset mail", "err", err)
			a.renderUser(w, r, http.StatusServiceUnavailable, "", "Reset mails are not configured (-mail-config).", "")
			return
		}
		a.auditAdmin(r, "admin.reset_mail_sent", u.ID, nil)
		a.renderUser(w, r, http.StatusOK, "A reset mail is on its way to "+u.Email+" (when the user has an address and is enabled).", "", "")
	case "activation":
		m := a.activation(w, r)
		if m == nil {
			return
		}
		code, err := m.Create(ctx, u.Username, nil)
		if err != nil {
			if errors.Is(err, activation.ErrUserNotFound) {
				a.renderUsers(w, r, http.StatusNotFound, "", "No such user.")
				return
			}
			if errors.Is(err, activation.ErrDisabled) {
				a.renderUser(w, r, http.StatusForbidden, "", "Account activation is switched off (Activation page).", "")
				return
			}
			a.pageError(w, r, err)
			return
		}
		a.auditAdmin(r, "admin.activation_code_created", u.ID, nil)
		a.renderUser(w, r, http.StatusOK, "Hand this code to the person; it is not shown again. It expires "+code.ExpiresAt.UTC().Format("2006-01-02")+".", "", code.Code)
	case "enabled":
		switch a.setEnabled(r, u.ID, r.PostForm.Get("enabled") == "true") {
		case "ok", "unchanged":
			a.renderUser(w, r, http.StatusOK, "Saved.", "", "")
		default:
			a.renderUser(w, r, http.StatusConflict, "", "The user could not be changed; the server's log has the detail.", "")
		}
	case "groups":
		var groups []string
		for _, g := range strings.Split(r.PostForm.Get("groups"), ",") {
			if g = strings.TrimSpace(g); g != "" {
				groups = append(groups, g)
			}
		}
		if len(groups) > maxBulk {
			a.renderUser(w, r, http.StatusBadRequest, "", "At most 1000 groups.", "")
			return
		}
		if err := a.users.SetUserGroups(ctx, u.ID, groups); err != nil {
			a.renderUser(w, r, statusOf(err), "", userMessage(err), "")
			return
		}
		a.auditAdmin(r, "admin.user_groups_set", u.ID, nil)
		a.renderUser(w, r, http.StatusOK, "Groups saved.", "", "")
	case "devices":
		// Destroy one of the user's devices (revoking its certificate).
		d, err := a.obStore.GetDevice(ctx, r.PostForm.Get("device"))
		if err == nil && d.UserID != u.ID {
			err = onboarding.ErrNotFound
		}
		if err == nil {
			err = a.onboarding.DestroyDevice(remoteContext(r), d.ID)
		}
		if errors.Is(err, onboarding.ErrNotFound) {
			a.renderUser(w, r, http.StatusNotFound, "", "No such device.", "")
			return
		}
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		a.auditAdmin(r, "admin.device_destroyed", u.ID, map[string]string{"application": d.ApplicationID, "device": d.ID})
		a.renderUser(w, r, http.StatusOK, "Destroyed the device; its certificate is revoked.", "", "")
	case "delete":
		if err := a.users.DeleteUser(ctx, u.ID); err != nil && !errors.Is(err, userstore.ErrNotFound) {
			a.pageError(w, r, err)
			return
		}
		a.auditAdmin(r, "admin.user_deleted", u.ID, nil)
		a.destroyUserDevices(r, u.ID)
		a.renderUsers(w, r, http.StatusOK, "Deleted "+u.Username+".", "")
	default:
		http.NotFound(w, r)
	}
}
