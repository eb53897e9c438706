package mail

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Option supplies a dependency to [NewSMTP], [NewM365] or [FromJSON].
type Option func(*options)

type options struct {
	logger *slog.Logger
	now    func() time.Time
	client *http.Client
	// sleep waits d or until ctx ends; tests replace it (export_test.go).
	sleep func(ctx context.Context, d time.Duration) error
}

func newOptions(opts []Option) options {
	o := options{
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		now:    time.Now,
		client: http.DefaultClient,
		sleep:  sleepCtx,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithLogger sets the logger. Default: discard. Senders log at Debug what
// they sent (sender, number of recipients) and never log bodies or secrets.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithClock sets the clock that dates messages. Default: [time.Now].
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithHTTPClient sets the HTTP client of the Microsoft 365 sender, used for
// both the token endpoint and Graph. Default: [http.DefaultClient]. The
// SMTP sender ignores it.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) {
		if c != nil {
			o.client = c
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
