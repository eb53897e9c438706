package main

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/onboarding"
)

// scopeOnboarding opens the onboarding admin API: applications, pending
// approvals, activities and devices.
const scopeOnboarding = "onboarding"

// deviceAPIPrefix is where the device endpoints live: onboarding's device
// protocol under /api/device/v1/onboardings, the device CA's certificate
// and CRL beside it. Devices prove their key; they have no access token.
const deviceAPIPrefix = "/api/device"

// mountDevice adds the device endpoints to mux.
func (a *app) mountDevice(mux *http.ServeMux) {
	h := http.StripPrefix(deviceAPIPrefix, limitBody(a.onboarding.DeviceHandler(), onboarding.MaxRequestBody))
	mux.Handle("POST "+deviceAPIPrefix+"/v1/onboardings", a.limitStarts(h))
	mux.Handle(deviceAPIPrefix+"/v1/onboardings", h)
	mux.Handle(deviceAPIPrefix+"/v1/onboardings/", h)
	mux.HandleFunc("GET "+deviceAPIPrefix+"/ca.crt", a.serveCACert)
	mux.HandleFunc("GET "+deviceAPIPrefix+"/ca.crl", a.serveCRL)
	mux.HandleFunc("GET "+deviceOIDCCallback, a.deviceOIDCPage)
	a.mountAuthDevice(mux)
}

// limitStarts holds back a client address that starts more than
// -device-start-limit onboardings in a window (each start stores an
// activity, and anyone may start one), counted in the database so that
// every process counts together.
func (a *app) limitStarts(h http.Handler) http.Handler {
	return a.limitPerAddress("\x00onboarding-start", h)
}

// limitPerAddress holds back a client address that makes more than
// -device-start-limit requests of one kind in a window.
func (a *app) limitPerAddress(kind string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.DeviceStarts > 0 {
			key := throttleKey(kind, r.RemoteAddr)
			blocked, err := a.server.throttled(r.Context(), key)
			if err == nil && !blocked {
				err = a.server.count(r.Context(), key, a.cfg.DeviceStarts)
			}
			if err != nil {
				writeStoreError(w, a.logger, r, err)
				return
			}
			if blocked {
				w.Header().Set("Retry-After", strconv.Itoa(int(throttleWindow/time.Second)))
				writeError(w, http.StatusTooManyRequests, onboarding.CodeThrottled, "too many requests from this address; try again later")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// limitBody caps the request bodies h reads at n bytes.
func limitBody(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// serveCACert: GET /api/device/ca.crt, the device CA's certificate (DER,
// application/pkix-cert; ?format=pem for PEM).
func (a *app) serveCACert(w http.ResponseWriter, r *http.Request) {
	cert, err := a.ca.Certificate(r.Context())
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	if r.URL.Query().Get("format") == "pem" {
		w.Header().Set("Content-Type", "application/x-pem-file")
		_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
		return
	}
	w.Header().Set("Content-Type", "application/pkix-cert")
	_, _ = w.Write(cert.Raw)
}

// serveCRL: GET /api/device/ca.crl, the device CA's certificate revocation
// list (DER, application/pkix-crl), signed afresh on each request.
func (a *app) serveCRL(w http.ResponseWriter, r *http.Request) {
	der, err := a.ca.CRL(r.Context())
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(der)
}

// onboardingAdminAPI hands a request to onboarding's admin handler, whose
// paths are the API's without "/api".
func (a *app) onboardingAdminAPI(w http.ResponseWriter, r *http.Request) {
	http.StripPrefix("/api", a.obAdmin).ServeHTTP(w, r)
}

// writeOnboardingError answers an onboarding error in the API's shape.
func (a *app) writeOnboardingError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errBadBody):
		writeStoreError(w, a.logger, r, err)
	case errors.Is(err, errAdminRealm), errors.Is(err, errRealmFixed):
		writeError(w, http.StatusBadRequest, codeInvalidInput, err.Error())
	case errors.Is(err, onboarding.ErrInvalid):
		writeError(w, http.StatusBadRequest, codeInvalidInput, strings.ReplaceAll(err.Error(), "onboarding: ", ""))
	case errors.Is(err, onboarding.ErrConflict):
		writeError(w, http.StatusConflict, codeConflict, "an application of that name exists")
	case errors.Is(err, onboarding.ErrNotFound):
		writeError(w, http.StatusNotFound, codeNotFound, "no such application, activity or device")
	default:
		writeStoreError(w, a.logger, r, err)
	}
}

// listApplications: GET /api/v1/applications → {"applications": […]}.
func (a *app) listApplications(w http.ResponseWriter, r *http.Request) {
	apps, err := a.applications(r.Context())
	if err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]onboarding.Application{"applications": apps})
}

// createApplication: POST /api/v1/applications with an Application
// (name, description, layout, requirements, user_realm, device_limit).
func (a *app) createApplication(w http.ResponseWriter, r *http.Request) {
	var in onboarding.Application
	if err := decodeJSON(w, r, &in); err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	app, err := a.newApplication(remoteContext(r), in)
	if err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, app)
}

