package hasher

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
)

// SHA-crypt ("$5$" and "$6$") as specified by Ulrich Drepper in "Unix crypt
// using SHA-256 and SHA-512" (https://www.akkadia.org/drepper/SHA-crypt.txt).
// The stored form is
//
//	$5$rounds=<N>$<salt>$<43 chars>     (SHA-256)
//	$6$rounds=<N>$<salt>$<86 chars>     (SHA-512)
//
// where "rounds=<N>$" is optional (absent means 5000), N is in
// [1000, 999999999] and the salt is 0 to 16 characters of the crypt
// alphabet [./0-9A-Za-z].
const (
	shaCryptDefaultRounds = 5000
	shaCryptMinRounds     = 1000
	shaCryptMaxRounds     = 999_999_999
	shaCryptMaxSalt       = 16
	shaCryptSaltLen       = 16 // salt length of new hashes

	// cryptMaxPasswordBytes caps passwords for MD5-crypt and SHA-crypt,
	// whose work grows with the password's length (SHA-crypt hashes the
	// password twice per round). Solaris's crypt_sha512 has the same cap
	// (255 characters).
	cryptMaxPasswordBytes = 256
)

// cryptAlphabet is the base-64 alphabet of crypt(3): "./0-9A-Za-z".
const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// cryptAppend24 appends n characters encoding the 24-bit group b2 b1 b0,
// least significant six bits first (b64_from_24bit in the SHA-crypt spec,
// to64 in MD5-crypt).
func cryptAppend24(dst []byte, b2, b1, b0 byte, n int) []byte {
	w := uint32(b2)<<16 | uint32(b1)<<8 | uint32(b0)
	for range n {
		dst = append(dst, cryptAlphabet[w&0x3f])
		w >>= 6
	}
	return dst
}

// isCryptString reports whether s uses only the crypt alphabet.
func isCryptString(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(cryptAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// cryptSalt returns n random characters of the crypt alphabet read from r.
func cryptSalt(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("hasher: reading salt: %w", err)
	}
	for i := range b {
		b[i] = cryptAlphabet[b[i]&0x3f] // 256 is a multiple of 64: uniform
	}
	return string(b), nil
}

// shaCryptVariant describes one of the two SHA-crypt algorithms.
type shaCryptVariant struct {
	name    string // registry name
	prefix  string // "$5$" or "$6$"
	newHash func() hash.Hash
	size    int      // digest size in bytes
	encLen  int      // length of the encoded checksum
	order   [][3]int // byte triplets of the final encoding
	tail    [3]int   // the last, partial group; -1 means a zero byte
	tailLen int      // characters of the last group
}

var (
	sha256CryptVariant = &shaCryptVariant{
		name: "sha256-crypt", prefix: "$5$", newHash: sha256.New, size: sha256.Size, encLen: 43,
		order: [][3]int{
			{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
			{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29},
		},
		tail: [3]int{-1, 31, 30}, tailLen: 3,
	}
	sha512CryptVariant = &shaCryptVariant{
		name: "sha512-crypt", prefix: "$6$", newHash: sha512.New, size: sha512.Size, encLen: 86,
		order: [][3]int{
			{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
			{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51},
			{31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35},
			{15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
			{62, 20, 41},
		},
		tail: [3]int{-1, -1, 63}, tailLen: 2,
	}
)

// shaCryptHash is a parsed SHA-crypt string.
type shaCryptHash struct {
	rounds   int
	implicit bool // no "rounds=" field: 5000
	salt     string
	checksum string
}

// parseSHACrypt splits encoded into its fields and checks their syntax.
func (v *shaCryptVariant) parse(encoded string) (shaCryptHash, error) {
	var h shaCryptHash
	rest, ok := strings.CutPrefix(encoded, v.prefix)
	if !ok {
		return h, fmt.Errorf("%w: %s: missing %q prefix", ErrMalformedHash, v.name, v.prefix)
	}
	h.rounds, h.implicit = shaCryptDefaultRounds, true
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		digits, after, found := strings.Cut(r, "$")
		if !found {
			return h, fmt.Errorf("%w: %s: rounds field not terminated by '$'", ErrMalformedHash, v.name)
		}
		n, err := legacyDecimal(digits, shaCryptMaxRounds)
		if err != nil {
			return h, fmt.Errorf("%w: %s: rounds %q: %v", ErrMalformedHash, v.name, digits, err)
		}
		if n < shaCryptMinRounds {
			return h, fmt.Errorf("%w: %s: rounds %d is below the minimum %d", ErrMalformedHash, v.name, n, shaCryptMinRounds)
		}
		h.rounds, h.implicit, rest = n, false, after
	}
	salt, sum, found := strings.Cut(rest, "$")
	if !found {
		return h, fmt.Errorf("%w: %s: missing '$' between salt and checksum", ErrMalformedHash, v.name)
	}
	if len(salt) > shaCryptMaxSalt {
		return h, fmt.Errorf("%w: %s: salt of %d characters is longer than %d", ErrMalformedHash, v.name, len(salt), shaCryptMaxSalt)
	}
	if !isCryptString(salt) {
		return h, fmt.Errorf("%w: %s: salt has characters outside [./0-9A-Za-z]", ErrMalformedHash, v.name)
	}
	if len(sum) != v.encLen {
		return h, fmt.Errorf("%w: %s: checksum is %d characters, want %d", ErrMalformedHash, v.name, len(sum), v.encLen)
	}
	if !isCryptString(sum) {
		return h, fmt.Errorf("%w: %s: checksum has characters outside [./0-9A-Za-z]", ErrMalformedHash, v.name)
	}
	h.salt, h.checksum = salt, sum
	return h, nil
}

// legacyDecimal parses a canonical non-negative decimal (no sign, no leading
// zeros) not above max.
func legacyDecimal(s string, max int) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("not a decimal number")
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > max {
		return 0, fmt.Errorf("above %d", max)
	}
	return n, nil
}

// sum computes the encoded checksum of password with salt and rounds
// (steps 1 to 22 of the specification). It checks ctx between rounds.
func (v *shaCryptVariant) sum(ctx context.Context, password []byte, salt string, rounds int) (string, error) {
	p, s := password, []byte(salt)
	h := v.newHash()

	// Digest B = H(P S P).
	h.Write(p)
	h.Write(s)
	h.Write(p)
	b := h.Sum(nil)

	// Digest A = H(P S, then B once per full block of len(P), the rest
	// of B, then B or P for each bit of len(P)).
	h.Reset()
	h.Write(p)
	h.Write(s)
	n := len(p)
	for ; n > v.size; n -= v.size {
		h.Write(b)
	}
	h.Write(b[:n])
	for n = len(p); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write(p)
		}
	}
	a := h.Sum(nil)

	// P' = H(P repeated len(P) times), stretched to len(P) bytes.
	h.Reset()
	for range len(p) {
		h.Write(p)
	}
	pp := shaCryptStretch(h.Sum(nil), len(p))

	// S' = H(S repeated 16+A[0] times), stretched to len(S) bytes.
	h.Reset()
	for range 16 + int(a[0]) {
		h.Write(s)
	}
	sp := shaCryptStretch(h.Sum(nil), len(s))

	// The rounds.
	c := a
	c, err := cryptRounds(ctx, h, c, pp, sp, rounds)
	if err != nil {
		return "", err
	}

	out := make([]byte, 0, v.encLen)
	for _, t := range v.order {
		out = cryptAppend24(out, c[t[0]], c[t[1]], c[t[2]], 4)
	}
	at := func(i int) byte {
		if i < 0 {
			return 0
		}
		return c[i]
	}
	out = cryptAppend24(out, at(v.tail[0]), at(v.tail[1]), at(v.tail[2]), v.tailLen)
	return string(out), nil
}

