package sqlstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/onboarding/sqlstore"
)

func dsns(t *testing.T) map[string]func(tb testing.TB) string {
	return map[string]func(tb testing.TB) string{
		"sqlite":   func(tb testing.TB) string { return "sqlite:" + filepath.Join(tb.TempDir(), "o.db") },
		"postgres": func(tb testing.TB) string { return testenv.PostgresDB(tb) },
	}
}

// TestManagerDeviceLimitRace: N devices of one user finish their onboardings
// at once against a limit of 1; exactly one is enrolled, and the certificates
// issued to the losers are revoked.
func TestManagerDeviceLimitRace(t *testing.T) {
	t.Parallel()
	for name, dsn := range dsns(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store := open(t, dsn(t)).(*sqlstore.Store)
			ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: t.TempDir()}, issuer.WithRevocationStore(store))
			if err != nil {
				t.Fatal(err)
			}
			m, err := onboarding.New(store, ca, onboarding.Config{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.CreateApplication(ctx, onboarding.Application{Name: "Door",
				Requirements: []onboarding.RequirementSpec{{Kind: onboarding.KindManual}}}); err != nil {
				t.Fatal(err)
			}
			const n = 6
			type ready struct {
				key *ecdsa.PrivateKey
				st  onboarding.State
			}
			var rs []ready
			for range n {
				key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
				st, err := m.Start(ctx, "Door", spki)
				if err != nil {
					t.Fatal(err)
				}
				if st, err = m.Answer(ctx, st.ActivityID, 0, st.Nonce, nil); err != nil {
					t.Fatal(err)
				}
				if err := m.Approve(ctx, st.ActivityID, onboarding.Approval{Admin: "admin", UserID: "u1"}); err != nil {
					t.Fatal(err)
				}
				if st, err = m.Status(ctx, st.ActivityID, st.Nonce); err != nil {
					t.Fatal(err)
				}
				rs = append(rs, ready{key, st})
			}
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i, r := range rs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					csr, err := issuer.NewCSR(rand.Reader, r.key, pkix.Name{}, r.st.Nonce)
					if err != nil {
						errs[i] = err
						return
					}
					_, errs[i] = m.Enrol(ctx, r.st.ActivityID, csr)
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, onboarding.ErrDeviceLimit):
					t.Errorf("Enrol: %v", err)
				}
			}
			apps, _ := store.GetApplicationByName(ctx, "door")
			devs, err := store.ListDevices(ctx, apps.ID, "u1")
			if err != nil || ok != 1 || len(devs) != 1 {
				t.Fatalf("%d enrolments succeeded, %d devices (%v); want 1", ok, len(devs), err)
			}
			// Destroying the device revokes it in the SQL revocation list.
			if err := m.DestroyDevice(ctx, devs[0].ID); err != nil {
				t.Fatal(err)
			}
			revs, err := store.Revocations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := new(big.Int).SetString(devs[0].CertSerial, 16)
			found := false
			for _, r := range revs {
				found = found || r.Serial.Cmp(want) == 0
			}
			if !found {
				t.Errorf("destroyed device's serial %s not among %d revocations", devs[0].CertSerial, len(revs))
			}
			crl, err := ca.CRL(ctx)
			if err != nil {
				t.Fatal(err)
			}
			list, err := x509.ParseRevocationList(crl)
			if err != nil || len(list.RevokedCertificateEntries) != len(revs) {
				t.Errorf("CRL has %d entries (%v), want %d", len(list.RevokedCertificateEntries), err, len(revs))
			}
		})
	}
}

func TestRevocations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := open(t, "sqlite:"+filepath.Join(t.TempDir(), "o.db")).(*sqlstore.Store)
	first := time.Unix(100, 0).UTC()
	for _, at := range []time.Time{first, first.Add(time.Hour)} {
		if err := store.AddRevocation(ctx, issuer.Revocation{Serial: big.NewInt(255), RevokedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	revs, err := store.Revocations(ctx)
	if err != nil || len(revs) != 1 || revs[0].Serial.Int64() != 255 || !revs[0].RevokedAt.Equal(first) {
		t.Fatalf("Revocations = %+v, %v; want serial 255 at the first time", revs, err)
	}
}
