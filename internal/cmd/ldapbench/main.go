// Command ldapbench compares, in one run, how long the LDAP source
// (directory/ldap) and OpenLDAP's ldapsearch take to page through the same
// users, and how much memory the source needs while it streams them.
//
// It uses the private slapd of scripts/testservers.sh, whose ou=bulk holds
// $USHER_LDAPSEED_BULK users (20,000 unless set), loaded by slapadd when
// the harness starts. For the 100,000 users:
//
//	USHER_LDAPSEED_BULK=100000 ./scripts/testservers.sh go run ./internal/cmd/ldapbench
//
// For a directory laid out unlike ou=bulk — users in eight groups each,
// with long and escaped group DNs in memberOf (internal/testenv/ldapseed's
// ou=wide) — start the harness with USHER_LDAPSEED_WIDE and point -base at
// it:
//
//	USHER_LDAPSEED_BULK=0 USHER_LDAPSEED_WIDE=100000 ./scripts/testservers.sh go run ./internal/cmd/ldapbench -base ou=wide,dc=usher,dc=test -expect 100000
//
// Both sides ask for the same attributes (the source's, see
// Source.Attributes) with the same filter and page size (-page, default
// 1000: ldapsearch -E pr=1000/noprompt). One untimed ldapsearch warms
// slapd's caches and checks the number of users (its LDIF is counted);
// then each of -runs rounds times both, alternating, and the best and the
// median time of each are printed. In the timed runs ldapsearch writes its
// LDIF to /dev/null, and the source's entries are mapped (directory.Entry)
// and counted.
//
// Each round also prints the CPU time of each side and of slapd during it
// (slapd's from /proc/<pid>/stat, Linux only: the slapd whose -h holds
// the URL's port), to tell time the client spends working from time it
// waits on the server. -cpuprofile writes a CPU profile of the source's
// streams only.
//
// Peak memory is sampled every 5 ms from runtime/metrics while the source
// streams: the heap's live and not-yet-swept objects, and all memory
// mapped by the Go runtime. The peak over the first 10% of the users is
// printed beside the peak over all of them: flat memory means the two are
// about the same, whatever the number of users.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/usher-sdk/usher/directory/ldap"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ldapbench:", err)
		os.Exit(1)
	}
}

func run() error {
	expect := 0
	if v := os.Getenv("USHER_LDAPSEED_BULK"); v != "" {
		expect, _ = strconv.Atoi(v)
	} else if os.Getenv("USHER_TEST_LDAP_URL") != "" {
		expect = 20000
	}
	url := flag.String("url", os.Getenv("USHER_TEST_LDAP_URL"), "LDAP URL (default $USHER_TEST_LDAP_URL)")
	bindDN := flag.String("binddn", os.Getenv("USHER_TEST_LDAP_BIND_DN"), "bind DN (default $USHER_TEST_LDAP_BIND_DN)")
	bindPW := flag.String("bindpw", os.Getenv("USHER_TEST_LDAP_BIND_PASSWORD"), "bind password (default $USHER_TEST_LDAP_BIND_PASSWORD)")
	base := flag.String("base", "ou=bulk,dc=usher,dc=test", "base DN of the users")
	page := flag.Int("page", 1000, "page size of both")
	runs := flag.Int("runs", 5, "timed rounds; the best and the median time of each side are printed")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the source's streams to this file")
	want := flag.Int("expect", expect, "number of users expected (0: do not check; default $USHER_LDAPSEED_BULK)")
	flag.Parse()
	if *url == "" {
		return errors.New("no server: run it under ./scripts/testservers.sh or pass -url")
	}
	src, err := ldap.New(ldap.Config{URL: *url, BindDN: *bindDN, BindPassword: *bindPW, BaseDN: *base, PageSize: *page, Timeout: 5 * time.Minute})
	if err != nil {
		return err
	}
	defer src.Close()

	pwFile, err := writePasswordFile(*bindPW)
	if err != nil {
		return err
	}
	defer os.RemoveAll(filepath.Dir(pwFile))
	search := func(count bool) (int, time.Duration, time.Duration, error) {
		return ldapsearch(*url, *bindDN, pwFile, *base, src.Config().UserFilter, *page, src.Attributes(), count)
	}
	ctx := context.Background()

	fmt.Printf("ldapbench: %s %s, page size %d, attributes %v, GOMAXPROCS %d, %s\n",
		*url, *base, *page, src.Attributes(), runtime.GOMAXPROCS(0), runtime.Version())
	n, _, _, err := search(true) // warms slapd's caches
	if err != nil {
		return err
	}
	if err := check("ldapsearch", n, *want); err != nil {
		return err
	}
	slapd := findSlapd(*url)
	var prof *os.File
	if *cpuProfile != "" {
		if prof, err = os.Create(*cpuProfile); err != nil {
			return err
		}
		defer prof.Close()
	}
	var lsTimes, srcTimes []time.Duration
	var peak memPeak
	users := 0
	for r := range *runs {
		s0, sw0 := procCPU(slapd), procSwitches(slapd)
		_, d, cpu, err := search(false)
		if err != nil {
			return err
		}
		fmt.Printf("round %d: ldapsearch %d users in %v (CPU: ldapsearch %v, slapd %v; context switches: slapd %d)\n", r+1, n, d.Round(time.Millisecond),
			cpu.Round(time.Millisecond), (procCPU(slapd) - s0).Round(time.Millisecond), procSwitches(slapd)-sw0)
		lsTimes = append(lsTimes, d)

		if prof != nil {
			if err := pprof.StartCPUProfile(prof); err != nil {
				return err
			}
		}
		s0, c0, w0, sw0 := procCPU(slapd), selfCPU(), procSwitches(os.Getpid()), procSwitches(slapd)
		n, d, p, err := stream(ctx, src, *want)
		c1, s1, w1, sw1 := selfCPU(), procCPU(slapd), procSwitches(os.Getpid()), procSwitches(slapd)
		if prof != nil {
			// One profile holds one stretch: the later rounds are timed
			// without the profiler.
			pprof.StopCPUProfile()
			prof = nil
		}
		if err != nil {
			return err
		}
		if err := check("source", n, *want); err != nil {
			return err
		}
		fmt.Printf("round %d: source     %d users in %v (CPU: source %v, slapd %v; context switches: source %d, slapd %d; peak heap %s, first 10%%: %s)\n",
			r+1, n, d.Round(time.Millisecond), (c1 - c0).Round(time.Millisecond), (s1 - s0).Round(time.Millisecond), w1-w0, sw1-sw0,
			mib(p.heap), mib(p.heapEarly))
		srcTimes = append(srcTimes, d)
		peak = peak.max(p)
		users = n
	}
	bestLS, medLS := bestMedian(lsTimes)
	bestSrc, medSrc := bestMedian(srcTimes)
	fmt.Printf("\nusers:              %d\n", users)
	fmt.Printf("ldapsearch:         best %v, median %v\n", bestLS.Round(time.Millisecond), medLS.Round(time.Millisecond))
	fmt.Printf("source:             best %v, median %v\n", bestSrc.Round(time.Millisecond), medSrc.Round(time.Millisecond))
	fmt.Printf("ratio:              best %.2fx, median %.2fx\n", float64(bestSrc)/float64(bestLS), float64(medSrc)/float64(medLS))
	fmt.Printf("peak heap objects:  %s over all users, %s over the first 10%%\n", mib(peak.heap), mib(peak.heapEarly))
	fmt.Printf("peak Go memory:     %s mapped by the runtime; max RSS %s\n", mib(peak.total), mib(maxRSS()))
	return nil
}

