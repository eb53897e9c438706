package hasher

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Django's password formats (django.contrib.auth.hashers):
//
//	pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>
//	pbkdf2_sha1$<iterations>$<salt>$<base64 of the 20-byte key>
//	argon2$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
//	bcrypt_sha256$$2b$<cost>$<bcrypt salt and hash>
//
// In the PBKDF2 forms the salt is text used as is (not base64) and the key
// is standard, padded base64. The argon2 form is argon2-cffi's encoding
// after "argon2": salt and hash in unpadded standard base64; argon2i is
// accepted too, argon2d and hashes without "v=19" (Argon2 1.0) are refused
// with ErrUnknownFormat. bcrypt_sha256 is bcrypt of the hex SHA-256 of the
// password (Django 1.6 and later). Django's older "bcrypt$", "sha1$",
// "md5$" and "crypt$" formats are not supported.

// djangoPBKDF2Variant describes one of Django's PBKDF2 formats.
type djangoPBKDF2Variant struct {
	name    string // registry name
	prefix  string // "pbkdf2_sha256$"
	newHash func() hash.Hash
	size    int
}

var (
	djangoPBKDF2SHA256 = &djangoPBKDF2Variant{name: "django-pbkdf2-sha256", prefix: "pbkdf2_sha256$", newHash: sha256.New, size: sha256.Size}
	djangoPBKDF2SHA1   = &djangoPBKDF2Variant{name: "django-pbkdf2-sha1", prefix: "pbkdf2_sha1$", newHash: sha1.New, size: sha1.Size}
)

// djangoSaltChars is Django's RANDOM_STRING_CHARS; new salts are 22 of
// them (about 131 bits), as Django makes them.
const (
	djangoSaltChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	djangoSaltLen   = 22
)

// djangoSalt returns a salt of djangoSaltLen characters read from r.
func djangoSalt(r io.Reader) (string, error) {
	out := make([]byte, 0, djangoSaltLen)
	buf := make([]byte, djangoSaltLen*2)
	for len(out) < djangoSaltLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("hasher: reading salt: %w", err)
		}
		for _, b := range buf {
			// Reject 248..255 so that every character is equally likely.
			if b < 248 && len(out) < djangoSaltLen {
				out = append(out, djangoSaltChars[int(b)%len(djangoSaltChars)])
			}
		}
	}
	return string(out), nil
}

// djangoPBKDF2Hasher verifies one of Django's PBKDF2 formats, and produces
// pbkdf2_sha256 hashes. It is immutable and safe for concurrent use.
type djangoPBKDF2Hasher struct {
	v          *djangoPBKDF2Variant
	iterations int // of new hashes; 0 for the verify-only sha1 variant
	limits     Limits
	rand       io.Reader
}

func (h *djangoPBKDF2Hasher) Name() string { return h.v.name }

// VerifyOnly reports true for django-pbkdf2-sha1.
func (h *djangoPBKDF2Hasher) VerifyOnly() bool { return h.iterations == 0 }

// Recognize reports whether encoded starts with "pbkdf2_sha256$" or
// "pbkdf2_sha1$".
func (h *djangoPBKDF2Hasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, h.v.prefix)
}

