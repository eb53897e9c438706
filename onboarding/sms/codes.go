package sms

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// Defaults of [CodesConfig].
const (
	// DefaultDigits is the length of a code.
	DefaultDigits = 6
	// DefaultTTL is how long a code is accepted.
	DefaultTTL = 5 * time.Minute
	// DefaultMaxAttempts is how many verifications a code allows.
	DefaultMaxAttempts = 5
	// DefaultResendInterval is the least time between two codes for one
	// key.
	DefaultResendInterval = 30 * time.Second
	// MinKeyLen is the shortest HMAC key [NewCodes] accepts.
	MinKeyLen = 32
	// maxKeyLen bounds the key under which a code is kept.
	maxKeyLen = 256
)

var (
	// ErrNoCode means there is no outstanding code for the key: none
	// was issued, or it was used or replaced.
	ErrNoCode = errors.New("sms: no code outstanding")
	// ErrWrongCode means the code did not match; the attempt counted.
	ErrWrongCode = errors.New("sms: wrong code")
	// ErrExpired means the code's lifetime is over.
	ErrExpired = errors.New("sms: code expired")
	// ErrAttemptsExhausted means the code's attempt limit was reached;
	// the code is dead and a new one must be issued.
	ErrAttemptsExhausted = errors.New("sms: code attempts exhausted")
	// ErrThrottled means a code was issued for the key too recently;
	// see [ThrottleError] for when to try again.
	ErrThrottled = errors.New("sms: code issued too recently")
)

// ThrottleError is returned by [Codes.Issue] during the resend interval.
// It matches [ErrThrottled] with errors.Is.
type ThrottleError struct {
	// RetryAfter is the resend interval: a new code may be issued at
	// the latest this long from now (possibly sooner).
	RetryAfter time.Duration
}

func (e *ThrottleError) Error() string {
	return fmt.Sprintf("sms: code issued too recently, retry in %s", e.RetryAfter.Round(time.Second))
}

// Is reports whether target is [ErrThrottled].
func (e *ThrottleError) Is(target error) bool { return target == ErrThrottled }

// CodesConfig configures [NewCodes]. Only Key is required.
type CodesConfig struct {
	// Key is the HMAC-SHA-256 key under which codes are hashed; at least
	// 32 bytes, secret, and the same on every server sharing a store.
	Key []byte
	// Digits is the length of a code, 4 to 10; default 6.
	Digits int
	// TTL is how long a code is accepted; default 5 minutes.
	TTL time.Duration
	// MaxAttempts is how many verifications a code allows, the right
	// one included; default 5.
	MaxAttempts int
	// ResendInterval is the least time between two codes for one key;
	// default 30 seconds. A negative value turns the throttle off.
	ResendInterval time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Rand is the source of randomness; default crypto/rand.Reader.
	Rand io.Reader
}

// Codes issues and verifies one-time codes. Create it with [NewCodes]; it
// is safe for concurrent use as long as its [CodeStore] is.
type Codes struct {
	cfg   CodesConfig
	store CodeStore
	limit *big.Int
}

// NewCodes checks cfg, applies its defaults and returns a [Codes] that
// keeps its records in store. It reports every problem at once.
func NewCodes(cfg CodesConfig, store CodeStore) (*Codes, error) {
	var errs []error
	if len(cfg.Key) < MinKeyLen {
		errs = append(errs, fmt.Errorf("sms: Key must be at least %d bytes", MinKeyLen))
	}
	if store == nil {
		errs = append(errs, errors.New("sms: missing CodeStore"))
	}
	if cfg.Digits == 0 {
		cfg.Digits = DefaultDigits
	} else if cfg.Digits < 4 || cfg.Digits > 10 {
		errs = append(errs, fmt.Errorf("sms: Digits %d not in 4..10", cfg.Digits))
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	} else if cfg.TTL < 0 {
		errs = append(errs, errors.New("sms: negative TTL"))
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	} else if cfg.MaxAttempts < 0 {
		errs = append(errs, errors.New("sms: negative MaxAttempts"))
	}
	if cfg.ResendInterval == 0 {
		cfg.ResendInterval = DefaultResendInterval
	} else if cfg.ResendInterval < 0 {
		cfg.ResendInterval = 0
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.Key = append([]byte(nil), cfg.Key...)
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(cfg.Digits)), nil)
	return &Codes{cfg: cfg, store: store, limit: limit}, nil
}

// Issue makes a new code for key (for instance the onboarding activity's
// ID) and phone (E.164, see [Normalize]), stores its hash, replacing any
// earlier code for key, and returns the code to send. During the resend
// interval after the last code it returns a [*ThrottleError] instead.
// Never log the returned code.
func (c *Codes) Issue(ctx context.Context, key, phone string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	n, err := rand.Int(c.cfg.Rand, c.limit) // uniform in [0, 10^Digits)
	if err != nil {
		return "", fmt.Errorf("sms: random code: %w", err)
	}
	code := fmt.Sprintf("%0*d", c.cfg.Digits, n)
	now := c.cfg.Now()
	rec := CodeRecord{
		Hash:         c.hash(key, phone, code),
		Phone:        phone,
		IssuedAt:     now,
		ExpiresAt:    now.Add(c.cfg.TTL),
		AttemptsLeft: c.cfg.MaxAttempts,
	}
	ok, err := c.store.Replace(ctx, key, rec, now.Add(-c.cfg.ResendInterval))
	if err != nil {
		return "", fmt.Errorf("sms: store code: %w", err)
	}
	if !ok {
		return "", &ThrottleError{RetryAfter: c.cfg.ResendInterval}
	}
	return code, nil
}

// Verify checks code against the outstanding code for key and, when it
// matches, uses it up and returns the phone it was sent to. Every call
// takes one attempt, atomically, so concurrent guesses cannot exceed the
// limit. It returns [ErrWrongCode], [ErrExpired], [ErrAttemptsExhausted]
// or [ErrNoCode] (all comparable with errors.Is); the comparison takes
// constant time.
func (c *Codes) Verify(ctx context.Context, key, code string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	rec, err := c.store.Attempt(ctx, key)
	if err != nil {
		if errors.Is(err, ErrNoCode) || errors.Is(err, ErrAttemptsExhausted) {
			return "", err
		}
		return "", fmt.Errorf("sms: load code: %w", err)
	}
	if !c.cfg.Now().Before(rec.ExpiresAt) {
		if _, err := c.store.Delete(ctx, key, rec.Hash); err != nil {
			return "", fmt.Errorf("sms: delete expired code: %w", err)
		}
		return "", ErrExpired
	}
	if len(code) > 32 { // bound the input; no code is this long
		code = ""
	}
	if !hmac.Equal(c.hash(key, rec.Phone, code), rec.Hash) {
		return "", ErrWrongCode
	}
	deleted, err := c.store.Delete(ctx, key, rec.Hash)
	if err != nil {
		return "", fmt.Errorf("sms: use code: %w", err)
	}
	if !deleted { // a concurrent Verify used it first, or it was replaced
		return "", ErrNoCode
	}
	return rec.Phone, nil
}

// hash is HMAC-SHA-256 over the length-prefixed key, phone and code.
func (c *Codes) hash(key, phone, code string) []byte {
	m := hmac.New(sha256.New, c.cfg.Key)
	for _, s := range []string{"usher-sms-code-v1", key, phone, code} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		m.Write(n[:])
		m.Write([]byte(s))
	}
	return m.Sum(nil)
}

func checkKey(key string) error {
	if key == "" || len(key) > maxKeyLen {
		return fmt.Errorf("sms: key must be 1 to %d bytes", maxKeyLen)
	}
	return nil
}
