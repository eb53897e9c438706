package graphtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory/graph/graphtest"
)

func token(t *testing.T, srv *graphtest.Server, form url.Values, basic bool) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.TokenURL(), strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth("client", "secret")
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

func get(t *testing.T, srv *graphtest.Server, tok, path string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.BaseURL()+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(data, &body), string(data))
	return resp.StatusCode, body
}

func TestFakeContract(t *testing.T) {
	t.Parallel()
	srv := graphtest.NewServer(graphtest.Config{})
	t.Cleanup(srv.Close)
	srv.PutUser(graphtest.User{ID: "u1", UserPrincipalName: "a@x.test", AccountEnabled: true})

	cc := url.Values{"grant_type": {"client_credentials"}, "scope": {"https://graph.microsoft.com/.default"}}
	status, body := token(t, srv, cc, false)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "invalid_client", body["error"])

	status, body = token(t, srv, cc, true)
	require.Equal(t, http.StatusOK, status)
	tok := body["access_token"].(string)
	assert.Equal(t, "Bearer", body["token_type"])

	status, body = get(t, srv, "nope", "/users")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "InvalidAuthenticationToken", body["error"].(map[string]any)["code"])

	status, body = get(t, srv, tok, "/users?$select=id,nosuch")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body["error"].(map[string]any)["message"], "nosuch")

	status, _ = get(t, srv, tok, "/users?$top=1000")
	assert.Equal(t, http.StatusBadRequest, status)

	status, body = get(t, srv, tok, "/users?$select=displayName")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, []any{map[string]any{"id": "u1", "displayName": nil}}, body["value"], "id is always returned")

	srv.Throttle(1, http.StatusTooManyRequests, "3")
	req, _ := http.NewRequest(http.MethodGet, srv.BaseURL()+"/users", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "3", resp.Header.Get("Retry-After"))
}
