package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/usher-sdk/usher/userstore"
)

func TestUsersAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeUsersRead, scopeUsersWrite)

	r := ts.api(tok, "POST", "/api/v1/users", map[string]any{"username": "jdoe", "email": "jdoe@example.com", "displayName": "J. Doe", "password": "a long enough password", "mustChangePassword": true})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	created := decode[apiUser](t, r)
	assert.True(t, created.Enabled, "enabled by default")
	assert.True(t, created.HasPassword)
	assert.True(t, created.MustChangePassword)
	assert.Equal(t, "/api/v1/users/"+created.ID, r.Header.Get("Location"))
	assert.NotContains(t, r.Body, "argon2", "never a hash")

	r = ts.api(tok, "GET", "/api/v1/users/"+created.ID, nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	etag := r.Header.Get("ETag")
	assert.Equal(t, fmt.Sprintf(`"%d"`, created.Version), etag)

	r = ts.api(tok, "PATCH", "/api/v1/users/"+created.ID, map[string]any{"phone": "+15551234567"}, "If-Match", etag)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	updated := decode[apiUser](t, r)
	assert.Equal(t, "+15551234567", updated.Phone)
	assert.Equal(t, "J. Doe", updated.DisplayName, "fields not given stay")

	r = ts.api(tok, "PATCH", "/api/v1/users/"+created.ID, map[string]any{"phone": "+15550000000"}, "If-Match", etag)
	assert.Equal(t, http.StatusPreconditionFailed, r.StatusCode, "a stale ETag is refused")
	assert.Contains(t, r.Body, `"error":"version_conflict"`)

	r = ts.api(tok, "POST", "/api/v1/users/disable", map[string]any{"ids": []string{created.ID, "nope"}})
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.JSONEq(t, `{"results":[{"id":"`+created.ID+`","status":"ok"},{"id":"nope","status":"not_found"}]}`, r.Body)

	for i := range 3 {
		r := ts.api(tok, "POST", "/api/v1/users", map[string]any{"username": fmt.Sprintf("user%d", i)})
		require.Equal(t, http.StatusCreated, r.StatusCode)
	}
	type page struct {
		Users []apiUser `json:"users"`
		Next  string    `json:"next"`
	}
	var names []string
	next := ""
	for range 10 {
		p := decode[page](t, ts.api(tok, "GET", "/api/v1/users?limit=2&after="+next, nil))
		for _, u := range p.Users {
			names = append(names, u.Username)
		}
		if next = p.Next; next == "" {
			break
		}
	}
	assert.ElementsMatch(t, []string{"jdoe", "user0", "user1", "user2"}, names, "pages hold every user once")
	p := decode[page](t, ts.api(tok, "GET", "/api/v1/users?enabled=false", nil))
	require.Len(t, p.Users, 1)
	assert.Equal(t, "jdoe", p.Users[0].Username)

	r = ts.api(tok, "DELETE", "/api/v1/users/"+created.ID, nil)
	assert.Equal(t, http.StatusNoContent, r.StatusCode)
	assert.Equal(t, http.StatusNotFound, ts.api(tok, "GET", "/api/v1/users/"+created.ID, nil).StatusCode)
}

