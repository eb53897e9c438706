package mail_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv/smtpd"
	"github.com/usher-sdk/usher/userstore/mail"
)

// These tests talk to Debian's aiosmtpd in a child process (see
// internal/testenv/smtpd). They skip without it, except in CI.

func testMessage() mail.Message {
	return mail.Message{
		To:      []string{"Ann Example <ann@example.com>", "bob@example.org"},
		Subject: "Konto gesperrt – Zürich",
		Text:    "Grüezi Ann,\n\nyour account is locked.\n" + strings.Repeat("long line ", 20) + "\n.\nA line with a dot.\n",
		HTML:    "<p>Grüezi <b>Ann</b>, your account is locked.</p>",
	}
}

func TestSMTPPlainSendThroughAiosmtpdCLI(t *testing.T) {
	t.Parallel()
	srv := smtpd.StartCLI(t)
	s, err := mail.NewSMTP(mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, Security: mail.SecurityNone, From: "Usher <noreply@usher.test>",
	}, mail.WithClock(func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }))
	require.NoError(t, err)

	m := testMessage()
	require.NoError(t, s.Send(context.Background(), m))

	msgs := srv.Messages(t)
	require.Len(t, msgs, 1)
	got := msgs[0]
	assert.Equal(t, "noreply@usher.test", got.MailFrom)
	assert.Equal(t, []string{"ann@example.com", "bob@example.org"}, got.RcptTos)
	assert.Nil(t, got.Login)

	parsed := parseReceived(t, got.Data)
	assert.Equal(t, `"Usher" <noreply@usher.test>`, parsed.header.Get("From"))
	to, err := parsed.header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 2)
	assert.Equal(t, "Ann Example", to[0].Name)
	assert.Equal(t, "bob@example.org", to[1].Address)
	assert.Equal(t, m.Subject, parsed.subject)
	date, err := parsed.header.Date()
	require.NoError(t, err)
	assert.True(t, date.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)))
	assert.Regexp(t, `^<[0-9a-f]{32}@usher\.test>$`, parsed.header.Get("Message-ID"))
	assert.Equal(t, "1.0", parsed.header.Get("MIME-Version"))
	assert.Equal(t, normalize(m.Text), normalize(parsed.text))
	assert.Equal(t, normalize(m.HTML), normalize(parsed.html))
	for i, line := range strings.Split(got.Data, "\n") {
		assert.LessOrEqual(t, len(strings.TrimSuffix(line, "\r")), 78, "line %d is too long: %q", i, line)
	}
}

func TestSMTPStartTLSWithAuth(t *testing.T) {
	t.Parallel()
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.StartTLS, Username: "mailer", Password: "s3cret pass"})
	s, err := mail.NewSMTP(mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, Security: mail.SecurityStartTLS, RootCAs: srv.RootCAs,
		Username: "mailer", Password: "s3cret pass", From: "noreply@usher.test",
	})
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), testMessage()))

	msgs := srv.Messages(t)
	require.Len(t, msgs, 1)
	require.NotNil(t, msgs[0].Login)
	assert.Equal(t, "mailer", *msgs[0].Login)
	assert.True(t, msgs[0].TLS, "the session was upgraded with STARTTLS")
	assert.Equal(t, []string{"ann@example.com", "bob@example.org"}, msgs[0].RcptTos)
}

// A server that offers only AUTH LOGIN gets LOGIN.
func TestSMTPAuthLogin(t *testing.T) {
	t.Parallel()
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.StartTLS, Username: "mailer", Password: "pw", ExcludeAuth: []string{"PLAIN"}})
	cfg := mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, Security: mail.SecurityStartTLS, RootCAs: srv.RootCAs,
		Username: "mailer", Password: "pw", From: "noreply@usher.test",
	}
	s, err := mail.NewSMTP(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), testMessage()))
	msgs := srv.Messages(t)
	require.Len(t, msgs, 1)
	require.NotNil(t, msgs[0].Login)
	assert.Equal(t, "mailer", *msgs[0].Login)

	cfg.Password = "wrong"
	s, err = mail.NewSMTP(cfg)
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	assert.ErrorIs(t, err, mail.ErrAuth)
	assert.Len(t, srv.Messages(t), 1)
}

// A server that offers neither PLAIN nor LOGIN is an ErrAuth, not a
// silent unauthenticated send.
func TestSMTPNoUsableAuthMechanism(t *testing.T) {
	t.Parallel()
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.TLS, Username: "mailer", Password: "pw", ExcludeAuth: []string{"PLAIN", "LOGIN"}})
	s, err := mail.NewSMTP(mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, Security: mail.SecurityTLS, RootCAs: srv.RootCAs,
		Username: "mailer", Password: "pw", From: "noreply@usher.test",
	})
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	assert.ErrorIs(t, err, mail.ErrAuth)
	assert.Empty(t, srv.Messages(t))
}

