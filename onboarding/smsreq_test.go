package onboarding_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/onboarding/sms"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

type outbox struct {
	mu   sync.Mutex
	msgs []sms.Message
}

func (o *outbox) Send(_ context.Context, m sms.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

func (o *outbox) last() (sms.Message, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == 0 {
		return sms.Message{}, 0
	}
	return o.msgs[len(o.msgs)-1], len(o.msgs)
}

// TestCredentialsThenSMS drives the chain Credentials → SMS.
func TestCredentialsThenSMS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	users := usermem.New()
	t.Cleanup(func() { _ = users.Close() })
	alice, err := users.CreateUser(ctx, userstore.User{Username: "alice", Phone: "07700 900123", Enabled: true})
	require.NoError(t, err)
	auth := authFunc(func(_ context.Context, login, password string) (userstore.User, error) {
		if login == "alice" && password == "secret" {
			return alice, nil
		}
		return userstore.User{}, userstore.ErrInvalidCredentials
	})
	codes, err := sms.NewCodes(sms.CodesConfig{Key: make([]byte, 32), MaxAttempts: 3, ResendInterval: -1}, &sms.MemStore{})
	require.NoError(t, err)
	box := &outbox{}
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	m, err := onboarding.New(memstore.New(), ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return auth, nil }},
		onboarding.SMS{Codes: codes, Sender: box, DefaultRegion: "44",
			Users: func(context.Context, onboarding.Application) (onboarding.UserGetter, error) { return users, nil }},
	}})
	require.NoError(t, err)
	_, err = m.CreateApplication(ctx, onboarding.Application{Name: "Bank", Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindCredentials}, {Kind: onboarding.KindSMS}}})
	require.NoError(t, err)

	d := newDevice(t)
	st, err := m.Start(ctx, "Bank", d.spki)
	require.NoError(t, err)
	st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, creds)
	require.NoError(t, err)
	require.Equal(t, onboarding.KindSMS, st.Prompt.Kind)

	// Another number: the same answer, no SMS.
	other, err := m.Answer(ctx, st.ActivityID, 1, st.Nonce, json.RawMessage(`{"phone":"+447700900999"}`))
	require.NoError(t, err)
	assert.Equal(t, onboarding.StatusInProgress, other.Status)
	assert.Equal(t, 1, other.Step)
	_, n := box.last()
	assert.Equal(t, 0, n)

	st, err = m.Answer(ctx, st.ActivityID, 1, other.Nonce, json.RawMessage(`{"phone":"+44 7700 900123"}`))
	require.NoError(t, err)
	msg, n := box.last()
	require.Equal(t, 1, n)
	assert.Equal(t, "+447700900123", msg.To)
	assert.Equal(t, "Your code is "+msg.Code, msg.Text)

	// Wrong codes spend the attempts; then even the right code is refused.
	for range 3 {
		_, err = m.Answer(ctx, st.ActivityID, 1, st.Nonce, json.RawMessage(`{"code":"000000x"}`))
		require.ErrorIs(t, err, onboarding.ErrRefused)
	}
	_, err = m.Answer(ctx, st.ActivityID, 1, st.Nonce, json.RawMessage(`{"code":"`+msg.Code+`"}`))
	require.ErrorIs(t, err, onboarding.ErrRefused, "a code after its attempts are spent")
	act, err := m.Activity(ctx, st.ActivityID)
	require.NoError(t, err)
	assert.Equal(t, 1, act.Step, "refusals change nothing")

	// A new code, and the right one.
	st, err = m.Answer(ctx, st.ActivityID, 1, st.Nonce, json.RawMessage(`{"phone":"07700900123"}`))
	require.NoError(t, err)
	msg, _ = box.last()
	done, err := m.Answer(ctx, st.ActivityID, 1, st.Nonce, json.RawMessage(`{"code":"`+msg.Code+`"}`))
	require.NoError(t, err)
	require.Equal(t, onboarding.StatusAwaitingCSR, done.Status)
	_, err = m.Answer(ctx, st.ActivityID, 1, st.Nonce, json.RawMessage(`{"code":"`+msg.Code+`"}`))
	assert.ErrorIs(t, err, onboarding.ErrReplay, "the code answer replayed")
	_, err = m.Enrol(ctx, st.ActivityID, d.csr(t, done.Nonce))
	require.NoError(t, err)
}

type authFunc func(ctx context.Context, login, password string) (userstore.User, error)

func (f authFunc) Authenticate(ctx context.Context, login, password string) (userstore.User, error) {
	return f(ctx, login, password)
}

// TestStepsBounded: answering the first half of a two-answer requirement
// over and over stops at MaxActivitySteps.
func TestStepsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	users := usermem.New()
	t.Cleanup(func() { _ = users.Close() })
	alice, err := users.CreateUser(ctx, userstore.User{Username: "alice", Phone: "+447700900123", Enabled: true})
	require.NoError(t, err)
	codes, err := sms.NewCodes(sms.CodesConfig{Key: make([]byte, 32)}, &sms.MemStore{})
	require.NoError(t, err)
	m, err := onboarding.New(memstore.New(), failingIssuer{}, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) {
			return authFunc(func(context.Context, string, string) (userstore.User, error) { return alice, nil }), nil
		}},
		onboarding.SMS{Codes: codes, Sender: &outbox{}, Users: func(context.Context, onboarding.Application) (onboarding.UserGetter, error) { return users, nil }},
	}})
	require.NoError(t, err)
	_, err = m.CreateApplication(ctx, onboarding.Application{Name: "Bank", Requirements: []onboarding.RequirementSpec{
		{Kind: onboarding.KindCredentials}, {Kind: onboarding.KindSMS}}})
	require.NoError(t, err)
	st, err := m.Start(ctx, "Bank", newDevice(t).spki)
	require.NoError(t, err)
	st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, creds)
	require.NoError(t, err)
	var last error
	for range onboarding.MaxActivitySteps {
		next, err := m.Answer(ctx, st.ActivityID, 1, st.Nonce, json.RawMessage(`{"phone":"+15550100"}`))
		if err != nil {
			last = err
			break
		}
		st = next
	}
	assert.ErrorIs(t, last, onboarding.ErrInvalid)
	act, err := m.Activity(ctx, st.ActivityID)
	require.NoError(t, err)
	assert.Len(t, act.Steps, onboarding.MaxActivitySteps)
}
