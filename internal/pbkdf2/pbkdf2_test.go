package pbkdf2

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		newHash    func() hash.Hash
		password   string
		salt       string
		iterations int
		keyLen     int
		want       string
	}{
		// RFC 6070, test vectors 1, 2 and 5 (PBKDF2-HMAC-SHA1).
		{"RFC 6070 #1", sha1.New, "password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"},
		{"RFC 6070 #2", sha1.New, "password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"},
		{"RFC 6070 #5", sha1.New, "passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"},
		// RFC 7914, section 11 (PBKDF2-HMAC-SHA256).
		{"RFC 7914", sha256.New, "passwd", "salt", 1, 64, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, err := Key(context.Background(), tt.newHash, tt.password, []byte(tt.salt), tt.iterations, tt.keyLen)
			require.NoError(t, err)
			assert.Equal(t, tt.want, hex.EncodeToString(key))
		})
	}
}

func TestKeyRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	tests := []struct {
		name       string
		ctx        context.Context
		newHash    func() hash.Hash
		iterations int
		keyLen     int
		want       string
	}{
		{"zero iterations", ctx, sha1.New, 0, 20, "iterations 0"},
		{"negative key length", ctx, sha1.New, 1, -1, "key length -1"},
		{"nil hash", ctx, nil, 1, 20, "nil hash"},
		{"canceled", canceled, sha1.New, 1, 20, context.Canceled.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key, err := Key(tt.ctx, tt.newHash, "password", []byte("salt"), tt.iterations, tt.keyLen)
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.want)
			assert.Nil(t, key)
		})
	}
	_, err := Key(canceled, sha1.New, "password", []byte("salt"), 1, 20)
	assert.ErrorIs(t, err, context.Canceled)
}
