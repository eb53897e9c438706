package scim_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/scim"
)

// TestEntraIDCompatibility sends the PATCH bodies Microsoft Learn documents
// for Entra ID without and with its aadOptscim062020 flag
// (testdata/entra-compat.txt): both forms must have the same effect.
func TestEntraIDCompatibility(t *testing.T) {
	t.Parallel()
	doc := sections(t, "entra-compat.txt")
	for _, flag := range []string{"without-flag", "with-flag"} {
		for _, st := range stores[:2] {
			t.Run(flag+"/"+st.Name, func(t *testing.T) {
				t.Parallel()
				s := newServer(t, st.Open(t), scim.Config{})
				ctx := context.Background()
				u, err := s.store.CreateUser(ctx, userstore.User{Username: "pvlo", Email: "old@test.microsoft.com", Enabled: true, Source: "scim", ExternalID: "x"})
				require.NoError(t, err)
				// The documented member IDs, as users of the group.
				member := "u1091"
				if flag == "with-flag" {
					member = "7f4bc1a3-285e-48ae-8202-5accb43efb0e"
				}
				m, err := s.store.CreateUser(ctx, userstore.User{ID: member, Username: "member", Enabled: true})
				require.NoError(t, err)
				_, err = s.store.CreateGroup(ctx, userstore.Group{Name: "g"})
				require.NoError(t, err)
				require.NoError(t, s.store.AddMember(ctx, "g", m.ID))

				r := s.do(http.MethodPatch, "/Users/"+u.ID, doc["add-nickname."+flag])
				require.Equal(t, http.StatusOK, r.status, r.raw)

				r = s.do(http.MethodPatch, "/Users/"+u.ID, doc["replace-multiple."+flag])
				require.Equal(t, http.StatusOK, r.status, r.raw)

				r = s.do(http.MethodPatch, "/Users/"+u.ID, doc["disable-user."+flag])
				require.Equal(t, http.StatusOK, r.status, r.raw)

				got, err := s.store.GetUser(ctx, u.ID)
				require.NoError(t, err)
				assert.False(t, got.Enabled)
				assert.Equal(t, "Babs", got.Attributes["nickName"])
				if flag == "without-flag" {
					assert.Equal(t, "Pvlo", got.DisplayName)
					assert.Equal(t, "TestBcwqnm@test.microsoft.com", got.Email)
					assert.Equal(t, "Gtfd", got.GivenName)
					assert.Equal(t, "Pkqf", got.FamilyName)
					assert.Equal(t, "Eqpj", got.ExternalID)
					assert.Equal(t, "Eqpj", got.Attributes["enterprise.employeeNumber"])
				} else {
					assert.Equal(t, "Bjfe", got.DisplayName)
					assert.Equal(t, "TestMhvaes@test.microsoft.com", got.Email)
					assert.Equal(t, "Kkom", got.GivenName)
					assert.Equal(t, "Unua", got.FamilyName)
					assert.Equal(t, "Aklq", got.Attributes["enterprise.employeeNumber"])
				}

				r = s.do(http.MethodPatch, "/Groups/g", doc["remove-member."+flag])
				require.Equal(t, http.StatusNoContent, r.status, r.raw)
				assert.Empty(t, memberIDs(t, s.store, "g"))
			})
		}
	}
}
