package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/userstore"
)

// syslogSink sends the audit trail to a syslog receiver as RFC 5424
// messages: over UDP (one datagram each), TCP (RFC 6587 octet counting)
// or TLS (RFC 5425).
//
// It forwards from the audit trail in the database, not from memory
// (syslogforward.go): a cursor in usher_server_syslog records the last
// event sent, so that events appended while the receiver is away, or
// while no server runs, go out in order once it is back, also after a
// crash. Of the server processes sharing a database exactly one forwards
// at a time, holding a lease in the same row; another takes over once the
// holder has stopped renewing it. A request never waits on the receiver:
// AppendAudit only wakes the forwarder (audittee.go), which also polls,
// for the events of other processes.
//
// Delivery is at least once: over TCP and TLS, an event counts as sent
// once the receiver's TCP has acknowledged it (Linux; elsewhere once
// written), and the cursor moves after each batch, so a connection or
// process lost mid-batch sends that batch again. Over UDP an event counts
// as sent once its datagram is written (fire and forget, as UDP syslog
// is). Nothing is dropped: an unreachable receiver only makes events wait
// in the audit trail.
type syslogSink struct {
	network string // "udp", "tcp" or "tls"
	addr    string
	tls     *tls.Config
	host    string
	logger  *slog.Logger

	// Set by openSyslog: the database whose audit trail is forwarded and
	// this process's random lease holder ID.
	db     *database.DB
	holder string
	// Tuning, the defaults of syslogDefaults; tests shorten them.
	leaseTTL time.Duration // how long a lease lasts unrenewed
	poll     time.Duration // how often to look for other processes' events
	gapGrace time.Duration // how long a hole in usher_audit.n may still fill
	batch    int           // events read and sent at once

	wake     chan struct{} // an event was appended in this process
	stopping chan struct{} // closed: finish what is ready, then stop
	done     chan struct{} // closed when run has returned
	cancel   context.CancelFunc
	stopOnce sync.Once
	sent     atomic.Int64 // events sent (see the type's comment)
	leading  atomic.Bool  // this process holds the lease
}

// Defaults of a syslogSink's tuning.
const (
	syslogLeaseTTL = 10 * time.Second
	syslogPoll     = time.Second
	// A hole in usher_audit.n on PostgreSQL is an INSERT that has its
	// number but has not committed yet (the audit INSERT's timeout is
	// 30 s), or one that failed and never will.
	syslogGapGrace = time.Minute
	syslogBatch    = 200
)

// newSyslogSink parses a target: udp://host:port, tcp://host:port or
// tls://host:port (with serverName and roots for the certificate check;
// nil roots: the system's).
func newSyslogSink(target string, tlsConfig *tls.Config, logger *slog.Logger) (*syslogSink, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || u.Path != "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("syslog: want udp://host:port, tcp://host:port or tls://host:port, not %q", target)
	}
	switch u.Scheme {
	case "udp", "tcp", "tls":
	default:
		return nil, fmt.Errorf("syslog: unknown transport %q (want udp, tcp or tls)", u.Scheme)
	}
	if u.Port() == "" {
		return nil, fmt.Errorf("syslog: %q has no port", target)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	s := &syslogSink{network: u.Scheme, addr: u.Host, tls: tlsConfig, host: printable(host, 255, "-"), logger: logger,
		leaseTTL: syslogLeaseTTL, poll: syslogPoll, gapGrace: syslogGapGrace, batch: syslogBatch,
		wake: make(chan struct{}, 1), stopping: make(chan struct{}), done: make(chan struct{})}
	if s.network == "tls" && s.tls == nil {
		s.tls = &tls.Config{}
	}
	if s.tls != nil {
		s.tls = s.tls.Clone()
		if s.tls.ServerName == "" {
			s.tls.ServerName = u.Hostname()
		}
		s.tls.MinVersion = tls.VersionTLS12
	}
	return s, nil
}

// target names the receiver's cursor: network://host:port.
func (s *syslogSink) target() string { return s.network + "://" + s.addr }

// Facility authpriv (10): security and authorization messages.
const syslogFacility = 10

// appended wakes the forwarder: an event is in the audit trail. It never
// blocks.
func (s *syslogSink) appended() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// format writes an event as RFC 5424 with a message in Notakey's shape:
// [CATEGORY] [event] [login] [pool] text.
func (s *syslogSink) format(pool string, e userstore.AuditEvent) []byte {
	severity := 6 // informational
	if strings.HasSuffix(string(e.Kind), ".failed") || e.Kind == userstore.AuditLocked {
		severity = 5 // notice
	}
	category, _, _ := strings.Cut(string(e.Kind), ".")
	short := e.ID
	if len(short) > 5 {
		short = short[:5]
	}
	text := string(e.Kind)
	if e.Reason != "" {
		text += ": " + e.Reason
	}
	if e.UserID != "" {
		text += " (user " + e.UserID + ")"
	}
	if e.Remote != "" {
		text += " from " + e.Remote
	}
	// What was typed as a login goes out only when it named an account:
	// otherwise it may be a password typed into the wrong field, or the
	// address of someone without an account (the audit trail in the
	// database, under the application's access control, keeps it).
	login := "-"
	if e.UserID != "" {
		login = printable(e.Login, 256, "-")
	}
	body := fmt.Sprintf("[%s] [%s] [%s] [%s] %s", strings.ToUpper(printable(category, 32, "AUDIT")),
		printable(short, 8, "-"), login, printable(pool, 64, "-"), printable(text, 2048, "-"))
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	return fmt.Appendf(nil, "<%d>1 %s %s usher - %s - %s", syslogFacility*8+severity, t.UTC().Format("2006-01-02T15:04:05.000000Z"),
		s.host, printable(string(e.Kind), 32, "-"), body)
}

