// Command syncbench measures directory sync from the private OpenLDAP into
// a SQLite user store, in one run:
//
//  1. ldapsearch pages through the users of ou=bulk (the reference time;
//     one untimed warm-up first);
//  2. -runs rounds of: a first full sync of the same users into a fresh
//     SQLite store with directory.Sync (the source streamed into the
//     target while it is planned), then with PlanSync + ApplySync; every
//     record is signed (Ed25519) and written through a StoreTarget that
//     relies on the signer in the same process (NewSigningStoreTarget;
//     -verify makes it verify every record, as a target fed by another
//     process does), and
//     every sync is timed against the mean of the ldapsearch runs just
//     before and after it, since the load of a shared machine drifts; the
//     best and median ratios are printed (goal <= 2x);
//  3. -changes users (default 100) are modified in the directory, and an
//     incremental sync (AutoSync.Incremental, the LDAP source's entryCSN
//     cursor, or modifyTimestamp on a server without entryCSN) applies
//     them; the time of reading the changes alone (-reads times, best and
//     median, as it changes nothing) and of the whole step are printed
//     (goal < 50 ms, the first step after the bulk load too).
//
// Run it under the test harness, with the 100,000 users:
//
//	USHER_LDAPSEED_BULK=100000 ./scripts/testservers.sh go run ./internal/cmd/syncbench
//
// -store postgres syncs into a new PostgreSQL database per sync instead
// (on $USHER_TEST_POSTGRES_DSN, which the harness sets). -store server
// syncs into the reference server (examples/server, a new process on a new
// SQLite file per sync) through its sync API (directory/syncapi), as the
// agent on another machine does: the server verifies every record; the
// CPU figures then count the server process too. After the rounds
// every stored signature is verified with the public key, and a second
// full sync with nothing to do shows the peak heap, which does not grow
// with the number of unchanged users.
//
// -cpuprofile writes a CPU profile of step 2, -memprofile a profile of
// what step 2 allocated (go tool pprof -sample_index=alloc_space).
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver of -store postgres

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
	"github.com/usher-sdk/usher/directory/syncapi"
	"github.com/usher-sdk/usher/internal/pgscratch"
	"github.com/usher-sdk/usher/internal/serverproc"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "syncbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	url := flag.String("url", os.Getenv("USHER_TEST_LDAP_URL"), "LDAP URL (default $USHER_TEST_LDAP_URL)")
	bindDN := flag.String("binddn", os.Getenv("USHER_TEST_LDAP_BIND_DN"), "bind DN")
	bindPW := flag.String("bindpw", os.Getenv("USHER_TEST_LDAP_BIND_PASSWORD"), "bind password")
	base := flag.String("base", "ou=bulk,dc=usher,dc=test", "base DN of the users")
	page := flag.Int("page", 1000, "page size of both")
	changes := flag.Int("changes", 100, "users to modify for the incremental sync")
	reads := flag.Int("reads", 1, "how many times to time reading each incremental step's changes alone, before the step")
	runs := flag.Int("runs", 3, "rounds of ldapsearch and full syncs")
	twoStep := flag.Bool("twostep", true, "also time PlanSync then ApplySync into a second store")
	verify := flag.Bool("verify", false, "verify every record in the target (a target fed by another process) instead of relying on the signer in this one")
	tmpDir := flag.String("dir", "", "where the SQLite files, the cursor and the password file go (default the system's temporary directory; /dev/shm takes the disk out of the measurement)")
	storeKind := flag.String("store", "sqlite", `the user store: "sqlite" (a file), "postgres" (a new database per sync on -pgdsn) or "server" (the reference server, a new process on a new SQLite file per sync, through its sync API)`)
	pgDSN := flag.String("pgdsn", os.Getenv("USHER_TEST_POSTGRES_DSN"), "PostgreSQL server URL for -store postgres (default $USHER_TEST_POSTGRES_DSN)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the full sync to this file")
	batch := flag.Int("batch", 0, "ApplyOptions.BatchSize (0: the default, 1,000)")
	memProfile := flag.String("memprofile", "", "write a profile of the full syncs' allocations to this file")
	flag.Parse()
	if *url == "" {
		return errors.New("no server: run it under ./scripts/testservers.sh or pass -url")
	}
	switch {
	case *storeKind == "postgres" && *pgDSN == "":
		return errors.New("-store postgres: no server: run it under ./scripts/testservers.sh or pass -pgdsn")
	case *storeKind != "postgres" && *storeKind != "sqlite" && *storeKind != "server":
		return fmt.Errorf("-store %q: want sqlite, postgres or server", *storeKind)
	}
	var drops []func()
	defer func() {
		for _, d := range drops {
			d()
		}
	}()
	src, err := ldap.New(ldap.Config{Name: "bulk", URL: *url, BindDN: *bindDN, BindPassword: *bindPW, BaseDN: *base, PageSize: *page, Timeout: 5 * time.Minute})
	if err != nil {
		return err
	}
	defer src.Close()
	dir, err := os.MkdirTemp(*tmpDir, "syncbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// 1. ldapsearch, after one untimed warm-up.
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(*bindPW), 0o600); err != nil {
		return err
	}
	slapd := slapdPID(*url) // 0 when not found: its CPU is then not counted
	var searchCPU []time.Duration
	search := func() (int, time.Duration, error) {
		s0 := procCPU(slapd)
		n, took, cpu, err := ldapsearch(*url, *bindDN, pwFile, *base, *page, src.Attributes())
		searchCPU = append(searchCPU, cpu+procCPU(slapd)-s0)
		return n, took, err
	}
	if _, _, err := search(); err != nil {
		return err
	}
	n, _, err := search()
	if err != nil {
		return err
	}

	// 2. Rounds of: ldapsearch, a first full sync into a fresh SQLite
	// store streamed (Sync), ldapsearch, the same planned then applied
	// (PlanSync + ApplySync), ldapsearch. Each sync is compared with the
	// mean of the ldapsearch runs on either side of it, as the machine's
	// load drifts.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := directory.NewRecordSigner(priv)
	verifier, _ := directory.NewRecordVerifier(pub)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	var stores []*sqlstore.Store
	defer func() {
		for _, s := range stores {
			_ = s.Close()
		}
	}()
	var serverBin string
	if *storeKind == "server" {
		if serverBin, err = serverproc.Build(dir); err != nil {
			return err
		}
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	// runSync is one first full sync into t: streamed (Sync) or planned
	// then applied (PlanSync + ApplySync).
	runSync := func(mode string, t directory.SyncTarget) (*directory.SyncResult, error) {
		var res *directory.SyncResult
		var err error
		if mode == "streamed" {
			_, res, err = directory.Sync(ctx, src, t, signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "bench", BatchSize: *batch})
		} else {
			var plan *directory.Plan
			if plan, err = directory.PlanSync(ctx, src, t, directory.PlanOptions{}); err == nil {
				res, err = directory.ApplySync(ctx, plan, t, signer, directory.ApplyOptions{OrgID: "bench", BatchSize: *batch})
			}
		}
		if err == nil {
			err = res.Err()
		}
		return res, err
	}
	// toServer is a full sync into a new server process on a new SQLite
	// file at path: the server verifies every record.
	toServer := func(mode, path string) (directory.SyncTarget, time.Duration, error) {
		p, err := serverproc.Start(serverBin, dir, "sqlite:"+path)
		if err != nil {
			return nil, 0, err
		}
		drops = append(drops, p.Stop)
		token, err := serverproc.Token(p.URL, "sync")
		if err != nil {
			return nil, 0, err
		}
		t := &syncapi.Client{BaseURL: p.URL + "/api/sync", Token: token, Organization: "bench"}
		if err := t.UploadKey(ctx, pubPEM); err != nil {
			return nil, 0, err
		}
		start, cpu0, slapd0, server0 := time.Now(), cpuTime(), procCPU(slapd), procCPU(p.Pid())
		res, err := runSync(mode, t)
		if err != nil {
			return nil, 0, fmt.Errorf("%s sync to the server: %w", mode, err)
		}
		took := time.Since(start)
		cpu, slapdCPU, serverCPU := cpuTime()-cpu0, procCPU(slapd)-slapd0, procCPU(p.Pid())-server0
		lastCPU := searchCPU[len(searchCPU)-1]
		fmt.Printf("  %s sync to the server: CPU %v of the agent + %v of the server (%.1f µs per user) + %v of slapd = %.2fx the CPU of the last ldapsearch (%v with slapd's)\n",
			mode, cpu.Round(time.Millisecond), serverCPU.Round(time.Millisecond), float64((cpu+serverCPU).Microseconds())/float64(n),
			slapdCPU.Round(time.Millisecond), float64(cpu+serverCPU+slapdCPU)/float64(lastCPU), lastCPU.Round(time.Millisecond))
		if res.Applied[directory.SyncAdd] != n {
			return nil, 0, fmt.Errorf("%s sync added %d users, want %d", mode, res.Applied[directory.SyncAdd], n)
		}
		return t, took, nil
	}
	// discard closes and removes the store of the last fullSync.
	var discard func()
	fullSync := func(mode, path string) (directory.SyncTarget, time.Duration, error) {
		removeFiles := func() {
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				_ = os.Remove(f)
			}
		}
		discard = removeFiles
		if *storeKind == "server" {
			return toServer(mode, path)
		}
		var store *sqlstore.Store
		if *storeKind == "postgres" {
			dsn, drop, err := pgscratch.New(ctx, *pgDSN, "syncbench_")
			if err != nil {
				return nil, 0, err
			}
			defer func() {
				if store == nil {
					drop()
				}
			}()
			store, err = sqlstore.OpenPostgres(ctx, dsn)
			if err != nil {
				return nil, 0, err
			}
			drops = append(drops, drop)
			discard = func() { _ = store.Close(); drop() }
		} else if store, err = sqlstore.OpenSQLite(ctx, path); err != nil {
			return nil, 0, err
		} else {
			discard = func() { _ = store.Close(); removeFiles() }
		}
		stores = append(stores, store)
		t, err := directory.NewSigningStoreTarget(store, signer)
		if *verify {
			t, err = directory.NewStoreTarget(store, verifier)
		}
		if err != nil {
			return nil, 0, err
		}
		busy0, total0 := machineTicks()
		start, cpu0, slapd0, pg0 := time.Now(), cpuTime(), procCPU(slapd), postgresCPU()
		res, err := runSync(mode, t)
		if err != nil {
			return nil, 0, fmt.Errorf("%s sync: %w", mode, err)
		}
		took := time.Since(start)
		cpu, slapdCPU := cpuTime()-cpu0, procCPU(slapd)-slapd0
		busy1, total1 := machineTicks()
		lastCPU := searchCPU[len(searchCPU)-1]
		fmt.Printf("  %s sync: CPU %v of this process (%.1f µs per user, %.2f cores) + %v of slapd = %.2fx the CPU of the last ldapsearch (%v with slapd's)\n",
			mode, cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(n), float64(cpu)/float64(took), slapdCPU.Round(time.Millisecond),
			float64(cpu+slapdCPU)/float64(lastCPU), lastCPU.Round(time.Millisecond))
		if *storeKind == "postgres" {
			pgCPU := postgresCPU() - pg0
			fmt.Printf("  %s sync: CPU %v of PostgreSQL (%.1f µs per user, %.2f cores)\n",
				mode, pgCPU.Round(time.Millisecond), float64(pgCPU.Microseconds())/float64(n), float64(pgCPU)/float64(took))
		}
		if share := busyShare(busy0, total0, busy1, total1); share >= 0 {
			fmt.Printf("  %s sync: the machine's CPUs were %.0f%% busy (all processes, steal included)\n", mode, 100*share)
		}
		stored := 0
		for _, err := range store.ListUsers(ctx, userstore.ListOptions{Source: "bulk"}) {
			if err != nil {
				return nil, 0, err
			}
			stored++
		}
		if stored != n || res.Applied[directory.SyncAdd] != n {
			return nil, 0, fmt.Errorf("%s sync added %d users and the store has %d, want %d", mode, res.Applied[directory.SyncAdd], stored, n)
		}
		return t, took, nil
	}
	modes := []string{"streamed"}
	if *twoStep {
		modes = append(modes, "two-step")
	}
	ratios := map[string][]float64{}
	var target directory.SyncTarget
	_, before, err := search()
	if err != nil {
		return err
	}
	for round := range *runs {
		for _, mode := range modes {
			path := filepath.Join(dir, fmt.Sprintf("%s-%d.db", mode, round))
			t, took, err := fullSync(mode, path)
			if err != nil {
				return err
			}
			_, after, err := search()
			if err != nil {
				return err
			}
			ratio := float64(took) / float64((before+after)/2)
			ratios[mode] = append(ratios[mode], ratio)
			fmt.Printf("round %d: ldapsearch %v, %s full sync of %d users %v, ldapsearch %v: ratio %.2fx\n",
				round+1, before.Round(time.Millisecond), mode, n, took.Round(time.Millisecond), after.Round(time.Millisecond), ratio)
			before = after
			if mode == "streamed" && round == *runs-1 {
				target = t
				continue
			}
			// Done with this round's store: closed, and its database
			// dropped or its files removed, so that the next round runs
			// on a server holding only its own.
			discard()
		}
	}
	pprof.StopCPUProfile()
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			return err
		}
	}
	for _, mode := range modes {
		r := slices.Sorted(slices.Values(ratios[mode]))
		fmt.Printf("%-9s full sync into %s / ldapsearch: best %.2fx, median %.2fx over %d rounds (goal <= 2x)\n", mode, *storeKind, r[0], r[len(r)/2], len(r))
	}

	// Every stored signature verifies, also those a signing target wrote
	// without verifying them.
	start := time.Now()
	checked := 0
	for sr, err := range target.Synced(ctx, src.Name()) {
		if err != nil {
			return err
		}
		if err := verifier.Verify(sr.Record, sr.Signature); err != nil {
			return fmt.Errorf("stored record %q: %w", sr.Record.ExternalID, err)
		}
		checked++
	}
	if checked != n {
		return fmt.Errorf("verified %d stored signatures, want %d", checked, n)
	}
	fmt.Printf("all %d stored signatures verify with the public key (checked in %v)\n", checked, time.Since(start).Round(time.Millisecond))

	// A full sync with nothing to do: memory holds the pending changes
	// only, so its peak heap does not grow with the unchanged users.
	peak, stopHeap := heapPeak()
	start = time.Now()
	plan, res, err := directory.Sync(ctx, src, target, signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "bench", BatchSize: *batch})
	took := time.Since(start)
	stopHeap()
	if err != nil {
		return err
	}
	if len(res.Applied) != 0 || plan.Count(directory.SyncUnchanged) != n {
		return fmt.Errorf("a second full sync applied %v and found %d unchanged users, want nothing and %d", res.Applied, plan.Count(directory.SyncUnchanged), n)
	}
	fmt.Printf("full sync of %d unchanged users: %v, %d changes kept, peak heap %.1f MiB\n", n, took.Round(time.Millisecond), len(plan.Changes), float64(peak())/(1<<20))

	// 3. Incremental: bring the cursor up to date, then twice change users
	// and apply. With a modifyTimestamp cursor (one-second resolution,
	// inclusive) the first step after the bulk load also read again the
	// entries stamped in the cursor's second, which after slapadd are
	// thousands; with entryCSN it reads the changes only. The second
	// step shows the steady state.
	auto := &directory.AutoSync{Source: src, Target: target, Signer: signer, OrgID: "bench", Cursors: directory.FileCursors{Dir: dir}}
	if _, err := auto.Incremental(ctx); err != nil {
		return err
	}
	for i, what := range []string{"first after the bulk load", "steady state"} {
		time.Sleep(1100 * time.Millisecond) // let a modifyTimestamp cursor's second pass
		if err := modifyUsers(*url, *bindDN, *bindPW, *base, i**changes, *changes); err != nil {
			return err
		}
		// The source's part alone: the changes since the cursor, read but
		// not applied.
		cursor, err := auto.Cursors.LoadCursor(ctx, src.Name())
		if err != nil {
			return err
		}
		var took []time.Duration
		seen := 0
		for range max(*reads, 1) {
			start := time.Now()
			seen = 0
			for c, err := range src.Changes(ctx, cursor) {
				if err != nil {
					return err
				}
				if c.Entry != nil {
					seen++
				}
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		read := took[len(took)/2]
		best := took[0]
		start := time.Now()
		written, err := auto.Incremental(ctx)
		if err != nil {
			return err
		}
		inc := time.Since(start)
		fmt.Printf("incremental sync, %s: %d changed users applied in %v (goal < 50 ms); reading the %d entries the source returned alone took %v (best of %d: %v; cursor %q)\n",
			what, written, inc.Round(time.Millisecond), seen, read.Round(time.Millisecond), len(took), best.Round(100*time.Microsecond), cursor)
		if written != *changes {
			return fmt.Errorf("incremental sync wrote %d users, want %d", written, *changes)
		}
	}
	return nil
}

// ldapsearch pages through base and counts the entries of its output; it
// returns their number, the time it took and ldapsearch's CPU time.
func ldapsearch(url, bindDN, pwFile, base string, page int, attrs []string) (int, time.Duration, time.Duration, error) {
	args := []string{"-x", "-LLL", "-o", "ldif-wrap=no", "-H", url, "-b", base, "-E", "pr=" + strconv.Itoa(page) + "/noprompt"}
	if bindDN != "" {
		args = append(args, "-D", bindDN, "-y", pwFile)
	}
	args = append(args, "(objectClass=inetOrgPerson)")
	args = append(args, attrs...)
	cmd := exec.Command("ldapsearch", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, fmt.Errorf("ldapsearch: %w", err)
	}
	n := 0
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte("dn: ")) {
			n++
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, 0, fmt.Errorf("ldapsearch: %w: %s", err, stderr.String())
	}
	took := time.Since(start)
	return n, took, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// modifyUsers changes the telephoneNumber (the phone of both the LDAP and
// the AD mapping) of n users under base, skipping the first skip.
func modifyUsers(url, bindDN, bindPW, base string, skip, n int) error {
	conn, err := goldap.DialURL(url)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Bind(bindDN, bindPW); err != nil {
		return err
	}
	res, err := conn.Search(goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, skip+n, 0, false,
		"(objectClass=inetOrgPerson)", []string{"dn"}, nil))
	if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		return err
	}
	if len(res.Entries) < skip+n {
		return fmt.Errorf("found %d users to modify, want %d", len(res.Entries), skip+n)
	}
	stamp := time.Now().UnixNano() % 1e8
	for _, e := range res.Entries[skip : skip+n] {
		m := goldap.NewModifyRequest(e.DN, nil)
		m.Replace("telephoneNumber", []string{fmt.Sprintf("+1 555 %08d", stamp)})
		if err := conn.Modify(m); err != nil {
			return fmt.Errorf("modify %s: %w", e.DN, err)
		}
	}
	return nil
}

// heapPeak samples the heap in use every 5 ms until stop is called, and
// returns the largest sample.
func heapPeak() (peak func() uint64, stop func()) {
	runtime.GC()
	var hi atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > hi.Load() {
				hi.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return hi.Load, func() { close(done); wg.Wait() }
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// slapdPID finds the slapd serving url (the harness's private one) by
// its command line, or returns 0.
func slapdPID(url string) int {
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		if strings.HasSuffix(args[0], "slapd") && slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, strings.TrimSuffix(url, "/")) }) {
			return pid
		}
	}
	return 0
}

// procCPU is the user and system CPU time of process pid (0 for none),
// from /proc, in clock ticks of 10 ms.
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	_, rest, ok := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// writeHeapProfile writes the allocations made so far (the heap profile,
// whose alloc_space and alloc_objects count every allocation sampled).
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
