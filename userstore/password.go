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
	// MinLength is the fewest characters. Default 8.
	MinLength int `json:"minLength,omitempty"`
	// MaxLength is the most characters. Default 1024. A hasher may refuse
	// less: bcrypt takes at most 72 bytes, and a longer password is refused
	// as too long.
	MaxLength int `json:"maxLength,omitempty"`
	// AllowUsername accepts a password equal to the username (without
	// regard to case). Default false: such a password is refused.
	AllowUsername bool `json:"allowUsername,omitempty"`
}

func (p PasswordPolicy) withDefaults() PasswordPolicy {
	if p.MinLength == 0 {
		p.MinLength = defaultMinPasswordLen
	}
	if p.MaxLength == 0 {
		p.MaxLength = defaultMaxPasswordLen
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
	h, err := s.hashers.Hash(ctx, password)
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
//
// The new password replaces only the current one: when the stored hash
// changes between the check and the write, the change goes ahead only if
// the current password still verifies against the hash now stored (a
// login's rehash changed the hash, not the password). When it does not,
// someone else set another password meanwhile, which stays, and the answer
// is ErrInvalidCredentials (audited as ReasonPasswordChanged, no strike).
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
	h, err := s.hash(ctx, r.New)
	if err != nil {
		return err
	}
	stillCurrent := func(cur User) error {
		v := s.verify(ctx, cur, r.Current, s.now())
		switch {
		case v.err != nil:
			return v.err
		case !v.match || v.reason != "":
			s.refused(ctx, u, r.Login, r.Remote, ReasonPasswordChanged, "change password", nil)
			return ErrInvalidCredentials
		}
		return nil
	}
	if err := s.writePassword(ctx, u.ID, a.hash, h, false, stillCurrent); err != nil {
		if errors.Is(err, ErrInvalidCredentials) {
			return ErrInvalidCredentials
		}
		return fmt.Errorf("userstore: change password: %w", err)
	}
	s.audit(ctx, AuditEvent{Kind: AuditPasswordChanged, UserID: u.ID, Login: r.Login, Remote: r.Remote})
	s.log.LogAttrs(ctx, slog.LevelInfo, "userstore: password changed", slog.String("user_id", u.ID))
	return nil
}

// SetInitialPassword is an administrator's setting of a user's password:
// the policy applies, and the user must change the password at the next
// login (which returns ErrPasswordChangeRequired until they do). It clears
// the failed-login count and lock. It replaces whatever password the user
// has, also one set while it runs. Errors: ErrNotFound, ErrPolicy,
// ErrReadOnly.
func (s *Service) SetInitialPassword(ctx context.Context, userID, password string) error {
	return s.adminSet(ctx, userID, password, true, "set initial password")
}

// SetUserPassword sets the user's own new password, chosen through a
// trusted flow such as activation: the policy applies and the user need
// not change it. It clears the failed-login count and lock. It replaces
// whatever password the user has, also one set while it runs. Errors:
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
	if err := s.overwritePassword(ctx, u, password, mustChange); err != nil {
		return err
	}
	kind := AuditPasswordSet
	if !mustChange {
		kind = AuditPasswordChanged
	}
	s.audit(ctx, AuditEvent{Kind: kind, UserID: u.ID, Login: u.Username, Detail: map[string]string{"by": op}})
	return nil
}

// passwordWriteAttempts is how many times a password write that means to
// replace the stored password tries its compare-and-set: each conflict
// needs another password write in between, so more than a few means
// something keeps writing and the caller is better told.
const passwordWriteAttempts = 3

// overwritePassword hashes password and stores it whatever hash u has by
// then: resets and administrators' settings mean to replace the password,
// so a conflict only means reading the stored hash again.
func (s *Service) overwritePassword(ctx context.Context, u User, password string, mustChange bool) error {
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	if err := s.writePassword(ctx, u.ID, u.PasswordHash, h, mustChange, func(User) error { return nil }); err != nil {
		return fmt.Errorf("userstore: set password: %w", err)
	}
	return nil
}

// writePassword stores newHash in place of expected, the hash the caller
// read. On a conflict, with again nil it gives up (ErrVersionConflict);
// otherwise it reads the user, asks again whether to write over the hash
// now stored (an error gives up with that error) and tries once more, up
// to passwordWriteAttempts in all.
func (s *Service) writePassword(ctx context.Context, userID, expected, newHash string, mustChange bool, again func(cur User) error) error {
	for attempt := 1; ; attempt++ {
		err := s.store.SetPassword(ctx, userID, expected, newHash, mustChange)
		if !errors.Is(err, ErrVersionConflict) || again == nil || attempt == passwordWriteAttempts {
			return err
		}
		cur, err := s.store.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		if err := again(cur); err != nil {
			return err
		}
		expected = cur.PasswordHash
	}
}
