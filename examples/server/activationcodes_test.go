package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type codesPage struct {
	Codes []outstandingCode `json:"codes"`
	Next  string            `json:"next"`
}

// TestActivationCodesListing: the API and the admin page list the
// outstanding activations a page at a time, the cursor in the URL, and
// never show a code.
func TestActivationCodesListing(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeUsersWrite, scopeActivation)
	var codes []string
	for _, name := range []string{"ann", "bob", "cyd"} {
		r := ts.api(tok, "POST", "/api/v1/users", map[string]any{"username": name, "enabled": false})
		require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
		r = ts.api(tok, "POST", "/api/v1/users/"+decode[apiUser](t, r).ID+"/activation-code", nil)
		require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
		codes = append(codes, decode[struct {
			Code string `json:"code"`
		}](t, r).Code)
	}
	// bob uses his code: his window to set the password is open.
	r := ts.postForm(ts.browser(), "/activate", url.Values{"username": {"bob"}, "code": {codes[1]}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)

	assert.Equal(t, http.StatusForbidden, ts.api(ts.token(scopeUsersRead), "GET", "/api/v1/activation-codes", nil).StatusCode)
	for _, bad := range []string{"?limit=0", "?limit=1001", "?limit=x", "?after=nonsense", "?after=" + strings.Repeat("9", 300)} {
		assert.Equal(t, http.StatusBadRequest, ts.api(tok, "GET", "/api/v1/activation-codes"+bad, nil).StatusCode, bad)
	}
	r = ts.api(tok, "GET", "/api/v1/activation-codes?limit=2", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	first := decode[codesPage](t, r)
	require.NotEmpty(t, first.Next)
	seen := map[string]outstandingCode{}
	for p, after := first, ""; ; {
		for _, c := range p.Codes {
			seen[c.Username] = c
		}
		if p.Next == "" {
			break
		}
		after = p.Next
		r := ts.api(tok, "GET", "/api/v1/activation-codes?limit=2&after="+url.QueryEscape(after), nil)
		require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
		p = decode[codesPage](t, r)
	}
	require.Len(t, seen, 3)
	assert.Equal(t, "code", string(seen["ann"].Stage))
	assert.Nil(t, seen["ann"].ActivatedAt)
	assert.Equal(t, "password-set", string(seen["bob"].Stage))
	assert.NotNil(t, seen["bob"].PasswordSetUntil)
	assert.True(t, seen["cyd"].ExpiresAt.After(seen["cyd"].CreatedAt))
	for _, code := range codes {
		assert.NotContains(t, r.Body, code)
		assert.NotContains(t, r.Body, strings.ReplaceAll(code, "-", ""))
	}

	// The page: the table, then its cursor in the URL.
	b := ts.signIn()
	r = ts.get(b, "/admin/activation")
	require.Equal(t, http.StatusOK, r.StatusCode)
	for _, name := range []string{"ann", "bob", "cyd"} {
		assert.Contains(t, r.Body, ">"+name+"</a>")
	}
	assert.Contains(t, r.Body, "setting the password until")
	assert.Contains(t, r.Body, "waiting for the code")
	for _, code := range codes {
		assert.NotContains(t, r.Body, code)
	}
	assert.NotContains(t, r.Body, "Next page", "one page")
	r = ts.get(b, "/admin/activation?after="+url.QueryEscape(first.Next))
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Body, "First page")
	assert.NotContains(t, r.Body, ">ann</a>", "the first page's")
	r = ts.get(b, "/admin/activation?after=nonsense")
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, r.Body, "That page of codes does not exist")
	assert.Contains(t, r.Body, ">ann</a>", "the first page instead")
	assert.Equal(t, http.StatusSeeOther, ts.get(ts.browser(), "/admin/activation").StatusCode, "signed out")

	// The settings form beside it refuses cross-origin posts.
	req, err := http.NewRequest(http.MethodPost, ts.srv.URL+"/admin/activation", strings.NewReader("enabled=true"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusForbidden, ts.do(b, req).StatusCode)
}
