package directory_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// A refused login logs its reason at Info but never what was typed as the
// login, nor the password (the module's logging rule).
func TestChainLogsNoTypedLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New()
	t.Cleanup(func() { _ = store.Close() })
	src := newFakeSource("example.test")
	src.add("known@example.test", "right", directory.Entry{ExternalID: "k", Username: "known@example.test", Enabled: true})
	var logs bytes.Buffer
	c, err := directory.NewChain(store, directory.ChainConfig{
		Sources: []directory.Source{src},
		Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)

	for _, try := range []struct{ login, password string }{
		{"known@example.test", "typed-wrong-password"},
		{"nobody-typed-this@example.test", "typed-wrong-password"},
		{"typed-my-password-here", ""},
	} {
		_, err := c.Authenticate(ctx, try.login, try.password)
		require.ErrorIs(t, err, userstore.ErrInvalidCredentials)
	}
	out := logs.String()
	assert.Contains(t, out, "level=INFO msg=\"directory: login refused\"")
	for _, leak := range []string{"known@example.test", "nobody-typed-this", "typed-my-password-here", "typed-wrong-password"} {
		assert.NotContains(t, out, leak)
	}
}
