package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupsAPI(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	tok := ts.token(scopeUsersRead, scopeUsersWrite)
	mk := func(name string) string {
		r := ts.api(tok, "POST", "/api/v1/users", map[string]any{"username": name})
		require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
		return decode[apiUser](t, r).ID
	}
	ada, bob := mk("ada"), mk("bob")

	r := ts.api(tok, "POST", "/api/v1/groups", map[string]any{"name": "staff", "description": "everyone"})
	require.Equal(t, http.StatusCreated, r.StatusCode, r.Body)
	g := decode[apiGroup](t, r)
	assert.Len(t, g.ID, 32)
	assert.Equal(t, http.StatusConflict, ts.api(tok, "POST", "/api/v1/groups", map[string]any{"name": "STAFF"}).StatusCode)

	// Rename and add members in one step; the ID stays.
	r = ts.api(tok, "PATCH", "/api/v1/groups/"+g.ID, map[string]any{"name": "employees", "addMembers": []string{ada, bob}}, "If-Match", etag(g.Version))
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	renamed := decode[apiGroup](t, r)
	assert.Equal(t, g.ID, renamed.ID)
	assert.Equal(t, "employees", renamed.Name)
	u := decode[apiUser](t, ts.api(tok, "GET", "/api/v1/users/"+ada, nil))
	assert.Equal(t, []string{"employees"}, u.Groups, "memberships follow the rename")

	r = ts.api(tok, "PATCH", "/api/v1/groups/"+g.ID, map[string]any{"name": "x"}, "If-Match", etag(g.Version))
	assert.Equal(t, http.StatusPreconditionFailed, r.StatusCode, "stale")
	r = ts.api(tok, "PATCH", "/api/v1/groups/"+g.ID, map[string]any{"addMembers": []string{"nobody"}})
	assert.Equal(t, http.StatusNotFound, r.StatusCode, "an unknown member refuses the whole update")

	type page struct {
		Users []apiUser `json:"users"`
	}
	p := decode[page](t, ts.api(tok, "GET", "/api/v1/groups/"+g.ID+"/members", nil))
	assert.Len(t, p.Users, 2)

	r = ts.api(tok, "PUT", "/api/v1/users/"+bob+"/groups", map[string]any{"groups": []string{"ops"}})
	require.Equal(t, http.StatusOK, r.StatusCode, r.Body)
	assert.Equal(t, []string{"ops"}, decode[apiUser](t, r).Groups)

	list := decode[struct {
		Groups []apiGroup `json:"groups"`
	}](t, ts.api(tok, "GET", "/api/v1/groups", nil))
	require.Len(t, list.Groups, 2)
	assert.Equal(t, "employees", list.Groups[0].Name)

	assert.Equal(t, http.StatusNoContent, ts.api(tok, "DELETE", "/api/v1/groups/"+g.ID, nil).StatusCode)
	assert.Equal(t, http.StatusNotFound, ts.api(tok, "GET", "/api/v1/groups/"+g.ID, nil).StatusCode)
}
