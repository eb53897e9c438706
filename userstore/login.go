package userstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Reasons of a refused login, as recorded in AuditEvent.Reason. Callers
// only ever see ErrInvalidCredentials; these are for the audit trail.
const (
	ReasonEmptyLogin      = "empty login"
	ReasonInvalidLogin    = "invalid login"
	ReasonUnknownUser     = "unknown user"
	ReasonAmbiguousEmail  = "e-mail shared by several users"
	ReasonWrongPassword   = "wrong password"
	ReasonDisabled        = "user disabled"
	ReasonLocked          = "user locked"
	ReasonNoPassword      = "no usable password hash"
	ReasonBadHash         = "stored password hash cannot be verified"
	ReasonMigrationFailed = "password migration hook failed"
	ReasonMustChange      = "password change required"
	ReasonPasswordChanged = "password changed meanwhile" // by another writer, during a ChangePassword
)

// LoginRequest is one login attempt.
type LoginRequest struct {
	// Login is what the user typed: a username, or with
	// Config.LoginByEmail an e-mail address.
	Login string
	// Password is the password the user typed. It is never stored or
	// logged.
	Password string
	// Remote is the client's address (or any text that says where the
	// attempt came from), for the audit trail.
	Remote string
}

// Login checks a user's password and returns the user.
//
// The login is looked up as a username (without regard to case) and, when
// Config.LoginByEmail is on and no username matches, as an e-mail address
// that exactly one user has. An unknown user, an e-mail shared by several
// users, a wrong password, a disabled or a locked user all return
// ErrInvalidCredentials, after the same password-hash work (a dummy hash is
// verified when no user is found); the true reason goes to the audit trail
// and the log. Other errors are the store's (infrastructure) and say
// nothing about the account.
//
// Only wrong passwords count towards the lock-out: Config.MaxFailedLogins
// of them in a row lock the account for Config.LockoutDuration, and a
// right password resets the count. The count lives in the store, so it is
// exact under concurrency and shared by every process. A wrong password
// during a lock-out is refused and audited but not counted, and never
// extends the lock (Active Directory's rule), so that nobody can keep
// someone else's account locked.
//
// With the right password, a user marked MustChangePassword gets the user
// and ErrPasswordChangeRequired: the caller asks for a new password and
// calls ChangePassword. A user without a usable local hash is verified by
// the migration hook, if any, once; see MigrationHook.
//
// The returned User has PasswordHash cleared.
func (s *Service) Login(ctx context.Context, r LoginRequest) (User, error) {
	a, err := s.authenticate(ctx, r.Login, r.Password, r.Remote, false)
	if err != nil {
		return User{}, err
	}
	switch a.reason {
	case "":
		return a.user, nil
	case ReasonMustChange:
		return a.user, ErrPasswordChangeRequired
	default:
		return User{}, ErrInvalidCredentials
	}
}

// authResult is the outcome of authenticate: the user, when the password
// was right, and the reason of a refusal ("" when none). hash is the
// user's stored password hash after the check (a rehash may have replaced
// the one the password was verified against), which ChangePassword
// expects to replace.
type authResult struct {
	user   User
	reason string
	hash   string
}

// authenticate checks login and password and records the outcome: the
// audit trail, the failed-login count, the lock notification, the rehash
// and the migrated hash. forChange is true when ChangePassword asks: a
// must-change user is then not refused and a success is not audited as a
// login. err is only for infrastructure.
func (s *Service) authenticate(ctx context.Context, login, password, remote string, forChange bool) (authResult, error) {
	if err := ctx.Err(); err != nil {
		return authResult{}, err
	}
	op := "login"
	if forChange {
		op = "change password"
	}
	refuse := func(u User, reason string, detail map[string]string) authResult {
		s.refused(ctx, u, login, remote, reason, op, detail)
		return authResult{reason: reason}
	}

	u, reason, err := s.find(ctx, login)
	if err != nil {
		return authResult{}, err
	}
	if reason != "" {
		s.verifyDummy(ctx, password)
		return refuse(User{}, reason, nil), nil
	}

	now := s.now()
	v := s.verify(ctx, u, password, now)
	if v.err != nil {
		return authResult{}, v.err
	}
	if v.reason != "" { // no verdict on the password: nothing is counted
		return refuse(u, v.reason, nil), nil
	}
	if !v.match {
		if u.Locked(now) {
			// Refused and audited, but not counted: a wrong password
			// during a lock must not extend it, or anyone could keep the
			// account locked for ever (Active Directory does the same).
			return refuse(u, ReasonLocked, map[string]string{
				"lockedUntil": u.LockedUntil.UTC().Format(time.RFC3339), "password": "wrong"}), nil
		}
		return refuse(u, ReasonWrongPassword, s.recordFailure(ctx, u, login, remote, now)), nil
	}
	switch {
	case !u.Enabled:
		return refuse(u, ReasonDisabled, nil), nil
	case u.Locked(now):
		return refuse(u, ReasonLocked, map[string]string{"lockedUntil": u.LockedUntil.UTC().Format(time.RFC3339)}), nil
	}

	// The password is right: store what the verification taught us.
	hash := s.afterMatch(ctx, u, password, v)
	u.PasswordHash, u.FailedLogins, u.LockedUntil = "", 0, time.Time{}
	if u.MustChangePassword && !forChange {
		s.refused(ctx, u, login, remote, ReasonMustChange, op, nil)
		return authResult{user: u, reason: ReasonMustChange}, nil
	}
	if !forChange {
		if s.cfg.AuditSuccessfulLogins {
			s.audit(ctx, AuditEvent{Kind: AuditLoginSucceeded, UserID: u.ID, Login: login, Remote: remote})
		}
		s.log.LogAttrs(ctx, slog.LevelDebug, "userstore: login", slog.String("user_id", u.ID), slog.String("remote", remote))
	}
	return authResult{user: u, hash: hash}, nil
}

