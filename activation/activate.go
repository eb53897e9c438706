package activation

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Request is an end user's activation attempt.
//
// Extra's names are compared without regard to case for a code made with
// Create or BatchHandler, and exactly for one made through
// PortalGuardHandler, whose field names are case-sensitive; values are
// compared after trimming space.
type Request struct {
	Username string
	Code     string            // as typed: case, spaces and hyphens do not matter
	Extra    map[string]string // the extra data the back-end stored, if any (see below)
	Captcha  string            // the CAPTCHA response, when RequireCaptcha is set
	Remote   string            // the client's address, for the CAPTCHA check and logs
}

// PasswordToken is issued by a successful Activate: with it, and only
// until ExpiresAt, the user sets a password through SetPassword.
type PasswordToken struct {
	Token     string
	ExpiresAt time.Time
}

// Activate checks a code (and its extra data: first when
// VerifyExtraDataFirst is set, after the code otherwise) and, on success,
// returns a password-set token valid for PasswordSetMinutes. The code is
// used up: of two activations racing with the same code exactly one wins;
// if the password-set window passes unused, the code is given back so the
// user can activate again until it expires.
//
// Every refusal of the account is ErrActivationFailed, whatever the
// reason (unknown user, no activation data, expired code, wrong code or
// extra data, locked account), and an unknown user costs the store lookup
// and code hash of a known one, so that neither the answer nor its timing
// tells whether a user exists. The true reason is written to the audit
// trail (AuditFailed) and logged at Info. Only a wrong code is a strike,
// through the user store's lock-out.
//
// Other errors: ErrDisabled, ErrCaptchaFailed, ErrInvalidInput (an empty
// username), and the store's failures.
func (m *Manager) Activate(ctx context.Context, r Request) (PasswordToken, error) {
	if !m.settings.Enabled {
		return PasswordToken{}, ErrDisabled
	}
	if m.settings.RequireCaptcha {
		ok, err := m.captcha.VerifyCaptcha(ctx, r.Captcha, r.Remote)
		if err != nil {
			return PasswordToken{}, fmt.Errorf("activation: CAPTCHA check: %w", err)
		}
		if !ok {
			return PasswordToken{}, ErrCaptchaFailed
		}
	}
	code := normalizeCode(r.Code)
	u, err := m.user(ctx, r.Username)
	if errors.Is(err, ErrUserNotFound) {
		m.decoy(ctx, code, true)
		return PasswordToken{}, m.refuse(ctx, r, u.ID, userstore.ReasonUnknownUser, nil)
	}
	if err != nil {
		return PasswordToken{}, err
	}
	now := m.now()
	if u.Locked(now) {
		m.decoy(ctx, code, true)
		return PasswordToken{}, m.refuse(ctx, r, u.ID, userstore.ReasonLocked, nil)
	}
	t, err := m.currentCode(ctx, u.ID, now)
	if errors.Is(err, ErrNoActivationData) {
		m.decoy(ctx, code, false)
		return PasswordToken{}, m.refuse(ctx, r, u.ID, ReasonNoActivationData, nil)
	}
	if err != nil {
		return PasswordToken{}, err
	}
	if t.Expired(now) {
		m.decoy(ctx, code, false)
		return PasswordToken{}, m.refuse(ctx, r, u.ID, ReasonExpired, nil)
	}
	d, err := decodeCodeData(t)
	if err != nil {
		return PasswordToken{}, err
	}
	if m.settings.VerifyExtraDataFirst && !m.extraMatches(u.ID, d, r.Extra) {
		return PasswordToken{}, m.refuse(ctx, r, u.ID, ReasonWrongExtraData, nil)
	}
	if !equalHash(keyedHash(m.key, "code", u.ID, code), t.Hash) {
		return PasswordToken{}, m.refuse(ctx, r, u.ID, ReasonWrongCode, m.strike(ctx, u.ID, now))
	}
	if !m.settings.VerifyExtraDataFirst && !m.extraMatches(u.ID, d, r.Extra) {
		return PasswordToken{}, m.refuse(ctx, r, u.ID, ReasonWrongExtraData, nil)
	}

	won, err := m.store.ConsumeToken(ctx, kindCode, t.Hash)
	if errors.Is(err, userstore.ErrNotFound) {
		return PasswordToken{}, m.refuse(ctx, r, u.ID, ReasonCodeTaken, nil)
	}
	if err != nil {
		return PasswordToken{}, fmt.Errorf("activation: %w", err)
	}
	pt, err := m.openWindow(ctx, won, now)
	if err != nil {
		// Give the code back rather than lose it.
		if perr := m.store.PutToken(ctx, won, true); perr != nil {
			err = errors.Join(err, perr)
		}
		return PasswordToken{}, err
	}
	m.log.InfoContext(ctx, "activation: account activated; password-set window open", "user_id", u.ID, "remote", r.Remote)
	return pt, nil
}

