package issuer

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// MaxCSRSize is the largest CSR, PEM or DER, that [VerifyCSR] reads: 16 KiB.
const MaxCSRSize = 16 << 10

// MaxNonceSize is the longest nonce, in bytes, that [VerifyCSR] and
// [NewCSR] accept: 256.
const MaxNonceSize = 256

// Errors of CSR checking. They are wrapped, so compare with [errors.Is].
var (
	// ErrCSRTooLarge: the CSR is over MaxCSRSize.
	ErrCSRTooLarge = errors.New("issuer: CSR too large")
	// ErrMalformedCSR: the input is not a PKCS #10 CSR in PEM or DER.
	ErrMalformedCSR = errors.New("issuer: malformed CSR")
	// ErrUnsupportedKey: the CSR's key is neither ECDSA P-256 nor Ed25519,
	// or its signature algorithm is not one of theirs.
	ErrUnsupportedKey = errors.New("issuer: unsupported key type")
	// ErrBadSignature: the CSR's signature does not verify with its key, so
	// the sender has not proved possession of the key.
	ErrBadSignature = errors.New("issuer: CSR signature invalid")
	// ErrNonceMismatch: the CSR carries no nonce, more than one, or not the
	// one expected.
	ErrNonceMismatch = errors.New("issuer: CSR nonce mismatch")
)

// oidChallengePassword is PKCS #9 challengePassword, where the nonce goes.
var oidChallengePassword = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 7}

// oidRandomNonce is PKCS #9 randomNonce (RFC 2985, an OCTET STRING),
// where the nonce goes when the challengePassword must hold a CA's
// challenge (see [Challenger]).
var oidRandomNonce = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 25, 3}

var (
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// VerifyCSR parses a PKCS #10 certificate signing request (PEM block
// "CERTIFICATE REQUEST" or "NEW CERTIFICATE REQUEST", or DER) of at most
// [MaxCSRSize] bytes and checks that
//
//   - its public key is ECDSA on P-256 or Ed25519 ([ErrUnsupportedKey]);
//   - its own signature verifies with that key, proving that the sender
//     holds the private key ([ErrBadSignature]);
//   - it carries exactly one challengePassword attribute (OID
//     1.2.840.113549.1.9.7) with exactly one value equal to nonce, compared
//     in constant time ([ErrNonceMismatch]).
//
// An empty nonce never matches. VerifyCSR does not know which nonces were
// already used: the caller must look the nonce up in its store and consume
// it once, so that a replayed CSR is refused. Neither does it know which key
// the device registered; a caller that expects a particular key compares
// csr.PublicKey with it. Other subject fields and extensions in the CSR are
// ignored: the [Issuer] sets the certificate's subject itself.
//
// VerifyCSR is safe for concurrent use.
func VerifyCSR(data []byte, nonce string) (*x509.CertificateRequest, error) {
	return VerifyCSRChallenge(data, nonce, "")
}

// VerifyCSRChallenge is [VerifyCSR] for a CSR that a CA with a static
// challenge will see (see [Challenger]): with challenge not empty, the
// challengePassword must be challenge and the nonce is in the PKCS #9
// randomNonce attribute (as [NewCSRChallenge] writes it).
func VerifyCSRChallenge(data []byte, nonce, challenge string) (*x509.CertificateRequest, error) {
	if len(data) > MaxCSRSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrCSRTooLarge, len(data), MaxCSRSize)
	}
	der := data
	if trimmed := bytes.TrimSpace(data); bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		block, _ := pem.Decode(trimmed)
		if block == nil {
			return nil, fmt.Errorf("%w: bad PEM", ErrMalformedCSR)
		}
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			return nil, fmt.Errorf("%w: PEM block %q, want \"CERTIFICATE REQUEST\"", ErrMalformedCSR, block.Type)
		}
		der = block.Bytes
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedCSR, err)
	}
	if err := checkKey(csr.PublicKey); err != nil {
		return nil, err
	}
	switch csr.SignatureAlgorithm {
	case x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512, x509.PureEd25519:
	default:
		return nil, fmt.Errorf("%w: signature algorithm %v", ErrUnsupportedKey, csr.SignatureAlgorithm)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	got, err := challengePassword(csr.RawTBSCertificateRequest)
	if err != nil {
		return nil, err
	}
	if challenge != "" {
		if subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) != 1 {
			return nil, fmt.Errorf("%w: challengePassword is not the CA's challenge", ErrNonceMismatch)
		}
		if got, err = randomNonce(csr.RawTBSCertificateRequest); err != nil {
			return nil, err
		}
	}
	if nonce == "" || len(nonce) > MaxNonceSize || subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return nil, ErrNonceMismatch
	}
	return csr, nil
}

