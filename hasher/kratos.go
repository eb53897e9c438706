package hasher

import (
	"context"
	"fmt"
	"strings"
)

// Ory Kratos imports crypt(3) hashes under prefixes of its own, with the
// algorithms and the rest of the string unchanged:
//
//	$md5-crypt$<salt>$<22 chars>                  MD5-crypt, as $1$
//	$sha256-crypt$rounds=<N>$<salt>$<43 chars>    SHA-256-crypt, as $5$
//	$sha512-crypt$rounds=<N>$<salt>$<86 chars>    SHA-512-crypt, as $6$
//
// ("rounds=<N>$" optional, as in crypt(3)). Usher verifies them, within
// Limits, and never produces them: a match is always rehashed with the
// registry's default.

// kratosCryptHasher verifies one of Kratos's crypt prefixes. It is
// verify-only, immutable and safe for concurrent use.
type kratosCryptHasher struct {
	name, prefix string
	verify       func(ctx context.Context, password, encoded string) (bool, error)
}

// kratosCryptHashers returns the hashers of the three prefixes.
func kratosCryptHashers(lim Limits) []Hasher {
	md5 := md5CryptFormat{name: "kratos-md5-crypt", prefix: "$md5-crypt$"}
	hs := []Hasher{&kratosCryptHasher{name: md5.name, prefix: md5.prefix, verify: md5.verify}}
	for _, v := range []*shaCryptVariant{
		kratosVariant(sha256CryptVariant, "kratos-sha256-crypt", "$sha256-crypt$"),
		kratosVariant(sha512CryptVariant, "kratos-sha512-crypt", "$sha512-crypt$"),
	} {
		hs = append(hs, &kratosCryptHasher{
			name: v.name, prefix: v.prefix,
			verify: func(ctx context.Context, password, encoded string) (bool, error) {
				match, _, err := verifySHACrypt(ctx, v, lim, password, encoded)
				return match, err
			},
		})
	}
	return hs
}

// kratosVariant returns v under Kratos's name and prefix. SHA-crypt does
// not hash its prefix, so only the parsing changes.
func kratosVariant(v *shaCryptVariant, name, prefix string) *shaCryptVariant {
	k := *v
	k.name, k.prefix = name, prefix
	return &k
}

func (h *kratosCryptHasher) Name() string { return h.name }

// VerifyOnly reports true: Usher does not produce Kratos's prefixes.
func (h *kratosCryptHasher) VerifyOnly() bool { return true }

// Recognize reports whether encoded starts with the hasher's prefix.
func (h *kratosCryptHasher) Recognize(encoded string) bool {
	return strings.HasPrefix(encoded, h.prefix)
}

// Hash returns ErrVerifyOnly.
func (h *kratosCryptHasher) Hash(context.Context, string) (string, error) {
	return "", fmt.Errorf("%w: %s", ErrVerifyOnly, h.name)
}

// Verify checks password against encoded. weaker is always false: the
// hasher is verify-only, so the Registry rehashes every match anyway.
func (h *kratosCryptHasher) Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error) {
	match, err = h.verify(ctx, password, encoded)
	return match, false, err
}

var _ VerifyOnlyHasher = (*kratosCryptHasher)(nil)
