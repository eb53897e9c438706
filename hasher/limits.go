package hasher

import "fmt"

// Limits caps the work a stored hash may demand; it is Config.Limits. A
// hash whose parameters exceed them is refused with ErrLimitExceeded before
// any hashing, so a hostile or corrupted hash cannot hang a login or
// exhaust memory.
//
// The zero value means "use the default" for every field; NewRegistry
// refuses negative fields.
type Limits struct {
	// MaxIterations caps iteration counts of PBKDF2-based and SHA-crypt
	// formats. Default 10,000,000.
	MaxIterations int
	// MaxMemoryKiB caps memory of argon2 and scrypt hashes, in KiB.
	// Default 262,144 (256 MiB).
	MaxMemoryKiB int
	// MaxTime caps argon2's time (passes) parameter. Default 16.
	MaxTime int
	// MaxParallelism caps argon2's and scrypt's parallelism. Default 16.
	MaxParallelism int
	// MaxBcryptCost caps bcrypt's cost. Default 16.
	MaxBcryptCost int
	// MaxSaltBytes and MaxKeyBytes cap decoded salt and key lengths.
	// Defaults 1024 and 1024.
	MaxSaltBytes int
	MaxKeyBytes  int
}

// DefaultLimits returns the limits that zero fields of Limits stand for.
func DefaultLimits() Limits {
	return Limits{
		MaxIterations:  10_000_000,
		MaxMemoryKiB:   256 * 1024,
		MaxTime:        16,
		MaxParallelism: 16,
		MaxBcryptCost:  16,
		MaxSaltBytes:   1024,
		MaxKeyBytes:    1024,
	}
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxIterations <= 0 {
		l.MaxIterations = d.MaxIterations
	}
	if l.MaxMemoryKiB <= 0 {
		l.MaxMemoryKiB = d.MaxMemoryKiB
	}
	if l.MaxTime <= 0 {
		l.MaxTime = d.MaxTime
	}
	if l.MaxParallelism <= 0 {
		l.MaxParallelism = d.MaxParallelism
	}
	if l.MaxBcryptCost <= 0 {
		l.MaxBcryptCost = d.MaxBcryptCost
	}
	if l.MaxSaltBytes <= 0 {
		l.MaxSaltBytes = d.MaxSaltBytes
	}
	if l.MaxKeyBytes <= 0 {
		l.MaxKeyBytes = d.MaxKeyBytes
	}
	return l
}

// checkMax returns an error wrapping ErrLimitExceeded when value > max.
func checkMax(format, what string, value, max int) error {
	if value > max {
		return fmt.Errorf("%w: %s %s %d is above the limit %d", ErrLimitExceeded, format, what, value, max)
	}
	return nil
}
