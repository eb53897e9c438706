package authrequest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
)

// tokenPrefix starts every third-party token, so that secret scanners
// and people recognise it.
const tokenPrefix = "usher_ar_"

// CreateToken makes an access token for a third party that may create
// requests for the given applications. It returns the token to hand over
// once; only its SHA-256 is stored.
func (m *Manager) CreateToken(ctx context.Context, name string, applicationIDs []string) (Token, string, error) {
	if name == "" || len(name) > MaxTextLength {
		return Token{}, "", invalid("name: 1 to %d bytes", MaxTextLength)
	}
	if len(applicationIDs) == 0 {
		return Token{}, "", invalid("at least one application")
	}
	for _, id := range applicationIDs {
		if _, err := m.apps.GetApplication(ctx, id); err != nil {
			return Token{}, "", invalid("application %q: not found", id)
		}
	}
	secret, err := m.randomHex(32)
	if err != nil {
		return Token{}, "", err
	}
	plain := tokenPrefix + secret
	t, err := m.store.CreateToken(ctx, Token{Name: name, Hash: hashToken(plain), ApplicationIDs: slices.Clone(applicationIDs)})
	if err != nil {
		return Token{}, "", err
	}
	return t, plain, nil
}

// Authorize returns the token plain is, or ErrUnauthorized. The lookup is
// by hash, so that its time tells nothing about stored tokens.
func (m *Manager) Authorize(ctx context.Context, plain string) (Token, error) {
	if !strings.HasPrefix(plain, tokenPrefix) || len(plain) > 256 {
		return Token{}, ErrUnauthorized
	}
	t, err := m.store.TokenByHash(ctx, hashToken(plain))
	if errors.Is(err, ErrNotFound) {
		return Token{}, ErrUnauthorized
	}
	return t, err
}

// Allows reports whether t may act on the application.
func (t Token) Allows(applicationID string) bool {
	return slices.Contains(t.ApplicationIDs, applicationID)
}

func hashToken(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}
