package hasher

import "context"

// Hasher is one password-hashing algorithm and its stored format.
//
// Implementations must be safe for concurrent use. Verify must compare
// secrets in constant time and must check the parameters of a stored hash
// against its Limits before doing expensive work.
type Hasher interface {
	// Name is the explicit registry name, such as "aspnetcore-v3".
	Name() string

	// Recognize reports whether encoded is in this hasher's format. It is
	// cheap (a prefix or a decoded marker byte) and never hashes.
	Recognize(encoded string) bool

	// Hash returns the encoded hash of password with the hasher's configured
	// parameters and a fresh random salt. Verify-only hashers return
	// ErrVerifyOnly.
	Hash(ctx context.Context, password string) (string, error)

	// Verify reports whether password matches encoded. When it matches,
	// weaker reports whether encoded was made with weaker parameters than
	// the hasher's configured ones (fewer iterations, less memory, an older
	// variant), so the caller should rehash. A wrong password is not an
	// error: err is only for hashes that cannot be verified.
	Verify(ctx context.Context, password, encoded string) (match, weaker bool, err error)
}

// VerifyOnlyHasher is a Hasher that may be able to verify its format
// without producing it, such as ASP.NET Core Identity V2 or MD5-crypt. The
// Registry asks it, and refuses a default whose VerifyOnly reports true; a
// Hasher that does not implement it is taken to produce hashes.
//
// Implement it in a caller's hasher (see WithHasher) whose Hash always
// returns ErrVerifyOnly, so that NewRegistry refuses to make it the
// default rather than every Hash failing later.
type VerifyOnlyHasher interface {
	Hasher

	// VerifyOnly reports whether Hash always fails with an error wrapping
	// ErrVerifyOnly. The answer must not change over the hasher's life.
	VerifyOnly() bool
}

// MemoryHardHasher is a Hasher whose work needs much memory per call, such
// as argon2 or scrypt. A Registry bounds how many of these run at once
// (see Config.MaxConcurrentHashes); a Hasher that does not implement it is
// taken not to be memory-hard and is not bounded.
//
// The built-in argon2 (usher-v1, argon2i, django-argon2) and scrypt
// (scrypt, firebase-scrypt) hashers implement it. Implement it in a
// caller's hasher (see WithHasher) of a memory-hard algorithm so that its
// calls wait their turn with the built-in ones.
type MemoryHardHasher interface {
	Hasher

	// MemoryHard reports whether the Registry bounds the hasher's Hash and
	// Verify. The answer must not change over the hasher's life.
	MemoryHard() bool
}
