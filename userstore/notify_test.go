package userstore_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
)

func TestLockNotification(t *testing.T) {
	labels := map[string]map[string]string{
		"":      {"subject": "Account locked:", "intro": "{{.Username}} is locked until {{.LockedUntil}}."},
		"de":    {"subject": "Konto gesperrt:", "intro": "{{.Username}} ist gesperrt bis {{.LockedUntil}}."},
		"de-CH": {"subject": "Konto gesperrt (CH):"},
	}
	tests := []struct {
		culture     string
		wantSubject string
		wantIntro   string
	}{
		{"de-CH", "Konto gesperrt (CH): alice", "alice ist gesperrt bis 2026-03-01T09:15:00Z."},
		{"DE_ch", "Konto gesperrt (CH): alice", "alice ist gesperrt bis 2026-03-01T09:15:00Z."},
		{"de-AT", "Konto gesperrt: alice", "alice ist gesperrt bis 2026-03-01T09:15:00Z."},
		{"fr-CH", "Account locked: alice", "alice is locked until 2026-03-01T09:15:00Z."},
		{"", "Account locked: alice", "alice is locked until 2026-03-01T09:15:00Z."},
	}
	for _, tt := range tests {
		t.Run(tt.culture, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, userstore.Config{MaxFailedLogins: 2, LockNotification: userstore.LockNotification{
				Enabled: true, Recipients: " helpdesk@example.com ;security@example.com;", Culture: tt.culture,
				MailTemplate: userstore.MailTemplate{
					Subject: "[[subject]] {{.Username}}",
					Body:    "[[intro]]\n[[unlabelled]] {{.FailedLogins}} {{.Remote}} {{.Login}} {{.Email}}",
					Labels:  labels,
				},
			}})
			e.addUser("alice", "alice@example.com", "alice-secret")
			for range 3 { // the third (locked) attempt sends nothing more
				_, err := e.login("ALICE", "wrong")
				require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
			}
			e.flush()
			msgs := e.mail.messages()
			require.Len(t, msgs, 1)
			m := msgs[0]
			assert.Equal(t, []string{"helpdesk@example.com", "security@example.com"}, m.To)
			assert.Equal(t, tt.wantSubject, m.Subject)
			assert.Equal(t, tt.wantIntro+"\nunlabelled 2 192.0.2.7 ALICE alice@example.com", m.Text)
		})
	}
}

func TestLockNotificationDefaultText(t *testing.T) {
	e := newEnv(t, userstore.Config{MaxFailedLogins: 1, LockoutDuration: time.Hour,
		LockNotification: userstore.LockNotification{Enabled: true, Recipients: "helpdesk@example.com"}})
	e.addUser("alice", "", "alice-secret", func(u *userstore.User) { u.DisplayName = "Alice Liddell" })
	_, err := e.login("alice", "wrong")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	e.flush()
	msgs := e.mail.messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "Account locked: alice", msgs[0].Subject)
	assert.Equal(t, "A user account was locked after too many wrong passwords.\n\n"+
		"Username: alice\nName: Alice Liddell\nWrong passwords: 1\nLocked until: 2026-03-01T10:00:00Z\n"+
		"From: 192.0.2.7\nTime: 2026-03-01T09:00:00Z\n", msgs[0].Text)
}

func TestLockNotificationSendFailure(t *testing.T) {
	// A sender that fails does not change the login's answer.
	e := newEnv(t, userstore.Config{MaxFailedLogins: 1,
		LockNotification: userstore.LockNotification{Enabled: true, Recipients: "helpdesk@example.com"}})
	e.mail.err = assert.AnError
	u := e.addUser("alice", "", "alice-secret")
	_, err := e.login("alice", "wrong")
	require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	e.flush()
	assert.True(t, e.user(u.ID).Locked(e.clock.Now()))
}

func TestConfigJSON(t *testing.T) {
	// A configuration as an operator writes it.
	const in = `{
		"loginByEmail": true,
		"maxFailedLogins": 3,
		"lockoutDuration": 600000000000,
		"auditSuccessfulLogins": true,
		"passwordPolicy": {"minLength": 10},
		"resetMail": {"linkURL": "https://idp.example.com/reset", "subject": "[[s]]", "labels": {"default": {"s": "Reset"}, "de": {"s": "Zurücksetzen"}}},
		"lockNotification": {"enabled": true, "recipients": "a@example.com;b@example.com", "culture": "de-CH",
			"subject": "[[locked]] {{.Username}}", "labels": {"de": {"locked": "Gesperrt:"}}}
	}`
	var cfg userstore.Config
	require.NoError(t, json.Unmarshal([]byte(in), &cfg))
	assert.Equal(t, 10*time.Minute, cfg.LockoutDuration)
	assert.Equal(t, "a@example.com;b@example.com", cfg.LockNotification.Recipients)
	assert.Equal(t, "Gesperrt:", cfg.LockNotification.Labels["de"]["locked"])
	assert.Equal(t, "https://idp.example.com/reset", cfg.ResetMail.LinkURL)

	e := newEnv(t, cfg)
	e.addUser("alice", "", "alice-secret-1")
	for range 3 {
		_, _ = e.login("alice", "wrong")
	}
	e.flush()
	require.Len(t, e.mail.messages(), 1)
	assert.Equal(t, "Gesperrt: alice", e.mail.messages()[0].Subject)

	// The zero Config writes as {}.
	out, err := json.Marshal(userstore.Config{})
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(out))
}
