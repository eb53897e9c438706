package scim_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim"
)

// TestLogging checks the module's logging rule: messages start with "scim:",
// a refused token is Info and the token is never logged, and neither is a
// username.
func TestLogging(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := scim.NewHandler(memstore.New(), scim.Config{}, scim.WithTokenVerifier(scim.NewStaticTokens(testToken)), scim.WithLogger(log))
	require.NoError(t, err)
	send := func(token, body string) int {
		req := httptest.NewRequest(http.MethodPost, "/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	assert.Equal(t, http.StatusUnauthorized, send("wrong-token-value", `{}`))
	assert.Equal(t, http.StatusCreated, send(testToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"secret.person@example.com"}`))

	out := buf.String()
	assert.NotContains(t, out, "wrong-token-value")
	assert.NotContains(t, out, testToken)
	assert.NotContains(t, out, "secret.person")
	assert.Contains(t, out, `"msg":"scim: request refused"`)
	assert.Contains(t, out, `"msg":"scim: user created"`)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		assert.Contains(t, line, `"msg":"scim: `)
		assert.Contains(t, line, `"level":"INFO"`)
	}
}
