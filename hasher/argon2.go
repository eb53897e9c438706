package hasher

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2 hashes are PHC strings (RFC 9106, github.com/P-H-C/phc-string-format):
//
//	$argon2id$v=19$m=<memory KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
//
// with salt and hash in standard base64 without padding. "usher-v1", Usher's
// default, is exactly this argon2id format with the parameters of
// Argon2Params; "argon2id" is another name for it (see genericNames), so one
// hasher recognises "$argon2id$" and rehashing compares parameters only.
// "argon2i" is the same format with Argon2i. Only version 19 (0x13, the
// current one) is supported; argon2d and hashes without "v=" (version 16)
// give an error wrapping ErrUnknownFormat.

// Argon2Params are the parameters of new usher-v1 (argon2id) and argon2i
// hashes, set by Config.Argon2. A stored hash with less memory, fewer passes, or a shorter salt
// or hash than these verifies with weaker set. Parallelism is not
// compared: fewer lanes over the same memory is not weaker.
//
// The zero value means "use the default" for every field. The defaults are
// OWASP's Password Storage Cheat Sheet recommendation for argon2id.
type Argon2Params struct {
	// MemoryKiB is the memory in KiB, at least 8 per lane. Default 19,456
	// (19 MiB).
	MemoryKiB int
	// Time is the number of passes over the memory. Default 2.
	Time int
	// Parallelism is the number of lanes, 1 to 255. Default 1.
	Parallelism int
	// SaltLen is the salt length in bytes, at least 8. Default 16.
	SaltLen int
	// KeyLen is the hash length in bytes, at least 16. Default 32.
	KeyLen int
}

// Defaults of Argon2Params.
const (
	defaultArgon2MemoryKiB   = 19 * 1024
	defaultArgon2Time        = 2
	defaultArgon2Parallelism = 1
	defaultArgon2SaltLen     = 16
	defaultArgon2KeyLen      = 32
)

// Argon2 constants: the version Usher supports, and minimums.
const (
	argon2Version     = argon2.Version // 0x13
	argon2MinSaltLen  = 8              // RFC 9106, section 3.1
	argon2MaxLanes    = 255            // x/crypto/argon2 takes a uint8
	minKeyLen         = 16             // a shorter key would let random passwords match too often
	argon2MinMemPerPL = 8              // KiB per lane, RFC 9106
)

// withDefaults fills zero fields.
func (p Argon2Params) withDefaults() Argon2Params {
	if p.MemoryKiB == 0 {
		p.MemoryKiB = defaultArgon2MemoryKiB
	}
	if p.Time == 0 {
		p.Time = defaultArgon2Time
	}
	if p.Parallelism == 0 {
		p.Parallelism = defaultArgon2Parallelism
	}
	if p.SaltLen == 0 {
		p.SaltLen = defaultArgon2SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = defaultArgon2KeyLen
	}
	return p
}

// validate reports every field out of range or above lim.
func (p Argon2Params) validate(lim Limits) error {
	const what = "Config.Argon2"
	errs := []error{
		paramRange(what, "Parallelism", p.Parallelism, 1, min(lim.MaxParallelism, argon2MaxLanes)),
		paramRange(what, "MemoryKiB", p.MemoryKiB, argon2MinMemPerPL*max(p.Parallelism, 1), lim.MaxMemoryKiB),
		paramRange(what, "Time", p.Time, 1, lim.MaxTime),
		paramRange(what, "SaltLen", p.SaltLen, argon2MinSaltLen, lim.MaxSaltBytes),
		paramRange(what, "KeyLen", p.KeyLen, minKeyLen, lim.MaxKeyBytes),
	}
	return errors.Join(errs...)
}

// argon2Variant is argon2id or argon2i.
type argon2Variant struct {
	name   string // registry name
	id     string // PHC identifier
	prefix string // "$" + id + "$"
	key    func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte
}

var (
	argon2idVariant = &argon2Variant{name: "usher-v1", id: "argon2id", prefix: "$argon2id$", key: argon2.IDKey}
	argon2iVariant  = &argon2Variant{name: "argon2i", id: "argon2i", prefix: "$argon2i$", key: argon2.Key}
)

// argon2Hash is a parsed argon2 PHC string.
type argon2Hash struct {
	memory, time, lanes int
	salt, key           []byte
}

