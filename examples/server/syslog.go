package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/usher-sdk/usher/userstore"
)

// syslogSink sends audit events to a syslog receiver as RFC 5424
// messages: over UDP (one datagram each), TCP (RFC 6587 octet counting)
// or TLS (RFC 5425). Send never blocks: events wait in a bounded queue
// while the receiver is away and go out when it returns; when the queue
// is full the oldest waiting event is dropped, counted and logged. The
// queue lives in this process: events still waiting when it stops are
// lost (the audit trail in the database keeps them all).
type syslogSink struct {
	network string // "udp", "tcp" or "tls"
	addr    string
	tls     *tls.Config
	host    string
	logger  *slog.Logger

	queue   chan []byte
	dropped atomic.Int64
	sent    atomic.Int64
	done    chan struct{}
}

// syslogQueue is how many events wait for an absent receiver.
const syslogQueue = 10_000

// newSyslogSink parses a target: udp://host:port, tcp://host:port or
// tls://host:port (with serverName and roots for the certificate check;
// nil roots: the system's).
func newSyslogSink(target string, tlsConfig *tls.Config, logger *slog.Logger) (*syslogSink, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || u.Path != "" {
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
	host, _ := os.Hostname()
	s := &syslogSink{network: u.Scheme, addr: u.Host, tls: tlsConfig, host: printable(host, 255, "-"), logger: logger,
		queue: make(chan []byte, syslogQueue), done: make(chan struct{})}
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

// Facility authpriv (10): security and authorization messages.
const syslogFacility = 10

// send queues one audit event of the named pool.
func (s *syslogSink) send(pool string, e userstore.AuditEvent) {
	msg := s.format(pool, e)
	for {
		select {
		case s.queue <- msg:
			return
		default:
		}
		select { // full: drop the oldest waiting event
		case <-s.queue:
			if n := s.dropped.Add(1); n == 1 || n%1000 == 0 {
				s.logger.Warn("syslog: receiver away and queue full; dropping the oldest events", "dropped", n)
			}
		default:
		}
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

// run delivers queued events until ctx is done, reconnecting with
// backoff (1 s doubling to 30 s) while the receiver is away. An event
// whose write failed is sent again on the next connection.
func (s *syslogSink) run(ctx context.Context) {
	defer close(s.done)
	var pending []byte
	backoff := time.Second
	for ctx.Err() == nil {
		conn, err := s.dial(ctx)
		if err != nil {
			s.logger.Warn("syslog: receiver unreachable; events wait", "addr", s.addr, "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		pending, err = s.deliver(ctx, conn, pending)
		_ = conn.Close()
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("syslog: delivery failed; reconnecting", "addr", s.addr, "err", err)
		}
	}
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

// deliver writes events on conn until it fails or ctx is done, and
// returns the event not yet written.
func (s *syslogSink) deliver(ctx context.Context, conn net.Conn, pending []byte) ([]byte, error) {
	for {
		if pending == nil {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case pending = <-s.queue:
			}
		}
		frame := pending
		if s.network != "udp" {
			frame = fmt.Appendf(nil, "%d %s", len(pending), pending)
		}
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := conn.Write(frame); err != nil {
			return pending, err
		}
		s.sent.Add(1)
		pending = nil
	}
}

// wait blocks until run has returned.
func (s *syslogSink) wait() { <-s.done }

// openSyslog makes the sink when -syslog is set and starts delivering.
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
	a.syslog = sink
	ctx, cancel := context.WithCancel(context.Background())
	go sink.run(ctx)
	a.stopSyslog = func() {
		// Give waiting events a moment to go out, then stop.
		deadline := time.Now().Add(2 * time.Second)
		for len(sink.queue) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		sink.wait()
	}
	return nil
}
