package hasher

import (
	"fmt"
	"io"
	"math"
)

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
func modernHashers(p builtinParams, rand io.Reader) []Hasher {
	lim, pb := p.Limits, p.PBKDF2
	return []Hasher{
		&argon2Hasher{v: argon2idVariant, params: p.Argon2, limits: lim, rand: rand},
		&argon2Hasher{v: argon2iVariant, params: p.Argon2, limits: lim, rand: rand},
		&aspNetV3Hasher{params: p.AspNetCore, limits: lim, rand: rand},
		&aspNetV2Hasher{hashing: p.InsecureAspNetCoreV2Hashing, rand: rand},
		&bcryptHasher{cost: p.BcryptCost, limits: lim, rand: rand},
		&scryptHasher{params: p.Scrypt, limits: lim, rand: rand},
		&passlibPBKDF2Hasher{v: passlibPBKDF2SHA1, iterations: pb.SHA1Iterations, saltLen: pb.SaltLen, limits: lim, rand: rand},
		&passlibPBKDF2Hasher{v: passlibPBKDF2SHA256, iterations: pb.SHA256Iterations, saltLen: pb.SaltLen, limits: lim, rand: rand},
		&passlibPBKDF2Hasher{v: passlibPBKDF2SHA512, iterations: pb.SHA512Iterations, saltLen: pb.SaltLen, limits: lim, rand: rand},
	}
}
