package userstore

import (
	"errors"
	"fmt"
)

// Errors of stores and the Service. Match them with errors.Is; returned
// errors wrap them with what went wrong.
var (
	// ErrNotFound means no user, group or token matches.
	ErrNotFound = errors.New("userstore: not found")

	// ErrConflict means a unique value (username, group name, external ID)
	// is taken.
	ErrConflict = errors.New("userstore: conflict")

	// ErrVersionConflict means an update was based on a stale read: it
	// carried a stale Version, or (SetPassword) a password hash that is no
	// longer the stored one. Someone else changed the record since it was
	// read; read it again and retry if the write is still wanted.
	ErrVersionConflict = errors.New("userstore: version conflict")

	// ErrInvalid means input failed validation; the error is a
	// *ValidationError naming the field.
	ErrInvalid = errors.New("userstore: invalid input")

	// ErrClosed means the store was closed.
	ErrClosed = errors.New("userstore: store closed")

	// ErrReadOnly means a write was asked of a Service in read-only mode.
	ErrReadOnly = errors.New("userstore: read-only")

	// ErrInvalidCredentials is the only login failure callers see: unknown
	// user, ambiguous e-mail, wrong password, disabled and locked user all
	// return it, so a caller cannot learn whether an account exists. The
	// true reason goes to the audit trail.
	ErrInvalidCredentials = errors.New("userstore: invalid credentials")

	// ErrPasswordChangeRequired means the password was right but the user
	// must change it before logging in (after an admin set it).
	ErrPasswordChangeRequired = errors.New("userstore: password change required")

	// ErrPolicy means a new password breaks the password policy; the error
	// is a *PolicyError saying which rule.
	ErrPolicy = errors.New("userstore: password policy")

	// ErrInvalidToken means a reset or other single-use token is unknown,
	// used or expired. It never says which.
	ErrInvalidToken = errors.New("userstore: invalid or expired token")
)

// ValidationError says which field of the input is wrong and why. It
// matches ErrInvalid with errors.Is.
type ValidationError struct {
	Field  string // e.g. "Username"
	Reason string // e.g. "must not be empty"
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("userstore: invalid %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }
