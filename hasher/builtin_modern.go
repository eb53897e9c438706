package hasher

import (
	"errors"
	"fmt"
	"math"
)

// modernConfig holds the parameters of the formats Usher produces. Options
// fill it; NewRegistry validates it against the final Limits.
type modernConfig struct {
	argon2          Argon2Params
	aspNet          AspNetCoreParams
	aspNetV2Hashing bool
	bcryptCost      int
	pbkdf2          PBKDF2Params
	scrypt          ScryptParams
}

func defaultModernConfig() modernConfig {
	return modernConfig{
		argon2:     Argon2Params{}.withDefaults(),
		aspNet:     AspNetCoreParams{}.withDefaults(),
		bcryptCost: bcryptDefaultCost,
		pbkdf2:     PBKDF2Params{}.withDefaults(),
		scrypt:     ScryptParams{}.withDefaults(),
	}
}

// validate reports every parameter outside its algorithm's own range.
// Limits are checked when hashing (see withinLimits), as for the legacy
// formats, so that lowering a limit to refuse imported hashes does not make
// NewRegistry fail for hashers the caller does not use.
func (m modernConfig) validate() error {
	lim := intrinsicLimits()
	return errors.Join(
		m.argon2.validate(lim),
		m.aspNet.validate(lim),
		m.pbkdf2.validate(lim),
		m.scrypt.validate(lim),
		paramRange("WithBcryptCost", "cost", m.bcryptCost, bcryptMinCost, bcryptMaxCost),
	)
}

// intrinsicLimits are the bounds of the algorithms themselves, used to
// validate configured parameters independently of the registry's Limits.
func intrinsicLimits() Limits {
	return Limits{
		MaxIterations:  math.MaxInt32,
		MaxMemoryKiB:   math.MaxInt32,
		MaxTime:        math.MaxInt32,
		MaxParallelism: argon2MaxLanes,
		MaxBcryptCost:  bcryptMaxCost,
		MaxSaltBytes:   1 << 16,
		MaxKeyBytes:    1 << 16,
	}
}

// withinLimits wraps err, the result of validating a hasher's configured
// parameters against the registry's Limits, in ErrLimitExceeded: Hash
// refuses to make a hash that Verify would refuse.
func withinLimits(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %s: configured parameters are above the registry's Limits: %w", ErrLimitExceeded, name, err)
}

// modernHashers returns the built-in hashers of current formats:
//
//	usher-v1 (argon2id), argon2i,
//	aspnetcore-v3, aspnetcore-v2,
//	bcrypt, scrypt,
//	pbkdf2-sha1, pbkdf2-sha256, pbkdf2-sha512.
func modernHashers(c *config) []Hasher {
	m := c.modern
	return []Hasher{
		&argon2Hasher{v: argon2idVariant, params: m.argon2, limits: c.limits, rand: c.rand},
		&argon2Hasher{v: argon2iVariant, params: m.argon2, limits: c.limits, rand: c.rand},
		&aspNetV3Hasher{params: m.aspNet, limits: c.limits, rand: c.rand},
		&aspNetV2Hasher{hashing: m.aspNetV2Hashing, rand: c.rand},
		&bcryptHasher{cost: m.bcryptCost, limits: c.limits, rand: c.rand},
		&scryptHasher{params: m.scrypt, limits: c.limits, rand: c.rand},
		&passlibPBKDF2Hasher{v: passlibPBKDF2SHA1, iterations: m.pbkdf2.SHA1Iterations, saltLen: m.pbkdf2.SaltLen, limits: c.limits, rand: c.rand},
		&passlibPBKDF2Hasher{v: passlibPBKDF2SHA256, iterations: m.pbkdf2.SHA256Iterations, saltLen: m.pbkdf2.SaltLen, limits: c.limits, rand: c.rand},
		&passlibPBKDF2Hasher{v: passlibPBKDF2SHA512, iterations: m.pbkdf2.SHA512Iterations, saltLen: m.pbkdf2.SaltLen, limits: c.limits, rand: c.rand},
	}
}
