package syncapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory/syncapi"
)

// TestChangesBodyAnswers: POST /changes answers a body it cannot decode as
// it did when encoding/json decoded it alone: 413 past MaxBodyBytes, 400
// with encoding/json's message otherwise, and a value complete before the
// limit is still read.
func TestChangesBodyAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	require.NoError(t, e.client.UploadKey(t.Context(), e.pubPEM))
	for _, tc := range []struct {
		name       string
		body       io.Reader
		status     int
		code, text string
	}{
		{"too large", io.MultiReader(strings.NewReader(`{"changes":[`), strings.NewReader(strings.Repeat(" ", syncapi.MaxBodyBytes))),
			http.StatusRequestEntityTooLarge, "too_large", "a batch is at most"},
		{"a value before too much space", io.MultiReader(strings.NewReader(`{"changes":[]}`), strings.NewReader(strings.Repeat(" ", syncapi.MaxBodyBytes))),
			http.StatusBadRequest, "invalid_input", "changes: want 1 to 1000"},
		{"unknown field", strings.NewReader(`{"changes":[{"kind":"add","password":"x"}]}`),
			http.StatusBadRequest, "invalid_input", `request body: json: unknown field "password"`},
		{"truncated", strings.NewReader(`{"changes":[{"kind":"add"`),
			http.StatusBadRequest, "invalid_input", "request body: unexpected EOF"},
		{"no changes", strings.NewReader(`{"changes":[]} trailing`),
			http.StatusBadRequest, "invalid_input", "changes: want 1 to 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.client.BaseURL+"/changes", tc.body)
			require.NoError(t, err)
			req.Header.Set(syncapi.OrganizationHeader, "acme")
			resp, err := e.srv.Client().Do(req)
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			var got struct{ Error, Message string }
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.code, got.Error)
			assert.Contains(t, got.Message, tc.text)
		})
	}
}
