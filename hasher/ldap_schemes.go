package hasher

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// LDAP userPassword schemes (RFC 2307 and OpenLDAP's pw-sha2 module):
//
//	{MD5}<base64(MD5(password))>
//	{SMD5}<base64(MD5(password salt) salt)>
//	{SHA}<base64(SHA1(password))>
//	{SSHA}<base64(SHA1(password salt) salt)>
//	{SSHA256}<base64(SHA256(password salt) salt)>
//	{SSHA512}<base64(SHA512(password salt) salt)>
//	{CRYPT}<crypt(3) string>
//
// Scheme labels are matched without regard to case, as OpenLDAP does.
// Base64 is the standard, padded alphabet. A salted hash may have a salt of
// any length from 1 byte up to Limits.MaxSaltBytes.
//
// {CRYPT} wraps a crypt(3) string; Usher verifies MD5-crypt ($1$),
// SHA-crypt ($5$, $6$) and bcrypt ($2a$, $2b$, $2y$) inside it. Traditional
// DES and BSDi crypt, and other crypt(3) schemes (yescrypt "$y$", ...), are
// refused with an error wrapping ErrUnknownFormat.

// ldapScheme describes one of the digest schemes.
type ldapScheme struct {
	name    string // registry name
	label   string // "{SSHA}"
	newHash func() hash.Hash
	size    int  // digest size
	salted  bool // digest is followed by a salt
	produce bool // Hash is supported
}

const ldapSaltLen = 16 // salt length of new {SSHA256} and {SSHA512} hashes

var (
	ldapMD5     = &ldapScheme{name: "ldap-md5", label: "{MD5}", newHash: md5.New, size: md5.Size}
	ldapSMD5    = &ldapScheme{name: "ldap-smd5", label: "{SMD5}", newHash: md5.New, size: md5.Size, salted: true}
	ldapSHA     = &ldapScheme{name: "ldap-sha", label: "{SHA}", newHash: sha1.New, size: sha1.Size}
	ldapSSHA    = &ldapScheme{name: "ldap-ssha", label: "{SSHA}", newHash: sha1.New, size: sha1.Size, salted: true}
	ldapSSHA256 = &ldapScheme{name: "ldap-ssha256", label: "{SSHA256}", newHash: sha256.New, size: sha256.Size, salted: true, produce: true}
	ldapSSHA512 = &ldapScheme{name: "ldap-ssha512", label: "{SSHA512}", newHash: sha512.New, size: sha512.Size, salted: true, produce: true}
)

// ldapHasLabel reports whether encoded starts with label, ignoring case.
func ldapHasLabel(encoded, label string) bool {
	return len(encoded) >= len(label) && strings.EqualFold(encoded[:len(label)], label)
}

// legacyB64Decode decodes s strictly: no line breaks (which encoding/base64
// would skip), no trailing garbage, zero padding bits.
func legacyB64Decode(enc *base64.Encoding, s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return nil, errors.New("invalid base64")
	}
	return b, nil
}

// ldapDigestHasher hashes and verifies one of {SSHA256} and {SSHA512}, or
// verifies one of {MD5}, {SMD5}, {SHA} and {SSHA}. It is immutable and
// safe for concurrent use.
type ldapDigestHasher struct {
	s      *ldapScheme
	limits Limits
	rand   io.Reader
}

func (h *ldapDigestHasher) Name() string { return h.s.name }

// VerifyOnly reports true for {MD5}, {SMD5}, {SHA} and {SSHA} (MD5 and
// SHA-1).
func (h *ldapDigestHasher) VerifyOnly() bool { return !h.s.produce }

// Recognize reports whether encoded starts with the scheme's label.
func (h *ldapDigestHasher) Recognize(encoded string) bool { return ldapHasLabel(encoded, h.s.label) }

