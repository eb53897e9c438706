// Command serverload puts the reference server (examples/server) under
// load on loopback and prints requests per second and latencies.
//
// It builds the server, starts one or more processes of it on one
// database, signs in as the bootstrap admin, makes an access token,
// imports -users users through the CSV import with a cheap password hash
// (Django's PBKDF2-SHA256 at 1,000 iterations, so that the figures
// measure the server, not key stretching), and then runs -workers
// clients for -duration, each sending, at random, a login
// (POST /api/v1/authenticate with the right password) or a user read
// (GET /api/v1/users/{id}), spread over the processes. It prints, per
// kind, the requests per second and the 50th and 99th percentile.
//
// -mix push measures push authentication instead (push.go): an
// application with the Credentials requirement, -users devices onboarded
// through the device API, a profile whose Response callback posts to a
// receiver inside the program, then clients that each create a request
// as a third party (a token of scope authrequest), list their device's
// pending requests and approve it, and, with -wait, long-poll the
// result. It prints per kind (create, pending, answer, wait, round) the
// requests per second, p50 and p99, then the callbacks delivered against
// those expected after at most -drain, with one signature in ten checked.
//
// Both mixes then say who used the CPU during the load (from /proc): the
// server processes, PostgreSQL's processes when it runs on this machine,
// serverload itself and the rest.
//
//	go run ./internal/cmd/serverload                       # SQLite, one process
//	./scripts/testservers.sh go run ./internal/cmd/serverload -database postgres
//	./scripts/testservers.sh go run ./internal/cmd/serverload -database postgres -processes 2
//	./scripts/testservers.sh go run ./internal/cmd/serverload -database postgres -processes 2 -mix push
//
// -database postgres makes a scratch database on $USHER_TEST_POSTGRES_DSN
// (the test harness's PostgreSQL) and drops it afterwards.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/usher-sdk/usher/internal/pbkdf2"
	"github.com/usher-sdk/usher/internal/pgscratch"
	"github.com/usher-sdk/usher/internal/serverproc"
)

func main() {
	database := flag.String("database", "sqlite", `"sqlite" (a scratch file), "postgres" (a scratch database on $USHER_TEST_POSTGRES_DSN), or a DSN`)
	processes := flag.Int("processes", 1, "server processes sharing the database")
	users := flag.Int("users", 1000, "users to import")
	workers := flag.Int("workers", 32, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "how long to load")
	logins := flag.Float64("logins", 0.5, "share of requests that are logins (the rest read users)")
	mix := flag.String("mix", "users", `"users" (logins and user reads) or "push" (authentication requests created, listed and approved by -users onboarded devices)`)
	wait := flag.Bool("wait", false, "push: the third party also long-polls each request's result (…/wait) while the device answers; the round ends with the wait")
	drain := flag.Duration("drain", 10*time.Second, "push: how long to wait after the load for the outstanding callbacks")
	flag.Parse()
	var err error
	switch *mix {
	case "users":
		err = run(*database, *processes, *users, *workers, *duration, *logins)
	case "push":
		err = runPush(pushConfig{database: *database, processes: *processes, users: *users, workers: *workers,
			duration: *duration, wait: *wait, drain: *drain})
	default:
		err = fmt.Errorf(`-mix %q: want "users" or "push"`, *mix)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "serverload:", err)
		os.Exit(1)
	}
}

