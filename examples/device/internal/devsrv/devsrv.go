// Package devsrv wires the development server of the device simulator
// (examples/device/devserver) so that the simulator's tests run its
// README's walk-through against the same server: an onboarding.Manager
// and an authrequest.Manager on in-memory stores, one application and one
// user. Not for production: its admin API has no sign-in.
package devsrv

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	armem "github.com/usher-sdk/usher/authrequest/memstore"
	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/onboarding/sms"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

// Server is the wired Managers and their handler.
type Server struct {
	Onboarding *onboarding.Manager
	Auth       *authrequest.Manager
	App        onboarding.Application
	// Profiles are "demo" (no number matching) and "demo-number", with
	// their signing secrets.
	Profiles []authrequest.Profile
	// Token is the third-party API's access token.
	Token string
	// Handler serves the device APIs at /, onboarding's admin API under
	// /admin and authrequest's third-party API under /api.
	Handler http.Handler
	close   func()
}

// Config is what New wires. Every field but SMSDir and Callback is
// required.
type Config struct {
	Dir, App, Username, Password, Phone string
	// SMSDir adds the SMS requirement, with an sms.FileSender there.
	SMSDir string
	// Callback is the URL of the demo profiles' Response callback.
	Callback string
}

// Close stops the callback deliveries and closes the stores.
func (s *Server) Close() { s.close() }

// New wires the onboarding Manager on memstore and the local CA in
// cfg.Dir, and the authrequest Manager on its memstore over the same
// applications and devices, with the application, its profiles and the
// user. Callback deliveries run until ctx ends or Close is called.
func New(ctx context.Context, cfg Config) (*Server, error) {
	users := usermem.New()
	reg, err := hasher.NewRegistry("usher", hasher.Config{})
	if err != nil {
		return nil, err
	}
	svc, err := userstore.NewService(users, reg, userstore.Config{})
	if err != nil {
		return nil, err
	}
	arStore := armem.New()
	closeAll := func() { _ = arStore.Close(); _ = svc.Close(); _ = users.Close() }
	fail := func(err error) (*Server, error) { closeAll(); return nil, err }
	u, err := users.CreateUser(ctx, userstore.User{Username: cfg.Username, Phone: cfg.Phone, Enabled: true})
	if err == nil {
		err = svc.SetUserPassword(ctx, u.ID, cfg.Password)
	}
	if err != nil {
		return fail(fmt.Errorf("user %s: %w", cfg.Username, err))
	}
	chain, err := directory.NewChain(users, directory.ChainConfig{
		Local: func(ctx context.Context, login, password string) (userstore.User, error) {
			return svc.Login(ctx, userstore.LoginRequest{Login: login, Password: password})
		},
	})
	if err != nil {
		return fail(err)
	}
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: cfg.Dir})
	if err != nil {
		return fail(err)
	}
	reqs := []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return chain, nil }},
	}
	specs := []onboarding.RequirementSpec{{Kind: onboarding.KindCredentials}}
	if cfg.SMSDir != "" {
		sender, err := sms.NewFileSender(cfg.SMSDir)
		if err != nil {
			return fail(err)
		}
		key := make([]byte, sms.MinKeyLen)
		if _, err := rand.Read(key); err != nil {
			return fail(err)
		}
		codes, err := sms.NewCodes(sms.CodesConfig{Key: key}, &sms.MemStore{})
		if err != nil {
			return fail(err)
		}
		reqs = append(reqs, onboarding.SMS{Codes: codes, Sender: sender,
			Users: func(context.Context, onboarding.Application) (onboarding.UserGetter, error) { return users, nil }})
		specs = append(specs, onboarding.RequirementSpec{Kind: onboarding.KindSMS})
	}
	specs = append(specs, onboarding.RequirementSpec{Kind: onboarding.KindManual})
	obStore := memstore.New()
	m, err := onboarding.New(obStore, ca, onboarding.Config{Requirements: reqs})
	if err != nil {
		return fail(err)
	}
	app, err := m.CreateApplication(ctx, onboarding.Application{Name: cfg.App, Requirements: specs})
	if err != nil {
		return fail(err)
	}

	// Authentication requests, over the same applications and devices.
	ar, err := authrequest.New(arStore, obStore, obStore, authrequest.Config{
		Users: func(context.Context, onboarding.Application) (authrequest.Users, error) { return users, nil }})
	if err != nil {
		return fail(err)
	}
	var callbacks []callback.Callback
	if cfg.Callback != "" {
		callbacks = []callback.Callback{{Event: string(authrequest.EventResponse), URL: cfg.Callback, ContentType: "application/json",
			Body: `{"event":"{event}","id":"{uuid}","username":"{username}","response":"{response_type}","payload":"{response_payload_base64}"}`}}
	}
	var profiles []authrequest.Profile
	for _, p := range []authrequest.Profile{
		{Name: "demo", Action: "Sign in to {username}'s demo", Description: "A request pushed to the device simulator."},
		{Name: "demo-number", NumberMatching: true, Action: "Sign in to {username}'s demo", Description: "Type the number the sign-in page shows."},
	} {
		p.ApplicationID, p.Callbacks = app.ID, callbacks
		created, err := ar.CreateProfile(ctx, p)
		if err != nil {
			return fail(fmt.Errorf("profile %s: %w", p.Name, err))
		}
		profiles = append(profiles, created)
	}
	_, token, err := ar.CreateToken(ctx, "devserver", []string{app.ID})
	if err != nil {
		return fail(err)
	}
	if err := arStore.StartDelivery(ctx, ar.Deliverer(nil)); err != nil {
		return fail(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/", m.DeviceHandler())
	device := ar.DeviceHandler()
	for _, p := range []string{"/v1/devices/", "/v1/requests/", "/v1/pre-approvals", "/v1/pre-approvals/"} {
		mux.Handle(p, device)
	}
	mux.Handle("/admin/", http.StripPrefix("/admin", m.AdminHandler(func(*http.Request) string { return "devserver admin" })))
	mux.Handle("/api/", http.StripPrefix("/api", ar.APIHandler(nil)))
	return &Server{Onboarding: m, Auth: ar, App: app, Profiles: profiles, Token: token, Handler: mux, close: closeAll}, nil
}
