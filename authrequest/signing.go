package authrequest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What a device signs. Each message starts with its own context line, so
// that a signature made for one purpose is refused for another, and holds
// one "name=value" line per field; free text and binary fields are in
// standard base64, so that no value can hold a line break.
const (
	answerContext = "usher-authrequest-answer-v1"
	listContext   = "usher-authrequest-list-v1"
	claimContext  = "usher-authrequest-claim-v1"
)

// ProofSkew is how far a device's clock may be from the server's for a
// list or claim proof: 5 minutes.
const ProofSkew = 5 * time.Minute

// MaxAnswerLifetime is how far in the future a signed answer's expiry may
// be: 10 minutes.
const MaxAnswerLifetime = 10 * time.Minute

// SignedAnswer is what a device signs to answer a request: the request's
// ID and current nonce (from the pending list), the decision, an expiry,
// the number the user typed (number matching) and the device's payload.
type SignedAnswer struct {
	RequestID   string
	Nonce       string
	Decision    Decision
	Expiry      time.Time // whole seconds
	Number      string
	Payload     []byte
	PayloadType string
	Reason      string
}

// Message returns the bytes a device signs for a.
func (a SignedAnswer) Message() []byte {
	var b strings.Builder
	b.WriteString(answerContext + "\n")
	field(&b, "request", a.RequestID)
	field(&b, "nonce", a.Nonce)
	field(&b, "decision", string(a.Decision))
	field(&b, "expiry", strconv.FormatInt(a.Expiry.Unix(), 10))
	field(&b, "number", a.Number)
	field(&b, "payload", base64.StdEncoding.EncodeToString(a.Payload))
	field(&b, "payload_type", base64.StdEncoding.EncodeToString([]byte(a.PayloadType)))
	field(&b, "reason", base64.StdEncoding.EncodeToString([]byte(a.Reason)))
	return []byte(b.String())
}

// ListMessage returns the bytes a device signs to list its pending
// requests at t.
func ListMessage(deviceID string, t time.Time) []byte {
	var b strings.Builder
	b.WriteString(listContext + "\n")
	field(&b, "device", deviceID)
	field(&b, "time", strconv.FormatInt(t.Unix(), 10))
	return []byte(b.String())
}

// ClaimMessage returns the bytes a device signs to claim the QR request
// id with the code it scanned, at t.
func ClaimMessage(requestID, code, deviceID string, t time.Time) []byte {
	var b strings.Builder
	b.WriteString(claimContext + "\n")
	field(&b, "request", requestID)
	field(&b, "code", code)
	field(&b, "device", deviceID)
	field(&b, "time", strconv.FormatInt(t.Unix(), 10))
	return []byte(b.String())
}

// field writes name=value; values that could hold a line break never get
// here unencoded (IDs, nonces, numbers and decisions are checked to be
// plain tokens before they are verified).
func field(b *strings.Builder, name, value string) {
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(value)
	b.WriteByte('\n')
}

// Sign signs msg with a device key the way the Manager verifies it:
// ECDSA P-256 over SHA-256 (ASN.1 signature), or Ed25519 over msg itself.
func Sign(key crypto.Signer, msg []byte) ([]byte, error) {
	switch k := key.Public().(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("authrequest: sign: ECDSA key is not P-256")
		}
		sum := sha256.Sum256(msg)
		return key.Sign(rand.Reader, sum[:], crypto.SHA256)
	case ed25519.PublicKey:
		return key.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	return nil, fmt.Errorf("authrequest: sign: unsupported key %T", key.Public())
}

// verify checks sig over msg with the DER SubjectPublicKeyInfo spki.
func verify(spki, msg, sig []byte) bool {
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return false
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return false
		}
		sum := sha256.Sum256(msg)
		return ecdsa.VerifyASN1(k, sum[:], sig)
	case ed25519.PublicKey:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k, msg, sig)
	}
	return false
}

// token reports whether s is a plain token: 1 to 128 of a-z, A-Z, 0-9,
// '-' and '_'.
func token(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
