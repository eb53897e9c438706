package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/mail"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// errUsage marks a mistake in the command line; run answers it with exit
// code 2 and the verb's usage.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program: it parses args, runs one verb and returns the
// exit code. Tests drive it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr).run(ctx, args)
}

// app holds one run's I/O and dependencies; nothing is global, so that
// tests can run several at once and replace what talks to the world.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// interactive: stdout is a terminal, so progress overwrites one line.
	interactive bool

	httpClient *http.Client
	openStore  func(ctx context.Context, spec string) (userstore.Store, error)
	newSender  func(cfg []byte) (mail.Sender, error)
	getenv     func(string) string
	now        func() time.Time
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{
		stdin:       stdin,
		stdout:      stdout,
		stderr:      stderr,
		interactive: isTerminal(stdout),
		httpClient:  &http.Client{Timeout: 30 * time.Second},
		openStore:   openStore,
		newSender:   func(cfg []byte) (mail.Sender, error) { return mail.FromJSON(cfg) },
		getenv:      os.Getenv,
		now:         time.Now,
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// verb is one subcommand.
type verb struct {
	name    string
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

func (a *app) verbs() []verb {
	return []verb{
		{"init", "write the configuration (asks, or takes flags), make and upload the organization key", (*app).cmdInit},
		{"sync", "carry out every change a sync plans (add, update, groups, activate, deactivate)", (*app).cmdSync},
		{"add", "add the source's users that the store lacks", (*app).cmdAdd},
		{"update", "update users whose details or groups differ from the source", (*app).cmdUpdate},
		{"activate", "activate users enabled again in the source [email]", (*app).cmdActivate},
		{"deactivate", "deactivate users disabled in or gone from the source [email]", (*app).cmdDeactivate},
		{"status", "what a sync would do, and the store's totals", (*app).cmdStatus},
		{"group", "group list | group attach <groups> <emails>", (*app).cmdGroup},
		{"lookup", "lookup <identifier>: the user an audit identifier names", (*app).cmdLookup},
		{"email", "email resend [email]: welcome mail to unverified users", (*app).cmdEmail},
		{"autosync", "autosync run: keep the store in step until stopped", (*app).cmdAutosync},
	}
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		a.usage(a.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, v := range a.verbs() {
		if v.name != args[0] {
			continue
		}
		err := v.run(a, ctx, args[1:])
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			fmt.Fprintf(a.stderr, "usher-sync %s: %v\n", v.name, err)
			return exitUsage
		case errors.Is(err, context.Canceled) && v.name == "autosync":
			return exitOK // stopped by SIGINT or SIGTERM, as asked
		default:
			fmt.Fprintf(a.stderr, "usher-sync %s: %v\n", v.name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(a.stderr, "usher-sync: unknown command %q\n\n", args[0])
	a.usage(a.stderr)
	return exitUsage
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: usher-sync <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, v := range a.verbs() {
		fmt.Fprintf(w, "  %-11s %s\n", v.name, v.summary)
	}
	fmt.Fprintln(w, "\nRun usher-sync <command> -h for a command's flags.")
}

// logger returns a text logger on stderr at level.
func (a *app) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
}

// usagef returns an error that run reports with exit code 2.
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
