package scim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim"
)

const errorSchema = "urn:ietf:params:scim:api:messages:2.0:Error"

// TestBadInput sends requests the endpoint must refuse with a SCIM error
// response, and checks that none of them changes the store.
func TestBadInput(t *testing.T) {
	t.Parallel()
	big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"big","displayName":"` +
		strings.Repeat("x", 10<<20) + `"}`
	patch := func(ops string) string {
		return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[` + ops + `]}`
	}
	tests := []struct {
		name     string
		token    string // default testToken; "-" for none
		method   string
		path     string // {id} is the user's ID
		body     string
		hdr      []string
		status   int
		scimType string
	}{
		{name: "filter does not parse", method: "GET", path: "/Users?filter=userName%20eq", status: 400, scimType: "invalidFilter"},
		{name: "filter with unbalanced quote", method: "GET", path: "/Users?filter=userName%20eq%20%22x", status: 400, scimType: "invalidFilter"},
		{name: "filter on unknown attribute", method: "GET", path: "/Users?filter=shoeSize%20eq%20%2242%22", status: 400, scimType: "invalidFilter"},
		// The SCIM library panics evaluating this filter (found by FuzzFilter).
		{name: "filter comparing a complex attribute", method: "GET", path: "/Users?filter=metA%20gt%20%22%22", status: 400, scimType: "invalidFilter"},
		{name: "group filter comparing a complex attribute", method: "GET", path: "/Groups?filter=meta%20gt%20%22%22", status: 400, scimType: "invalidFilter"},
		{name: "group filter on unknown attribute", method: "GET", path: "/Groups?filter=colour%20eq%20%22red%22", status: 400, scimType: "invalidFilter"},
		{name: "patch path of unknown attribute", method: "PATCH", path: "/Users/{id}", body: patch(`{"op":"replace","path":"shoeSize","value":"42"}`), status: 400, scimType: "invalidPath"},
		{name: "patch unknown op", method: "PATCH", path: "/Users/{id}", body: patch(`{"op":"move","path":"userName","value":"x"}`), status: 400},
		{name: "patch without schemas", method: "PATCH", path: "/Users/{id}", body: `{"Operations":[{"op":"replace","path":"active","value":false}]}`, status: 400},
		{name: "patch with a value of the wrong type", method: "PATCH", path: "/Users/{id}", body: patch(`{"op":"replace","path":"active","value":"sometimes"}`), status: 400},
		{name: "patch remove without path", method: "PATCH", path: "/Users/{id}", body: patch(`{"op":"remove"}`), status: 400},
		{name: "create with an unknown attribute", method: "POST", path: "/Users", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol","shoeSize":"42"}`, status: 400, scimType: "invalidValue"},
		{name: "create with an unknown extension", method: "POST", path: "/Users", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"carol","urn:example:ext:1.0:User":{"a":"b"}}`, status: 400, scimType: "invalidValue"},
		{name: "put with an unknown attribute", method: "PUT", path: "/Users/{id}", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice","shoeSize":"42"}`, status: 400, scimType: "invalidValue"},
		{name: "group create with an unknown attribute", method: "POST", path: "/Groups", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"g","colour":"red"}`, status: 400, scimType: "invalidValue"},
		{name: "patch value with an unknown attribute", method: "PATCH", path: "/Users/{id}", body: patch(`{"op":"replace","value":{"shoeSize":"42"}}`), status: 400},
		{name: "create with a userName of the wrong type", method: "POST", path: "/Users", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":5}`, status: 400},
		{name: "create without userName", method: "POST", path: "/Users", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"displayName":"x"}`, status: 400},
		{name: "create with a taken userName", method: "POST", path: "/Users", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ALICE"}`, status: 409, scimType: "uniqueness"},
		{name: "body not JSON", method: "POST", path: "/Users", body: `{"userName":`, status: 400, scimType: "invalidSyntax"},
		{name: "10 MB create", method: "POST", path: "/Users", body: big, status: 413},
		{name: "10 MB patch", method: "PATCH", path: "/Users/{id}", body: big, status: 413},
		{name: "10 MB put", method: "PUT", path: "/Users/{id}", body: big, status: 413},
		{name: "wrong token", token: "nope", method: "PATCH", path: "/Users/{id}", body: patch(`{"op":"replace","path":"active","value":false}`), status: 401},
		{name: "no token", token: "-", method: "GET", path: "/Users", status: 401},
		{name: "basic auth", token: "-", method: "GET", path: "/Users", hdr: []string{"Authorization", "Basic c2NpbTpzY2lt"}, status: 401},
		{name: "stale If-Match on patch", method: "PATCH", path: "/Users/{id}", body: patch(`{"op":"replace","path":"active","value":false}`), hdr: []string{"If-Match", `W/"7"`}, status: 412},
		{name: "stale If-Match on put", method: "PUT", path: "/Users/{id}", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"alice2"}`, hdr: []string{"If-Match", `W/"7"`}, status: 412},
		{name: "stale If-Match on delete", method: "DELETE", path: "/Users/{id}", hdr: []string{"If-Match", `W/"7"`}, status: 412},
		{name: "unknown user", method: "GET", path: "/Users/nobody", status: 404},
		{name: "patch of an unknown user", method: "PATCH", path: "/Users/nobody", body: patch(`{"op":"replace","path":"active","value":false}`), status: 404},
		{name: "unknown group member", method: "PATCH", path: "/Groups/staff", body: patch(`{"op":"add","path":"members","value":[{"value":"nobody"}]}`), status: 400, scimType: "invalidValue"},
		{name: "group rename to a taken name", method: "PATCH", path: "/Groups/staff", body: patch(`{"op":"replace","path":"displayName","value":"TAKEN"}`), status: 409, scimType: "uniqueness"},
		{name: "group rename to an invalid name", method: "PATCH", path: "/Groups/staff", body: patch(`{"op":"replace","path":"displayName","value":" spaced"}`), status: 400, scimType: "invalidValue"},
		{name: "group patch failing in its second operation", method: "PATCH", path: "/Groups/staff", body: patch(`{"op":"replace","path":"displayName","value":"renamed"},{"op":"add","path":"members","value":[{"value":"nobody"}]}`), status: 400, scimType: "invalidValue"},
		{name: "group patch failing in its third operation", method: "PATCH", path: "/Groups/staff", body: patch(`{"op":"replace","path":"displayName","value":"renamed"},{"op":"remove","path":"members"},{"op":"replace","path":"colour","value":"red"}`), status: 400},
		{name: "stale If-Match on group patch", method: "PATCH", path: "/Groups/staff", body: patch(`{"op":"replace","path":"displayName","value":"renamed"}`), hdr: []string{"If-Match", `W/"7"`}, status: 412},
		{name: "invalid username", method: "PATCH", path: "/Users/{id}", body: patch(`{"op":"replace","path":"userName","value":""}`), status: 400},
	}
	s := newServer(t, memstore.New(), scim.Config{})
	ctx := context.Background()
	alice, err := s.store.CreateUser(ctx, userstore.User{Username: "alice", Enabled: true, Source: "scim"})
	require.NoError(t, err)
	_, err = s.store.CreateGroup(ctx, userstore.Group{Name: "staff"})
	require.NoError(t, err)
	_, err = s.store.CreateGroup(ctx, userstore.Group{Name: "taken"})
	require.NoError(t, err)
	require.NoError(t, s.store.AddMember(ctx, "staff", alice.ID))
	usersBefore, groupsBefore := snapshot(t, s.store)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := testToken
			switch tt.token {
			case "":
			case "-":
				token = ""
			default:
				token = tt.token
			}
			r := s.doToken(token, tt.method, strings.ReplaceAll(tt.path, "{id}", alice.ID), tt.body, tt.hdr...)
			assert.Equal(t, tt.status, r.status, r.raw)
			assert.Equal(t, []any{errorSchema}, r.body["schemas"], r.raw)
			assert.EqualValues(t, tt.status, statusOf(r.body["status"]), r.raw)
			if tt.scimType != "" {
				assert.Equal(t, tt.scimType, r.body["scimType"], r.raw)
			}
			assert.NotContains(t, r.raw, testToken)
			users, groups := snapshot(t, s.store)
			assert.Equal(t, usersBefore, users, "users changed")
			assert.Equal(t, groupsBefore, groups, "groups changed")
			assert.Equal(t, []string{alice.ID}, memberIDs(t, s.store, "staff"))
		})
	}
}

// statusOf reads an error's status, a string in RFC 7644 section 3.12.
func statusOf(v any) any {
	if s, ok := v.(string); ok {
		var n int
		for _, c := range s {
			n = n*10 + int(c-'0')
		}
		return n
	}
	return v
}

// TestIfMatch checks that a current If-Match is accepted and moves the ETag.
func TestIfMatch(t *testing.T) {
	t.Parallel()
	s := newServer(t, memstore.New(), scim.Config{})
	r := s.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bob"}`)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id := r.body["id"].(string)
	body := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Bob"}]}`
	r = s.do(http.MethodPatch, "/Users/"+id, body, "If-Match", `W/"1"`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, `W/"2"`, r.header.Get("ETag"))
	meta, _ := r.body["meta"].(map[string]any)
	assert.Equal(t, `W/"2"`, meta["version"])
	r = s.do(http.MethodPatch, "/Users/"+id, body, "If-Match", `W/"1"`)
	require.Equal(t, http.StatusPreconditionFailed, r.status, r.raw)
	r = s.do(http.MethodDelete, "/Users/"+id, "", "If-Match", `*`)
	require.Equal(t, http.StatusNoContent, r.status, r.raw)
}

