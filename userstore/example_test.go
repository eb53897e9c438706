package userstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/mail"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// outbox is a mail.Sender that keeps messages in memory, as a test would.
type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(ctx context.Context, m mail.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// exampleHashers returns a registry with a cheap test hasher as default,
// so that the examples run fast. Real deployments use a built-in default,
// such as hasher.NewRegistry("usher", hasher.Config{}).
func exampleHashers() *hasher.Registry {
	reg, err := hasher.NewRegistry("test-fast", hasher.Config{}, hasher.WithHasher(&fastHasher{name: "test-fast"}))
	if err != nil {
		panic(err)
	}
	return reg
}

func ExampleService_Login() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	svc, err := userstore.NewService(store, exampleHashers(), userstore.Config{
		LoginByEmail:    true,
		MaxFailedLogins: 3,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close()

	alice, _ := store.CreateUser(ctx, userstore.User{Username: "alice", Email: "alice@example.com", Enabled: true})
	// An administrator sets an initial password; alice must change it.
	if err := svc.SetInitialPassword(ctx, alice.ID, "initial-secret"); err != nil {
		fmt.Println(err)
		return
	}
	_, err = svc.Login(ctx, userstore.LoginRequest{Login: "alice@example.com", Password: "initial-secret", Remote: "192.0.2.1"})
	fmt.Println("first login:", errors.Is(err, userstore.ErrPasswordChangeRequired))

	err = svc.ChangePassword(ctx, userstore.ChangePasswordRequest{Login: "alice", Current: "initial-secret", New: "alice"})
	fmt.Println("new password equal to the username:", errors.Is(err, userstore.ErrPolicy))
	err = svc.ChangePassword(ctx, userstore.ChangePasswordRequest{Login: "alice", Current: "initial-secret", New: "correct horse battery"})
	fmt.Println("changed:", err == nil)

	u, err := svc.Login(ctx, userstore.LoginRequest{Login: "Alice", Password: "correct horse battery", Remote: "192.0.2.1"})
	fmt.Println("logged in:", u.Username, err)

	// Wrong passwords and unknown users look the same to the caller.
	_, err = svc.Login(ctx, userstore.LoginRequest{Login: "alice", Password: "guess", Remote: "203.0.113.5"})
	fmt.Println(err)
	_, err = svc.Login(ctx, userstore.LoginRequest{Login: "mallory", Password: "guess", Remote: "203.0.113.5"})
	fmt.Println(err)

	// The audit trail has the true reasons.
	for ev, err := range store.Audit(ctx, userstore.AuditFilter{Kind: userstore.AuditLoginFailed}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %q from %s: %s\n", ev.Kind, ev.Login, ev.Remote, ev.Reason)
	}
	// Output:
	// first login: true
	// new password equal to the username: true
	// changed: true
	// logged in: alice <nil>
	// userstore: invalid credentials
	// userstore: invalid credentials
	// login.failed "mallory" from 203.0.113.5: unknown user
	// login.failed "alice" from 203.0.113.5: wrong password
	// login.failed "alice@example.com" from 192.0.2.1: password change required
}

func ExampleService_RequestPasswordReset() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	sent := &outbox{}
	svc, err := userstore.NewService(store, exampleHashers(), userstore.Config{
		ResetMail: userstore.ResetMail{
			LinkURL: "https://idp.example.com/reset",
			MailTemplate: userstore.MailTemplate{
				Subject: "[[subject]]",
				Body:    "[[hello]] {{.GivenName}}, {{.Link}}",
				Labels: map[string]map[string]string{
					"":   {"subject": "Reset your password", "hello": "Hello"},
					"de": {"subject": "Passwort zurücksetzen", "hello": "Hallo"},
				},
			},
		},
	}, userstore.WithMailSender(sent))
	if err != nil {
		fmt.Println(err)
		return
	}
	store.CreateUser(ctx, userstore.User{Username: "alice", GivenName: "Alice", Email: "alice@example.com", Enabled: true})

	// The answer is the same whether or not the account exists.
	fmt.Println(svc.RequestPasswordReset(ctx, userstore.ResetRequest{Login: "alice@example.com", Culture: "de-CH"}))
	fmt.Println(svc.RequestPasswordReset(ctx, userstore.ResetRequest{Login: "nobody"}))
	svc.Close() // waits for the mail, which is sent in the background

	m := sent.msgs[0]
	fmt.Println(m.To, m.Subject)
	link := regexp.MustCompile(`https://\S+`).FindString(m.Text)
	fmt.Println(strings.Replace(m.Text, link, "<link>", 1))
	u, _ := url.Parse(link)
	token := u.Query().Get("token")

	svc, _ = userstore.NewService(store, exampleHashers(), userstore.Config{})
	defer svc.Close()
	fmt.Println(svc.ResetPassword(ctx, token, "a new secret"))
	fmt.Println(svc.ResetPassword(ctx, token, "a new secret"))
	_, err = svc.Login(ctx, userstore.LoginRequest{Login: "alice", Password: "a new secret"})
	fmt.Println("login:", err)
	// Output:
	// <nil>
	// <nil>
	// [alice@example.com] Passwort zurücksetzen
	// Hallo Alice, <link>
	// <nil>
	// userstore: invalid or expired token
	// login: <nil>
}

func ExampleChangePasswordLink() {
	link := userstore.ChangePasswordLink{
		BaseURL:     "https://idp.example.com/account/password",
		LoginName:   "jörg&co",
		Tenant:      "acme",
		IdPInstance: "userstore-1",
		ClientID:    "portal",
		ReturnURL:   "https://portal.example.com/?tab=1",
	}
	s, err := link.Build()
	fmt.Println(s, err)
	// Output:
	// https://idp.example.com/account/password?client_id=portal&idp=userstore-1&login=j%C3%B6rg%26co&return_url=https%3A%2F%2Fportal.example.com%2F%3Ftab%3D1&tenant=acme <nil>
}
