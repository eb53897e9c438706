package directory

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/usher-sdk/usher/internal/keyfile"
)

// ErrBadSignature means a synced record's signature is missing, malformed,
// made with another key, or does not cover the record as it is now.
var ErrBadSignature = errors.New("directory: bad record signature")

// RecordSigner signs records with the organization's private key (Ed25519
// or ECDSA P-256): one at a time (Sign) as JWS compact serializations
// whose payload is the record's canonical form, or many together
// (SignBatch, what the sync functions use) with one signature over a
// Merkle tree of them and an inclusion proof per record. Either kind of
// signature verifies on its own (RecordVerifier). It is safe for
// concurrent use.
type RecordSigner struct {
	signer jose.Signer
	head   jose.Signer        // batch heads (SignBatch), typ usher-record-batch+jws
	ed     ed25519.PrivateKey // set for Ed25519 keys: the direct path
	pub    crypto.PublicKey
}

// NewRecordSigner returns a signer for an ed25519.PrivateKey or a P-256
// *ecdsa.PrivateKey.
func NewRecordSigner(key crypto.PrivateKey) (*RecordSigner, error) {
	alg, err := algorithmOf(key)
	if err != nil {
		return nil, err
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("usher-record+jws"))
	if err != nil {
		return nil, fmt.Errorf("directory: record signer: %w", err)
	}
	head, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType(headTyp))
	if err != nil {
		return nil, fmt.Errorf("directory: record signer: %w", err)
	}
	rs := &RecordSigner{signer: s, head: head, pub: key.(crypto.Signer).Public()}
	if k, ok := key.(ed25519.PrivateKey); ok {
		rs.ed = k
	}
	return rs, nil
}

// Public returns the public half of the signer's key, which verifies its
// signatures (NewRecordVerifier).
func (s *RecordSigner) Public() crypto.PublicKey { return s.pub }

// Sign returns the JWS of r's canonical form.
func (s *RecordSigner) Sign(r Record) (string, error) {
	if s.ed != nil {
		return signEd25519(s.ed, r.Canonical()), nil
	}
	obj, err := s.signer.Sign(r.Canonical())
	if err != nil {
		return "", fmt.Errorf("directory: signing record: %w", err)
	}
	return obj.CompactSerialize()
}

// RecordVerifier checks record signatures with the organization's public
// key.
type RecordVerifier struct {
	key   crypto.PublicKey
	alg   jose.SignatureAlgorithm
	heads headCache // batch heads verified (SignBatch)
}

// NewRecordVerifier returns a verifier for an ed25519.PublicKey or a P-256
// *ecdsa.PublicKey.
func NewRecordVerifier(key crypto.PublicKey) (*RecordVerifier, error) {
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("directory: Ed25519 public key is %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		alg = jose.EdDSA
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("directory: only ECDSA keys on P-256 are supported")
		}
		alg = jose.ES256
	default:
		return nil, fmt.Errorf("directory: unsupported public key type %T (want Ed25519 or ECDSA P-256)", key)
	}
	return &RecordVerifier{key: key, alg: alg}, nil
}

// Verify checks that sig is a valid signature of exactly r, made by Sign
// or by SignBatch. Any failure wraps ErrBadSignature and says why. It is
// safe for concurrent use; it remembers the batch heads it has verified
// (at most 1,024), so that the other records of a batch cost a few hashes.
func (v *RecordVerifier) Verify(r Record, sig string) error {
	if strings.Contains(sig, "~") {
		if err := v.verifyBatch(r.Canonical(), sig); err != nil {
			return fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return nil
	}
	if k, ok := v.key.(ed25519.PublicKey); ok {
		if err := verifyEd25519(k, sig, r.Canonical()); err != nil {
			return fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		return nil
	}
	obj, err := jose.ParseSignedCompact(sig, []jose.SignatureAlgorithm{v.alg})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	payload, err := obj.Verify(v.key)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, errNotOurKey)
	}
	if !bytes.Equal(payload, r.Canonical()) {
		return fmt.Errorf("%w: %v", ErrBadSignature, errChanged)
	}
	return nil
}

func algorithmOf(key crypto.PrivateKey) (jose.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return "", fmt.Errorf("directory: Ed25519 private key is %d bytes, want %d", len(k), ed25519.PrivateKeySize)
		}
		return jose.EdDSA, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return "", errors.New("directory: only ECDSA keys on P-256 are supported")
		}
		return jose.ES256, nil
	default:
		return "", fmt.Errorf("directory: unsupported private key type %T (want Ed25519 or ECDSA P-256)", key)
	}
}

// KeyAlgorithm names a kind of organization key.
type KeyAlgorithm string

// The organization key kinds.
const (
	Ed25519 KeyAlgorithm = "ed25519"
	P256    KeyAlgorithm = "p256"
)

// GenerateKeyFiles creates an organization key pair and writes the private
// key (PKCS #8 PEM, mode 0600) and the public key (PKIX PEM, mode 0644). It
// never overwrites: when either file exists it returns an error wrapping
// fs.ErrExist and writes nothing.
func GenerateKeyFiles(alg KeyAlgorithm, privatePath, publicPath string) error {
	for _, p := range []string{privatePath, publicPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("directory: key file %s: %w (refusing to overwrite a key)", p, fs.ErrExist)
		}
	}
	var priv crypto.Signer
	switch alg {
	case Ed25519, "":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		priv = k
	case P256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		priv = k
	default:
		return fmt.Errorf("directory: unknown key algorithm %q (want %q or %q)", alg, Ed25519, P256)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return err
	}
	if err := writeNew(privatePath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
		return err
	}
	if err := writeNew(publicPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		_ = os.Remove(privatePath)
		return err
	}
	return nil
}

// writeNew creates path with perm and data, whole or not at all, unless
// it exists (internal/keyfile.WriteNew).
func writeNew(path string, data []byte, perm os.FileMode) error {
	if err := keyfile.WriteNew(path, data, perm); err != nil {
		return fmt.Errorf("directory: writing key: %w", err)
	}
	return nil
}

// LoadPrivateKey reads a PKCS #8 PEM private key written by
// GenerateKeyFiles. It refuses a file that others can read (mode not
// 0600 or stricter).
func LoadPrivateKey(path string) (crypto.PrivateKey, error) {
	key, err := keyfile.LoadPrivateKey(path)
	if err != nil {
		return nil, fmt.Errorf("directory: private key: %w", err)
	}
	if _, err := algorithmOf(key); err != nil {
		return nil, err
	}
	return key, nil
}

// ParsePublicKey reads a PKIX PEM public key.
func ParsePublicKey(pemData []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("directory: public key: not a PEM \"PUBLIC KEY\" block")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("directory: public key: %w", err)
	}
	return key, nil
}