// Hash returns the scheme label followed by the base64 of the digest of
// password and a 16-byte random salt. {MD5}, {SMD5}, {SHA} and {SSHA}
// return ErrVerifyOnly.
//
// These are single, fast digests: produce them only for a directory that
// accepts nothing better.
func (h *ldapDigestHasher) Hash(ctx context.Context, password string) (string, error) {
	if !h.s.produce {
		return "", fmt.Errorf("%w: %s", ErrVerifyOnly, h.s.name)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	salt := make([]byte, ldapSaltLen)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", fmt.Errorf("hasher: reading salt: %w", err)
	}
	return h.s.label + base64.StdEncoding.EncodeToString(append(h.s.digest(password, salt), salt...)), nil
}

// digest returns H(password salt).
func (s *ldapScheme) digest(password string, salt []byte) []byte {
	d := s.newHash()
	io.WriteString(d, password)
	d.Write(salt)
	return d.Sum(nil)
}

// Verify checks password against a stored hash of the scheme. weaker is
// always false: the schemes have no parameters to compare.
func (h *ldapDigestHasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	s := h.s
	if !ldapHasLabel(encoded, s.label) {
		return false, false, fmt.Errorf("%w: %s: missing %s label", ErrMalformedHash, s.name, s.label)
	}
	raw, err := legacyB64Decode(base64.StdEncoding, encoded[len(s.label):])
	if err != nil {
		return false, false, fmt.Errorf("%w: %s: %v", ErrMalformedHash, s.name, err)
	}
	var salt []byte
	switch {
	case !s.salted && len(raw) != s.size:
		return false, false, fmt.Errorf("%w: %s: digest is %d bytes, want %d", ErrMalformedHash, s.name, len(raw), s.size)
	case s.salted && len(raw) <= s.size:
		return false, false, fmt.Errorf("%w: %s: %d bytes leave no salt after the %d-byte digest", ErrMalformedHash, s.name, len(raw), s.size)
	case s.salted:
		salt = raw[s.size:]
		if err := checkMax(s.name, "salt bytes", len(salt), h.limits.MaxSaltBytes); err != nil {
			return false, false, err
		}
	}
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	return subtle.ConstantTimeCompare(s.digest(password, salt), raw[:s.size]) == 1, false, nil
}

// ldapCryptPrefix is the label of LDAP's crypt(3) scheme.
const ldapCryptPrefix = "{CRYPT}"

// ldapCryptHasher verifies {CRYPT} strings holding MD5-crypt, SHA-crypt or
// bcrypt, and produces {CRYPT}$6$ (SHA-512-crypt) strings with the
// configured rounds. It is immutable and safe for concurrent use.
type ldapCryptHasher struct {
	sha512 *shaCryptHasher // produces the inner string
	limits Limits
}

func (h *ldapCryptHasher) Name() string { return "ldap-crypt" }

// Recognize reports whether encoded starts with "{CRYPT}", ignoring case.
func (h *ldapCryptHasher) Recognize(encoded string) bool {
	return ldapHasLabel(encoded, ldapCryptPrefix)
}

// Hash returns "{CRYPT}" followed by a sha512-crypt string.
func (h *ldapCryptHasher) Hash(ctx context.Context, password string) (string, error) {
	s, err := h.sha512.Hash(ctx, password)
	if err != nil {
		return "", err
	}
	return ldapCryptPrefix + s, nil
}