// checkKey accepts ECDSA P-256 and Ed25519 public keys.
func checkKey(pub any) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("%w: ECDSA on %s, want P-256", ErrUnsupportedKey, k.Curve.Params().Name)
		}
		return nil
	case ed25519.PublicKey:
		return nil
	default:
		return fmt.Errorf("%w: %T, want ECDSA P-256 or Ed25519", ErrUnsupportedKey, pub)
	}
}

// tbsRequest is CertificationRequestInfo (RFC 2986, section 4.1).
type tbsRequest struct {
	Version       int
	Subject       asn1.RawValue
	PublicKey     asn1.RawValue
	RawAttributes []asn1.RawValue `asn1:"tag:0"`
}

// attribute is one PKCS #10 Attribute with its SET OF values.
type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// challengePassword returns the single challengePassword value of a
// CertificationRequestInfo. The standard library does not expose it: its
// Attributes field only decodes attributes shaped like extension requests.
func challengePassword(tbsDER []byte) (string, error) {
	v, err := singleAttribute(tbsDER, oidChallengePassword, "challengePassword")
	if err != nil {
		return "", err
	}
	var s string
	if rest, err := asn1.Unmarshal(v.FullBytes, &s); err != nil || len(rest) != 0 {
		return "", fmt.Errorf("%w: challengePassword is not a string", ErrMalformedCSR)
	}
	return s, nil
}

// randomNonce returns the single randomNonce value of a
// CertificationRequestInfo.
func randomNonce(tbsDER []byte) (string, error) {
	v, err := singleAttribute(tbsDER, oidRandomNonce, "randomNonce")
	if err != nil {
		return "", err
	}
	var b []byte
	if rest, err := asn1.Unmarshal(v.FullBytes, &b); err != nil || len(rest) != 0 {
		return "", fmt.Errorf("%w: randomNonce is not an OCTET STRING", ErrMalformedCSR)
	}
	return string(b), nil
}

// singleAttribute returns the one value of the attribute typ, refusing
// none or several.
func singleAttribute(tbsDER []byte, typ asn1.ObjectIdentifier, name string) (asn1.RawValue, error) {
	var tbs tbsRequest
	if rest, err := asn1.Unmarshal(tbsDER, &tbs); err != nil || len(rest) != 0 {
		return asn1.RawValue{}, fmt.Errorf("%w: attributes", ErrMalformedCSR)
	}
	var found []asn1.RawValue
	for _, raw := range tbs.RawAttributes {
		var a attribute
		if rest, err := asn1.Unmarshal(raw.FullBytes, &a); err != nil || len(rest) != 0 {
			return asn1.RawValue{}, fmt.Errorf("%w: attribute", ErrMalformedCSR)
		}
		if a.Type.Equal(typ) {
			found = append(found, a.Values...)
			if len(found) > 1 {
				return asn1.RawValue{}, fmt.Errorf("%w: more than one %s", ErrNonceMismatch, name)
			}
		}
	}
	if len(found) == 0 {
		return asn1.RawValue{}, fmt.Errorf("%w: no %s attribute", ErrNonceMismatch, name)
	}
	return found[0], nil
}

