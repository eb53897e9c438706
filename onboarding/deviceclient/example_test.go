package deviceclient_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/deviceclient"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
)

// A Go device onboards to an application whose one requirement is an
// administrator's approval in person.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ca")
	defer os.RemoveAll(dir)
	ca, _ := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: dir})
	m, _ := onboarding.New(memstore.New(), ca, onboarding.Config{})
	app, _ := m.CreateApplication(ctx, onboarding.Application{
		Name: "Door", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}},
	})
	srv := httptest.NewServer(m.DeviceHandler())
	defer srv.Close()

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c, _ := deviceclient.New(srv.URL, key)
	st, _ := c.Start(ctx, "Door")
	st, _ = c.Answer(ctx, st, nil) // show the picture and st.Prompt.Code
	fmt.Println(st.Status)

	pending, _ := m.Pending(ctx, app.ID)
	_ = m.Approve(ctx, pending[0].Activity.ID, onboarding.Approval{Admin: "admin", UserID: "user-1"})

	st, _ = c.Status(ctx, st)
	fmt.Println(st.Status)
	_, cert, err := c.Enrol(ctx, st)
	if err != nil {
		fmt.Println(err)
		return
	}
	sub, _ := issuer.SubjectOf(cert)
	fmt.Println(sub.UserID, sub.Application)

	_, _, err = c.Enrol(ctx, st)
	fmt.Println(err)
	// Output:
	// pending
	// awaiting_csr
	// user-1 Door
	// 409 replay: not the onboarding's current nonce
}
