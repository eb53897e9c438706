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
// serverload itself and the rest; on PostgreSQL also the sessions opened
// during the load, the most connections at once, and, per round (or
// request), the transactions, index scans and rows read
// (pg_stat_database, pg_stat_user_tables).
//
// Scale-out: the set-up (users, devices) runs once, through a process
// without limits; then each run starts its own processes on the same
// database, loads them for -warmup (not measured) and -duration, and
// stops them. -processes 1,2 -repeat 3 alternates one and two processes
// three times in one invocation, so that other jobs on the machine weigh
// on both alike; -servers before=DIR1,after=DIR2 alternates server
// builds too (a copy of the module, e.g. from git archive, or a binary).
// The measured processes can be limited to a share of the machine:
// -gomaxprocs N, -pin (process i on core i, taskset) and -cpu-quota C (C
// cores of CPU time each, a cgroup v1 CFS quota: needs root). A summary
// table (Markdown) closes the output. -cpuprofile DIR builds the server
// with a small profiler compiled in through go build -overlay (never in
// the server's sources) and writes each process's CPU profile of each
// run's load.
//
//	go run ./internal/cmd/serverload                       # SQLite, one process
//	./scripts/testservers.sh go run ./internal/cmd/serverload -database postgres
//	./scripts/testservers.sh go run ./internal/cmd/serverload -database postgres -processes 2 -mix push
//	./scripts/testservers.sh go run ./internal/cmd/serverload -database postgres -mix push \
//	    -processes 1,2 -repeat 3 -gomaxprocs 1 -cpu-quota 0.25
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
	"strconv"
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
	processes := flag.String("processes", "1", `server processes sharing the database; a list ("1,2") measures each count in turn`)
	repeat := flag.Int("repeat", 1, "how many times to run the list of settings (servers × processes), alternating them")
	serversFlag := flag.String("servers", "", `servers to alternate, as name=path,…: a binary, or the root of a copy of the module (e.g. "git archive" of an older commit) to build examples/server in; default: tree=. (built from the working folder)`)
	users := flag.Int("users", 1000, "users to import")
	workers := flag.Int("workers", 32, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "how long to load")
	warmup := flag.Duration("warmup", 2*time.Second, "how long to load each run's new processes before measuring")
	logins := flag.Float64("logins", 0.5, "share of requests that are logins (the rest read users)")
	mix := flag.String("mix", "users", `"users" (logins and user reads) or "push" (authentication requests created, listed and approved by -users onboarded devices)`)
	wait := flag.Bool("wait", false, "push: the third party also long-polls each request's result (…/wait) while the device answers; the round ends with the wait")
	drain := flag.Duration("drain", 10*time.Second, "push: how long to wait after the load for the outstanding callbacks")
	var lim limits
	flag.IntVar(&lim.gomaxprocs, "gomaxprocs", 0, "GOMAXPROCS of each measured server process (0: Go's default, every core)")
	flag.BoolVar(&lim.pin, "pin", false, "pin measured server process i to core i mod the number of cores (taskset -c)")
	flag.Float64Var(&lim.quota, "cpu-quota", 0, "limit each measured server process to this many cores of CPU time (a cgroup v1 CFS quota; needs root)")
	flag.StringVar(&lim.profile, "cpuprofile", "", "write each measured server process's CPU profile of the load into this folder (the server is built with a profiler)")
	flag.Parse()
	err := func() error {
		counts, err := parseCounts(*processes)
		if err != nil {
			return err
		}
		if *repeat < 1 {
			return errors.New("-repeat: want 1 or more")
		}
		b, err := prepare(*database, *serversFlag, lim)
		if err != nil {
			return err
		}
		defer b.close()
		var runs []setting
		for r := range *repeat {
			for _, bin := range b.bins {
				for _, n := range counts {
					runs = append(runs, setting{round: r + 1, bin: bin, processes: n})
				}
			}
		}
		switch *mix {
		case "users":
			return runUsers(b, runs, *users, *workers, *warmup, *duration, *logins)
		case "push":
			return runPush(b, runs, pushConfig{users: *users, workers: *workers, duration: *duration, warmup: *warmup, wait: *wait, drain: *drain})
		}
		return fmt.Errorf(`-mix %q: want "users" or "push"`, *mix)
	}()
	if err != nil {
		fmt.Fprintln(os.Stderr, "serverload:", err)
		os.Exit(1)
	}
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 16 {
			return nil, fmt.Errorf("-processes %q: want counts from 1 to 16, comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// serverBin is a server binary under a name of the summary.
type serverBin struct{ name, path string }

// setting is one measured run: processes of bin, in round (of -repeat).
type setting struct {
	round     int
	bin       serverBin
	processes int
}

func (s setting) String() string {
	return fmt.Sprintf("round %d, server %s, %d process(es)", s.round, s.bin.name, s.processes)
}

// bench is the database and the server binaries the runs share.
type bench struct {
	dir, dsn string
	bins     []serverBin
	lim      limits
	undo     []func()
}

// prepare makes a new temporary folder and the scratch database, and
// builds the server (or takes the binaries of servers, name=path,…).
func prepare(database, servers string, lim limits) (_ *bench, err error) {
	b := &bench{lim: lim}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	if b.dir, err = os.MkdirTemp("", "serverload"); err != nil {
		return nil, err
	}
	b.undo = append(b.undo, func() { os.RemoveAll(b.dir) })
	if lim.profile != "" {
		if err := os.MkdirAll(lim.profile, 0o755); err != nil {
			return nil, err
		}
	}
	dsn, drop, err := scratchDatabase(database, b.dir)
	if err != nil {
		return nil, err
	}
	b.dsn = dsn
	b.undo = append(b.undo, drop)
	if servers == "" {
		servers = "tree=."
	}
	for f := range strings.SplitSeq(servers, ",") {
		name, path, ok := strings.Cut(f, "=")
		if !ok || name == "" || path == "" || strings.ContainsAny(name, "/ ") {
			return nil, fmt.Errorf("-servers %q: want name=path,…", servers)
		}
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("-servers: %w", err)
		}
		if st.IsDir() {
			if path, err = buildServer(b.dir, path, name, lim.profile != ""); err != nil {
				return nil, err
			}
		} else if lim.profile != "" {
			return nil, fmt.Errorf("-cpuprofile builds the server with a profiler: -servers %s=%s must name a module's root, not a binary", name, path)
		}
		b.bins = append(b.bins, serverBin{name, path})
	}
	return b, nil
}

func (b *bench) close() {
	for _, f := range slices.Backward(b.undo) {
		f()
	}
}

// fleet is the running processes of a run.
type fleet struct {
	urls  []string
	pids  []int
	procs []*serverproc.Process
	lims  []limited
}

// start starts n processes of bin on the database, each under the
// bench's limits when limit is set (the set-up runs without).
func (b *bench) start(bin serverBin, n int, limit bool, tag string) (f *fleet, err error) {
	f = &fleet{}
	defer func() {
		if err != nil {
			f.stop()
		}
	}()
	lim := limits{}
	if limit {
		lim = b.lim
	}
	for i := range n {
		path, l, err := wrapper(b.dir, bin.path, i, lim, tag)
		if err != nil {
			return f, err
		}
		f.lims = append(f.lims, l)
		p, err := serverproc.Start(path, b.dir, b.dsn)
		if err != nil {
			return f, err
		}
		f.procs = append(f.procs, p)
		f.urls = append(f.urls, p.URL)
		f.pids = append(f.pids, p.Pid())
	}
	return f, nil
}

func (f *fleet) stop() {
	for _, p := range f.procs {
		p.Stop()
	}
	for _, l := range f.lims {
		l.undo()
	}
}

// usage is who used the CPU during a run's load, and the database's
// connections.
type usage struct {
	cpu        cpuUse
	throttled  []time.Duration
	sessions   int64 // PostgreSQL sessions opened during the load, -1: unknown
	peakConns  int   // most connections to the database at once, -1: unknown
	loadBefore string
	loadAfter  string
	pg         pgStats // before the load
}

// pgPerRound reads PostgreSQL's statistics again (after the callbacks
// were delivered, and after a second, in which the busy backends flush
// theirs) and says what the database did per round.
func (u usage) pgPerRound(dsn string, rounds int) string {
	if !u.pg.ok {
		return ""
	}
	time.Sleep(1100 * time.Millisecond)
	return pgReport(u.pg, readPGStats(dsn), rounds)
}

// measure runs load on f and says who used the CPU meanwhile; with
// -cpuprofile it also writes each process's CPU profile of the load.
func (b *bench) measure(f *fleet, s setting, d time.Duration, load func()) usage {
	u := usage{loadBefore: loadAverage(), sessions: -1, peakConns: -1}
	u.pg = readPGStats(b.dsn)
	pg, sess := postmaster(b.dsn), sessions(b.dsn)
	peak := watchConnections(b.dsn)
	var profiles sync.WaitGroup
	if b.lim.profile != "" {
		for i, l := range f.lims {
			path := filepath.Join(b.lim.profile, fmt.Sprintf("run-%d-%s-%dof%d.pprof", s.round, s.bin.name, i+1, s.processes))
			profiles.Go(func() {
				if err := l.profileCPU(d, path); err != nil {
					fmt.Fprintln(os.Stderr, "serverload: profile:", err)
				}
			})
		}
	}
	var throttled []time.Duration
	for _, l := range f.lims {
		throttled = append(throttled, l.throttled())
	}
	before := sampleCPU(f.pids, pg)
	load()
	u.cpu = cpuUsed(before, sampleCPU(f.pids, pg))
	for i, l := range f.lims {
		u.throttled = append(u.throttled, l.throttled()-throttled[i])
	}
	u.peakConns = peak()
	if sess >= 0 {
		u.sessions = sessions(b.dsn) - sess - 1
	}
	u.loadAfter = loadAverage()
	profiles.Wait()
	return u
}

func (u usage) String() string {
	s := u.cpu.String()
	if len(u.throttled) > 0 && u.throttled[0] > 0 {
		var t []string
		for _, d := range u.throttled {
			t = append(t, d.Round(10*time.Millisecond).String())
		}
		s += "\nheld back by the CPU quota: " + strings.Join(t, " + ")
	}
	if u.sessions >= 0 {
		s += fmt.Sprintf("\nPostgreSQL: %d sessions opened during the load, at most %d connections at once", u.sessions, u.peakConns)
	}
	return s + fmt.Sprintf("\nload average %s → %s", u.loadBefore, u.loadAfter)
}

// summaryHeader and summaryRow print a run as a Markdown table row.
const summaryHeader = "| run | server | proc. | %s/s | p50 | p99 | errors | servers' CPU (each) | PostgreSQL | serverload | rest | busy | sessions | peak conns | load avg |\n" +
	"|-----|--------|-------|------|-----|-----|--------|---------------------|------------|------------|------|------|----------|------------|----------|\n"

func summaryRow(s setting, rate float64, p50, p99 string, errs int, u usage) string {
	c := u.cpu
	db, sess, peak := "–", "–", "–"
	if c.dbOK {
		db = fmt.Sprintf("%.1f s", c.db)
	}
	if u.sessions >= 0 {
		sess, peak = strconv.FormatInt(u.sessions, 10), strconv.Itoa(u.peakConns)
	}
	return fmt.Sprintf("| %d | %s | %d | %.0f | %s | %s | %d | %.1f s (%s) | %s | %.1f s | %.1f s | %.0f %% | %s | %s | %s |\n",
		s.round, s.bin.name, s.processes, rate, p50, p99, errs, c.servers, c.each(), db, c.self, c.rest, c.busyPct, sess, peak, u.loadBefore)
}

func runUsers(b *bench, runs []setting, users, workers int, warmup, duration time.Duration, loginShare float64) error {
	token, ids, password, err := setupUsers(b, users)
	if err != nil {
		return err
	}
	fmt.Printf("database %s, %d users, %d workers, %s, %.0f%% logins; measured processes: %s\n",
		strings.SplitN(b.dsn, ":", 2)[0], len(ids), workers, duration, loginShare*100, b.lim)
	var summary strings.Builder
	fmt.Fprintf(&summary, summaryHeader, "req")
	for i, s := range runs {
		f, err := b.start(s.bin, s.processes, true, strconv.Itoa(i))
		if err != nil {
			return err
		}
		fmt.Printf("\n%s\n", s)
		if warmup > 0 {
			load(f.urls, token, ids, password, workers, warmup, loginShare)
		}
		var res map[string]*result
		u := b.measure(f, s, duration, func() { res = load(f.urls, token, ids, password, workers, duration, loginShare) })
		f.stop()
		fmt.Printf("%-8s %10s %10s %10s %8s\n", "kind", "req/s", "p50", "p99", "errors")
		for _, kind := range []string{"login", "read", "all"} {
			r := res[kind]
			fmt.Printf("%-8s %10.0f %10s %10s %8d\n", kind, float64(len(r.lat))/duration.Seconds(),
				pct(r.lat, 0.50), pct(r.lat, 0.99), r.errors)
		}
		fmt.Println(u)
		all := res["all"]
		if r := u.pgPerRound(b.dsn, len(all.lat)); r != "" {
			fmt.Println(strings.ReplaceAll(r, "per round", "per request"))
		}
		summary.WriteString(summaryRow(s, float64(len(all.lat))/duration.Seconds(), pct(all.lat, 0.5), pct(all.lat, 0.99), all.errors, u))
	}
	fmt.Print("\nsummary (all requests):\n", summary.String())
	return nil
}

// setupUsers imports the users through a process of the first binary,
// without limits, and makes the access token the runs use.
func setupUsers(b *bench, users int) (token string, ids []string, password string, err error) {
	setup, err := b.start(b.bins[0], 1, false, "setup")
	if err != nil {
		return "", nil, "", err
	}
	defer setup.stop()
	if token, err = serverproc.Token(setup.urls[0], "users:read", "users:write", "authenticate"); err != nil {
		return "", nil, "", err
	}
	ids, password, err = importUsers(setup.urls[0], token, users)
	return token, ids, password, err
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
