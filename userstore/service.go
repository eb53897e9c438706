package userstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/usher-sdk/usher/hasher"
	"github.com/usher-sdk/usher/userstore/mail"
)

// Defaults of Config.
const (
	defaultMaxFailedLogins = 5
	defaultLockoutDuration = 15 * time.Minute
	defaultResetTokenTTL   = time.Hour
	defaultMinPasswordLen  = 8
	defaultMaxPasswordLen  = 1024
)

// backgroundTimeout bounds the work a Service does after a call returned:
// sending a lock notification, storing a reset token and mailing it.
const backgroundTimeout = 30 * time.Second

// maxBackground is how many pieces of background work (reset requests,
// lock notifications) run at once.
const maxBackground = 64

// Config configures a Service. The zero value is usable: every zero field
// takes the default in its comment. It is read once by NewService.
type Config struct {
	// LoginByEmail lets a user log in with their e-mail address when no
	// username matches the login. An e-mail shared by two or more users
	// matches nobody. Default false.
	LoginByEmail bool `json:"loginByEmail,omitempty"`

	// MaxFailedLogins is how many wrong passwords in a row lock an account.
	// Default 5; a negative value never locks
	// (wrong passwords are still counted). A right password (or a
	// password set, change or reset) resets the count, and so does the
	// end of a lock-out: after it, another MaxFailedLogins wrong passwords
	// in a row lock the account again (and are reported again).
	MaxFailedLogins int `json:"maxFailedLogins,omitempty"`

	// LockoutDuration is how long an account stays locked. Default 15
	// minutes.
	LockoutDuration time.Duration `json:"lockoutDuration,omitempty"`

	// AuditSuccessfulLogins records successful logins in the audit trail
	// too. Failed logins are always recorded. Default false.
	AuditSuccessfulLogins bool `json:"auditSuccessfulLogins,omitempty"`

	// AutomaticPasswordRehash stores a new hash of the password, made with
	// the hasher registry's default, when a login verifies a hash of
	// another algorithm or weaker parameters. Default false.
	AutomaticPasswordRehash bool `json:"automaticPasswordRehash,omitempty"`

	// ReadOnly makes the Service never write to the store. Logins still
	// verify passwords and honour locks and flags already stored, but
	// nothing is recorded: no failed-login counting and so no lock-out, no
	// lock notification, no audit trail, no rehash, no password migration
	// (the migration hook is asked at every login instead). Every method
	// that must write (password change, set, reset and reset request)
	// returns ErrReadOnly. Default false.
	ReadOnly bool `json:"readOnly,omitempty"`

	// PasswordPolicy is checked for every new password.
	PasswordPolicy PasswordPolicy `json:"passwordPolicy,omitzero"`

	// ResetTokenTTL is how long a password-reset token stays valid.
	// Default 1 hour.
	ResetTokenTTL time.Duration `json:"resetTokenTTL,omitempty"`

	// ResetMail is the e-mail RequestPasswordReset sends.
	ResetMail ResetMail `json:"resetMail,omitzero"`

	// LockNotification is the e-mail sent when an account locks.
	LockNotification LockNotification `json:"lockNotification,omitzero"`
}

// withDefaults fills zero fields and checks the rest, reporting every
// problem at once.
func (c Config) withDefaults() (Config, error) {
	if c.MaxFailedLogins == 0 {
		c.MaxFailedLogins = defaultMaxFailedLogins
	}
	if c.LockoutDuration == 0 {
		c.LockoutDuration = defaultLockoutDuration
	}
	if c.ResetTokenTTL == 0 {
		c.ResetTokenTTL = defaultResetTokenTTL
	}
	c.PasswordPolicy = c.PasswordPolicy.withDefaults()
	var errs []error
	bad := func(field string, v any, reason string) {
		errs = append(errs, fmt.Errorf("userstore: config %s = %v: %s", field, v, reason))
	}
	if c.LockoutDuration < 0 {
		bad("LockoutDuration", c.LockoutDuration, "must not be negative")
	}
	if c.ResetTokenTTL < 0 {
		bad("ResetTokenTTL", c.ResetTokenTTL, "must not be negative")
	}
	p := c.PasswordPolicy
	if p.MinLength < 1 {
		bad("PasswordPolicy.MinLength", p.MinLength, "must be at least 1")
	}
	if p.MaxLength < p.MinLength {
		bad("PasswordPolicy.MaxLength", p.MaxLength, "must not be less than MinLength")
	}
	return c, errors.Join(errs...)
}

// ServiceStore is what a Service needs of a store; every Store has it.
type ServiceStore interface {
	UserReader
	LoginStateStore
	TokenStore
	AuditLog
}

// ServiceOption sets a dependency of a Service.
type ServiceOption func(*Service) error

