package outbox_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
	"github.com/usher-sdk/usher/database"
)

// The durability tests run the outbox in child processes: the test binary
// itself, started again with these variables.
const (
	envChildDSN    = "USHER_OUTBOX_CHILD_DSN"
	envChildURL    = "USHER_OUTBOX_CHILD_URL"
	envChildInsert = "USHER_OUTBOX_CHILD_INSERT"
)

func TestMain(m *testing.M) {
	if dsn := os.Getenv(envChildDSN); dsn != "" {
		if err := child(dsn); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child inserts USHER_OUTBOX_CHILD_INSERT deliveries, starts delivering
// them to USHER_OUTBOX_CHILD_URL, says "ready" and delivers until its
// standard input closes, then stops gracefully.
func child(dsn string) error {
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := outbox.New(db, fastConfig())
	if err != nil {
		return err
	}
	n, _ := strconv.Atoi(os.Getenv(envChildInsert))
	for i := range n {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			return o.Insert(ctx, tx, []authrequest.Delivery{delivery(i)})
		})
		if err != nil {
			return err
		}
	}
	if err := o.Start(ctx, &httpSender{url: os.Getenv(envChildURL), pid: strconv.Itoa(os.Getpid())}); err != nil {
		return err
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return o.Stop(sctx)
}

type childProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startChild runs the child and waits for its "ready".
func startChild(t *testing.T, dsn, url string, insert int) *childProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChildDSN+"="+dsn, envChildURL+"="+url, envChildInsert+"="+strconv.Itoa(insert))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &childProc{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ok := sc.Scan() && sc.Text() == "ready"
		ready <- ok
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case ok := <-ready:
		require.True(t, ok, "child did not start")
	case <-time.After(60 * time.Second):
		t.Fatal("child did not start within 60 s")
	}
	return c
}

func jobStates(t *testing.T, db *database.DB) map[string]int {
	t.Helper()
	rows, err := db.SQL().QueryContext(t.Context(), `SELECT state, count(*) FROM river_job GROUP BY state`)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		require.NoError(t, rows.Scan(&s, &n))
		out[s] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// TestKill9 is the first durability promise: a process killed with
// SIGKILL while deliveries are pending, some of them under way, loses
// none; after a restart every delivery arrives at least once.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("short: waits for River's leader lease to expire")
	}
	eachDialect(t, func(t *testing.T, dsn string) {
		db := openDB(t, dsn)
		rcv := newReceiver(t)
		// The receiver fails the first calls, then answers slowly, so that
		// the child has deliveries under way when it dies.
		rcv.setMode(func(string, int) (int, time.Duration) {
			if rcv.calls.Load() <= 5 {
				return http.StatusServiceUnavailable, 0
			}
			return http.StatusNoContent, 300 * time.Millisecond
		})
		const n = 40
		var ids []string
		for i := range n {
			ids = append(ids, delivery(i).ID)
		}
		c := startChild(t, dsn, rcv.URL, n)
		require.Eventually(t, func() bool { return rcv.calls.Load() >= 12 }, 30*time.Second, 5*time.Millisecond)
		require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
		_ = c.cmd.Wait()
		before := len(rcv.counts())
		states := jobStates(t, db)
		t.Logf("killed the child with %d of %d delivered; jobs by state: %v", before, n, states)
		require.Positive(t, states["running"], "the kill left deliveries under way")
		var stuck []string // running and never received
		q := `SELECT args FROM river_job WHERE state = 'running'`
		if db.Dialect() == database.SQLite {
			q = `SELECT json(args) FROM river_job WHERE state = 'running'` // JSONB
		}
		rows, err := db.SQL().QueryContext(t.Context(), q)
		require.NoError(t, err)
		for rows.Next() {
			var a []byte
			require.NoError(t, rows.Scan(&a))
			var d authrequest.Delivery
			require.NoError(t, json.Unmarshal(a, &d))
			if rcv.counts()[d.ID] == 0 {
				stuck = append(stuck, d.ID)
			}
		}
		require.NoError(t, rows.Err())
		require.NotEmpty(t, stuck, "the kill interrupted deliveries")
		require.Less(t, before, n, "the kill left deliveries pending")

		// Restart: this process takes over; River's rescuer retries the
		// jobs the dead process left running.
		rcv.setMode(func(string, int) (int, time.Duration) { return http.StatusNoContent, 0 })
		start := time.Now()
		o, err := outbox.New(db, fastConfig())
		require.NoError(t, err)
		require.NoError(t, o.Start(t.Context(), &httpSender{url: rcv.URL}))
		defer stop(t, o)
		rcv.waitFor(t, ids, 90*time.Second)
		t.Logf("restarted outbox: %+v", o.Stats())
		dups := 0
		for _, id := range ids {
			dups += rcv.counts()[id] - 1
		}
		t.Logf("every delivery arrived %s after the restart, the %d interrupted ones too; %d duplicates (dropped by webhook-id)", time.Since(start).Round(100*time.Millisecond), len(stuck), dups)
	})
}

// TestTwoProcesses is the second promise: two processes on one PostgreSQL
// deliver each callback once in normal operation.
func TestTwoProcesses(t *testing.T) {
	dsn := dialects[1].fresh(t)
	db := openDB(t, dsn)
	rcv := newReceiver(t)
	a := startChild(t, dsn, rcv.URL, 0)
	b := startChild(t, dsn, rcv.URL, 0)
	o, err := outbox.New(db, fastConfig())
	require.NoError(t, err)
	const n = 300
	var ds []authrequest.Delivery
	for i := range n {
		ds = append(ds, delivery(i))
	}
	ids := insert(t, db, o, ds...)
	rcv.waitFor(t, ids, 60*time.Second)
	time.Sleep(500 * time.Millisecond) // time for a duplicate to show
	c := rcv.counts()
	for _, id := range ids {
		assert.Equal(t, 1, c[id], id)
	}
	assert.Len(t, c, n)
	rcv.mu.Lock()
	t.Logf("deliveries by process: %v", rcv.byPID)
	assert.Len(t, rcv.byPID, 2, "both processes delivered")
	rcv.mu.Unlock()
	for _, p := range []*childProc{a, b} {
		require.NoError(t, p.stdin.Close())
		require.NoError(t, p.cmd.Wait(), "graceful stop")
	}
}
