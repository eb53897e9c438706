// Package hasher hashes and verifies passwords in many formats side by side,
// so that an application can import users from other systems and migrate
// their hashes to a modern algorithm as they log in.
//
// A [Hasher] is one algorithm. A [Registry] holds every built-in hasher plus
// any the caller registers, hashes new passwords with its default, and
// verifies a stored hash by recognising its format:
//
//	reg, err := hasher.NewRegistry("usher-v1")
//	encoded, err := reg.Hash("correct horse")
//	match, rehash, err := reg.Verify("correct horse", encoded)
//	if match && rehash {
//		// store reg.Hash(password) in place of encoded
//	}
//
// Verify reports rehash when the stored hash is of another algorithm than
// the default, or of the default algorithm with weaker parameters.
//
// Names are explicit ("aspnetcore-v2", "aspnetcore-v3", "usher-v1", ...) or
// generic ("aspnetcore" is the newest ASP.NET Core Identity format); either
// may be the default.
//
// Stored hashes are outside input: a malformed one gives an error matching
// [ErrMalformedHash], an unrecognised one [ErrUnknownFormat], and one whose
// parameters demand more work than [Limits] allow [ErrLimitExceeded], before
// any expensive work is done.
package hasher
