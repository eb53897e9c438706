package hasher

import (
	"errors"
	"fmt"
	"runtime"
)

// Config sets the parameters of the built-in hashers and the Limits that
// stored hashes must keep within. Its zero value is usable: every zero
// field, and every zero field of the structs it holds, takes the default
// its comment states. NewRegistry applies the defaults and reports every
// field out of range at once, each named by its path ("Config.Argon2.Time").
//
// The parameters are those of new hashes; a stored hash verifies whatever
// its parameters, within Limits, and verifies with rehash set when they are
// weaker than these (see Registry.Verify).
type Config struct {
	// Argon2 sets new usher-v1 (argon2id) and argon2i hashes. Defaults
	// are OWASP's: 19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte hash.
	Argon2 Argon2Params

	// AspNetCore sets new aspnetcore-v3 hashes. Defaults are ASP.NET Core
	// 7's: HMAC-SHA512, 100,000 iterations, 16-byte salt, 32-byte subkey.
	AspNetCore AspNetCoreParams

	// InsecureAspNetCoreV2Hashing lets aspnetcore-v2 produce hashes, like
	// ASP.NET Core's PasswordHasherCompatibilityMode.IdentityV2, so that it
	// can be the default while an old application that reads only V2
	// shares the user store. Default false: aspnetcore-v2 is verify-only,
	// and every V2 hash that matches verifies with rehash set.
	//
	// Warning: V2 is PBKDF2-HMAC-SHA1 with 1000 iterations, far below
	// today's recommendations. Use it only for that transition. With it, V2
	// hashes are not weaker; V3 hashes still verify, and the Registry asks
	// to rehash them when aspnetcore-v2 is the default.
	InsecureAspNetCoreV2Hashing bool

	// BcryptCost is the cost (log2 of the rounds of the key schedule) of
	// new bcrypt hashes, 4 to 31. Default 12. A stored hash with a lower
	// cost verifies with weaker set.
	BcryptCost int

	// PBKDF2 sets new pbkdf2-sha1, pbkdf2-sha256 and pbkdf2-sha512 hashes.
	// Defaults are OWASP's minimums: 1,300,000, 600,000 and 210,000
	// iterations, 16-byte salt.
	PBKDF2 PBKDF2Params

	// Scrypt sets new scrypt hashes. Defaults are passlib's: ln=16, r=8,
	// p=1 (64 MiB), 16-byte salt, 32-byte hash.
	Scrypt ScryptParams

	// Legacy sets new hashes in the legacy formats Usher can produce
	// (sha256-crypt, sha512-crypt, ldap-crypt, django-pbkdf2-sha256).
	// Defaults: 656,000 SHA-crypt rounds, 1,000,000 Django iterations.
	Legacy LegacyParams

	// Firebase, when set, registers the verify-only "firebase-scrypt"
	// hasher for the hashes exported from that Firebase project (one
	// project per registry). Default nil: firebase-scrypt is not
	// registered. The memory scrypt needs (128 × Rounds × 2^MemCost bytes,
	// 16 MiB for Firebase's usual Rounds 8 and MemCost 14) must be within
	// Limits.MaxMemoryKiB, or Verify returns ErrLimitExceeded.
	Firebase *FirebaseScryptParams

	// Limits caps the work a stored hash may demand. Zero fields take the
	// defaults of DefaultLimits. Parameters of new hashes above Limits do
	// not make NewRegistry fail, but Hash refuses them with an error
	// wrapping ErrLimitExceeded, so that it never makes a hash that Verify
	// would refuse.
	Limits Limits

	// MaxConcurrentHashes bounds how many memory-hard hashes (those of
	// hashers implementing MemoryHardHasher: usher-v1 and argon2i,
	// scrypt, django-argon2, firebase-scrypt, and a caller's hasher that
	// says so) the Registry's Hash, Verify and Dummy compute at once, so
	// that memory stays near MaxConcurrentHashes times the memory of one
	// hash (19 MiB for usher-v1's default) however many logins arrive
	// together. Further calls wait their turn in the order they came; one
	// whose ctx is done while it waits leaves the queue and returns
	// ctx.Err(). Default 0: runtime.GOMAXPROCS(0), read by NewRegistry,
	// as many hashes as can run at once anyway, so the bound costs no
	// throughput. A negative value removes the bound.
	//
	// Other formats (bcrypt, PBKDF2, SHA-crypt, the LDAP digests) need a
	// few KiB per call and are not bounded. Neither is a Hasher that
	// Lookup, Default or Identify returned when the caller calls it
	// directly: the bound is the Registry's.
	MaxConcurrentHashes int
}

// builtinParams is a Config with its defaults applied and its Firebase
// parameters decoded: what the built-in hashers are made from.
type builtinParams struct {
	Config
	firebase *firebaseScryptConfig // nil unless Config.Firebase is set
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	c.Argon2 = c.Argon2.withDefaults()
	c.AspNetCore = c.AspNetCore.withDefaults()
	if c.BcryptCost == 0 {
		c.BcryptCost = bcryptDefaultCost
	}
	c.PBKDF2 = c.PBKDF2.withDefaults()
	c.Scrypt = c.Scrypt.withDefaults()
	c.Legacy = c.Legacy.withDefaults()
	c.Limits = c.Limits.withDefaults()
	if c.MaxConcurrentHashes == 0 {
		c.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	return c
}

// params applies the defaults and validates c, reporting every field out
// of range.
//
// Parameters are checked against the algorithms' own bounds, not against
// c.Limits: Hash checks those (see withinLimits), so that lowering a limit
// to refuse imported hashes does not make NewRegistry fail for hashers the
// caller does not use.
func (c Config) params() (builtinParams, error) {
	errs := []error{c.Limits.validate()}
	c = c.withDefaults()
	lim := intrinsicLimits()
	errs = append(errs,
		c.Argon2.validate(lim),
		c.AspNetCore.validate(lim),
		paramRange("Config", "BcryptCost", c.BcryptCost, bcryptMinCost, bcryptMaxCost),
		c.PBKDF2.validate(lim),
		c.Scrypt.validate(lim),
		c.Legacy.validate(),
	)
	p := builtinParams{Config: c}
	if c.Firebase != nil {
		fb, err := c.Firebase.decode()
		errs = append(errs, err)
		p.firebase = &fb
	}
	if err := errors.Join(errs...); err != nil {
		return builtinParams{}, err
	}
	return p, nil
}

// validate reports every negative field; zero fields take their defaults.
func (l Limits) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		n    int
	}{
		{"MaxIterations", l.MaxIterations},
		{"MaxMemoryKiB", l.MaxMemoryKiB},
		{"MaxTime", l.MaxTime},
		{"MaxParallelism", l.MaxParallelism},
		{"MaxBcryptCost", l.MaxBcryptCost},
		{"MaxSaltBytes", l.MaxSaltBytes},
		{"MaxKeyBytes", l.MaxKeyBytes},
	} {
		if f.n < 0 {
			errs = append(errs, fmt.Errorf("hasher: Config.Limits.%s %d is negative", f.name, f.n))
		}
	}
	return errors.Join(errs...)
}
