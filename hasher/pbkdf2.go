package hasher

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/internal/pbkdf2"
)

// PRF names the pseudo-random function (an HMAC) of a PBKDF2-based format.
// The zero value, PRFDefault, stands for the format's default.
type PRF int

// The PRFs Usher knows, weakest first.
const (
	PRFDefault PRF = iota
	PRFSHA1        // HMAC-SHA1
	PRFSHA256      // HMAC-SHA256
	PRFSHA512      // HMAC-SHA512
)

// String returns "sha1", "sha256", "sha512" or "default".
func (p PRF) String() string {
	switch p {
	case PRFSHA1:
		return "sha1"
	case PRFSHA256:
		return "sha256"
	case PRFSHA512:
		return "sha512"
	case PRFDefault:
		return "default"
	}
	return "PRF(" + strconv.Itoa(int(p)) + ")"
}

// newHash returns the hash function of p, or nil for an unknown PRF.
func (p PRF) newHash() func() hash.Hash {
	switch p {
	case PRFSHA1:
		return sha1.New
	case PRFSHA256:
		return sha256.New
	case PRFSHA512:
		return sha512.New
	}
	return nil
}

// size returns the output size in bytes of p's hash function.
func (p PRF) size() int {
	switch p {
	case PRFSHA1:
		return sha1.Size
	case PRFSHA256:
		return sha256.Size
	case PRFSHA512:
		return sha512.Size
	}
	return 0
}

// pbkdf2Key derives keyLen bytes from password and salt with PBKDF2 and
// prf. It returns ctx.Err() when ctx is done before it starts; callers
// check iterations and lengths against Limits first.
//
// It is internal/pbkdf2, the crypto/pbkdf2 code path that the program
// internal/cmd/pbkdf2bench measures against OpenSSL (see BENCHMARKS.md).
func pbkdf2Key(ctx context.Context, prf PRF, password string, salt []byte, iterations, keyLen int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	newHash := prf.newHash()
	if newHash == nil {
		return nil, fmt.Errorf("hasher: unknown PBKDF2 PRF %v", prf)
	}
	key, err := pbkdf2.Key(ctx, newHash, password, salt, iterations, keyLen)
	if err != nil {
		return nil, fmt.Errorf("hasher: %w", err)
	}
	return key, nil
}

// readSalt reads n random bytes from r.
func readSalt(r io.Reader, n int) ([]byte, error) {
	salt := make([]byte, n)
	if _, err := io.ReadFull(r, salt); err != nil {
		return nil, fmt.Errorf("hasher: reading salt: %w", err)
	}
	return salt, nil
}

// PBKDF2Params are the parameters of new passlib-style PBKDF2 hashes
// (pbkdf2-sha1, pbkdf2-sha256, pbkdf2-sha512), set by Config.PBKDF2. A stored hash with fewer
// iterations or a shorter salt than these verifies with weaker set, so the
// Registry asks to rehash it when its hasher is the default.
//
// The zero value means "use the default" for every field. The defaults
// are OWASP's Password Storage Cheat Sheet minimums.
type PBKDF2Params struct {
	// SHA1Iterations is the iteration count of pbkdf2-sha1. Default
	// 1,300,000.
	SHA1Iterations int
	// SHA256Iterations is the iteration count of pbkdf2-sha256. Default
	// 600,000.
	SHA256Iterations int
	// SHA512Iterations is the iteration count of pbkdf2-sha512. Default
	// 210,000.
	SHA512Iterations int
	// SaltLen is the length in bytes of new salts, at least 8. Default 16.
	SaltLen int
}

// Defaults of PBKDF2Params.
const (
	defaultPBKDF2SHA1Iterations   = 1_300_000
	defaultPBKDF2SHA256Iterations = 600_000
	defaultPBKDF2SHA512Iterations = 210_000
	defaultPBKDF2SaltLen          = 16
)

// withDefaults fills zero fields.
func (p PBKDF2Params) withDefaults() PBKDF2Params {
	if p.SHA1Iterations == 0 {
		p.SHA1Iterations = defaultPBKDF2SHA1Iterations
	}
	if p.SHA256Iterations == 0 {
		p.SHA256Iterations = defaultPBKDF2SHA256Iterations
	}
	if p.SHA512Iterations == 0 {
		p.SHA512Iterations = defaultPBKDF2SHA512Iterations
	}
	if p.SaltLen == 0 {
		p.SaltLen = defaultPBKDF2SaltLen
	}
	return p
}

