// Package hasher hashes and verifies passwords in many formats side by side,
// so that an application can import users from other systems and migrate
// their hashes to a modern algorithm as they log in.
//
// A [Hasher] is one algorithm. A [Registry] holds every built-in hasher plus
// any the caller registers, hashes new passwords with its default, and
// verifies a stored hash by recognising its format:
//
//	reg, err := hasher.NewRegistry("usher-v1", hasher.Config{})
//	encoded, err := reg.Hash(ctx, "correct horse")
//	match, rehash, err := reg.Verify(ctx, "correct horse", encoded)
//	if match && rehash {
//		// store reg.Hash(ctx, password) in place of encoded
//	}
//
// Verify reports rehash when the stored hash is of another algorithm than
// the default, or of the default algorithm with weaker parameters.
//
// The parameters of new hashes and the [Limits] on stored ones are fields
// of a [Config], whose zero value is usable: each zero field takes the
// default its comment states. Options are only for dependencies: the
// source of salts ([WithRandom]) and the caller's own formats
// ([WithHasher]). A Registry is immutable and safe for concurrent use.
//
// A hasher that can only verify its format implements [VerifyOnlyHasher];
// such a hasher cannot be the default. A wrong password is never an error:
// Verify returns match == false and a nil error.
//
// Names are explicit ("aspnetcore-v2", "aspnetcore-v3", "usher-v1", ...) or
// generic ("aspnetcore" is the newest ASP.NET Core Identity format); either
// may be the default.
//
// # Built-in formats
//
// Produced and verified: "usher-v1" (argon2id PHC string, OWASP's m=19 MiB,
// t=2, p=1 by default; see Config.Argon2), "argon2i", "aspnetcore-v3"
// (ASP.NET Core Identity V3, byte-exact with .NET 7+'s HMAC-SHA512, 100,000
// iterations, 16-byte salt, 32-byte subkey; any PRF and parameters verify),
// "bcrypt" ($2a$, $2b$, $2y$), "scrypt" (passlib's $scrypt$ln=...),
// "pbkdf2-sha1", "pbkdf2-sha256", "pbkdf2-sha512" (passlib's $pbkdf2...$
// form and the PHC form with i= and l=), and the legacy formats listed at
// LegacyParams. Verified only: "aspnetcore-v2" (unless
// Config.InsecureAspNetCoreV2Hashing), MD5-crypt ($1$), LDAP's {MD5},
// {SMD5}, {SHA} and {SSHA}, Ory Kratos's import prefixes "$md5-crypt$",
// "$sha256-crypt$" and "$sha512-crypt$" (MD5-crypt and SHA-crypt as
// $1$, $5$ and $6$), Django's pbkdf2_sha1, argon2 and bcrypt_sha256, and
// Firebase's scrypt (with Config.Firebase). A match of a verify-only
// format is always rehashed.
//
// bcrypt uses only the first 72 bytes of a password. Usher does not
// truncate silently: the bcrypt hasher's Hash and Verify return an error
// wrapping [ErrPasswordTooLong] for longer passwords.
//
// # Memory under load
//
// An argon2 or scrypt hash takes its memory parameter for as long as it
// runs (19 MiB for usher-v1's default), so a flood of logins would take
// that much per login in flight. A Registry computes at most
// Config.MaxConcurrentHashes of these (the hashes of a
// [MemoryHardHasher], a caller's own included when it implements it) at
// once, by default one per CPU (runtime.GOMAXPROCS), and queues the rest
// in arrival order; a caller whose ctx ends while it waits gets
// ctx.Err(). Memory then stays near that bound times one hash's memory
// whatever the number of callers, and throughput does not drop: the CPUs
// were the limit anyway, and fresh memory need not be faulted in for
// every login. The program internal/cmd/floodbench measures both, and
// BENCHMARKS.md records its figures.
//
// # Speed
//
// Every PBKDF2-based format runs Go's crypto/pbkdf2 (one HMAC state reused
// across iterations, assembly SHA-2). On the
// reference machine PBKDF2-HMAC-SHA512 with 1,000,000 iterations runs
// within the 1.15× of OpenSSL's `openssl kdf` that Usher aims for; the
// program internal/cmd/pbkdf2bench measures it, and BENCHMARKS.md in this
// directory records the figures with the Hash and Verify benchmarks of
// every hasher.
//
// Stored hashes are outside input: a malformed one gives an error matching
// [ErrMalformedHash], an unrecognised one [ErrUnknownFormat], and one whose
// parameters demand more work than [Limits] allow [ErrLimitExceeded], before
// any expensive work is done.
package hasher
