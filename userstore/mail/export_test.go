package mail

import (
	"context"
	"time"
)

// WithSleep replaces the wait between Graph retries, so that tests record
// the wait instead of sleeping.
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.sleep = f }
}

// Config returns the configuration in effect, defaults applied.
func (s *SMTP) Config() SMTPConfig { return s.cfg }
