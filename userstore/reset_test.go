package userstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
)

var resetCfg = userstore.Config{
	ResetTokenTTL: 30 * time.Minute,
	ResetMail:     userstore.ResetMail{LinkURL: "https://idp.example.com/reset?tenant=acme"},
}

var linkRE = regexp.MustCompile(`https://\S+`)

// resetToken returns the token of the link in a reset mail.
func resetToken(t *testing.T, body string) string {
	t.Helper()
	link := linkRE.FindString(body)
	require.NotEmpty(t, link, "no link in %q", body)
	u, err := url.Parse(link)
	require.NoError(t, err)
	assert.Equal(t, "acme", u.Query().Get("tenant"), "the link keeps LinkURL's query")
	return u.Query().Get("token")
}

// requestReset asks for a reset and returns the mails sent.
func (e *env) requestReset(login string) {
	e.t.Helper()
	require.NoError(e.t, e.svc.RequestPasswordReset(context.Background(), userstore.ResetRequest{Login: login, Remote: "203.0.113.9"}))
}

func TestPasswordReset(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, resetCfg)
	u := e.addUser("alice.liddell", "alice@example.com", "old-secret-1", func(u *userstore.User) { u.MustChangePassword = true })
	e.requestReset("alice.liddell")
	e.flush()
	msgs := e.mail.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, []string{"alice@example.com"}, msgs[0].To)
	assert.Equal(t, "Reset your password", msgs[0].Subject)
	assert.Contains(t, msgs[0].Text, "expires at "+e.clock.Now().Add(30*time.Minute).Format(time.RFC3339))
	token := resetToken(t, msgs[0].Text)

	// Only the token's hash is stored.
	toks, err := e.store.UserTokens(ctx, userstore.ResetTokenKind, u.ID)
	require.NoError(t, err)
	require.Len(t, toks, 1)
	sum := sha256.Sum256([]byte(token))
	assert.Equal(t, hex.EncodeToString(sum[:]), toks[0].Hash)
	assert.NotContains(t, toks[0].Hash, token)
	assert.False(t, bytes.Contains(toks[0].Data, []byte(token)))

	// A refused password leaves the token usable.
	require.ErrorIs(t, e.svc.ResetPassword(ctx, token, "short"), userstore.ErrPolicy)
	var pe *userstore.PolicyError
	require.ErrorAs(t, e.svc.ResetPassword(ctx, token, "Alice.Liddell"), &pe) // checked after the token is taken
	assert.Equal(t, userstore.RuleUsername, pe.Rule)

	require.NoError(t, e.svc.ResetPassword(ctx, token, "new-secret-2"))
	_, err = e.login("alice.liddell", "new-secret-2")
	require.NoError(t, err, "a reset clears MustChangePassword")
	assert.Equal(t, u.ID, e.lastAudit(userstore.AuditPasswordReset).UserID)
	assert.Equal(t, "203.0.113.9", e.lastAudit(userstore.AuditResetRequested).Remote)

	// Single use.
	require.ErrorIs(t, e.svc.ResetPassword(ctx, token, "new-secret-3"), userstore.ErrInvalidToken)
}

func TestPasswordResetTokens(t *testing.T) {
	ctx := context.Background()
	newReset := func(t *testing.T) (*env, userstore.User, string) {
		e := newEnv(t, resetCfg)
		u := e.addUser("alice", "alice@example.com", "old-secret-1")
		require.NoError(t, e.svc.RequestPasswordReset(ctx, userstore.ResetRequest{Login: "alice"}))
		e.flush()
		require.Len(t, e.mail.messages(), 1)
		return e, u, resetToken(t, e.mail.messages()[0].Text)
	}
	t.Run("expired", func(t *testing.T) {
		e, _, token := newReset(t)
		e.clock.Advance(30 * time.Minute)
		require.ErrorIs(t, e.svc.ResetPassword(ctx, token, "new-secret-2"), userstore.ErrInvalidToken)
	})
	t.Run("garbage", func(t *testing.T) {
		e, _, token := newReset(t)
		for _, bad := range []string{"", "x", token + "A", strings.ToUpper(token), "!" + token[1:]} {
			require.ErrorIs(t, e.svc.ResetPassword(ctx, bad, "new-secret-2"), userstore.ErrInvalidToken, bad)
		}
		require.NoError(t, e.svc.ResetPassword(ctx, token, "new-secret-2"))
	})
	t.Run("disabled meanwhile", func(t *testing.T) {
		e, u, token := newReset(t)
		u = e.user(u.ID)
		u.Enabled = false
		_, err := e.store.UpdateUser(ctx, u)
		require.NoError(t, err)
		require.ErrorIs(t, e.svc.ResetPassword(ctx, token, "new-secret-2"), userstore.ErrInvalidToken)
	})
	t.Run("a new request replaces the old token", func(t *testing.T) {
		clock := newFakeClock()
		e := newEnvOn(t, newMemstore(t, clock), clock, resetCfg)
		e.addUser("alice", "alice@example.com", "old-secret-1")
		e.requestReset("alice")
		e.requestReset("alice@example.com")
		e.flush()
		msgs := e.mail.messages()
		require.Len(t, msgs, 2)
		first, second := resetToken(t, msgs[0].Text), resetToken(t, msgs[1].Text)
		require.NotEqual(t, first, second)
		// The goroutines may have stored them in either order; exactly one works.
		err1 := e.svc.ResetPassword(ctx, first, "new-secret-2")
		err2 := e.svc.ResetPassword(ctx, second, "new-secret-2")
		assert.True(t, (err1 == nil) != (err2 == nil), "exactly one token works: %v, %v", err1, err2)
	})
	t.Run("concurrent use: exactly one wins", func(t *testing.T) {
		e, _, token := newReset(t)
		var wg sync.WaitGroup
		results := make(chan error, 20)
		for range 20 {
			wg.Go(func() { results <- e.svc.ResetPassword(ctx, token, "new-secret-2") })
		}
		wg.Wait()
		close(results)
		ok := 0
		for err := range results {
			if err == nil {
				ok++
			} else {
				require.ErrorIs(t, err, userstore.ErrInvalidToken)
			}
		}
		assert.Equal(t, 1, ok)
	})
}

