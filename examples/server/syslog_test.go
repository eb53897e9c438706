package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
)

// TestSyslogToRsyslog: audit events reach a real rsyslogd over UDP, TCP
// and TLS, in RFC 5424 with Notakey's message shape, and a typed login
// cannot forge a second line.
func TestSyslogToRsyslog(t *testing.T) {
	t.Parallel()
	rs := testenv.StartRsyslog(t)
	for _, tr := range []struct{ name, target string }{
		{"udp", "udp://" + rs.UDP},
		{"tcp", "tcp://" + rs.TCP},
		{"tls", "tls://" + rs.TLS},
	} {
		t.Run(tr.name, func(t *testing.T) {
			cfg := testSettings(t)
			cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
			cfg.Syslog = tr.target
			if tr.name == "tls" {
				cfg.SyslogCA, cfg.SyslogServerName = rs.CAFile, rs.ServerName
			}
			ts := startTestServer(t, cfg)
			probe := "probe-" + tr.name
			seen := len(rs.Lines()) // the subtests share the receiver
			find := func(substr string) string {
				var line string
				require.Eventually(t, func() bool {
					for _, l := range rs.Lines()[seen:] {
						if strings.Contains(l, substr) {
							line = l
							return true
						}
					}
					return false
				}, 20*time.Second, 50*time.Millisecond, substr)
				return line
			}

			// A refused login of nobody: the typed login stays home.
			r := ts.postForm(ts.browser(), "/admin/login", url.Values{"username": {probe + "-typed-secret"}, "password": {"wrong"}})
			require.Equal(t, http.StatusUnauthorized, r.StatusCode)
			line := find("[LOGIN]")
			assert.Regexp(t, `^<85>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ usher - login\.failed - \[LOGIN\] \[[0-9a-f]{5}\] \[-\] \[admin\] login\.failed: \S`, line)
			assert.NotContains(t, line, "typed-secret")

			// An account's login with a line break cannot forge a line.
			require.NoError(t, ts.app.usersAudit.AppendAudit(t.Context(), userstore.AuditEvent{Kind: "admin.test", UserID: "u1", Login: probe + "\n<13>1 forged line"}))
			line = find(probe)
			assert.Contains(t, line, "[ADMIN] ")
			assert.Contains(t, line, "["+probe+"?<13>1 forged line] [users] admin.test (user u1)")
			for _, l := range rs.Lines() {
				assert.False(t, strings.HasPrefix(l, "<13>1 forged"), "no forged line")
			}
		})
	}
}

// TestSyslogAwayNeverBlocks: with the receiver down, requests go on at
// full speed, events wait, and they are delivered once it is back.
func TestSyslogAwayNeverBlocks(t *testing.T) {
	t.Parallel()
	// A TCP port that nobody listens on yet.
	addr := testenv.FreeAddr(t)

	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	cfg.Syslog = "tcp://" + addr
	ts := startTestServer(t, cfg)
	for i := range 20 {
		require.NoError(t, ts.app.usersAudit.AppendAudit(t.Context(), userstore.AuditEvent{Kind: "admin.test", UserID: "u", Login: "waiting-" + string(rune('a'+i))}))
	}
	assert.Equal(t, int64(0), ts.app.syslog.sent.Load())

	// The receiver comes back: everything waiting arrives.
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var all strings.Builder
		buf := make([]byte, 64<<10)
		for strings.Count(all.String(), "admin.test -") < 20 {
			_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			all.Write(buf[:n])
		}
		got <- all.String()
	}()
	select {
	case s := <-got:
		assert.Equal(t, 20, strings.Count(s, "admin.test -"))
		assert.Contains(t, s, "[waiting-a]")
		assert.Regexp(t, `^\d+ <86>1 `, s, "octet-counted frames")
	case <-time.After(90 * time.Second):
		t.Fatal("the waiting events were not delivered")
	}
}

func TestSyslogTargets(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"syslog.example:514", "http://x:1", "udp://host", "tcp://:", "udp://h:1/path"} {
		_, err := newSyslogSink(bad, nil, nil)
		assert.Error(t, err, bad)
	}
}

// syslogProxy stands between the server and a real rsyslogd, so that a
// test can take "the receiver" down and bring it back on the same
// address: down stops listening and closes every connection, as a
// receiver that stops does.
type syslogProxy struct {
	t        *testing.T
	addr     string // where the server sends
	upstream string // rsyslogd's TCP or TLS listener
	mu       sync.Mutex
	ln       net.Listener
	conns    []net.Conn
}

