// Command onboardbench onboards devices through the Credentials
// requirement on SQLite and prints onboardings per second beside password
// logins per second of the same users on the same cores, in one run (the
// goal of issue 13: onboarding at least 0.9× login throughput, since the
// password hash dominates both), and the cost of one local-CA issuance.
//
//	go run ./internal/cmd/onboardbench               # 1,000 devices
//	go run ./internal/cmd/onboardbench -devices 5000 -clients 16
//
// Each onboarding is what a device does: Start with its key, answer
// Credentials (a login through directory.Chain over the user store, with
// the registry's default hash), send a CSR carrying the nonce, get a
// certificate from a local CA. The logins are userstore.Service.Login of
// the same users. Both run with -clients goroutines (default 4 per core,
// as a server has more requests in flight than cores), logins first, then
// onboardings, then logins again; the ratio is against the mean of the two
// login runs, as the load of a shared machine drifts.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/sqlstore"
	"github.com/usher-sdk/usher/userstore"
	usersql "github.com/usher-sdk/usher/userstore/sqlstore"
)

const password = "correct horse battery staple"

func main() {
	devices := flag.Int("devices", 1000, "devices to onboard (and logins to time)")
	users := flag.Int("users", 100, "users the devices belong to")
	clients := flag.Int("clients", 4*runtime.GOMAXPROCS(0), "concurrent clients")
	flag.Parse()
	if err := run(*devices, *users, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "onboardbench:", err)
		os.Exit(1)
	}
}

type env struct {
	svc *userstore.Service
	m   *onboarding.Manager
	ca  *issuer.LocalCA
}

func setup(ctx context.Context, dir string, n int) (*env, func(), error) {
	db, err := database.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, nil, err
	}
	users, err := usersql.New(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	reg, err := hasher.NewRegistry("usher", hasher.Config{})
	if err != nil {
		return nil, nil, err
	}
	svc, err := userstore.NewService(users, reg, userstore.Config{})
	if err != nil {
		return nil, nil, err
	}
	for i := range n {
		u, err := users.CreateUser(ctx, userstore.User{Username: fmt.Sprint("user", i), Enabled: true})
		if err != nil {
			return nil, nil, err
		}
		if err := svc.SetUserPassword(ctx, u.ID, password); err != nil {
			return nil, nil, err
		}
	}
	chain, err := directory.NewChain(users, directory.ChainConfig{Local: func(ctx context.Context, login, pw string) (userstore.User, error) {
		return svc.Login(ctx, userstore.LoginRequest{Login: login, Password: pw})
	}})
	if err != nil {
		return nil, nil, err
	}
	store, err := sqlstore.New(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: filepath.Join(dir, "ca")}, issuer.WithRevocationStore(store))
	if err != nil {
		return nil, nil, err
	}
	m, err := onboarding.New(store, ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return chain, nil }},
	}})
	if err != nil {
		return nil, nil, err
	}
	if _, err := m.CreateApplication(ctx, onboarding.Application{Name: "Bench", DeviceLimit: 1 << 30,
		Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindCredentials}}}); err != nil {
		return nil, nil, err
	}
	return &env{svc: svc, m: m, ca: ca}, func() { _ = svc.Close(); _ = users.Close(); _ = db.Close() }, nil
}

// parallel runs f n times on clients goroutines and returns the wall time.
func parallel(n, clients int, f func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start), first
}

func run(devices, users, clients int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "onboardbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	e, done, err := setup(ctx, dir, users)
	if err != nil {
		return err
	}
	defer done()

	login := func(i int) error {
		_, err := e.svc.Login(ctx, userstore.LoginRequest{Login: fmt.Sprint("user", i%users), Password: password})
		return err
	}
	onboard := func(i int) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			return err
		}
		st, err := e.m.Start(ctx, "Bench", spki)
		if err != nil {
			return err
		}
		answer, _ := json.Marshal(map[string]string{"username": fmt.Sprint("user", i%users), "password": password})
		if st, err = e.m.Answer(ctx, st.ActivityID, 0, st.Nonce, answer); err != nil {
			return err
		}
		csr, err := issuer.NewCSR(rand.Reader, key, pkix.Name{}, st.Nonce)
		if err != nil {
			return err
		}
		_, err = e.m.Enrol(ctx, st.ActivityID, csr)
		return err
	}
	fmt.Printf("%d devices of %d users, %d clients, %d cores, SQLite\n", devices, users, clients, runtime.GOMAXPROCS(0))
	l1, err := parallel(devices, clients, login)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	o, err := parallel(devices, clients, onboard)
	if err != nil {
		return fmt.Errorf("onboarding: %w", err)
	}
	l2, err := parallel(devices, clients, login)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	rate := func(d time.Duration) float64 { return float64(devices) / d.Seconds() }
	logins := (rate(l1) + rate(l2)) / 2
	fmt.Printf("logins:      %7.1f/s (%.1f before, %.1f after)\n", logins, rate(l1), rate(l2))
	fmt.Printf("onboardings: %7.1f/s = %.2fx login throughput (goal >= 0.9x)\n", rate(o), rate(o)/logins)

	// One local-CA issuance, alone.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := issuer.NewCSR(rand.Reader, key, pkix.Name{}, "n")
	if err != nil {
		return err
	}
	csr, err := issuer.VerifyCSR(der, "n")
	if err != nil {
		return err
	}
	const issues = 200
	start := time.Now()
	for i := range issues {
		if _, err := e.ca.Issue(ctx, csr, issuer.Subject{UserID: "u", Application: "Bench", DeviceID: fmt.Sprint("d", i)}); err != nil {
			return err
		}
	}
	fmt.Printf("local-CA issuance: %v each (%d issued)\n", (time.Since(start) / issues).Round(time.Microsecond), issues)
	return nil
}
