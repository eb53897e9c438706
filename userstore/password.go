package userstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"unicode/utf8"

	"github.com/usher-sdk/usher/hasher"
)

// PasswordPolicy says which new passwords are accepted. Lengths count
// characters (Unicode code points), not bytes.
type PasswordPolicy struct {
	// MinLength is the fewest characters. Default 8 (DefaultMinPasswordLen).
	MinLength int `json:"minLength,omitempty"`
	// MaxLength is the most characters. Default 1024
	// (DefaultMaxPasswordLen). A hasher may refuse less: bcrypt takes at
	// most 72 bytes, and a longer password is refused as too long.
	MaxLength int `json:"maxLength,omitempty"`
	// AllowUsername accepts a password equal to the username (without
	// regard to case). Default false: such a password is refused.
	AllowUsername bool `json:"allowUsername,omitempty"`
}

func (p PasswordPolicy) withDefaults() PasswordPolicy {
	if p.MinLength == 0 {
		p.MinLength = DefaultMinPasswordLen
	}
	if p.MaxLength == 0 {
		p.MaxLength = DefaultMaxPasswordLen
	}
	return p
}

// Rules of the password policy, as PolicyError.Rule.
const (
	RuleMinLength = "minLength" // too short
	RuleMaxLength = "maxLength" // too long (for the policy or the hasher)
	RuleUsername  = "username"  // equal to the username
	RuleUnchanged = "unchanged" // equal to the current password
	RuleEncoding  = "encoding"  // not valid UTF-8
)

// PolicyError says which rule of the password policy a new password
// breaks. It matches ErrPolicy with errors.Is.
type PolicyError struct {
	Rule   string // one of the Rule constants
	Reason string // for people, e.g. "must have at least 8 characters"
}

func (e *PolicyError) Error() string { return "userstore: password policy: " + e.Reason }

// Is makes errors.Is(err, ErrPolicy) true.
func (e *PolicyError) Is(target error) bool { return target == ErrPolicy }

// check returns a *PolicyError for a password the policy refuses. The
// username is not checked when username is empty.
func (p PasswordPolicy) check(username, password string) error {
	if !utf8.ValidString(password) {
		return &PolicyError{Rule: RuleEncoding, Reason: "must be valid UTF-8"}
	}
	n := utf8.RuneCountInString(password)
	if n < p.MinLength {
		return &PolicyError{Rule: RuleMinLength, Reason: fmt.Sprintf("must have at least %d characters", p.MinLength)}
	}
	if n > p.MaxLength {
		return &PolicyError{Rule: RuleMaxLength, Reason: fmt.Sprintf("must have at most %d characters", p.MaxLength)}
	}
	if !p.AllowUsername && username != "" && NormalizeUsername(password) == NormalizeUsername(username) {
		return &PolicyError{Rule: RuleUsername, Reason: "must not be the username"}
	}
	return nil
}

// CheckPassword reports whether password is acceptable as a new password
// for username under the configured policy, with a *PolicyError if not.
// It lets a form check a password before submitting it.
func (s *Service) CheckPassword(username, password string) error {
	return s.cfg.PasswordPolicy.check(username, password)
}

// hash hashes a new password with the registry's default, mapping a
// password the hasher cannot take to a *PolicyError.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	h, err := s.hashers.HashContext(ctx, password)
	if errors.Is(err, hasher.ErrPasswordTooLong) {
		return "", &PolicyError{Rule: RuleMaxLength, Reason: "is too long for the password hash algorithm"}
	}
	if err != nil {
		return "", fmt.Errorf("userstore: hash password: %w", err)
	}
	return h, nil
}

// ChangePasswordRequest is a user's request to change their own password.
type ChangePasswordRequest struct {
	// Login is the username, or with Config.LoginByEmail the e-mail, as
	// for Login.
	Login string
	// Current is the password now in use; New the one to set.
	Current, New string
	// Remote is the client's address, for the audit trail.
	Remote string
}

// ChangePassword sets a new password for a user who proves the current
// one. It is how a user whose login returned ErrPasswordChangeRequired
// continues.
//
// The current password is checked like a login (a wrong one counts
// towards the lock-out; an unknown, disabled or locked user is refused)
// and every refusal is ErrInvalidCredentials. A new password the policy
// refuses, or equal to the current one, is a *PolicyError (ErrPolicy);
// length is checked before the current password, so a too-short new
// password costs no strike. In read-only mode it returns ErrReadOnly.
func (s *Service) ChangePassword(ctx context.Context, r ChangePasswordRequest) error {
	if s.cfg.ReadOnly {
		return fmt.Errorf("userstore: change password: %w", ErrReadOnly)
	}
	if err := s.cfg.PasswordPolicy.check("", r.New); err != nil {
		return err
	}
	a, err := s.authenticate(ctx, r.Login, r.Current, r.Remote, true)
	if err != nil {
		return err
	}
	if a.reason != "" {
		return ErrInvalidCredentials
	}
	u := a.user
	if err := s.cfg.PasswordPolicy.check(u.Username, r.New); err != nil {
		return err
	}
	if r.New == r.Current {
		return &PolicyError{Rule: RuleUnchanged, Reason: "must differ from the current password"}
	}
	if err := s.setPassword(ctx, u.ID, r.New, false); err != nil {
		return err
	}
	s.audit(ctx, AuditEvent{Kind: AuditPasswordChanged, UserID: u.ID, Login: r.Login, Remote: r.Remote})
	s.log.LogAttrs(ctx, slog.LevelInfo, "userstore: password changed", slog.String("user_id", u.ID))
	return nil
}

// SetInitialPassword is an administrator's setting of a user's password:
// the policy applies, and the user must change the password at the next
// login (which returns ErrPasswordChangeRequired until they do). It clears
// the failed-login count and lock. Errors: ErrNotFound, ErrPolicy,
// ErrReadOnly.
func (s *Service) SetInitialPassword(ctx context.Context, userID, password string) error {
	return s.adminSet(ctx, userID, password, true, "set initial password")
}

// SetUserPassword sets the user's own new password, chosen through a
// trusted flow such as activation: the policy applies and the user need
// not change it. It clears the failed-login count and lock. Errors:
// ErrNotFound, ErrPolicy, ErrReadOnly.
func (s *Service) SetUserPassword(ctx context.Context, userID, password string) error {
	return s.adminSet(ctx, userID, password, false, "set user password")
}

func (s *Service) adminSet(ctx context.Context, userID, password string, mustChange bool, op string) error {
	if s.cfg.ReadOnly {
		return fmt.Errorf("userstore: %s: %w", op, ErrReadOnly)
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("userstore: %s: %w", op, err)
	}
	if err := s.cfg.PasswordPolicy.check(u.Username, password); err != nil {
		return err
	}
	if err := s.setPassword(ctx, u.ID, password, mustChange); err != nil {
		return err
	}
	kind := AuditPasswordSet
	if !mustChange {
		kind = AuditPasswordChanged
	}
	s.audit(ctx, AuditEvent{Kind: kind, UserID: u.ID, Login: u.Username, Detail: map[string]string{"by": op}})
	return nil
}

// setPassword hashes password and stores it.
func (s *Service) setPassword(ctx context.Context, userID, password string, mustChange bool) error {
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, userID, h, mustChange); err != nil {
		return fmt.Errorf("userstore: set password: %w", err)
	}
	return nil
}
