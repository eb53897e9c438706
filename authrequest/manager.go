package authrequest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/usher-sdk/usher/onboarding"
	"github.com/usher-sdk/usher/onboarding/issuer"
	"github.com/usher-sdk/usher/userstore"
)

// Defaults of a Config.
const (
	DefaultTTL          = 5 * time.Minute // a request's validity when neither it nor its profile says
	MaxTTL              = time.Hour       // the longest validity a request may have
	DefaultInterval     = 2 * time.Second // how often the third party is told to poll
	DefaultNumberDigits = 3               // digits of a number-matching code
	ActiveUserPeriod    = 90 * 24 * time.Hour
	DefaultAskValidity  = time.Hour // how long an approver has for a pre-approval
)

// Users finds the users of an application's pool (a userstore realm);
// every userstore.Store is one.
type Users interface {
	GetUser(ctx context.Context, id string) (userstore.User, error)
	GetUserByUsername(ctx context.Context, username string) (userstore.User, error)
}

// Applications finds applications; onboarding.Store is one.
type Applications interface {
	GetApplication(ctx context.Context, id string) (onboarding.Application, error)
	GetApplicationByName(ctx context.Context, name string) (onboarding.Application, error)
}

// Devices finds enrolled devices; onboarding.Store is one. A device
// destroyed through onboarding is gone from it (and its certificate
// revoked), so it can answer no more.
type Devices interface {
	GetDevice(ctx context.Context, id string) (onboarding.Device, error)
	ListDevices(ctx context.Context, applicationID, userID string) ([]onboarding.Device, error)
}

// Auditor receives the Manager's audit events; every userstore.Store is
// one (userstore.AuditLog).
type Auditor interface {
	AppendAudit(ctx context.Context, e userstore.AuditEvent) error
}

// Config configures a Manager. Only Users is required.
type Config struct {
	// Users returns the user pool of an application (its realm).
	Users func(ctx context.Context, app onboarding.Application) (Users, error)
	// Interval is the polling interval told to third parties. Default
	// DefaultInterval.
	Interval time.Duration
	// NumberDigits is the length of number-matching codes, 2 to 6.
	// Default DefaultNumberDigits.
	NumberDigits int
}

// Option sets a dependency of a Manager.
type Option func(*Manager)

// WithLogger sets the Manager's logger. Default: discard. It never logs
// nonces, numbers, signatures or tokens.
func WithLogger(l *slog.Logger) Option { return func(m *Manager) { m.log = l } }

// WithClock sets the Manager's clock. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(m *Manager) { m.now = now } }

// WithRand sets the source of IDs, nonces and numbers. Default:
// crypto/rand.Reader.
func WithRand(r io.Reader) Option { return func(m *Manager) { m.rand = r } }

// WithAudit sets where audit events go. Default: nowhere.
func WithAudit(a Auditor) Option { return func(m *Manager) { m.audit = a } }

// WithRevocations makes the Manager refuse answers of devices whose
// certificate serial is revoked in r (onboarding's sqlstore or
// issuer.MemoryRevocations), besides devices that are gone.
func WithRevocations(r issuer.RevocationStore) Option { return func(m *Manager) { m.revoked = r } }

// Manager creates authentication requests, serves them to devices,
// verifies their answers and reports the results. Make it with New; it is
// safe for concurrent use, also by several processes sharing one Store.
type Manager struct {
	store   Store
	apps    Applications
	devices Devices
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	rand    io.Reader
	audit   Auditor
	revoked issuer.RevocationStore

	mu      sync.Mutex
	waiters map[string][]chan struct{}
}

// New returns a Manager keeping requests in store, finding applications
// in apps and devices in devices. It reports every problem at once.
func New(store Store, apps Applications, devices Devices, cfg Config, opts ...Option) (*Manager, error) {
	var errs []error
	if store == nil {
		errs = append(errs, errors.New("authrequest: nil store"))
	}
	if apps == nil {
		errs = append(errs, errors.New("authrequest: nil applications"))
	}
	if devices == nil {
		errs = append(errs, errors.New("authrequest: nil devices"))
	}
	if cfg.Users == nil {
		errs = append(errs, errors.New("authrequest: Config.Users is required"))
	}
	if cfg.Interval < 0 {
		errs = append(errs, errors.New("authrequest: Config.Interval must not be negative"))
	}
	if cfg.NumberDigits != 0 && (cfg.NumberDigits < 2 || cfg.NumberDigits > 6) {
		errs = append(errs, errors.New("authrequest: Config.NumberDigits must be 2 to 6"))
	}
	m := &Manager{store: store, apps: apps, devices: devices, cfg: cfg,
		log: slog.New(slog.DiscardHandler), now: time.Now, rand: rand.Reader, waiters: map[string][]chan struct{}{}}
	if m.cfg.Interval == 0 {
		m.cfg.Interval = DefaultInterval
	}
	if m.cfg.NumberDigits == 0 {
		m.cfg.NumberDigits = DefaultNumberDigits
	}
	for _, o := range opts {
		if o == nil {
			errs = append(errs, errors.New("authrequest: nil Option"))
			continue
		}
		o(m)
	}
	if m.log == nil || m.now == nil || m.rand == nil {
		errs = append(errs, errors.New("authrequest: nil logger, clock or random source"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

// Store returns the Manager's store.
func (m *Manager) Store() Store { return m.store }

// randomHex returns n random bytes in hex.
func (m *Manager) randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(m.rand, b); err != nil {
		return "", fmt.Errorf("authrequest: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// number returns a random decimal code of the configured length, uniform.
func (m *Manager) number() (string, error) {
	limit := uint64(1)
	for range m.cfg.NumberDigits {
		limit *= 10
	}
	var b [8]byte
	for {
		if _, err := io.ReadFull(m.rand, b[:]); err != nil {
			return "", fmt.Errorf("authrequest: random: %w", err)
		}
		v := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
			uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
		// Reject the top slice that would bias the modulo.
		if v >= ^uint64(0)-(^uint64(0)%limit) {
			continue
		}
		return fmt.Sprintf("%0*d", m.cfg.NumberDigits, v%limit), nil
	}
}

// notify wakes the in-process waiters of a request; waiters in other
// processes see the change at their next poll.
func (m *Manager) notify(id string) {
	m.mu.Lock()
	ws := m.waiters[id]
	delete(m.waiters, id)
	m.mu.Unlock()
	for _, c := range ws {
		close(c)
	}
}

func (m *Manager) subscribe(id string) (<-chan struct{}, func()) {
	c := make(chan struct{})
	m.mu.Lock()
	m.waiters[id] = append(m.waiters[id], c)
	m.mu.Unlock()
	return c, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		ws := m.waiters[id]
		for i, w := range ws {
			if w == c {
				m.waiters[id] = append(ws[:i:i], ws[i+1:]...)
				break
			}
		}
		if len(m.waiters[id]) == 0 {
			delete(m.waiters, id)
		}
	}
}
