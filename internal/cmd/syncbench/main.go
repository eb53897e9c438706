// Command syncbench measures directory sync from the private OpenLDAP into
// a SQLite user store, in one run:
//
//  1. ldapsearch pages through the users of ou=bulk (the reference time);
//  2. a first full sync (PlanSync + ApplySync through a StoreTarget, every
//     record signed and verified) of the same users into a fresh SQLite
//     store; the ratio of the two is printed (goal <= 2x);
//  3. -changes users (default 100) are modified in the directory, and an
//     incremental sync (AutoSync.Incremental, modifyTimestamp cursor)
//     applies them; its time is printed (goal < 1 s).
//
// Run it under the test harness, with the 100,000 users:
//
//	USHER_LDAPSEED_BULK=100000 ./scripts/testservers.sh go run ./internal/cmd/syncbench
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/directory/ldap"
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
	twoStep := flag.Bool("twostep", true, "also time PlanSync then ApplySync into a second store")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the full sync to this file")
	flag.Parse()
	if *url == "" {
		return errors.New("no server: run it under ./scripts/testservers.sh or pass -url")
	}
	src, err := ldap.New(ldap.Config{Name: "bulk", URL: *url, BindDN: *bindDN, BindPassword: *bindPW, BaseDN: *base, PageSize: *page, Timeout: 5 * time.Minute})
	if err != nil {
		return err
	}
	defer src.Close()
	dir, err := os.MkdirTemp("", "syncbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// 1. ldapsearch, after one untimed warm-up.
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte(*bindPW), 0o600); err != nil {
		return err
	}
	search := func() (int, time.Duration, error) {
		return ldapsearch(*url, *bindDN, pwFile, *base, *page, src.Attributes())
	}
	if _, _, err := search(); err != nil {
		return err
	}
	n, lsTime, err := search()
	if err != nil {
		return err
	}
	fmt.Printf("ldapsearch:        %d users in %v\n", n, lsTime.Round(time.Millisecond))

	// 2. The first full sync into a fresh SQLite store: streamed (Sync),
	// and, for comparison, planned then applied (PlanSync + ApplySync).
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
	var target *directory.StoreTarget
	var syncTime time.Duration
	for _, mode := range []string{"streamed", "two-step"} {
		if mode == "two-step" && !*twoStep {
			continue
		}
		store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, mode+".db"))
		if err != nil {
			return err
		}
		defer store.Close()
		t, err := directory.NewStoreTarget(store, verifier)
		if err != nil {
			return err
		}
		start := time.Now()
		var res *directory.SyncResult
		var planTime time.Duration
		if mode == "streamed" {
			_, res, err = directory.Sync(ctx, src, t, signer, directory.PlanOptions{}, directory.ApplyOptions{OrgID: "bench"})
		} else {
			var plan *directory.Plan
			if plan, err = directory.PlanSync(ctx, src, t, directory.PlanOptions{}); err == nil {
				planTime = time.Since(start)
				res, err = directory.ApplySync(ctx, plan, t, signer, directory.ApplyOptions{OrgID: "bench"})
			}
		}
		if err == nil {
			err = res.Err()
		}
		if err != nil {
			return fmt.Errorf("%s sync: %w", mode, err)
		}
		took := time.Since(start)
		if mode == "streamed" {
			pprof.StopCPUProfile()
			target, syncTime = t, took
		}
		stored := 0
		for _, err := range store.ListUsers(ctx, userstore.ListOptions{Source: "bulk"}) {
			if err != nil {
				return err
			}
			stored++
		}
		if stored != n || res.Applied[directory.SyncAdd] != n {
			return fmt.Errorf("%s sync added %d users and the store has %d, want %d", mode, res.Applied[directory.SyncAdd], stored, n)
		}
		detail := ""
		if planTime > 0 {
			detail = fmt.Sprintf(" (plan %v, apply %v)", planTime.Round(time.Millisecond), (took - planTime).Round(time.Millisecond))
		}
		fmt.Printf("full sync, %-9s %d users added in %v%s: %.2fx ldapsearch\n", mode+":", n, took.Round(time.Millisecond), detail, float64(took)/float64(lsTime))
	}
	_, lsAfter, err := search()
	if err != nil {
		return err
	}
	fmt.Printf("ldapsearch again:  %v\n", lsAfter.Round(time.Millisecond))
	mean := (lsTime + lsAfter) / 2
	fmt.Printf("ratio:             %.2fx the mean ldapsearch time (streamed sync; goal <= 2x)\n", float64(syncTime)/float64(mean))

	// 3. Incremental: bring the cursor up to date, change users, apply.
	auto := &directory.AutoSync{Source: src, Target: target, Signer: signer, OrgID: "bench", Cursors: directory.FileCursors{Dir: dir}}
	if _, err := auto.Incremental(ctx); err != nil {
		return err
	}
	// modifyTimestamp has a resolution of one second: let it pass.
	time.Sleep(1100 * time.Millisecond)
	if err := modifyUsers(*url, *bindDN, *bindPW, *base, *changes); err != nil {
		return err
	}
	// The source's part alone: the changes since the cursor, read but not
	// applied.
	cursor, err := auto.Cursors.LoadCursor(ctx, src.Name())
	if err != nil {
		return err
	}
	start := time.Now()
	seq, _ := src.Changes(ctx, cursor)
	seen := 0
	for _, err := range seq {
		if err != nil {
			return err
		}
		seen++
	}
	fmt.Printf("reading changes:   %d entries in %v (the source's share of the incremental sync)\n", seen, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	written, err := auto.Incremental(ctx)
	if err != nil {
		return err
	}
	inc := time.Since(start)
	fmt.Printf("incremental sync:  %d changed users applied in %v (goal < 1s)\n", written, inc.Round(time.Millisecond))
	if written != *changes {
		return fmt.Errorf("incremental sync wrote %d users, want %d", written, *changes)
	}
	return nil
}

// ldapsearch pages through base and counts the entries of its output.
func ldapsearch(url, bindDN, pwFile, base string, page int, attrs []string) (int, time.Duration, error) {
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
		return 0, 0, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("ldapsearch: %w", err)
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
		return 0, 0, fmt.Errorf("ldapsearch: %w: %s", err, stderr.String())
	}
	return n, time.Since(start), nil
}

// modifyUsers changes the displayName of the first n users under base.
func modifyUsers(url, bindDN, bindPW, base string, n int) error {
	conn, err := goldap.DialURL(url)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Bind(bindDN, bindPW); err != nil {
		return err
	}
	res, err := conn.Search(goldap.NewSearchRequest(base, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases, n, 0, false,
		"(objectClass=inetOrgPerson)", []string{"dn"}, nil))
	if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) {
		return err
	}
	if len(res.Entries) < n {
		return fmt.Errorf("found %d users to modify, want %d", len(res.Entries), n)
	}
	stamp := time.Now().Format(time.RFC3339Nano)
	for _, e := range res.Entries[:n] {
		m := goldap.NewModifyRequest(e.DN, nil)
		m.Replace("displayName", []string{"Changed " + stamp})
		if err := conn.Modify(m); err != nil {
			return fmt.Errorf("modify %s: %w", e.DN, err)
		}
	}
	return nil
}
