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
	"github.com/usher-sdk/usher/userstore/scim"
)

func filterQuery(f string) string { return "filter=" + url.QueryEscape(f) }

// TestEntraIDSequence replays the requests Microsoft Learn documents for
// Entra ID's provisioning service (testdata/entra.txt) and compares the
// answers with the documented responses. IDs, meta and the values the page
// itself gives differently from one example to the next (externalId, the
// other users of the later examples) are left out of the comparison.
func TestEntraIDSequence(t *testing.T) {
	t.Parallel()
	doc := sections(t, "entra.txt")
	for _, st := range stores {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, st.Open(t), scim.Config{})
			ctx := context.Background()

			// Create User: 201 with the documented body.
			r := s.do(http.MethodPost, "/Users", doc["create-user.request"])
			require.Equal(t, http.StatusCreated, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["create-user.response"]), "id", "meta"), r.body, "create")
			id, _ := r.body["id"].(string)
			require.NotEmpty(t, id)
			assert.Equal(t, `W/"1"`, r.header.Get("ETag"))
			u, err := s.store.GetUser(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, "scim", u.Source)
			assert.Equal(t, "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", u.ExternalID)
			assert.True(t, u.Enabled)

			// Get User by query: the user, in a list response.
			r = s.do(http.MethodGet, "/Users?"+filterQuery(`userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"`), "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["get-user-by-query.response"]),
				"Resources.id", "Resources.externalId", "Resources.meta", "itemsPerPage"), r.body, "query")

			// Get User by query, zero results.
			r = s.do(http.MethodGet, "/Users?"+filterQuery(`userName eq "non-existent user"`), "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["get-user-by-query-zero.response"]), "itemsPerPage"), r.body, "zero")

			// The same by externalId.
			r = s.do(http.MethodGet, "/Users?"+filterQuery(`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`), "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.EqualValues(t, 1, r.body["totalResults"])

			// Update User [Multi-valued properties]. Usher keeps
			// name.formatted as sent; it does not recompute it.
			r = s.do(http.MethodPatch, "/Users/"+id, doc["update-user-multi.request"])
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["update-user-multi.response"]), "id", "externalId", "meta", "name.formatted"), r.body, "patch multi")
			assert.Equal(t, `W/"2"`, r.header.Get("ETag"))
			u, err = s.store.GetUser(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, "updatedEmail@microsoft.com", u.Email)
			assert.Equal(t, "updatedFamilyName", u.FamilyName)

			// Update User [Single-valued properties].
			r = s.do(http.MethodPatch, "/Users/"+id, doc["update-user-single.request"])
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["update-user-single.response"]),
				"id", "externalId", "meta", "name", "emails"), r.body, "patch single")

			// Disable User: the documented response is of another user;
			// active is what it shows.
			r = s.do(http.MethodPatch, "/Users/"+id, doc["disable-user.request"])
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.Equal(t, false, r.body["active"])
			u, err = s.store.GetUser(ctx, id)
			require.NoError(t, err)
			assert.False(t, u.Enabled)
			assert.Equal(t, "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com", u.Username)

			// Create Group.
			r = s.do(http.MethodPost, "/Groups", doc["create-group.request"])
			require.Equal(t, http.StatusCreated, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["create-group.response"]), "id", "meta"), r.body, "create group")
			gid, _ := r.body["id"].(string)
			created, err := s.store.GetGroupByID(ctx, gid)
			require.NoError(t, err, "a group's SCIM id is its stable ID")
			assert.Equal(t, "displayName", created.Name)

			// Get Group by displayName.
			r = s.do(http.MethodGet, "/Groups?excludedAttributes=members&"+filterQuery(`displayName eq "displayName"`), "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.EqualValues(t, 1, r.body["totalResults"])

			// Update Group [Add Members], with our user's ID for the
			// page's: 204, and the user is a member.
			r = s.do(http.MethodPatch, "/Groups/"+gid, strings.ReplaceAll(doc["update-group-add-members.request"], "f648f8d5ea4e4cd38e9c", id))
			require.Equal(t, http.StatusNoContent, r.status, r.raw)
			assert.Equal(t, []string{id}, memberIDs(t, s.store, gid))

			// Update Group [Remove Members]: 204, no members.
			r = s.do(http.MethodPatch, "/Groups/"+gid, strings.ReplaceAll(doc["update-group-remove-members.request"], "f648f8d5ea4e4cd38e9c", id))
			require.Equal(t, http.StatusNoContent, r.status, r.raw)
			assert.Empty(t, memberIDs(t, s.store, gid))

			// Update Group [Non-member attributes]: 204, as the page
			// documents; the group is renamed and keeps its id and its
			// members.
			require.NoError(t, s.store.AddMember(ctx, "displayName", id))
			r = s.do(http.MethodPatch, "/Groups/"+gid, doc["update-group-rename.request"])
			require.Equal(t, http.StatusNoContent, r.status, r.raw)
			renamed, err := s.store.GetGroupByID(ctx, gid)
			require.NoError(t, err)
			assert.Equal(t, "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName", renamed.Name)
			assert.Equal(t, created.Version+1, renamed.Version)
			assert.Equal(t, []string{id}, memberIDs(t, s.store, gid))
			r = s.do(http.MethodGet, "/Groups/"+gid, "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.Equal(t, renamed.Name, r.body["displayName"])
			assert.Equal(t, gid, r.body["id"])
			_, err = s.store.GetGroup(ctx, "displayName")
			require.ErrorIs(t, err, userstore.ErrNotFound, "the old name is gone")

			// Delete Group, Delete User: 204.
			r = s.do(http.MethodDelete, "/Groups/"+gid, "")
			require.Equal(t, http.StatusNoContent, r.status, r.raw)
			r = s.do(http.MethodDelete, "/Users/"+id, "")
			require.Equal(t, http.StatusNoContent, r.status, r.raw)
			r = s.do(http.MethodGet, "/Users/"+id, "")
			require.Equal(t, http.StatusNotFound, r.status, r.raw)
			assert.Equal(t, []any{"urn:ietf:params:scim:api:messages:2.0:Error"}, r.body["schemas"])
		})
	}
}

