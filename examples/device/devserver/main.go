// Command devserver is a development server for the device simulator
// (examples/device) until the reference server mounts the device APIs
// (issue 16): one application, "Demo" by default, whose requirements are
// Credentials then Manual approval (Credentials, SMS, Manual with
// -sms-dir), over an in-memory user store holding one user, an in-memory
// onboarding store with a local CA, and an authrequest.Manager on
// authrequest/memstore over the same application and devices, with two
// authentication profiles: "demo" (no number matching) and "demo-number"
// (number matching). Nothing it holds survives a restart but the CA in
// -dir.
//
//	go run ./examples/device/devserver -password-file pw [-addr 127.0.0.1:8090]
//	    [-dir DIR] [-app Demo] [-username alice] [-phone +447700900123]
//	    [-sms-dir DIR] [-callback URL]
//
// It serves, all WITHOUT sign-in but the third-party API, so it listens on
// loopback addresses only:
//
//   - at /, the device APIs: onboarding's (onboarding.Manager.DeviceHandler,
//     /v1/onboardings…) and authrequest's (authrequest.Manager.DeviceHandler,
//     /v1/devices/{id}/pending, /v1/requests/{id}/answer and /claim,
//     /v1/pre-approvals…), side by side;
//   - under /admin, onboarding's administrators' API;
//   - under /api, authrequest's third-party API (APIHandler: POST
//     /api/v1/requests, GET /api/v1/requests/{id}[/wait]), with the access
//     token it prints at start.
//
// -sms-dir adds the SMS requirement, whose codes a development
// sms.FileSender writes to files in that folder (usher-device onboard
// -sms-dir reads them). -callback URL gives the "demo" profiles a callback
// of every answer (event Response), POSTed as JSON to URL and signed the
// Standard Webhooks way with the secret it prints; deliveries run on
// authrequest/memstore's in-process outbox (not durable).
//
// Exit codes: 0 stopped by SIGINT or SIGTERM, 1 failure, 2 a mistake in
// the command line.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	armem "github.com/usher-sdk/usher/authrequest/memstore"
	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/internal/keyfile"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/onboarding/sms"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is what the flags set.
type config struct {
	addr, dir, app, username, passwordFile string
	phone, smsDir, callback                string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("devserver", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg config
	fl.StringVar(&cfg.addr, "addr", "127.0.0.1:8090", "listen address (loopback only: the admin API has no sign-in)")
	fl.StringVar(&cfg.dir, "dir", "", "folder of the local CA's key and certificate (default: a new temporary folder)")
	fl.StringVar(&cfg.app, "app", "Demo", "name of the application")
	fl.StringVar(&cfg.username, "username", "alice", "the one user's username")
	fl.StringVar(&cfg.passwordFile, "password-file", "", "file (mode 0600) whose first line is the user's password; required")
	fl.StringVar(&cfg.phone, "phone", "+447700900123", "the user's phone number, for the SMS requirement")
	fl.StringVar(&cfg.smsDir, "sms-dir", "", "add the SMS requirement, writing its codes to files in this folder (DEVELOPMENT ONLY: codes in clear text)")
	fl.StringVar(&cfg.callback, "callback", "", "URL to POST every answer of the demo profiles to, signed (Standard Webhooks)")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: devserver -password-file FILE [flags]\n\n"+
			"A development server for usher-device: one application (Credentials, then\n"+
			"Manual approval), one user, onboarding and authentication requests, in\n"+
			"memory. Not for production.\n\nflags:\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := cfg.check(); err != nil {
		fmt.Fprintf(stderr, "devserver: %v\n", err)
		return 2
	}
	if err := serve(ctx, cfg, stdout); err != nil {
		fmt.Fprintf(stderr, "devserver: %v\n", err)
		return 1
	}
	return 0
}

func (c config) check() error {
	if c.passwordFile == "" {
		return errors.New("-password-file is required")
	}
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return fmt.Errorf("-addr: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %s: listen on a loopback address (127.0.0.1, ::1, localhost); the admin API has no sign-in", c.addr)
	}
	if c.callback != "" {
		if u, err := url.Parse(c.callback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-callback %q: want an http:// or https:// URL", c.callback)
		}
	}
	return nil
}

// server is the wired Managers and their handler.
type server struct {
	m        *onboarding.Manager
	ar       *authrequest.Manager
	app      onboarding.Application
	profiles []authrequest.Profile // "demo", "demo-number"
	token    string                // the third-party API's access token
	handler  http.Handler
	close    func()
}

