package userstore

import "time"

// Token is a stored single-use secret, kept by hash only.
type Token struct {
	// Kind separates uses, e.g. "reset", "activation", "password-set".
	Kind   string
	UserID string
	// Hash is a hash of the secret (a keyed or plain SHA-256, hex); the
	// store never sees the secret. Unique within a kind.
	Hash string
	// Data is opaque to the store: the owner may keep encrypted extra
	// data here.
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Expired reports whether the token has expired at now.
func (t Token) Expired(now time.Time) bool { return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) }
