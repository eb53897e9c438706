package issuer_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding/issuer"
)

const testNonce = "n-0123456789abcdef"

func p256Key(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	return k
}

func ed25519Key(tb testing.TB) ed25519.PrivateKey {
	tb.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(tb, err)
	return k
}

func newCSR(tb testing.TB, key crypto.Signer, nonce string) []byte {
	tb.Helper()
	der, err := issuer.NewCSR(rand.Reader, key, pkix.Name{CommonName: "device"}, nonce)
	require.NoError(tb, err)
	return der
}

func TestVerifyCSRAccepts(t *testing.T) {
	t.Parallel()
	p256 := p256Key(t)
	ed := ed25519Key(t)
	tests := []struct {
		name string
		key  crypto.Signer
		pem  bool
	}{
		{"P-256 DER", p256, false},
		{"P-256 PEM", p256, true},
		{"Ed25519 DER", ed, false},
		{"Ed25519 PEM", ed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := newCSR(t, tt.key, testNonce)
			if tt.pem {
				data = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: data})
			}
			csr, err := issuer.VerifyCSR(data, testNonce)
			require.NoError(t, err)
			assert.True(t, tt.key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(csr.PublicKey))
		})
	}
}

func TestVerifyCSRRefuses(t *testing.T) {
	t.Parallel()
	good := newCSR(t, p256Key(t), testNonce)

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaCSR, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "d"}}, rsaKey)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	p384CSR, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "d"}}, p384)
	require.NoError(t, err)
	noNonce, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "d"}}, p256Key(t))
	require.NoError(t, err)

	// Forge: change one byte of the subject's common name inside the signed part.
	forged := append([]byte(nil), good...)
	i := strings.Index(string(forged), "device")
	require.Positive(t, i)
	forged[i] = 'D'
	// Forge the signature itself: flip its last byte.
	badSig := append([]byte(nil), good...)
	badSig[len(badSig)-1] ^= 0xff

	tests := []struct {
		name  string
		data  []byte
		nonce string
		want  error
	}{
		{"RSA key", rsaCSR, testNonce, issuer.ErrUnsupportedKey},
		{"P-384 key", p384CSR, testNonce, issuer.ErrUnsupportedKey},
		{"wrong nonce", good, "another-nonce", issuer.ErrNonceMismatch},
		{"nonce prefix", good, testNonce[:5], issuer.ErrNonceMismatch},
		{"empty expected nonce", good, "", issuer.ErrNonceMismatch},
		{"no nonce", noNonce, testNonce, issuer.ErrNonceMismatch},
		{"tampered subject", forged, testNonce, issuer.ErrBadSignature},
		{"tampered signature", badSig, testNonce, issuer.ErrBadSignature},
		{"garbage", []byte("not a CSR at all"), testNonce, issuer.ErrMalformedCSR},
		{"empty", nil, testNonce, issuer.ErrMalformedCSR},
		{"truncated", good[:len(good)/2], testNonce, issuer.ErrMalformedCSR},
		{"PEM of a certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: good}), testNonce, issuer.ErrMalformedCSR},
		{"broken PEM", []byte("-----BEGIN CERTIFICATE REQUEST-----\n!!!"), testNonce, issuer.ErrMalformedCSR},
		{"oversize", make([]byte, issuer.MaxCSRSize+1), testNonce, issuer.ErrCSRTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			csr, err := issuer.VerifyCSR(tt.data, tt.nonce)
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, csr)
			assert.True(t, strings.HasPrefix(err.Error(), "issuer: "), err.Error())
		})
	}
}

func TestNewCSRRefuses(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	_, err = issuer.NewCSR(rand.Reader, rsaKey, pkix.Name{}, testNonce)
	require.ErrorIs(t, err, issuer.ErrUnsupportedKey)
	_, err = issuer.NewCSR(rand.Reader, p256Key(t), pkix.Name{}, "")
	require.Error(t, err)
	_, err = issuer.NewCSR(rand.Reader, p256Key(t), pkix.Name{}, strings.Repeat("n", issuer.MaxNonceSize+1))
	require.Error(t, err)
}

func FuzzVerifyCSR(f *testing.F) {
	f.Add(newCSR(f, p256Key(f), testNonce), testNonce)
	f.Add(newCSR(f, ed25519Key(f), "x"), "x")
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: newCSR(f, p256Key(f), "y")}), "y")
	f.Add([]byte("garbage"), "")
	f.Fuzz(func(t *testing.T, data []byte, nonce string) {
		csr, err := issuer.VerifyCSR(data, nonce)
		if err != nil {
			if csr != nil {
				t.Fatal("CSR returned with an error")
			}
			return
		}
		if nonce == "" {
			t.Fatal("empty nonce accepted")
		}
		if err := csr.CheckSignature(); err != nil {
			t.Fatalf("accepted CSR does not verify: %v", err)
		}
	})
}

// TestVerifyCSROpenSSL reads a CSR made by `openssl req` with
// challengePassword=nonce123, so devices need not use NewCSR.
func TestVerifyCSROpenSSL(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/openssl-p256-nonce123.csr")
	require.NoError(t, err)
	_, err = issuer.VerifyCSR(data, "nonce123")
	require.NoError(t, err)
	_, err = issuer.VerifyCSR(data, "nonce124")
	require.ErrorIs(t, err, issuer.ErrNonceMismatch)
}

func BenchmarkVerifyCSR(b *testing.B) {
	for _, k := range []struct {
		name string
		key  crypto.Signer
	}{{"P-256", p256Key(b)}, {"Ed25519", ed25519Key(b)}} {
		b.Run(k.name, func(b *testing.B) {
			der := newCSR(b, k.key, testNonce)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := issuer.VerifyCSR(der, testNonce); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
