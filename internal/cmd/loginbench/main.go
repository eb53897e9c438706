// Command loginbench compares Usher's login path with the bare SQL that a
// login needs, on SQLite and PostgreSQL in one run.
//
// The Usher path is userstore.Service.Login on a sqlstore.Store, with a
// cheap salted SHA-256 test hasher (so that the figures measure the
// storage path, not key stretching) and the audit of successful logins on.
// The bare path is what any login must do against the same tables and
// connection pool: one point read of the user by username, the same hash
// check and one audit insert. loginbench prints the time per login of
// each, their ratio (the goal is at most 1.5×) and, on PostgreSQL, the
// logins per second of 32 concurrent clients.
//
// On PostgreSQL it then runs credential stuffing: 64 clients, split over
// two processes (loginbench starts a copy of itself as the second), type
// wrong passwords for the 1,000 accounts, through Service.Login with the
// default lock-out (5 wrong passwords lock an account for 15 minutes;
// -maxfailed changes it, and a negative value never locks, so that every
// attempt writes its count) and through the bare SQL a failed login
// needs: one UPDATE ... RETURNING that counts the failure and returns the
// hash, and one audit insert. Each round starts from accounts without
// failures. It prints the attempts per second of both and their ratio; the
// goal is at least 0.9×.
//
// PostgreSQL is reached through -dsn, by default $USHER_TEST_POSTGRES_DSN;
// loginbench creates a scratch database there and drops it afterwards (or,
// if it may not, uses a scratch realm in the given database). Run it with
// the private servers of the test harness:
//
//	./scripts/testservers.sh go run ./internal/cmd/loginbench
//
// Without a DSN it measures SQLite only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

// options are the command's flags.
type options struct {
	dsn      string        // PostgreSQL; empty skips it
	sqlite   string        // SQLite file; empty means a temporary one
	users    int           // users in the store
	logins   int           // logins per path per round
	rounds   int           // rounds of both paths, alternating
	clients  int           // concurrent clients on PostgreSQL
	duration time.Duration // of the concurrent run
	goal     float64       // the ratio to meet
	strict   bool          // exit 1 when a ratio misses the goal

	// The failed-login run (PostgreSQL).
	failClients int     // clients in all processes
	procs       int     // processes, this one included
	failRounds  int     // rounds of both paths, alternating
	failGoal    float64 // the least Usher/bare rate
	maxFailed   int     // the Service's MaxFailedLogins; < 0 never locks
}

func main() {
	if spec := os.Getenv(workerEnv); spec != "" { // a worker of the failed-login run
		if err := runWorker(context.Background(), spec, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "loginbench worker:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.dsn, "dsn", os.Getenv("USHER_TEST_POSTGRES_DSN"), "PostgreSQL DSN (default $USHER_TEST_POSTGRES_DSN); empty skips PostgreSQL")
	flag.StringVar(&o.sqlite, "sqlite", "", "SQLite database file (default: a new file in a temporary folder)")
	flag.IntVar(&o.users, "users", 1000, "users in the store")
	flag.IntVar(&o.logins, "logins", 2000, "logins per path and round")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds; each times both paths, in alternating order, and the median round counts")
	flag.IntVar(&o.clients, "clients", 32, "concurrent clients for the PostgreSQL throughput run")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "length of the PostgreSQL throughput run")
	flag.Float64Var(&o.goal, "goal", 1.5, "the Usher/bare ratio to meet")
	flag.BoolVar(&o.strict, "strict", false, "exit with status 1 when a ratio misses the goal")
	flag.IntVar(&o.failClients, "failclients", 64, "clients of the PostgreSQL failed-login run, in all processes")
	flag.IntVar(&o.procs, "procs", 2, "processes of the failed-login run, this one included")
	flag.IntVar(&o.failRounds, "failrounds", 3, "rounds of the failed-login run; each runs both paths for -duration, in alternating order")
	flag.Float64Var(&o.failGoal, "failgoal", 0.9, "the least Usher/bare rate of the failed-login run")
	flag.IntVar(&o.maxFailed, "maxfailed", 0, "MaxFailedLogins of the failed-login run's Service: 0 is the default (5), negative never locks, so that every attempt writes its count")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	met, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loginbench:", err)
		os.Exit(1)
	}
	if !met && o.strict {
		os.Exit(1)
	}
}

// run measures every configured database and prints the report to w. met
// is false when a ratio misses the goal.
func run(ctx context.Context, o options, w io.Writer) (met bool, err error) {
	if o.users < 1 || o.logins < 1 || o.rounds < 1 || o.clients < 1 || o.failRounds < 1 || o.procs < 1 || o.failClients < o.procs {
		return false, fmt.Errorf("-users, -logins, -rounds, -clients, -failrounds and -procs must be at least 1, and -failclients at least -procs")
	}
	fmt.Fprintf(w, "loginbench: %d users, %d logins per path x %d rounds (median round), cheap SHA-256 hasher, successful logins audited\n",
		o.users, o.logins, o.rounds)
	fmt.Fprintf(w, "%-10s %12s %12s %8s  %s\n", "database", "bare SQL", "Usher", "ratio", fmt.Sprintf("goal <= %.2fx", o.goal))
	met = true
	targets := []func(context.Context, options) (*target, error){openSQLite}
	if o.dsn != "" {
		targets = append(targets, openPostgres)
	}
	for _, open := range targets {
		t, err := open(ctx, o)
		if err != nil {
			return false, err
		}
		err = func() error {
			defer t.close()
			if err := t.seed(ctx, o.users); err != nil {
				return err
			}
			bare, usher, err := compare(ctx, t, o)
			if err != nil {
				return err
			}
			ratio := float64(usher) / float64(bare)
			verdict := "ok"
			if ratio > o.goal {
				verdict, met = "MISSED", false
			}
			fmt.Fprintf(w, "%-10s %9.1f µs %9.1f µs %7.2fx  %s\n", t.name, us(bare), us(usher), ratio, verdict)
			if t.name != "postgres" {
				return nil
			}
			if err := throughput(ctx, t, o, w); err != nil {
				return err
			}
			ok, err := failedRun(ctx, t, o, w)
			met = met && ok
			return err
		}()
		if err != nil {
			return false, fmt.Errorf("%s: %w", t.name, err)
		}
	}
	if o.dsn == "" {
		fmt.Fprintln(w, "postgres   skipped: no -dsn and no USHER_TEST_POSTGRES_DSN (run under ./scripts/testservers.sh)")
	}
	return met, nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