func newSyslogProxy(t *testing.T, upstream string) *syslogProxy {
	p := &syslogProxy{t: t, addr: testenv.FreeAddr(t), upstream: upstream}
	t.Cleanup(p.down)
	return p
}

func (p *syslogProxy) up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var ln net.Listener
	var err error
	for range 50 { // the address was ours a moment ago
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(p.t, err)
	p.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.upstream)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
			go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
		}
	}()
}

func (p *syslogProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// marked returns, in the order received, the markers prefix-NNNN that the
// receiver got (as the login of an event of user "u").
func marked(rs *testenv.Rsyslog, prefix string) []string {
	re := regexp.MustCompile(`\] \[(` + regexp.QuoteMeta(prefix) + `-\d{4})\] \[`)
	var out []string
	for _, l := range rs.Lines() {
		if m := re.FindStringSubmatch(l); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

func markers(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s-%04d", prefix, i))
	}
	return out
}

// appendMarked appends the events prefix-from … prefix-(to-1), one after
// the other.
func appendMarked(t *testing.T, log userstore.AuditLog, prefix string, from, to int) {
	t.Helper()
	for _, m := range markers(prefix, from, to) {
		require.NoError(t, log.AppendAudit(t.Context(), userstore.AuditEvent{Kind: "admin.test", UserID: "u", Login: m}))
	}
}

// waitMarked waits until the receiver has every marker of want, then a
// moment more for duplicates, and returns what it got.
func waitMarked(t *testing.T, rs *testenv.Rsyslog, prefix string, want []string, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := marked(rs, prefix)
		have := map[string]bool{}
		for _, g := range got {
			have[g] = true
		}
		all := true
		for _, w := range want {
			all = all && have[w]
		}
		if all {
			time.Sleep(time.Second)
			return marked(rs, prefix)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the receiver has %d of %d events (%s…): %v", within, len(have), len(want), prefix, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSyslogReceiverDownThenUp: over TCP and TLS to a real rsyslogd, the
// events appended while the receiver is away (also when it went away
// under an open connection) arrive once it is back, all, in order, once
// each; appending meanwhile does not wait on it.
func TestSyslogReceiverDownThenUp(t *testing.T) {
	t.Parallel()
	rs := testenv.StartRsyslog(t)
	for _, tr := range []struct{ name, upstream string }{{"tcp", rs.TCP}, {"tls", rs.TLS}} {
		t.Run(tr.name, func(t *testing.T) {
			p := newSyslogProxy(t, tr.upstream)
			cfg := testSettings(t)
			cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
			cfg.Syslog = tr.name + "://" + p.addr
			if tr.name == "tls" {
				cfg.SyslogCA, cfg.SyslogServerName = rs.CAFile, rs.ServerName
			}
			ts := startTestServer(t, cfg)
			prefix := "downup-" + tr.name

			p.up()
			appendMarked(t, ts.app.usersAudit, prefix, 0, 1)
			waitMarked(t, rs, prefix, markers(prefix, 0, 1), 20*time.Second)

			p.down()
			start := time.Now()
			appendMarked(t, ts.app.usersAudit, prefix, 1, 301)
			took := time.Since(start)
			assert.Less(t, took, 20*time.Second, "300 appends with the receiver away")
			time.Sleep(1500 * time.Millisecond)
			assert.Len(t, marked(rs, prefix), 1, "nothing arrives while the receiver is away")
			assert.Equal(t, int64(1), ts.app.syslog.sent.Load())
			assert.GreaterOrEqual(t, syslogMetric(t, ts.app, "usher_syslog_events_waiting"), 300.0, "the metric shows what waits")
			assert.Equal(t, 1.0, syslogMetric(t, ts.app, "usher_syslog_forwarding"))

			p.up()
			got := waitMarked(t, rs, prefix, markers(prefix, 0, 301), 60*time.Second)
			assert.Equal(t, markers(prefix, 0, 301), got, "all, in order, once each")
			assert.Equal(t, int64(301), ts.app.syslog.sent.Load())
			assert.Equal(t, 301.0, syslogMetric(t, ts.app, "usher_syslog_events_sent_total"))
			assert.Eventually(t, func() bool { return syslogMetric(t, ts.app, "usher_syslog_events_waiting") == 0 }, 10*time.Second, 50*time.Millisecond,
				"nothing waits once the cursor has moved")
		})
	}
}

// syslogMetric reads one of the syslog metrics from the app's registry.
func syslogMetric(t *testing.T, a *app, name string) float64 {
	t.Helper()
	families, err := a.metrics.reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name {
			m := f.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestSyslogHelperProcess is the server process that
// TestSyslogSurvivesKill kills: run by that test only.
func TestSyslogHelperProcess(t *testing.T) {
	if os.Getenv("USHER_SYSLOG_HELPER") == "" {
		t.Skip("run by TestSyslogSurvivesKill")
	}
	cfg, err := loadSettings(nil, os.Getenv, io.Discard)
	require.NoError(t, err)
	cfg.BootstrapPassword = testAdminPassword
	a, err := openApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	prefix := os.Getenv("USHER_SYSLOG_HELPER_PREFIX")
	appendMarked(t, a.usersAudit, prefix, 0, 100)
	fmt.Println("appended")
	time.Sleep(10 * time.Minute) // until killed (or orphaned)
}

// TestSyslogSurvivesKill: a server process killed (SIGKILL) while the
// receiver is away loses none of its events: a server started on the
// database afterwards sends them once the receiver is back, after the
// dead process's lease has expired — also when that server is a second
// process already running on the same PostgreSQL.
func TestSyslogSurvivesKill(t *testing.T) {
	t.Parallel()
	rs := testenv.StartRsyslog(t)
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
			if db == "postgres" {
				dsn = testenv.PostgresDB(t)
			}
			p := newSyslogProxy(t, rs.TCP)
			prefix := "kill-" + db
			cfg := testSettings(t)
			cfg.Database, cfg.Syslog = dsn, "tcp://"+p.addr
			cfg.ActivationKey, cfg.CADir = "0123456789abcdef0123456789abcdef-shared", t.TempDir()

			cmd := exec.Command(os.Args[0], "-test.run=^TestSyslogHelperProcess$", "-test.count=1")
			cmd.Dir = t.TempDir()
			cmd.Env = append(os.Environ(), "USHER_SYSLOG_HELPER=1", "USHER_SYSLOG_HELPER_PREFIX="+prefix,
				"USHER_DATABASE="+dsn, "USHER_SYSLOG="+cfg.Syslog, "USHER_ACTIVATION_KEY="+cfg.ActivationKey, "USHER_CA_DIR="+cfg.CADir)
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = os.Stderr
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			line, err := bufio.NewReader(out).ReadString('\n')
			require.NoError(t, err, "the helper process did not append")
			require.Equal(t, "appended\n", line)
			// On PostgreSQL a second process runs beside the helper, which
			// holds the lease: it takes over once the lease has expired.
			var other *testServer
			if db == "postgres" {
				other = startTestServer(t, cfg)
				appendMarked(t, other.app.usersAudit, prefix, 100, 150)
				var holder string
				require.NoError(t, other.app.db.SQL().QueryRowContext(t.Context(), `SELECT holder FROM usher_server_syslog`).Scan(&holder))
				require.NotEqual(t, other.app.syslog.holder, holder, "the helper forwards")
				require.False(t, other.app.syslog.leading.Load())
			}
			require.NoError(t, cmd.Process.Kill())
			_ = cmd.Wait()

			p.up()
			want := markers(prefix, 0, 100)
			if other == nil {
				other = startTestServer(t, cfg) // the restart
			} else {
				want = append(want, markers(prefix, 100, 150)...)
			}
			got := waitMarked(t, rs, prefix, want, 60*time.Second)
			if db == "sqlite" {
				assert.Equal(t, want, got, "all, in order, once each")
			} else {
				// Who held the lease when the helper was killed decides whether
				// the other process's events came first: each process's own
				// events keep their order.
				assert.ElementsMatch(t, want, got, "all, once each")
				assert.Equal(t, markers(prefix, 0, 100), filterPrefix(got, want[:100]))
				assert.Equal(t, markers(prefix, 100, 150), filterPrefix(got, want[100:]))
			}
			assert.True(t, other.app.syslog.leading.Load())
		})
	}
}

// filterPrefix keeps the elements of got that are in keep, in got's order.
func filterPrefix(got, keep []string) []string {
	k := map[string]bool{}
	for _, s := range keep {
		k[s] = true
	}
	var out []string
	for _, g := range got {
		if k[g] {
			out = append(out, g)
		}
	}
	return out
}

// TestSyslogTwoProcessesOnePostgres: two servers on one PostgreSQL, one
// receiver: exactly one forwards, the events of both arrive once each and
// each process's in the order it appended them; when the forwarder stops,
// the other takes over at once. An event whose INSERT commits after a
// later one's does not go missing: the forwarder waits for the hole.
func TestSyslogTwoProcessesOnePostgres(t *testing.T) {
	t.Parallel()
	dsn := testenv.PostgresDB(t)
	rs := testenv.StartRsyslog(t)
	cfg := testSettings(t)
	cfg.Database, cfg.Syslog = dsn, "tcp://"+rs.TCP
	cfg.ActivationKey, cfg.CADir = "0123456789abcdef0123456789abcdef-shared", t.TempDir()
	one := startTestServer(t, cfg)
	two := startTestServer(t, cfg)

	var wg sync.WaitGroup
	for i, ts := range []*testServer{one, two} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			appendMarked(t, ts.app.usersAudit, fmt.Sprintf("pg%d", i), 0, 200)
		}()
	}
	wg.Wait()
	got1 := waitMarked(t, rs, "pg0", markers("pg0", 0, 200), 30*time.Second)
	got2 := waitMarked(t, rs, "pg1", markers("pg1", 0, 200), 30*time.Second)
	assert.Equal(t, markers("pg0", 0, 200), got1, "once each, in order")
	assert.Equal(t, markers("pg1", 0, 200), got2, "once each, in order")
	assert.NotEqual(t, one.app.syslog.leading.Load(), two.app.syslog.leading.Load(), "exactly one forwards")
	assert.Equal(t, int64(400), one.app.syslog.sent.Load()+two.app.syslog.sent.Load())

	// An INSERT that has its number but commits late: the event after it
	// waits for it.
	tx, err := one.app.db.SQL().BeginTx(t.Context(), nil)
	require.NoError(t, err)
	_, err = tx.ExecContext(t.Context(), `INSERT INTO usher_audit (realm, id, at, kind, user_id, login, remote, reason, detail)
VALUES ('default', 'late0', $1, 'admin.test', 'u', 'hole-0000', '', '', 'null')`, time.Now().UnixNano())
	require.NoError(t, err)
	appendMarked(t, two.app.usersAudit, "hole", 1, 2)
	time.Sleep(2 * time.Second)
	assert.Empty(t, marked(rs, "hole"), "the later event waits for the hole before it")
	require.NoError(t, tx.Commit())
	one.app.syslog.appended()
	two.app.syslog.appended()
	assert.Equal(t, markers("hole", 0, 2), waitMarked(t, rs, "hole", markers("hole", 0, 2), 30*time.Second))

	// The forwarder stops (and hands the lease on): the other takes over.
	leader, follower := one, two
	if two.app.syslog.leading.Load() {
		leader, follower = two, one
	}
	leader.app.close()
	appendMarked(t, follower.app.usersAudit, "after", 0, 20)
	assert.Equal(t, markers("after", 0, 20), waitMarked(t, rs, "after", markers("after", 0, 20), 30*time.Second))
	assert.True(t, follower.app.syslog.leading.Load())
}

// TestSyslogStopWithReceiverDown: a server stops promptly while events
// wait for an absent receiver, and they stay where the next forwarder
// finds them.
func TestSyslogStopWithReceiverDown(t *testing.T) {
	t.Parallel()
	addr := testenv.FreeAddr(t)
	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	cfg.Syslog = "tcp://" + addr
	ts := startTestServer(t, cfg)
	appendMarked(t, ts.app.usersAudit, "stop", 0, 5)
	require.Eventually(t, ts.app.syslog.leading.Load, 10*time.Second, 10*time.Millisecond)
	start := time.Now()
	ts.app.close()
	assert.Less(t, time.Since(start), syslogStopGrace+2*time.Second)

	again := startTestServer(t, cfg)
	var pos, waiting int64
	require.NoError(t, again.app.db.SQL().QueryRowContext(t.Context(), `SELECT position FROM usher_server_syslog`).Scan(&pos))
	require.NoError(t, again.app.db.SQL().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM usher_audit WHERE n > $1 AND login LIKE 'stop-%'`, pos).Scan(&waiting))
	assert.Equal(t, int64(5), waiting, "the five events wait")
	assert.Equal(t, int64(0), ts.app.syslog.sent.Load())
}