// certificationRequest is CertificationRequest (RFC 2986, section 4.2).
type certificationRequest struct {
	TBS                asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

// NewCSR builds a DER PKCS #10 CSR for key, an *ecdsa.PrivateKey on P-256
// (signed with ECDSA-SHA256) or an ed25519.PrivateKey, with the given subject
// and nonce in its challengePassword attribute (UTF8String), as
// [VerifyCSR] expects. The standard library cannot write that attribute,
// hence this helper for Go devices and tests. rand is passed to the key's
// Sign method. The nonce must be 1 to [MaxNonceSize] bytes of UTF-8.
func NewCSR(rand io.Reader, key crypto.Signer, subject pkix.Name, nonce string) ([]byte, error) {
	return NewCSRChallenge(rand, key, subject, nonce, "")
}

// NewCSRChallenge is [NewCSR] for a CA with a static challenge: with
// challenge not empty, the challengePassword holds challenge and the nonce
// goes into a PKCS #9 randomNonce attribute, as [VerifyCSRChallenge]
// expects.
func NewCSRChallenge(rand io.Reader, key crypto.Signer, subject pkix.Name, nonce, challenge string) ([]byte, error) {
	if nonce == "" || len(nonce) > MaxNonceSize || len(challenge) > MaxNonceSize {
		return nil, fmt.Errorf("issuer: nonce must be 1 to %d bytes, a challenge at most %d", MaxNonceSize, MaxNonceSize)
	}
	if err := checkKey(key.Public()); err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	name, err := asn1.Marshal(subject.ToRDNSequence())
	if err != nil {
		return nil, fmt.Errorf("issuer: subject: %w", err)
	}
	password := nonce
	if challenge != "" {
		password = challenge
	}
	value, err := asn1.MarshalWithParams(password, "utf8")
	if err != nil {
		return nil, fmt.Errorf("issuer: challengePassword: %w", err)
	}
	attr, err := asn1.Marshal(attribute{Type: oidChallengePassword, Values: []asn1.RawValue{{FullBytes: value}}})
	if err != nil {
		return nil, fmt.Errorf("issuer: attribute: %w", err)
	}
	attrs := []asn1.RawValue{{FullBytes: attr}}
	if challenge != "" {
		value, err := asn1.Marshal([]byte(nonce))
		if err != nil {
			return nil, fmt.Errorf("issuer: nonce: %w", err)
		}
		attr, err := asn1.Marshal(attribute{Type: oidRandomNonce, Values: []asn1.RawValue{{FullBytes: value}}})
		if err != nil {
			return nil, fmt.Errorf("issuer: attribute: %w", err)
		}
		attrs = append(attrs, asn1.RawValue{FullBytes: attr})
	}
	tbs, err := asn1.Marshal(tbsRequest{
		Subject:       asn1.RawValue{FullBytes: name},
		PublicKey:     asn1.RawValue{FullBytes: spki},
		RawAttributes: attrs,
	})
	if err != nil {
		return nil, fmt.Errorf("issuer: request: %w", err)
	}
	var (
		sig []byte
		alg pkix.AlgorithmIdentifier
	)
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		alg = pkix.AlgorithmIdentifier{Algorithm: oidEd25519}
		sig, err = key.Sign(rand, tbs, crypto.Hash(0))
	} else {
		alg = pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}
		digest := sha256.Sum256(tbs)
		sig, err = key.Sign(rand, digest[:], crypto.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: signing CSR: %w", err)
	}
	der, err := asn1.Marshal(certificationRequest{
		TBS:                asn1.RawValue{FullBytes: tbs},
		SignatureAlgorithm: alg,
		Signature:          asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
	if err != nil {
		return nil, fmt.Errorf("issuer: request: %w", err)
	}
	return der, nil
}