// decoy does the work of a known user's check that a refusal before the
// code comparison would skip: with lookup, the store lookup of the user's
// code (for no user, so it finds nothing), and the keyed hash and
// comparison of the code. The answer is thrown away.
func (m *Manager) decoy(ctx context.Context, code string, lookup bool) {
	if lookup {
		_, _ = m.store.UserTokens(ctx, kindCode, "")
	}
	_ = equalHash(keyedHash(m.key, "code", "", code), keyedHash(m.key, "code", "-", code))
}

// refuse records why an activation was refused, in the audit trail and
// the log, and returns the one error the caller sees.
func (m *Manager) refuse(ctx context.Context, r Request, userID, reason string, detail map[string]string) error {
	e := userstore.AuditEvent{
		Time: m.now(), Kind: AuditFailed, UserID: userID, Login: clip(r.Username), Remote: clip(r.Remote),
		Reason: reason, Detail: detail,
	}
	if err := m.store.AppendAudit(ctx, e); err != nil {
		m.log.ErrorContext(ctx, "activation: audit event not recorded", "user_id", userID, "reason", reason, "err", err)
	}
	m.log.InfoContext(ctx, "activation: refused", "user_id", userID, "remote", r.Remote, "reason", reason)
	return ErrActivationFailed
}

// maxAuditText is the most bytes of typed text an audit event keeps.
const maxAuditText = 256

// clip cuts typed text for the audit trail to maxAuditText bytes of valid
// UTF-8 (the stores make it safe otherwise).
func clip(s string) string {
	if len(s) > maxAuditText {
		s = strings.ToValidUTF8(s[:maxAuditText], "") + "…"
	}
	return s
}

