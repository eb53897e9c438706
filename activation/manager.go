package activation

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Token kinds the Manager keeps in the user store.
const (
	kindCode     = "activation"
	kindPassword = "activation-password"
)

// Store is what the Manager needs from the user store. A userstore.Store
// has all of it.
type Store interface {
	GetUser(ctx context.Context, id string) (userstore.User, error)
	GetUserByUsername(ctx context.Context, username string) (userstore.User, error)
	UpdateUser(ctx context.Context, u userstore.User) (userstore.User, error)
	userstore.TokenStore
	RecordFailedLogin(ctx context.Context, id string, maxFailures int, lockFor time.Duration, now time.Time) (userstore.LoginState, error)
	ResetFailedLogins(ctx context.Context, id string) error
	// AppendAudit records why an activation was refused (AuditFailed).
	AppendAudit(ctx context.Context, e userstore.AuditEvent) error
}

// PasswordSetter sets a user's own new password, applying the pool's
// password policy. It returns an error matching userstore.ErrPolicy when
// the password is refused.
type PasswordSetter interface {
	SetUserPassword(ctx context.Context, userID, password string) error
}

// PasswordSetterFunc adapts a function to PasswordSetter.
type PasswordSetterFunc func(ctx context.Context, userID, password string) error

// SetUserPassword calls f.
func (f PasswordSetterFunc) SetUserPassword(ctx context.Context, userID, password string) error {
	return f(ctx, userID, password)
}

// CaptchaVerifier checks a CAPTCHA response (for example with a provider's
// siteverify API). It returns false for a refused response; err is for
// failures to ask.
type CaptchaVerifier interface {
	VerifyCaptcha(ctx context.Context, response, remote string) (bool, error)
}

// Manager creates and checks activation codes. It is safe for concurrent
// use. All state lives in the Store but the batch-admin throttle, which
// each Manager keeps in memory (Settings.BatchAdminMaxFailures): with
// several processes, an address may make that many wrong attempts at
// each.
type Manager struct {
	store    Store
	key      []byte
	settings Settings
	pw       PasswordSetter
	captcha  CaptchaVerifier
	auth     Authenticator
	batch    *throttle
	now      func() time.Time
	rand     io.Reader
	log      *slog.Logger
}

// Option sets a dependency of a Manager.
type Option func(*Manager)

// WithClock sets the clock. Default time.Now.
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithRandom sets the source of codes and tokens. Default crypto/rand.Reader.
func WithRandom(r io.Reader) Option { return func(m *Manager) { m.rand = r } }

// WithLogger sets the logger. Default: discard. Codes and tokens are never
// logged.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithCaptcha sets the CAPTCHA verifier that RequireCaptcha needs.
func WithCaptcha(v CaptchaVerifier) Option { return func(m *Manager) { m.captcha = v } }

// WithAuthenticator sets how the batch handlers check a batch admin's
// password, without counting wrong ones towards the account's lock-out
// (see Authenticator). Over a userstore.Service, pass a
// ServiceAuthenticator made with a read-only Service: the Service itself
// has no AuthenticateBatchAdmin method, and its Login on a read-write
// Service would lock the batch admin out. Without an Authenticator the
// batch handlers refuse every request.
func WithAuthenticator(a Authenticator) Option { return func(m *Manager) { m.auth = a } }

// minKeyLength is the shortest key New accepts, in bytes.
const minKeyLength = 32

// New returns a Manager over store. key (at least 32 random bytes, kept
// secret) keys the hashes of codes, extra data and tokens: losing it
// invalidates every outstanding code. pw sets the password at the end of
// an activation.
func New(store Store, key []byte, pw PasswordSetter, s Settings, opts ...Option) (*Manager, error) {
	s, err := s.withDefaults()
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	if store == nil {
		errs = append(errs, errors.New("activation: nil Store"))
	}
	if pw == nil {
		errs = append(errs, errors.New("activation: nil PasswordSetter"))
	}
	if len(key) < minKeyLength {
		errs = append(errs, fmt.Errorf("activation: key is %d bytes, need at least %d", len(key), minKeyLength))
	}
	m := &Manager{
		store: store, key: append([]byte(nil), key...), settings: s, pw: pw,
		now: time.Now, rand: rand.Reader, log: slog.New(slog.DiscardHandler),
		batch: newThrottle(s.BatchAdminMaxFailures, s.BatchAdminBlockDuration, throttleCapacity),
	}
	for _, o := range opts {
		o(m)
	}
	if s.RequireCaptcha && m.captcha == nil {
		errs = append(errs, errors.New("activation: RequireCaptcha is set but no CaptchaVerifier was given (WithCaptcha)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// Settings returns the settings in force, defaults filled in.
func (m *Manager) Settings() Settings { return m.settings }