// find looks a login up. reason says why no user was found; err is only
// for infrastructure.
func (s *Service) find(ctx context.Context, login string) (u User, reason string, err error) {
	if login == "" {
		return User{}, ReasonEmptyLogin, nil
	}
	if validateUsername(login) != nil {
		return User{}, ReasonInvalidLogin, nil
	}
	u, err = s.store.GetUserByUsername(ctx, login)
	if err == nil {
		return u, "", nil
	}
	if !errors.Is(err, ErrNotFound) {
		return User{}, "", fmt.Errorf("userstore: login: %w", err)
	}
	if !s.cfg.LoginByEmail || !strings.Contains(login, "@") {
		return User{}, ReasonUnknownUser, nil
	}
	users, err := s.store.FindUsersByEmail(ctx, login, 2)
	switch {
	case err != nil:
		return User{}, "", fmt.Errorf("userstore: login: %w", err)
	case len(users) == 0:
		return User{}, ReasonUnknownUser, nil
	case len(users) > 1:
		return User{}, ReasonAmbiguousEmail, nil
	}
	return users[0], "", nil
}

// verifyDummy does the work of a password check against nothing, so that
// an unknown user takes as long as a known one.
func (s *Service) verifyDummy(ctx context.Context, password string) {
	if h, err := s.hashers.Dummy(ctx); err == nil {
		_, _, _ = s.hashers.Verify(ctx, password, h)
	}
}

// verdict is the outcome of verify. reason is set when there is no
// verdict on the password (no usable hash, a failed hook); err only for a
// done context.
type verdict struct {
	match    bool
	rehash   bool // the hash should be replaced by one of the default
	migrated bool // the migration hook vouched for the password
	reason   string
	err      error
}

// verify checks password against u's stored hash or, when u has none that
// the registry can use, against the migration hook.
func (s *Service) verify(ctx context.Context, u User, password string, now time.Time) verdict {
	usable := u.PasswordHash != ""
	if usable {
		_, err := s.hashers.Identify(u.PasswordHash)
		usable = err == nil
	}
	if !usable {
		// The hook is not asked during a lock-out, so it cannot be used to
		// guess passwords faster than the lock allows.
		if s.migrate == nil || u.Locked(now) || !u.Enabled {
			s.verifyDummy(ctx, password)
			if u.Locked(now) {
				return verdict{reason: ReasonLocked}
			}
			if !u.Enabled {
				return verdict{reason: ReasonDisabled}
			}
			return verdict{reason: ReasonNoPassword}
		}
		ok, err := s.migrate.VerifyLegacy(ctx, u.Username, password)
		if err != nil {
			if ctx.Err() != nil {
				return verdict{err: ctx.Err()}
			}
			s.log.LogAttrs(ctx, slog.LevelError, "userstore: password migration hook failed",
				slog.String("user_id", u.ID), slog.Any("err", err))
			return verdict{reason: ReasonMigrationFailed}
		}
		return verdict{match: ok, migrated: ok}
	}
	match, rehash, err := s.hashers.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		if ctx.Err() != nil {
			return verdict{err: ctx.Err()}
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "userstore: stored password hash cannot be verified",
			slog.String("user_id", u.ID), slog.Any("err", err))
		return verdict{reason: ReasonBadHash}
	}
	return verdict{match: match, rehash: rehash}
}

