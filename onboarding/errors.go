package onboarding

import "errors"

// Errors of the Manager. They are wrapped; compare with errors.Is.
var (
	// ErrUnknownApplication: no application of that name.
	ErrUnknownApplication = errors.New("onboarding: unknown application")
	// ErrOutOfOrder: the answer is for a step other than the current one
	// (skipped, repeated or reordered), or the onboarding is not at the
	// stage the call needs (a CSR before the last requirement is met).
	ErrOutOfOrder = errors.New("onboarding: step out of order")
	// ErrReplay: the nonce is not the onboarding's current one — a replayed
	// answer or CSR, or one of another onboarding.
	ErrReplay = errors.New("onboarding: replayed or unknown nonce")
	// ErrPending: the current step waits for an administrator.
	ErrPending = errors.New("onboarding: waiting for approval")
	// ErrFinished: the onboarding is completed or rejected.
	ErrFinished = errors.New("onboarding: onboarding finished")
	// ErrRejected: an administrator or requirement rejected the onboarding.
	ErrRejected = errors.New("onboarding: onboarding rejected")
	// ErrKeyMismatch: the CSR is for another key than the one the onboarding
	// started with.
	ErrKeyMismatch = errors.New("onboarding: CSR key differs from the onboarding's key")
	// ErrUnsupportedKey: the device key is neither ECDSA P-256 nor Ed25519.
	ErrUnsupportedKey = errors.New("onboarding: unsupported device key")
	// ErrUnknownRequirement: an application names a requirement kind that
	// the Manager has not been given.
	ErrUnknownRequirement = errors.New("onboarding: unknown requirement kind")
)
