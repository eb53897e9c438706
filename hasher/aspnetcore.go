package hasher

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// ASP.NET Core Identity's password hashes (PasswordHasher<TUser>) are
// standard, padded base64 of a binary payload whose first byte is a format
// marker:
//
//	V2: 0x00 | salt (16) | subkey (32)
//	    PBKDF2-HMAC-SHA1, 1000 iterations
//	V3: 0x01 | PRF (uint32) | iterations (uint32) | salt length (uint32) | salt | subkey
//	    integers big-endian; PRF 0 = HMAC-SHA1, 1 = HMAC-SHA256, 2 = HMAC-SHA512
//
// Like ASP.NET, V3 accepts any PRF, iteration count and lengths (salt and
// subkey at least 128 bits), within Limits.

// Layout of the formats.
const (
	aspNetV2Marker     = 0x00
	aspNetV3Marker     = 0x01
	aspNetV2SaltLen    = 16
	aspNetV2KeyLen     = 32
	aspNetV2Iterations = 1000
	aspNetV2Len        = 1 + aspNetV2SaltLen + aspNetV2KeyLen
	aspNetV3HeaderLen  = 13
	aspNetMinLen       = 16 // minimum salt and subkey length of V3, in bytes
)

// aspNetPRFs maps V3's PRF field to Usher's PRF; the field of p is
// p - PRFSHA1.
var aspNetPRFs = [...]PRF{0: PRFSHA1, 1: PRFSHA256, 2: PRFSHA512}

// AspNetCoreParams are the parameters of new ASP.NET Core Identity V3
// hashes (aspnetcore-v3), set by Config.AspNetCore. A stored V3 hash verifies with weaker set when
// its PRF is weaker (SHA-1 < SHA-256 < SHA-512), or its iteration count,
// salt or subkey is smaller than these.
//
// The zero value means "use the default" for every field. The defaults are
// those of ASP.NET Core 7 and later, so hashes Usher makes are the ones
// ASP.NET makes.
type AspNetCoreParams struct {
	// PRF is the HMAC of PBKDF2. Default PRFSHA512.
	PRF PRF
	// Iterations is PBKDF2's iteration count. Default 100,000.
	Iterations int
	// SaltLen is the salt length in bytes, at least 16. Default 16.
	SaltLen int
	// KeyLen is the subkey length in bytes, at least 16. Default 32.
	KeyLen int
}

// Defaults of AspNetCoreParams.
const (
	defaultAspNetPRF        = PRFSHA512
	defaultAspNetIterations = 100_000
	defaultAspNetSaltLen    = 16
	defaultAspNetKeyLen     = 32
)

// withDefaults fills zero fields.
func (p AspNetCoreParams) withDefaults() AspNetCoreParams {
	if p.PRF == PRFDefault {
		p.PRF = defaultAspNetPRF
	}
	if p.Iterations == 0 {
		p.Iterations = defaultAspNetIterations
	}
	if p.SaltLen == 0 {
		p.SaltLen = defaultAspNetSaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = defaultAspNetKeyLen
	}
	return p
}

// validate reports every field out of range or above lim.
func (p AspNetCoreParams) validate(lim Limits) error {
	const what = "Config.AspNetCore"
	var errs []error
	if p.PRF.newHash() == nil {
		errs = append(errs, fmt.Errorf("hasher: %s.PRF %v is not PRFSHA1, PRFSHA256 or PRFSHA512", what, p.PRF))
	}
	errs = append(errs,
		paramRange(what, "Iterations", p.Iterations, 1, min(lim.MaxIterations, math.MaxInt32)),
		paramRange(what, "SaltLen", p.SaltLen, aspNetMinLen, lim.MaxSaltBytes),
		paramRange(what, "KeyLen", p.KeyLen, aspNetMinLen, lim.MaxKeyBytes),
	)
	return errors.Join(errs...)
}

// aspNetDecode decodes encoded, strictly, refusing it before decoding when
// the payload would be longer than a V3 header, salt and subkey within lim.
func aspNetDecode(format, encoded string, lim Limits) ([]byte, error) {
	maxLen := aspNetV3HeaderLen + lim.MaxSaltBytes + lim.MaxKeyBytes
	if n := base64.StdEncoding.DecodedLen(len(encoded)); n > maxLen+2 { // +2: padding
		return nil, fmt.Errorf("%w: %s: payload of about %d bytes is above the limit %d (header, salt and key)", ErrLimitExceeded, format, n, maxLen)
	}
	// legacyB64Decode refuses the line breaks encoding/base64 would skip.
	b, err := legacyB64Decode(base64.StdEncoding, encoded)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: not valid padded base64: %v", ErrMalformedHash, format, err)
	}
	return b, nil
}

// aspNetV3Hash is a decoded V3 payload.
type aspNetV3Hash struct {
	prf        PRF
	iterations int
	salt, key  []byte
}