// bestMedian returns the smallest and the median of ds (the mean of the
// middle two for an even count).
func bestMedian(ds []time.Duration) (time.Duration, time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Sorted(slices.Values(ds))
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + m) / 2
	}
	return s[0], m
}

func check(who string, n, want int) error {
	if want > 0 && n != want {
		return fmt.Errorf("%s returned %d users, want %d", who, n, want)
	}
	return nil
}

// writePasswordFile keeps the bind password off ldapsearch's command line.
func writePasswordFile(pw string) (string, error) {
	dir, err := os.MkdirTemp("", "ldapbench-")
	if err != nil {
		return "", err
	}
	f := filepath.Join(dir, "pw")
	return f, os.WriteFile(f, []byte(pw), 0o600)
}

// ldapsearch pages through base, and returns the number of entries, the
// time it took and its CPU time. With count it counts the entries of its
// output; otherwise the output goes to /dev/null.
func ldapsearch(url, bindDN, pwFile, base, filter string, page int, attrs []string, count bool) (int, time.Duration, time.Duration, error) {
	args := []string{"-x", "-LLL", "-o", "ldif-wrap=no", "-H", url, "-b", base, "-E", "pr=" + strconv.Itoa(page) + "/noprompt"}
	if bindDN != "" {
		args = append(args, "-D", bindDN, "-y", pwFile)
	}
	args = append(args, filter)
	args = append(args, attrs...)
	cmd := exec.Command("ldapsearch", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if !count {
		devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return 0, 0, 0, err
		}
		defer devNull.Close()
		cmd.Stdout = devNull
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, 0, 0, fmt.Errorf("ldapsearch: %w: %s", err, stderr.String())
		}
		d := time.Since(start)
		return 0, d, childCPU(cmd), nil
	}
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
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if bytes.HasPrefix(sc.Bytes(), []byte("dn:")) {
			n++
		}
	}
	if err := cmd.Wait(); err != nil {
		return 0, 0, 0, fmt.Errorf("ldapsearch: %w: %s", err, stderr.String())
	}
	return n, time.Since(start), childCPU(cmd), sc.Err()
}

// childCPU is the user and system CPU time of a command that has ended.
func childCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// memPeak holds peaks of runtime/metrics samples, in bytes.
type memPeak struct{ heap, heapEarly, total uint64 }

func (p memPeak) max(q memPeak) memPeak {
	return memPeak{max(p.heap, q.heap), max(p.heapEarly, q.heapEarly), max(p.total, q.total)}
}

// stream reads every user through the source while a sampler records the
// memory peaks.
func stream(ctx context.Context, src *ldap.Source, want int) (int, time.Duration, memPeak, error) {
	runtime.GC()
	var count atomic.Int64
	early := int64(want / 10)
	if early == 0 {
		early = 1000
	}
	stop := make(chan struct{})
	done := make(chan memPeak)
	go func() {
		samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
		var p memPeak
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			h, tot := samples[0].Value.Uint64(), samples[1].Value.Uint64()
			p.heap, p.total = max(p.heap, h), max(p.total, tot)
			if count.Load() <= early {
				p.heapEarly = max(p.heapEarly, h)
			}
			select {
			case <-stop:
				done <- p
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	var err error
	for e, e2 := range src.Users(ctx) {
		if e2 != nil {
			err = e2
			break
		}
		if e.ExternalID == "" {
			err = fmt.Errorf("entry %s has no external ID", e.DN)
			break
		}
		count.Add(1)
	}
	d := time.Since(start)
	close(stop)
	return int(count.Load()), d, <-done, err
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
