package hasher

import (
	"errors"
	"fmt"
)

// LegacyParams sets the parameters of new hashes in the legacy formats that
// Usher can produce (sha256-crypt, sha512-crypt, ldap-crypt and
// django-pbkdf2-sha256), for applications that must keep writing a format
// another system reads. Verifying accepts any parameters within Limits.
//
// The zero value means "use the default" for every field.
type LegacyParams struct {
	// SHACryptRounds is the rounds of new sha256-crypt, sha512-crypt and
	// ldap-crypt ({CRYPT}$6$) hashes, between 1,000 and 999,999,999.
	// Default 656,000 (passlib's default for sha512_crypt). A stored hash
	// with fewer rounds verifies with weaker set.
	SHACryptRounds int

	// DjangoPBKDF2Iterations is the iteration count of new
	// django-pbkdf2-sha256 hashes. Default 1,000,000 (Django 5.2's). A
	// stored hash with fewer iterations verifies with weaker set.
	DjangoPBKDF2Iterations int
}

// Defaults of LegacyParams.
const (
	defaultSHACryptRounds         = 656_000
	defaultDjangoPBKDF2Iterations = 1_000_000
)

// withDefaults fills zero fields.
func (p LegacyParams) withDefaults() LegacyParams {
	if p.SHACryptRounds == 0 {
		p.SHACryptRounds = defaultSHACryptRounds
	}
	if p.DjangoPBKDF2Iterations == 0 {
		p.DjangoPBKDF2Iterations = defaultDjangoPBKDF2Iterations
	}
	return p
}

// validate reports every out-of-range field.
func (p LegacyParams) validate() error {
	var errs []error
	if p.SHACryptRounds < shaCryptMinRounds || p.SHACryptRounds > shaCryptMaxRounds {
		errs = append(errs, fmt.Errorf("hasher: LegacyParams.SHACryptRounds %d is outside [%d, %d]",
			p.SHACryptRounds, shaCryptMinRounds, shaCryptMaxRounds))
	}
	if p.DjangoPBKDF2Iterations < 1 {
		errs = append(errs, fmt.Errorf("hasher: LegacyParams.DjangoPBKDF2Iterations %d must be positive", p.DjangoPBKDF2Iterations))
	}
	return errors.Join(errs...)
}

// WithLegacyParams sets the parameters of new hashes in the legacy formats
// Usher produces. Zero fields keep their defaults (see LegacyParams). The
// parameters must also be within the registry's Limits, or Hash returns an
// error wrapping ErrLimitExceeded.
func WithLegacyParams(p LegacyParams) Option {
	return func(c *config) error {
		p = p.withDefaults()
		if err := p.validate(); err != nil {
			return err
		}
		c.legacy.params = p
		return nil
	}
}

// legacyConfig holds the parameters of formats kept for migration.
type legacyConfig struct {
	params   LegacyParams
	firebase *firebaseScryptConfig // nil unless WithFirebaseScrypt was given
}

func defaultLegacyConfig() legacyConfig {
	return legacyConfig{params: LegacyParams{}.withDefaults()}
}

// legacyHashers returns the built-in hashers of formats kept for migration:
//
//	md5-crypt, sha256-crypt, sha512-crypt,
//	ldap-sha, ldap-ssha, ldap-ssha256, ldap-ssha512, ldap-crypt,
//	django-pbkdf2-sha256, django-pbkdf2-sha1, django-argon2,
//	django-bcrypt-sha256,
//	firebase-scrypt (only when configured with WithFirebaseScrypt).
func legacyHashers(c *config) []Hasher {
	p := c.legacy.params
	sha512Crypt := &shaCryptHasher{v: sha512CryptVariant, rounds: p.SHACryptRounds, limits: c.limits, rand: c.rand}
	hs := []Hasher{
		md5CryptHasher{},
		&shaCryptHasher{v: sha256CryptVariant, rounds: p.SHACryptRounds, limits: c.limits, rand: c.rand},
		sha512Crypt,
		&ldapDigestHasher{s: ldapSHA, limits: c.limits, rand: c.rand},
		&ldapDigestHasher{s: ldapSSHA, limits: c.limits, rand: c.rand},
		&ldapDigestHasher{s: ldapSSHA256, limits: c.limits, rand: c.rand},
		&ldapDigestHasher{s: ldapSSHA512, limits: c.limits, rand: c.rand},
		&ldapCryptHasher{sha512: sha512Crypt, limits: c.limits},
		&djangoPBKDF2Hasher{v: djangoPBKDF2SHA256, iterations: p.DjangoPBKDF2Iterations, limits: c.limits, rand: c.rand},
		&djangoPBKDF2Hasher{v: djangoPBKDF2SHA1, limits: c.limits},
		&djangoArgon2Hasher{limits: c.limits},
		&djangoBcryptSHA256Hasher{limits: c.limits},
	}
	if c.legacy.firebase != nil {
		hs = append(hs, &firebaseScryptHasher{cfg: *c.legacy.firebase, limits: c.limits})
	}
	return hs
}
