package directory

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Ed25519 records take a direct path through crypto/ed25519 instead of
// go-jose: a sync signs and verifies one JWS per user, and go-jose's
// general machinery cost about 40 % on top of the curve arithmetic. The
// output is the same standard JWS compact serialization (RFC 7515 with
// RFC 8037's EdDSA), which go-jose and any other JOSE library verify; the
// tests check both directions.

// ed25519Header is the protected header of the records this package signs.
const ed25519Header = `{"alg":"EdDSA","typ":"usher-record+jws"}`

var ed25519HeaderB64 = base64.RawURLEncoding.EncodeToString([]byte(ed25519Header))

// signEd25519 returns the compact JWS of payload.
func signEd25519(key ed25519.PrivateKey, payload []byte) string {
	return signEd25519With(key, ed25519HeaderB64, payload)
}

// signEd25519With returns the compact JWS of payload under the protected
// header whose base64url form is headerB64.
func signEd25519With(key ed25519.PrivateKey, headerB64 string, payload []byte) string {
	enc := base64.RawURLEncoding
	input := make([]byte, 0, len(headerB64)+1+enc.EncodedLen(len(payload)))
	input = append(input, headerB64...)
	input = append(input, '.')
	input = enc.AppendEncode(input, payload)
	sig := ed25519.Sign(key, input)
	return string(enc.AppendEncode(append(input, '.'), sig))
}

// verifyEd25519 checks that compact is an EdDSA JWS of exactly payload
// made with key. Its errors say what is wrong; the caller wraps them.
func verifyEd25519(key ed25519.PublicKey, compact string, payload []byte) error {
	header, body, sigB64, ok := splitCompact(compact)
	if !ok {
		return errors.New("not a JWS compact serialization")
	}
	if header != ed25519HeaderB64 {
		if err := checkEdDSAHeader(header); err != nil {
			return err
		}
	}
	enc := base64.RawURLEncoding
	sig, err := enc.DecodeString(sigB64)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("malformed signature")
	}
	if !ed25519.Verify(key, []byte(compact[:len(header)+1+len(body)]), sig) {
		return errNotOurKey
	}
	if body != enc.EncodeToString(payload) {
		return errChanged
	}
	return nil
}

var (
	errNotOurKey = errors.New("not signed by the organization's key")
	errChanged   = errors.New("the record was changed after it was signed")
)

// splitCompact splits a compact serialization into its three parts.
func splitCompact(s string) (header, payload, sig string, ok bool) {
	header, rest, ok1 := strings.Cut(s, ".")
	payload, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.Contains(sig, ".") || header == "" || sig == "" {
		return "", "", "", false
	}
	return header, payload, sig, true
}

// checkEdDSAHeader accepts a protected header that names EdDSA and asks
// for no extension this verifier does not implement (crit, b64).
func checkEdDSAHeader(b64 string) error {
	raw, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return errors.New("malformed protected header")
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil {
		return errors.New("malformed protected header")
	}
	var alg string
	if err := json.Unmarshal(h["alg"], &alg); err != nil || alg != "EdDSA" {
		return fmt.Errorf("algorithm %s is not EdDSA", h["alg"])
	}
	for _, ext := range []string{"crit", "b64"} {
		if _, present := h[ext]; present {
			return fmt.Errorf("unsupported header parameter %q", ext)
		}
	}
	return nil
}
