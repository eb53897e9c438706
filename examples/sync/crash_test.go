package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// buildAgent builds the agent into a temporary directory, so that it can
// be killed with SIGKILL like a real process.
func buildAgent(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			t.Skip("crash test: the go command is not on PATH; run it with `make test`")
		}
	}
	bin := filepath.Join(t.TempDir(), "usher-sync")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// agentRun is one run of the built agent.
type agentRun struct {
	killed   bool // ended by SIGKILL
	midApply bool // killed after it had applied some changes, not all
	stdout   string
	code     int
}

// runAgent runs bin with args. killAt, when set, decides from each line of
// output whether to kill the agent now; killAfter, when positive, kills it
// after that long.
func runAgent(t *testing.T, bin string, args []string, killAt func(line string) bool, killAfter time.Duration) agentRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	pipe, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	if killAfter > 0 {
		timer := time.AfterFunc(killAfter, func() { _ = cmd.Process.Kill() })
		defer timer.Stop()
	}
	var out strings.Builder
	var r agentRun
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		if done, total, ok := progressOf(line); ok && done < total {
			r.midApply = true // changes were written, and more were to come
		}
		if killAt != nil && killAt(line) {
			_ = cmd.Process.Kill() // SIGKILL: no deferred function, no cleanup runs
		}
	}
	err = cmd.Wait()
	r.stdout = out.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			r.killed = true
		}
		r.code = exit.ExitCode()
	default:
		require.NoError(t, err)
	}
	r.midApply = r.midApply && r.killed
	return r
}

// progressAt returns a killAt that fires at the first progress line that
// says tenth tenths or more of the changes are done, but not all. (The
// engine reports after each batch; the total grows while it plans.)
func progressAt(tenth int) func(string) bool {
	return func(line string) bool {
		done, total, ok := progressOf(line)
		return ok && done < total && done*10 >= tenth*total
	}
}

func progressOf(line string) (done, total int, ok bool) {
	_, err := fmt.Sscanf(line, "sync: %d/%d", &done, &total)
	return done, total, err == nil
}

// crashThenFinish runs "sync" against config and kills it kills times, at
// random points: alternately after a random share of the changes, read
// from its progress lines, and after a random delay up to span (the time
// an uninterrupted run took), which may fall while it opens the store,
// reads the source or writes. Then it runs the sync to the
// end. It returns how many runs were killed part way through applying.
func crashThenFinish(t *testing.T, bin, config string, rng *rand.Rand, kills int, span time.Duration) int {
	t.Helper()
	mid := 0
	for i := range kills {
		// Smaller batches mean more commits to be killed between, and
		// more progress lines to kill at.
		batches := []int{25, 100, 400, 1000}
		if i%2 == 0 {
			batches = batches[:2]
		}
		args := []string{"sync", "--config", config, "--batch-size", fmt.Sprint(batches[rng.IntN(len(batches))])}
		var r agentRun
		if i%2 == 0 {
			r = runAgent(t, bin, args, progressAt(1+rng.IntN(9)), 0)
		} else {
			r = runAgent(t, bin, args, nil, time.Duration(1+rng.Int64N(int64(span))))
		}
		if !r.killed {
			require.Equal(t, exitOK, r.code, "an agent that was not killed must succeed: %s", r.stdout)
		}
		if r.midApply {
			mid++
		}
		t.Logf("run %d (%s): killed=%t mid-apply=%t, last output %q", i, strings.Join(args[3:], " "), r.killed, r.midApply, lastLine(r.stdout))
	}
	r := runAgent(t, bin, []string{"sync", "--config", config}, nil, 0)
	require.Equal(t, exitOK, r.code, r.stdout)
	r = runAgent(t, bin, []string{"sync", "--config", config}, nil, 0)
	require.Equal(t, exitOK, r.code, r.stdout)
	assert.Equal(t, "nothing to sync\n", r.stdout, "a finished sync has nothing left to do")
	return mid
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// snapshot is what a store holds, keyed by external ID, without the
// fields that differ between two stores by nature (IDs, times, versions).
type snapshot struct {
	users  map[string]userstore.User
	groups map[string]int // members per group, from the users' Groups
}

func takeSnapshot(t *testing.T, db string) snapshot {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, db)
	require.NoError(t, err)
	defer s.Close()
	snap := snapshot{users: map[string]userstore.User{}, groups: map[string]int{}}
	emails := map[string]bool{}
	for u, err := range s.ListUsers(ctx, userstore.ListOptions{}) {
		require.NoError(t, err)
		_, dup := snap.users[u.ExternalID]
		require.False(t, dup, "duplicate external ID %s", u.ExternalID)
		require.False(t, emails[u.Email], "duplicate e-mail %s", u.Email)
		emails[u.Email] = true
		u.ID, u.CreatedAt, u.UpdatedAt, u.Version = "", time.Time{}, time.Time{}, 0
		snap.users[u.ExternalID] = u
	}
	for g, err := range s.ListGroups(ctx) {
		require.NoError(t, err)
		snap.groups[g.Name] = 0
	}
	for _, u := range snap.users {
		for _, g := range u.Groups {
			snap.groups[g]++
		}
	}
	return snap
}