func TestSMTPImplicitTLSWithAuth(t *testing.T) {
	t.Parallel()
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.TLS, Username: "mailer", Password: "pw"})
	s, err := mail.NewSMTP(mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, Security: mail.SecurityTLS, RootCAs: srv.RootCAs,
		Username: "mailer", Password: "pw", From: "noreply@usher.test",
	})
	require.NoError(t, err)
	m := testMessage()
	m.HTML = ""
	require.NoError(t, s.Send(context.Background(), m))

	msgs := srv.Messages(t)
	require.Len(t, msgs, 1)
	require.NotNil(t, msgs[0].Login)
	assert.Equal(t, "mailer", *msgs[0].Login)
	parsed := parseReceived(t, msgs[0].Data)
	assert.Equal(t, normalize(m.Text), normalize(parsed.text))
	assert.Empty(t, parsed.html)
}

func TestSMTPRefusedLogin(t *testing.T) {
	t.Parallel()
	for _, mode := range []smtpd.Mode{smtpd.StartTLS, smtpd.TLS} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			srv := smtpd.Start(t, smtpd.Config{Mode: mode, Username: "mailer", Password: "right"})
			s, err := mail.NewSMTP(mail.SMTPConfig{
				Host: srv.Host, Port: srv.Port, Security: mail.Security(mode), RootCAs: srv.RootCAs,
				Username: "mailer", Password: "wrong", From: "noreply@usher.test",
			})
			require.NoError(t, err)
			err = s.Send(context.Background(), testMessage())
			require.Error(t, err)
			assert.ErrorIs(t, err, mail.ErrAuth)
			var se *mail.SMTPError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, "auth", se.Op)
			assert.Equal(t, 535, se.Code)
			assert.False(t, se.Temporary())
			assert.NotContains(t, err.Error(), "wrong", "the password must not appear in the error")
			assert.Empty(t, srv.Messages(t), "nothing may be delivered")
		})
	}
}

func TestSMTPRefusesCredentialsInPlainText(t *testing.T) {
	t.Parallel()
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.Plain, Username: "mailer", Password: "pw"})
	cfg := mail.SMTPConfig{
		Host: srv.Host, Port: srv.Port, Security: mail.SecurityNone,
		Username: "mailer", Password: "pw", From: "noreply@usher.test",
	}
	s, err := mail.NewSMTP(cfg)
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	assert.ErrorIs(t, err, mail.ErrInsecureAuth)
	assert.Empty(t, srv.Messages(t))

	cfg.InsecureAllowPlainAuth = true
	s, err = mail.NewSMTP(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), testMessage()))
	msgs := srv.Messages(t)
	require.Len(t, msgs, 1)
	require.NotNil(t, msgs[0].Login)
	assert.Equal(t, "mailer", *msgs[0].Login)
	assert.False(t, msgs[0].TLS)
}

func TestSMTPStartTLSNotOffered(t *testing.T) {
	t.Parallel()
	srv := smtpd.StartCLI(t)
	s, err := mail.NewSMTP(mail.SMTPConfig{Host: srv.Host, Port: srv.Port, Security: mail.SecurityStartTLS, From: "a@usher.test"})
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	assert.ErrorIs(t, err, mail.ErrTLSUnavailable)
	assert.Empty(t, srv.Messages(t))
}

func TestSMTPUntrustedCertificate(t *testing.T) {
	t.Parallel()
	srv := smtpd.Start(t, smtpd.Config{Mode: smtpd.TLS})
	s, err := mail.NewSMTP(mail.SMTPConfig{Host: srv.Host, Port: srv.Port, Security: mail.SecurityTLS, From: "a@usher.test"})
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	require.Error(t, err)
	var se *mail.SMTPError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "dial", se.Op)
	assert.Contains(t, err.Error(), "certificate")
	assert.Empty(t, srv.Messages(t))
}

// A server that accepts the connection and never greets: the configured
// Timeout, or the context's deadline, ends the send.
func TestSMTPTimeout(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port

	t.Run("config timeout", func(t *testing.T) {
		s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: port, Security: mail.SecurityNone,
			From: "a@usher.test", Timeout: 100 * time.Millisecond})
		require.NoError(t, err)
		err = s.Send(context.Background(), testMessage())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("context deadline", func(t *testing.T) {
		s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: port, Security: mail.SecurityStartTLS, From: "a@usher.test"})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		assert.ErrorIs(t, s.Send(ctx, testMessage()), context.DeadlineExceeded)
	})
	t.Run("context cancelled", func(t *testing.T) {
		s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: port, Security: mail.SecurityTLS, From: "a@usher.test"})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		assert.ErrorIs(t, s.Send(ctx, testMessage()), context.Canceled)
	})
}

