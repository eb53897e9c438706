package keyart_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/onboarding/keyart"
)

// testKeys are the SubjectPublicKeyInfo files in testdata.
var testKeys = []string{"ed25519", "p256", "rsa2048", "x25519"}

func readKey(t testing.TB, name string) []byte {
	t.Helper()
	der, err := os.ReadFile(filepath.Join("testdata", name+".der"))
	require.NoError(t, err)
	return der
}

func TestOfSPKIMatchesOf(t *testing.T) {
	t.Parallel()
	for _, name := range testKeys {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			der := readKey(t, name)
			fromDER, err := keyart.OfSPKI(der)
			require.NoError(t, err)
			assert.Equal(t, sha256.Sum256(der), fromDER.Sum())

			pub, err := x509.ParsePKIXPublicKey(der)
			require.NoError(t, err)
			fromKey, err := keyart.Of(pub)
			require.NoError(t, err)
			assert.Equal(t, fromDER, fromKey)
			assert.Equal(t, fromDER, keyart.FromSum(fromDER.Sum()))
		})
	}
}

func TestOfSPKIRefuses(t *testing.T) {
	t.Parallel()
	good := readKey(t, "p256")
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	truncated := good[:len(good)-1]
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-1] ^= 0xff // point no longer on the curve

	tests := []struct {
		name string
		der  []byte
		want error
	}{
		{"nil", nil, keyart.ErrEmpty},
		{"empty", []byte{}, keyart.ErrEmpty},
		{"too large", make([]byte, keyart.MaxSPKILen+1), keyart.ErrTooLarge},
		{"garbage", []byte("not a key"), keyart.ErrMalformed},
		{"zeros", make([]byte, 64), keyart.ErrMalformed},
		{"trailing data", append(bytes.Clone(good), 0), keyart.ErrMalformed},
		{"truncated", truncated, keyart.ErrMalformed},
		{"point off curve", corrupt, keyart.ErrMalformed},
		{"private key", pkcs8, keyart.ErrMalformed},
		{"ed25519 BIT STRING with unused bits", ed25519UnusedBits, keyart.ErrMalformed},
		{"DSA, parsed but not encodable", dsaSPKI(t), keyart.ErrMalformed},
		{"PEM instead of DER", []byte("-----BEGIN PUBLIC KEY-----\n"), keyart.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			art, err := keyart.OfSPKI(tt.der)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), "keyart:")
			assert.Equal(t, keyart.Art{}, art)
		})
	}
}

// ed25519UnusedBits parses (Go right-aligns the BIT STRING into a different
// key) but is not the canonical encoding of that key; found by FuzzOfSPKI.
var ed25519UnusedBits = []byte("0*0\x05\x06\x03+ep\x03!\x01" + strings.Repeat("0", 32))

// dsaSPKI returns the SubjectPublicKeyInfo of a small DSA key (parameters
// not meant to be secure) built with encoding/asn1.
func dsaSPKI(t *testing.T) []byte {
	t.Helper()
	params, err := asn1.Marshal(struct{ P, Q, G *big.Int }{big.NewInt(23), big.NewInt(11), big.NewInt(4)})
	require.NoError(t, err)
	y, err := asn1.Marshal(big.NewInt(8))
	require.NoError(t, err)
	der, err := asn1.Marshal(struct {
		Algorithm struct {
			OID    asn1.ObjectIdentifier
			Params asn1.RawValue
		}
		Key asn1.BitString
	}{
		Algorithm: struct {
			OID    asn1.ObjectIdentifier
			Params asn1.RawValue
		}{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}, asn1.RawValue{FullBytes: params}},
		Key: asn1.BitString{Bytes: y, BitLength: 8 * len(y)},
	})
	require.NoError(t, err)
	pub, err := x509.ParsePKIXPublicKey(der)
	require.NoError(t, err, "the parser accepts this DSA key")
	require.Equal(t, "*dsa.PublicKey", fmt.Sprintf("%T", pub)) // no import of the deprecated package
	return der
}

func TestOfRefuses(t *testing.T) {
	t.Parallel()
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	tests := []struct {
		name string
		pub  any
	}{
		{"nil", nil},
		{"private key", priv},
		{"string", "ed25519"},
		{"nil ECDSA curve", &ecdsa.PublicKey{}},
		{"ECDSA without point", &ecdsa.PublicKey{Curve: elliptic.P256()}},
		{"nil *ecdsa.PublicKey", (*ecdsa.PublicKey)(nil)},
		{"nil *rsa.PublicKey", (*rsa.PublicKey)(nil)},
		{"RSA without modulus", &rsa.PublicKey{E: 65537}},
		{"RSA with exponent 0", &rsa.PublicKey{N: big.NewInt(15)}},
		{"nil *ecdh.PublicKey", (*ecdh.PublicKey)(nil)},
		{"zero ecdh.PublicKey", &ecdh.PublicKey{}},
		{"short ed25519", ed25519.PublicKey{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := keyart.Of(tt.pub)
			require.ErrorIs(t, err, keyart.ErrUnsupportedKey)
		})
	}
}

func TestCode(t *testing.T) {
	t.Parallel()
	var sum [32]byte
	tests := []struct {
		name string
		tail [8]byte // bytes 24–31
		want string
	}{
		{"zero", [8]byte{}, "0000 0000"},
		{"one", [8]byte{7: 1}, "0000 0001"},
		{"12345678", [8]byte{4: 0x00, 5: 0xbc, 6: 0x61, 7: 0x4e}, "1234 5678"},
		{"10^8 wraps", [8]byte{4: 0x05, 5: 0xf5, 6: 0xe1, 7: 0x00}, "0000 0000"},
		{"max", [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "0955 1615"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sum
			copy(s[24:], tt.tail[:])
			assert.Equal(t, tt.want, keyart.FromSum(s).Code())
		})
	}
}

// TestCodeIgnoresPictureBytes checks that the code depends on bytes 24–31
// only: changing any other byte leaves it, flipping any bit of those changes
// it (2^k mod 10^8 is never 0).
func TestCodeIgnoresPictureBytes(t *testing.T) {
	t.Parallel()
	base := sha256.Sum256([]byte("keyart"))
	want := keyart.FromSum(base).Code()
	assert.Regexp(t, regexp.MustCompile(`^[0-9]{4} [0-9]{4}$`), want)
	for i := range 32 * 8 {
		s := base
		s[i/8] ^= 0x80 >> (i % 8)
		got := keyart.FromSum(s).Code()
		if i < 24*8 {
			assert.Equal(t, want, got, "bit %d", i)
		} else {
			assert.NotEqual(t, want, got, "bit %d", i)
		}
	}
}

// TestConcurrent renders one art from many goroutines at once (run with
// -race) and checks that every result is byte-identical.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	art, err := keyart.OfSPKI(readKey(t, "p256"))
	require.NoError(t, err)
	var wantPNG, wantSVG bytes.Buffer
	require.NoError(t, art.PNG(&wantPNG, 240))
	require.NoError(t, art.SVG(&wantSVG))

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			var p, s bytes.Buffer
			assert.NoError(t, art.PNG(&p, 240))
			assert.NoError(t, art.SVG(&s))
			assert.Equal(t, wantPNG.Bytes(), p.Bytes())
			assert.Equal(t, wantSVG.Bytes(), s.Bytes())
			assert.Equal(t, art.Code(), art.Code())
		})
	}
	wg.Wait()
}
