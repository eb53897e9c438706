// Command floodbench fires a flood of concurrent wrong-password logins at
// userstore.Service and prints the peak RSS and the logins per second with
// the hasher registry's default bound on memory-hard hashes in flight
// (hasher.Config.MaxConcurrentHashes: one per CPU) and without a bound.
//
// Every login is a Service.Login of one of a few users of a memstore.Store,
// hashed with the default usher-v1 (argon2id, 19 MiB, t=2, p=1); all the
// logins start at once and each verifies one hash. Each setting runs in a
// child process of its own, since peak RSS (getrusage's ru_maxrss) is a
// process's, and the report prints them side by side:
//
//	go run ./internal/cmd/floodbench              # 1,000 logins
//	go run ./internal/cmd/floodbench -logins 100  # a quicker run
//
// Without the bound every login in flight holds its 19 MiB, so 1,000 need
// about 19 GiB. So that floodbench cannot exhaust a shared machine, the
// unbounded run fires no more logins than fit in -unbounded-mib (by default
// a third of MemAvailable); when that is fewer than -logins, the bounded
// setting is also run with as many, for a comparison at equal numbers.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
)

// options are the command's flags.
type options struct {
	logins       int    // concurrent logins of a run
	users        int    // users in the store
	unboundedMiB int    // memory the unbounded run may take; 0: a third of MemAvailable
	child        string // set in a child process: "bounded" or "unbounded"
}

// argon2MiB is the memory of one usher-v1 hash with the default
// parameters (hasher.Config.Argon2: 19,456 KiB).
const argon2MiB = 19

func main() {
	var o options
	flag.IntVar(&o.logins, "logins", 1000, "concurrent wrong-password logins per run")
	flag.IntVar(&o.users, "users", 4, "users in the store (the logins go round them)")
	flag.IntVar(&o.unboundedMiB, "unbounded-mib", 0, "memory the unbounded run may take, in MiB (logins × 19 MiB); 0: a third of MemAvailable")
	flag.StringVar(&o.child, "child", "", "internal: run one setting in this process and print its result as JSON")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if o.child != "" {
		err = runChild(ctx, o, os.Stdout)
	} else {
		err = run(ctx, o, os.Stdout, selfCommand)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "floodbench:", err)
		os.Exit(1)
	}
}

// runChild runs the flood of o.child's setting and writes its result.
func runChild(ctx context.Context, o options, w io.Writer) error {
	bound := 0 // the default: runtime.GOMAXPROCS(0)
	switch o.child {
	case "bounded":
	case "unbounded":
		bound = -1
	default:
		return fmt.Errorf("-child %q: want bounded or unbounded", o.child)
	}
	res, err := flood(ctx, o.logins, o.users, bound)
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(res)
}

// command makes the command that runs one setting in a child process.
type command func(ctx context.Context, args ...string) *exec.Cmd

// selfCommand runs this program again.
func selfCommand(ctx context.Context, args ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.CommandContext(ctx, exe, args...)
}

// run runs each setting in a child process made by cmd and prints the
// report to w.
func run(ctx context.Context, o options, w io.Writer, cmd command) error {
	if o.logins < 1 || o.users < 1 {
		return errors.New("-logins and -users must be at least 1")
	}
	budget := o.unboundedMiB
	if budget <= 0 {
		avail, err := memAvailableMiB()
		if err != nil {
			return fmt.Errorf("%w (set -unbounded-mib)", err)
		}
		budget = avail / 3
	}
	// 15% for the runtime and the garbage collector's headroom.
	unbounded := min(o.logins, budget*100/(argon2MiB*115))
	if unbounded < 1 {
		return fmt.Errorf("-unbounded-mib %d leaves no room for one login", budget)
	}

	type setting struct {
		mode   string
		logins int
	}
	settings := []setting{{"bounded", o.logins}, {"unbounded", unbounded}}
	if unbounded < o.logins {
		settings = append(settings, setting{"bounded", unbounded})
	}
	fmt.Fprintf(w, "floodbench: concurrent wrong-password logins, userstore.Service on memstore, %d users, usher-v1 (argon2id m=19456 KiB, t=2, p=1)\n", o.users)
	if unbounded < o.logins {
		fmt.Fprintf(w, "  (the unbounded run fires %d logins: %d would need about %d MiB, above its budget of %d MiB; see -unbounded-mib)\n",
			unbounded, o.logins, o.logins*argon2MiB, budget)
	}
	fmt.Fprintf(w, "%-10s %6s %7s %10s %10s %9s %9s %9s\n", "setting", "bound", "logins", "peak RSS", "logins/s", "wall", "median", "slowest")
	for _, s := range settings {
		res, err := runSetting(ctx, cmd, s.mode, s.logins, o.users)
		if err != nil {
			return fmt.Errorf("%s, %d logins: %w", s.mode, s.logins, err)
		}
		bound := "none"
		if res.Bound > 0 {
			bound = strconv.Itoa(res.Bound)
		}
		fmt.Fprintf(w, "%-10s %6s %7d %6d MiB %10.1f %8.1fs %8.2fs %8.2fs\n", s.mode, bound, res.Logins,
			res.PeakRSS>>20, float64(res.Logins)/res.Seconds, res.Seconds, res.MedianSeconds, res.MaxSeconds)
	}
	return nil
}

// runSetting runs one setting in a child process and returns its result.
func runSetting(ctx context.Context, cmd command, mode string, logins, users int) (result, error) {
	c := cmd(ctx, "-child", mode, "-logins", strconv.Itoa(logins), "-users", strconv.Itoa(users))
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return result{}, fmt.Errorf("child: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var res result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return result{}, fmt.Errorf("child's result %q: %w", stdout.Bytes(), err)
	}
	return res, nil
}
