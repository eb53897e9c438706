package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
	"github.com/usher-sdk/usher/database"
)

// printSender stands in for the callback client of authrequest/callback.
type printSender struct{ done chan struct{} }

func (s printSender) Send(_ context.Context, d authrequest.Delivery) error {
	fmt.Println("delivered", d.ID, d.Event)
	close(s.done)
	return nil
}

func (printSender) Failed(context.Context, authrequest.Delivery, error) []authrequest.Delivery {
	return nil
}

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "outbox")
	defer os.RemoveAll(dir)
	db, err := database.Open(ctx, "sqlite:"+filepath.Join(dir, "usher.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	// River's tables migrate with every other component's.
	if err := db.Migrate(ctx, outbox.Component()); err != nil {
		log.Fatal(err)
	}
	o, err := outbox.New(db, outbox.Config{})
	if err != nil {
		log.Fatal(err)
	}
	// The delivery is recorded in the transaction of the event.
	err = db.Tx(ctx, func(tx *sql.Tx) error {
		// … the event's own writes …
		return o.Insert(ctx, tx, []authrequest.Delivery{{ID: "msg_1", Event: authrequest.EventApprove}})
	})
	if err != nil {
		log.Fatal(err)
	}
	s := printSender{done: make(chan struct{})}
	if err := o.Start(ctx, s); err != nil {
		log.Fatal(err)
	}
	<-s.done
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := o.Stop(sctx); err != nil {
		log.Fatal(err)
	}
	// Output: delivered msg_1 Approve
}
