// Command server is Usher's reference server. Run it from the module root:
//
//	go run ./examples/server
//
// It listens on 127.0.0.1:8080, keeps everything in the SQLite file
// usher-data/usher.db (created with its folder on first start; -database
// postgres://… for PostgreSQL), and prints the admin page's address and,
// on first start, the password of the admin account "admin" — once; it is
// never printed again. -help lists every setting with its environment
// variable and default.
//
// What it serves:
//
//	/admin/                the admin page: dashboard; users (search, create,
//	                       enable, disable and delete in bulk, CSV import and
//	                       export); a user's page (groups, password, reset
//	                       mail, activation code, audit); activation
//	                       settings; applications (create with layout,
//	                       ordered requirements, realm and device limit;
//	                       users and their devices, destroy in bulk),
//	                       pending approvals (key picture and comparison
//	                       code; approve, reject), onboarding activities;
//	                       an application's push authentication: profiles
//	                       and their callbacks (secret shown once, rotate,
//	                       drop old, send test event), approvers,
//	                       pre-approval policies, authentication activities
//	                       and active users; sync status; audit trail;
//	                       access tokens
//	/api/v1/users…         users: list, create, read, update, delete, bulk
//	                       enable/disable/delete, password, groups, CSV import
//	                       and export (scopes users:read, users:write), and
//	                       their activation codes (scope activation)
//	/api/v1/groups…        groups by stable ID: list, create, read, rename and
//	                       change members in one step, delete, members
//	/api/v1/applications…, /api/v1/activities…, /api/v1/devices/{id}
//	                       onboarding: applications, pending approvals,
//	                       activities, devices (scope onboarding)
//	/api/v1/auth/requests…  push authentication for third parties: create a
//	                       request, read it, wait for its answer (scope
//	                       authrequest; a token may act on every application)
//	/api/v1/profiles…, /api/v1/applications/{id}/profiles,
//	…/pre-approval-policies, …/users/{user}/approver, …/auth-requests,
//	…/active-users, /api/v1/pre-approval-policies/{id},
//	/api/v1/auth-requests/{id}
//	                       push authentication's administration (scope
//	                       authrequest)
//	/api/device/v1/devices/{id}/pending, /api/device/v1/requests/{id}/answer
//	and …/claim, /api/device/v1/pre-approvals…
//	                       the devices' side of push authentication (no
//	                       token: the device signs with its enrolled key)
//	/preapprove/{policy}   the page a pre-approval policy's link opens: a
//	                       user asks for a period of access
//	/api/device/v1/onboardings…
//	                       the devices' onboarding protocol (no token: the
//	                       device proves its key); /api/device/ca.crt and
//	                       /api/device/ca.crl, the device CA's certificate
//	                       and CRL (DER); the CA's files are in -ca-dir
//	/api/v1/authenticate   a user's password checked for an application
//	                       (scope authenticate)
//	/api/sync/…            the sync agent's API (directory/syncapi; scope sync,
//	                       header Usher-Organization): the organization's key,
//	                       the records held, signed changes verified here
//	/scim/v2/…             SCIM 2.0 (userstore/scim) for Entra ID, Okta and
//	                       others (scope scim)
//	/activate, /reset      the end user's activation (code, then password)
//	                       and password reset by mail (-mail-config)
//	/api/v1/activation/…   the same activation steps as JSON
//	/_layouts/PG/register.aspx
//	                       PortalGuard's batch endpoint (-batch-admins)
//	/api/v1/openapi.json   the OpenAPI 3.1 document of the API
//	/metrics               Prometheus metrics (scope metrics)
//	/healthz, /readyz      liveness; readiness (database reachable, schema
//	                       current)
//
// API clients authenticate with access tokens made on the admin page
// (Authorization: Bearer ush_…), shown once, stored hashed, scoped and
// revocable. Scripts and a first set-up without a browser make one on the
// command line, on the database the server uses (also while it runs):
//
//	go run ./examples/server token create -name NAME -scopes users:read,users:write|all [-ttl 720h]
//
// Every audit event (logins, admin actions, activations, sync runs) is in
// the audit trail in the database and, with -syslog udp://…, tcp://… or
// tls://host:port, also goes to a syslog receiver as RFC 5424 in Notakey's
// shape ("[LOGIN] [8c620] [jdoe] [users] login.failed: wrong password");
// a receiver that is away never blocks a request: events wait in the
// audit trail and go out, in order, when it returns, also after a restart;
// one of the server processes sharing the database sends them (at least
// once).
//
// Wrong admin passwords are counted per account and client address: an
// address that makes 5 in 15 minutes is held back for that account while
// its owner signs in from elsewhere (the account itself locks only after
// 50, against guessing from many addresses).
//
// Admins sign in with a password (the bootstrap account, and accounts of
// the admin pool) or, with -oidc-config, at an OpenID Provider through the
// claims package: a user whose mapped roles hold -oidc-admin-role
// (default usher-admin) gets an admin account and a session; anyone else
// is refused.
//
// Onboarding (package onboarding) links a user's device to an
// application: its requirements are credentials (the application's user
// realm, made on demand; the default realm is the Users page), manual
// approval, an SMS code (with -sms-config) and an OpenID Connect sign-in
// (with -oidc-config, redirected to /device/oidc/callback). Enrolled
// devices get a certificate from the local CA; destroying a device (or
// deleting its user) revokes it.
//
// Push authentication (package authrequest) sends requests to users'
// enrolled devices; each answer is signed by the device. A request's
// authentication profile reports its events to callbacks, signed the
// Standard Webhooks way and delivered from a durable outbox in the
// database (River) by -callback-workers workers in every process, each
// call bounded by -callback-timeout; a delivery that cannot be made is
// tried again with backoff, also after a restart.
//
// Sessions and access tokens live in the database, so several server
// processes sharing one PostgreSQL serve any request.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "token" {
		os.Exit(tokenCommand(context.Background(), os.Args[2:], os.Getenv, os.Stdout, os.Stderr))
	}
	cfg, err := loadSettings(os.Args[1:], os.Getenv, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(2)
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // checked by loadSettings
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, logger, os.Stdout); err != nil {
		logger.Error("server stopped", "err", err)
		os.Exit(1)
	}
}

// run opens everything, serves until ctx is done, then shuts down
// gracefully (requests in flight get 10 seconds).
func run(ctx context.Context, cfg settings, logger *slog.Logger, out io.Writer) error {
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.close()
	password, err := a.bootstrap(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if a.tls() {
		scheme = "https"
	}
	base := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	fmt.Fprintf(out, "Usher reference server on %s/ (database %s)\n", base, redactDSN(cfg.Database))
	fmt.Fprintf(out, "  admin page: %s/admin/\n", base)
	if password != "" {
		fmt.Fprintf(out, "  first sign-in: user %q, password %s\n", bootstrapAdmin, password)
		fmt.Fprintln(out, "  (this password is shown only now; keep it, or start with -bootstrap-password next time on a fresh database)")
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil && !a.tls() {
		if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
			fmt.Fprintf(out, "  WARNING: listening on %s without TLS: passwords and tokens cross the network in clear text; use -tls-cert/-tls-key or a TLS proxy\n", host)
		}
	}
	fmt.Fprintf(out, "  health: %s/healthz, readiness: %s/readyz\n", base, base)
	fmt.Fprintln(out, "  press Ctrl+C to stop")

	errc := make(chan error, 1)
	go func() {
		if a.tls() {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	logger.Info("shutting down")
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
