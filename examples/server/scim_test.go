package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSCIMEndpoint: an identity provider provisions a user with a token
// of scope scim made on the admin page; other tokens are refused.
func TestSCIMEndpoint(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeSCIM)
	scimType := []string{"Content-Type", "application/scim+json"}

	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"}}`
	r := ts.api(tok, "POST", "/scim/v2/Users", body, scimType...)
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	u, err := ts.app.users.GetUserByUsername(t.Context(), "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1")
	require.NoError(t, err)
	assert.Equal(t, "scim", u.Source)

	r = ts.api(tok, "GET", `/scim/v2/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22`, nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Contains(t, r.Body, `"totalResults":1`)

	other := ts.token(scopeUsersWrite)
	assert.Equal(t, http.StatusUnauthorized, ts.api(other, "GET", "/scim/v2/Users", nil).StatusCode, "scope scim only")
	assert.Equal(t, http.StatusUnauthorized, ts.api("", "GET", "/scim/v2/Users", nil).StatusCode)
}
