package directory_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

// The Ed25519 path signs and verifies without go-jose; its output must be
// the standard JWS that go-jose (and so any JOSE library) understands, and
// it must accept go-jose's.
func TestEd25519JWSInterop(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := directory.NewRecordSigner(priv)
	require.NoError(t, err)
	v, err := directory.NewRecordVerifier(pub)
	require.NoError(t, err)
	r := directory.RecordOf(directory.Entry{Source: "ad", ExternalID: "g1", Username: "zoë", Groups: []string{"R&D"}, Enabled: true})

	ours, err := s.Sign(r)
	require.NoError(t, err)
	obj, err := jose.ParseSignedCompact(ours, []jose.SignatureAlgorithm{jose.EdDSA})
	require.NoError(t, err)
	payload, err := obj.Verify(pub)
	require.NoError(t, err, "go-jose verifies our signature")
	assert.Equal(t, r.Canonical(), payload)

	// A signature go-jose made, with another header (a key ID), verifies.
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: priv}, (&jose.SignerOptions{}).WithHeader("kid", "org-1"))
	require.NoError(t, err)
	theirsObj, err := js.Sign(r.Canonical())
	require.NoError(t, err)
	theirs, err := theirsObj.CompactSerialize()
	require.NoError(t, err)
	require.NoError(t, v.Verify(r, theirs))

	b64 := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(ours, ".")
	withHeader := func(h string) string { return b64([]byte(h)) + "." + parts[1] + "." + parts[2] }
	for name, sig := range map[string]string{
		"alg none":           withHeader(`{"alg":"none"}`),
		"alg HS256":          withHeader(`{"alg":"HS256"}`),
		"crit":               withHeader(`{"alg":"EdDSA","crit":["exp"],"exp":1}`),
		"unencoded payload":  withHeader(`{"alg":"EdDSA","b64":false,"crit":["b64"]}`),
		"header not JSON":    withHeader(`alg`),
		"header not base64":  "!!." + parts[1] + "." + parts[2],
		"two parts":          parts[0] + "." + parts[1],
		"four parts":         ours + ".x",
		"empty signature":    parts[0] + "." + parts[1] + ".",
		"short signature":    parts[0] + "." + parts[1] + "." + b64([]byte("short")),
		"other payload":      parts[0] + "." + b64([]byte(`{"source":"ad"}`)) + "." + parts[2],
		"JSON serialization": `{"payload":"` + parts[1] + `","signatures":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, v.Verify(r, sig), directory.ErrBadSignature)
		})
	}
}

func TestEd25519KeySizes(t *testing.T) {
	_, err := directory.NewRecordSigner(ed25519.PrivateKey(make([]byte, 10)))
	require.ErrorContains(t, err, "private key is 10 bytes")
	_, err = directory.NewRecordVerifier(ed25519.PublicKey(make([]byte, 31)))
	require.ErrorContains(t, err, "public key is 31 bytes")
}

func FuzzVerifyRecordSignature(f *testing.F) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(f, err)
	s, err := directory.NewRecordSigner(priv)
	require.NoError(f, err)
	v, err := directory.NewRecordVerifier(pub)
	require.NoError(f, err)
	r := directory.Record{Source: "ad", ExternalID: "g1", Enabled: true}
	good, err := s.Sign(r)
	require.NoError(f, err)
	f.Add(good)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0..")
	f.Fuzz(func(t *testing.T, sig string) {
		err := v.Verify(r, sig)
		if err == nil && sig != good {
			// Ed25519 signatures are deterministic and the payload is
			// fixed: only a different but equivalent header may pass.
			if _, err := jose.ParseSignedCompact(sig, []jose.SignatureAlgorithm{jose.EdDSA}); err != nil {
				t.Fatalf("accepted %q, which go-jose refuses: %v", sig, err)
			}
		}
		if err != nil && !strings.Contains(err.Error(), "bad record signature") {
			t.Fatalf("error %v does not wrap ErrBadSignature", err)
		}
	})
}
