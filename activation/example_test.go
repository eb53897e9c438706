package activation_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log"
	"net/http"

	"github.com/usher-sdk/usher/activation"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/userstore"
	"github.com/usher-sdk/usher/userstore/memstore"
)

// The whole flow: the back-end creates a code for a new, disabled account;
// the person activates with it (typed in any case, with or without
// hyphens) and sets a password, which enables the account.
func Example() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	u, err := store.CreateUser(ctx, userstore.User{Username: "jdoe"})
	if err != nil {
		log.Fatal(err)
	}

	// In a real pool the password setter is the user store's service,
	// which applies the password policy and the pool's hasher.
	// SetPassword replaces the hash it is told to expect, so read it first.
	setter := activation.PasswordSetterFunc(func(ctx context.Context, userID, password string) error {
		u, err := store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		return store.SetPassword(ctx, userID, u.PasswordHash, "hash-of-the-password", false)
	})
	key := make([]byte, 32) // keep it secret and stable, e.g. from a key file
	if _, err := rand.Read(key); err != nil {
		log.Fatal(err)
	}
	m, err := activation.New(store, key, setter, activation.Settings{Enabled: true, HyphenEvery: 4})
	if err != nil {
		log.Fatal(err)
	}

	code, err := m.Create(ctx, "jdoe", map[string]string{"birthdate": "1990-01-31"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("code length with hyphens:", len(code.Code))

	pt, err := m.Activate(ctx, activation.Request{
		Username: "jdoe",
		Code:     code.Code, // as printed; case, spaces and hyphens do not matter
		Extra:    map[string]string{"BirthDate": "1990-01-31"},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := m.SetPassword(ctx, pt.Token, "a long new passphrase"); err != nil {
		log.Fatal(err)
	}
	u, _ = store.GetUser(ctx, u.ID)
	fmt.Println("enabled:", u.Enabled)
	// Output:
	// code length with hyphens: 14
	// enabled: true
}

// Mounting the three handlers in a server.
func ExampleManager_PortalGuardHandler() {
	store := memstore.New()
	defer store.Close()
	setter := activation.PasswordSetterFunc(func(ctx context.Context, userID, password string) error {
		u, err := store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		return store.SetPassword(ctx, userID, u.PasswordHash, "hash-of-the-password", false)
	})
	checkAdmin := activation.AuthenticatorFunc(func(ctx context.Context, username, password, remote string) error {
		return fmt.Errorf("check %s's password like any login here", username)
	})
	m, err := activation.New(store, make([]byte, 32), setter,
		activation.Settings{Enabled: true, BatchAdmins: []string{"importer"}},
		activation.WithAuthenticator(checkAdmin))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/_layouts/PG/register.aspx", m.PortalGuardHandler())
	mux.Handle("/activation/batch/", http.StripPrefix("/activation/batch", m.BatchHandler()))
	mux.Handle("/activation/", http.StripPrefix("/activation", m.UserHandler()))
	fmt.Println("mounted")
	// Output: mounted
}

// In a real pool the user store's Service sets the password (with the
// pool's policy and hasher) and checks batch admins like any login.
func ExampleNew_withService() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	hashers, err := hasher.NewRegistry("usher-v1", hasher.Config{})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := userstore.NewService(store, hashers, userstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	batchAdmin := activation.AuthenticatorFunc(func(ctx context.Context, username, password, remote string) error {
		_, err := svc.Login(ctx, userstore.LoginRequest{Login: username, Password: password, Remote: remote})
		return err
	})
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	m, err := activation.New(store, key, svc, activation.Settings{Enabled: true, BatchAdmins: []string{"importer"}},
		activation.WithAuthenticator(batchAdmin))
	if err != nil {
		log.Fatal(err)
	}

	u, _ := store.CreateUser(ctx, userstore.User{Username: "jdoe"})
	code, _ := m.Create(ctx, "jdoe", nil)
	pt, _ := m.Activate(ctx, activation.Request{Username: "jdoe", Code: code.Code})
	if err := m.SetPassword(ctx, pt.Token, "a long new passphrase"); err != nil {
		log.Fatal(err)
	}
	_, err = svc.Login(ctx, userstore.LoginRequest{Login: "jdoe", Password: "a long new passphrase"})
	fmt.Println("login after activation:", err == nil)
	u, _ = store.GetUser(ctx, u.ID)
	fmt.Println("enabled:", u.Enabled)
	// Output:
	// login after activation: true
	// enabled: true
}
