package main

import (
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	cfg := testSettings(t)
	cfg.Database = "sqlite:" + filepath.Join(t.TempDir(), "usher.db")
	cfg.Syslog = "tcp://" + addr
	ts := startTestServer(t, cfg)
	for i := range 20 {
		require.NoError(t, ts.app.usersAudit.AppendAudit(t.Context(), userstore.AuditEvent{Kind: "admin.test", UserID: "u", Login: "waiting-" + string(rune('a'+i))}))
	}
	assert.Equal(t, int64(0), ts.app.syslog.sent.Load())

	// The receiver comes back: everything waiting arrives.
	ln, err = net.Listen("tcp", addr)
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