// newApplication creates an application (its realm opened, so made,
// first) and audits it.
func (a *app) newApplication(ctx context.Context, in onboarding.Application) (onboarding.Application, error) {
	in.ID, in.CreatedAt = "", time.Time{} // the store's to set
	if err := errors.Join(in.Validate(), checkLayout(in.Layout)); err != nil {
		return onboarding.Application{}, err
	}
	if _, err := a.realms.get(ctx, in.Realm()); err != nil {
		return onboarding.Application{}, err
	}
	app, err := a.onboarding.CreateApplication(ctx, in)
	if err != nil {
		return onboarding.Application{}, err
	}
	a.auditAdminCtx(ctx, "admin.application_created", "", map[string]string{"application": app.ID, "application_name": app.Name})
	return app, nil
}

// getApplication: GET /api/v1/applications/{id}.
func (a *app) getApplication(w http.ResponseWriter, r *http.Request) {
	app, err := a.onboarding.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app)
}

// updateApplication: PUT /api/v1/applications/{id} with the application's
// new settings (name, description, layout, requirements, device_limit);
// user_realm may be left out but not changed.
func (a *app) updateApplication(w http.ResponseWriter, r *http.Request) {
	var in onboarding.Application
	if err := decodeJSON(w, r, &in); err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	app, err := a.editApplication(remoteContext(r), r.PathValue("id"), in)
	if err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, app)
}

// errRealmFixed refuses to move an application to another user realm: its
// users, devices and approvers are the realm's.
var errRealmFixed = errors.New("an application's user realm cannot change")

// editApplication replaces the settings of the application id with in's
// (its ID, CreatedAt and realm stay) and audits it.
func (a *app) editApplication(ctx context.Context, id string, in onboarding.Application) (onboarding.Application, error) {
	old, err := a.onboarding.Application(ctx, id)
	if err != nil {
		return onboarding.Application{}, err
	}
	if in.UserRealm == "" {
		in.UserRealm = old.UserRealm
	}
	if in.Realm() != old.Realm() {
		return onboarding.Application{}, errRealmFixed
	}
	if err := checkLayout(in.Layout); err != nil {
		return onboarding.Application{}, err
	}
	in.ID, in.CreatedAt = old.ID, old.CreatedAt
	app, err := a.onboarding.UpdateApplication(ctx, in)
	if err != nil {
		return onboarding.Application{}, err
	}
	a.auditAdminCtx(ctx, "admin.application_updated", "", map[string]string{"application": app.ID, "application_name": app.Name})
	return app, nil
}

// checkLayout refuses colours that are not #rrggbb and logos that are not
// https:// addresses of at most 2048 characters.
func checkLayout(l onboarding.Layout) error {
	for _, c := range []string{l.PrimaryColour, l.SecondaryColour} {
		if c != "" && !isColour(c) {
			return fmt.Errorf("%w: colours are #rrggbb", onboarding.ErrInvalid)
		}
	}
	if u := l.LogoURL; u != "" && (len(u) > 2048 || !strings.HasPrefix(u, "https://")) {
		return fmt.Errorf("%w: the logo URL is an https:// address of at most 2048 characters", onboarding.ErrInvalid)
	}
	return nil
}

// userDevices: GET /api/v1/applications/{id}/users/{user}/devices →
// {"devices": […]}, oldest first.
func (a *app) userDevices(w http.ResponseWriter, r *http.Request) {
	app, err := a.onboarding.Application(r.Context(), r.PathValue("id"))
	if err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	ds, err := a.obStore.ListDevices(r.Context(), app.ID, r.PathValue("user"))
	if err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	if ds == nil {
		ds = []onboarding.Device{}
	}
	writeJSON(w, http.StatusOK, map[string][]onboarding.Device{"devices": ds})
}

// destroyDevicesAPI: POST /api/v1/applications/{id}/devices/destroy
// {"users": [id, …]} destroys (and revokes) every device of those users
// in the application → {"destroyed": n}.
func (a *app) destroyDevicesAPI(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Users []string `json:"users"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	if len(body.Users) == 0 || len(body.Users) > maxBulk {
		writeError(w, http.StatusBadRequest, codeInvalidInput, fmt.Sprintf("users: 1 to %d user IDs", maxBulk))
		return
	}
	n, err := a.destroyDevices(remoteContext(r), r.PathValue("id"), body.Users)
	if err != nil {
		a.writeOnboardingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"destroyed": n})
}

// destroyDevices destroys every device of the users in the application
// and says how many went.
func (a *app) destroyDevices(ctx context.Context, appID string, users []string) (int, error) {
	app, err := a.onboarding.Application(ctx, appID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range users {
		ds, err := a.obStore.ListDevices(ctx, app.ID, u)
		if err != nil {
			return n, err
		}
		for _, d := range ds {
			if err := a.onboarding.DestroyDevice(ctx, d.ID); err != nil && !errors.Is(err, onboarding.ErrNotFound) {
				return n, err
			}
			n++
			a.auditAdminCtx(ctx, "admin.device_destroyed", u, map[string]string{"application": app.ID, "device": d.ID})
		}
	}
	return n, nil
}
