package sms

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newCodes(t *testing.T, cfg CodesConfig) (*Codes, *clock, *MemStore) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	if cfg.Key == nil {
		cfg.Key = testKey
	}
	cfg.Now = clk.Now
	st := &MemStore{}
	c, err := NewCodes(cfg, st)
	require.NoError(t, err)
	return c, clk, st
}

func TestNewCodesValidates(t *testing.T) {
	t.Parallel()
	_, err := NewCodes(CodesConfig{Key: []byte("short"), Digits: 3, TTL: -1, MaxAttempts: -1}, nil)
	require.Error(t, err)
	for _, want := range []string{"Key", "CodeStore", "Digits", "TTL", "MaxAttempts"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestIssueVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, st := newCodes(t, CodesConfig{})
	code, err := c.Issue(ctx, "act-1", "+447700900123")
	require.NoError(t, err)
	assert.Len(t, code, DefaultDigits)
	for _, r := range st.records {
		assert.NotContains(t, string(r.Hash), code, "stored only hashed")
		assert.Len(t, r.Hash, 32)
	}
	phone, err := c.Verify(ctx, "act-1", code)
	require.NoError(t, err)
	assert.Equal(t, "+447700900123", phone)
	_, err = c.Verify(ctx, "act-1", code)
	assert.ErrorIs(t, err, ErrNoCode, "single use")
	_, err = c.Verify(ctx, "act-2", code)
	assert.ErrorIs(t, err, ErrNoCode)
}

func TestVerifyWrongThenExhausted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := newCodes(t, CodesConfig{MaxAttempts: 3})
	code, err := c.Issue(ctx, "k", "+447700900123")
	require.NoError(t, err)
	wrong := "x" + code[1:]
	for _, w := range []string{wrong, strings.Repeat("9", 1000)} {
		_, err = c.Verify(ctx, "k", w)
		assert.ErrorIs(t, err, ErrWrongCode)
	}
	_, err = c.Verify(ctx, "k", wrong)
	assert.ErrorIs(t, err, ErrWrongCode)
	_, err = c.Verify(ctx, "k", code)
	assert.ErrorIs(t, err, ErrAttemptsExhausted, "dead after the limit, even the right code")
}

func TestVerifyExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, clk, _ := newCodes(t, CodesConfig{TTL: time.Minute})
	code, err := c.Issue(ctx, "k", "+447700900123")
	require.NoError(t, err)
	clk.Add(time.Minute)
	_, err = c.Verify(ctx, "k", code)
	assert.ErrorIs(t, err, ErrExpired)
	_, err = c.Verify(ctx, "k", code)
	assert.ErrorIs(t, err, ErrNoCode)
}

func TestIssueReplacesAndThrottles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, clk, _ := newCodes(t, CodesConfig{})
	first, err := c.Issue(ctx, "k", "+447700900123")
	require.NoError(t, err)
	_, err = c.Issue(ctx, "k", "+447700900123")
	var te *ThrottleError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, ErrThrottled)
	assert.Equal(t, DefaultResendInterval, te.RetryAfter)
	clk.Add(DefaultResendInterval)
	second, err := c.Issue(ctx, "k", "+447700900999")
	require.NoError(t, err)
	if first != second {
		_, err = c.Verify(ctx, "k", first)
		assert.ErrorIs(t, err, ErrWrongCode, "the old code was replaced")
	}
	phone, err := c.Verify(ctx, "k", second)
	require.NoError(t, err)
	assert.Equal(t, "+447700900999", phone)
}

func TestConcurrentWrongAttemptsStayWithinLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := newCodes(t, CodesConfig{})
	code, err := c.Issue(ctx, "k", "+447700900123")
	require.NoError(t, err)
	var wrong, exhausted, other atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			_, err := c.Verify(ctx, "k", "not-it")
			switch {
			case errors.Is(err, ErrWrongCode):
				wrong.Add(1)
			case errors.Is(err, ErrAttemptsExhausted):
				exhausted.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, DefaultMaxAttempts, wrong.Load())
	assert.EqualValues(t, 100-DefaultMaxAttempts, exhausted.Load())
	assert.Zero(t, other.Load())
	_, err = c.Verify(ctx, "k", code)
	assert.ErrorIs(t, err, ErrAttemptsExhausted)
}

func TestConcurrentRightCodeUsedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := newCodes(t, CodesConfig{MaxAttempts: 100})
	code, err := c.Issue(ctx, "k", "+447700900123")
	require.NoError(t, err)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := c.Verify(ctx, "k", code); err == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, ok.Load())
}

func TestCodesAreUniform(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, _ := newCodes(t, CodesConfig{Digits: 4, ResendInterval: -1})
	const n = 20000
	var counts [10]int
	for range n {
		code, err := c.Issue(ctx, "k", "+447700900123")
		require.NoError(t, err)
		require.Len(t, code, 4)
		counts[code[0]-'0']++
	}
	for d, got := range counts { // expect 2000 each; 5 sigma is about 212
		assert.InDelta(t, n/10, got, 300, "first digit %d", d)
	}
}

func TestBadKeysAndCancelledContext(t *testing.T) {
	t.Parallel()
	c, _, _ := newCodes(t, CodesConfig{})
	_, err := c.Issue(context.Background(), "", "+447700900123")
	assert.Error(t, err)
	_, err = c.Verify(context.Background(), strings.Repeat("k", 300), "1")
	assert.Error(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Issue(ctx, "k", "+447700900123")
	assert.ErrorIs(t, err, context.Canceled)
}
