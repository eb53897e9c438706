package userstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/usher-sdk/usher/userstore/mail"
)

// ResetTokenKind is the Token.Kind of password-reset tokens.
const ResetTokenKind = "password-reset"

// resetTokenBytes is the entropy of a reset token: 256 bits, written as 43
// base64url characters.
const resetTokenBytes = 32

// ResetRequest is a forgot-password request.
type ResetRequest struct {
	// Login is a username or an e-mail address. An e-mail is used only
	// when exactly one user has it (whether or not Config.LoginByEmail is
	// on).
	Login string
	// Remote is the client's address, for the audit trail.
	Remote string
	// Culture picks the labels of the mail, e.g. "de-CH".
	Culture string
}

// RequestPasswordReset sends the user named by r.Login a link to choose a
// new password. The link holds a single-use token that expires after
// Config.ResetTokenTTL; the store keeps only its SHA-256 hash, and a new
// request replaces the user's earlier tokens.
//
// It returns nil whether or not the user exists, is enabled and has an
// e-mail address, and does the same work either way before it returns:
// the user is looked up, the token stored, the mail sent and the audit
// event recorded in the background (Close waits for them; a failure is
// logged and, where the store still answers, audited). Errors are only for
// a configuration without ResetMail.LinkURL or a mail sender, read-only
// mode (ErrReadOnly), a closed Service (ErrClosed) and ctx's end — also
// while the request waits for one of the Service's bounded background
// workers under a flood of requests.
func (s *Service) RequestPasswordReset(ctx context.Context, r ResetRequest) error {
	switch {
	case s.cfg.ReadOnly:
		return fmt.Errorf("userstore: password reset: %w", ErrReadOnly)
	case s.cfg.ResetMail.LinkURL == "" || s.mail == nil:
		return errors.New("userstore: password reset is not configured: it needs ResetMail.LinkURL and a mail sender")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	token, err := newToken(s.rand)
	if err != nil {
		return fmt.Errorf("userstore: password reset: %w", err)
	}
	now := s.now()
	err = s.background(ctx, func(ctx context.Context) {
		u, reason, err := s.findForReset(ctx, r.Login)
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "userstore: password reset: user not looked up",
				slog.String("remote", r.Remote), slog.Any("err", err))
			return
		}
		if reason != "" {
			s.audit(ctx, AuditEvent{Kind: AuditResetRequested, UserID: u.ID, Login: r.Login, Remote: r.Remote, Reason: reason})
			s.log.LogAttrs(ctx, slog.LevelInfo, "userstore: password reset refused",
				slog.String("user_id", u.ID), slog.String("remote", r.Remote), slog.String("reason", reason))
			return
		}
		s.sendReset(ctx, u, r, token, now)
	})
	if err != nil {
		return fmt.Errorf("userstore: password reset: %w", err)
	}
	return nil
}

// findForReset finds the user of a reset request: by username, then by a
// unique e-mail. reason says why there is none to send to.
func (s *Service) findForReset(ctx context.Context, login string) (User, string, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return User{}, ReasonEmptyLogin, nil
	}
	if validateUsername(login) != nil {
		return User{}, ReasonInvalidLogin, nil
	}
	u, err := s.store.GetUserByUsername(ctx, login)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) {
		var users []User
		users, err = s.store.FindUsersByEmail(ctx, login, 2)
		switch {
		case err != nil:
		case len(users) == 0:
			return User{}, ReasonUnknownUser, nil
		case len(users) > 1:
			return User{}, ReasonAmbiguousEmail, nil
		default:
			u = users[0]
		}
	}
	if err != nil {
		return User{}, "", fmt.Errorf("userstore: password reset: %w", err)
	}
	switch {
	case !u.Enabled:
		return u, ReasonDisabled, nil
	case validateEmail(u.Email) != nil || u.Email == "":
		return u, "user has no e-mail address", nil
	}
	return u, "", nil
}

