package push_test

import (
	"context"
	"fmt"
	"log"

	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
	"github.com/usher-sdk/usher/userstore/scim/push"
)

// A follower pushes a store's changes to a SCIM service provider; here one
// run in the process, at a loopback address.
func Example() {
	ctx := context.Background()
	downstream, err := startProvider("s3cret")
	if err != nil {
		log.Fatal(err)
	}
	defer downstream.stop()

	store := memstore.New()
	f, err := push.New(push.Config{
		BaseURL:    downstream.URL + "/scim/v2",
		DeleteMode: push.Deactivate,
	}, store, &push.MemoryCursors{}, push.WithBearerToken("s3cret"))
	if err != nil {
		log.Fatal(err)
	}

	u, _ := store.CreateUser(ctx, userstore.User{Username: "alice", Enabled: true})
	_, _ = store.CreateGroup(ctx, userstore.Group{Name: "Staff"})
	_ = store.AddMember(ctx, "Staff", u.ID)

	// Run(ctx) would follow the feed until ctx ends; one Step pushes
	// what is there.
	n, err := f.Step(ctx)
	fmt.Println(n, err)
	for _, r := range downstream.users.snapshot() {
		fmt.Println(r["userName"], r["active"], r["externalId"] == u.ID)
	}

	_ = store.DeleteUser(ctx, u.ID)
	n, err = f.Step(ctx)
	fmt.Println(n, err)
	for _, r := range downstream.users.snapshot() {
		fmt.Println(r["userName"], r["active"])
	}
	// Output:
	// 3 <nil>
	// alice true true
	// 1 <nil>
	// alice false
}
