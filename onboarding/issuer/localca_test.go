package issuer_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding/issuer"
)

var testSubject = issuer.Subject{UserID: "u-42", Application: "vpn", DeviceID: "d-1"}

func newCA(tb testing.TB, dir string, opts ...issuer.Option) *issuer.LocalCA {
	tb.Helper()
	ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{Dir: dir}, opts...)
	require.NoError(tb, err)
	return ca
}

func verifiedCSR(tb testing.TB, key crypto.Signer) *x509.CertificateRequest {
	tb.Helper()
	csr, err := issuer.VerifyCSR(newCSR(tb, key, testNonce), testNonce)
	require.NoError(tb, err)
	return csr
}

func TestLocalCAIssue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ca := newCA(t, t.TempDir())
	root, err := ca.Certificate(ctx)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(root)

	tests := []struct {
		name    string
		key     crypto.Signer
		subject issuer.Subject
	}{
		{"P-256", p256Key(t), testSubject},
		{"Ed25519", ed25519Key(t), testSubject},
		{"awkward names", p256Key(t), issuer.Subject{UserID: "a/b c%2F", Application: "ünï/cödé", DeviceID: "x:y?z#"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cert, err := ca.Issue(ctx, verifiedCSR(t, tt.key), tt.subject)
			require.NoError(t, err)
			_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			require.NoError(t, err)
			_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			assert.Error(t, err, "a device certificate must not serve TLS servers")
			assert.True(t, tt.key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(cert.PublicKey))
			assert.Equal(t, x509.KeyUsageDigitalSignature, cert.KeyUsage)
			assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, cert.ExtKeyUsage)
			assert.False(t, cert.IsCA)
			assert.Equal(t, tt.subject.DeviceID, cert.Subject.CommonName)
			assert.Equal(t, []string{tt.subject.Application}, cert.Subject.OrganizationalUnit)
			got, err := issuer.SubjectOf(cert)
			require.NoError(t, err)
			assert.Equal(t, tt.subject, got)
			assert.Equal(t, 1, cert.SerialNumber.Sign())
			assert.LessOrEqual(t, cert.SerialNumber.BitLen(), 128)
			assert.WithinDuration(t, time.Now().Add(issuer.DefaultValidity), cert.NotAfter, time.Minute)
		})
	}
}

func TestLocalCAIssueRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ca := newCA(t, t.TempDir())
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, rsaKey)
	require.NoError(t, err)
	rsaCSR, err := x509.ParseCertificateRequest(der)
	require.NoError(t, err)
	good := verifiedCSR(t, p256Key(t))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		csr     *x509.CertificateRequest
		subject issuer.Subject
		want    error
	}{
		{"RSA key", ctx, rsaCSR, testSubject, issuer.ErrUnsupportedKey},
		{"nil CSR", ctx, nil, testSubject, issuer.ErrMalformedCSR},
		{"empty user", ctx, good, issuer.Subject{Application: "a", DeviceID: "d"}, issuer.ErrInvalidSubject},
		{"control character", ctx, good, issuer.Subject{UserID: "u\n", Application: "a", DeviceID: "d"}, issuer.ErrInvalidSubject},
		{"bad UTF-8", ctx, good, issuer.Subject{UserID: "u", Application: "\xff", DeviceID: "d"}, issuer.ErrInvalidSubject},
		{"too long", ctx, good, issuer.Subject{UserID: "u", Application: "a", DeviceID: string(make([]byte, issuer.MaxSubjectField+1))}, issuer.ErrInvalidSubject},
		{"cancelled", cancelled, good, testSubject, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cert, err := ca.Issue(tt.ctx, tt.csr, tt.subject)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, cert)
		})
	}
}

func TestLocalCASerialsUnique(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ca := newCA(t, t.TempDir())
	csr := verifiedCSR(t, p256Key(t))
	const n, workers = 1000, 8
	serials := make(chan string, n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range n / workers {
				cert, err := ca.Issue(ctx, csr, testSubject)
				if !assert.NoError(t, err, "worker %d", w) {
					return
				}
				serials <- cert.SerialNumber.String()
			}
		})
	}
	wg.Wait()
	close(serials)
	seen := make(map[string]bool, n)
	for s := range serials {
		assert.False(t, seen[s], "serial %s issued twice", s)
		seen[s] = true
	}
	assert.Len(t, seen, n)
}

