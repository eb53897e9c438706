package scim_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim"
)

// TestAttributesParameters checks the attributes and excludedAttributes
// query parameters of RFC 7644, section 3.4.2.5, on GET of one resource and
// of a list.
func TestAttributesParameters(t *testing.T) {
	t.Parallel()
	s := newServer(t, memstore.New(), scim.Config{})
	ctx := context.Background()
	u, err := s.store.CreateUser(ctx, userstore.User{
		Username: "ann", Email: "ann@example.com", GivenName: "Ann", FamilyName: "Lee", DisplayName: "Ann Lee", Enabled: true,
		Attributes: map[string]string{"enterprise.department": "R&D", "enterprise.costCenter": "42"},
	})
	require.NoError(t, err)
	g, err := s.store.CreateGroup(ctx, userstore.Group{Name: "staff"})
	require.NoError(t, err)
	require.NoError(t, s.store.AddMember(ctx, "staff", u.ID))
	const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	for _, tt := range []struct {
		name      string
		path      string
		has, lack []string // top-level attributes
		check     func(t *testing.T, body map[string]any)
	}{
		{name: "attributes", path: "/Users/{id}?attributes=userName,name.givenName",
			has: []string{"id", "schemas", "userName", "name"}, lack: []string{"emails", "displayName", "active", ent},
			check: func(t *testing.T, b map[string]any) {
				assert.Equal(t, map[string]any{"givenName": "Ann"}, b["name"])
			}},
		{name: "attributes with URNs, any case", path: "/Users/{id}?attributes=URN:ietf:params:scim:schemas:core:2.0:User:USERNAME," + ent + ":department",
			has: []string{"userName", ent}, lack: []string{"name", "emails"},
			check: func(t *testing.T, b map[string]any) {
				assert.Equal(t, map[string]any{"department": "R&D"}, b[ent])
			}},
		{name: "sub-attribute of a multi-valued attribute", path: "/Users/{id}?attributes=emails.value",
			has: []string{"emails"}, lack: []string{"userName"},
			check: func(t *testing.T, b map[string]any) {
				assert.Equal(t, []any{map[string]any{"value": "ann@example.com"}}, b["emails"])
			}},
		{name: "excludedAttributes", path: "/Users/{id}?excludedAttributes=emails,name.familyName," + ent,
			has: []string{"userName", "name", "displayName"}, lack: []string{"emails", ent},
			check: func(t *testing.T, b map[string]any) {
				assert.Equal(t, map[string]any{"givenName": "Ann"}, b["name"])
			}},
		{name: "list with attributes", path: "/Users?attributes=userName",
			check: func(t *testing.T, b map[string]any) {
				res := b["Resources"].([]any)
				require.Len(t, res, 1)
				r := res[0].(map[string]any)
				assert.Equal(t, "ann", r["userName"])
				assert.NotContains(t, r, "emails")
				assert.Contains(t, r, "id")
			}},
		{name: "group without members (Entra ID's lookup)", path: "/Groups?excludedAttributes=members&filter=" + url.QueryEscape(`displayName eq "staff"`),
			check: func(t *testing.T, b map[string]any) {
				res := b["Resources"].([]any)
				require.Len(t, res, 1)
				r := res[0].(map[string]any)
				assert.Equal(t, "staff", r["displayName"])
				assert.Equal(t, g.ID, r["id"])
				assert.NotContains(t, r, "members")
			}},
		{name: "group with members only", path: "/Groups/" + g.ID + "?attributes=members.value",
			has: []string{"id", "members"}, lack: []string{"displayName"},
			check: func(t *testing.T, b map[string]any) {
				assert.Equal(t, []any{map[string]any{"value": u.ID}}, b["members"])
			}},
		{name: "group filtered on members without them", path: "/Groups?excludedAttributes=members&filter=" + url.QueryEscape(`members[value eq "`+u.ID+`"]`),
			check: func(t *testing.T, b map[string]any) {
				assert.EqualValues(t, 1, b["totalResults"])
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(http.MethodGet, strings.ReplaceAll(tt.path, "{id}", u.ID), "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			for _, a := range tt.has {
				assert.Contains(t, r.body, a)
			}
			for _, a := range tt.lack {
				assert.NotContains(t, r.body, a)
			}
			if tt.check != nil {
				tt.check(t, r.body)
			}
		})
	}

	many := strings.Repeat("userName,", 65)
	r := s.do(http.MethodGet, "/Users?attributes="+many, "")
	assert.Equal(t, http.StatusBadRequest, r.status, r.raw)
	assert.Equal(t, "invalidValue", r.body["scimType"])
}
