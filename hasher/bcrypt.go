package hasher

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	//lint:ignore SA1019 bcrypt is defined on Blowfish's key schedule; it is not used as a cipher here.
	"golang.org/x/crypto/blowfish"
)

// bcrypt hashes are
//
//	$2b$<cost, two digits>$<22 characters of salt><31 characters of hash>
//
// in bcrypt's base64 alphabet ("./A-Za-z0-9", no padding). "$2a$", "$2b$"
// and "$2y$" are verified alike, as OpenBSD's bcrypt; "$2x$" (crypt_blowfish's
// bug-compatible mode) is not recognised. New hashes are "$2b$".
//
// bcrypt uses at most 72 bytes of a password. Rather than silently ignore
// the rest, as most implementations do, Hash and Verify refuse longer
// passwords with an error wrapping ErrPasswordTooLong, so that no password
// ever matches a hash made from a different, longer one. (A user whose
// password was longer than 72 bytes when another system hashed it must
// reset it; the caller can tell this case from a wrong password.)
//
// The algorithm is written here on golang.org/x/crypto/blowfish, rather
// than calling x/crypto/bcrypt, so that salts come from the Registry's
// random source (WithRandom) and ctx is checked during the key schedule.

// bcrypt constants.
const (
	bcryptPrefixLen    = len("$2b$12$")
	bcryptSaltChars    = 22
	bcryptHashChars    = 31
	bcryptEncodedLen   = bcryptPrefixLen + bcryptSaltChars + bcryptHashChars // 60
	bcryptSaltLen      = 16
	bcryptHashLen      = 23 // of the 24-byte ciphertext, as every bcrypt does
	bcryptMinCost      = 4
	bcryptMaxCost      = 31
	bcryptDefaultCost  = 12
	bcryptPasswordMax  = 72
	bcryptCtxCheckMask = 1<<10 - 1 // check ctx every 1024 rounds of the key schedule
)

// bcryptB64 is bcrypt's base64: its own alphabet, no padding. Decoding is
// not strict, as in OpenBSD: the unused low bits of the last character of
// salt and hash are ignored.
var bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)

// bcryptMagic is the text bcrypt encrypts 64 times ("OrpheanBeholderScryDoubt").
var bcryptMagic = [24]byte{'O', 'r', 'p', 'h', 'e', 'a', 'n', 'B', 'e', 'h', 'o', 'l', 'd', 'e', 'r', 'S', 'c', 'r', 'y', 'D', 'o', 'u', 'b', 't'}

// bcryptHash is a parsed bcrypt string.
type bcryptHash struct {
	cost int
	salt []byte // 16 bytes
	hash []byte // 23 bytes
}

// parseBcrypt parses encoded and checks its cost against lim.
func parseBcrypt(encoded string, lim Limits) (bcryptHash, error) {
	const format = "bcrypt"
	var h bcryptHash
	if len(encoded) != bcryptEncodedLen {
		return h, fmt.Errorf("%w: %s: hash is %d characters, want %d", ErrMalformedHash, format, len(encoded), bcryptEncodedLen)
	}
	if !isBcryptPrefix(encoded) || encoded[6] != '$' {
		return h, fmt.Errorf("%w: %s: want $2a$, $2b$ or $2y$, two digits of cost and '$'", ErrMalformedHash, format)
	}
	c1, c2 := encoded[4], encoded[5]
	if c1 < '0' || c1 > '9' || c2 < '0' || c2 > '9' {
		return h, fmt.Errorf("%w: %s: cost %q is not two digits", ErrMalformedHash, format, encoded[4:6])
	}
	h.cost = int(c1-'0')*10 + int(c2-'0')
	if h.cost < bcryptMinCost || h.cost > bcryptMaxCost {
		return h, fmt.Errorf("%w: %s: cost %d is outside [%d, %d]", ErrMalformedHash, format, h.cost, bcryptMinCost, bcryptMaxCost)
	}
	if err := checkMax(format, "cost", h.cost, lim.MaxBcryptCost); err != nil {
		return h, err
	}
	body := encoded[bcryptPrefixLen:]
	var err error
	if h.salt, err = bcryptB64.DecodeString(body[:bcryptSaltChars]); err != nil {
		return h, fmt.Errorf("%w: %s: salt is not bcrypt base64: %v", ErrMalformedHash, format, err)
	}
	if h.hash, err = bcryptB64.DecodeString(body[bcryptSaltChars:]); err != nil {
		return h, fmt.Errorf("%w: %s: hash is not bcrypt base64: %v", ErrMalformedHash, format, err)
	}
	return h, nil
}

