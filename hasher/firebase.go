package hasher

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Firebase Authentication's modified scrypt (https://github.com/firebase/scrypt):
// the stored hash is the project's signer key encrypted with AES-256-CTR
// (zero IV) under the first 32 bytes of
//
//	scrypt(password, salt || saltSeparator, N = 2^MemCost, r = Rounds, p = 1)
//
// Firebase exports each user's hash and salt as two base64 fields. Usher
// stores them as one string,
//
//	$firebase-scrypt$<salt, base64>$<passwordHash, base64>
//
// (standard, padded base64, exactly as exported); build it with
// FirebaseScryptFromExport. The project parameters are not part of the
// string: configure them in Config.Firebase.
const firebaseScryptPrefix = "$firebase-scrypt$"

// FirebaseScryptParams are a Firebase project's password hash parameters,
// as the Firebase console shows them (Authentication, Users, "Password hash
// parameters"), set by Config.Firebase. Every field is required except
// SaltSeparator, which may be empty; none has a default.
type FirebaseScryptParams struct {
	// SignerKey is base64_signer_key, standard padded base64.
	SignerKey string
	// SaltSeparator is base64_salt_separator, standard padded base64
	// (it may decode to no bytes).
	SaltSeparator string
	// Rounds is rounds, scrypt's block size r; at least 1.
	Rounds int
	// MemCost is mem_cost, the base-2 logarithm of scrypt's N; 1 to 30.
	MemCost int
}

// firebaseScryptConfig is FirebaseScryptParams decoded.
type firebaseScryptConfig struct {
	signerKey, saltSep []byte
	rounds, memCost    int
}

// decode decodes p, reporting every field that is missing or out of range.
func (p FirebaseScryptParams) decode() (firebaseScryptConfig, error) {
	const what = "Config.Firebase"
	var errs []error
	key, err := legacyB64Decode(base64.StdEncoding, p.SignerKey)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("hasher: %s.SignerKey: %v", what, err))
	case len(key) == 0:
		errs = append(errs, fmt.Errorf("hasher: %s.SignerKey is required", what))
	}
	sep, err := legacyB64Decode(base64.StdEncoding, p.SaltSeparator)
	if err != nil {
		errs = append(errs, fmt.Errorf("hasher: %s.SaltSeparator: %v", what, err))
	}
	if p.Rounds < 1 {
		errs = append(errs, fmt.Errorf("hasher: %s.Rounds %d must be positive", what, p.Rounds))
	}
	if p.MemCost < 1 || p.MemCost > 30 {
		errs = append(errs, fmt.Errorf("hasher: %s.MemCost %d is outside [1, 30]", what, p.MemCost))
	}
	if err := errors.Join(errs...); err != nil {
		return firebaseScryptConfig{}, err
	}
	return firebaseScryptConfig{signerKey: key, saltSep: sep, rounds: p.Rounds, memCost: p.MemCost}, nil
}

// FirebaseScryptFromExport returns the string Usher stores for a user
// exported from Firebase (firebase auth:export), given the user's
// passwordHash and salt fields as exported (standard base64). It returns an
// error wrapping ErrMalformedHash when either is empty or not base64.
func FirebaseScryptFromExport(passwordHash, salt string) (string, error) {
	if _, _, err := parseFirebaseScryptFields(salt, passwordHash); err != nil {
		return "", err
	}
	return firebaseScryptPrefix + salt + "$" + passwordHash, nil
}

// parseFirebaseScryptFields decodes the salt and hash fields.
func parseFirebaseScryptFields(salt64, hash64 string) (salt, hashed []byte, err error) {
	const name = "firebase-scrypt"
	if salt, err = legacyB64Decode(base64.StdEncoding, salt64); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: salt: %v", ErrMalformedHash, name, err)
	}
	if hashed, err = legacyB64Decode(base64.StdEncoding, hash64); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: hash: %v", ErrMalformedHash, name, err)
	}
	if len(salt) == 0 {
		return nil, nil, fmt.Errorf("%w: %s: empty salt", ErrMalformedHash, name)
	}
	if len(hashed) == 0 {
		return nil, nil, fmt.Errorf("%w: %s: empty hash", ErrMalformedHash, name)
	}
	return salt, hashed, nil
}

