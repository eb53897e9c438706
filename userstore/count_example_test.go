package userstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// A dashboard finds the Counter capability by type assertion and counts
// users in one step; a store without it would be counted by listing.
func ExampleCounter() {
	ctx := context.Background()
	var store userstore.Store = memstore.New()
	defer store.Close()
	now := time.Now()
	for _, u := range []userstore.User{
		{Username: "alice", Enabled: true, Source: "ldap", ExternalID: "a"},
		{Username: "bob", Enabled: true, LockedUntil: now.Add(time.Hour)},
		{Username: "carol"},
	} {
		if _, err := store.CreateUser(ctx, u); err != nil {
			fmt.Println(err)
			return
		}
	}

	c, ok := store.(userstore.Counter)
	if !ok {
		fmt.Println("no Counter: list the users instead")
		return
	}
	all, err := c.CountUsers(ctx, userstore.CountOptions{LockedAt: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d users, %d enabled, %d disabled, %d locked out\n", all.Total, all.Enabled, all.Disabled(), all.Locked)
	synced, err := c.CountUsers(ctx, userstore.CountOptions{Source: "ldap"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d synced from LDAP\n", synced.Total)
	// Output:
	// 3 users, 2 enabled, 1 disabled, 1 locked out
	// 1 synced from LDAP
}
