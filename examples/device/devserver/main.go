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
//	    [-sms-dir DIR] [-callback URL [-secret-file FILE]]
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
// Standard Webhooks way with the secret it prints (or writes to the new
// file -secret-file, mode 0600, for examples/receiver); deliveries run on
// authrequest/memstore's in-process outbox (not durable).
//
// The wiring is examples/device/internal/devsrv, which the simulator's
// TestWalkThrough also runs README.md's walk-through against.
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
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/usher-sdk/usher/examples/device/internal/devsrv"
	"github.com/usher-sdk/usher/internal/keyfile"
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
	phone, smsDir, callback, secretFile    string
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
	fl.StringVar(&cfg.secretFile, "secret-file", "", "with -callback: write the profiles' signing secret to this new file (mode 0600), for usher-receiver -secret-file")
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
	if c.secretFile != "" && c.callback == "" {
		return errors.New("-secret-file needs -callback")
	}
	if c.callback != "" {
		if u, err := url.Parse(c.callback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("-callback %q: want an http:// or https:// URL", c.callback)
		}
	}
	return nil
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
	s, err := devsrv.New(ctx, devsrv.Config{Dir: dir, App: cfg.app, Username: cfg.username, Password: password,
		Phone: cfg.phone, SMSDir: cfg.smsDir, Callback: cfg.callback})
	if err != nil {
		return err
	}
	defer s.Close()
	if cfg.secretFile != "" {
		if err := keyfile.WriteNew(cfg.secretFile, []byte(s.Profiles[0].Secrets[0]+"\n"), 0o600); err != nil {
			return fmt.Errorf("-secret-file: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	steps := "credentials of " + cfg.username + ", then manual approval"
	if cfg.smsDir != "" {
		steps = "credentials of " + cfg.username + ", an SMS code to " + cfg.phone + " (written to " + cfg.smsDir + "), then manual approval"
	}
	fmt.Fprintf(stdout, "devserver: application %q (ID %s): %s\n", cfg.app, s.App.ID, steps)
	fmt.Fprintf(stdout, "devserver: local CA in %s\n", dir)
	fmt.Fprintf(stdout, "device API: %s   usher-device onboard -server %s -app %s\n", base, base, cfg.app)
	fmt.Fprintf(stdout, "pending:    curl %s/admin/v1/applications/%s/pending\n", base, s.App.ID)
	fmt.Fprintf(stdout, "approve:    curl -X POST -d '{}' %s/admin/v1/activities/ACTIVITY/approve\n", base)
	fmt.Fprintf(stdout, "reject:     curl -X POST %s/admin/v1/activities/ACTIVITY/reject\n", base)
	// The token is printed because this is a development server: it is
	// the only way to hand it over. A real server shows it once to an
	// administrator.
	fmt.Fprintf(stdout, "token:      %s   (third-party API access token, development only)\n", s.Token)
	fmt.Fprintf(stdout, "push:       curl -H 'Authorization: Bearer %s' -d '{\"application\":\"%s\",\"username\":\"%s\",\"profile\":\"demo\"}' %s/api/v1/requests\n",
		s.Token, cfg.app, cfg.username, base)
	fmt.Fprintf(stdout, "result:     curl -H 'Authorization: Bearer %s' %s/api/v1/requests/AUTH_REQ_ID/wait\n", s.Token, base)
	if cfg.callback != "" {
		if cfg.secretFile != "" {
			fmt.Fprintf(stdout, "callback:   every answer is POSTed to %s, signed with the secret in %s   usher-receiver -secret-file %s\n",
				cfg.callback, cfg.secretFile, cfg.secretFile)
		} else {
			fmt.Fprintf(stdout, "callback:   every answer is POSTed to %s, signed with %s\n", cfg.callback, s.Profiles[0].Secrets[0])
		}
	}
	srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
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
