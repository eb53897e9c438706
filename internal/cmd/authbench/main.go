// Command authbench creates authentication requests at a steady rate
// against a local callback receiver and prints, in one run, the create
// latency and the create→callback latency (p50, p99), first with a
// receiver that answers at once, then with one that takes -slow per call,
// to show that a slow receiver leaves the request path alone (issue 14's
// goals: p99 create→callback under 50 ms on SQLite; create latency
// unchanged with a 5 s receiver).
//
//	go run ./internal/cmd/authbench                          # SQLite, 500/s for 30 s
//	go run ./internal/cmd/authbench -store postgres -dsn postgres://…
//	go run ./internal/cmd/authbench -rate 200 -for 10s -slow 5s
//
// Each request is what a third party makes through Manager.Create: a user
// of an application, a profile whose Create callback posts a JSON body,
// signed the Standard Webhooks way, to the receiver, which notes when each
// arrives. The outbox is the store's: River on the database for SQLite
// and PostgreSQL, in process for -store memory.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/callback"
	"github.com/usher-sdk/usher/authrequest/outbox"
)

func main() {
	kind := flag.String("store", "sqlite", "store: sqlite, postgres or memory")
	dsn := flag.String("dsn", os.Getenv("USHER_TEST_POSTGRES_DSN"), "PostgreSQL URL for -store postgres")
	rate := flag.Int("rate", 500, "requests created per second")
	dur := flag.Duration("for", 30*time.Second, "how long to create requests")
	slow := flag.Duration("slow", 5*time.Second, "the slow receiver's time per call; 0 skips that run")
	workers := flag.Int("workers", 0, "delivery workers (0: the outbox's default)")
	poll := flag.Duration("poll", 0, "the outbox's poll interval (0: its default)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the runs to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "authbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*kind, *dsn, *rate, *dur, *slow, outbox.Config{Workers: *workers, PollInterval: *poll}); err != nil {
		fmt.Fprintln(os.Stderr, "authbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// receiver notes when each request's Create callback arrives.
type receiver struct {
	delay time.Duration
	mu    sync.Mutex
	at    map[string]time.Time
	calls int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UUID string `json:"uuid"`
	}
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &body)
	now := time.Now()
	rc.mu.Lock()
	rc.calls++
	if _, seen := rc.at[body.UUID]; !seen {
		rc.at[body.UUID] = now
	}
	rc.mu.Unlock()
	if rc.delay > 0 {
		select {
		case <-time.After(rc.delay):
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// result is one run's figures.
type result struct {
	name               string
	made, failed       int
	achieved           float64
	create             []time.Duration
	callback           []time.Duration
	delivered, missing int
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func run(kind, dsn string, rate int, dur, slow time.Duration, ocfg outbox.Config) error {
	if rate <= 0 || dur <= 0 {
		return fmt.Errorf("-rate and -for must be positive")
	}
	dir, err := os.MkdirTemp("", "authbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var results []result
	for _, delay := range []time.Duration{0, slow} {
		if delay < 0 || (delay == 0 && len(results) > 0) {
			continue
		}
		res, err := once(kind, dsn, filepath.Join(dir, fmt.Sprintf("run%d", len(results))), rate, dur, delay, ocfg)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	fmt.Printf("authbench: store %s, %d requests/s for %s, one Create callback each\n", kind, rate, dur)
	fmt.Printf("%-24s %8s %8s %10s %10s %10s %10s %10s %8s\n", "receiver", "made", "failed", "made/s", "create p50", "create p99", "cb p50", "cb p99", "missing")
	for _, r := range results {
		fmt.Printf("%-24s %8d %8d %10.0f %10s %10s %10s %10s %8d\n", r.name, r.made, r.failed, r.achieved,
			pct(r.create, 0.5).Round(10*time.Microsecond), pct(r.create, 0.99).Round(10*time.Microsecond),
			pct(r.callback, 0.5).Round(10*time.Microsecond), pct(r.callback, 0.99).Round(10*time.Microsecond), r.missing)
	}
	return nil
}

// once runs one load against a fresh store and a receiver taking delay.
func once(kind, dsn, dir string, rate int, dur, delay time.Duration, ocfg outbox.Config) (result, error) {
	ctx := context.Background()
	rc := &receiver{delay: delay, at: map[string]time.Time{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	e, err := setup(ctx, kind, dsn, dir, ocfg)
	if err != nil {
		return result{}, err
	}
	defer e.close()
	prof, err := e.m.CreateProfile(ctx, authrequest.Profile{ApplicationID: e.app, Name: "bench", Callbacks: []callback.Callback{
		{Event: "Create", URL: srv.URL + "/hook", Body: `{"uuid":"{uuid}","user":"{username}","event":"{event}"}`},
	}})
	if err != nil {
		return result{}, err
	}
	if err := e.start(ctx, e.m.Deliverer(callback.New(callback.WithHTTPClient(srv.Client()), callback.WithTimeout(delay+10*time.Second)))); err != nil {
		return result{}, err
	}
	name := "answers at once"
	if delay > 0 {
		name = fmt.Sprintf("takes %s per call", delay)
	}
	res := result{name: name}
	var mu sync.Mutex
	started := map[string]time.Time{}
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	begin := time.Now()
	n := 0
	for time.Since(begin) < dur {
		<-tick.C
		user := fmt.Sprintf("user%04d", n%e.users)
		n++
		wg.Go(func() {
			t0 := time.Now()
			c, err := e.m.Create(ctx, authrequest.CreateRequest{ApplicationID: e.app, Username: user, ProfileID: prof.ID, Action: "Sign in"})
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.failed++
				if res.failed == 1 {
					fmt.Fprintln(os.Stderr, "authbench: create:", err)
				}
				return
			}
			res.made++
			res.create = append(res.create, took)
			started[c.ID] = t0
		})
	}
	wg.Wait()
	res.achieved = float64(res.made) / time.Since(begin).Seconds()
	// Wait for the callbacks (a slow receiver is waited for only as long
	// as the fast run's figures need; its deliveries are not the point).
	deadline := time.Now().Add(30 * time.Second)
	if delay > 0 {
		deadline = time.Now().Add(2 * time.Second)
	}
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		got := len(rc.at)
		rc.mu.Unlock()
		if got >= res.made {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, t0 := range started {
		if at, ok := rc.at[id]; ok {
			res.callback = append(res.callback, at.Sub(t0))
			res.delivered++
		} else {
			res.missing++
		}
	}
	return res, nil
}
