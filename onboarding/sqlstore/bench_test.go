package sqlstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/directory"
	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/sqlstore"
	"github.com/usher-sdk/usher/userstore"
	usersql "github.com/usher-sdk/usher/userstore/sqlstore"
)

const benchUsers = 16

// benchParallelism is the goroutines per core of both benchmarks.
const benchParallelism = 4

type benchEnv struct {
	svc *userstore.Service
	m   *onboarding.Manager
}

// newBenchEnv opens one SQLite database holding benchUsers users with the
// registry's default password hash, and a Manager whose one requirement is
// Credentials through a directory.Chain over that user store.
func newBenchEnv(b *testing.B) benchEnv {
	b.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	users, err := usersql.New(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	reg, err := hasher.NewRegistry("usher", hasher.Config{})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := userstore.NewService(users, reg, userstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchUsers {
		u, err := users.CreateUser(ctx, userstore.User{Username: fmt.Sprint("user", i), Enabled: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.SetUserPassword(ctx, u.ID, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
	chain, err := directory.NewChain(users, directory.ChainConfig{Local: func(ctx context.Context, login, password string) (userstore.User, error) {
		return svc.Login(ctx, userstore.LoginRequest{Login: login, Password: password})
	}})
	if err != nil {
		b.Fatal(err)
	}
	store, err := sqlstore.New(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: b.TempDir()}, issuer.WithRevocationStore(store))
	if err != nil {
		b.Fatal(err)
	}
	m, err := onboarding.New(store, ca, onboarding.Config{Requirements: []onboarding.Requirement{
		onboarding.Credentials{Chain: func(context.Context, onboarding.Application) (onboarding.Authenticator, error) { return chain, nil }},
	}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.CreateApplication(ctx, onboarding.Application{Name: "Bench", DeviceLimit: 1 << 30,
		Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindCredentials}}}); err != nil {
		b.Fatal(err)
	}
	return benchEnv{svc: svc, m: m}
}

// BenchmarkLogin is the baseline: password logins of the same users on the
// same database, in parallel.
func BenchmarkLogin(b *testing.B) {
	env := newBenchEnv(b)
	var n atomic.Int64
	// More requests in flight than cores, as on a server, so that a
	// request waiting for the database leaves its core to another.
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := n.Add(1)
			if _, err := env.svc.Login(ctx, userstore.LoginRequest{Login: fmt.Sprint("user", i%benchUsers), Password: "correct horse battery staple"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkOnboard is one whole onboarding through Credentials on SQLite:
// Start, the credentials answer (one password check), the CSR (made by the
// simulated device inside the loop, as a device would) and the local CA's
// certificate, in parallel.
func BenchmarkOnboard(b *testing.B) {
	env := newBenchEnv(b)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	var n atomic.Int64
	// More requests in flight than cores, as on a server, so that a
	// request waiting for the database leaves its core to another.
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := n.Add(1)
			st, err := env.m.Start(ctx, "Bench", spki)
			if err != nil {
				b.Error(err)
				return
			}
			answer, _ := json.Marshal(map[string]string{"username": fmt.Sprint("user", i%benchUsers), "password": "correct horse battery staple"})
			if st, err = env.m.Answer(ctx, st.ActivityID, 0, st.Nonce, answer); err != nil {
				b.Error(err)
				return
			}
			csr, err := issuer.NewCSR(rand.Reader, key, pkix.Name{}, st.Nonce)
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := env.m.Enrol(ctx, st.ActivityID, csr); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "onboardings/s")
}
