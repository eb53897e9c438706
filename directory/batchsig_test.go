package directory_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

func batchRecords(n int) []directory.Record {
	rs := make([]directory.Record, n)
	for i := range rs {
		k := strconv.Itoa(i)
		rs[i] = directory.RecordOf(directory.Entry{Source: "ad", ExternalID: "guid-" + k, Username: "user" + k,
			CorporateEmail: "user" + k + "@example.test", Groups: []string{"staff"}, Enabled: i%3 != 0})
	}
	return rs
}

type keyPair struct {
	name string
	priv any
	pub  any
}

func testKeys(t testing.TB) []keyPair {
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return []keyPair{{"Ed25519", edPriv, edPub}, {"P-256", ec, &ec.PublicKey}}
}

// Every signature of a batch verifies on its own, with a verifier that has
// seen none of the others, for every tree shape up to and past
// RecordsPerHead.
func TestSignBatchVerifies(t *testing.T) {
	for _, k := range testKeys(t) {
		signer, err := directory.NewRecordSigner(k.priv)
		require.NoError(t, err)
		for _, n := range []int{0, 1, 2, 3, 5, 8, 127, 128, 129, 300} {
			t.Run(fmt.Sprintf("%s/%d", k.name, n), func(t *testing.T) {
				rs := batchRecords(n)
				sigs, err := signer.SignBatch(rs)
				require.NoError(t, err)
				require.Len(t, sigs, n)
				shared, err := directory.NewRecordVerifier(k.pub)
				require.NoError(t, err)
				heads := map[string]bool{}
				for i, r := range rs {
					fresh, err := directory.NewRecordVerifier(k.pub)
					require.NoError(t, err)
					require.NoError(t, fresh.Verify(r, sigs[i]), "record %d alone", i)
					require.NoError(t, shared.Verify(r, sigs[i]), "record %d", i)
					head, _, _ := strings.Cut(sigs[i], "~")
					heads[head] = true
				}
				assert.Len(t, heads, (n+directory.RecordsPerHead-1)/directory.RecordsPerHead, "one signed head per RecordsPerHead records")
			})
		}
	}
}

// A batch signature covers exactly its record: any change, another
// record's signature, another key, or any edit of the signature is
// refused with ErrBadSignature.
func TestSignBatchRefuses(t *testing.T) {
	keys := testKeys(t)
	signer, err := directory.NewRecordSigner(keys[0].priv)
	require.NoError(t, err)
	other, err := directory.NewRecordSigner(testKeys(t)[0].priv)
	require.NoError(t, err)
	rs := batchRecords(10)
	sigs, err := signer.SignBatch(rs)
	require.NoError(t, err)
	otherSigs, err := other.SignBatch(rs)
	require.NoError(t, err)
	single, err := signer.Sign(rs[0])
	require.NoError(t, err)
	head, rest, _ := strings.Cut(sigs[3], "~")
	index, proof, _ := strings.Cut(rest, "~")
	changed := rs[3]
	changed.Enabled = !changed.Enabled
	otherHead, _, _ := strings.Cut(otherSigs[3], "~")
	rawProof, err := base64.RawURLEncoding.DecodeString(proof)
	require.NoError(t, err)
	rawProof[0] ^= 1
	bitFlipped := base64.RawURLEncoding.EncodeToString(rawProof)

	cases := []struct {
		name string
		r    directory.Record
		sig  string
	}{
		{"changed record", changed, sigs[3]},
		{"another record's signature", rs[3], sigs[4]},
		{"another key", rs[3], otherSigs[3]},
		{"another key's head over our proof", rs[3], otherHead + "~" + index + "~" + proof},
		{"other index", rs[3], head + "~4~" + proof},
		{"index past the tree", rs[3], head + "~10~" + proof},
		{"negative index", rs[3], head + "~-3~" + proof},
		{"index with a leading zero", rs[3], head + "~03~" + proof},
		{"proof with a flipped bit", rs[3], head + "~" + index + "~" + bitFlipped},
		{"proof cut short", rs[3], head + "~" + index + "~" + proof[:len(proof)-43]},
		{"no proof", rs[3], head + "~" + index + "~"},
		{"proof not base64", rs[3], head + "~" + index + "~!!"},
		{"no head", rs[3], "~" + index + "~" + proof},
		{"missing part", rs[3], head + "~" + index},
		{"record JWS as head", rs[0], single + "~0~"},
		{"head as record JWS", rs[3], head},
		{"empty", rs[3], ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := directory.NewRecordVerifier(keys[0].pub)
			require.NoError(t, err)
			require.NoError(t, v.Verify(rs[3], sigs[3]), "the head is now known to the verifier")
			assert.ErrorIs(t, v.Verify(tc.r, tc.sig), directory.ErrBadSignature)
		})
	}
}

// The head is a standard JWS: go-jose verifies it with the public key
// and sees its type.
func TestSignBatchHeadIsJWS(t *testing.T) {
	for _, k := range testKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			signer, err := directory.NewRecordSigner(k.priv)
			require.NoError(t, err)
			sigs, err := signer.SignBatch(batchRecords(3))
			require.NoError(t, err)
			head, _, _ := strings.Cut(sigs[0], "~")
			obj, err := jose.ParseSignedCompact(head, []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256})
			require.NoError(t, err)
			payload, err := obj.Verify(k.pub)
			require.NoError(t, err)
			assert.Contains(t, string(payload), `"size":3`)
			assert.Equal(t, "usher-record-batch+jws", obj.Signatures[0].Protected.ExtraHeaders[jose.HeaderType])
		})
	}
}

// Verification is safe for concurrent use (run under -race), also while
// the verifier's memory of heads fills and is emptied (1,600 heads).
func TestVerifyBatchConcurrentAndBounded(t *testing.T) {
	keys := testKeys(t)
	signer, err := directory.NewRecordSigner(keys[0].priv)
	require.NoError(t, err)
	v, err := directory.NewRecordVerifier(keys[0].pub)
	require.NoError(t, err)
	rs := batchRecords(2 * directory.RecordsPerHead)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for round := range 200 {
				// A batch of one record per head: many distinct heads.
				i := (g*200 + round) % len(rs)
				sigs, err := signer.SignBatch(rs[i : i+1])
				if !assert.NoError(t, err) || !assert.NoError(t, v.Verify(rs[i], sigs[0])) {
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzVerifyBatchSignature(f *testing.F) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(f, err)
	s, err := directory.NewRecordSigner(priv)
	require.NoError(f, err)
	v, err := directory.NewRecordVerifier(pub)
	require.NoError(f, err)
	rs := batchRecords(5)
	sigs, err := s.SignBatch(rs)
	require.NoError(f, err)
	good := sigs[2]
	f.Add(good)
	f.Add(sigs[1])
	f.Add("~~")
	f.Add("a.b.c~0~")
	f.Fuzz(func(t *testing.T, sig string) {
		err := v.Verify(rs[2], sig)
		if err == nil && sig != good {
			t.Fatalf("accepted %q, which the signer did not make", sig)
		}
		if err != nil && !strings.Contains(err.Error(), "bad record signature") {
			t.Fatalf("error %v does not wrap ErrBadSignature", err)
		}
	})
}