// parseArgon2 parses a PHC string of variant v and checks it against lim.
func parseArgon2(v *argon2Variant, encoded string, lim Limits) (argon2Hash, error) {
	var a argon2Hash
	p, err := parsePHC(v.name, encoded)
	if err != nil {
		return a, err
	}
	switch {
	case p.id != v.id:
		return a, fmt.Errorf("%w: %s: algorithm %q, want %q", ErrMalformedHash, v.name, p.id, v.id)
	case p.version == -1:
		return a, fmt.Errorf("%w: %s: hash without v= (Argon2 version 16) is not supported", ErrUnknownFormat, v.name)
	case p.version != argon2Version:
		return a, fmt.Errorf("%w: %s: Argon2 version %d is not supported, want %d", ErrUnknownFormat, v.name, p.version, argon2Version)
	}
	if err := p.onlyParams(v.name, "m", "t", "p"); err != nil {
		return a, err
	}
	if a.memory, err = p.intParam(v.name, "m"); err != nil {
		return a, err
	}
	if a.time, err = p.intParam(v.name, "t"); err != nil {
		return a, err
	}
	if a.lanes, err = p.intParam(v.name, "p"); err != nil {
		return a, err
	}
	switch {
	case a.lanes < 1:
		return a, fmt.Errorf("%w: %s: parallelism must be at least 1", ErrMalformedHash, v.name)
	case a.time < 1:
		return a, fmt.Errorf("%w: %s: time must be at least 1", ErrMalformedHash, v.name)
	}
	for _, c := range []struct {
		what       string
		value, max int
	}{
		{"memory KiB", a.memory, lim.MaxMemoryKiB},
		{"time", a.time, lim.MaxTime},
		{"parallelism", a.lanes, min(lim.MaxParallelism, argon2MaxLanes)},
	} {
		if err := checkMax(v.name, c.what, c.value, c.max); err != nil {
			return a, err
		}
	}
	if a.memory < argon2MinMemPerPL*a.lanes {
		return a, fmt.Errorf("%w: %s: memory %d KiB is below Argon2's minimum of %d KiB per lane", ErrMalformedHash, v.name, a.memory, argon2MinMemPerPL)
	}
	if a.salt, a.key, err = p.saltAndHash(v.name, phcB64, lim); err != nil {
		return a, err
	}
	if len(a.salt) < argon2MinSaltLen {
		return a, fmt.Errorf("%w: %s: salt is %d bytes, the minimum is %d", ErrMalformedHash, v.name, len(a.salt), argon2MinSaltLen)
	}
	if len(a.key) < minKeyLen {
		return a, fmt.Errorf("%w: %s: hash is %d bytes, the minimum is %d", ErrMalformedHash, v.name, len(a.key), minKeyLen)
	}
	return a, nil
}

// argon2Hasher hashes and verifies one argon2 variant. It is immutable and
// safe for concurrent use.
type argon2Hasher struct {
	v      *argon2Variant
	params Argon2Params
	limits Limits
	rand   io.Reader
}

func (h *argon2Hasher) Name() string { return h.v.name }

// MemoryHard reports true: each call takes the hash's memory parameter.
func (h *argon2Hasher) MemoryHard() bool { return true }

// Recognize reports whether encoded starts with "$argon2id$" (usher-v1) or
// "$argon2i$" (argon2i).
func (h *argon2Hasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, h.v.prefix)
}

// Hash returns a PHC string of password with the configured parameters.
func (h *argon2Hasher) Hash(ctx context.Context, password string) (string, error) {
	p := h.params
	if err := withinLimits(h.v.name, p.validate(h.limits)); err != nil {
		return "", err
	}
	salt, err := readSalt(h.rand, p.SaltLen)
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	key := h.v.key([]byte(password), salt, uint32(p.Time), uint32(p.MemoryKiB), uint8(p.Parallelism), uint32(p.KeyLen))
	var b strings.Builder
	b.Grow(len(h.v.prefix) + 40 + phcB64.EncodedLen(len(salt)) + phcB64.EncodedLen(len(key)))
	b.WriteString(h.v.prefix)
	b.WriteString("v=" + strconv.Itoa(argon2Version))
	b.WriteString("$m=" + strconv.Itoa(p.MemoryKiB))
	b.WriteString(",t=" + strconv.Itoa(p.Time))
	b.WriteString(",p=" + strconv.Itoa(p.Parallelism))
	b.WriteString("$" + phcB64.EncodeToString(salt))
	b.WriteString("$" + phcB64.EncodeToString(key))
	return b.String(), nil
}

// Verify checks password against encoded. weaker reports less memory,
// fewer passes, or a shorter salt or hash than configured.
func (h *argon2Hasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	a, err := parseArgon2(h.v, encoded, h.limits)
	if err != nil {
		return false, false, err
	}
	if err := ctx.Err(); err != nil {
		return false, false, err
	}
	got := h.v.key([]byte(password), a.salt, uint32(a.time), uint32(a.memory), uint8(a.lanes), uint32(len(a.key)))
	if subtle.ConstantTimeCompare(got, a.key) != 1 {
		return false, false, nil
	}
	p := h.params
	weaker = a.memory < p.MemoryKiB || a.time < p.Time || len(a.salt) < p.SaltLen || len(a.key) < p.KeyLen
	return true, weaker, nil
}

var _ MemoryHardHasher = (*argon2Hasher)(nil)
