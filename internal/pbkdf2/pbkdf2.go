// Package pbkdf2 is the PBKDF2 (RFC 8018) key derivation that Usher's
// PBKDF2-based password hashers run, shared with the benchmark program
// internal/cmd/pbkdf2bench so that it measures exactly that code path.
//
// It is Go's crypto/pbkdf2, which reuses one HMAC state across iterations
// and runs SHA-2 in assembly, behind a context check and argument checks.
package pbkdf2

import (
	"context"
	stdpbkdf2 "crypto/pbkdf2"
	"errors"
	"fmt"
	"hash"
)

// Key derives keyLen bytes from password and salt with PBKDF2 and the HMAC
// of newHash. iterations and keyLen must be positive and newHash non-nil.
// It returns ctx.Err() unwrapped when ctx is done before it starts; once
// started it runs to the end. It applies no limits: the caller chooses the
// work. Safe for concurrent use.
func Key(ctx context.Context, newHash func() hash.Hash, password string, salt []byte, iterations, keyLen int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if newHash == nil {
		return nil, errors.New("pbkdf2: nil hash function")
	}
	if iterations < 1 || keyLen < 1 {
		return nil, fmt.Errorf("pbkdf2: iterations %d and key length %d must be positive", iterations, keyLen)
	}
	key, err := stdpbkdf2.Key(newHash, password, salt, iterations, keyLen)
	if err != nil {
		return nil, fmt.Errorf("pbkdf2: %w", err)
	}
	return key, nil
}
