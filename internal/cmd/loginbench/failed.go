package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// The failed-login run is credential stuffing: o.failClients clients, split
// over o.procs processes (this one and copies of it started as workers),
// type wrong passwords for the benchmark's accounts on PostgreSQL, through
// Usher's Service.Login and through the bare SQL a failed login needs.
// Every process shares the database and the realm, as Usher's server
// processes would.

// workerEnv makes loginbench (or its test binary) a worker process of the
// failed-login run: it holds the worker's job as JSON.
const workerEnv = "LOGINBENCH_WORKER"

// startDelay is how long after a round is planned its clients start: time
// for the workers to open the database and warm up.
const startDelay = 2 * time.Second

// job is what one process of a failed-login round runs: clients First to
// First+Clients-1 of Stride, each taking every Stride-th account from its
// own, on one path from Start for Duration.
type job struct {
	DSN       string
	Realm     string
	Path      string // "bare" or "usher"
	Users     int
	MaxFailed int
	First     int
	Clients   int
	Stride    int
	Start     time.Time
	Duration  time.Duration
}

// jobResult is a worker's answer: the attempts it completed in the window,
// and how late its clients started.
type jobResult struct {
	Attempts int64
	Late     time.Duration
}

// failedPaths returns the login functions of the failed-login run by path.
func failedPaths(t *target) map[string]func(context.Context, string) error {
	return map[string]func(context.Context, string) error{"bare": t.bareFailedLogin, "usher": t.usherFailedLogin}
}

// failedRun runs o.failRounds rounds of both paths, alternating which goes
// first, and prints the median rate of each and their ratio. met is false
// when Usher's rate is below o.failGoal times the bare rate.
func failedRun(ctx context.Context, t *target, o options, w io.Writer) (met bool, err error) {
	paths := failedPaths(t)
	for _, p := range []string{"bare", "usher"} { // warm-up: this process's connections and plans
		if _, err := runClients(ctx, t.users, paths[p], 0, o.failClients, o.failClients, time.Now(), 200*time.Millisecond); err != nil {
			return false, err
		}
	}
	rates := map[string][]float64{}
	for r := range o.failRounds {
		order := []string{"bare", "usher"}
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, p := range order {
			n, err := failedRound(ctx, t, o, p, w)
			if err != nil {
				return false, fmt.Errorf("failed-login run, %s: %w", p, err)
			}
			rates[p] = append(rates[p], float64(n)/o.duration.Seconds())
		}
	}
	bare, usher := medianOf(rates["bare"]), medianOf(rates["usher"])
	ratio := usher / bare
	verdict := "ok"
	if ratio < o.failGoal {
		verdict = "MISSED"
	}
	fmt.Fprintf(w, "%-10s failed logins, %d clients in %d processes, %d accounts, %v x %d rounds (median): bare SQL %8.0f/s  Usher %8.0f/s  %5.2fx  goal >= %.2fx  %s\n",
		t.name, o.failClients, o.procs, len(t.users), o.duration, o.failRounds, bare, usher, ratio, o.failGoal, verdict)
	return verdict == "ok", nil
}

// failedRound runs one path for o.duration in o.procs processes at once
// and returns the attempts completed by all of them. Every round starts
// from accounts without failures, so that Usher's counts the first
// attempts and locks the accounts as an attack would find them.
func failedRound(ctx context.Context, t *target, o options, path string, w io.Writer) (int64, error) {
	if _, err := t.store.DB().SQL().ExecContext(ctx, `UPDATE usher_users SET failed_logins = 0, locked_until = 0 WHERE realm = $1`, t.store.Realm()); err != nil {
		return 0, err
	}
	start := time.Now().Add(startDelay)
	per := o.failClients / o.procs
	base := job{DSN: t.dsn, Realm: t.store.Realm(), Path: path, Users: len(t.users), MaxFailed: o.maxFailed,
		Stride: o.failClients, Start: start, Duration: o.duration}
	type answer struct {
		res jobResult
		err error
	}
	// This process takes clients 0 to own-1, with what the split leaves;
	// each worker per more.
	own := o.failClients - per*(o.procs-1)
	answers := make([]answer, o.procs-1)
	var wg sync.WaitGroup
	for k := range o.procs - 1 {
		j := base
		j.First, j.Clients = own+per*k, per
		wg.Go(func() {
			answers[k].res, answers[k].err = startWorker(ctx, j)
		})
	}
	n, err := runClients(ctx, t.users, failedPaths(t)[path], 0, own, o.failClients, start, o.duration)
	wg.Wait()
	if err != nil {
		return 0, err
	}
	for k, a := range answers {
		if a.err != nil {
			return 0, fmt.Errorf("worker %d: %w", k+1, a.err)
		}
		if a.res.Late > o.duration/20 {
			fmt.Fprintf(w, "loginbench: warning: worker %d started %v late; the %s rate undercounts\n", k+1, a.res.Late.Round(time.Millisecond), path)
		}
		n += a.res.Attempts
	}
	return n, nil
}

// startWorker runs j in a copy of this program and returns its answer.
func startWorker(ctx context.Context, j job) (jobResult, error) {
	exe, err := os.Executable()
	if err != nil {
		return jobResult{}, err
	}
	spec, err := json.Marshal(j)
	if err != nil {
		return jobResult{}, err
	}
	cmd := exec.CommandContext(ctx, exe) // main, or a test binary's TestMain, runs the job
	cmd.Env = append(os.Environ(), workerEnv+"="+string(spec))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return jobResult{}, fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	var res jobResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return jobResult{}, fmt.Errorf("reading the answer %q: %w", stdout.String(), err)
	}
	return res, nil
}

// runWorker is the worker process: it runs the job in spec (JSON) and
// writes its answer to out.
func runWorker(ctx context.Context, spec string, out io.Writer) error {
	var j job
	if err := json.Unmarshal([]byte(spec), &j); err != nil {
		return fmt.Errorf("job: %w", err)
	}
	s, err := sqlstore.OpenPostgres(ctx, j.DSN, sqlstore.WithRealm(j.Realm), sqlstore.WithoutMigrations())
	if err != nil {
		return err
	}
	t, err := newTarget("postgres", s, j.MaxFailed, nil)
	if err != nil {
		return err
	}
	defer t.close()
	t.users = usernames(j.Users)
	login, ok := failedPaths(t)[j.Path]
	if !ok {
		return fmt.Errorf("job: no path %q", j.Path)
	}
	// Warm up until shortly before the start, with the round's clients.
	if warm := time.Until(j.Start) - 200*time.Millisecond; warm > 0 {
		if _, err := runClients(ctx, t.users, login, j.First, j.Clients, j.Stride, time.Now(), min(warm, time.Second)); err != nil {
			return err
		}
	}
	late := max(time.Since(j.Start), 0)
	n, err := runClients(ctx, t.users, login, j.First, j.Clients, j.Stride, j.Start, j.Duration)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(jobResult{Attempts: n, Late: late})
}

func medianOf(fs []float64) float64 {
	s := slices.Clone(fs)
	slices.Sort(s)
	return s[len(s)/2]
}