// Hash returns "pbkdf2_sha256$<iterations>$<salt>$<key>" with the
// configured iterations and a 22-character random salt, as Django's
// make_password does. django-pbkdf2-sha1 returns ErrVerifyOnly.
func (h *djangoPBKDF2Hasher) Hash(ctx context.Context, password string) (string, error) {
	if h.VerifyOnly() {
		return "", fmt.Errorf("%w: %s", ErrVerifyOnly, h.v.name)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkMax(h.v.name, "iterations", h.iterations, h.limits.MaxIterations); err != nil {
		return "", err
	}
	salt, err := djangoSalt(h.rand)
	if err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(h.v.newHash, password, []byte(salt), h.iterations, h.v.size)
	if err != nil {
		return "", fmt.Errorf("hasher: %s: %w", h.v.name, err)
	}
	return h.v.prefix + strconv.Itoa(h.iterations) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(key), nil
}

// Verify checks password against a Django PBKDF2 hash. weaker is true when
// the stored iterations are fewer than the configured ones.
func (h *djangoPBKDF2Hasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	v := h.v
	rest, ok := strings.CutPrefix(encoded, v.prefix)
	if !ok {
		return false, false, fmt.Errorf("%w: %s: missing %q prefix", ErrMalformedHash, v.name, v.prefix)
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return false, false, fmt.Errorf("%w: %s: want iterations$salt$hash, got %d fields", ErrMalformedHash, v.name, len(fields))
	}
	iter, err := phcDecimal(v.name, "iterations", fields[0])
	if err != nil {
		return false, false, err
	}
	if iter < 1 {
		return false, false, fmt.Errorf("%w: %s: iterations must be positive", ErrMalformedHash, v.name)
	}
	salt := fields[1]
	if salt == "" {
		return false, false, fmt.Errorf("%w: %s: empty salt", ErrMalformedHash, v.name)
	}
	key, err := legacyB64Decode(base64.StdEncoding, fields[2])
	if err != nil {
		return false, false, fmt.Errorf("%w: %s: hash: %v", ErrMalformedHash, v.name, err)
	}
	if len(key) != v.size {
		return false, false, fmt.Errorf("%w: %s: hash is %d bytes, want %d", ErrMalformedHash, v.name, len(key), v.size)
	}
	if err := checkMax(v.name, "iterations", iter, h.limits.MaxIterations); err != nil {
		return false, false, err
	}
	if err := checkMax(v.name, "salt bytes", len(salt), h.limits.MaxSaltBytes); err != nil {
		return false, false, err
	}
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	got, err := pbkdf2.Key(v.newHash, password, []byte(salt), iter, v.size)
	if err != nil {
		return false, false, fmt.Errorf("hasher: %s: %w", v.name, err)
	}
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, iter < h.iterations, nil
}

// djangoArgon2Prefix starts Django's argon2 hashes.
const djangoArgon2Prefix = "argon2$"

// djangoArgon2Hash is a parsed Django argon2 hash.
type djangoArgon2Hash struct {
	id           bool // argon2id, else argon2i
	memory, time uint32
	threads      uint8
	salt, hashed []byte
}

// parseDjangoArgon2 parses encoded, the PHC string after "argon2", and
// checks it against lim before anything is hashed.
func parseDjangoArgon2(encoded string, lim Limits) (djangoArgon2Hash, error) {
	const name = "django-argon2"
	var a djangoArgon2Hash
	rest, ok := strings.CutPrefix(encoded, djangoArgon2Prefix)
	if !ok {
		return a, fmt.Errorf("%w: %s: missing %q prefix", ErrMalformedHash, name, djangoArgon2Prefix)
	}
	p, err := parsePHC(name, "$"+rest)
	if err != nil {
		return a, err
	}
	switch {
	case p.id == "argon2d":
		return a, fmt.Errorf("%w: %s: argon2d is not supported", ErrUnknownFormat, name)
	case p.id != "argon2id" && p.id != "argon2i":
		return a, fmt.Errorf("%w: %s: variant %q is not argon2id or argon2i", ErrMalformedHash, name, p.id)
	case p.version == -1:
		return a, fmt.Errorf("%w: %s: hash without v=19 (Argon2 1.0) is not supported", ErrUnknownFormat, name)
	case p.version != 19:
		return a, fmt.Errorf("%w: %s: version %d is not supported, want 19", ErrUnknownFormat, name, p.version)
	case len(p.params) != 3 || p.params[0].name != "m" || p.params[1].name != "t" || p.params[2].name != "p":
		return a, fmt.Errorf("%w: %s: parameters must be m=,t=,p= in that order", ErrMalformedHash, name)
	}
	a.id = p.id == "argon2id"
	var vals [3]int
	for i, kv := range p.params {
		if vals[i], err = p.intParam(name, kv.name); err != nil {
			return a, err
		}
	}
	m, t, par := vals[0], vals[1], vals[2]
	if t < 1 || par < 1 {
		return a, fmt.Errorf("%w: %s: time and parallelism must be positive", ErrMalformedHash, name)
	}
	for _, c := range []struct {
		what       string
		value, max int
	}{
		{"memory KiB", m, lim.MaxMemoryKiB},
		{"time", t, lim.MaxTime},
		// x/crypto/argon2 takes at most 255 lanes.
		{"parallelism", par, min(lim.MaxParallelism, 255)},
	} {
		if err := checkMax(name, c.what, c.value, c.max); err != nil {
			return a, err
		}
	}
	if m < 8*par {
		return a, fmt.Errorf("%w: %s: memory %d KiB is below Argon2's minimum of 8 KiB per lane", ErrMalformedHash, name, m)
	}
	if a.salt, a.hashed, err = p.saltAndHash(name, phcB64, lim); err != nil {
		return a, err
	}
	if len(a.salt) < 8 {
		return a, fmt.Errorf("%w: %s: salt is %d bytes, Argon2's minimum is 8", ErrMalformedHash, name, len(a.salt))
	}
	if len(a.hashed) < 4 {
		return a, fmt.Errorf("%w: %s: hash is %d bytes, Argon2's minimum is 4", ErrMalformedHash, name, len(a.hashed))
	}
	a.memory, a.time, a.threads = uint32(m), uint32(t), uint8(par)
	return a, nil
}

// djangoArgon2Hasher verifies Django's argon2 hashes. It is verify-only,
// immutable and safe for concurrent use.
type djangoArgon2Hasher struct {
	limits Limits
}

func (h *djangoArgon2Hasher) Name() string { return "django-argon2" }

// VerifyOnly reports true.
func (h *djangoArgon2Hasher) VerifyOnly() bool { return true }

// MemoryHard reports true: each call takes the hash's memory parameter.
func (h *djangoArgon2Hasher) MemoryHard() bool { return true }

// Recognize reports whether encoded starts with "argon2$".
func (h *djangoArgon2Hasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, djangoArgon2Prefix)
}

