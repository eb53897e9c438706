package issuer_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/testenv"
	"github.com/usher-sdk/usher/onboarding/issuer"
)

func startSCEPServer(t testing.TB, challenge string, extra ...string) string {
	return testenv.StartSCEPServer(t, challenge, extra...)
}

func TestSCEPIssue(t *testing.T) {
	if testing.Short() {
		t.Skip("starts scepserver")
	}
	t.Parallel()
	ctx := context.Background()
	s, err := issuer.NewSCEP(issuer.SCEPConfig{URL: startSCEPServer(t, "")},
		issuer.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}))
	require.NoError(t, err)
	caCerts, err := s.CACertificates(ctx)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(caCerts[0])

	key := p256Key(t)
	cert, err := s.Issue(ctx, verifiedCSR(t, key), testSubject)
	require.NoError(t, err)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	require.NoError(t, err)
	assert.True(t, key.PublicKey.Equal(cert.PublicKey))

	_, err = s.Issue(ctx, verifiedCSR(t, ed25519Key(t)), testSubject)
	require.ErrorIs(t, err, issuer.ErrUnsupportedKey, "the SCEP library cannot send Ed25519 requests")

	_, canRevoke := any(s).(issuer.Revoker)
	assert.False(t, canRevoke, "SCEP cannot revoke")
}

// TestSCEPStaticChallenge shows the clash documented on SCEP: a CA with a
// static challenge refuses a CSR that carries the onboarding nonce.
func TestSCEPStaticChallenge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts scepserver")
	}
	t.Parallel()
	ctx := context.Background()
	s, err := issuer.NewSCEP(issuer.SCEPConfig{URL: startSCEPServer(t, "SECRET")})
	require.NoError(t, err)

	_, err = s.Issue(ctx, verifiedCSR(t, p256Key(t)), testSubject)
	require.ErrorIs(t, err, issuer.ErrSCEPRefused)

	key := p256Key(t)
	csr, err := issuer.VerifyCSR(newCSR(t, key, "SECRET"), "SECRET")
	require.NoError(t, err)
	_, err = s.Issue(ctx, csr, testSubject)
	require.NoError(t, err, "only a CSR with the CA's own secret passes")
}

// With SCEPConfig.Challenge the CA's challenge travels in the
// challengePassword and the nonce in randomNonce: the CA issues, and the
// nonce is still checked.
func TestSCEPChallenger(t *testing.T) {
	if testing.Short() {
		t.Skip("starts scepserver")
	}
	t.Parallel()
	ctx := context.Background()
	s, err := issuer.NewSCEP(issuer.SCEPConfig{URL: startSCEPServer(t, "SECRET"), Challenge: "SECRET"})
	require.NoError(t, err)
	var c issuer.Challenger = s
	require.Equal(t, "SECRET", c.CSRChallenge())

	key := p256Key(t)
	der, err := issuer.NewCSRChallenge(rand.Reader, key, pkix.Name{CommonName: "phone"}, "nonce-1", "SECRET")
	require.NoError(t, err)
	_, err = issuer.VerifyCSRChallenge(der, "nonce-2", "SECRET")
	require.ErrorIs(t, err, issuer.ErrNonceMismatch, "another nonce")
	_, err = issuer.VerifyCSRChallenge(der, "nonce-1", "OTHER")
	require.ErrorIs(t, err, issuer.ErrNonceMismatch, "another challenge")
	_, err = issuer.VerifyCSR(der, "nonce-1")
	require.ErrorIs(t, err, issuer.ErrNonceMismatch, "the nonce is not in the challengePassword")
	csr, err := issuer.VerifyCSRChallenge(der, "nonce-1", "SECRET")
	require.NoError(t, err)
	cert, err := s.Issue(ctx, csr, testSubject)
	require.NoError(t, err)
	assert.True(t, key.PublicKey.Equal(cert.PublicKey))
}

func TestNewSCEPConfig(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "ftp://ca/scep", "http:///scep", "http://ca/scep?operation=x", "::"} {
		_, err := issuer.NewSCEP(issuer.SCEPConfig{URL: u})
		assert.Error(t, err, "URL %q", u)
	}
	s, err := issuer.NewSCEP(issuer.SCEPConfig{URL: "http://127.0.0.1:1/scep"})
	require.NoError(t, err)
	_, err = s.Issue(context.Background(), verifiedCSR(t, p256Key(t)), testSubject)
	require.Error(t, err, "no CA listens there")
	_, err = s.Issue(context.Background(), nil, testSubject)
	require.ErrorIs(t, err, issuer.ErrMalformedCSR)
}

// TestSCEPBadCA answers with what a broken or hostile CA might send.
func TestSCEPBadCA(t *testing.T) {
	t.Parallel()
	ca := newCA(t, t.TempDir())
	root, err := ca.Certificate(context.Background())
	require.NoError(t, err)
	tests := []struct {
		name          string
		caCert, pkiOp func(w http.ResponseWriter)
	}{
		{"GetCACert garbage", func(w http.ResponseWriter) { _, _ = w.Write([]byte("garbage")) }, nil},
		{"GetCACert HTTP 500", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }, nil},
		{"GetCACert oversize", func(w http.ResponseWriter) { _, _ = w.Write(make([]byte, 2<<20)) }, nil},
		{"PKIOperation garbage", nil, func(w http.ResponseWriter) { _, _ = w.Write([]byte("garbage")) }},
		{"PKIOperation empty", nil, func(w http.ResponseWriter) {}},
		{"PKIOperation HTTP 403", nil, func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) }},
		{"PKIOperation a certificate", nil, func(w http.ResponseWriter) { _, _ = w.Write(root.Raw) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Query().Get("operation") {
				case "GetCACert":
					if tt.caCert != nil {
						tt.caCert(w)
						return
					}
					_, _ = w.Write(root.Raw)
				case "PKIOperation":
					tt.pkiOp(w)
				default:
					w.WriteHeader(http.StatusNotFound)
				}
			}))
			t.Cleanup(srv.Close)
			s, err := issuer.NewSCEP(issuer.SCEPConfig{URL: srv.URL + "/scep"}, issuer.WithHTTPClient(srv.Client()))
			require.NoError(t, err)
			cert, err := s.Issue(context.Background(), verifiedCSR(t, p256Key(t)), testSubject)
			require.Error(t, err)
			assert.Nil(t, cert)
		})
	}
}

// BenchmarkSCEPIssue measures one issuance through scepserver on loopback,
// to compare with BenchmarkLocalCAIssue in the same run.
func BenchmarkSCEPIssue(b *testing.B) {
	ctx := context.Background()
	// -allowrenew 0: scepserver otherwise refuses a second certificate for
	// the same subject until the first nears its expiry.
	s, err := issuer.NewSCEP(issuer.SCEPConfig{URL: startSCEPServer(b, "", "-allowrenew", "0")})
	require.NoError(b, err)
	csr := verifiedCSR(b, p256Key(b))
	_, err = s.CACertificates(ctx)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue(ctx, csr, testSubject); err != nil {
			b.Fatal(err)
		}
	}
}
