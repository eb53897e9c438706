// Package keyfile writes and reads the key files of Usher's packages —
// the sync agent's organization key, the local CA's key, the reference
// server's activation key — in one way: a new file is made whole or not
// at all and never overwrites one (of concurrent writers exactly one
// wins), and a secret file is read only when nobody but its owner can
// access it, and only up to a bound.
package keyfile

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// ErrInsecure: a secret file can be read or written by users other than
// its owner (its mode is not 0600 or stricter).
var ErrInsecure = errors.New("keyfile: accessible to others")

// MaxSize bounds what Read and ReadSecret read.
const MaxSize = 64 << 10

// WriteNew makes path hold data with mode perm, unless path exists, in
// which case it returns an error wrapping fs.ErrExist and leaves path
// alone. The data goes to a temporary file (mode 0600) in the same folder
// first and is hard-linked to path, so that nobody ever sees path half
// written and of several concurrent writers exactly one wins.
func WriteNew(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
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

// Read reads at most MaxSize bytes of path.
func Read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("keyfile: %s is larger than %d bytes", path, MaxSize)
	}
	return data, nil
}

// ReadSecret is Read for a secret: a file that others can access is
// refused with an error wrapping ErrInsecure that says how to fix it.
func ReadSecret(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o; it must be 0600 (chmod 600 %s)", ErrInsecure, path, fi.Mode().Perm(), path)
	}
	return Read(path)
}

// LoadPrivateKey reads a PKCS #8 PEM private key ("PRIVATE KEY") from a
// secret file (ReadSecret).
func LoadPrivateKey(path string) (crypto.PrivateKey, error) {
	data, err := ReadSecret(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("keyfile: %s: not a PEM \"PRIVATE KEY\" block", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("keyfile: %s: %w", path, err)
	}
	return key, nil
}
