// Command timingbench measures whether the time of a refused login tells
// anything: every refusal path of userstore.Service.Login (unknown user,
// disabled, locked, no password, ambiguous or unknown e-mail, malformed and
// empty logins) against the wrong-password path of a real user, and a
// password-reset request for an unknown login against one for a real
// user. Paths run in interleaved rounds (each round in another order); a
// path's figure is the median of its calls' times, and the goal is every
// path within 10% of its reference. A reset request answers in
// microseconds, before any lookup, so its paths run the same code and
// differ only by scheduler noise; differences under -floor (20 µs, far
// below what a network shows) pass whatever their ratio.
//
// It runs on memstore, on a SQLite file, and on PostgreSQL when -dsn (or
// $USHER_TEST_POSTGRES_DSN) is set, with the default hasher (argon2id,
// OWASP's parameters) unless -hasher names another:
//
//	./scripts/testservers.sh go run ./internal/cmd/timingbench
//	go run ./internal/cmd/timingbench -rounds 9 -calls 10 -strict
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/mail"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

type options struct {
	rounds, calls int
	hasherName    string
	dsn           string
	goal          float64
	floor         time.Duration
	strict        bool
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 7, "rounds; each times every path once, in a new order")
	flag.IntVar(&o.calls, "calls", 8, "calls per path and round")
	flag.StringVar(&o.hasherName, "hasher", "usher-v1", "default hasher of the registry")
	flag.StringVar(&o.dsn, "dsn", os.Getenv("USHER_TEST_POSTGRES_DSN"), "PostgreSQL DSN; empty skips PostgreSQL")
	flag.Float64Var(&o.goal, "goal", 1.10, "largest allowed ratio of a path's median to its reference's")
	flag.DurationVar(&o.floor, "floor", 20*time.Microsecond, "differences below this pass whatever their ratio (scheduler noise of calls that take microseconds)")
	flag.BoolVar(&o.strict, "strict", false, "exit with status 1 when a path misses the goal")
	flag.Parse()
	missed, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "timingbench:", err)
		os.Exit(2)
	}
	if missed && o.strict {
		os.Exit(1)
	}
}

// store is one store to measure on.
type store struct {
	name  string
	open  func(ctx context.Context) (userstore.Store, func(), error)
	skips string
}

func run(ctx context.Context, o options) (missed bool, err error) {
	reg, err := hasher.NewRegistry(o.hasherName, hasher.Config{})
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp("", "timingbench")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	stores := []store{
		{name: "memstore", open: func(context.Context) (userstore.Store, func(), error) {
			s := memstore.New()
			return s, func() { _ = s.Close() }, nil
		}},
		{name: "sqlite", open: func(ctx context.Context) (userstore.Store, func(), error) {
			s, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "timing.db"))
			if err != nil {
				return nil, nil, err
			}
			return s, func() { _ = s.Close() }, nil
		}},
		{name: "postgres", skips: "no -dsn", open: func(ctx context.Context) (userstore.Store, func(), error) {
			if o.dsn == "" {
				return nil, nil, nil
			}
			db, err := database.Open(ctx, o.dsn)
			if err != nil {
				return nil, nil, err
			}
			s, err := sqlstore.New(ctx, db, sqlstore.WithRealm(fmt.Sprintf("timingbench-%d", time.Now().UnixNano())))
			if err != nil {
				_ = db.Close()
				return nil, nil, err
			}
			return s, func() { _ = s.Close(); _ = db.Close() }, nil
		}},
	}
	fmt.Printf("timingbench: hasher %s, %d rounds x %d calls per path (median call), goal within %.2fx\n", o.hasherName, o.rounds, o.calls, o.goal)
	fmt.Printf("%-9s %-34s %12s %12s %7s\n", "store", "path", "reference", "path", "ratio")
	for _, st := range stores {
		s, closeStore, err := st.open(ctx)
		if err != nil {
			return missed, fmt.Errorf("%s: %w", st.name, err)
		}
		if s == nil {
			fmt.Printf("%-9s skipped (%s)\n", st.name, st.skips)
			continue
		}
		m, err := measure(ctx, o, reg, s)
		closeStore()
		if err != nil {
			return missed, fmt.Errorf("%s: %w", st.name, err)
		}
		for _, r := range m {
			ratio := r.median / r.refMedian
			diff := time.Duration(math.Abs(r.median-r.refMedian) * float64(time.Second))
			verdict := "ok"
			switch {
			case ratio <= o.goal && ratio >= 1/o.goal:
			case diff < o.floor:
				verdict = fmt.Sprintf("ok (differs by %s, under the %s floor)", diff.Round(time.Microsecond), o.floor)
			default:
				verdict, missed = "MISSED", true
			}
			fmt.Printf("%-9s %-34s %12s %12s %6.2fx %s\n", st.name, r.path, fmtDur(r.refMedian), fmtDur(r.median), ratio, verdict)
		}
	}
	return missed, nil
}

// result is one path's median beside its reference's.
type result struct {
	path              string
	median, refMedian float64 // seconds per call
}