// validate reports every field out of range or above lim.
func (p PBKDF2Params) validate(lim Limits) error {
	const what = "Config.PBKDF2"
	var errs []error
	for _, it := range []struct {
		field string
		n     int
	}{
		{"SHA1Iterations", p.SHA1Iterations},
		{"SHA256Iterations", p.SHA256Iterations},
		{"SHA512Iterations", p.SHA512Iterations},
	} {
		errs = append(errs, paramRange(what, it.field, it.n, 1, lim.MaxIterations))
	}
	errs = append(errs, paramRange(what, "SaltLen", p.SaltLen, 8, lim.MaxSaltBytes))
	return errors.Join(errs...)
}

// passlibPBKDF2Variant is one of passlib's PBKDF2 formats:
//
//	$pbkdf2-sha256$<iterations>$<salt>$<key>
//
// with salt and key in passlib's ab64 (standard base64 with '.' for '+',
// no padding) and a key as long as the PRF's output. "$pbkdf2$" is SHA-1.
//
// The same hasher verifies the PHC string form of the same identifiers
// (github.com/P-H-C/phc-string-format, as written by RustCrypto's pbkdf2
// crate and others):
//
//	$pbkdf2-sha256$i=<iterations>[,l=<key length>]$<salt>$<key>
//
// with salt and key in standard base64 without padding, the salt used as
// its decoded bytes, and any key length of at least 16 bytes. New hashes
// are in passlib's form.
type passlibPBKDF2Variant struct {
	name   string // registry name
	prefix string // "$pbkdf2-sha256$"
	prf    PRF
}

var (
	passlibPBKDF2SHA1   = &passlibPBKDF2Variant{name: "pbkdf2-sha1", prefix: "$pbkdf2$", prf: PRFSHA1}
	passlibPBKDF2SHA256 = &passlibPBKDF2Variant{name: "pbkdf2-sha256", prefix: "$pbkdf2-sha256$", prf: PRFSHA256}
	passlibPBKDF2SHA512 = &passlibPBKDF2Variant{name: "pbkdf2-sha512", prefix: "$pbkdf2-sha512$", prf: PRFSHA512}
)

// passlibPBKDF2Hash is a parsed passlib PBKDF2 hash.
type passlibPBKDF2Hash struct {
	iterations int
	salt, key  []byte
}

// parse decodes encoded and checks it against lim.
func (v *passlibPBKDF2Variant) parse(encoded string, lim Limits) (passlibPBKDF2Hash, error) {
	var h passlibPBKDF2Hash
	if len(encoded) > phcMaxLen {
		return h, fmt.Errorf("%w: %s: hash is %d bytes long, the maximum is %d", ErrMalformedHash, v.name, len(encoded), phcMaxLen)
	}
	rest, ok := strings.CutPrefix(encoded, v.prefix)
	if !ok {
		return h, fmt.Errorf("%w: %s: missing %q prefix", ErrMalformedHash, v.name, v.prefix)
	}
	if first, _, _ := strings.Cut(rest, "$"); strings.Contains(first, "=") {
		return v.parsePHC(encoded, lim)
	}
	f := strings.Split(rest, "$")
	if len(f) != 3 {
		return h, fmt.Errorf("%w: %s: want %s<iterations>$<salt>$<key>, got %d fields after the prefix", ErrMalformedHash, v.name, v.prefix, len(f))
	}
	n, err := phcDecimal(v.name, "iterations", f[0])
	if err != nil {
		return h, err
	}
	if n < 1 {
		return h, fmt.Errorf("%w: %s: iterations must be positive", ErrMalformedHash, v.name)
	}
	if err := checkMax(v.name, "iterations", n, lim.MaxIterations); err != nil {
		return h, err
	}
	h.iterations = n
	if h.salt, err = decodeB64(v.name, "salt", passlibAB64, f[1], lim.MaxSaltBytes); err != nil {
		return h, err
	}
	if h.key, err = decodeB64(v.name, "key", passlibAB64, f[2], lim.MaxKeyBytes); err != nil {
		return h, err
	}
	if len(h.key) != v.prf.size() {
		return h, fmt.Errorf("%w: %s: key is %d bytes, want %d", ErrMalformedHash, v.name, len(h.key), v.prf.size())
	}
	return h, nil
}

