package sqlstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/sqlstore"
	"github.com/usher-sdk/usher/database"
)

// oneSender stands in for the Manager's Deliverer.
type oneSender chan authrequest.Delivery

func (s oneSender) Send(_ context.Context, d authrequest.Delivery) error { s <- d; return nil }

func (oneSender) Failed(context.Context, authrequest.Delivery, error) []authrequest.Delivery {
	return nil
}

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "authrequest")
	defer os.RemoveAll(dir)
	db, err := database.Open(ctx, "sqlite:"+filepath.Join(dir, "usher.db")) // or "postgres://…"
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	store, err := sqlstore.New(ctx, db) // migrates "authrequest" and "river"
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	// The request and its Create callback are stored in one transaction.
	now := time.Now()
	r := authrequest.Request{
		ID: "0123456789abcdef0123456789abcdef", ApplicationID: "vpn", UserID: "u1", Username: "alice",
		Action: "Sign in to the VPN", Status: authrequest.StatePending, CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	}
	d := authrequest.Delivery{ID: "msg_1", RequestID: r.ID, Event: authrequest.EventCreate}
	if _, err := store.CreateRequest(ctx, r, true, []authrequest.Delivery{d}); err != nil {
		log.Fatal(err)
	}
	_, err = store.CreateRequest(ctx, authrequest.Request{ID: "another", ApplicationID: "vpn", UserID: "u1", Status: authrequest.StatePending, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}, true, nil)
	fmt.Println(err)

	// Any process sharing the database may deliver it.
	sent := make(oneSender, 1)
	if err := store.StartDelivery(ctx, sent); err != nil {
		log.Fatal(err)
	}
	got := <-sent
	fmt.Println("delivered", got.ID, got.Event)
	// Output:
	// authrequest: a request is pending for this user
	// delivered msg_1 Create
}