// path is one way of calling the Service; ref names the path it is
// compared with.
type path struct {
	name string
	ref  string
	call func(ctx context.Context) error
	// settle is a pause after each call, outside the timing, for work the
	// call left running in the background; such paths are short, so they
	// also make resetRepeat times more calls.
	settle time.Duration
}

// resetRepeat is how many more calls a path with settle makes: a reset
// request answers in microseconds, where one call's scheduling noise is
// as large as the figure.
const resetRepeat = 20

const (
	refLogin = "login: wrong password (reference)"
	refReset = "reset: known user (reference)"
)

func measure(ctx context.Context, o options, reg *hasher.Registry, s userstore.Store) ([]result, error) {
	svc, err := userstore.NewService(s, reg, userstore.Config{
		LoginByEmail:    true,
		MaxFailedLogins: -1, // the reference user must never lock
		ResetMail:       userstore.ResetMail{LinkURL: "https://idp.example.test/reset"},
	}, userstore.WithMailSender(discard{}))
	if err != nil {
		return nil, err
	}
	defer svc.Close()

	hash, err := reg.Hash(ctx, "right-password")
	if err != nil {
		return nil, err
	}
	for _, u := range []userstore.User{
		{Username: "alice", Email: "alice@example.test", Enabled: true, PasswordHash: hash},
		{Username: "dora", Email: "dora@example.test", Enabled: false, PasswordHash: hash},
		{Username: "lena", Email: "lena@example.test", Enabled: true, PasswordHash: hash},
		{Username: "nora", Email: "nora@example.test", Enabled: true},
		{Username: "twin1", Email: "twin@example.test", Enabled: true, PasswordHash: hash},
		{Username: "twin2", Email: "twin@example.test", Enabled: true, PasswordHash: hash},
	} {
		if _, err := s.CreateUser(ctx, u); err != nil {
			return nil, err
		}
	}
	// Lock lena: MaxFailedLogins is off for the Service, so the store is
	// asked directly.
	lena, err := s.GetUserByUsername(ctx, "lena")
	if err != nil {
		return nil, err
	}
	if _, err := s.RecordFailedLogin(ctx, lena.ID, 1, 24*time.Hour, time.Now()); err != nil {
		return nil, err
	}

	login := func(name, pw string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := svc.Login(ctx, userstore.LoginRequest{Login: name, Password: pw, Remote: "192.0.2.1"})
			if !errors.Is(err, userstore.ErrInvalidCredentials) {
				return fmt.Errorf("login %q: want ErrInvalidCredentials, got %v", name, err)
			}
			return nil
		}
	}
	reset := func(name string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			return svc.RequestPasswordReset(ctx, userstore.ResetRequest{Login: name, Remote: "192.0.2.1"})
		}
	}
	// A reset request returns before its work is done; 3 ms lets it finish,
	// so that it does not run beside the next measured call.
	const settle = 3 * time.Millisecond
	paths := []path{
		{refLogin, refLogin, login("alice", "wrong-password"), 0},
		{"login: unknown user", refLogin, login("nobody", "wrong-password"), 0},
		{"login: disabled user", refLogin, login("dora", "wrong-password"), 0},
		{"login: locked user", refLogin, login("lena", "wrong-password"), 0},
		{"login: user without a password", refLogin, login("nora", "wrong-password"), 0},
		{"login: ambiguous e-mail", refLogin, login("twin@example.test", "wrong-password"), 0},
		{"login: unknown e-mail", refLogin, login("nobody@example.test", "wrong-password"), 0},
		{"login: malformed login", refLogin, login("bad\x01login", "wrong-password"), 0},
		{refReset, refReset, reset("alice"), settle},
		{"reset: unknown user", refReset, reset("nobody"), settle},
		{"reset: unknown e-mail", refReset, reset("nobody@example.test"), settle},
	}
	// One warm-up call per path: prepared statements, page cache, the
	// dummy hash (which NewService made already).
	for _, p := range paths {
		if err := p.call(ctx); err != nil {
			return nil, err
		}
	}
	times := make(map[string][]float64, len(paths))
	order := slices.Clone(paths)
	rng := rand.New(rand.NewPCG(1, 2))
	for range o.rounds {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, p := range order {
			calls := o.calls
			if p.settle > 0 {
				calls *= resetRepeat
			}
			for range calls {
				start := time.Now()
				if err := p.call(ctx); err != nil {
					return nil, err
				}
				times[p.name] = append(times[p.name], time.Since(start).Seconds())
				time.Sleep(p.settle)
			}
		}
	}
	var out []result
	for _, p := range paths {
		if p.name == p.ref {
			continue
		}
		out = append(out, result{path: p.name, median: median(times[p.name]), refMedian: median(times[p.ref])})
	}
	return out, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func fmtDur(seconds float64) string {
	return time.Duration(seconds * float64(time.Second)).Round(time.Microsecond).String()
}

// discard is a mail sender that sends nothing.
type discard struct{}

func (discard) Send(context.Context, mail.Message) error { return nil }
