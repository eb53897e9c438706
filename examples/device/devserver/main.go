// Command devserver is a development server for the device simulator
// (examples/device) until the reference server mounts the onboarding
// device API (issue 16): one application, "Demo" by default, whose
// requirements are Credentials then Manual approval, over an in-memory
// user store holding one user, and an in-memory onboarding store with a
// local CA. Nothing it holds survives a restart but the CA in -dir.
//
//	go run ./examples/device/devserver -password-file pw [-addr 127.0.0.1:8090]
//	    [-dir DIR] [-app Demo] [-username alice]
//
// It serves the device API (onboarding.Manager.DeviceHandler) at / and the
// administrators' API (onboarding.Manager.AdminHandler) under /admin,
// WITHOUT sign-in, so it listens on loopback addresses only.
//
// Exit codes: 0 stopped by SIGINT or SIGTERM, 1 failure, 2 a mistake in
// the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/internal/keyfile"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
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
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: devserver -password-file FILE [flags]\n\n"+
			"A development server for usher-device: one application (Credentials, then\n"+
			"Manual approval) and one user, in memory. Not for production.\n\nflags:\n")
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
	return nil
}

// server is the wired Manager and its handler.
type server struct {
	m       *onboarding.Manager
	app     onboarding.Application
	handler http.Handler
	close   func()
}

// newServer wires a Manager on memstore and the local CA in dir, with the
// application and the user.
func newServer(ctx context.Context, dir, appName, username, password string) (*server, error) {
	users := usermem.New()
	reg, err := hasher.NewRegistry("usher", hasher.Config{})
	if err != nil {
		return nil, err
	}
	svc, err := userstore.NewService(users, reg, userstore.Config{})
	if err != nil {
		return nil, err
	}
	closeAll := func() { _ = svc.Close(); _ = users.Close() }
	u, err := users.CreateUser(ctx, userstore.User{Username: username, Enabled: true})
	if err == nil {
		err = svc.SetUserPassword(ctx, u.ID, password)
	}
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("user %s: %w", username, err)
	}
	chain, err := directory.NewChain(users, directory.ChainConfig{
		Local: func(ctx context.Context, login, password string) (userstore.User, error) {
			return svc.Login(ctx, userstore.LoginRequest{Login: login, Password: password})
		},
	})
	if err != nil {
		closeAll()
		return nil, err
	}
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: dir})
	if err != nil {
		closeAll()
		return nil, err
	}
	m, err := onboarding.New(memstore.New(), ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return chain, nil }},
	}})
	if err != nil {
		closeAll()
		return nil, err
	}
	app, err := m.CreateApplication(ctx, onboarding.Application{Name: appName, Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindCredentials}, {Kind: onboarding.KindManual}}})
	if err != nil {
		closeAll()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", m.DeviceHandler())
	mux.Handle("/admin/", http.StripPrefix("/admin", m.AdminHandler(func(*http.Request) string { return "devserver admin" })))
	return &server{m: m, app: app, handler: mux, close: closeAll}, nil
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
	s, err := newServer(ctx, dir, cfg.app, cfg.username, password)
	if err != nil {
		return err
	}
	defer s.close()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "devserver: application %q (ID %s): credentials of %s, then manual approval\n", cfg.app, s.app.ID, cfg.username)
	fmt.Fprintf(stdout, "devserver: local CA in %s\n", dir)
	fmt.Fprintf(stdout, "device API: %s   usher-device onboard -server %s -app %s\n", base, base, cfg.app)
	fmt.Fprintf(stdout, "pending:    curl %s/admin/v1/applications/%s/pending\n", base, s.app.ID)
	fmt.Fprintf(stdout, "approve:    curl -X POST -d '{}' %s/admin/v1/activities/ACTIVITY/approve\n", base)
	fmt.Fprintf(stdout, "reject:     curl -X POST %s/admin/v1/activities/ACTIVITY/reject\n", base)
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
