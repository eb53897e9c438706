package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	"github.com/usher-sdk/usher/authrequest/outbox"
	arsql "github.com/usher-sdk/usher/authrequest/sqlstore"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/userstore"
)

// scopeAuthRequest opens push authentication: the third-party API
// (create a request, read it, wait for it) and the admin API of
// authentication profiles, approvers, pre-approval policies and
// authentication activities. A token with it may act on every
// application.
const scopeAuthRequest = "authrequest"

// sweepEvery is how often expired requests are recorded as expired.
const sweepEvery = time.Minute

// openAuthRequest wires push authentication: the authrequest Manager on
// authrequest/sqlstore over the one database (its "authrequest" and
// "river" components migrated with the others), the applications and
// devices of the onboarding store, each application's users from its
// realm, revocations from the onboarding store, and audit events to the
// users' audit trail (and syslog). It starts the callback workers and
// the sweeper, which close stops.
func (a *app) openAuthRequest(ctx context.Context) error {
	timeout := a.cfg.CallbackTimeout
	if timeout == 0 {
		timeout = callback.DefaultTimeout
	}
	// An attempt is the call and the profile's lookup: a little more than
	// the call's own bound.
	store, err := arsql.New(ctx, a.db, arsql.WithoutMigrations(), arsql.WithLogger(a.logger),
		arsql.WithOutbox(outbox.Config{Workers: a.cfg.CallbackWorkers, AttemptTimeout: timeout + 5*time.Second}))
	if err != nil {
		return err
	}
	a.arStore = store
	a.authreq, err = authrequest.New(store, a.obStore, a.obStore, authrequest.Config{
		Users: func(ctx context.Context, app onboarding.Application) (authrequest.Users, error) {
			r, err := a.realms.get(ctx, app.Realm())
			if err != nil {
				return nil, err
			}
			return r.store, nil
		}},
		authrequest.WithLogger(a.logger), authrequest.WithRevocations(a.obStore), authrequest.WithAudit(&authAudit{a: a}))
	if err != nil {
		return err
	}
	a.deliverer = a.authreq.Deliverer(callback.New(callback.WithLogger(a.logger), callback.WithTimeout(timeout)))
	a.arAPI = a.authreq.APIHandler(tokenAuthorizer)
	a.arDevice = a.authreq.DeviceHandler()
	a.metrics.watchOutbox(store.Outbox())

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	if err := store.StartDelivery(bg, a.deliverer); err != nil {
		cancel()
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-t.C:
				if n, err := a.authreq.Sweep(bg); err != nil && !errors.Is(err, context.Canceled) {
					a.logger.Warn("sweep of expired authentication requests", "err", err)
				} else if n > 0 {
					a.metrics.authRequests.WithLabelValues("expired").Add(float64(n))
				}
			}
		}
	}()
	a.stopAuthRequest = func() {
		cancel()
		<-done
	}
	return nil
}

// closeAuthRequest stops the sweeper and the callback workers (attempts
// under way get up to 20 s; any cut short are tried again later by this
// or another process).
func (a *app) closeAuthRequest() {
	if a.stopAuthRequest != nil {
		a.stopAuthRequest()
		a.stopAuthRequest = nil
	}
	if a.arStore != nil {
		if err := a.arStore.Close(); err != nil {
			a.logger.Warn("close authentication requests", "err", err)
		}
	}
}

// tokenAuthorizer lets the third-party API act on every application: the
// route is wrapped by requireScope(scopeAuthRequest), which has
// authenticated the server's access token already.
func tokenAuthorizer(r *http.Request) (func(string) bool, error) {
	if tokenOf(r.Context()).ID == "" {
		return nil, authrequest.ErrUnauthorized
	}
	return func(string) bool { return true }, nil
}

// authRequestAPI hands a request to the third-party API, whose paths
// are the server's with "/v1" for "/api/v1/auth" (/v1/requests…).
func (a *app) authRequestAPI(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, authAPIPrefix)
	if !ok {
		writeError(w, http.StatusNotFound, codeNotFound, "no such API route")
		return
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = "/v1"+rest, ""
	r2.URL = &u
	a.arAPI.ServeHTTP(w, r2)
}

// authAPIPrefix is where the third-party API lives:
// /api/v1/auth/requests….
const authAPIPrefix = "/api/v1/auth"

// mountAuthDevice adds authrequest's device endpoints under /api/device
// (pending requests, answers, QR claims, pre-approval asks), public since
// devices sign, with bodies bounded; asking for a pre-approval is held
// back per client address like starting an onboarding.
func (a *app) mountAuthDevice(mux *http.ServeMux) {
	h := http.StripPrefix(deviceAPIPrefix, limitBody(a.arDevice, authrequest.MaxRequestBody))
	mux.Handle(deviceAPIPrefix+"/v1/devices/", h)
	mux.Handle(deviceAPIPrefix+"/v1/requests/", h)
	mux.Handle("POST "+deviceAPIPrefix+"/v1/pre-approvals", a.limitPerAddress("\x00pre-approval", h))
	mux.Handle(deviceAPIPrefix+"/v1/pre-approvals", h)
	mux.Handle(deviceAPIPrefix+"/v1/pre-approvals/", h)
}

// authAudit counts the Manager's events in the metrics and records them
// in the users' audit trail (and syslog, when set).
type authAudit struct{ a *app }

// AppendAudit counts e and records it.
func (o *authAudit) AppendAudit(ctx context.Context, e userstore.AuditEvent) error {
	m := o.a.metrics
	switch e.Kind {
	case authrequest.AuditCreated:
		m.authRequests.WithLabelValues("created").Inc()
	case authrequest.AuditApproved:
		m.authRequests.WithLabelValues("approved").Inc()
	case authrequest.AuditDenied:
		m.authRequests.WithLabelValues("denied").Inc()
	case authrequest.AuditRefused:
		m.authRequests.WithLabelValues("refused").Inc()
	}
	return o.a.usersAudit.AppendAudit(ctx, e)
}

// lastAuthentication is when the user last approved a request in any
// application, zero for never.
func (a *app) lastAuthentication(ctx context.Context, userID string) (time.Time, error) {
	t, err := a.arStore.LastAuthentication(ctx, userID)
	if err != nil {
		return time.Time{}, fmt.Errorf("last authentication: %w", err)
	}
	return t, nil
}
