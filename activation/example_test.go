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
	// Check the password here, without counting a wrong one towards the
	// account's lock-out; over a userstore.Service, use
	// activation.NewServiceAuthenticator instead (see ExampleNewServiceAuthenticator).
	checkAdmin := activation.AuthenticatorFunc(func(ctx context.Context, username, password, remote string) (bool, error) {
		return false, nil
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
// pool's policy and hasher), and a read-only Service over the same store
// checks batch admins without counting towards their lock-out.
func ExampleNew_withService() {
	ctx := context.Background()
	store := memstore.New()
	defer store.Close()
	hashers, err := hasher.NewRegistry("usher-v1", hasher.Config{})
	if err != nil {
		log.Fatal(err)
	}
	cfg := userstore.Config{}
	svc, err := userstore.NewService(store, hashers, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	cfg.ReadOnly = true
	readOnly, err := userstore.NewService(store, hashers, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer readOnly.Close()
	batchAdmins, err := activation.NewServiceAuthenticator(readOnly)
	if err != nil {
		log.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	m, err := activation.New(store, key, svc, activation.Settings{Enabled: true, BatchAdmins: []string{"importer"}},
		activation.WithAuthenticator(batchAdmins))
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

// A read-write Service would count the batch handlers' wrong passwords
// and lock the batch admin out; NewServiceAuthenticator takes only a
// read-only one, which verifies passwords and records nothing.
func ExampleNewServiceAuthenticator() {
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
	defer svc.Close()
	_, err = activation.NewServiceAuthenticator(svc)
	fmt.Println("read-write Service refused:", err != nil)

	readOnly, err := userstore.NewService(store, hashers, userstore.Config{ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer readOnly.Close()
	auth, err := activation.NewServiceAuthenticator(readOnly)
	if err != nil {
		log.Fatal(err)
	}
	u, _ := store.CreateUser(ctx, userstore.User{Username: "importer", Enabled: true})
	if err := svc.SetUserPassword(ctx, u.ID, "the importer's long secret"); err != nil {
		log.Fatal(err)
	}
	for range 10 {
		if ok, err := auth.AuthenticateBatchAdmin(ctx, "importer", "a guess", "192.0.2.7"); ok || err != nil {
			log.Fatal("a guess was let in, or the check failed: ", err)
		}
	}
	ok, err := auth.AuthenticateBatchAdmin(ctx, "importer", "the importer's long secret", "192.0.2.8")
	fmt.Println("right password after 10 wrong ones:", ok, err)
	u, _ = store.GetUser(ctx, u.ID)
	fmt.Println("failed logins counted:", u.FailedLogins)
	// Output:
	// read-write Service refused: true
	// right password after 10 wrong ones: true <nil>
	// failed logins counted: 0
}
