package mail_test

import (
	"context"
	"testing"

	"github.com/usher-sdk/usher/internal/testenv/smtpd"
	"github.com/usher-sdk/usher/userstore/mail"
)

// BenchmarkSMTPSend measures one Send (one connection per message) against
// the private aiosmtpd: plain text, and STARTTLS with AUTH PLAIN.
func BenchmarkSMTPSend(b *testing.B) {
	for _, mode := range []smtpd.Mode{smtpd.Plain, smtpd.StartTLS, smtpd.TLS} {
		b.Run(string(mode), func(b *testing.B) {
			cfg := smtpd.Config{Mode: mode}
			if mode != smtpd.Plain {
				cfg.Username, cfg.Password = "mailer", "pw"
			}
			srv := smtpd.Start(b, cfg)
			sec := mail.Security(mode)
			if mode == smtpd.Plain {
				sec = mail.SecurityNone
			}
			s, err := mail.NewSMTP(mail.SMTPConfig{Host: srv.Host, Port: srv.Port, Security: sec, RootCAs: srv.RootCAs,
				Username: cfg.Username, Password: cfg.Password, From: "noreply@usher.test"})
			if err != nil {
				b.Fatal(err)
			}
			m := testMessage()
			for b.Loop() {
				if err := s.Send(context.Background(), m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
