package authrequest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/memstore"
	"github.com/usher-sdk/usher/onboarding"
	obmem "github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/userstore"
	usermem "github.com/usher-sdk/usher/userstore/memstore"
)

// A third party asks frank to approve a sign-in; his phone, enrolled
// through onboarding, lists the request and approves it by signing.
func Example() {
	ctx := context.Background()
	apps, users := obmem.New(), usermem.New() // onboarding's and userstore's stores
	app, _ := apps.CreateApplication(ctx, onboarding.Application{Name: "VPN", Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}})
	frank, _ := users.CreateUser(ctx, userstore.User{Username: "frank", Enabled: true})
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // the phone's key
	spki, _ := x509.MarshalPKIXPublicKey(key.Public())
	phone, _ := apps.AddDevice(ctx, onboarding.Device{ApplicationID: app.ID, UserID: frank.ID, PublicKey: spki, State: onboarding.DeviceActive}, 1)

	store := memstore.New()
	defer store.Close()
	m, err := authrequest.New(store, apps, apps, authrequest.Config{
		Users: func(context.Context, onboarding.Application) (authrequest.Users, error) { return users, nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The third party.
	created, _ := m.Create(ctx, authrequest.CreateRequest{ApplicationID: app.ID, Username: "frank", Action: "Sign in to the VPN as {username}"})

	// The phone.
	now := time.Now()
	proof, _ := authrequest.Sign(key, authrequest.ListMessage(phone.ID, now))
	pending, _ := m.Pending(ctx, authrequest.DeviceProof{DeviceID: phone.ID, Time: now.Unix(), Signature: proof})
	fmt.Println(pending[0].Action)
	expiry := now.Add(time.Minute)
	answer := authrequest.SignedAnswer{RequestID: pending[0].ID, Nonce: pending[0].Nonce, Decision: authrequest.Approve, Expiry: expiry}
	sig, _ := authrequest.Sign(key, answer.Message())
	_, err = m.Answer(ctx, pending[0].ID, authrequest.DeviceAnswer{DeviceID: phone.ID, Decision: authrequest.Approve,
		Nonce: pending[0].Nonce, Expiry: expiry.Unix(), Signature: sig})
	fmt.Println(err)

	// The third party again.
	_, status, _ := m.Wait(ctx, created.ID, 30*time.Second)
	fmt.Println(status.Status)
	// Output:
	// Sign in to the VPN as frank
	// <nil>
	// approved
}