// printable returns s with every control character (a newline that
// could forge a second log line, among others) and invalid UTF-8 replaced
// by '?', cut to max bytes; def when empty. RFC 5424's header fields want
// printable ASCII without spaces: those get the same treatment by the
// callers' choice of max and the NUL-free alphabet of what they hold.
func printable(s string, max int, def string) string {
	if s == "" {
		return def
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > max {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *syslogSink) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	switch s.network {
	case "udp":
		return d.DialContext(ctx, "udp", s.addr)
	case "tls":
		td := &tls.Dialer{NetDialer: d, Config: s.tls}
		return td.DialContext(ctx, "tcp", s.addr)
	}
	return d.DialContext(ctx, "tcp", s.addr)
}

// errReceiverGone is a stream connection that the receiver has closed.
var errReceiverGone = errors.New("syslog: the receiver closed the connection")

// syslogAckTimeout bounds the wait for the receiver's TCP to acknowledge
// a batch; a batch not acknowledged by then is sent again on a new
// connection.
const syslogAckTimeout = 10 * time.Second

// deliver sends msgs on conn and returns how many count as sent: over
// UDP those whose datagram was written; over TCP and TLS all or none,
// all once the receiver's TCP has acknowledged every byte. When it
// returns an error, conn is to be closed.
func (s *syslogSink) deliver(conn net.Conn, msgs [][]byte) (int, error) {
	if s.network == "udp" {
		for i, m := range msgs {
			_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := conn.Write(m); err != nil {
				return i, err
			}
		}
		return len(msgs), nil
	}
	// A receiver that has gone away since the last batch left a closed
	// connection, which would still take one write into the kernel.
	if err := alive(conn); err != nil {
		return 0, err
	}
	var frames []byte
	for _, m := range msgs {
		frames = fmt.Appendf(frames, "%d %s", len(m), m)
	}
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(frames); err != nil {
		return 0, err
	}
	if err := acknowledged(conn, syslogAckTimeout); err != nil {
		return 0, err
	}
	// Acknowledged by a socket that has been reset since purges the
	// queue: check that it still stands.
	if err := alive(conn); err != nil {
		return 0, err
	}
	return len(msgs), nil
}

// alive reports a stream connection that the receiver has closed or
// reset. A syslog receiver sends nothing, so a read that does not time
// out at once means the end (what TLS itself sends, such as session
// tickets, tls.Conn handles within Read).
func alive(conn net.Conn) error {
	_ = conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	var buf [512]byte
	_, err := conn.Read(buf[:])
	_ = conn.SetReadDeadline(time.Time{})
	var ne net.Error
	switch {
	case err == nil:
		return nil // data, which a receiver has no reason to send: ignored
	case errors.As(err, &ne) && ne.Timeout():
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil
	}
	return fmt.Errorf("%w: %v", errReceiverGone, err)
}

// openSyslog makes the sink when -syslog is set and starts forwarding.
func (a *app) openSyslog() error {
	if a.cfg.Syslog == "" {
		return nil
	}
	var tc *tls.Config
	if a.cfg.SyslogCA != "" || a.cfg.SyslogServerName != "" {
		tc = &tls.Config{ServerName: a.cfg.SyslogServerName}
		if a.cfg.SyslogCA != "" {
			pemData, err := readBounded(a.cfg.SyslogCA)
			if err != nil {
				return fmt.Errorf("syslog-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pemData) {
				return fmt.Errorf("syslog-ca: %s holds no PEM certificate", a.cfg.SyslogCA)
			}
			tc.RootCAs = pool
		}
	}
	sink, err := newSyslogSink(a.cfg.Syslog, tc, a.logger)
	if err != nil {
		return err
	}
	if err := sink.start(a.db); err != nil {
		return err
	}
	a.syslog = sink
	a.stopSyslog = sink.stop
	a.metrics.watchSyslog(sink)
	return nil
}

// waiting is how many audit events the receiver has still to get, as
// positions past its cursor (every process's events; a hole in the
// positions counts as one).
func (s *syslogSink) waiting(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.SQL().QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(n) FROM usher_audit), 0) - position FROM usher_server_syslog WHERE target = $1`,
		s.target()).Scan(&n)
	return max(n, 0), err
}