// Hash returns ErrVerifyOnly.
func (h *djangoArgon2Hasher) Hash(context.Context, string) (string, error) {
	return "", fmt.Errorf("%w: django-argon2", ErrVerifyOnly)
}

// Verify checks password against a Django argon2 hash. weaker is always
// false (the hasher is verify-only, so a match is rehashed anyway).
func (h *djangoArgon2Hasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	a, err := parseDjangoArgon2(encoded, h.limits)
	if err != nil {
		return false, false, err
	}
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	derive := argon2.Key
	if a.id {
		derive = argon2.IDKey
	}
	got := derive([]byte(password), a.salt, a.time, a.memory, a.threads, uint32(len(a.hashed)))
	return subtle.ConstantTimeCompare(got, a.hashed) == 1, false, nil
}

// djangoBcryptSHA256Prefix starts Django's bcrypt_sha256 hashes.
const djangoBcryptSHA256Prefix = "bcrypt_sha256$"

// djangoBcryptSHA256Hasher verifies Django's bcrypt_sha256 hashes. It is
// verify-only, immutable and safe for concurrent use.
type djangoBcryptSHA256Hasher struct {
	limits Limits
}

func (h *djangoBcryptSHA256Hasher) Name() string { return "django-bcrypt-sha256" }

// VerifyOnly reports true.
func (h *djangoBcryptSHA256Hasher) VerifyOnly() bool { return true }

// Recognize reports whether encoded starts with "bcrypt_sha256$".
func (h *djangoBcryptSHA256Hasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, djangoBcryptSHA256Prefix)
}

// Hash returns ErrVerifyOnly.
func (h *djangoBcryptSHA256Hasher) Hash(context.Context, string) (string, error) {
	return "", fmt.Errorf("%w: django-bcrypt-sha256", ErrVerifyOnly)
}

// Verify checks bcrypt(hex(SHA-256(password))) against encoded. Because the
// password is pre-hashed, it may be of any length. weaker is always false.
func (h *djangoBcryptSHA256Hasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	const name = "django-bcrypt-sha256"
	rest, ok := strings.CutPrefix(encoded, djangoBcryptSHA256Prefix)
	if !ok {
		return false, false, fmt.Errorf("%w: %s: missing %q prefix", ErrMalformedHash, name, djangoBcryptSHA256Prefix)
	}
	sum := sha256.Sum256([]byte(password))
	match, _, err = legacyBcryptVerify(ctx, name, h.limits, []byte(hex.EncodeToString(sum[:])), rest)
	return match, false, err
}

var (
	_ VerifyOnlyHasher = (*djangoPBKDF2Hasher)(nil)
	_ VerifyOnlyHasher = (*djangoArgon2Hasher)(nil)
	_ MemoryHardHasher = (*djangoArgon2Hasher)(nil)
	_ VerifyOnlyHasher = (*djangoBcryptSHA256Hasher)(nil)
)
