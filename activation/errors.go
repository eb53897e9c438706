package activation

import "errors"

// Errors of the Manager. Match them with errors.Is. The back-end (batch)
// paths return them as they are; the end-user path folds every error but
// ErrCaptchaFailed into one answer so that it never reveals whether a user
// exists.
var (
	// ErrDisabled means activation is not enabled for the user pool.
	ErrDisabled = errors.New("activation: not enabled")
	// ErrUserNotFound means no user has the given username.
	ErrUserNotFound = errors.New("activation: user not found")
	// ErrNoActivationData means the user has no activation code (none was
	// created, it was used, or it was deleted).
	ErrNoActivationData = errors.New("activation: no activation data")
	// ErrExpired means the activation code has expired.
	ErrExpired = errors.New("activation: code expired")
	// ErrWrongCode means the code does not match. It counts as a strike.
	ErrWrongCode = errors.New("activation: wrong code")
	// ErrWrongExtraData means the extra data does not match.
	ErrWrongExtraData = errors.New("activation: wrong extra data")
	// ErrCaptchaFailed means the CAPTCHA response was missing or refused.
	ErrCaptchaFailed = errors.New("activation: CAPTCHA failed")
	// ErrLocked means the account is locked out, by earlier strikes or
	// wrong passwords. An attempt that strikes out returns an error that
	// matches both ErrWrongCode and ErrLocked.
	ErrLocked = errors.New("activation: account locked")
	// ErrInvalidToken means a password-set token is unknown or used.
	ErrInvalidToken = errors.New("activation: invalid password-set token")
	// ErrTokenExpired means the password-set window has passed; the user
	// must activate again with the same code.
	ErrTokenExpired = errors.New("activation: password-set token expired")
	// ErrInvalidInput means a request is malformed: an empty username, an
	// extra-data name that is empty or too long, and the like.
	ErrInvalidInput = errors.New("activation: invalid input")
)
