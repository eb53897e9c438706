package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/usher-sdk/usher/internal/keyfile"
)

// ErrInsecureKeyFile: the CA's key file can be read or written by users
// other than its owner (its mode is not 0600 or stricter).
var ErrInsecureKeyFile = errors.New("issuer: CA key file is accessible to others")

// writeExclusive makes path hold data with mode perm, whole or not at all,
// unless it exists (an error wrapping fs.ErrExist): internal/keyfile's
// WriteNew, of whose concurrent writers exactly one wins.
func writeExclusive(path string, data []byte, perm os.FileMode) error {
	return keyfile.WriteNew(path, data, perm)
}

// readBounded reads at most keyfile.MaxSize bytes of path.
func readBounded(path string) ([]byte, error) { return keyfile.Read(path) }

// loadKey reads a PKCS #8 PEM private key that only its owner may access.
func loadKey(path string) (crypto.Signer, error) {
	key, err := keyfile.LoadPrivateKey(path)
	if errors.Is(err, keyfile.ErrInsecure) {
		return nil, fmt.Errorf("%w: %w", ErrInsecureKeyFile, err)
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: %w", err)
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	default:
		return nil, fmt.Errorf("issuer: %s: unsupported key type %T", path, key)
	}
}

// loadCert reads a PEM CA certificate and checks that it belongs to key.
func loadCert(path string, key crypto.Signer) (*x509.Certificate, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("issuer: %s: not a PEM \"CERTIFICATE\" block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("issuer: %s: %w", path, err)
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("issuer: %s is not the certificate of the CA key", path)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("issuer: %s is not a CA certificate", path)
	}
	return cert, nil
}

// isNotExist reports whether err says that a file does not exist.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