// firebaseScryptHasher verifies Firebase scrypt hashes of one project. It
// is verify-only, immutable and safe for concurrent use.
type firebaseScryptHasher struct {
	cfg    firebaseScryptConfig
	limits Limits
}

func (h *firebaseScryptHasher) Name() string { return "firebase-scrypt" }

// VerifyOnly reports true.
func (h *firebaseScryptHasher) VerifyOnly() bool { return true }

// MemoryHard reports true: each call takes 128·Rounds·2^MemCost bytes.
func (h *firebaseScryptHasher) MemoryHard() bool { return true }

// Recognize reports whether encoded starts with "$firebase-scrypt$".
func (h *firebaseScryptHasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, firebaseScryptPrefix)
}

// Hash returns ErrVerifyOnly.
func (h *firebaseScryptHasher) Hash(context.Context, string) (string, error) {
	return "", fmt.Errorf("%w: firebase-scrypt", ErrVerifyOnly)
}

// Verify checks password against a "$firebase-scrypt$salt$hash" string
// with the configured project parameters. weaker is always false.
func (h *firebaseScryptHasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	const name = "firebase-scrypt"
	rest, ok := strings.CutPrefix(encoded, firebaseScryptPrefix)
	if !ok {
		return false, false, fmt.Errorf("%w: %s: missing %q prefix", ErrMalformedHash, name, firebaseScryptPrefix)
	}
	salt64, hash64, ok := strings.Cut(rest, "$")
	if !ok || strings.Contains(hash64, "$") {
		return false, false, fmt.Errorf("%w: %s: want $firebase-scrypt$salt$hash", ErrMalformedHash, name)
	}
	salt, hashed, err := parseFirebaseScryptFields(salt64, hash64)
	if err != nil {
		return false, false, err
	}
	c := h.cfg
	if len(hashed) != len(c.signerKey) {
		return false, false, fmt.Errorf("%w: %s: hash is %d bytes, the signer key %d", ErrMalformedHash, name, len(hashed), len(c.signerKey))
	}
	if err := checkMax(name, "salt bytes", len(salt), h.limits.MaxSaltBytes); err != nil {
		return false, false, err
	}
	// scrypt needs 128·r·N bytes.
	memKiB := int64(c.rounds) << c.memCost / 8
	if memKiB > int64(h.limits.MaxMemoryKiB) {
		return false, false, fmt.Errorf("%w: %s memory KiB %d is above the limit %d", ErrLimitExceeded, name, memKiB, h.limits.MaxMemoryKiB)
	}
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	got, err := firebaseScryptSum(c, []byte(password), salt)
	if err != nil {
		return false, false, err
	}
	return subtle.ConstantTimeCompare(got, hashed) == 1, false, nil
}

// firebaseScryptSum returns the signer key encrypted under the key derived
// from password and salt.
func firebaseScryptSum(c firebaseScryptConfig, password, salt []byte) ([]byte, error) {
	s := make([]byte, 0, len(salt)+len(c.saltSep))
	s = append(append(s, salt...), c.saltSep...)
	key, err := scrypt.Key(password, s, 1<<c.memCost, c.rounds, 1, 32)
	if err != nil {
		return nil, fmt.Errorf("hasher: firebase-scrypt: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("hasher: firebase-scrypt: %w", err)
	}
	out := make([]byte, len(c.signerKey))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(out, c.signerKey)
	return out, nil
}

var (
	_ VerifyOnlyHasher = (*firebaseScryptHasher)(nil)
	_ MemoryHardHasher = (*firebaseScryptHasher)(nil)
)