// openWindow stores a password-set token that carries the used code token.
func (m *Manager) openWindow(ctx context.Context, code userstore.Token, now time.Time) (PasswordToken, error) {
	var raw [32]byte
	if _, err := io.ReadFull(m.rand, raw[:]); err != nil {
		return PasswordToken{}, fmt.Errorf("activation: reading random bytes: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	data, err := json.Marshal(passwordData{V: 1, Code: code})
	if err != nil {
		return PasswordToken{}, err
	}
	t := userstore.Token{
		Kind: kindPassword, UserID: code.UserID, Hash: keyedHash(m.key, "password-token", "", secret),
		Data: data, CreatedAt: now, ExpiresAt: now.Add(time.Duration(m.settings.PasswordSetMinutes) * time.Minute),
	}
	if err := m.store.PutToken(ctx, t, true); err != nil {
		return PasswordToken{}, fmt.Errorf("activation: %w", err)
	}
	return PasswordToken{Token: secret, ExpiresAt: t.ExpiresAt}, nil
}

// currentCode returns the user's code token. When there is none but a
// password-set window of the user has expired, the window's code is given
// back first.
func (m *Manager) currentCode(ctx context.Context, userID string, now time.Time) (userstore.Token, error) {
	codes, err := m.store.UserTokens(ctx, kindCode, userID)
	if err != nil {
		return userstore.Token{}, fmt.Errorf("activation: %w", err)
	}
	if len(codes) > 0 {
		return codes[0], nil
	}
	windows, err := m.store.UserTokens(ctx, kindPassword, userID)
	if err != nil {
		return userstore.Token{}, fmt.Errorf("activation: %w", err)
	}
	for _, w := range windows {
		if !w.Expired(now) {
			continue
		}
		if code, ok, err := m.reclaim(ctx, w); err != nil {
			return userstore.Token{}, err
		} else if ok {
			return code, nil
		}
	}
	return userstore.Token{}, ErrNoActivationData
}

// reclaim consumes an expired password-set window and puts its code back.
// ok is false when another caller consumed it first.
func (m *Manager) reclaim(ctx context.Context, w userstore.Token) (userstore.Token, bool, error) {
	w, err := m.store.ConsumeToken(ctx, kindPassword, w.Hash)
	if errors.Is(err, userstore.ErrNotFound) {
		return userstore.Token{}, false, nil
	}
	if err != nil {
		return userstore.Token{}, false, fmt.Errorf("activation: %w", err)
	}
	var d passwordData
	if err := json.Unmarshal(w.Data, &d); err != nil {
		return userstore.Token{}, false, fmt.Errorf("activation: stored password-set data is corrupt: %w", err)
	}
	if err := m.store.PutToken(ctx, d.Code, true); err != nil {
		return userstore.Token{}, false, fmt.Errorf("activation: %w", err)
	}
	return d.Code, true, nil
}

// strike records a wrong code through the user store's lock-out and, at
// strike-out, deletes the activation data when so set. It returns the
// detail for the audit trail; a failure to record is logged, and the
// attempt is refused all the same.
func (m *Manager) strike(ctx context.Context, userID string, now time.Time) map[string]string {
	st, err := m.store.RecordFailedLogin(ctx, userID, m.settings.MaxStrikes, m.settings.LockoutDuration, now)
	if err != nil {
		m.log.ErrorContext(ctx, "activation: strike not recorded", "user_id", userID, "err", err)
		return nil
	}
	if st.AlreadyLocked {
		// Another attempt locked the account since it was read: this one
		// was not counted, and the strike-out was handled by that one.
		return map[string]string{"alreadyLocked": "true"}
	}
	detail := map[string]string{"failedLogins": strconv.Itoa(st.FailedLogins)}
	if st.LockedUntil.IsZero() || !now.Before(st.LockedUntil) {
		return detail
	}
	detail["locked"] = "true"
	m.log.InfoContext(ctx, "activation: strike-out, account locked", "user_id", userID, "until", st.LockedUntil)
	if m.settings.DeleteOnStrikeOut {
		if err := m.deleteAll(ctx, userID); err != nil {
			m.log.ErrorContext(ctx, "activation: data not deleted at strike-out", "user_id", userID, "err", err)
		}
	}
	return detail
}

// SetPassword sets the user's password with a token from Activate and so
// completes the activation: the activation data is cleared, strikes are
// reset and, unless KeepDisabled is set, the account is enabled. A
// password the policy refuses leaves the token usable for another try.
//
// Errors: ErrDisabled, ErrInvalidToken, ErrTokenExpired (activate again
// with the same code), and the PasswordSetter's errors (userstore.ErrPolicy).
func (m *Manager) SetPassword(ctx context.Context, token, password string) error {
	if !m.settings.Enabled {
		return ErrDisabled
	}
	t, err := m.store.ConsumeToken(ctx, kindPassword, keyedHash(m.key, "password-token", "", token))
	if errors.Is(err, userstore.ErrNotFound) {
		return ErrInvalidToken
	}
	if err != nil {
		return fmt.Errorf("activation: %w", err)
	}
	var d passwordData
	if err := json.Unmarshal(t.Data, &d); err != nil {
		return fmt.Errorf("activation: stored password-set data is corrupt: %w", err)
	}
	if t.Expired(m.now()) {
		if err := m.store.PutToken(ctx, d.Code, true); err != nil {
			return errors.Join(ErrTokenExpired, fmt.Errorf("activation: giving the code back: %w", err))
		}
		return ErrTokenExpired
	}
	if err := m.pw.SetUserPassword(ctx, t.UserID, password); err != nil {
		if perr := m.store.PutToken(ctx, t, false); perr != nil {
			err = errors.Join(err, perr)
		}
		return err
	}
	if err := m.deleteAll(ctx, t.UserID); err != nil {
		return fmt.Errorf("activation: clearing activation data: %w", err)
	}
	if err := m.store.ResetFailedLogins(ctx, t.UserID); err != nil {
		return fmt.Errorf("activation: resetting strikes: %w", err)
	}
	if !m.settings.KeepDisabled {
		if err := m.enable(ctx, t.UserID); err != nil {
			return err
		}
	}
	m.log.InfoContext(ctx, "activation: completed", "user_id", t.UserID)
	return nil
}

// enable sets the user's Enabled flag, retrying on a concurrent update.
func (m *Manager) enable(ctx context.Context, userID string) error {
	for range 5 {
		u, err := m.store.GetUser(ctx, userID)
		if err != nil {
			return fmt.Errorf("activation: enabling account: %w", err)
		}
		if u.Enabled {
			return nil
		}
		u.Enabled = true
		_, err = m.store.UpdateUser(ctx, u)
		if !errors.Is(err, userstore.ErrVersionConflict) {
			if err != nil {
				return fmt.Errorf("activation: enabling account: %w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("activation: enabling account: %w", userstore.ErrVersionConflict)
}
