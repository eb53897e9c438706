package keyfile_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/internal/keyfile"
)

func TestWriteNewOnceAndWhole(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "k")
	var wg sync.WaitGroup
	wins := make(chan int, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := keyfile.WriteNew(path, []byte{byte('a' + i)}, 0o600); err == nil {
				wins <- i
			} else {
				assert.ErrorIs(t, err, fs.ErrExist)
			}
		}()
	}
	wg.Wait()
	close(wins)
	assert.Len(t, wins, 1, "exactly one writer wins")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary files left")
}

func TestReadSecret(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	path := filepath.Join(dir, "key.pem")
	require.NoError(t, keyfile.WriteNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	k, err := keyfile.LoadPrivateKey(path)
	require.NoError(t, err)
	assert.True(t, priv.Equal(k))

	require.NoError(t, os.Chmod(path, 0o644))
	_, err = keyfile.LoadPrivateKey(path)
	assert.ErrorIs(t, err, keyfile.ErrInsecure)
	assert.ErrorContains(t, err, "chmod 600")

	big := filepath.Join(dir, "big")
	require.NoError(t, os.WriteFile(big, make([]byte, keyfile.MaxSize+1), 0o600))
	_, err = keyfile.ReadSecret(big)
	assert.ErrorContains(t, err, "larger than")
}