// TestNewHandlerErrors checks that a missing store or verifier and a bad
// configuration are all reported.
func TestNewHandlerErrors(t *testing.T) {
	t.Parallel()
	_, err := scim.NewHandler(nil, scim.Config{MaxBodyBytes: -1, MaxPageSize: -1})
	require.Error(t, err)
	for _, want := range []string{"no store", "no token verifier", "maxBodyBytes", "maxPageSize"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestStaticTokens(t *testing.T) {
	t.Parallel()
	v := scim.NewStaticTokens("a", "", "bb")
	for _, tt := range []struct {
		token string
		want  bool
	}{{"a", true}, {"bb", true}, {"", false}, {"b", false}, {"A", false}} {
		ok, err := v.VerifySCIMToken(context.Background(), tt.token)
		require.NoError(t, err)
		assert.Equal(t, tt.want, ok, tt.token)
	}
	ok, _ := scim.NewStaticTokens().VerifySCIMToken(context.Background(), "")
	assert.False(t, ok)
}

// TestDiscovery checks the discovery endpoints the library serves, and that
// ServiceProviderConfig says ETags are supported.
func TestDiscovery(t *testing.T) {
	t.Parallel()
	s := newServer(t, memstore.New(), scim.Config{MaxPageSize: 50})
	r := s.do(http.MethodGet, "/ServiceProviderConfig", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, map[string]any{"supported": true}, r.body["etag"])
	assert.Equal(t, map[string]any{"supported": true}, r.body["patch"])
	assert.Equal(t, map[string]any{"supported": true, "maxResults": float64(50)}, r.body["filter"])

	r = s.do(http.MethodGet, "/ResourceTypes", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.EqualValues(t, 2, r.body["totalResults"])

	r = s.do(http.MethodGet, "/Schemas", "")
	require.Equal(t, http.StatusOK, r.status, r.raw)
	var ids []any
	list, _ := r.body["Resources"].([]any)
	for _, e := range list {
		ids = append(ids, e.(map[string]any)["id"])
	}
	assert.Subset(t, ids, []any{
		"urn:ietf:params:scim:schemas:core:2.0:User",
		"urn:ietf:params:scim:schemas:core:2.0:Group",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	})

	r = s.doToken("", http.MethodGet, "/ServiceProviderConfig", "")
	assert.Equal(t, http.StatusUnauthorized, r.status)
}
