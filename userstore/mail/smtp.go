package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Security says how an SMTP connection is protected.
type Security string

const (
	// SecurityTLS is implicit TLS ("SMTPS", RFC 8314): TLS from the first
	// byte, usually on port 465.
	SecurityTLS Security = "tls"
	// SecurityStartTLS starts in plain text and upgrades with STARTTLS
	// (RFC 3207) before anything else, usually on port 587. A server that
	// does not offer STARTTLS is an error ([ErrTLSUnavailable]); there is
	// no silent downgrade.
	SecurityStartTLS Security = "starttls"
	// SecurityNone sends in plain text, for a relay on the same host or
	// network. Credentials are refused on such a connection unless
	// [SMTPConfig.InsecureAllowPlainAuth] is set.
	SecurityNone Security = "none"
)

// Default values of [SMTPConfig].
const (
	defaultSMTPTimeout = 30 * time.Second
	defaultHelloName   = "localhost"
)

// SMTPConfig configures an [SMTP] sender. The zero value of every field but
// Host and From works.
type SMTPConfig struct {
	// Host is the server's name, also checked against its TLS
	// certificate. Required.
	Host string
	// Port defaults to 465 with SecurityTLS, 587 with SecurityStartTLS and
	// 25 with SecurityNone.
	Port int
	// Security defaults to SecurityTLS when Port is 465, else to
	// SecurityStartTLS.
	Security Security
	// Username and Password log in with AUTH PLAIN or AUTH LOGIN, as the
	// server offers them. Empty Username: no login.
	Username string
	Password string
	// From is the default sender, "user@example.com" or
	// "Name <user@example.com>"; a Message's own From overrides it.
	// Required.
	From string
	// Timeout bounds one Send: dialling, TLS, the whole dialogue. Default
	// 30 s. A shorter deadline of Send's context wins.
	Timeout time.Duration
	// HelloName is the name given in EHLO. Default "localhost".
	HelloName string
	// RootCAs verifies the server's certificate. Default: the system's
	// roots. Tests set it to trust their own server.
	RootCAs *x509.CertPool
	// InsecureAllowPlainAuth lets the password cross an unencrypted
	// connection (SecurityNone). Dangerous: anyone on the path reads it.
	// Only for a relay on the loopback or an isolated network.
	InsecureAllowPlainAuth bool
}

// SMTP sends mail through an SMTP server, one connection per message. It is
// safe for concurrent use.
type SMTP struct {
	cfg  SMTPConfig
	from *netmail.Address
	opts options
}

// NewSMTP checks cfg, applies its defaults and returns the sender. All
// problems are reported at once; each wraps [ErrConfig].
func NewSMTP(cfg SMTPConfig, opts ...Option) (*SMTP, error) {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("mail: smtp: "+format+": %w", append(a, ErrConfig)...))
	}
	if cfg.Host == "" {
		bad("missing required field %q", "Host")
	} else if strings.ContainsAny(cfg.Host, " \t\r\n/") {
		bad("bad Host %q", cfg.Host)
	}
	var from *netmail.Address
	if cfg.From == "" {
		bad("missing required field %q", "From")
	} else if a, err := ParseAddress(cfg.From); err != nil {
		bad("bad From %q", cfg.From)
	} else {
		from = a
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		bad("bad Port %d", cfg.Port)
	}
	if cfg.Timeout < 0 {
		bad("negative Timeout %s", cfg.Timeout)
	}
	if strings.ContainsAny(cfg.HelloName, " \t\r\n") {
		bad("bad HelloName %q", cfg.HelloName)
	}
	if cfg.Username == "" && cfg.Password != "" {
		bad("Password set without Username")
	}
	switch cfg.Security {
	case "":
		if cfg.Port == 465 {
			cfg.Security = SecurityTLS
		} else {
			cfg.Security = SecurityStartTLS
		}
	case SecurityTLS, SecurityStartTLS, SecurityNone:
	default:
		bad("unknown Security %q (want %q, %q or %q)", cfg.Security, SecurityTLS, SecurityStartTLS, SecurityNone)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Port == 0 {
		cfg.Port = map[Security]int{SecurityTLS: 465, SecurityStartTLS: 587, SecurityNone: 25}[cfg.Security]
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultSMTPTimeout
	}
	if cfg.HelloName == "" {
		cfg.HelloName = defaultHelloName
	}
	return &SMTP{cfg: cfg, from: from, opts: newOptions(opts)}, nil
}

