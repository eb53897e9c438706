package onboarding_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"os"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/memstore"
	"github.com/usher-sdk/usher/userstore"
)

// An application whose one requirement is an administrator's approval in
// person: the device starts, waits, is approved and sends its CSR.
func ExampleManager() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ca")
	defer os.RemoveAll(dir)
	ca, _ := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: dir})
	m, _ := onboarding.New(memstore.New(), ca, onboarding.Config{})
	_, err := m.CreateApplication(ctx, onboarding.Application{
		Name:         "Door",
		Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The device.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	st, _ := m.Start(ctx, "door", spki)
	fmt.Println(st.Status, st.Prompt.Kind)
	st, _ = m.Answer(ctx, st.ActivityID, st.Step, st.Nonce, nil)
	fmt.Println(st.Status)

	// The administrator compares the picture and code with the device's
	// and approves, naming the user (Manual alone finds none).
	act, _ := m.Activity(ctx, st.ActivityID)
	pend, _ := m.Pending(ctx, act.ApplicationID)
	fmt.Println(len(pend), len(pend[0].Code))
	_ = m.Approve(ctx, st.ActivityID, onboarding.Approval{Admin: "admin", UserID: "user-1"})
	st, _ = m.Status(ctx, st.ActivityID, st.Nonce)
	fmt.Println(st.Status)

	csr, _ := issuer.NewCSR(rand.Reader, key, pkix.Name{}, st.Nonce)
	enr, err := m.Enrol(ctx, st.ActivityID, csr)
	if err != nil {
		fmt.Println(err)
		return
	}
	sub, _ := issuer.SubjectOf(enr.Certificate)
	fmt.Println(sub.UserID, sub.Application, sub.DeviceID == enr.Device.ID)
	// Output:
	// in_progress manual
	// pending
	// 1 9
	// awaiting_csr
	// user-1 Door true
}

// The Notakey shape of an audit event, as the server sends it to syslog.
func ExampleNotakeyLine() {
	fmt.Println(onboarding.NotakeyLine(userstore.AuditEvent{
		Kind:  onboarding.AuditStep,
		Login: "mkarklins",
		Detail: map[string]string{
			onboarding.DetailActivity: "8c620f3e",
			onboarding.DetailDevice:   "3fa41c0d",
			onboarding.DetailMessage:  "Credentials checked. User found.",
		},
	}))
	// Output:
	// [ONBOARDING] [8c620] [mkarklins] [3fa41] Credentials checked. User found.
}
