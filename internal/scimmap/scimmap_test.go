package scimmap_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/scimmap"
	"github.com/usher-sdk/usher/userstore"
)

// decode turns a JSON document into the map shape a SCIM library or
// encoding/json gives.
func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m))
	return m
}

func TestUserFromSCIM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		start   userstore.User
		want    userstore.User
		wantErr bool
	}{{
		// The create-user body of Microsoft Learn, "Tutorial: Develop and
		// plan provisioning for a SCIM endpoint in Microsoft Entra ID"
		// (User Operations, Create User), as in userstore/scim/testdata.
		name: "entra create",
		in: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
			"active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}],
			"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}`,
		want: userstore.User{
			Username: "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee", ExternalID: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			Enabled: true, Email: "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
			GivenName: "givenName", FamilyName: "familyName",
			Attributes: map[string]string{"name.formatted": "givenName familyName"},
		},
	}, {
		name: "case-insensitive names, primary e-mail not first, string active",
		in: `{"USERNAME":"a","Active":"False","emails":[{"value":"home@x","type":"home"},{"value":"p@x","primary":true}],
			"phoneNumbers":[{"value":"+1 555","type":"mobile"},{"value":"+1 666","type":"work"}]}`,
		want: userstore.User{Username: "a", Enabled: false, Email: "p@x", Phone: "+1 666"},
	}, {
		name: "absent active is true; enterprise extension; mapped keys replaced, others kept",
		in:   `{"userName":"b","title":"Boss","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":{"value":"m1"}}}`,
		start: userstore.User{ID: "u1", Source: "scim", Version: 3, Email: "old@x",
			Attributes: map[string]string{"nickName": "old", "custom": "kept"}},
		want: userstore.User{ID: "u1", Source: "scim", Version: 3, Username: "b", Enabled: true,
			Attributes: map[string]string{"title": "Boss", "enterprise.department": "R&D", "enterprise.manager": "m1", "custom": "kept"}},
	}, {
		name: "first e-mail when none primary or work", in: `{"userName":"c","emails":[{"value":"1@x"},{"value":"2@x"}]}`,
		want: userstore.User{Username: "c", Email: "1@x", Enabled: true},
	}, {
		name: "userName of the wrong type", in: `{"userName":5}`, wantErr: true,
	}, {
		name: "emails not a list", in: `{"userName":"d","emails":{"value":"x"}}`, wantErr: true,
	}, {
		name: "active not a boolean", in: `{"userName":"d","active":"yes"}`, wantErr: true,
	}, {
		name: "name not an object", in: `{"userName":"d","name":"x"}`, wantErr: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := tt.start
			before := tt.start
			err := scimmap.UserFromSCIM(decode(t, tt.in), &u)
			if tt.wantErr {
				require.ErrorIs(t, err, scimmap.ErrInvalid)
				assert.Equal(t, before, u, "unchanged on error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, u)
		})
	}
}

func TestUserToSCIM(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	u := userstore.User{
		ID: "u1", Username: "jdoe", ExternalID: "e1", GivenName: "John", FamilyName: "Doe", DisplayName: "John Doe",
		Email: "j@x", Phone: "+1", Enabled: false, Version: 7, CreatedAt: at, UpdatedAt: at,
		Attributes: map[string]string{"title": "T", "enterprise.manager": "m", "unmapped": "no"},
	}
	got := scimmap.UserToSCIM(u)
	want := map[string]any{
		"schemas": []any{scimmap.UserSchema, scimmap.EnterpriseUserSchema},
		"id":      "u1", "userName": "jdoe", "externalId": "e1", "active": false, "displayName": "John Doe",
		"name":                       map[string]any{"givenName": "John", "familyName": "Doe"},
		"emails":                     []any{map[string]any{"value": "j@x", "type": "work", "primary": true}},
		"phoneNumbers":               []any{map[string]any{"value": "+1", "type": "work", "primary": true}},
		"title":                      "T",
		scimmap.EnterpriseUserSchema: map[string]any{"manager": map[string]any{"value": "m"}},
		"meta": map[string]any{"resourceType": "User", "created": "2026-12-01T10:00:00Z",
			"lastModified": "2026-12-01T10:00:00Z", "version": `W/"7"`},
	}
	assert.Equal(t, want, got)

	// Round trip: what goes out comes back in.
	var back userstore.User
	back.ID, back.Version, back.CreatedAt, back.UpdatedAt = u.ID, u.Version, u.CreatedAt, u.UpdatedAt
	back.Attributes = map[string]string{"unmapped": "no"}
	raw, err := json.Marshal(got)
	require.NoError(t, err)
	require.NoError(t, scimmap.UserFromSCIM(decode(t, string(raw)), &back))
	assert.Equal(t, u, back)
}

func TestETag(t *testing.T) {
	t.Parallel()
	assert.Equal(t, `W/"12"`, scimmap.ETag(12))
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{`W/"12"`, 12, false}, {`"3"`, 3, false}, {` W/"0" `, 0, false},
		{`12`, 0, true}, {`W/"x"`, 0, true}, {`W/"-1"`, 0, true}, {`"`, 0, true}, {``, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			v, err := scimmap.ParseETag(tt.in)
			if tt.wantErr {
				assert.ErrorIs(t, err, scimmap.ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
		})
	}
}

func TestGroup(t *testing.T) {
	t.Parallel()
	// The group-create body of the Microsoft Learn tutorial.
	in := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
		"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}`
	g, ids, err := scimmap.GroupFromSCIM(decode(t, in))
	require.NoError(t, err)
	assert.Equal(t, userstore.Group{Name: "displayName", Metadata: map[string]string{"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"}}, g)
	assert.Empty(t, ids)

	_, ids, err = scimmap.GroupFromSCIM(decode(t, `{"displayName":"g","members":[{"value":"a"},{"value":"b"},{"value":"a"}]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, ids)

	for _, bad := range []string{`{"displayName":1}`, `{"displayName":"g","members":"a"}`, `{"displayName":"g","members":[{"display":"x"}]}`, `{"displayName":"g","members":[1]}`} {
		_, _, err := scimmap.GroupFromSCIM(decode(t, bad))
		assert.ErrorIs(t, err, scimmap.ErrInvalid, bad)
	}

	out := scimmap.GroupToSCIM(userstore.Group{ID: "0123456789abcdef0123456789abcdef", Name: "g", Version: 2, Metadata: map[string]string{"externalId": "x"}}, []string{"a"})
	assert.Equal(t, map[string]any{
		"schemas": []any{scimmap.GroupSchema}, "id": "0123456789abcdef0123456789abcdef", "displayName": "g", "externalId": "x",
		"members": []any{map[string]any{"value": "a", "type": "User"}},
		"meta":    map[string]any{"resourceType": "Group", "version": `W/"2"`},
	}, out)
}

func TestMemberIDs(t *testing.T) {
	t.Parallel()
	ids, err := scimmap.MemberIDs(map[string]any{"value": "x"})
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, ids)
	ids, err = scimmap.MemberIDs(nil)
	require.NoError(t, err)
	assert.Nil(t, ids)
}
