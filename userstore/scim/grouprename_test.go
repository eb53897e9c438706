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

// TestGroupPatchIsOneWrite sends a PATCH that renames a group, changes its
// externalId and adds and removes members: one version-checked write, whose
// change events follow one another, and whose id stays the same.
func TestGroupPatchIsOneWrite(t *testing.T) {
	t.Parallel()
	for _, st := range stores {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, st.Open(t), scim.Config{})
			ctx := context.Background()
			a, err := s.store.CreateUser(ctx, userstore.User{Username: "a", Enabled: true})
			require.NoError(t, err)
			b, err := s.store.CreateUser(ctx, userstore.User{Username: "b", Enabled: true})
			require.NoError(t, err)
			g, err := s.store.CreateGroup(ctx, userstore.Group{Name: "before"})
			require.NoError(t, err)
			require.NoError(t, s.store.AddMember(ctx, "before", a.ID))
			var seq int64
			for c, err := range s.store.Changes(ctx, 0) {
				require.NoError(t, err)
				seq = c.Seq
			}

			r := s.do(http.MethodPatch, "/Groups/"+g.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"replace","path":"displayName","value":"after"},
				{"op":"replace","path":"externalId","value":"ext-1"},
				{"op":"add","path":"members","value":[{"value":"`+b.ID+`"}]},
				{"op":"remove","path":"members[value eq \"`+a.ID+`\"]"}]}`, "If-Match", `W/"1"`)
			require.Equal(t, http.StatusNoContent, r.status, r.raw)

			got, err := s.store.GetGroupByID(ctx, g.ID)
			require.NoError(t, err)
			assert.Equal(t, "after", got.Name)
			assert.Equal(t, "ext-1", got.Metadata["externalId"])
			assert.Equal(t, int64(2), got.Version)
			assert.Equal(t, []string{b.ID}, memberIDs(t, s.store, g.ID))
			var kinds []userstore.ChangeKind
			for c, err := range s.store.Changes(ctx, seq) {
				require.NoError(t, err)
				kinds = append(kinds, c.Kind)
				assert.Equal(t, g.ID, c.GroupID)
			}
			assert.Equal(t, []userstore.ChangeKind{userstore.GroupUpdated, userstore.MemberRemoved, userstore.MemberAdded}, kinds)

			// The old ETag is stale now: 412, nothing changes.
			r = s.do(http.MethodPatch, "/Groups/"+g.ID, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"replace","path":"displayName","value":"again"}]}`, "If-Match", `W/"1"`)
			require.Equal(t, http.StatusPreconditionFailed, r.status, r.raw)

			// The id is found by filter, and a name still works as an id
			// (ids of releases before group IDs).
			r = s.do(http.MethodGet, "/Groups?"+filterQuery(`id eq "`+g.ID+`"`), "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.EqualValues(t, 1, r.body["totalResults"])
			r = s.do(http.MethodGet, "/Groups/after", "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.Equal(t, g.ID, r.body["id"])

			// PUT renames too.
			r = s.do(http.MethodPut, "/Groups/"+g.ID, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"put name","members":[{"value":"`+a.ID+`"}]}`)
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.Equal(t, "put name", r.body["displayName"])
			assert.Equal(t, g.ID, r.body["id"])
			assert.Equal(t, []string{a.ID}, memberIDs(t, s.store, g.ID))
		})
	}
}