// parseAspNetV3 decodes a V3 hash and checks it against lim.
func parseAspNetV3(encoded string, lim Limits) (aspNetV3Hash, error) {
	const format = "aspnetcore-v3"
	var h aspNetV3Hash
	b, err := aspNetDecode(format, encoded, lim)
	if err != nil {
		return h, err
	}
	if len(b) < aspNetV3HeaderLen {
		return h, fmt.Errorf("%w: %s: payload is %d bytes, shorter than the %d-byte header", ErrMalformedHash, format, len(b), aspNetV3HeaderLen)
	}
	if b[0] != aspNetV3Marker {
		return h, fmt.Errorf("%w: %s: format marker is 0x%02x, want 0x01", ErrMalformedHash, format, b[0])
	}
	prf := binary.BigEndian.Uint32(b[1:])
	iter := binary.BigEndian.Uint32(b[5:])
	saltLen := binary.BigEndian.Uint32(b[9:])
	rest := b[aspNetV3HeaderLen:]
	if prf >= uint32(len(aspNetPRFs)) {
		return h, fmt.Errorf("%w: %s: PRF %d is not 0 (SHA-1), 1 (SHA-256) or 2 (SHA-512)", ErrMalformedHash, format, prf)
	}
	if iter == 0 {
		return h, fmt.Errorf("%w: %s: iteration count is 0", ErrMalformedHash, format)
	}
	if err := checkMax(format, "iterations", clampInt(iter), lim.MaxIterations); err != nil {
		return h, err
	}
	if saltLen < aspNetMinLen {
		return h, fmt.Errorf("%w: %s: salt is %d bytes, the minimum is %d", ErrMalformedHash, format, saltLen, aspNetMinLen)
	}
	if err := checkMax(format, "salt bytes", clampInt(saltLen), lim.MaxSaltBytes); err != nil {
		return h, err
	}
	if uint64(saltLen) > uint64(len(rest)) {
		return h, fmt.Errorf("%w: %s: salt length %d is more than the %d bytes after the header", ErrMalformedHash, format, saltLen, len(rest))
	}
	h.salt, h.key = rest[:saltLen], rest[saltLen:]
	if len(h.key) < aspNetMinLen {
		return h, fmt.Errorf("%w: %s: subkey is %d bytes, the minimum is %d", ErrMalformedHash, format, len(h.key), aspNetMinLen)
	}
	if err := checkMax(format, "key bytes", len(h.key), lim.MaxKeyBytes); err != nil {
		return h, err
	}
	h.prf, h.iterations = aspNetPRFs[prf], int(iter)
	return h, nil
}

// clampInt converts n to int, saturating at math.MaxInt32 so that it
// cannot overflow on 32-bit platforms.
func clampInt(n uint32) int {
	return int(min(n, math.MaxInt32))
}

// aspNetV3Hasher hashes and verifies ASP.NET Core Identity V3 hashes. It is
// immutable and safe for concurrent use.
type aspNetV3Hasher struct {
	params AspNetCoreParams
	limits Limits
	rand   io.Reader
}

func (h *aspNetV3Hasher) Name() string { return "aspnetcore-v3" }

// Recognize reports whether encoded starts with eight characters of base64
// that decode to the V3 marker and a PRF below 2^24 (four bytes no other
// format starts with). It decodes only those eight characters: a V3 hash
// cut short, such as "AQAAAAIAAYag" (cut after the iteration count), or
// whose base64 is broken further on, is recognised, so that Verify
// refuses it with ErrMalformedHash rather than as an unknown format.
func (h *aspNetV3Hasher) Recognize(encoded string) bool {
	if len(encoded) < 8 {
		return false
	}
	var b [6]byte
	n, err := base64.StdEncoding.Decode(b[:], []byte(encoded[:8]))
	return err == nil && n == 6 && b[0] == aspNetV3Marker && b[1] == 0 && b[2] == 0 && b[3] == 0
}

// Hash returns a V3 hash of password with the configured parameters.
func (h *aspNetV3Hasher) Hash(ctx context.Context, password string) (string, error) {
	p := h.params
	if err := withinLimits("aspnetcore-v3", p.validate(h.limits)); err != nil {
		return "", err
	}
	salt, err := readSalt(h.rand, p.SaltLen)
	if err != nil {
		return "", err
	}
	key, err := pbkdf2Key(ctx, p.PRF, password, salt, p.Iterations, p.KeyLen)
	if err != nil {
		return "", err
	}
	b := make([]byte, aspNetV3HeaderLen, aspNetV3HeaderLen+len(salt)+len(key))
	b[0] = aspNetV3Marker
	binary.BigEndian.PutUint32(b[1:], uint32(p.PRF-PRFSHA1))
	binary.BigEndian.PutUint32(b[5:], uint32(p.Iterations))
	binary.BigEndian.PutUint32(b[9:], uint32(len(salt)))
	b = append(append(b, salt...), key...)
	return base64.StdEncoding.EncodeToString(b), nil
}

