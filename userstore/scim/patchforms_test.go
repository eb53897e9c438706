package scim_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim"
)

// TestUserPatchForms applies one operation of each path form RFC 7644
// section 3.5.2 describes to a fresh user and checks the stored result.
func TestUserPatchForms(t *testing.T) {
	t.Parallel()
	start := userstore.User{
		Username: "jdoe", Email: "j@work.example", Phone: "+1 555", GivenName: "John", FamilyName: "Doe",
		DisplayName: "John Doe", Enabled: true, Source: "scim", ExternalID: "e1",
		Attributes: map[string]string{"title": "Engineer", "custom": "kept"},
	}
	tests := []struct {
		name  string
		ops   string
		check func(t *testing.T, u userstore.User)
	}{
		{"replace simple", `{"op":"replace","path":"displayName","value":"J. Doe"}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "J. Doe", u.DisplayName) }},
		{"remove simple", `{"op":"remove","path":"title"}`,
			func(t *testing.T, u userstore.User) {
				assert.NotContains(t, u.Attributes, "title")
				assert.Equal(t, "kept", u.Attributes["custom"])
			}},
		{"add simple", `{"op":"add","path":"nickName","value":"JD"}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "JD", u.Attributes["nickName"]) }},
		{"replace sub-attribute", `{"op":"replace","path":"name.givenName","value":"Jon"}`,
			func(t *testing.T, u userstore.User) {
				assert.Equal(t, "Jon", u.GivenName)
				assert.Equal(t, "Doe", u.FamilyName)
			}},
		{"remove sub-attribute", `{"op":"remove","path":"name.familyName"}`,
			func(t *testing.T, u userstore.User) { assert.Empty(t, u.FamilyName) }},
		{"replace complex", `{"op":"replace","path":"name","value":{"givenName":"Jane"}}`,
			func(t *testing.T, u userstore.User) {
				assert.Equal(t, "Jane", u.GivenName)
				assert.Empty(t, u.FamilyName)
			}},
		{"add complex merges", `{"op":"add","path":"name","value":{"givenName":"Jane"}}`,
			func(t *testing.T, u userstore.User) {
				assert.Equal(t, "Jane", u.GivenName)
				assert.Equal(t, "Doe", u.FamilyName)
			}},
		{"replace filtered sub-attribute", `{"op":"replace","path":"phoneNumbers[type eq \"work\"].value","value":"+1 666"}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "+1 666", u.Phone) }},
		{"remove filtered", `{"op":"remove","path":"emails[type eq \"work\"]"}`,
			func(t *testing.T, u userstore.User) { assert.Empty(t, u.Email) }},
		{"remove filtered, no match", `{"op":"remove","path":"emails[type eq \"home\"]"}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "j@work.example", u.Email) }},
		{"replace multi-valued", `{"op":"replace","path":"emails","value":[{"value":"new@x","primary":true}]}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "new@x", u.Email) }},
		{"add multi-valued keeps the primary", `{"op":"add","path":"emails","value":[{"value":"home@x","type":"home"}]}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "j@work.example", u.Email) }},
		{"extension attribute", `{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "R&D", u.Attributes["enterprise.department"]) }},
		{"extension sub-attribute", `{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m1"}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "m1", u.Attributes["enterprise.manager"]) }},
		{"no path, extension object", `{"op":"add","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"costCenter":"42"}}}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "42", u.Attributes["enterprise.costCenter"]) }},
		{"no path, several", `{"op":"replace","value":{"userName":"jdoe2","active":false}}`,
			func(t *testing.T, u userstore.User) {
				assert.Equal(t, "jdoe2", u.Username)
				assert.False(t, u.Enabled)
			}},
		{"replace externalId", `{"op":"replace","path":"externalId","value":"e2"}`,
			func(t *testing.T, u userstore.User) { assert.Equal(t, "e2", u.ExternalID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, memstore.New(), scim.Config{})
			u, err := s.store.CreateUser(context.Background(), start)
			require.NoError(t, err)
			r := s.do(http.MethodPatch, "/Users/"+u.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+tt.ops+`]}`)
			require.Equal(t, http.StatusOK, r.status, r.raw)
			got, err := s.store.GetUser(context.Background(), u.ID)
			require.NoError(t, err)
			tt.check(t, got)
			assert.Equal(t, u.ID, got.ID)
			assert.Equal(t, "scim", got.Source)
		})
	}
}

// TestNoChangeNoWrite checks that a PATCH that changes nothing does not
// move the version.
func TestNoChangeNoWrite(t *testing.T) {
	t.Parallel()
	s := newServer(t, memstore.New(), scim.Config{})
	u, err := s.store.CreateUser(context.Background(), userstore.User{Username: "x", Enabled: true})
	require.NoError(t, err)
	r := s.do(http.MethodPatch, "/Users/"+u.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":true}]}`)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, `W/"1"`, r.header.Get("ETag"))
}
