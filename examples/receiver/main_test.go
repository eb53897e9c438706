package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest/callback"
)

// syncBuffer is a bytes.Buffer safe for the receiver's and the test's
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestReceiverVerifiesAndDropsDuplicates(t *testing.T) {
	secret, err := callback.NewSecret(nil)
	require.NoError(t, err)
	other, err := callback.NewSecret(nil)
	require.NoError(t, err)
	var out, errOut syncBuffer
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"-addr", "127.0.0.1:0", "-secret", secret, "-once"}, &out, &errOut, ready)
	}()
	addr := <-ready

	c := callback.New()
	cb := callback.Callback{Event: "Approve", URL: "http://" + addr + "/hook", Body: `{"user":"{username}"}`}
	_, err = c.Do(t.Context(), cb, callback.Message{ID: "msg_1", Vars: map[string]string{"username": "frank"}, Secrets: []string{other}})
	require.Error(t, err, "a wrong signature is refused")
	res, err := c.Do(t.Context(), cb, callback.Message{ID: "msg_2", Vars: map[string]string{"username": "frank"}, Secrets: []string{secret}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, res.StatusCode)
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(10 * time.Second):
		t.Fatal("-once did not exit")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2, out.String())
	assert.Contains(t, lines[0], `REFUSED "msg_1"`)
	assert.Equal(t, `verified msg_2 POST /hook {"user":"frank"}`, lines[1])
}

func TestReceiverUsage(t *testing.T) {
	var out, errOut syncBuffer
	assert.Equal(t, 2, run(context.Background(), nil, &out, &errOut, nil))
	assert.Equal(t, 2, run(context.Background(), []string{"-secret", "a", "-secret-file", "b"}, &out, &errOut, nil))
	assert.Equal(t, 1, run(context.Background(), []string{"-secret", "not-a-secret!"}, &out, &errOut, nil))
}
