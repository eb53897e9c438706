package push_test

import (
	"context"
	"testing"

	"github.com/elimity-com/scim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/scim/push"
)

// TestFollower_Rename renames a pushed group: the follower renames the same
// downstream group (same downstream id, externalId the group's ID), by PUT
// or, with PatchMembers, by PATCH, and creates no other.
func TestFollower_Rename(t *testing.T) {
	for _, b := range backends {
		for _, members := range []push.MembersMode{push.ReplaceMembers, push.PatchMembers} {
			t.Run(b.Name+"/"+string(members), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				s := b.Open(t)
				defer s.Close()
				p := newProvider(t, testToken)
				f := newFollower(t, p, s, &push.MemoryCursors{}, push.Config{Members: members})
				alice := createUser(t, s, "alice")
				g, err := s.CreateGroup(ctx, userstore.Group{Name: "Before"})
				require.NoError(t, err)
				require.NoError(t, s.AddMember(ctx, "Before", alice.ID))
				drain(t, f)
				d, ok := p.groups.byExternalID(t)[g.ID]
				require.True(t, ok, "group pushed under its ID")
				downstreamID := d["id"]
				puts, patches := p.groupPut.Load(), p.groupPat.Load()

				// Rename, and in the same batch add a member under the
				// new name.
				bob := createUser(t, s, "bob")
				g.Name = "After"
				_, err = s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: g, AddMembers: []string{bob.ID}})
				require.NoError(t, err)
				drain(t, f)
				groups := p.groups.snapshot()
				require.Len(t, groups, 1, "the rename made another downstream group")
				for id, a := range groups {
					assert.Equal(t, downstreamID, id, "the rename moved to another downstream group")
					assert.Equal(t, "After", a["displayName"])
					assert.Equal(t, g.ID, a["externalId"])
				}
				assertMirrors(t, p, s, push.Deactivate)
				if members == push.PatchMembers {
					assert.Equal(t, puts, p.groupPut.Load(), "a group was replaced")
					assert.Greater(t, p.groupPat.Load(), patches, "the rename was not patched")
				} else {
					assert.Greater(t, p.groupPut.Load(), puts, "the rename was not put")
				}

				// Deleting the renamed group deletes it downstream.
				require.NoError(t, s.DeleteGroup(ctx, "After"))
				drain(t, f)
				assert.Empty(t, p.groups.snapshot())
			})
		}
	}
}

// TestFollower_TakesOverLegacyGroups checks that a downstream group pushed
// by a release before group IDs (externalId: the normalized name) is taken
// over — its externalId becomes the group's ID — rather than duplicated.
func TestFollower_TakesOverLegacyGroups(t *testing.T) {
	for _, members := range []push.MembersMode{push.ReplaceMembers, push.PatchMembers} {
		t.Run(string(members), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := backends[0].Open(t)
			defer s.Close()
			p := newProvider(t, testToken)
			f := newFollower(t, p, s, &push.MemoryCursors{}, push.Config{Members: members})
			g, err := s.CreateGroup(ctx, userstore.Group{Name: "Legacy Team"})
			require.NoError(t, err)
			p.groups.mu.Lock()
			p.groups.data["sp-legacy"] = scim.ResourceAttributes{
				"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Legacy Team",
				"externalId": userstore.NormalizeUsername("Legacy Team"), "members": []any{},
			}
			p.groups.mu.Unlock()
			drain(t, f)
			groups := p.groups.snapshot()
			require.Len(t, groups, 1, "the legacy group was duplicated")
			assert.Equal(t, g.ID, groups["sp-legacy"]["externalId"])

			// Reconcile keeps it.
			require.NoError(t, f.Reconcile(ctx))
			assert.Len(t, p.groups.snapshot(), 1)
			assertMirrors(t, p, s, push.Deactivate)
		})
	}
}

// TestFollower_RenameAfterBatch renames a group whose memberships a
// SyncWriter batch wrote (sqlstore records those changes without a group
// ID), before and after the follower pushed them: one downstream group, with
// the new name.
func TestFollower_RenameAfterBatch(t *testing.T) {
	for _, b := range backends {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := b.Open(t)
			defer s.Close()
			w, ok := s.(userstore.SyncWriter)
			if !ok {
				t.Skip("no SyncWriter")
			}
			p := newProvider(t, testToken)
			f := newFollower(t, p, s, &push.MemoryCursors{}, push.Config{})
			for i, pushFirst := range []bool{true, false} {
				name := []string{"Synced", "Unpushed"}[i]
				_, err := w.UpsertSynced(ctx, []userstore.SyncedUser{{
					User:   userstore.User{Username: "dir-" + name, Enabled: true, Source: "dir", ExternalID: name},
					Groups: []string{name},
				}})
				require.NoError(t, err)
				if pushFirst {
					drain(t, f)
				}
				g, err := s.GetGroup(ctx, name)
				require.NoError(t, err)
				g.Name = name + " (renamed)"
				_, err = s.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: g})
				require.NoError(t, err)
				drain(t, f)
				d, ok := p.groups.byExternalID(t)[g.ID]
				require.True(t, ok, "group %s not downstream", g.Name)
				assert.Equal(t, g.Name, d["displayName"])
				assert.Len(t, d["members"], 1, "members of %s", g.Name)
			}
			assert.Len(t, p.groups.snapshot(), 2)
		})
	}
}
