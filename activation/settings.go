package activation

import (
	"errors"
	"fmt"
	"time"
)

// Settings configure activation for one user pool. The zero value, with
// Enabled set, is usable: every zero field takes the default in its comment.
type Settings struct {
	// Enabled turns activation on. When false every operation returns
	// ErrDisabled.
	Enabled bool `json:"enabled"`
	// CodeLength is the number of characters of a code, without hyphens.
	// Default 12 (about 57.7 bits from the 28-character alphabet); at least 6.
	CodeLength int `json:"codeLength,omitempty"`
	// ExpiryDays is how long an unused code stays valid. Default 30.
	ExpiryDays int `json:"expiryDays,omitempty"`
	// HyphenEvery inserts a hyphen every so many characters when the code
	// is shown (4 gives "ABCD-EFGH-JKLM"). 0: no hyphens.
	HyphenEvery int `json:"hyphenEvery,omitempty"`
	// RequireCaptcha makes Activate ask the CaptchaVerifier first; New
	// refuses it without WithCaptcha.
	RequireCaptcha bool `json:"requireCaptcha,omitempty"`
	// VerifyExtraDataFirst checks the extra data before the code. A wrong
	// extra value is never a strike; only a wrong code is.
	VerifyExtraDataFirst bool `json:"verifyExtraDataFirst,omitempty"`
	// DeleteOnStrikeOut deletes the activation data when the strike that
	// locks the account is made; the back-end must then create a new code.
	DeleteOnStrikeOut bool `json:"deleteOnStrikeOut,omitempty"`
	// PasswordSetMinutes is how long the password-set token issued by
	// Activate is valid. Default 15.
	PasswordSetMinutes int `json:"passwordSetMinutes,omitempty"`
	// MaxStrikes is the user store's lock-out threshold: this many wrong
	// codes (or wrong passwords) in a row lock the account. Default 5.
	// Use the same value as the pool's login lock-out.
	MaxStrikes int `json:"maxStrikes,omitempty"`
	// LockoutDuration is how long a strike-out locks the account.
	// Default 15 minutes.
	LockoutDuration time.Duration `json:"lockoutDuration,omitempty"`
	// KeepDisabled leaves the user's Enabled flag as it is when activation
	// completes. By default completing activation enables the account.
	KeepDisabled bool `json:"keepDisabled,omitempty"`
	// BatchAdmins are the usernames allowed to create and delete codes
	// through the batch handlers. Their passwords are checked through the
	// Authenticator, which must not count wrong ones towards the
	// account's lock-out: batch admins are service accounts, and a lock
	// would stop the import pipeline. Wrong attempts are throttled per
	// client address instead (BatchAdminMaxFailures).
	BatchAdmins []string `json:"batchAdmins,omitempty"`
	// BatchAdminMaxFailures is how many wrong batch-admin logins from one
	// client address, each within BatchAdminBlockDuration of the one
	// before, block that address. Default 5. A right one starts the
	// count again. The account itself is never locked. The count lives
	// in the Manager's memory, for at most 10,000 addresses (about 2 MB;
	// when more come, the least recently seen are forgotten); an IPv6
	// address counts by its /64.
	BatchAdminMaxFailures int `json:"batchAdminMaxFailures,omitempty"`
	// BatchAdminBlockDuration is how long a blocked address's batch
	// requests are refused, without their password being checked (more
	// attempts during the block do not extend it), and how long a wrong
	// attempt is remembered. Default 15 minutes.
	BatchAdminBlockDuration time.Duration `json:"batchAdminBlockDuration,omitempty"`
}

// withDefaults fills zero fields and checks the rest, reporting every
// problem at once.
func (s Settings) withDefaults() (Settings, error) {
	if s.CodeLength == 0 {
		s.CodeLength = 12
	}
	if s.ExpiryDays == 0 {
		s.ExpiryDays = 30
	}
	if s.PasswordSetMinutes == 0 {
		s.PasswordSetMinutes = 15
	}
	if s.MaxStrikes == 0 {
		s.MaxStrikes = 5
	}
	if s.LockoutDuration == 0 {
		s.LockoutDuration = 15 * time.Minute
	}
	if s.BatchAdminMaxFailures == 0 {
		s.BatchAdminMaxFailures = 5
	}
	if s.BatchAdminBlockDuration == 0 {
		s.BatchAdminBlockDuration = 15 * time.Minute
	}
	var errs []error
	bad := func(field, reason string, v any) {
		errs = append(errs, fmt.Errorf("activation: setting %s = %v: %s", field, v, reason))
	}
	if s.CodeLength < 6 || s.CodeLength > 64 {
		bad("CodeLength", "must be between 6 and 64", s.CodeLength)
	}
	if s.ExpiryDays < 0 {
		bad("ExpiryDays", "must not be negative", s.ExpiryDays)
	}
	if s.HyphenEvery < 0 {
		bad("HyphenEvery", "must not be negative", s.HyphenEvery)
	}
	if s.PasswordSetMinutes < 0 {
		bad("PasswordSetMinutes", "must not be negative", s.PasswordSetMinutes)
	}
	if s.MaxStrikes < 0 {
		bad("MaxStrikes", "must not be negative", s.MaxStrikes)
	}
	if s.LockoutDuration < 0 {
		bad("LockoutDuration", "must not be negative", s.LockoutDuration)
	}
	if s.BatchAdminMaxFailures < 0 {
		bad("BatchAdminMaxFailures", "must not be negative", s.BatchAdminMaxFailures)
	}
	if s.BatchAdminBlockDuration < 0 {
		bad("BatchAdminBlockDuration", "must not be negative", s.BatchAdminBlockDuration)
	}
	return s, errors.Join(errs...)
}
