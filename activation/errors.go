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

// AuditBatchAdminFailed is the kind of the audit event a refused
// batch-admin login writes, through either batch handler: Login is the
// batch admin's username as typed, Remote the client's address, UserID
// empty, Reason one of ReasonBatchAdminRefused, ReasonNotBatchAdmin and
// ReasonThrottled. A wrong attempt's event has the Detail "failures" (in
// a row from the address) and, for the one that blocks the address,
// "blockedUntil"; a throttled attempt's has "blockedUntil" when the
// address is blocked. The password is never recorded.
const AuditBatchAdminFailed userstore.AuditKind = "activation.batch_admin_failed"

// Reasons of a refused batch-admin login, as recorded in
// AuditEvent.Reason. The client only ever sees one refusal (1100 from
// PortalGuardHandler, 401 from BatchHandler).
const (
	// ReasonBatchAdminRefused: the Authenticator refused the username and
	// password (a wrong password, an unknown, disabled or locked user).
	ReasonBatchAdminRefused = "batch admin credentials refused"
	// ReasonNotBatchAdmin: the password is right, but the user is not in
	// Settings.BatchAdmins.
	ReasonNotBatchAdmin = "not a batch admin"
	// ReasonThrottled: the client address is blocked after
	// Settings.BatchAdminMaxFailures wrong attempts (or as many are under
	// way); the password was not checked.
	ReasonThrottled = "client address throttled"
)