func TestLocalCARevokeAndCRL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	store := new(issuer.MemoryRevocations)
	ca := newCA(t, dir, issuer.WithClock(func() time.Time { return now }), issuer.WithRevocationStore(store))
	root, err := ca.Certificate(ctx)
	require.NoError(t, err)
	csr := verifiedCSR(t, ed25519Key(t))
	revoked, err := ca.Issue(ctx, csr, testSubject)
	require.NoError(t, err)
	kept, err := ca.Issue(ctx, csr, testSubject)
	require.NoError(t, err)

	empty, err := ca.CRL(ctx)
	require.NoError(t, err)
	require.NoError(t, ca.Revoke(ctx, revoked.SerialNumber))
	require.NoError(t, ca.Revoke(ctx, revoked.SerialNumber), "revoking twice is fine")

	der, err := ca.CRL(ctx)
	require.NoError(t, err)
	crl, err := x509.ParseRevocationList(der)
	require.NoError(t, err)
	require.NoError(t, crl.CheckSignatureFrom(root))
	require.Len(t, crl.RevokedCertificateEntries, 1)
	assert.Equal(t, 0, revoked.SerialNumber.Cmp(crl.RevokedCertificateEntries[0].SerialNumber))
	assert.NotEqual(t, 0, kept.SerialNumber.Cmp(crl.RevokedCertificateEntries[0].SerialNumber))
	assert.True(t, crl.RevokedCertificateEntries[0].RevocationTime.Equal(now))
	assert.True(t, crl.ThisUpdate.Equal(now))
	assert.True(t, crl.NextUpdate.Equal(now.Add(issuer.DefaultCRLValidity)))

	first, err := x509.ParseRevocationList(empty)
	require.NoError(t, err)
	assert.Empty(t, first.RevokedCertificateEntries)
	assert.Equal(t, 1, crl.Number.Cmp(first.Number), "CRL numbers increase, even within one clock tick")

	// A second LocalCA on the same directory and store (a restart, or
	// another server process) continues the numbers and the list.
	later := now.Add(time.Second)
	again := newCA(t, dir, issuer.WithClock(func() time.Time { return later }), issuer.WithRevocationStore(store))
	der, err = again.CRL(ctx)
	require.NoError(t, err)
	next, err := x509.ParseRevocationList(der)
	require.NoError(t, err)
	require.NoError(t, next.CheckSignatureFrom(root))
	assert.Equal(t, 1, next.Number.Cmp(crl.Number))
	assert.Len(t, next.RevokedCertificateEntries, 1)

	for _, bad := range []*big.Int{nil, big.NewInt(0), big.NewInt(-1), new(big.Int).Lsh(big.NewInt(1), 161)} {
		assert.Error(t, ca.Revoke(ctx, bad), "serial %v", bad)
	}
}

func TestLocalCAFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("key is 0600 and a second CA loads the same CA", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "ca")
		first, err := newCA(t, dir).Certificate(ctx)
		require.NoError(t, err)
		fi, err := os.Stat(filepath.Join(dir, issuer.CAKeyFile))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		di, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
		keyBefore, err := os.ReadFile(filepath.Join(dir, issuer.CAKeyFile))
		require.NoError(t, err)

		second := newCA(t, dir)
		again, err := second.Certificate(ctx)
		require.NoError(t, err)
		assert.True(t, first.Equal(again))
		keyAfter, err := os.ReadFile(filepath.Join(dir, issuer.CAKeyFile))
		require.NoError(t, err)
		assert.Equal(t, keyBefore, keyAfter, "the key is never rewritten")

		cert, err := second.Issue(ctx, verifiedCSR(t, p256Key(t)), testSubject)
		require.NoError(t, err)
		require.NoError(t, cert.CheckSignatureFrom(first))
	})

	t.Run("a key others can read is refused", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		_, err := newCA(t, dir).Certificate(ctx)
		require.NoError(t, err)
		require.NoError(t, os.Chmod(filepath.Join(dir, issuer.CAKeyFile), 0o644))
		ca := newCA(t, dir)
		_, err = ca.Certificate(ctx)
		require.ErrorIs(t, err, issuer.ErrInsecureKeyFile)
		_, err = ca.Issue(ctx, verifiedCSR(t, p256Key(t)), testSubject)
		require.ErrorIs(t, err, issuer.ErrInsecureKeyFile)
		_, err = ca.CRL(ctx)
		require.ErrorIs(t, err, issuer.ErrInsecureKeyFile)
	})

	t.Run("a certificate without its key is refused", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		_, err := newCA(t, dir).Certificate(ctx)
		require.NoError(t, err)
		require.NoError(t, os.Remove(filepath.Join(dir, issuer.CAKeyFile)))
		_, err = newCA(t, dir).Certificate(ctx)
		require.Error(t, err)
		_, err = os.Stat(filepath.Join(dir, issuer.CAKeyFile))
		assert.True(t, os.IsNotExist(err), "no new key is made")
	})

	t.Run("a certificate of another key is refused", func(t *testing.T) {
		t.Parallel()
		a, b := t.TempDir(), t.TempDir()
		for _, d := range []string{a, b} {
			_, err := newCA(t, d).Certificate(ctx)
			require.NoError(t, err)
		}
		require.NoError(t, os.Rename(filepath.Join(b, issuer.CACertFile), filepath.Join(a, issuer.CACertFile)))
		_, err := newCA(t, a).Certificate(ctx)
		require.Error(t, err)
	})

	t.Run("concurrent first use makes one CA", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		const n = 8
		certs := make([]*x509.Certificate, n)
		var wg sync.WaitGroup
		for i := range n {
			ca := newCA(t, dir)
			wg.Go(func() {
				c, err := ca.Certificate(ctx)
				assert.NoError(t, err)
				certs[i] = c
			})
		}
		wg.Wait()
		for i := 1; i < n; i++ {
			require.NotNil(t, certs[i])
			assert.True(t, certs[0].Equal(certs[i]), "CA %d differs", i)
		}
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 2, "only the key and the certificate remain")
	})

	t.Run("configured CA name and validity", func(t *testing.T) {
		t.Parallel()
		ca, err := issuer.NewLocalCA(issuer.LocalCAConfig{
			Dir:        t.TempDir(),
			Subject:    pkix.Name{CommonName: "Example Devices", Organization: []string{"Example"}},
			CAValidity: 30 * 24 * time.Hour,
			Validity:   365 * 24 * time.Hour,
		})
		require.NoError(t, err)
		root, err := ca.Certificate(ctx)
		require.NoError(t, err)
		assert.Equal(t, "CN=Example Devices,O=Example", root.Subject.String())
		assert.True(t, root.IsCA)
		assert.WithinDuration(t, time.Now().Add(30*24*time.Hour), root.NotAfter, time.Minute)
		cert, err := ca.Issue(ctx, verifiedCSR(t, p256Key(t)), testSubject)
		require.NoError(t, err)
		assert.True(t, cert.NotAfter.Equal(root.NotAfter), "capped at the CA's expiry")
	})
}

func TestNewLocalCAConfig(t *testing.T) {
	t.Parallel()
	_, err := issuer.NewLocalCA(issuer.LocalCAConfig{Validity: -1, CRLValidity: -1})
	require.Error(t, err)
	for _, want := range []string{`"Dir"`, "Validity is negative", "CRLValidity is negative"} {
		assert.Contains(t, err.Error(), want)
	}
}

func BenchmarkLocalCAIssue(b *testing.B) {
	ctx := context.Background()
	ca := newCA(b, b.TempDir())
	csr := verifiedCSR(b, p256Key(b))
	_, err := ca.Certificate(ctx)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ca.Issue(ctx, csr, testSubject); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSubjectOfRefuses(t *testing.T) {
	t.Parallel()
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		require.NoError(t, err)
		return u
	}
	tests := []struct {
		name string
		uris []*url.URL
	}{
		{"no URI", nil},
		{"other scheme", []*url.URL{mustURL("https://device/a/u/d")}},
		{"two URIs", []*url.URL{mustURL("usher://device/a/u/d"), mustURL("usher://device/a/u/e")}},
		{"two parts", []*url.URL{mustURL("usher://device/a/u")}},
		{"four parts", []*url.URL{mustURL("usher://device/a/u/d/x")}},
		{"empty part", []*url.URL{mustURL("usher://device/a//d")}},
		{"control character", []*url.URL{mustURL("usher://device/a/u%0A/d")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := issuer.SubjectOf(&x509.Certificate{URIs: tt.uris})
			require.ErrorIs(t, err, issuer.ErrInvalidSubject)
		})
	}
}
