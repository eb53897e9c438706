package callback

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newSecret(t testing.TB) string {
	t.Helper()
	s, err := NewSecret(nil)
	require.NoError(t, err)
	return s
}

func signedHeaders(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h
}

func TestSignReference(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	body := []byte(`{"event":"Approve","username":"alice"}`)
	ts := time.Now()
	sig, err := Sign([]string{secret}, "msg_1", ts, body)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(sig, "v1,"))

	wh, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	want, err := wh.Sign("msg_1", ts, body)
	require.NoError(t, err)
	assert.Equal(t, want, sig, "the reference library signs the same")
	assert.NoError(t, wh.Verify(body, signedHeaders("msg_1", ts, sig)))
	assert.Error(t, wh.Verify(append(body, ' '), signedHeaders("msg_1", ts, sig)), "body changed")
	assert.Error(t, wh.Verify(body, signedHeaders("msg_2", ts, sig)), "ID changed")
	assert.Error(t, wh.Verify(body, signedHeaders("msg_1", ts.Add(time.Second), sig)), "time changed")
}

func TestSignRotation(t *testing.T) {
	t.Parallel()
	oldS, newS, other := newSecret(t), newSecret(t), newSecret(t)
	body := []byte("payload")
	ts := time.Now()
	sig, err := Sign([]string{newS, oldS}, "msg_rot", ts, body)
	require.NoError(t, err)
	assert.Len(t, strings.Split(sig, " "), 2)
	for name, s := range map[string]string{"old": oldS, "new": newS} {
		wh, err := standardwebhooks.NewWebhook(s)
		require.NoError(t, err)
		assert.NoError(t, wh.Verify(body, signedHeaders("msg_rot", ts, sig)), "a receiver knowing only the %s secret", name)
	}
	wh, err := standardwebhooks.NewWebhook(other)
	require.NoError(t, err)
	assert.Error(t, wh.Verify(body, signedHeaders("msg_rot", ts, sig)), "a receiver with another secret")
}

func TestSignRefused(t *testing.T) {
	t.Parallel()
	good := newSecret(t)
	short := SecretPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==" // 22 bytes
	tests := []struct {
		name    string
		secrets []string
		id      string
	}{
		{"no secrets", nil, "m"},
		{"too many", []string{good, good, good, good, good, good, good, good, good}, "m"},
		{"no prefix", []string{strings.TrimPrefix(good, SecretPrefix)}, "m"},
		{"not base64", []string{SecretPrefix + "!!!"}, "m"},
		{"short", []string{short}, "m"},
		{"long", []string{SecretPrefix + strings.Repeat("A", 200)}, "m"},
		{"empty id", []string{good}, ""},
		{"id with space", []string{good}, "a b"},
		{"id with newline", []string{good}, "a\nb"},
		{"id too long", []string{good}, strings.Repeat("i", MaxIDLength+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Sign(tt.secrets, tt.id, time.Now(), nil)
			assert.ErrorIs(t, err, ErrInvalid)
			if len(tt.secrets) == 1 && err != nil {
				assert.NotContains(t, err.Error(), tt.secrets[0], "the error does not show the secret")
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	s, err := NewSecret(bytes.NewReader(make([]byte, 32)))
	require.NoError(t, err)
	assert.Equal(t, SecretPrefix+"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", s)
	assert.NoError(t, CheckSecret(s))
	_, err = NewSecret(bytes.NewReader(make([]byte, 3)))
	assert.Error(t, err, "short reader")
	assert.NotEqual(t, newSecret(t), newSecret(t))
}