// requireSameState compares two stores' users and groups, without the
// signatures: a record's batch signature depends on the batch it was
// signed in, which differs between an interrupted run and an
// uninterrupted one (requireVerified checks them).
func requireSameState(t *testing.T, want, got snapshot) {
	t.Helper()
	require.Equal(t, len(want.users), len(got.users), "user count")
	for id, w := range want.users {
		g, ok := got.users[id]
		require.True(t, ok, "user %s lost", id)
		require.Equal(t, withoutSignature(w), withoutSignature(g), "user %s", id)
	}
	require.Equal(t, want.groups, got.groups)
}

func withoutSignature(u userstore.User) userstore.User {
	u.Attributes = maps.Clone(u.Attributes)
	delete(u.Attributes, directory.AttrSignature)
	return u
}

// requireVerified checks that every user synced into the store at db
// has a signature that verifies with the agent's public key.
func requireVerified(t *testing.T, cfg Config, db string) {
	t.Helper()
	ctx := context.Background()
	pemData, err := os.ReadFile(cfg.PublicKey)
	require.NoError(t, err)
	pub, err := directory.ParsePublicKey(pemData)
	require.NoError(t, err)
	v, err := directory.NewRecordVerifier(pub)
	require.NoError(t, err)
	s, err := sqlstore.OpenSQLite(ctx, db)
	require.NoError(t, err)
	defer s.Close()
	target, err := directory.NewStoreTarget(s, v)
	require.NoError(t, err)
	n := 0
	for r, err := range target.Synced(ctx, "csv") {
		require.NoError(t, err)
		require.NoError(t, v.Verify(r.Record, r.Signature), "user %s", r.Record.ExternalID)
		n++
	}
	require.NotZero(t, n)
}

// TestCrashSafety kills the agent with SIGKILL at random points of a
// sync of a few thousand users, runs it again, and checks that the store
// ends exactly as after an uninterrupted sync: the same users, no
// duplicates, nothing lost. It does so for a first sync (adds) and for a
// sync of renames, group changes, removals and additions.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds the agent and syncs thousands of users repeatedly; skipped with -short")
	}
	t.Parallel()
	const n = crashUsers
	bin := buildAgent(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	users := staff(n)
	h := newHarness(t, users)
	cfg := readConfig(t, h.config)
	refDB := filepath.Join(h.dir, "reference.db")
	cfg.Store = "sqlite:" + refDB
	refConfig := filepath.Join(h.dir, "reference.json")
	require.NoError(t, writeConfig(refConfig, &cfg))

	// 1. The first sync: every user is added.
	start := time.Now()
	r := runAgent(t, bin, []string{"sync", "--config", refConfig}, nil, 0)
	span := time.Since(start)
	require.Equal(t, exitOK, r.code, r.stdout)
	require.Contains(t, r.stdout, fmt.Sprintf("done: add %d", n))
	mid := crashThenFinish(t, bin, h.config, rng, 4, span)
	want := takeSnapshot(t, refDB)
	require.Len(t, want.users, n)
	requireSameState(t, want, takeSnapshot(t, h.db))
	requireVerified(t, cfg, h.db)

	// 2. Renames, group changes, 10% removed (under the guard) and new
	// users.
	changed := slices.Clone(users)
	for i := range changed {
		if i%5 == 0 {
			changed[i].name += " Renamed"
		}
		if i%7 == 0 {
			changed[i].groups = "moved,staff"
		}
	}
	changed = slices.Delete(changed, n-n/10, n)
	for i := n; i < n+n/8; i++ {
		changed = append(changed, csvUser{name: fmt.Sprintf("New %d", i), email: fmt.Sprintf("new%05d@example.test", i), groups: "new"})
	}
	writeCSV(t, h.csv, changed)
	start = time.Now()
	r = runAgent(t, bin, []string{"sync", "--config", refConfig}, nil, 0)
	span = time.Since(start)
	require.Equal(t, exitOK, r.code, r.stdout)
	mid += crashThenFinish(t, bin, h.config, rng, 4, span)
	want = takeSnapshot(t, refDB)
	require.Len(t, want.users, n+n/8, "removed users are deactivated, never deleted")
	requireSameState(t, want, takeSnapshot(t, h.db))
	requireVerified(t, cfg, h.db)
	disabled := 0
	for _, u := range want.users {
		if !u.Enabled {
			disabled++
		}
	}
	assert.Equal(t, n/10, disabled)

	require.Positive(t, mid, "at least one run must have been killed while applying changes, or the test proved nothing")
}