func TestSMTPConnectionRefused(t *testing.T) {
	t.Parallel()
	// Port 1 (tcpmux), which nothing serves here: a port freed by closing
	// a listener was taken by another test's listener in CI before the
	// dial, which then got a greeting error instead.
	s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: 1, From: "a@usher.test"})
	require.NoError(t, err)
	err = s.Send(context.Background(), testMessage())
	var se *mail.SMTPError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "dial", se.Op)
}

// Bad messages are refused before any connection: the port has no server,
// so a dial would fail differently.
func TestSMTPRejectsBadMessages(t *testing.T) {
	t.Parallel()
	s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: 9, From: "a@usher.test"})
	require.NoError(t, err)
	for name, m := range map[string]mail.Message{
		"no recipient":          {Subject: "x", Text: "y"},
		"CRLF in subject":       {To: []string{"b@example.com"}, Subject: "hi\r\nBcc: victim@example.com"},
		"LF in subject":         {To: []string{"b@example.com"}, Subject: "hi\nX-Evil: 1"},
		"CRLF in recipient":     {To: []string{"b@example.com\r\nBcc: victim@example.com"}},
		"CRLF in display name":  {To: []string{"\"B\r\nBcc: v@example.com\" <b@example.com>"}},
		"CRLF in from":          {From: "a@usher.test\r\nBcc: v@example.com", To: []string{"b@example.com"}},
		"malformed recipient":   {To: []string{"not an address"}},
		"two in one":            {To: []string{"a@example.com, b@example.com"}},
		"invalid UTF-8 in body": {To: []string{"b@example.com"}, Text: "\xff\xfe"},
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Send(context.Background(), m)
			assert.ErrorIs(t, err, mail.ErrInvalidMessage)
			var se *mail.SMTPError
			assert.False(t, errors.As(err, &se), "no connection may be attempted: %v", err)
		})
	}
}

func TestNewSMTPConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     mail.SMTPConfig
		wantErr []string // each must appear in the error
	}{
		{"missing all", mail.SMTPConfig{}, []string{`"Host"`, `"From"`}},
		{"bad port", mail.SMTPConfig{Host: "h", From: "a@b.c", Port: 70000}, []string{"Port 70000"}},
		{"bad security", mail.SMTPConfig{Host: "h", From: "a@b.c", Security: "ssl3"}, []string{`Security "ssl3"`}},
		{"bad from", mail.SMTPConfig{Host: "h", From: "nope"}, []string{`From "nope"`}},
		{"injection in from", mail.SMTPConfig{Host: "h", From: "a@b.c\r\nBcc: x@y.z"}, []string{"From"}},
		{"password without user", mail.SMTPConfig{Host: "h", From: "a@b.c", Password: "p"}, []string{"Password set without Username"}},
		{"negative timeout", mail.SMTPConfig{Host: "h", From: "a@b.c", Timeout: -time.Second}, []string{"negative Timeout"}},
		{"ok", mail.SMTPConfig{Host: "smtp.example.com", From: "a@b.c"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := mail.NewSMTP(tt.cfg)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.NotNil(t, s)
				return
			}
			require.ErrorIs(t, err, mail.ErrConfig)
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

type received struct {
	header   netmail.Header
	subject  string
	text     string
	html     string
	textOnly bool
}

// parseReceived reads a message as a mail client would.
func parseReceived(t *testing.T, data string) received {
	t.Helper()
	msg, err := netmail.ReadMessage(bufio.NewReader(strings.NewReader(data)))
	require.NoError(t, err)
	var r received
	r.header = msg.Header
	dec := new(mime.WordDecoder)
	r.subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	switch mediaType {
	case "text/plain":
		assert.Equal(t, "quoted-printable", msg.Header.Get("Content-Transfer-Encoding"))
		b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		require.NoError(t, err)
		r.text, r.textOnly = string(b), true
	case "multipart/alternative":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			assert.Equal(t, "quoted-printable", p.Header.Get("Content-Transfer-Encoding"))
			b, err := io.ReadAll(quotedprintable.NewReader(p))
			require.NoError(t, err)
			ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			switch ct {
			case "text/plain":
				r.text = string(b)
			case "text/html":
				r.html = string(b)
			default:
				t.Fatalf("unexpected part %s", ct)
			}
		}
	default:
		t.Fatalf("unexpected Content-Type %s", mediaType)
	}
	return r
}

// normalize makes line ends LF and drops the final line end.
func normalize(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}
