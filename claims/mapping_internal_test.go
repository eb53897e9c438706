package claims

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
)

func TestMappingCompileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		m    Mapping
		want []string // every one must be in the error
	}{
		{"two keys to one field", Mapping{Claims: map[string]string{"mail": FieldEmail, "email": FieldEmail}},
			[]string{`claims "email" and "mail" both map to field "email"`}},
		{"field names are case-sensitive", Mapping{Claims: map[string]string{"email": "Email"}},
			[]string{`claim "email" maps to unknown field "Email"`}},
		{"unknown field", Mapping{Claims: map[string]string{"x": "shoeSize"}}, []string{`unknown field "shoeSize"`}},
		{"empty attribute", Mapping{Claims: map[string]string{"x": AttributePrefix}}, []string{`unknown field "attributes."`}},
		{"empty claim key", Mapping{Claims: map[string]string{" ": FieldPhone}}, []string{"empty claim key"}},
		{"two attributes", Mapping{Claims: map[string]string{"dept": "attributes.department", "department": "attributes.department"}},
			[]string{`claims "department" and "dept" both map to field "attributes.department"`}},
		{"bad role", Mapping{GroupRoles: map[string][]string{"g": {" admin"}}}, []string{`group "g" has an empty or space-padded role`}},
		{"bad default role", Mapping{DefaultRoles: []string{""}}, []string{"DefaultRoles: empty"}},
		{"every problem at once", Mapping{Claims: map[string]string{"a": "A", "b": FieldPhone, "c": FieldPhone}},
			[]string{`unknown field "A"`, `claims "b" and "c"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.m.compile()
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestMappingUser(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		m      Mapping
		claims map[string]any
		want   userstore.User
		err    error
	}{
		{"defaults", Mapping{}, map[string]any{
			"sub": "s1", "given_name": "Ada", "family_name": "Lovelace", "name": "Ada L", "email": "ada@example.com",
			"email_verified": true, "phone_number": "+3712000000", "preferred_username": "ada",
		}, userstore.User{
			ExternalID: "s1", GivenName: "Ada", FamilyName: "Lovelace", DisplayName: "Ada L", Email: "ada@example.com",
			EmailVerified: true, Phone: "+3712000000", Username: "ada", Source: "idp",
		}, nil},
		{"custom table and attributes", Mapping{Claims: map[string]string{
			"employeeId": FieldMasterID, "samAccountName": FieldUsername, "first": FieldFirstName,
			"mobile": FieldPhone, "mail": FieldEmail, "dept": "attributes.department", "level": "attributes.level",
			"tags": "attributes.tags",
		}}, map[string]any{
			"sub": "s1", "employeeId": "E-7", "samAccountName": `CORP\ada`, "first": "Ada", "mobile": "+1",
			"mail": "a@x", "dept": "R&D", "level": float64(3), "tags": []any{"a", "b"}, "given_name": "ignored",
		}, userstore.User{
			ExternalID: "E-7", Username: `CORP\ada`, GivenName: "Ada", Phone: "+1", Email: "a@x", Source: "idp",
			Attributes: map[string]string{"department": "R&D", "level": "3", "tags": "a,b"},
		}, nil},
		{"id from unique_name", Mapping{IDClaim: "unique_name", Claims: map[string]string{}},
			map[string]any{"sub": "s1", "unique_name": "ada@corp.example"},
			userstore.User{ExternalID: "ada@corp.example", Username: "ada@corp.example", Source: "idp"}, nil},
		{"id claim missing falls back to sub", Mapping{IDClaim: "unique_name", Claims: map[string]string{}},
			map[string]any{"sub": "s1"}, userstore.User{ExternalID: "s1", Username: "s1", Source: "idp"}, nil},
		{"username from email", Mapping{Claims: map[string]string{}},
			map[string]any{"sub": "s1", "email": "a@x"}, userstore.User{ExternalID: "s1", Username: "a@x", Source: "idp"}, nil},
		{"no id", Mapping{}, map[string]any{"email": "a@x"}, userstore.User{}, ErrToken},
		{"object claim", Mapping{}, map[string]any{"sub": "s", "email": map[string]any{"x": 1}}, userstore.User{}, ErrToken},
		{"value too long", Mapping{}, map[string]any{"sub": "s", "name": strings.Repeat("x", MaxValueLength+1)}, userstore.User{}, ErrToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := tc.m.compile()
			require.NoError(t, err)
			u, err := m.user(tc.claims, "idp")
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
				assert.ErrorIs(t, err, ErrRefused)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, u)
		})
	}
}

func TestMappingRoles(t *testing.T) {
	t.Parallel()
	groupRoles := map[string][]string{
		"admins": {"admin", "user"}, "staff": {"user"},
		"6f1c0a4e-0000-4000-8000-000000000001": {"auditor"},
	}
	for _, tc := range []struct {
		name     string
		defaults []string
		groups   []string
		want     []string
		warn     bool
	}{
		{"union without duplicates, sorted", nil, []string{"staff", "admins"}, []string{"admin", "user"}, false},
		{"by ID", nil, []string{"6f1c0a4e-0000-4000-8000-000000000001", "staff"}, []string{"auditor", "user"}, false},
		{"group names are exact", nil, []string{"Admins"}, nil, true},
		{"no mapped group, default roles", []string{"guest"}, []string{"other"}, []string{"guest"}, false},
		{"no groups at all, no defaults: the admin is told", nil, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := Mapping{GroupRoles: groupRoles, DefaultRoles: tc.defaults}.compile()
			require.NoError(t, err)
			roles, warning := m.roles(tc.groups)
			assert.Equal(t, tc.want, roles)
			assert.Equal(t, tc.warn, warning != "", warning)
		})
	}
	// Without any group mapping there are no roles and nothing to tell.
	m, err := Mapping{}.compile()
	require.NoError(t, err)
	roles, warning := m.roles([]string{"x"})
	assert.Nil(t, roles)
	assert.Empty(t, warning)
}
