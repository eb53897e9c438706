package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes; doc.go and README.md list them too.
const (
	exitOK       = 0 // done
	exitFailure  = 1 // anything else went wrong: files, network, the server refused an answer
	exitUsage    = 2 // a mistake in the command line
	exitRejected = 3 // an administrator rejected the onboarding
	exitTimeout  = 4 // wait: no request arrived within -timeout
)

// prog is the name in messages: the command is installed as usher-device.
const prog = "usher-device"

var (
	// errUsage marks a mistake in the command line (exit code 2).
	errUsage = errors.New("usage")
	// errRejected marks an onboarding that an administrator rejected
	// (exit code 3).
	errRejected = errors.New("the onboarding was rejected")
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program: it parses args, runs one subcommand and returns
// the exit code. Tests drive it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr).run(ctx, args)
}

// app holds one run's I/O and dependencies; nothing is global, so that
// tests can run several at once.
type app struct {
	in             *bufio.Reader
	tty            *os.File // stdin when it is a terminal, for hidden passwords; else nil
	stdout, stderr io.Writer
	httpClient     *http.Client
	now            func() time.Time
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{
		in:         bufio.NewReaderSize(stdin, maxLine),
		tty:        terminalOf(stdin),
		stdout:     stdout,
		stderr:     stderr,
		httpClient: &http.Client{Timeout: 30 * time.Second},
		now:        time.Now,
	}
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(a *app, ctx context.Context, args []string) error
}

func (a *app) commands() []command {
	return []command{
		{"init", "make the device's key (P-256 or Ed25519) in a new file, show its fingerprint, code and picture", (*app).cmdInit},
		{"onboard", "onboard the key to an application on a server, walking its requirements", (*app).cmdOnboard},
		{"show", "the key's fingerprint and code, the certificate, the server and device ID", (*app).cmdShow},
		{"requests", "list the pending authentication requests (as user or approver)", (*app).cmdRequests},
		{"approve", "approve a pending request (-id, -all or the only one; number matching)", (*app).cmdApprove},
		{"deny", "deny a pending request, with a reason", (*app).cmdDeny},
		{"claim", "claim a QR request from its code's text (usher-auth:?id=…&code=…)", (*app).cmdClaim},
		{"wait", "wait until a request is pending and print it", (*app).cmdWait},
	}
}

func (a *app) run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		a.usage(a.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range a.commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(a, ctx, args[1:])
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			fmt.Fprintf(a.stderr, "%s %s: %v\n", prog, c.name, err)
			return exitUsage
		case errors.Is(err, context.Canceled):
			fmt.Fprintf(a.stderr, "%s %s: interrupted (%v)\n", prog, c.name, err)
			return exitFailure
		case errors.Is(err, errRejected):
			fmt.Fprintf(a.stderr, "%s %s: %v\n", prog, c.name, err)
			return exitRejected
		case errors.Is(err, errTimeout):
			fmt.Fprintf(a.stderr, "%s %s: %v\n", prog, c.name, err)
			return exitTimeout
		default:
			fmt.Fprintf(a.stderr, "%s %s: %v\n", prog, c.name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(a.stderr, "%s: unknown command %q\n\n", prog, args[0])
	a.usage(a.stderr)
	return exitUsage
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s <command> [flags]\n\ncommands:\n", prog)
	for _, c := range a.commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun %s <command> -help for a command's flags.\n", prog)
	fmt.Fprintln(w, "Exit codes: 0 done, 1 failure, 2 command-line mistake, 3 onboarding rejected,\n4 wait saw no request within -timeout.")
}

// usagef returns an error that run reports with exit code 2.
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}
