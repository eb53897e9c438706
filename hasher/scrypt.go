package hasher

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// scrypt hashes are passlib's PHC form (passlib.hash.scrypt):
//
//	$scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt>$<hash>
//
// with salt and hash in standard base64 without padding. scrypt needs
// 128·r·N bytes of memory, which is checked against Limits.MaxMemoryKiB
// (and p against Limits.MaxParallelism) before any hashing. Passlib's
// other scrypt form, "$7$", is not recognised.

// ScryptParams are the parameters of new scrypt hashes, set by
// Config.Scrypt. A stored hash with
// less memory (r·N), less work (r·N·p), or a shorter salt or hash than
// these verifies with weaker set.
//
// The zero value means "use the default" for every field. The defaults are
// passlib's (ln=16, r=8, p=1: 64 MiB).
type ScryptParams struct {
	// LogN is log2 of the CPU/memory cost N, 1 to 40. Default 16.
	LogN int
	// R is the block size. Default 8.
	R int
	// P is the parallelism. Default 1.
	P int
	// SaltLen is the salt length in bytes, at least 8. Default 16.
	SaltLen int
	// KeyLen is the hash length in bytes, at least 16. Default 32.
	KeyLen int
}

// Defaults and bounds of ScryptParams.
const (
	defaultScryptLogN    = 16
	defaultScryptR       = 8
	defaultScryptP       = 1
	defaultScryptSaltLen = 16
	defaultScryptKeyLen  = 32
	scryptMaxLogN        = 40 // far above any memory limit; keeps 1<<ln in range
	scryptMinSaltLen     = 8
	scryptPrefix         = "$scrypt$"
)

// withDefaults fills zero fields.
func (p ScryptParams) withDefaults() ScryptParams {
	if p.LogN == 0 {
		p.LogN = defaultScryptLogN
	}
	if p.R == 0 {
		p.R = defaultScryptR
	}
	if p.P == 0 {
		p.P = defaultScryptP
	}
	if p.SaltLen == 0 {
		p.SaltLen = defaultScryptSaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = defaultScryptKeyLen
	}
	return p
}

// validate reports every field out of range or above lim.
func (p ScryptParams) validate(lim Limits) error {
	const what = "Config.Scrypt"
	errs := []error{
		paramRange(what, "LogN", p.LogN, 1, scryptMaxLogN),
		paramRange(what, "R", p.R, 1, 1<<20),
		paramRange(what, "P", p.P, 1, lim.MaxParallelism),
		paramRange(what, "SaltLen", p.SaltLen, scryptMinSaltLen, lim.MaxSaltBytes),
		paramRange(what, "KeyLen", p.KeyLen, minKeyLen, lim.MaxKeyBytes),
	}
	if p.LogN >= 1 && p.LogN <= scryptMaxLogN && p.R >= 1 && p.R <= 1<<20 {
		if kib := scryptMemoryKiB(p.LogN, p.R); kib > uint64(lim.MaxMemoryKiB) {
			errs = append(errs, fmt.Errorf("hasher: %s needs %d KiB of memory, above Limits.MaxMemoryKiB %d", what, kib, lim.MaxMemoryKiB))
		}
	}
	return errors.Join(errs...)
}

// scryptMemoryKiB is scrypt's memory, 128·r·N bytes, in KiB. ln must be at
// most scryptMaxLogN and r at most 2^20, so it cannot overflow.
func scryptMemoryKiB(ln, r int) uint64 {
	return uint64(r) << uint(ln) / 8
}

// scryptHash is a parsed passlib scrypt string.
type scryptHash struct {
	ln, r, p  int
	salt, key []byte
}

