package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/sqlstore"
)

// Open a SQLite store, add a user to a group and follow the change feed.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "usher-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "users.db"), sqlstore.WithRealm("example"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	alice, err := store.CreateUser(ctx, userstore.User{Username: "Alice", Email: "alice@example.com", Enabled: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := store.SetUserGroups(ctx, alice.ID, []string{"staff"}); err != nil {
		log.Fatal(err)
	}
	_, err = store.CreateUser(ctx, userstore.User{Username: "ALICE"})
	fmt.Println("same name again is a conflict:", errors.Is(err, userstore.ErrConflict))

	got, err := store.GetUserByUsername(ctx, "alice")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Username, got.Groups, got.Version)

	for c, err := range store.Changes(ctx, 0) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d %s alice=%t group=%q\n", c.Seq, c.Kind, c.UserID == alice.ID, c.Group)
	}
	// Output:
	// same name again is a conflict: true
	// Alice [staff] 1
	// 1 user.created alice=true group=""
	// 2 group.created alice=false group="staff"
	// 3 member.added alice=true group="staff"
}

// Rename a group: its ID and members stay, and the change feed names it by
// ID too.
func Example_renameGroup() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "usher-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "users.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	carol, err := store.CreateUser(ctx, userstore.User{Username: "carol", Roles: []string{"auditor"}, Enabled: true})
	if err != nil {
		log.Fatal(err)
	}
	g, err := store.CreateGroup(ctx, userstore.Group{Name: "Finance"})
	if err != nil {
		log.Fatal(err)
	}
	g.Name = "Finance & Controlling"
	_, err = store.UpdateGroupByID(ctx, userstore.GroupUpdate{Group: g, AddMembers: []string{carol.ID}})
	if err != nil {
		log.Fatal(err)
	}
	got, err := store.GetUser(ctx, carol.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Roles, got.Groups)
	byID, err := store.GetGroupByID(ctx, g.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(byID.Name, byID.Version)
	for c, err := range store.Changes(ctx, 1) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %q sameID=%t\n", c.Kind, c.Group, c.GroupID == g.ID)
	}
	// Output:
	// [auditor] [Finance & Controlling]
	// Finance & Controlling 2
	// group.created "Finance" sameID=true
	// group.updated "Finance & Controlling" sameID=true
	// member.added "Finance & Controlling" sameID=true
}
