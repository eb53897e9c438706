package keyart

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
)

// MaxSPKILen is the longest SubjectPublicKeyInfo, in bytes, that [OfSPKI]
// accepts. It is ample for every key the standard library parses (an 8192-bit
// RSA key takes about 1.1 KB) and bounds the work done on outside input.
const MaxSPKILen = 4096

// Errors returned by this package. Compare them with [errors.Is]; the
// returned errors wrap them with detail.
var (
	// ErrEmpty reports an empty SubjectPublicKeyInfo.
	ErrEmpty = errors.New("keyart: empty public key")
	// ErrTooLarge reports a SubjectPublicKeyInfo longer than [MaxSPKILen].
	ErrTooLarge = errors.New("keyart: public key too large")
	// ErrMalformed reports bytes that [x509.ParsePKIXPublicKey] refuses:
	// not DER, trailing data, or an unsupported algorithm.
	ErrMalformed = errors.New("keyart: malformed public key")
	// ErrUnsupportedKey reports a key that [x509.MarshalPKIXPublicKey]
	// cannot encode (for example nil or a private key).
	ErrUnsupportedKey = errors.New("keyart: unsupported public key")
	// ErrSize reports a PNG size outside [MinPNGSize] to [MaxPNGSize].
	ErrSize = errors.New("keyart: picture size out of range")
)

// Art is the picture and comparison code of one public key. It holds only
// the SHA-256 of the key's SubjectPublicKeyInfo, so it is cheap to copy and
// compare with ==. The zero value is the art of an all-zero hash, which no
// key is known to have; functions that fail return it. Art is immutable and safe for concurrent use.
type Art struct {
	sum [sha256.Size]byte
}

// Of returns the art of pub, any public key that [x509.MarshalPKIXPublicKey]
// accepts (*ecdsa.PublicKey, ed25519.PublicKey, *rsa.PublicKey,
// *ecdh.PublicKey). It hashes exactly the bytes MarshalPKIXPublicKey makes, so
// Of(pub) equals OfSPKI(der) for der, err := x509.MarshalPKIXPublicKey(pub).
// A nil or incomplete key, or one whose encoding [OfSPKI] would refuse (such
// as an ed25519.PublicKey of the wrong length), gives an error wrapping
// [ErrUnsupportedKey] rather than a picture or a panic.
func Of(pub crypto.PublicKey) (Art, error) {
	der, err := marshal(pub)
	if err != nil {
		return Art{}, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	// Round-trip through OfSPKI so that Of accepts exactly the keys whose
	// encoding OfSPKI accepts (this refuses, e.g., short ed25519 keys).
	art, err := OfSPKI(der)
	if err != nil {
		return Art{}, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	return art, nil
}

// marshal is x509.MarshalPKIXPublicKey turned safe: it panics on nil
// pointers and on ECDSA keys without a curve or point (Go 1.26), which marshal
// reports as errors instead.
func marshal(pub crypto.PublicKey) (der []byte, err error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return nil, fmt.Errorf("nil or incomplete %T", pub)
		}
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return nil, fmt.Errorf("nil or incomplete %T", pub)
		}
	case *ecdh.PublicKey:
		if k == nil {
			return nil, fmt.Errorf("nil %T", pub)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			der, err = nil, fmt.Errorf("incomplete %T", pub)
		}
	}()
	return x509.MarshalPKIXPublicKey(pub)
}

// OfSPKI returns the art of der, a DER-encoded SubjectPublicKeyInfo such as a
// device sends. der must be at most [MaxSPKILen] bytes, must parse with
// [x509.ParsePKIXPublicKey], and must be the canonical encoding of the key it
// holds: exactly what [x509.MarshalPKIXPublicKey] makes of that key.
// Otherwise OfSPKI returns an error wrapping [ErrEmpty], [ErrTooLarge] or
// [ErrMalformed]. Insisting on the canonical form gives every key exactly one
// picture and makes OfSPKI(der) equal [Of] of the parsed key: the parser
// alone admits variants (for example a BIT STRING with nonzero unused bits,
// which it right-aligns into a different key). DSA keys, which Go parses but
// cannot encode, are refused. The hash is over der as given, which is then
// the same bytes as the canonical encoding.
func OfSPKI(der []byte) (Art, error) {
	switch {
	case len(der) == 0:
		return Art{}, ErrEmpty
	case len(der) > MaxSPKILen:
		return Art{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(der), MaxSPKILen)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return Art{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	canonical, err := marshal(pub)
	if err != nil {
		return Art{}, fmt.Errorf("%w: cannot re-encode %T: %w", ErrMalformed, pub, err)
	}
	if !bytes.Equal(canonical, der) {
		return Art{}, fmt.Errorf("%w: not the canonical DER encoding of its %T", ErrMalformed, pub)
	}
	return FromSum(sha256.Sum256(der)), nil
}

// FromSum returns the art of a SHA-256 computed elsewhere, for example one
// stored beside a pending approval. It does not check that sum belongs to a
// valid key.
func FromSum(sum [sha256.Size]byte) Art {
	return Art{sum: sum}
}

// Sum returns the SHA-256 of the SubjectPublicKeyInfo that the art shows.
func (a Art) Sum() [sha256.Size]byte {
	return a.sum
}

// bits returns n (at most 8) bits of the hash starting at bit i, where bit 0
// is the most significant bit of sum[0], as a big-endian number.
func (a Art) bits(i, n int) int {
	v := 0
	for j := range n {
		b := i + j
		v = v<<1 | int(a.sum[b/8]>>(7-b%8)&1)
	}
	return v
}