// recordFailure counts a wrong password in the store and, when this one
// locks the account, records and notifies the lock. It returns audit
// detail. When another attempt locked the account after u was read, the
// store counts nothing (a failure during a lock never extends it) and the
// detail says so instead of giving a count.
func (s *Service) recordFailure(ctx context.Context, u User, login, remote string, now time.Time) map[string]string {
	if s.cfg.ReadOnly {
		return nil
	}
	max := max(s.cfg.MaxFailedLogins, 0)
	st, err := s.store.RecordFailedLogin(ctx, u.ID, max, s.cfg.LockoutDuration, now)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "userstore: failed login not counted",
			slog.String("user_id", u.ID), slog.Any("err", err))
		return nil
	}
	if st.AlreadyLocked {
		detail := map[string]string{"alreadyLocked": "true"}
		if !st.LockedUntil.IsZero() {
			detail["lockedUntil"] = st.LockedUntil.UTC().Format(time.RFC3339)
		}
		return detail
	}
	detail := map[string]string{"failedLogins": strconv.Itoa(st.FailedLogins)}
	// Exactly one of any number of concurrent failures locks the account:
	// that one reports the lock.
	if st.LockedUntil.After(now) {
		detail["locked"] = "true"
		lockedUntil := st.LockedUntil.UTC().Format(time.RFC3339)
		s.audit(ctx, AuditEvent{Kind: AuditLocked, UserID: u.ID, Login: login, Remote: remote,
			Reason: fmt.Sprintf("%d wrong passwords in a row", st.FailedLogins),
			Detail: map[string]string{"lockedUntil": lockedUntil}})
		s.log.LogAttrs(ctx, slog.LevelWarn, "userstore: account locked",
			slog.String("user_id", u.ID), slog.String("remote", remote), slog.String("locked_until", lockedUntil))
		s.notifyLocked(ctx, u, st, login, remote, now)
	}
	return detail
}

// afterMatch stores what a successful verification calls for: the hash of
// a migrated password, a rehash, or a reset of the failed-login count.
// Failures are logged; the login still succeeds. It returns the hash now
// stored: the new one, or u's.
//
// The new hash replaces only the hash the password was verified against.
// When that hash is no longer stored, the password was changed since u was
// read: the change wins, the new hash is dropped and, as the change reset
// the failed-login count, so is the reset (failures since then are against
// the new password and must stand).
func (s *Service) afterMatch(ctx context.Context, u User, password string, v verdict) string {
	if s.cfg.ReadOnly {
		return u.PasswordHash
	}
	kind := AuditKind("")
	switch {
	case v.migrated:
		kind = AuditPasswordMigrated
	case v.rehash && s.cfg.AutomaticPasswordRehash:
		kind = AuditPasswordRehashed
	}
	if kind != "" {
		h, err := s.replaceHash(ctx, u, password)
		switch {
		case err == nil:
			s.audit(ctx, AuditEvent{Kind: kind, UserID: u.ID, Login: u.Username})
			return h // SetPassword reset the count too
		case errors.Is(err, ErrVersionConflict):
			s.log.LogAttrs(ctx, slog.LevelInfo, "userstore: new password hash dropped: the password changed meanwhile",
				slog.String("user_id", u.ID), slog.String("kind", string(kind)))
			return u.PasswordHash
		default:
			s.log.LogAttrs(ctx, slog.LevelError, "userstore: new password hash not stored",
				slog.String("user_id", u.ID), slog.String("kind", string(kind)), slog.Any("err", err))
		}
	}
	if u.FailedLogins > 0 || !u.LockedUntil.IsZero() {
		if err := s.store.ResetFailedLogins(ctx, u.ID); err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "userstore: failed-login count not reset",
				slog.String("user_id", u.ID), slog.Any("err", err))
		}
	}
	return u.PasswordHash
}

// replaceHash stores a new hash of password in place of u.PasswordHash,
// the hash the password was verified against, and returns it. It does not
// retry: when that hash is no longer stored, it returns ErrVersionConflict
// and the password changed in between stays.
func (s *Service) replaceHash(ctx context.Context, u User, password string) (string, error) {
	h, err := s.hash(ctx, password)
	if err != nil {
		return "", err
	}
	// The flag is read as late as possible: SetPassword sets it too.
	cur, err := s.store.GetUser(ctx, u.ID)
	if err != nil {
		return "", err
	}
	if err := s.writePassword(ctx, u.ID, u.PasswordHash, h, cur.MustChangePassword, nil); err != nil {
		return "", err
	}
	return h, nil
}

// refused records a refused attempt in the audit trail and the log. The
// typed login is not logged when no user was found: it may be a password
// typed into the wrong field.
func (s *Service) refused(ctx context.Context, u User, login, remote, reason, op string, detail map[string]string) {
	if op != "login" {
		if detail == nil {
			detail = map[string]string{}
		}
		detail["op"] = op
	}
	s.audit(ctx, AuditEvent{Kind: AuditLoginFailed, UserID: u.ID, Login: login, Remote: remote, Reason: reason, Detail: detail})
	s.log.LogAttrs(ctx, slog.LevelInfo, "userstore: login refused",
		slog.String("op", op), slog.String("user_id", u.ID), slog.String("remote", remote), slog.String("reason", reason))
}