// cryptRounds runs the rounds MD5-crypt and SHA-crypt share: each hashes
// the previous digest c with the password p and the salt s in an order set
// by the round's number. h is reset before each round. ctx is checked every
// 10,000 rounds.
func cryptRounds(ctx context.Context, h hash.Hash, c, p, s []byte, rounds int) ([]byte, error) {
	next := make([]byte, 0, len(c))
	for i := range rounds {
		if i%10_000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		next = h.Sum(next[:0])
		c, next = next, c
	}
	return c, nil
}

// shaCryptStretch repeats d to n bytes.
func shaCryptStretch(d []byte, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		out = append(out, d[:min(len(d), n-len(out))]...)
	}
	return out
}

// shaCryptHasher hashes and verifies one SHA-crypt variant. It is
// immutable and safe for concurrent use.
type shaCryptHasher struct {
	v      *shaCryptVariant
	rounds int // rounds of new hashes
	limits Limits
	rand   io.Reader
}

var _ Hasher = (*shaCryptHasher)(nil)

func (h *shaCryptHasher) Name() string { return h.v.name }

// Recognize reports whether encoded starts with "$5$" or "$6$".
func (h *shaCryptHasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, h.v.prefix)
}

// Hash returns "$5$rounds=N$salt$checksum" (or "$6$...") with the
// configured rounds and a 16-character random salt.
func (h *shaCryptHasher) Hash(ctx context.Context, password string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkCryptPassword(h.v.name, password); err != nil {
		return "", err
	}
	if err := checkMax(h.v.name, "rounds", h.rounds, h.limits.MaxIterations); err != nil {
		return "", err
	}
	salt, err := cryptSalt(h.rand, shaCryptSaltLen)
	if err != nil {
		return "", err
	}
	sum, err := h.v.sum(ctx, []byte(password), salt, h.rounds)
	if err != nil {
		return "", err
	}
	return h.v.prefix + "rounds=" + strconv.Itoa(h.rounds) + "$" + salt + "$" + sum, nil
}

// Verify checks password against a SHA-crypt string. weaker is true when
// the stored rounds are fewer than the configured ones.
func (h *shaCryptHasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	ok, rounds, err := verifySHACrypt(ctx, h.v, h.limits, password, encoded)
	if err != nil || !ok {
		return false, false, err
	}
	return true, rounds < h.rounds, nil
}

// verifySHACrypt parses encoded, checks its rounds against lim and compares
// in constant time. It returns the stored rounds.
func verifySHACrypt(ctx context.Context, v *shaCryptVariant, lim Limits, password, encoded string) (bool, int, error) {
	p, err := v.parse(encoded)
	if err != nil {
		return false, 0, err
	}
	if err := checkMax(v.name, "rounds", p.rounds, lim.MaxIterations); err != nil {
		return false, 0, err
	}
	if err := checkCryptPassword(v.name, password); err != nil {
		return false, 0, err
	}
	if err := ctx.Err(); err != nil {
		return false, 0, err
	}
	sum, err := v.sum(ctx, []byte(password), p.salt, p.rounds)
	if err != nil {
		return false, 0, err
	}
	return subtle.ConstantTimeCompare([]byte(sum), []byte(p.checksum)) == 1, p.rounds, nil
}

// checkCryptPassword refuses passwords longer than cryptMaxPasswordBytes.
func checkCryptPassword(format, password string) error {
	if len(password) > cryptMaxPasswordBytes {
		return fmt.Errorf("%w: %s accepts at most %d bytes, got %d", ErrPasswordTooLong, format, cryptMaxPasswordBytes, len(password))
	}
	return nil
}
