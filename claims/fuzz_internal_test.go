package claims

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzMapClaims: any JSON object of claims (what a provider sends) maps to
// a user or is refused as ErrToken; it never panics and never yields a
// value over MaxValueLength or a user without an ID.
func FuzzMapClaims(f *testing.F) {
	for _, s := range []string{
		`{"sub":"s","email":"a@x","given_name":"A","groups":["g1","g2"]}`,
		`{"sub":"s","name":["a",1,true],"email":{"x":1}}`,
		`{"unique_name":"u@x","groups":"one"}`,
		`{"sub":"","preferred_username":"p","groups":[1]}`,
		`{"sub":"s","_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"x"}}}`,
	} {
		f.Add(s)
	}
	m, err := Mapping{
		IDClaim:    "unique_name",
		Claims:     map[string]string{"email": FieldEmail, "name": FieldDisplayName, "dept": AttributePrefix + "department", "given_name": FieldFirstName},
		GroupRoles: map[string][]string{"g1": {"a"}, "g2": {"b", "a"}},
	}.compile()
	if err != nil {
		f.Fatal(err)
	}
	c := &Client{m: m}
	f.Fuzz(func(t *testing.T, doc string) {
		var claims map[string]any
		if json.Unmarshal([]byte(doc), &claims) != nil || claims == nil {
			return
		}
		u, err := m.user(claims, "idp")
		if err != nil {
			if !errors.Is(err, ErrToken) {
				t.Fatalf("refused without ErrToken: %v", err)
			}
		} else {
			if u.ExternalID == "" || u.Username == "" {
				t.Fatalf("user without ID or username: %+v", u)
			}
			for _, v := range []string{u.Email, u.DisplayName, u.GivenName, u.Attributes["department"]} {
				if len(v) > MaxValueLength {
					t.Fatalf("value of %d bytes", len(v))
				}
			}
		}
		groups, err := c.resolveGroups(t.Context(), claims)
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("groups refused without ErrRefused: %v", err)
			}
			return
		}
		roles, _ := m.roles(groups)
		for i := 1; i < len(roles); i++ {
			if roles[i-1] >= roles[i] {
				t.Fatalf("roles not sorted and unique: %v", roles)
			}
		}
	})
}
