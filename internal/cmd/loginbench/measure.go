package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// compare times both paths for o.rounds rounds of o.logins sequential
// logins each, alternating which goes first, after a warm-up, and returns
// the median time per login of each.
func compare(ctx context.Context, t *target, o options) (bare, usher time.Duration, err error) {
	paths := []func(context.Context, string) error{t.bareLogin, t.usherLogin}
	for _, p := range paths { // warm-up: connections, caches, prepared plans
		if _, err := timeLogins(ctx, t, p, min(o.logins, 200)); err != nil {
			return 0, 0, err
		}
	}
	var bares, ushers []time.Duration
	for r := range o.rounds {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			d, err := timeLogins(ctx, t, paths[i], o.logins)
			if err != nil {
				return 0, 0, err
			}
			if i == 0 {
				bares = append(bares, d)
			} else {
				ushers = append(ushers, d)
			}
		}
	}
	return median(bares), median(ushers), nil
}

// timeLogins runs n logins, cycling through the users, and returns the
// mean time of one.
func timeLogins(ctx context.Context, t *target, login func(context.Context, string) error, n int) (time.Duration, error) {
	start := time.Now()
	for i := range n {
		if err := login(ctx, t.users[i%len(t.users)]); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / time.Duration(n), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// throughput runs o.clients concurrent clients for o.duration on each path
// and prints the logins per second.
func throughput(ctx context.Context, t *target, o options, w io.Writer) error {
	for _, p := range []struct {
		name  string
		login func(context.Context, string) error
	}{{"bare SQL", t.bareLogin}, {"Usher", t.usherLogin}} {
		n, err := concurrently(ctx, t, p.login, o.clients, o.duration)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-10s %d concurrent clients, %v: %-8s %8.0f logins/s\n", t.name, o.clients, o.duration, p.name, float64(n)/o.duration.Seconds())
	}
	return nil
}

// concurrently runs clients goroutines doing logins until d has passed and
// returns how many succeeded; the first error stops the run.
func concurrently(ctx context.Context, t *target, login func(context.Context, string) error, clients int, d time.Duration) (int64, error) {
	return runClients(ctx, t.users, login, 0, clients, clients, time.Now(), d)
}

// runClients runs clients first to first+n-1 of stride from start until
// start+d, each a goroutine doing logins of every stride-th user from its
// own, and returns how many succeeded; the first error stops the run.
func runClients(ctx context.Context, users []string, login func(context.Context, string) error, first, n, stride int, start time.Time, d time.Duration) (int64, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(time.Until(start)):
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		done  atomic.Int64
		errOf error
		once  sync.Once
		wg    sync.WaitGroup
	)
	deadline := start.Add(d)
	for c := first; c < first+n; c++ {
		wg.Go(func() {
			for i := c; time.Now().Before(deadline) && ctx.Err() == nil; i += stride {
				if err := login(ctx, users[i%len(users)]); err != nil {
					once.Do(func() { errOf = err; cancel() })
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return done.Load(), errOf
}
