package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
)

// newSecret returns a random secret of 32 bytes, URL-safe, with a prefix
// that says what it is (so that a leaked one is recognised by scanners).
func newSecret(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// secretHash is what the database keeps of a secret: SHA-256 in hex. The
// secrets are 256 random bits, so a fast hash is enough: nobody can guess
// one from its hash, and looking one up by hash reveals nothing by its
// timing that would help guess another.
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// maxSecretLen bounds a presented secret before it is hashed.
const maxSecretLen = 128

// wellFormed reports whether s could be a secret made by newSecret with
// prefix; anything else is refused without a database read.
func wellFormed(s, prefix string) bool {
	if len(s) > maxSecretLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s[len(prefix):])
	return err == nil && len(b) == 32
}

// randomPassword returns a random password: 26 characters of base32
// (128 bits), crypto/rand's Text.
func randomPassword() string { return rand.Text() }

// redactDSN hides the password of a postgres:// DSN for printing.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		if strings.HasPrefix(dsn, "postgres") {
			return "postgres (address hidden)"
		}
		return dsn
	}
	return u.Redacted()
}
