package userstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

func TestProtectManaged(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) userstore.Store{
		"memstore": func(t *testing.T) userstore.Store {
			s := memstore.New()
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
		"SQLite": func(t *testing.T) userstore.Store {
			s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "u.db"))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			raw := open(t)
			local := userstore.ProtectManaged(raw, "scim", "example.test")
			synced, err := raw.CreateUser(ctx, userstore.User{Username: "ann", Source: "scim", ExternalID: "e1", Enabled: true})
			require.NoError(t, err)
			mine, err := local.CreateUser(ctx, userstore.User{Username: "lou", Enabled: true})
			require.NoError(t, err, "local users are created as usual")
			staff, err := raw.CreateGroup(ctx, userstore.Group{Name: "staff"})
			require.NoError(t, err)

			renamed := synced
			renamed.DisplayName = "Changed here"
			adopted := mine
			adopted.Source, adopted.ExternalID = "example.test", "x"
			for op, err := range map[string]error{
				"create": func() error {
					_, err := local.CreateUser(ctx, userstore.User{Username: "zed", Source: "example.test", ExternalID: "z"})
					return err
				}(),
				"update":        func() error { _, err := local.UpdateUser(ctx, renamed); return err }(),
				"adopt":         func() error { _, err := local.UpdateUser(ctx, adopted); return err }(),
				"delete":        local.DeleteUser(ctx, synced.ID),
				"add member":    local.AddMember(ctx, "staff", synced.ID),
				"remove member": local.RemoveMember(ctx, "staff", synced.ID),
				"set groups":    local.SetUserGroups(ctx, synced.ID, []string{"staff"}),
				"group update adding": func() error {
					_, err := local.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: staff, AddMembers: []string{mine.ID, synced.ID}})
					return err
				}(),
				"group update removing": func() error {
					_, err := local.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: staff, RemoveMembers: []string{synced.ID}})
					return err
				}(),
			} {
				assert.ErrorIs(t, err, userstore.ErrManaged, op)
			}
			got, err := raw.GetUser(ctx, synced.ID)
			require.NoError(t, err)
			assert.Equal(t, synced, got, "nothing was written")
			_, err = raw.GetUserByUsername(ctx, "zed")
			assert.ErrorIs(t, err, userstore.ErrNotFound)

			// Local users stay editable through the view; the source keeps
			// writing its users through the store itself.
			mine.DisplayName = "Lou"
			_, err = local.UpdateUser(ctx, mine)
			require.NoError(t, err)
			require.NoError(t, local.SetUserGroups(ctx, mine.ID, []string{"staff"}))
			staff.Name = "Staff (renamed)"
			_, err = local.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: staff, RemoveMembers: []string{mine.ID}})
			require.NoError(t, err, "groups, and local users' memberships, stay editable")
			renamed.Version = got.Version
			_, err = raw.UpdateUser(ctx, renamed)
			require.NoError(t, err)
			_, isSyncWriter := local.(userstore.SyncWriter)
			assert.False(t, isSyncWriter, "the view offers no sync path")
			assert.Same(t, raw, userstore.ProtectManaged(raw), "no sources: the store itself")
		})
	}
}

// An admin page edits through a view in which the users that SCIM and the
// directory sync manage are read-only.
func ExampleProtectManaged() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	ann, _ := store.CreateUser(ctx, userstore.User{Username: "ann", Source: "scim", ExternalID: "00u1", Enabled: true})

	admin := userstore.ProtectManaged(store, "scim", "example.test")
	ann.DisplayName = "Ann (edited by an admin)"
	_, err := admin.UpdateUser(ctx, ann)
	fmt.Println(err)
	// Output:
	// userstore: update user: the user comes from "scim", which manages it: userstore: user is managed by its source
}
