package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAdminSignInThrottle: an attacker's wrong passwords hold back the
// attacker's address, not the admin: from another address the right
// password still signs in, and the account is not locked.
func TestAdminSignInThrottle(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	h := ts.app.handler()
	signIn := func(remote, password string) int {
		form := url.Values{"username": {"admin"}, "password": {password}}
		req := httptest.NewRequest(http.MethodPost, "/admin/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	attacker, owner := "198.51.100.7:4000", "203.0.113.9:5000"
	for range throttleFailures {
		require.Equal(t, http.StatusUnauthorized, signIn(attacker, "guess"))
	}
	assert.Equal(t, http.StatusUnauthorized, signIn(attacker, testAdminPassword), "the guessing address is held back, even with the right password")
	assert.Equal(t, http.StatusSeeOther, signIn(owner, testAdminPassword), "the owner signs in from elsewhere")
	admin, err := ts.app.admins.GetUserByUsername(t.Context(), bootstrapAdmin)
	require.NoError(t, err)
	assert.False(t, admin.Locked(ts.app.now()), "the account is not locked")

	// One IPv6 client holds a /64.
	for i := range throttleFailures {
		require.Equal(t, http.StatusUnauthorized, signIn("[2001:db8:1:2::"+string(rune('a'+i))+"]:1", "guess"))
	}
	assert.Equal(t, http.StatusUnauthorized, signIn("[2001:db8:1:2::ff]:1", testAdminPassword))
	assert.Equal(t, http.StatusSeeOther, signIn("[2001:db8:1:3::1]:1", testAdminPassword))
}
