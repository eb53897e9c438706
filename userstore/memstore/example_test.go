package memstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

func Example() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()

	alice, err := store.CreateUser(ctx, userstore.User{Username: "Alice", Email: "alice@example.com", Enabled: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.SetUserGroups(ctx, alice.ID, []string{"staff", "admins"}); err != nil {
		fmt.Println(err)
		return
	}

	// Usernames are unique without regard to case.
	_, err = store.CreateUser(ctx, userstore.User{Username: "ALICE"})
	fmt.Println("duplicate is a conflict:", errors.Is(err, userstore.ErrConflict))

	u, err := store.GetUserByUsername(ctx, "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Username, u.Groups, u.Version)

	// An update with a stale version is refused.
	u.DisplayName = "Alice Liddell"
	if _, err := store.UpdateUser(ctx, u); err != nil {
		fmt.Println(err)
		return
	}
	_, err = store.UpdateUser(ctx, u)
	fmt.Println("stale update is refused:", errors.Is(err, userstore.ErrVersionConflict))

	for c, err := range store.Changes(ctx, 0) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if c.Group != "" {
			fmt.Println(c.Seq, c.Kind, c.Group)
		} else {
			fmt.Println(c.Seq, c.Kind)
		}
	}
	// Output:
	// duplicate is a conflict: true
	// Alice [admins staff] 1
	// stale update is refused: true
	// 1 user.created
	// 2 group.created admins
	// 3 member.added admins
	// 4 group.created staff
	// 5 member.added staff
	// 6 user.updated
}

// Users hold roles; groups keep their ID when renamed, and so do their
// memberships.
func Example_rolesAndGroupRename() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()

	bob, err := store.CreateUser(ctx, userstore.User{Username: "bob", Roles: []string{"viewer", "admin", "viewer"}, Enabled: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bob.Roles)

	g, err := store.CreateGroup(ctx, userstore.Group{Name: "Ops"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.AddMember(ctx, "ops", bob.ID); err != nil {
		fmt.Println(err)
		return
	}
	g.Name = "Operations"
	renamed, err := store.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: g})
	if err != nil {
		fmt.Println(err)
		return
	}
	bob, _ = store.GetUser(ctx, bob.ID)
	fmt.Println(renamed.ID == g.ID, renamed.Name, renamed.Version, bob.Groups)

	// The version read is checked: a second rename from the same read is
	// refused, and so is a name another group has.
	g.Name = "Other"
	_, err = store.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: g})
	fmt.Println("stale rename is refused:", errors.Is(err, userstore.ErrVersionConflict))
	// Output:
	// [admin viewer]
	// true Operations 2 [Operations]
	// stale rename is refused: true
}