// serverConfig is what newServer wires.
type serverConfig struct {
	dir, app, username, password, phone string
	// smsDir adds the SMS requirement with a FileSender there.
	smsDir string
	// callback is the URL of the demo profiles' Response callback.
	callback string
}

// newServer wires the onboarding Manager on memstore and the local CA,
// and the authrequest Manager on its memstore over the same applications
// and devices, with the application, its profiles and the user. Callback
// deliveries run until ctx ends or close is called.
func newServer(ctx context.Context, cfg serverConfig) (*server, error) {
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
	fail := func(err error) (*server, error) { closeAll(); return nil, err }
	u, err := users.CreateUser(ctx, userstore.User{Username: cfg.username, Phone: cfg.phone, Enabled: true})
	if err == nil {
		err = svc.SetUserPassword(ctx, u.ID, cfg.password)
	}
	if err != nil {
		return fail(fmt.Errorf("user %s: %w", cfg.username, err))
	}
	chain, err := directory.NewChain(users, directory.ChainConfig{
		Local: func(ctx context.Context, login, password string) (userstore.User, error) {
			return svc.Login(ctx, userstore.LoginRequest{Login: login, Password: password})
		},
	})
	if err != nil {
		return fail(err)
	}
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: cfg.dir})
	if err != nil {
		return fail(err)
	}
	reqs := []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return chain, nil }},
	}
	specs := []onboarding.RequirementSpec{{Kind: onboarding.KindCredentials}}
	if cfg.smsDir != "" {
		sender, err := sms.NewFileSender(cfg.smsDir)
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
	app, err := m.CreateApplication(ctx, onboarding.Application{Name: cfg.app, Requirements: specs})
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
	if cfg.callback != "" {
		callbacks = []callback.Callback{{Event: string(authrequest.EventResponse), URL: cfg.callback, ContentType: "application/json",
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
	return &server{m: m, ar: ar, app: app, profiles: profiles, token: token, handler: mux, close: closeAll}, nil
}

func serve(ctx context.Context, cfg config, stdout io.Writer) error {
	pwData, err := keyfile.ReadSecret(cfg.passwordFile)
	if err != nil {
		return fmt.Errorf("password file: %w", err)
	}
	password, _, _ := strings.Cut(string(pwData), "\n")
	password = strings.TrimRight(password, "\r")
	if password == "" {
		return fmt.Errorf("password file %s: the first line is empty", cfg.passwordFile)
	}
	dir := cfg.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "usher-devserver-ca-"); err != nil {
			return err
		}
	}
	s, err := newServer(ctx, serverConfig{dir: dir, app: cfg.app, username: cfg.username, password: password,
		phone: cfg.phone, smsDir: cfg.smsDir, callback: cfg.callback})
	if err != nil {
		return err
	}
	defer s.close()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	steps := "credentials of " + cfg.username + ", then manual approval"
	if cfg.smsDir != "" {
		steps = "credentials of " + cfg.username + ", an SMS code to " + cfg.phone + " (written to " + cfg.smsDir + "), then manual approval"
	}
	fmt.Fprintf(stdout, "devserver: application %q (ID %s): %s\n", cfg.app, s.app.ID, steps)
	fmt.Fprintf(stdout, "devserver: local CA in %s\n", dir)
	fmt.Fprintf(stdout, "device API: %s   usher-device onboard -server %s -app %s\n", base, base, cfg.app)
	fmt.Fprintf(stdout, "pending:    curl %s/admin/v1/applications/%s/pending\n", base, s.app.ID)
	fmt.Fprintf(stdout, "approve:    curl -X POST -d '{}' %s/admin/v1/activities/ACTIVITY/approve\n", base)
	fmt.Fprintf(stdout, "reject:     curl -X POST %s/admin/v1/activities/ACTIVITY/reject\n", base)
	// The token is printed because this is a development server: it is
	// the only way to hand it over. A real server shows it once to an
	// administrator.
	fmt.Fprintf(stdout, "token:      %s   (third-party API access token, development only)\n", s.token)
	fmt.Fprintf(stdout, "push:       curl -H 'Authorization: Bearer %s' -d '{\"application\":\"%s\",\"username\":\"%s\",\"profile\":\"demo\"}' %s/api/v1/requests\n",
		s.token, cfg.app, cfg.username, base)
	fmt.Fprintf(stdout, "result:     curl -H 'Authorization: Bearer %s' %s/api/v1/requests/AUTH_REQ_ID/wait\n", s.token, base)
	if cfg.callback != "" {
		fmt.Fprintf(stdout, "callback:   every answer is POSTed to %s, signed with %s\n", cfg.callback, s.profiles[0].Secrets[0])
	}
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