// Verify checks password against the crypt(3) string inside encoded.
// weaker is true unless the inner string is SHA-512-crypt with at least
// the configured rounds.
func (h *ldapCryptHasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	if !ldapHasLabel(encoded, ldapCryptPrefix) {
		return false, false, fmt.Errorf("%w: ldap-crypt: missing {CRYPT} label", ErrMalformedHash)
	}
	inner := encoded[len(ldapCryptPrefix):]
	switch {
	case strings.HasPrefix(inner, md5CryptPrefix):
		match, err = md5CryptStd.verify(ctx, password, inner)
		return match, match, err
	case strings.HasPrefix(inner, sha256CryptVariant.prefix):
		match, _, err = verifySHACrypt(ctx, sha256CryptVariant, h.limits, password, inner)
		return match, match, err
	case strings.HasPrefix(inner, sha512CryptVariant.prefix):
		var rounds int
		match, rounds, err = verifySHACrypt(ctx, sha512CryptVariant, h.limits, password, inner)
		return match, match && rounds < h.sha512.rounds, err
	case strings.HasPrefix(inner, "$2a$"), strings.HasPrefix(inner, "$2b$"), strings.HasPrefix(inner, "$2y$"):
		match, _, err = legacyBcryptVerify(ctx, "ldap-crypt", h.limits, []byte(password), inner)
		return match, match, err
	case inner == "":
		return false, false, fmt.Errorf("%w: ldap-crypt: empty crypt string", ErrMalformedHash)
	case len(inner) == 13 && isCryptString(inner):
		return false, false, fmt.Errorf("%w: ldap-crypt: traditional DES crypt is not supported", ErrUnknownFormat)
	case len(inner) == 20 && inner[0] == '_' && isCryptString(inner[1:]):
		return false, false, fmt.Errorf("%w: ldap-crypt: BSDi extended DES crypt is not supported", ErrUnknownFormat)
	case inner[0] == '$':
		id, _, _ := strings.Cut(inner[1:], "$")
		if len(id) > 8 {
			id = id[:8] + "..."
		}
		return false, false, fmt.Errorf("%w: ldap-crypt: crypt scheme %q is not supported", ErrUnknownFormat, id)
	default:
		return false, false, fmt.Errorf("%w: ldap-crypt: not a crypt(3) string", ErrMalformedHash)
	}
}

// legacyBcryptMaxPassword is the number of password bytes bcrypt uses.
const legacyBcryptMaxPassword = 72

// legacyBcryptVerify checks password against a bcrypt string
// "$2a$NN$<53 chars>" (also $2b$, $2y$) after checking its syntax and
// its cost against lim. It returns the stored cost. Passwords longer than
// 72 bytes are refused with ErrPasswordTooLong rather than truncated.
func legacyBcryptVerify(ctx context.Context, format string, lim Limits, password []byte, s string) (bool, int, error) {
	if len(s) != 60 || s[0] != '$' || s[1] != '2' || strings.IndexByte("aby", s[2]) < 0 || s[3] != '$' || s[6] != '$' {
		return false, 0, fmt.Errorf("%w: %s: not a 60-character $2a$/$2b$/$2y$ bcrypt string", ErrMalformedHash, format)
	}
	if s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9' {
		return false, 0, fmt.Errorf("%w: %s: bcrypt cost %q is not two digits", ErrMalformedHash, format, s[4:6])
	}
	cost := int(s[4]-'0')*10 + int(s[5]-'0')
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return false, 0, fmt.Errorf("%w: %s: bcrypt cost %d is outside [%d, %d]", ErrMalformedHash, format, cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if !isCryptString(s[7:]) {
		return false, 0, fmt.Errorf("%w: %s: bcrypt salt or hash has characters outside [./0-9A-Za-z]", ErrMalformedHash, format)
	}
	if err := checkMax(format, "bcrypt cost", cost, lim.MaxBcryptCost); err != nil {
		return false, 0, err
	}
	if len(password) > legacyBcryptMaxPassword {
		return false, 0, fmt.Errorf("%w: %s: bcrypt uses only the first %d bytes, got %d", ErrPasswordTooLong, format, legacyBcryptMaxPassword, len(password))
	}
	if err := ctx.Err(); err != nil {
		return false, 0, err
	}
	switch err := bcrypt.CompareHashAndPassword([]byte(s), password); {
	case err == nil:
		return true, cost, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, cost, nil
	default:
		return false, 0, fmt.Errorf("%w: %s: %v", ErrMalformedHash, format, err)
	}
}

var (
	_ VerifyOnlyHasher = (*ldapDigestHasher)(nil)
	_ Hasher           = (*ldapCryptHasher)(nil)
)
