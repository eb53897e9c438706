package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoutes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newMux())
	defer srv.Close()

	tests := []struct {
		path, method string
		status       int
		contains     string
	}{
		{"/healthz", http.MethodGet, http.StatusOK, `"status":"ok"`},
		{"/", http.MethodGet, http.StatusOK, "Usher reference server"},
		{"/healthz", http.MethodPost, http.StatusMethodNotAllowed, ""},
		{"/nope", http.MethodGet, http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Contains(t, string(body), tt.contains)
		})
	}
}

func TestRunStartsAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	out, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", slog.New(slog.DiscardHandler), out) }()

	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(out.Name())
		return len(b) > 0
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
	b, _ := os.ReadFile(out.Name())
	assert.Contains(t, string(b), "http://127.0.0.1:")
}
