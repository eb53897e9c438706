package activation

import (
	"errors"

	"github.com/usher-sdk/usher/userstore"
)

// Errors of the Manager. Match them with errors.Is. Activate, the end
// user's step, never reveals whether a user exists: every refusal that
// concerns the account is ErrActivationFailed. The back-end's calls
// (Create, Delete) say what is wrong: ErrUserNotFound, ErrNoActivationData.
var (
	// ErrDisabled means activation is not enabled for the user pool.
	ErrDisabled = errors.New("activation: not enabled")
	// ErrActivationFailed is Activate's only refusal of an account: an
	// unknown user, no activation data (none was created, it was used,
	// taken by a racing activation or deleted), an expired code, a wrong
	// code, wrong extra data and a locked account all return it, so that
	// a caller cannot learn whether a user exists or has a code. The true
	// reason goes to the audit trail (AuditFailed) and the log. A wrong
	// code still counts as a strike and may lock the account.
	ErrActivationFailed = errors.New("activation: activation failed")
	// ErrUserNotFound means no user has the given username. Create and
	// Delete return it; Activate returns ErrActivationFailed instead.
	ErrUserNotFound = errors.New("activation: user not found")
	// ErrNoActivationData means the user has no activation code (none was
	// created, it was used, or it was deleted). Delete returns it; Activate
	// returns ErrActivationFailed instead.
	ErrNoActivationData = errors.New("activation: no activation data")
	// ErrCaptchaFailed means the CAPTCHA response was missing or refused.
	ErrCaptchaFailed = errors.New("activation: CAPTCHA failed")
	// ErrInvalidToken means a password-set token is unknown or used.
	ErrInvalidToken = errors.New("activation: invalid password-set token")
	// ErrTokenExpired means the password-set window has passed; the user
	// must activate again with the same code.
	ErrTokenExpired = errors.New("activation: password-set token expired")
	// ErrInvalidInput means a request is malformed: an empty username, an
	// extra-data name that is empty or too long, and the like.
	ErrInvalidInput = errors.New("activation: invalid input")
)

// AuditFailed is the kind of the audit event a refused Activate writes to
// the store's audit trail, with the true reason: userstore.ReasonUnknownUser,
// userstore.ReasonLocked or one of the Reason constants below. Login is the
// username as typed, UserID empty for an unknown user; the code is never
// recorded. A wrong code's event has the Detail "failedLogins" and, for the
// strike that locks the account, "locked": "true".
const AuditFailed userstore.AuditKind = "activation.failed"

// Reasons of a refused Activate, as recorded in AuditEvent.Reason (besides
// userstore.ReasonUnknownUser and userstore.ReasonLocked). Callers only
// ever see ErrActivationFailed; these are for the audit trail.
const (
	ReasonNoActivationData = "no activation data"
	ReasonCodeTaken        = "code used by a concurrent activation"
	ReasonExpired          = "code expired"
	ReasonWrongCode        = "wrong code"
	ReasonWrongExtraData   = "wrong extra data"
)