// sendReset stores the token and mails the link.
func (s *Service) sendReset(ctx context.Context, u User, r ResetRequest, token string, now time.Time) {
	expires := now.Add(s.cfg.ResetTokenTTL)
	t := Token{Kind: ResetTokenKind, UserID: u.ID, Hash: hashToken(token), CreatedAt: now, ExpiresAt: expires}
	fail := func(what string, err error) {
		s.log.LogAttrs(ctx, slog.LevelError, "userstore: password reset: "+what,
			slog.String("user_id", u.ID), slog.Any("err", err))
		s.audit(ctx, AuditEvent{Kind: AuditResetRequested, UserID: u.ID, Login: r.Login, Remote: r.Remote, Reason: what})
	}
	if err := s.store.PutToken(ctx, t, true); err != nil {
		fail("token not stored", err)
		return
	}
	link, err := url.Parse(s.cfg.ResetMail.LinkURL)
	if err != nil { // checked by NewService
		fail("bad link URL", err)
		return
	}
	q := link.Query()
	q.Set("token", token)
	link.RawQuery = q.Encode()

	fields := mailFields(u, r.Login, r.Remote, now)
	fields["Link"] = link.String()
	fields["ExpiresAt"] = expires.UTC().Format(time.RFC3339)
	subject, body := s.resetMail.render(r.Culture, fields)
	if err := s.mail.Send(ctx, mail.Message{To: []string{u.Email}, Subject: subject, Text: body}); err != nil {
		fail("mail not sent", err)
		return
	}
	s.audit(ctx, AuditEvent{Kind: AuditResetRequested, UserID: u.ID, Login: r.Login, Remote: r.Remote,
		Detail: map[string]string{"expiresAt": fields["ExpiresAt"]}})
}

// ResetPassword sets a new password with a token from a reset mail. The
// token is used up by a successful reset; one that is unknown, used,
// expired, or whose user is gone or disabled gives ErrInvalidToken, without
// saying which. A new password the policy refuses is a *PolicyError
// (ErrPolicy) and leaves the token usable. A reset also clears the
// failed-login count and lock, and MustChangePassword. In read-only mode it
// returns ErrReadOnly.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	if s.cfg.ReadOnly {
		return fmt.Errorf("userstore: reset password: %w", ErrReadOnly)
	}
	if !wellFormedToken(token) {
		return ErrInvalidToken
	}
	if err := s.cfg.PasswordPolicy.check("", newPassword); err != nil {
		return err
	}
	t, err := s.store.ConsumeToken(ctx, ResetTokenKind, hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return ErrInvalidToken
	}
	if err != nil {
		return fmt.Errorf("userstore: reset password: %w", err)
	}
	if t.Expired(s.now()) {
		return ErrInvalidToken
	}
	u, err := s.store.GetUser(ctx, t.UserID)
	if errors.Is(err, ErrNotFound) {
		return ErrInvalidToken
	}
	if err != nil {
		s.restoreToken(ctx, t)
		return fmt.Errorf("userstore: reset password: %w", err)
	}
	if !u.Enabled {
		s.audit(ctx, AuditEvent{Kind: AuditPasswordReset, UserID: u.ID, Login: u.Username, Reason: ReasonDisabled})
		return ErrInvalidToken
	}
	if err := s.cfg.PasswordPolicy.check(u.Username, newPassword); err != nil {
		s.restoreToken(ctx, t)
		return err
	}
	if err := s.overwritePassword(ctx, u, newPassword, false); err != nil {
		s.restoreToken(ctx, t)
		return err
	}
	if err := s.store.DeleteTokens(ctx, ResetTokenKind, u.ID); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "userstore: other reset tokens not deleted",
			slog.String("user_id", u.ID), slog.Any("err", err))
	}
	s.audit(ctx, AuditEvent{Kind: AuditPasswordReset, UserID: u.ID, Login: u.Username})
	return nil
}

// restoreToken puts back a consumed token whose reset failed for a reason
// the user can fix (a refused password), so the link still works.
func (s *Service) restoreToken(ctx context.Context, t Token) {
	if err := s.store.PutToken(ctx, t, false); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "userstore: reset token not restored",
			slog.String("user_id", t.UserID), slog.Any("err", err))
	}
}

// newToken returns a fresh random token.
func newToken(r io.Reader) (string, error) {
	var b [resetTokenBytes]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// wellFormedToken reports whether s could be a token of newToken, so that
// garbage never reaches the store.
func wellFormedToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(resetTokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// hashToken is the form in which the store keeps a token: SHA-256, hex.
// A plain hash suffices: the token has 256 random bits.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
