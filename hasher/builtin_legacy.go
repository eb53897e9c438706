package hasher

import (
	"errors"
	"fmt"
	"io"
)

// LegacyParams sets the parameters of new hashes in the legacy formats that
// Usher can produce (sha256-crypt, sha512-crypt, ldap-crypt and
// django-pbkdf2-sha256), for applications that must keep writing a format
// another system reads; it is Config.Legacy. Verifying accepts any
// parameters within Limits, and parameters above Limits make Hash fail
// with an error wrapping ErrLimitExceeded.
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
		errs = append(errs, fmt.Errorf("hasher: Config.Legacy.SHACryptRounds %d is outside [%d, %d]",
			p.SHACryptRounds, shaCryptMinRounds, shaCryptMaxRounds))
	}
	if p.DjangoPBKDF2Iterations < 1 {
		errs = append(errs, fmt.Errorf("hasher: Config.Legacy.DjangoPBKDF2Iterations %d must be positive", p.DjangoPBKDF2Iterations))
	}
	return errors.Join(errs...)
}

// legacyHashers returns the built-in hashers of formats kept for migration:
//
//	md5-crypt, sha256-crypt, sha512-crypt,
//	kratos-md5-crypt, kratos-sha256-crypt, kratos-sha512-crypt,
//	ldap-md5, ldap-smd5, ldap-sha, ldap-ssha, ldap-ssha256, ldap-ssha512, ldap-crypt,
//	django-pbkdf2-sha256, django-pbkdf2-sha1, django-argon2,
//	django-bcrypt-sha256,
//	firebase-scrypt (only when Config.Firebase is set).
func legacyHashers(p builtinParams, rand io.Reader) []Hasher {
	lp, lim := p.Legacy, p.Limits
	sha512Crypt := &shaCryptHasher{v: sha512CryptVariant, rounds: lp.SHACryptRounds, limits: lim, rand: rand}
	hs := []Hasher{
		md5CryptHasher{},
		&shaCryptHasher{v: sha256CryptVariant, rounds: lp.SHACryptRounds, limits: lim, rand: rand},
		sha512Crypt,
	}
	hs = append(hs, kratosCryptHashers(lim)...)
	hs = append(hs,
		&ldapDigestHasher{s: ldapMD5, limits: lim, rand: rand},
		&ldapDigestHasher{s: ldapSMD5, limits: lim, rand: rand},
		&ldapDigestHasher{s: ldapSHA, limits: lim, rand: rand},
		&ldapDigestHasher{s: ldapSSHA, limits: lim, rand: rand},
		&ldapDigestHasher{s: ldapSSHA256, limits: lim, rand: rand},
		&ldapDigestHasher{s: ldapSSHA512, limits: lim, rand: rand},
		&ldapCryptHasher{sha512: sha512Crypt, limits: lim},
		&djangoPBKDF2Hasher{v: djangoPBKDF2SHA256, iterations: lp.DjangoPBKDF2Iterations, limits: lim, rand: rand},
		&djangoPBKDF2Hasher{v: djangoPBKDF2SHA1, limits: lim},
		&djangoArgon2Hasher{limits: lim},
		&djangoBcryptSHA256Hasher{limits: lim},
	)
	if p.firebase != nil {
		hs = append(hs, &firebaseScryptHasher{cfg: *p.firebase, limits: lim})
	}
	return hs
}