// Send delivers m. It validates m first ([ErrInvalidMessage]: nothing is
// sent), then dials, secures the connection, logs in and sends, all within
// the configured Timeout and ctx. A server's refusal is an [*SMTPError]; a
// refused login also matches [ErrAuth]; an expired ctx or Timeout matches
// [context.DeadlineExceeded].
func (s *SMTP) Send(ctx context.Context, m Message) error {
	p, err := prepare(m, s.from)
	if err != nil {
		return err
	}
	data, err := p.rfc5322(s.opts.now())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := s.send(ctx, p, data); err != nil {
		ctxErr := ctx.Err()
		if ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
			// The connection's deadline is the context's: it may fire a
			// moment before the context notices.
			ctxErr = context.DeadlineExceeded
		}
		if ctxErr != nil {
			return fmt.Errorf("mail: smtp %s:%d: %w (%v)", s.cfg.Host, s.cfg.Port, ctxErr, err)
		}
		return err
	}
	s.opts.logger.DebugContext(ctx, "mail: sent", slog.String("via", "smtp"),
		slog.String("from", p.from.Address), slog.Int("recipients", len(p.to)))
	return nil
}

func (s *SMTP) send(ctx context.Context, p prepared, data []byte) error {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	tlsConfig := &tls.Config{ServerName: s.cfg.Host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}

	var conn net.Conn
	var err error
	if s.cfg.Security == SecurityTLS {
		d := tls.Dialer{Config: tlsConfig}
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return &SMTPError{Op: "dial", Message: err.Error(), err: err}
	}
	// The context bounds the whole dialogue: its end closes the connection,
	// which fails whatever command is waiting.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}

	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return smtpErr("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return smtpErr("hello", err)
	}
	if s.cfg.Security == SecurityStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("mail: smtp %s: %w", addr, ErrTLSUnavailable)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return smtpErr("starttls", err)
		}
	}
	if s.cfg.Username != "" {
		if err := s.auth(c); err != nil {
			return err
		}
	}
	if err := c.Mail(addrSpec(p.from)); err != nil {
		return smtpErr("mail", err)
	}
	for _, a := range p.to {
		if err := c.Rcpt(addrSpec(a)); err != nil {
			return smtpErr("rcpt", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("data", err)
	}
	if _, err := w.Write(data); err != nil {
		return smtpErr("data", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("data", err)
	}
	// The message is accepted; a failed QUIT does not undo that.
	_ = c.Quit()
	return nil
}

// auth logs in with PLAIN, else LOGIN, as the server offers. Credentials
// never cross an unencrypted connection unless InsecureAllowPlainAuth.
func (s *SMTP) auth(c *smtp.Client) error {
	if _, isTLS := c.TLSConnectionState(); !isTLS && !s.cfg.InsecureAllowPlainAuth {
		return fmt.Errorf("mail: smtp %s: %w (set InsecureAllowPlainAuth to allow)", s.cfg.Host, ErrInsecureAuth)
	}
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return &SMTPError{Op: "auth", Message: "server offers no AUTH but a Username is configured", err: ErrAuth}
	}
	offered := strings.Fields(strings.ToUpper(mechs))
	var a smtp.Auth
	switch {
	case slices.Contains(offered, "PLAIN"):
		a = &plainAuth{username: s.cfg.Username, password: s.cfg.Password, allowPlain: s.cfg.InsecureAllowPlainAuth}
	case slices.Contains(offered, "LOGIN"):
		a = &loginAuth{username: s.cfg.Username, password: s.cfg.Password, allowPlain: s.cfg.InsecureAllowPlainAuth}
	default:
		return &SMTPError{Op: "auth", Message: "server offers neither PLAIN nor LOGIN (offers " + mechs + ")", err: ErrAuth}
	}
	if err := c.Auth(a); err != nil {
		var tp *textproto.Error
		if errors.As(err, &tp) {
			return &SMTPError{Op: "auth", Code: tp.Code, Message: tp.Msg, err: ErrAuth}
		}
		if errors.Is(err, ErrInsecureAuth) {
			return fmt.Errorf("mail: smtp %s: %w", s.cfg.Host, err)
		}
		return &SMTPError{Op: "auth", Message: err.Error(), err: err}
	}
	return nil
}

// smtpErr turns a net/smtp error into an *SMTPError.
func smtpErr(op string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return &SMTPError{Op: op, Code: tp.Code, Message: tp.Msg, err: err}
	}
	return &SMTPError{Op: op, Message: err.Error(), err: err}
}

// plainAuth is AUTH PLAIN (RFC 4616) with an empty authorization identity.
type plainAuth struct {
	username, password string
	allowPlain         bool
}

func (a *plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.allowPlain {
		return "", nil, ErrInsecureAuth
	}
	return "PLAIN", []byte("\x00" + a.username + "\x00" + a.password), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("mail: smtp: unexpected challenge after AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is the AUTH LOGIN mechanism (draft-murchison-sasl-login):
// the server prompts for the username, then for the password.
type loginAuth struct {
	username, password string
	allowPlain         bool
	step               int
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !a.allowPlain {
		return "", nil, ErrInsecureAuth
	}
	a.step = 0
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.username), nil
	case 2:
		return []byte(a.password), nil
	}
	return nil, errors.New("mail: smtp: unexpected challenge after AUTH LOGIN")
}

var (
	_ Sender    = (*SMTP)(nil)
	_ smtp.Auth = (*plainAuth)(nil)
	_ smtp.Auth = (*loginAuth)(nil)
)
