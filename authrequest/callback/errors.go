package callback

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the package. They are wrapped; compare with errors.Is.
var (
	// ErrInvalid: a callback, template, secret or value that fails
	// validation or expansion.
	ErrInvalid = errors.New("callback: invalid")
	// ErrPermanent: a call that failed in a way that trying again cannot
	// fix: a 4xx answer other than 401 (with client credentials), 408 and
	// 429, a 3xx answer (redirects are not followed), a callback or an
	// expansion that is invalid, a token endpoint that refuses the client.
	ErrPermanent = errors.New("callback: permanent failure")
)

// Error is the error of a failed call, returned by Client.Do. It wraps
// the cause and, when the failure is permanent, ErrPermanent.
type Error struct {
	// StatusCode is the receiver's answer; 0 when there was none (a
	// network error, a timeout, an invalid callback).
	StatusCode int
	// RetryAfter is the receiver's Retry-After in seconds (with 429 and
	// 503), 0 when it gave none.
	RetryAfter time.Duration
	// Err is the cause.
	Err error

	permanent bool
}

// Error implements error.
func (e *Error) Error() string {
	kind := "temporary"
	if e.permanent {
		kind = "permanent"
	}
	if e.StatusCode != 0 {
		return fmt.Sprintf("callback: %s failure: status %d: %v", kind, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("callback: %s failure: %v", kind, e.Err)
}

// Unwrap returns the cause and, for a permanent failure, ErrPermanent.
func (e *Error) Unwrap() []error {
	if e.permanent {
		return []error{e.Err, ErrPermanent}
	}
	return []error{e.Err}
}

// Retryable reports whether trying again may succeed: a 5xx, 408 or 429
// answer, a 401 with client credentials (the cached token was dropped), a
// timeout or a network error.
func (e *Error) Retryable() bool { return !e.permanent }

// IsPermanent reports whether err, returned by Client.Do, is a failure
// that trying again cannot fix; any other non-nil error is worth
// retrying.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }
