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
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// maxPEMFile bounds what LocalCA reads from its key and certificate files.
const maxPEMFile = 64 << 10

// ErrInsecureKeyFile: the CA's key file can be read or written by users
// other than its owner (its mode is not 0600 or stricter).
var ErrInsecureKeyFile = errors.New("issuer: CA key file is accessible to others")

// writeExclusive makes path hold data with mode perm, unless path exists,
// in which case it returns an error wrapping fs.ErrExist and leaves path
// alone. The data is written to a temporary file (created with O_EXCL,
// mode 0600) and hard-linked to path, so that no process ever sees path
// half written and of several concurrent writers exactly one wins.
func writeExclusive(path string, data []byte, perm os.FileMode) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		_ = os.Remove(tmp.Name())
	}()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

// readBounded reads at most maxPEMFile bytes of path.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPEMFile {
		return nil, fmt.Errorf("issuer: %s is larger than %d bytes", path, maxPEMFile)
	}
	return data, nil
}

// loadKey reads a PKCS #8 PEM private key that only its owner may access.
func loadKey(path string) (crypto.Signer, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; want 0600", ErrInsecureKeyFile, path, fi.Mode().Perm())
	}
	data, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("issuer: %s: not a PEM \"PRIVATE KEY\" block", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("issuer: %s: %w", path, err)
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