func TestPasswordResetRevealsNothing(t *testing.T) {
	e := newEnv(t, resetCfg)
	e.addUser("alice", "alice@example.com", "s3cret-pw")
	e.addUser("bob", "shared@example.com", "s3cret-pw")
	e.addUser("carol", "shared@example.com", "s3cret-pw")
	e.addUser("dave", "dave@example.com", "s3cret-pw", func(u *userstore.User) { u.Enabled = false })
	e.addUser("erin", "", "s3cret-pw")
	want := map[string]string{
		"mallory":            userstore.ReasonUnknownUser,
		"":                   userstore.ReasonEmptyLogin,
		"shared@example.com": userstore.ReasonAmbiguousEmail,
		"dave":               userstore.ReasonDisabled,
		"erin":               "user has no e-mail address",
	}
	// A login no store can hold is refused like an unknown one.
	require.NoError(t, e.svc.RequestPasswordReset(context.Background(), userstore.ResetRequest{Login: "ali\x00ce\xff"}))
	want["ali\uFFFDce\uFFFD"] = userstore.ReasonInvalidLogin
	for login := range want {
		if strings.Contains(login, "\uFFFD") {
			continue
		}
		// Same answer as for alice: nil.
		require.NoError(t, e.svc.RequestPasswordReset(context.Background(), userstore.ResetRequest{Login: login}), login)
	}
	e.flush()
	assert.Empty(t, e.mail.messages())
	got := map[string]string{}
	for _, ev := range e.audit(userstore.AuditFilter{Kind: userstore.AuditResetRequested}) {
		got[ev.Login] = ev.Reason
	}
	assert.Equal(t, want, got)

	// A mail that cannot be sent is logged and audited, not returned.
	e.svc, _ = userstore.NewService(e.store, e.hashers.Registry, resetCfg, userstore.WithClock(e.clock.Now), userstore.WithMailSender(e.mail))
	e.mail.err = assert.AnError
	require.NoError(t, e.svc.RequestPasswordReset(context.Background(), userstore.ResetRequest{Login: "alice"}))
	e.flush()
	assert.Equal(t, "mail not sent", e.lastAudit(userstore.AuditResetRequested).Reason)

	// After Close a request is refused.
	require.ErrorIs(t, e.svc.RequestPasswordReset(context.Background(), userstore.ResetRequest{Login: "alice"}), userstore.ErrClosed)
}

func TestPasswordResetNotConfigured(t *testing.T) {
	e := newEnv(t, userstore.Config{})
	err := e.svc.RequestPasswordReset(context.Background(), userstore.ResetRequest{Login: "alice"})
	require.ErrorContains(t, err, "not configured")
}

func TestResetMailTemplate(t *testing.T) {
	cfg := resetCfg
	cfg.ResetMail.MailTemplate = userstore.MailTemplate{
		Subject: "[[subject]] {{.DisplayName}}",
		Body:    "[[hello]] {{ .GivenName }},\n{{.Link}}\n",
		Labels: map[string]map[string]string{
			"default": {"subject": "Password for", "hello": "Hello"},
			"de":      {"subject": "Passwort für", "hello": "Hallo"},
			"de-CH":   {"hello": "Grüezi"},
		},
	}
	e := newEnv(t, cfg)
	e.addUser("alice", "alice@example.com", "s3cret-pw", func(u *userstore.User) {
		u.GivenName, u.DisplayName = "Alice", "Alice\r\nBcc: evil@example.com"
	})
	for _, culture := range []string{"de-CH", "de_at", "fr", ""} {
		require.NoError(t, e.svc.RequestPasswordReset(context.Background(), userstore.ResetRequest{Login: "alice", Culture: culture}))
	}
	e.flush()
	msgs := e.mail.messages()
	require.Len(t, msgs, 4)
	got := map[string]bool{}
	for _, m := range msgs {
		assert.NotContains(t, m.Subject, "\n", "no line break reaches the subject")
		got[m.Subject+" | "+strings.SplitN(m.Text, "\n", 2)[0]] = true
	}
	assert.Equal(t, map[string]bool{
		"Passwort für Alice Bcc: evil@example.com | Grüezi Alice,": true, // de-CH, then de
		"Passwort für Alice Bcc: evil@example.com | Hallo Alice,":  true, // de-AT falls back to de
		"Password for Alice Bcc: evil@example.com | Hello Alice,":  true, // fr and "" fall back to the default
	}, got)
}