// parsePHC parses the PHC string form and checks it against lim.
func (v *passlibPBKDF2Variant) parsePHC(encoded string, lim Limits) (passlibPBKDF2Hash, error) {
	var h passlibPBKDF2Hash
	p, err := parsePHC(v.name, encoded)
	if err != nil {
		return h, err
	}
	if p.version != -1 {
		return h, fmt.Errorf("%w: %s: unexpected version field", ErrMalformedHash, v.name)
	}
	if err := p.onlyParams(v.name, "i", "l"); err != nil {
		return h, err
	}
	if h.iterations, err = p.intParam(v.name, "i"); err != nil {
		return h, err
	}
	if h.iterations < 1 {
		return h, fmt.Errorf("%w: %s: iterations must be positive", ErrMalformedHash, v.name)
	}
	if err := checkMax(v.name, "iterations", h.iterations, lim.MaxIterations); err != nil {
		return h, err
	}
	if h.salt, h.key, err = p.saltAndHash(v.name, phcB64, lim); err != nil {
		return h, err
	}
	if len(h.key) < minKeyLen {
		return h, fmt.Errorf("%w: %s: key is %d bytes, the minimum is %d", ErrMalformedHash, v.name, len(h.key), minKeyLen)
	}
	if _, ok := p.param("l"); ok {
		l, err := p.intParam(v.name, "l")
		if err != nil {
			return h, err
		}
		if l != len(h.key) {
			return h, fmt.Errorf("%w: %s: l=%d but the key is %d bytes", ErrMalformedHash, v.name, l, len(h.key))
		}
	}
	return h, nil
}

// passlibPBKDF2Hasher hashes and verifies one of passlib's PBKDF2 formats.
// It is immutable and safe for concurrent use.
type passlibPBKDF2Hasher struct {
	v          *passlibPBKDF2Variant
	iterations int // of new hashes
	saltLen    int // of new hashes
	limits     Limits
	rand       io.Reader
}

func (h *passlibPBKDF2Hasher) Name() string { return h.v.name }

// Recognize reports whether encoded starts with the variant's prefix.
func (h *passlibPBKDF2Hasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, h.v.prefix)
}

// Hash returns a passlib PBKDF2 hash of password with the configured
// iterations and a fresh salt.
func (h *passlibPBKDF2Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := checkMax(h.v.name, "configured iterations", h.iterations, h.limits.MaxIterations); err != nil {
		return "", err
	}
	if err := checkMax(h.v.name, "configured salt bytes", h.saltLen, h.limits.MaxSaltBytes); err != nil {
		return "", err
	}
	salt, err := readSalt(h.rand, h.saltLen)
	if err != nil {
		return "", err
	}
	key, err := pbkdf2Key(ctx, h.v.prf, password, salt, h.iterations, h.v.prf.size())
	if err != nil {
		return "", err
	}
	return h.v.prefix + strconv.Itoa(h.iterations) + "$" + passlibAB64.EncodeToString(salt) + "$" + passlibAB64.EncodeToString(key), nil
}

// Verify checks password against encoded. weaker reports fewer iterations
// or a shorter salt than the configured ones.
func (h *passlibPBKDF2Hasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	p, err := h.v.parse(encoded, h.limits)
	if err != nil {
		return false, false, err
	}
	got, err := pbkdf2Key(ctx, h.v.prf, password, p.salt, p.iterations, len(p.key))
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, p.key) != 1 {
		return false, false, nil
	}
	return true, p.iterations < h.iterations || len(p.salt) < h.saltLen, nil
}

// paramRange returns an error naming the field when n is outside
// [lo, hi], or nil.
func paramRange(what, field string, n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("hasher: %s.%s %d is outside [%d, %d]", what, field, n, lo, hi)
	}
	return nil
}

var _ Hasher = (*passlibPBKDF2Hasher)(nil)