// WithClock sets the clock for lock-outs, token expiry and audit times.
// Default time.Now.
func WithClock(now func() time.Time) ServiceOption {
	return func(s *Service) error {
		if now == nil {
			return errors.New("userstore: WithClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithLogger sets the logger. Default: discard. Failed logins are logged at
// Info with their true reason; passwords, hashes and tokens never are.
func WithLogger(l *slog.Logger) ServiceOption {
	return func(s *Service) error {
		if l == nil {
			return errors.New("userstore: WithLogger: nil logger")
		}
		s.log = l
		return nil
	}
}

// WithMailSender sets the sender of lock notifications and reset mails.
// Without one, NewService refuses an enabled LockNotification and
// RequestPasswordReset fails.
func WithMailSender(m mail.Sender) ServiceOption {
	return func(s *Service) error {
		if m == nil {
			return errors.New("userstore: WithMailSender: nil sender")
		}
		s.mail = m
		return nil
	}
}

// WithMigrationHook sets the hook that verifies the password of a user
// without a usable local hash against a legacy system. See MigrationHook.
func WithMigrationHook(h MigrationHook) ServiceOption {
	return func(s *Service) error {
		if h == nil {
			return errors.New("userstore: WithMigrationHook: nil hook")
		}
		s.migrate = h
		return nil
	}
}

// WithRandom sets the source of reset tokens. Default crypto/rand.Reader;
// tests use it for reproducible tokens, production code should not.
func WithRandom(r io.Reader) ServiceOption {
	return func(s *Service) error {
		if r == nil {
			return errors.New("userstore: WithRandom: nil reader")
		}
		s.rand = r
		return nil
	}
}

// Service applies a user pool's login rules to a store: login with
// lock-out, password change, admin-set and reset passwords, the audit
// trail, rehashing, password migration and lock notifications.
//
// A Service is safe for concurrent use. It keeps no per-user state of its
// own: every process sharing a store enforces the same lock-outs. Some work
// (lock notifications, reset mails) finishes in the background after a
// call returns; Close waits for it.
type Service struct {
	store   ServiceStore
	hashers *hasher.Registry
	cfg     Config

	now     func() time.Time
	log     *slog.Logger
	mail    mail.Sender
	migrate MigrationHook
	rand    io.Reader

	lockMail  *localizedText
	lockTo    []string
	resetMail *localizedText

	mu     sync.Mutex // guards closed and the start of background work
	closed bool
	bg     sync.WaitGroup
	// workers holds a token per running piece of background work.
	workers chan struct{}
}

// NewService returns a Service over store that hashes and verifies
// passwords with hashers. It checks cfg (defaults applied) and reports
// every problem at once. It does not close store; the caller does, after
// Service.Close.
func NewService(store ServiceStore, hashers *hasher.Registry, cfg Config, opts ...ServiceOption) (*Service, error) {
	s := &Service{
		store:   store,
		hashers: hashers,
		now:     time.Now,
		log:     slog.New(slog.DiscardHandler),
		rand:    rand.Reader,
		workers: make(chan struct{}, maxBackground),
	}
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("userstore: NewService: nil store"))
	}
	if hashers == nil {
		errs = append(errs, errors.New("userstore: NewService: nil hasher registry"))
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			errs = append(errs, err)
		}
	}
	cfg, err := cfg.withDefaults()
	errs = append(errs, err)
	s.cfg = cfg

	s.resetMail, err = parseTemplate("config ResetMail", cfg.ResetMail.MailTemplate, defaultResetTemplate, resetFields)
	errs = append(errs, err)
	if cfg.ResetMail.LinkURL != "" {
		errs = append(errs, checkLinkBase("config ResetMail.LinkURL", cfg.ResetMail.LinkURL))
	}
	if ln := cfg.LockNotification; ln.Enabled {
		s.lockMail, err = parseTemplate("config LockNotification", ln.MailTemplate, defaultLockTemplate, lockFields)
		errs = append(errs, err)
		s.lockTo, err = parseRecipients(ln.Recipients)
		errs = append(errs, err)
		if s.mail == nil {
			errs = append(errs, errors.New("userstore: config LockNotification.Enabled needs a mail sender (WithMailSender)"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// The dummy hash unknown users are checked against is made now, so
	// that the first unknown login takes no longer than the others.
	if _, err := hashers.Dummy(context.Background()); err != nil {
		return nil, fmt.Errorf("userstore: NewService: dummy hash: %w", err)
	}
	return s, nil
}

// Config returns the configuration in effect, defaults applied.
func (s *Service) Config() Config { return s.cfg }

// Close waits for background work (lock notifications, reset mails) to
// finish. Afterwards RequestPasswordReset returns ErrClosed and locks are
// no longer notified; logins keep working. It does not close the store.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.bg.Wait()
	return nil
}

// background runs f after the caller returned, with a context that keeps
// ctx's values but not its cancellation, bounded by backgroundTimeout. At
// most maxBackground run at once, so that a flood of requests cannot start
// goroutines without bound: a caller waits for a free worker, or until ctx
// ends. It returns an error matching ErrClosed when the Service is closed.
func (s *Service) background(ctx context.Context, f func(ctx context.Context)) error {
	select {
	case s.workers <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		<-s.workers
		return fmt.Errorf("service closed: %w", ErrClosed)
	}
	s.bg.Go(func() {
		defer func() { <-s.workers }()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backgroundTimeout)
		defer cancel()
		f(ctx)
	})
	return nil
}

// audit appends e, stamping the time; a failure is logged, not returned.
// Nothing is recorded in read-only mode.
func (s *Service) audit(ctx context.Context, e AuditEvent) {
	if s.cfg.ReadOnly {
		return
	}
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	e.Login, e.Remote = auditText(e.Login), auditText(e.Remote)
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "userstore: audit not recorded",
			slog.String("kind", string(e.Kind)), slog.String("user_id", e.UserID), slog.Any("err", err))
	}
}

// maxAuditText is the most characters of typed text (login, remote) an
// audit event keeps.
const maxAuditText = MaxUsernameLength

// auditText makes typed text safe for every store: valid UTF-8 without
// control characters (PostgreSQL text cannot hold NUL), each bad byte or
// control character written as U+FFFD, cut to maxAuditText characters.
func auditText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxAuditText {
		s = string([]rune(s)[:maxAuditText]) + "…"
	}
	return s
}
