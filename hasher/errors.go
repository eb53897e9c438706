package hasher

import "errors"

// Errors returned by hashers and the Registry. Match them with errors.Is;
// the returned errors wrap them with a message that says what is wrong.
var (
	// ErrMalformedHash means a stored hash is in a recognised format but
	// cannot be decoded (bad base64, missing fields, wrong lengths, ...).
	ErrMalformedHash = errors.New("hasher: malformed hash")

	// ErrUnknownFormat means no registered hasher recognises a stored hash.
	ErrUnknownFormat = errors.New("hasher: unknown hash format")

	// ErrLimitExceeded means a stored hash asks for more work (iterations,
	// memory, parallelism) than the configured Limits allow. It is refused
	// before any hashing is done.
	ErrLimitExceeded = errors.New("hasher: hash parameters exceed limits")

	// ErrVerifyOnly means a hasher can verify its format but does not
	// produce new hashes in it (for example ASP.NET Core Identity V2).
	ErrVerifyOnly = errors.New("hasher: algorithm is verify-only")

	// ErrPasswordTooLong means the password cannot be hashed by the
	// algorithm without losing part of it (bcrypt's 72-byte limit).
	ErrPasswordTooLong = errors.New("hasher: password too long for algorithm")

	// ErrUnknownName means a name given to the Registry is not registered.
	ErrUnknownName = errors.New("hasher: unknown hasher name")
)
