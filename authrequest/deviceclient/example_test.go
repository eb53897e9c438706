package deviceclient_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/deviceclient"
)

// A phone lists what it is asked and approves it.
func Example() {
	m, app, phone := setup(&testing.T{}) // a server with frank's enrolled phone
	ctx := context.Background()
	_, _ = m.Create(ctx, authrequest.CreateRequest{ApplicationID: app.ID, Username: "frank", Action: "Sign in to the VPN"})

	pending, err := phone.Pending(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range pending {
		fmt.Println(r.Action)
		st, err := phone.Approve(ctx, r, deviceclient.Answer{})
		fmt.Println(st.Status, err)
	}
	// Output:
	// Sign in to the VPN
	// approved <nil>
}
