package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/memstore"
)

// printSender prints each delivery instead of calling a receiver.
type printSender struct{ done chan struct{} }

func (p printSender) Send(_ context.Context, d authrequest.Delivery) error {
	fmt.Println("delivered", d.Event, "for", d.Vars["username"])
	close(p.done)
	return nil
}

func (printSender) Failed(context.Context, authrequest.Delivery, error) []authrequest.Delivery {
	return nil
}

// A request recorded with its Create callback, delivered in process.
func Example() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()

	now := time.Now()
	r := authrequest.Request{
		ID: "0123456789abcdef0123456789abcdef", ApplicationID: "vpn", UserID: "u1", Username: "alice",
		Action: "Sign in", Status: authrequest.StatePending, CreatedAt: now, ExpiresAt: now.Add(time.Minute),
	}
	create := authrequest.Delivery{
		ID: "msg_1", RequestID: r.ID, Event: authrequest.EventCreate,
		Vars: map[string]string{"username": "alice"},
	}
	if _, err := s.CreateRequest(ctx, r, true, []authrequest.Delivery{create}); err != nil {
		fmt.Println(err)
		return
	}
	r.ID = "fedcba9876543210fedcba9876543210"
	_, err := s.CreateRequest(ctx, r, true, nil)
	fmt.Println(err)

	snd := printSender{done: make(chan struct{})}
	if err := s.StartDelivery(ctx, snd); err != nil {
		fmt.Println(err)
		return
	}
	<-snd.done
	fmt.Println(len(s.Deliveries()), "recorded")
	// Output:
	// memstore: authrequest: a request is pending for this user
	// delivered Create for alice
	// 1 recorded
}