// isBcryptPrefix reports whether s starts with "$2a$", "$2b$" or "$2y$".
func isBcryptPrefix(s string) bool {
	return len(s) >= 4 && s[0] == '$' && s[1] == '2' && (s[2] == 'a' || s[2] == 'b' || s[2] == 'y') && s[3] == '$'
}

// bcryptSum returns the 23-byte bcrypt hash of password (at most 72
// bytes) with salt (16 bytes) and cost. It returns ctx.Err() if ctx is done
// during the key schedule.
func bcryptSum(ctx context.Context, password string, salt []byte, cost int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The key is the password and its terminating NUL; the key schedule
	// cycles through it and uses at most 72 bytes.
	key := make([]byte, len(password)+1)
	copy(key, password)
	defer clear(key)

	// EksBlowfishSetup: expand with salt, then 2^cost rounds alternating
	// plain expansions with key and salt.
	c, err := blowfish.NewSaltedCipher(key, salt)
	if err != nil {
		return nil, fmt.Errorf("hasher: bcrypt: %w", err)
	}
	rounds := uint64(1) << cost
	for i := uint64(0); i < rounds; i++ {
		if i&bcryptCtxCheckMask == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		blowfish.ExpandKey(key, c)
		blowfish.ExpandKey(salt, c)
	}

	// Encrypt the magic text 64 times, block by block.
	out := bcryptMagic
	for i := 0; i < len(out); i += blowfish.BlockSize {
		for range 64 {
			c.Encrypt(out[i:i+blowfish.BlockSize], out[i:i+blowfish.BlockSize])
		}
	}
	return out[:bcryptHashLen], nil
}

// bcryptHasher hashes and verifies bcrypt. It is immutable and safe for
// concurrent use.
type bcryptHasher struct {
	cost   int
	limits Limits
	rand   io.Reader
}

func (h *bcryptHasher) Name() string { return "bcrypt" }

// Recognize reports whether encoded starts with "$2a$", "$2b$" or "$2y$".
func (h *bcryptHasher) Recognize(encoded string) bool { return isBcryptPrefix(encoded) }

// Hash returns a "$2b$" hash of password with the configured cost. A
// password longer than 72 bytes gives an error wrapping
// ErrPasswordTooLong.
func (h *bcryptHasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > bcryptPasswordMax {
		return "", fmt.Errorf("%w: bcrypt uses at most %d bytes, the password has %d", ErrPasswordTooLong, bcryptPasswordMax, len(password))
	}
	if err := checkMax("bcrypt", "configured cost", h.cost, h.limits.MaxBcryptCost); err != nil {
		return "", err
	}
	salt, err := readSalt(h.rand, bcryptSaltLen)
	if err != nil {
		return "", err
	}
	sum, err := bcryptSum(ctx, password, salt, h.cost)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(bcryptEncodedLen)
	b.WriteString("$2b$")
	b.WriteByte(byte('0' + h.cost/10))
	b.WriteByte(byte('0' + h.cost%10))
	b.WriteByte('$')
	b.WriteString(bcryptB64.EncodeToString(salt))
	b.WriteString(bcryptB64.EncodeToString(sum))
	return b.String(), nil
}

// Verify checks password against encoded. A password longer than 72 bytes
// gives an error wrapping ErrPasswordTooLong and is not hashed. weaker
// reports a cost below the configured one.
func (h *bcryptHasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	p, err := parseBcrypt(encoded, h.limits)
	if err != nil {
		return false, false, err
	}
	if len(password) > bcryptPasswordMax {
		return false, false, fmt.Errorf("%w: bcrypt uses at most %d bytes, the password has %d", ErrPasswordTooLong, bcryptPasswordMax, len(password))
	}
	got, err := bcryptSum(ctx, password, p.salt, p.cost)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, p.hash) != 1 {
		return false, false, nil
	}
	return true, p.cost < h.cost, nil
}

var _ Hasher = (*bcryptHasher)(nil)
