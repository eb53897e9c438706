package hasher

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"fmt"
	"strings"
)

// MD5-crypt ("$1$"), Poul-Henning Kamp's FreeBSD algorithm, also used by
// glibc and OpenLDAP's {CRYPT}. The stored form is
//
//	$1$<salt>$<22 chars>
//
// with a salt of 0 to 8 characters of the crypt alphabet. The algorithm
// runs a fixed 1000 rounds of MD5 and is broken by modern hardware, so
// Usher only verifies it.
const (
	md5CryptPrefix  = "$1$"
	md5CryptMaxSalt = 8
	md5CryptEncLen  = 22
	md5CryptRounds  = 1000
)

// md5CryptFormat is a stored form of MD5-crypt: the registry name and the
// prefix before the salt. Whatever the prefix, the algorithm hashes the
// magic "$1$".
type md5CryptFormat struct {
	name, prefix string
}

// md5CryptStd is the crypt(3) form, "$1$".
var md5CryptStd = md5CryptFormat{name: "md5-crypt", prefix: md5CryptPrefix}

// md5CryptHash is a parsed MD5-crypt string.
type md5CryptHash struct {
	salt, checksum string
}

// parse splits encoded into salt and checksum and checks them.
func (f md5CryptFormat) parse(encoded string) (md5CryptHash, error) {
	name := f.name
	rest, ok := strings.CutPrefix(encoded, f.prefix)
	if !ok {
		return md5CryptHash{}, fmt.Errorf("%w: %s: missing %q prefix", ErrMalformedHash, name, f.prefix)
	}
	salt, sum, found := strings.Cut(rest, "$")
	if !found {
		return md5CryptHash{}, fmt.Errorf("%w: %s: missing '$' between salt and checksum", ErrMalformedHash, name)
	}
	if len(salt) > md5CryptMaxSalt {
		return md5CryptHash{}, fmt.Errorf("%w: %s: salt of %d characters is longer than %d", ErrMalformedHash, name, len(salt), md5CryptMaxSalt)
	}
	if !isCryptString(salt) {
		return md5CryptHash{}, fmt.Errorf("%w: %s: salt has characters outside [./0-9A-Za-z]", ErrMalformedHash, name)
	}
	if len(sum) != md5CryptEncLen {
		return md5CryptHash{}, fmt.Errorf("%w: %s: checksum is %d characters, want %d", ErrMalformedHash, name, len(sum), md5CryptEncLen)
	}
	if !isCryptString(sum) {
		return md5CryptHash{}, fmt.Errorf("%w: %s: checksum has characters outside [./0-9A-Za-z]", ErrMalformedHash, name)
	}
	return md5CryptHash{salt: salt, checksum: sum}, nil
}

// md5CryptSum returns the 22-character checksum of password and salt.
func md5CryptSum(password []byte, salt string) string {
	p, s := password, []byte(salt)

	alt := md5.New()
	alt.Write(p)
	alt.Write(s)
	alt.Write(p)
	altSum := alt.Sum(nil)

	h := md5.New()
	h.Write(p)
	h.Write([]byte(md5CryptPrefix))
	h.Write(s)
	for n := len(p); n > 0; n -= md5.Size {
		h.Write(altSum[:min(n, md5.Size)])
	}
	// For each bit of len(P), lowest first: a zero byte for a one bit,
	// the password's first byte for a zero bit.
	for n := len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(p[:1])
		}
	}
	f := h.Sum(nil)

	// 1,000 rounds take microseconds: no cancellation to check.
	f, _ = cryptRounds(context.Background(), h, f, p, s, md5CryptRounds)

	out := make([]byte, 0, md5CryptEncLen)
	out = cryptAppend24(out, f[0], f[6], f[12], 4)
	out = cryptAppend24(out, f[1], f[7], f[13], 4)
	out = cryptAppend24(out, f[2], f[8], f[14], 4)
	out = cryptAppend24(out, f[3], f[9], f[15], 4)
	out = cryptAppend24(out, f[4], f[10], f[5], 4)
	out = cryptAppend24(out, 0, 0, f[11], 2)
	return string(out)
}

// verify parses encoded and compares password with it in constant time.
func (f md5CryptFormat) verify(ctx context.Context, password, encoded string) (bool, error) {
	p, err := f.parse(encoded)
	if err != nil {
		return false, err
	}
	if err := checkCryptPassword(f.name, password); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	sum := md5CryptSum([]byte(password), p.salt)
	return subtle.ConstantTimeCompare([]byte(sum), []byte(p.checksum)) == 1, nil
}

// md5CryptHasher verifies MD5-crypt strings. It is verify-only, stateless
// and safe for concurrent use.
type md5CryptHasher struct{}

func (md5CryptHasher) Name() string { return "md5-crypt" }

// VerifyOnly reports true: Usher does not produce MD5-crypt hashes.
func (md5CryptHasher) VerifyOnly() bool { return true }

// Recognize reports whether encoded starts with "$1$".
func (md5CryptHasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, md5CryptPrefix)
}

// Hash returns ErrVerifyOnly.
func (md5CryptHasher) Hash(context.Context, string) (string, error) {
	return "", fmt.Errorf("%w: md5-crypt", ErrVerifyOnly)
}

// Verify checks password against an MD5-crypt string. weaker is always
// false: the format has no parameters, and a registry never has a
// verify-only default, so a match is always rehashed.
func (md5CryptHasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	match, err = md5CryptStd.verify(ctx, password, encoded)
	return match, false, err
}

var _ VerifyOnlyHasher = md5CryptHasher{}