// TestOktaSequence replays the requests Okta's SCIM 2.0 reference documents
// (testdata/okta.txt).
func TestOktaSequence(t *testing.T) {
	t.Parallel()
	doc := sections(t, "okta.txt")
	for _, st := range stores {
		t.Run(st.Name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, st.Open(t), scim.Config{})
			ctx := context.Background()

			// Okta first looks the user up: none.
			r := s.do(http.MethodGet, "/Users?"+filterQuery(`userName eq "test.user@okta.local"`)+"&startIndex=1&count=100", "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["find-user-zero.response"]), "itemsPerPage"), r.body, "find")

			// Create the User. Usher does not return groups (read-only,
			// from the group endpoint) and ignores the password.
			r = s.do(http.MethodPost, "/Users", doc["create-user.request"])
			require.Equal(t, http.StatusCreated, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["create-user.response"]), "id", "meta", "groups"), r.body, "create")
			id, _ := r.body["id"].(string)
			u, err := s.store.GetUser(ctx, id)
			require.NoError(t, err)
			assert.Empty(t, u.PasswordHash)
			assert.Equal(t, "00ujl29u0le5T6Aj10h7", u.ExternalID)
			assert.Equal(t, "en-US", u.Attributes["locale"])

			// A second create of the same user is a 409 conflict.
			r = s.do(http.MethodPost, "/Users", doc["create-user.request"])
			require.Equal(t, http.StatusConflict, r.status, r.raw)
			assert.Equal(t, "uniqueness", r.body["scimType"])

			// Retrieve a specific User.
			r = s.do(http.MethodGet, "/Users/"+id, "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.Equal(t, "test.user@okta.local", r.body["userName"])

			// Update a specific User (PUT), with the ETag just read.
			etag := r.header.Get("ETag")
			r = s.do(http.MethodPut, "/Users/"+id, strings.ReplaceAll(doc["update-user.request"], "23a35c27-23d3-4c03-b4c5-6443c09e7173", id), "If-Match", etag)
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["update-user.response"]), "id", "meta", "groups", "emails.display"), r.body, "put")

			// Deactivate: PATCH replace with a value object.
			r = s.do(http.MethodPatch, "/Users/"+id, doc["deactivate-user.request"])
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.Equal(t, false, r.body["active"])
			u, err = s.store.GetUser(ctx, id)
			require.NoError(t, err)
			assert.False(t, u.Enabled)
			assert.Equal(t, "Another", u.GivenName)

			// A second user for the membership examples.
			r = s.do(http.MethodPost, "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"second@okta.local"}`)
			require.Equal(t, http.StatusCreated, r.status, r.raw)
			id2, _ := r.body["id"].(string)

			// Create Groups.
			r = s.do(http.MethodPost, "/Groups", doc["create-group.request"])
			require.Equal(t, http.StatusCreated, r.status, r.raw)
			assertSubset(t, without(parseLoose(t, doc["create-group.response"]), "id", "meta"), r.body, "create group")
			gid, _ := r.body["id"].(string)
			gpath := "/Groups/" + url.PathEscape(gid)

			r = s.do(http.MethodGet, gpath, "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.Equal(t, "Test SCIMv2", r.body["displayName"])

			// Update a specific Group name (the same name, with the id in
			// the value): accepted, 204.
			r = s.do(http.MethodPatch, gpath, doc["update-group-name.request"])
			require.Equal(t, http.StatusNoContent, r.status, r.raw)

			// Full push of the membership with replace.
			ids := strings.NewReplacer("23a35c27-23d3-4c03-b4c5-6443c09e7173", id, "89bb1940-b905-4575-9e7f-6f887cfb368e", id2)
			r = s.do(http.MethodPatch, gpath, ids.Replace(doc["replace-members.request"]))
			require.Equal(t, http.StatusNoContent, r.status, r.raw)
			assert.ElementsMatch(t, []string{id, id2}, memberIDs(t, s.store, gid))

			// Update specific Group membership: remove by filter, add.
			r = s.do(http.MethodPatch, gpath, ids.Replace(doc["update-membership.request"]))
			require.Equal(t, http.StatusNoContent, r.status, r.raw)
			assert.Equal(t, []string{id}, memberIDs(t, s.store, gid))

			// Paging over users: two users, one per page.
			r = s.do(http.MethodGet, "/Users?startIndex=2&count=1", "")
			require.Equal(t, http.StatusOK, r.status, r.raw)
			assert.EqualValues(t, 2, r.body["totalResults"])
			assert.Len(t, r.body["Resources"], 1)

			// Delete a specific Group.
			r = s.do(http.MethodDelete, gpath, "")
			require.Equal(t, http.StatusNoContent, r.status, r.raw)
		})
	}
}