// Verify checks password against a V3 hash. weaker reports a weaker PRF,
// fewer iterations, or a shorter salt or subkey than configured.
func (h *aspNetV3Hasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	v, err := parseAspNetV3(encoded, h.limits)
	if err != nil {
		return false, false, err
	}
	got, err := pbkdf2Key(ctx, v.prf, password, v.salt, v.iterations, len(v.key))
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, v.key) != 1 {
		return false, false, nil
	}
	p := h.params
	weaker = v.prf < p.PRF || v.iterations < p.Iterations || len(v.salt) < p.SaltLen || len(v.key) < p.KeyLen
	return true, weaker, nil
}

// aspNetV2Hasher verifies ASP.NET Core Identity V2 hashes and, with
// Config.InsecureAspNetCoreV2Hashing, produces them. It is immutable and safe for
// concurrent use.
type aspNetV2Hasher struct {
	hashing bool
	rand    io.Reader
}

func (h *aspNetV2Hasher) Name() string { return "aspnetcore-v2" }

// VerifyOnly reports true unless Config.InsecureAspNetCoreV2Hashing is set.
func (h *aspNetV2Hasher) VerifyOnly() bool { return !h.hashing }

// Recognize reports whether encoded is padded base64 of exactly 49 bytes
// starting with the V2 marker, or such a string cut short: 8 to 67
// characters of the base64 alphabet, without padding, that decode to the
// marker first and are not all hexadecimal digits. Verify refuses one cut
// short with ErrMalformedHash.
//
// The marker is a single zero byte, so V2 claims no more than that: a
// padded payload of another length (ASP.NET's own "V2 format, too short"
// test vector is 32 bytes) is not recognised, for it cannot be told from
// the base64 of an unsalted digest (16, 20 or 32 bytes, always padded),
// which starts with a zero byte once in 256, and hexadecimal digests are
// base64 too. Those stay ErrUnknownFormat, so that a migration hook still
// gets them.
func (h *aspNetV2Hasher) Recognize(encoded string) bool {
	full := base64.StdEncoding.EncodedLen(aspNetV2Len)
	switch {
	case len(encoded) == full:
		var b [aspNetV2Len + 2]byte
		n, err := base64.StdEncoding.Strict().Decode(b[:], []byte(encoded))
		return err == nil && n == aspNetV2Len && b[0] == aspNetV2Marker
	case len(encoded) < 8 || len(encoded) > full:
		return false
	}
	body := encoded
	if len(body) == full-1 { // cut between the two padding characters
		body = strings.TrimSuffix(body, "=")
	}
	var b [6]byte
	n, err := base64.StdEncoding.Decode(b[:], []byte(encoded[:8]))
	return err == nil && n == 6 && b[0] == aspNetV2Marker && isBase64Alphabet(body) && !isHexString(body)
}

// isBase64Alphabet reports whether s has only characters of standard
// base64's alphabet, padding excluded.
func isBase64Alphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}

// isHexString reports whether s has only hexadecimal digits.
func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// Hash returns ErrVerifyOnly, or a V2 hash of password when
// Config.InsecureAspNetCoreV2Hashing is set.
func (h *aspNetV2Hasher) Hash(ctx context.Context, password string) (string, error) {
	if !h.hashing {
		return "", fmt.Errorf("%w: aspnetcore-v2 (see Config.InsecureAspNetCoreV2Hashing)", ErrVerifyOnly)
	}
	salt, err := readSalt(h.rand, aspNetV2SaltLen)
	if err != nil {
		return "", err
	}
	key, err := pbkdf2Key(ctx, PRFSHA1, password, salt, aspNetV2Iterations, aspNetV2KeyLen)
	if err != nil {
		return "", err
	}
	b := make([]byte, 0, aspNetV2Len)
	b = append(append(append(b, aspNetV2Marker), salt...), key...)
	return base64.StdEncoding.EncodeToString(b), nil
}

// Verify checks password against a V2 hash. weaker is true for every
// match unless Config.InsecureAspNetCoreV2Hashing is set, as ASP.NET Core asks to
// rehash V2 hashes outside its V2 compatibility mode.
func (h *aspNetV2Hasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	const format = "aspnetcore-v2"
	if len(encoded) != base64.StdEncoding.EncodedLen(aspNetV2Len) {
		return false, false, fmt.Errorf("%w: %s: hash is %d characters, want %d (cut short?)", ErrMalformedHash, format, len(encoded), base64.StdEncoding.EncodedLen(aspNetV2Len))
	}
	b, err := base64.StdEncoding.Strict().DecodeString(encoded)
	if err != nil {
		return false, false, fmt.Errorf("%w: %s: not valid padded base64: %v", ErrMalformedHash, format, err)
	}
	if len(b) != aspNetV2Len || b[0] != aspNetV2Marker {
		return false, false, fmt.Errorf("%w: %s: want a 49-byte payload starting with 0x00", ErrMalformedHash, format)
	}
	salt, key := b[1:1+aspNetV2SaltLen], b[1+aspNetV2SaltLen:]
	got, err := pbkdf2Key(ctx, PRFSHA1, password, salt, aspNetV2Iterations, aspNetV2KeyLen)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, !h.hashing, nil
}

var (
	_ Hasher           = (*aspNetV3Hasher)(nil)
	_ VerifyOnlyHasher = (*aspNetV2Hasher)(nil)
)
