package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/userstore"
)

// TestSyslogMeasureDrain times appends with syslog off, with the receiver
// up and with it down, and the delivery of the backlog once it is back
// (rsyslogd over TCP, SQLite and PostgreSQL). It runs only when asked:
//
//	USHER_SYSLOG_MEASURE=1 ./scripts/testservers.sh go test -count=1 -v -run SyslogMeasure ./examples/server/
func TestSyslogMeasureDrain(t *testing.T) {
	if os.Getenv("USHER_SYSLOG_MEASURE") == "" {
		t.Skip("set USHER_SYSLOG_MEASURE=1 to measure")
	}
	rs := testenv.StartRsyslog(t)
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dsn := "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
			if db == "postgres" {
				dsn = testenv.PostgresDB(t)
			}
			p := newSyslogProxy(t, rs.TCP)
			const n = 5000
			prefix := "measure-" + db
			cfg := testSettings(t)
			cfg.Database, cfg.Syslog = dsn, "tcp://"+p.addr
			cfg.ActivationKey, cfg.CADir = "0123456789abcdef0123456789abcdef-shared", t.TempDir()
			off := cfg
			off.Syslog = ""
			if db == "sqlite" {
				off.Database = "sqlite:" + filepath.Join(t.TempDir(), "off.db")
			}
			base := startTestServer(t, off)
			t0 := time.Now()
			for _, m := range markers("off", 0, 5000) {
				if err := base.app.usersAudit.AppendAudit(t.Context(), userstore.AuditEvent{Kind: "admin.test", UserID: "u", Login: m}); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%s: 5000 appends without syslog: %v", db, time.Since(t0))
			ts := startTestServer(t, cfg)
			p.up()
			live := markers(prefix+"-live", 0, 2000)
			t0 = time.Now()
			for _, m := range live {
				if err := ts.app.usersAudit.AppendAudit(t.Context(), userstore.AuditEvent{Kind: "admin.test", UserID: "u", Login: m}); err != nil {
					t.Fatal(err)
				}
			}
			ap := time.Since(t0)
			waitMarked(t, rs, prefix+"-live", live, 60*time.Second)
			t.Logf("%s: 2000 appends with the receiver up: %v; all received %v after the first append (incl. 1 s duplicate wait)", db, ap, time.Since(t0))
			p.down()
			start := time.Now()
			var worst time.Duration
			for _, m := range markers(prefix, 0, n) {
				t0 := time.Now()
				if err := ts.app.usersAudit.AppendAudit(t.Context(), userstore.AuditEvent{Kind: "admin.test", UserID: "u", Login: m}); err != nil {
					t.Fatal(err)
				}
				worst = max(worst, time.Since(t0))
			}
			t.Logf("%s: %d appends with the receiver down: %v (%.0f µs each, worst %v)", db, n, time.Since(start), float64(time.Since(start).Microseconds())/n, worst)
			p.up()
			start = time.Now()
			got := waitMarked(t, rs, prefix, markers(prefix, 0, n), 120*time.Second)
			t.Logf("%s: backlog of %d delivered in %v (minus the 1 s duplicate wait and up to one backoff); got %d", db, n, time.Since(start), len(got))
		})
	}
}
