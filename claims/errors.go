package claims

import (
	"errors"
	"fmt"
)

// Why a sign-in is refused. Every error of Client.Complete and
// Client.VerifyIDToken that refuses a sign-in matches ErrRefused and, with
// errors.Is, one of the more precise sentinels below; nothing is
// provisioned after any of them.
var (
	// ErrRefused matches every refused sign-in.
	ErrRefused = errors.New("claims: sign-in refused")

	// ErrState: the callback's state is missing, unknown, already used
	// or expired (or, through Handler, not the browser's).
	ErrState = errors.New("claims: missing, unknown, used or expired state")
	// ErrIssuer: the ID token (or the discovery document) names another
	// issuer than the configured one.
	ErrIssuer = errors.New("claims: wrong issuer")
	// ErrAudience: the ID token is not for this client.
	ErrAudience = errors.New("claims: wrong audience")
	// ErrExpired: the ID token has expired.
	ErrExpired = errors.New("claims: token expired")
	// ErrSignature: the ID token's signature does not verify with the
	// provider's published keys (or the token is malformed).
	ErrSignature = errors.New("claims: bad token signature")
	// ErrNonce: the ID token's nonce is not the one this sign-in sent
	// (a replayed token).
	ErrNonce = errors.New("claims: wrong or replayed nonce")
	// ErrToken: the provider's answer lacks what a sign-in needs (no
	// ID token, no code, a userinfo subject other than the token's).
	ErrToken = errors.New("claims: unusable provider answer")
	// ErrGroups: the user's groups cannot be resolved (Azure AD group
	// overage without a working GroupResolver). The user is never let in
	// without groups.
	ErrGroups = errors.New("claims: groups cannot be resolved")
	// ErrRegistrationClosed: the user is not known and self-registration
	// (just-in-time provisioning of new users) is off.
	ErrRegistrationClosed = errors.New("claims: self-registration is not allowed")
	// ErrInactive: the user exists but is not enabled (a JIT-provisioned
	// user waiting for an administrator's activation).
	ErrInactive = errors.New("claims: user is not active")
)

// refusal is a refused sign-in: it matches ErrRefused and its kind.
type refusal struct {
	kind error
	err  error
}

func (r *refusal) Error() string {
	if r.err == nil {
		return r.kind.Error()
	}
	return r.kind.Error() + ": " + r.err.Error()
}

func (r *refusal) Is(target error) bool { return target == ErrRefused || target == r.kind }

func (r *refusal) Unwrap() error { return r.err }

// refuse returns a refusal of kind; the detail, if any, is formatted.
func refuse(kind error, format string, args ...any) error {
	if format == "" {
		return &refusal{kind: kind}
	}
	return &refusal{kind: kind, err: fmt.Errorf(format, args...)}
}

// ProviderError is an error answer of the provider to the authorization
// request (the callback's error and error_description parameters). It
// matches ErrRefused.
type ProviderError struct {
	Code        string // e.g. "access_denied"
	Description string
}

// Error returns the code and description.
func (e *ProviderError) Error() string {
	if e.Description == "" {
		return "claims: provider answered " + e.Code
	}
	return fmt.Sprintf("claims: provider answered %s: %s", e.Code, e.Description)
}

// Is reports whether target is ErrRefused.
func (e *ProviderError) Is(target error) bool { return target == ErrRefused }