// parseScrypt parses encoded and checks it against lim.
func parseScrypt(encoded string, lim Limits) (scryptHash, error) {
	const format = "scrypt"
	var s scryptHash
	p, err := parsePHC(format, encoded)
	if err != nil {
		return s, err
	}
	if p.id != "scrypt" {
		return s, fmt.Errorf("%w: %s: algorithm %q, want \"scrypt\"", ErrMalformedHash, format, p.id)
	}
	if p.version != -1 {
		return s, fmt.Errorf("%w: %s: unexpected version field", ErrMalformedHash, format)
	}
	if err := p.onlyParams(format, "ln", "r", "p"); err != nil {
		return s, err
	}
	if s.ln, err = p.intParam(format, "ln"); err != nil {
		return s, err
	}
	if s.r, err = p.intParam(format, "r"); err != nil {
		return s, err
	}
	if s.p, err = p.intParam(format, "p"); err != nil {
		return s, err
	}
	switch {
	case s.ln < 1:
		return s, fmt.Errorf("%w: %s: ln must be at least 1", ErrMalformedHash, format)
	case s.r < 1:
		return s, fmt.Errorf("%w: %s: r must be at least 1", ErrMalformedHash, format)
	case s.p < 1:
		return s, fmt.Errorf("%w: %s: p must be at least 1", ErrMalformedHash, format)
	case uint64(s.r)*uint64(s.p) >= 1<<30: // scrypt's own bound
		return s, fmt.Errorf("%w: %s: r·p must be below 2^30", ErrMalformedHash, format)
	}
	if err := checkMax(format, "ln", s.ln, scryptMaxLogN); err != nil {
		return s, err
	}
	if err := checkMax(format, "r", s.r, 1<<20); err != nil {
		return s, err
	}
	if kib := scryptMemoryKiB(s.ln, s.r); kib > uint64(lim.MaxMemoryKiB) {
		return s, fmt.Errorf("%w: %s memory KiB %d (ln=%d, r=%d) is above the limit %d", ErrLimitExceeded, format, kib, s.ln, s.r, lim.MaxMemoryKiB)
	}
	if err := checkMax(format, "parallelism", s.p, lim.MaxParallelism); err != nil {
		return s, err
	}
	if s.salt, s.key, err = p.saltAndHash(format, phcB64, lim); err != nil {
		return s, err
	}
	if len(s.key) < minKeyLen {
		return s, fmt.Errorf("%w: %s: hash is %d bytes, the minimum is %d", ErrMalformedHash, format, len(s.key), minKeyLen)
	}
	return s, nil
}

// scryptHasher hashes and verifies passlib's scrypt format. It is
// immutable and safe for concurrent use.
type scryptHasher struct {
	params ScryptParams
	limits Limits
	rand   io.Reader
}

func (h *scryptHasher) Name() string { return "scrypt" }

// MemoryHard reports true: each call takes 128·r·N bytes.
func (h *scryptHasher) MemoryHard() bool { return true }

// Recognize reports whether encoded starts with "$scrypt$".
func (h *scryptHasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, scryptPrefix)
}

// Hash returns a passlib scrypt hash of password with the configured
// parameters.
func (h *scryptHasher) Hash(ctx context.Context, password string) (string, error) {
	p := h.params
	if err := withinLimits("scrypt", p.validate(h.limits)); err != nil {
		return "", err
	}
	salt, err := readSalt(h.rand, p.SaltLen)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	key, err := scrypt.Key([]byte(password), salt, 1<<p.LogN, p.R, p.P, p.KeyLen)
	if err != nil {
		return "", fmt.Errorf("hasher: scrypt: %w", err)
	}
	return scryptPrefix + "ln=" + strconv.Itoa(p.LogN) + ",r=" + strconv.Itoa(p.R) + ",p=" + strconv.Itoa(p.P) +
		"$" + phcB64.EncodeToString(salt) + "$" + phcB64.EncodeToString(key), nil
}

// Verify checks password against encoded. weaker reports less memory or
// work, or a shorter salt or hash, than configured.
func (h *scryptHasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	s, err := parseScrypt(encoded, h.limits)
	if err != nil {
		return false, false, err
	}
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	got, err := scrypt.Key([]byte(password), s.salt, 1<<s.ln, s.r, s.p, len(s.key))
	if err != nil {
		return false, false, fmt.Errorf("hasher: scrypt: %w", err)
	}
	if subtle.ConstantTimeCompare(got, s.key) != 1 {
		return false, false, nil
	}
	p := h.params
	mem, want := uint64(s.r)<<uint(s.ln), uint64(p.R)<<uint(p.LogN)
	weaker = mem < want || mem*uint64(s.p) < want*uint64(p.P) || len(s.salt) < p.SaltLen || len(s.key) < p.KeyLen
	return true, weaker, nil
}

var _ MemoryHardHasher = (*scryptHasher)(nil)