// servers builds the server and starts processes of it on database, in a
// new temporary folder, and returns their URLs and process IDs; stop
// removes everything.
func servers(database string, processes int) (dsn string, urls []string, pids []int, stop func(), err error) {
	var undo []func()
	stop = func() {
		for _, f := range slices.Backward(undo) {
			f()
		}
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	dir, err := os.MkdirTemp("", "serverload")
	if err != nil {
		return "", nil, nil, nil, err
	}
	undo = append(undo, func() { os.RemoveAll(dir) })
	dsn, drop, err := scratchDatabase(database, dir)
	if err != nil {
		return "", nil, nil, nil, err
	}
	undo = append(undo, drop)
	bin, err := serverproc.Build(dir)
	if err != nil {
		return "", nil, nil, nil, err
	}
	for range processes {
		p, err := serverproc.Start(bin, dir, dsn)
		if err != nil {
			return "", nil, nil, nil, err
		}
		undo = append(undo, p.Stop)
		urls = append(urls, p.URL)
		pids = append(pids, p.Pid())
	}
	return dsn, urls, pids, stop, nil
}

func run(database string, processes, users, workers int, duration time.Duration, loginShare float64) error {
	dsn, urls, pids, stop, err := servers(database, processes)
	if err != nil {
		return err
	}
	defer stop()
	token, err := serverproc.Token(urls[0], "users:read", "users:write", "authenticate")
	if err != nil {
		return err
	}
	ids, password, err := importUsers(urls[0], token, users)
	if err != nil {
		return err
	}
	fmt.Printf("database %s, %d process(es), %d users, %d workers, %s, %.0f%% logins\n",
		strings.SplitN(dsn, ":", 2)[0], processes, len(ids), workers, duration, loginShare*100)

	pg, sess := postmaster(dsn), sessions(dsn)
	before := sampleCPU(pids, pg)
	res := load(urls, token, ids, password, workers, duration, loginShare)
	cpu := cpuReport(before, sampleCPU(pids, pg))
	fmt.Printf("%-8s %10s %10s %10s %8s\n", "kind", "req/s", "p50", "p99", "errors")
	for _, kind := range []string{"login", "read", "all"} {
		r := res[kind]
		fmt.Printf("%-8s %10.0f %10s %10s %8d\n", kind, float64(len(r.lat))/duration.Seconds(),
			pct(r.lat, 0.50), pct(r.lat, 0.99), r.errors)
	}
	fmt.Println(cpu)
	if sess >= 0 {
		fmt.Printf("PostgreSQL sessions opened during the load: %d\n", sessions(dsn)-sess-1)
	}
	return nil
}

// scratchDatabase returns the DSN to run on and a function that drops it.
func scratchDatabase(database, dir string) (string, func(), error) {
	switch database {
	case "sqlite":
		return "sqlite:" + filepath.Join(dir, "usher.db"), func() {}, nil
	case "postgres":
		admin := os.Getenv("USHER_TEST_POSTGRES_DSN")
		if admin == "" {
			return "", nil, errors.New("-database postgres needs $USHER_TEST_POSTGRES_DSN: run under ./scripts/testservers.sh")
		}
		return pgscratch.New(context.Background(), admin, "serverload_")
	}
	return database, func() {}, nil
}

// importUsers imports n users with one cheap password hash and returns
// their IDs and the password.
func importUsers(base, token string, n int) ([]string, string, error) {
	const password = "serverload user password"
	salt := hex.EncodeToString(randomBytes(8))
	key, err := pbkdf2.Key(context.Background(), sha256.New, password, []byte(salt), 1000, 32)
	if err != nil {
		return nil, "", err
	}
	hash := "pbkdf2_sha256$1000$" + salt + "$" + base64.StdEncoding.EncodeToString(key)
	var b strings.Builder
	b.WriteString("Username,Full name,Email,Phone,Password,Teams,Enabled\n")
	for i := range n {
		fmt.Fprintf(&b, "load%06d,Load User %d,load%06d@example.test,,%s,load,yes\n", i, i, i, hash)
	}
	if _, err := call(context.Background(), http.DefaultClient, token, "POST", base+"/api/v1/users/import", b.String()); err != nil {
		return nil, "", err
	}
	var ids []string
	after := ""
	for {
		body, err := call(context.Background(), http.DefaultClient, token, "GET", base+"/api/v1/users?limit=1000&after="+after, "")
		if err != nil {
			return nil, "", err
		}
		var page struct {
			Users []struct {
				ID string `json:"id"`
			} `json:"users"`
			Next string `json:"next"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, "", err
		}
		for _, u := range page.Users {
			ids = append(ids, u.ID)
		}
		if after = page.Next; after == "" {
			return ids, password, nil
		}
	}
}

// call sends one request and returns the body of a 2xx answer.
func call(ctx context.Context, c *http.Client, token, method, u, body string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %.200s", method, u, resp.Status, b)
	}
	return b, nil
}

type result struct {
	lat    []time.Duration
	errors int
}

// load runs the workers and collects latencies by kind.
func load(urls []string, token string, ids []string, password string, workers int, d time.Duration, loginShare float64) map[string]*result {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var mu sync.Mutex
	res := map[string]*result{"login": {}, "read": {}, "all": {}}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := mrand.New(mrand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			local := map[string]*result{"login": {}, "read": {}}
			for time.Now().Before(deadline) {
				base := urls[rnd.IntN(len(urls))]
				i := rnd.IntN(len(ids))
				kind := "read"
				start := time.Now()
				var err error
				if rnd.Float64() < loginShare {
					kind = "login"
					_, err = call(context.Background(), c, token, "POST", base+"/api/v1/authenticate", fmt.Sprintf(`{"login":"load%06d","password":%q}`, i, password))
				} else {
					_, err = call(context.Background(), c, token, "GET", base+"/api/v1/users/"+ids[i], "")
				}
				if err != nil {
					local[kind].errors++
					continue
				}
				local[kind].lat = append(local[kind].lat, time.Since(start))
			}
			mu.Lock()
			defer mu.Unlock()
			for k, r := range local {
				res[k].lat = append(res[k].lat, r.lat...)
				res[k].errors += r.errors
				res["all"].lat = append(res["all"].lat, r.lat...)
				res["all"].errors += r.errors
			}
		}()
	}
	wg.Wait()
	return res
}

func pct(lat []time.Duration, p float64) string {
	if len(lat) == 0 {
		return "-"
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))].Round(10 * time.Microsecond).String()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
