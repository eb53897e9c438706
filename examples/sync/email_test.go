package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv/smtpd"
)

// withMail adds a mail configuration to the harness's configuration
// through init's --mail flag.
func (h *harness) withMail(mailJSON string) {
	h.t.Helper()
	p := filepath.Join(h.dir, "mail.json")
	require.NoError(h.t, os.WriteFile(p, []byte(mailJSON), 0o600))
	h.ok("init", "--yes", "--overwrite", "--org-id", testOrg, "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+h.db, "--mail", p)
}

// verify marks a user's e-mail as verified in the store.
func (h *harness) verify(email string) {
	h.t.Helper()
	s := h.store()
	found, err := s.FindUsersByEmail(context.Background(), email, 2)
	require.NoError(h.t, err)
	require.Len(h.t, found, 1)
	u := found[0]
	u.EmailVerified = true
	_, err = s.UpdateUser(context.Background(), u)
	require.NoError(h.t, err)
}

const fakeSMTP = `{"MailType":"SMTP","Host":"127.0.0.1","Port":2525,"From":"Usher <noreply@example.test>","Security":"none"}`

func TestEmailResend(t *testing.T) {
	t.Parallel()
	h := newHarness(t, staff(6))

	// No mail settings: the error names the setting.
	h.ok("add")
	r := h.run("email", "resend")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, `setting "mail" is missing`)

	r = h.run("init", "--yes", "--overwrite", "--org-id", testOrg, "--source", "csv", "--csv-path", h.csv, "--store", "sqlite:"+h.db, "--mail", h.csv)
	assert.Equal(t, exitFailure, r.code, "a file that is not a mail configuration is refused")
	assert.Contains(t, r.stderr, "--mail "+h.csv)

	h.withMail(fakeSMTP)
	h.verify("alice@example.test")
	h.verify("bob@example.test")

	r = h.ok("email", "resend", "--dry-run")
	assert.Contains(t, r.stdout, "would send to user "+id("carol@example.test"))
	assert.NotContains(t, r.stdout, id("alice@example.test"))
	assert.Contains(t, r.stdout, "dry run: 4 welcome mail(s) would be sent")
	assert.Empty(t, h.sent)

	r = h.ok("email", "resend")
	assert.Contains(t, r.stdout, "sent 4 welcome mail(s)")
	var to []string
	for _, m := range h.sent {
		to = append(to, m.To...)
		assert.Equal(t, defaultWelcomeSubject, m.Subject)
	}
	assert.ElementsMatch(t, []string{"carol@example.test", "dan@example.test", "erin@example.test", "frank@example.test"}, to)
	assert.Contains(t, h.sent[0].Text, "Hello Carol Example,")

	// One user.
	h.sent = nil
	r = h.ok("email", "resend", "Dan@Example.test")
	assert.Contains(t, r.stdout, "sent 1 welcome mail(s)")
	require.Len(t, h.sent, 1)
	assert.Equal(t, []string{"dan@example.test"}, h.sent[0].To)

	r = h.ok("email", "resend", "alice@example.test")
	assert.Contains(t, r.stdout, "has verified the e-mail already; nothing sent")
	r = h.run("email", "resend", "ghost@example.test")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "user "+id("ghost@example.test")+": no user in the store has that e-mail")

	// A failed send names the user and the others go on.
	h.sent = nil
	h.sendErr = map[string]error{"erin@example.test": errors.New("mailbox full")}
	r = h.run("email", "resend")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "user "+id("erin@example.test")+": mailbox full")
	assert.Len(t, h.sent, 3)
}

// TestEmailResendSMTP sends through a real SMTP server (aiosmtpd).
func TestEmailResendSMTP(t *testing.T) {
	t.Parallel()
	srv := smtpd.Start(t, smtpd.Config{})
	h := newHarness(t, staff(3))
	h.withMail(fmt.Sprintf(`{"MailType":"SMTP","Host":%q,"Port":%d,"From":"Usher <noreply@example.test>","Security":"none","Timeout":10}`, srv.Host, srv.Port))
	h.ok("add")
	h.verify("alice@example.test")

	// The real sender, not the harness's fake.
	var out, errOut strings.Builder
	a := newApp(strings.NewReader(""), &out, &errOut)
	code := a.run(context.Background(), []string{"email", "resend", "--config", h.config})
	require.Equal(t, exitOK, code, errOut.String())
	assert.Contains(t, out.String(), "sent 2 welcome mail(s)")

	msgs := srv.Messages(t)
	require.Len(t, msgs, 2)
	var rcpts []string
	for _, m := range msgs {
		rcpts = append(rcpts, m.RcptTos...)
		assert.Equal(t, "noreply@example.test", m.MailFrom)
		assert.Contains(t, m.Data, "Subject: Welcome")
	}
	assert.ElementsMatch(t, []string{"bob@example.test", "carol@example.test"}, rcpts)
}