// TestUsersAPIBadInput: each bad request gets a JSON error with a stable
// code, and changes nothing.
func TestUsersAPIBadInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeUsersRead, scopeUsersWrite)
	require.Equal(t, http.StatusCreated, ts.api(tok, "POST", "/api/v1/users", map[string]any{"username": "taken"}).StatusCode)

	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"not JSON", "POST", "/api/v1/users", "{", http.StatusBadRequest, codeInvalidInput},
		{"unknown field", "POST", "/api/v1/users", `{"username":"a","isAdmin":true}`, http.StatusBadRequest, codeInvalidInput},
		{"two values", "POST", "/api/v1/users", `{"username":"a"} {"username":"b"}`, http.StatusBadRequest, codeInvalidInput},
		{"10 MB field", "POST", "/api/v1/users", `{"username":"a","displayName":"` + strings.Repeat("x", 10<<20) + `"}`, http.StatusRequestEntityTooLarge, codeTooLarge},
		{"no username", "POST", "/api/v1/users", `{"email":"a@example.com"}`, http.StatusBadRequest, codeInvalidInput},
		{"taken username", "POST", "/api/v1/users", `{"username":"TAKEN"}`, http.StatusConflict, codeConflict},
		{"weak password", "POST", "/api/v1/users", `{"username":"b","password":"x"}`, http.StatusUnprocessableEntity, codePolicy},
		{"bad limit", "GET", "/api/v1/users?limit=100000", nil, http.StatusBadRequest, codeInvalidInput},
		{"bad enabled", "GET", "/api/v1/users?enabled=maybe", nil, http.StatusBadRequest, codeInvalidInput},
		{"unknown user", "GET", "/api/v1/users/nope", nil, http.StatusNotFound, codeNotFound},
		{"empty bulk", "POST", "/api/v1/users/enable", `{"ids":[]}`, http.StatusBadRequest, codeInvalidInput},
		{"bad If-Match", "PATCH", "/api/v1/users/nope", `{}`, http.StatusNotFound, codeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.api(tok, tt.method, tt.path, tt.body)
			assert.Equal(t, tt.status, r.StatusCode, r.Body)
			e := decode[apiError](t, r)
			assert.Equal(t, tt.code, e.Error)
			assert.NotEmpty(t, e.Message)
			assert.Less(t, len(r.Body), 2000, "an error never echoes a whole value")
		})
	}
	n := 0
	for _, err := range ts.app.users.ListUsers(t.Context(), userstoreAll()) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n, "nothing was created")
}

func TestAuthenticateAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	w := ts.token(scopeUsersWrite)
	require.Equal(t, http.StatusCreated, ts.api(w, "POST", "/api/v1/users", map[string]any{"username": "jdoe", "email": "jdoe@example.test", "password": "the right password"}).StatusCode)
	tok := ts.token(scopeAuth)
	r := ts.api(tok, "POST", "/api/v1/authenticate", map[string]string{"login": "jdoe@example.test", "password": "the right password"})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, `"username":"jdoe"`)
	for _, bad := range []map[string]string{
		{"login": "jdoe", "password": "wrong"},
		{"login": "nobody", "password": "wrong"},
		{"login": strings.Repeat("x", 5000), "password": "wrong"},
	} {
		r := ts.api(tok, "POST", "/api/v1/authenticate", bad)
		assert.Equal(t, http.StatusUnauthorized, r.StatusCode)
		assert.JSONEq(t, `{"error":"invalid_credentials","message":"wrong login or password"}`, r.Body)
	}
	assert.Equal(t, http.StatusForbidden, ts.api(w, "POST", "/api/v1/authenticate", map[string]string{"login": "jdoe", "password": "x"}).StatusCode, "scope authenticate")
}

func TestBulkDelete(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeUsersRead, scopeUsersWrite)
	r := ts.api(tok, "POST", "/api/v1/users", map[string]any{"username": "gone"})
	require.Equal(t, http.StatusCreated, r.StatusCode)
	id := decode[apiUser](t, r).ID
	r = ts.api(tok, "POST", "/api/v1/users/delete", map[string]any{"ids": []string{id, "nope"}})
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.JSONEq(t, `{"results":[{"id":"`+id+`","status":"ok"},{"id":"nope","status":"not_found"}]}`, r.Body)

	u, err := ts.app.users.CreateUser(t.Context(), userstore.User{Username: "also-gone", Enabled: true})
	require.NoError(t, err)
	r = ts.postForm(ts.signIn(), "/admin/users/bulk", map[string][]string{"id": {u.ID}, "action": {"delete"}})
	assert.Contains(t, r.Body, "Deleted 1 users.")
	_, err = ts.app.users.GetUser(t.Context(), u.ID)
	assert.ErrorIs(t, err, userstore.ErrNotFound)
}
