package activation

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// keyedHash returns hex(HMAC-SHA-256(key, purpose 0 userID 0 value)). Binding
// the purpose and the user makes a stored hash useless for any other user or
// field, and two users' equal codes store different hashes.
func keyedHash(key []byte, purpose, userID, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(userID))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// equalHash compares two hex hashes in constant time.
func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
