package sqlstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
	"github.com/usher-sdk/usher/authrequest/sqlstore"
	"github.com/usher-sdk/usher/database"
)

func newID(t testing.TB) string {
	var b [16]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return hex.EncodeToString(b[:])
}

func pending(t testing.TB, app, user string, now time.Time) authrequest.Request {
	return authrequest.Request{
		ID: newID(t), ApplicationID: app, UserID: user, Username: user, Action: "Sign in",
		Origin: authrequest.OriginAPI, Kind: authrequest.KindAuthentication, Nonce: newID(t),
		Status: authrequest.StatePending, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute),
	}
}

// countingSender records the IDs it is handed.
type countingSender struct {
	mu   sync.Mutex
	seen map[string]int
}

func (c *countingSender) Send(_ context.Context, d authrequest.Delivery) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]int{}
	}
	c.seen[d.ID]++
	return nil
}

func (*countingSender) Failed(context.Context, authrequest.Delivery, error) []authrequest.Delivery {
	return nil
}

func (c *countingSender) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// errorLog keeps the records at Warn and above.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errorLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
	l.mu.Lock()
	l.msgs = append(l.msgs, msg)
	l.mu.Unlock()
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

// TestUnderLoad: writers of requests and River's workers share one pool
// (on SQLite: WAL, busy timeout, immediate transactions) without a busy
// error, and every delivery arrives.
func TestUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := openDB(t, d.fresh(t))
			logs := &errorLog{}
			s := open(t, db, sqlstore.WithLogger(slog.New(logs)),
				sqlstore.WithOutbox(outbox.Config{PollInterval: 20 * time.Millisecond}))
			sender := &countingSender{}
			require.NoError(t, s.StartDelivery(ctx, sender))
			const writers, each = 16, 40
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			start := time.Now()
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						r := pending(t, "app", fmt.Sprintf("u%d", w), time.Now())
						_, err := s.CreateRequest(ctx, r, true, []authrequest.Delivery{{ID: r.ID + "-c", RequestID: r.ID, Event: authrequest.EventCreate}})
						if err != nil {
							errs <- fmt.Errorf("create %d/%d: %w", w, i, err)
							continue
						}
						_, err = s.UpdateRequest(ctx, r.ID, func(x *authrequest.Request) ([]authrequest.Delivery, error) {
							x.Status = authrequest.StateApproved
							return []authrequest.Delivery{{ID: r.ID + "-a", RequestID: r.ID, Event: authrequest.EventApprove}}, nil
						})
						if err != nil {
							errs <- fmt.Errorf("update %d/%d: %w", w, i, err)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			wrote := time.Since(start)
			const total = 2 * writers * each
			require.Eventually(t, func() bool { return sender.count() == total }, 60*time.Second, 20*time.Millisecond)
			t.Logf("%s: %d requests created and answered by %d writers in %s; all %d deliveries made %s after the start; outbox %+v",
				db.Dialect(), writers*each, writers, wrote.Round(time.Millisecond), total, time.Since(start).Round(time.Millisecond), s.Outbox().Stats())
			logs.mu.Lock()
			defer logs.mu.Unlock()
			// River's leader may step down and be elected again when the
			// machine is starved (the race detector on two shared cores):
			// it delays maintenance, never a delivery, so it is not trouble.
			var trouble []string
			for _, m := range logs.msgs {
				if !strings.HasPrefix(m, "leadership.Elector:") {
					trouble = append(trouble, m)
				}
			}
			assert.Empty(t, trouble, "River and the outbox logged no trouble")
		})
	}
}

// TestTwoPools: creators and answerers on two pools (as two processes
// would be) of one PostgreSQL database keep singlePending and one answer.
func TestTwoPools(t *testing.T) {
	dsn := dialects[1].fresh(t)
	a := open(t, openDB(t, dsn))
	b := open(t, openDB(t, dsn))
	ctx := t.Context()
	now := time.Now().UTC()
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	var other []error
	for i := range n {
		s := []*sqlstore.Store{a, b}[i%2]
		wg.Go(func() {
			r := pending(t, "app", "alice", now)
			_, err := s.CreateRequest(ctx, r, true, []authrequest.Delivery{{ID: r.ID, Event: authrequest.EventCreate}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, r.ID)
			case !errors.Is(err, authrequest.ErrPendingExists):
				other = append(other, err)
			}
		})
	}
	wg.Wait()
	require.Empty(t, other)
	require.Len(t, won, 1, "one pending request")

	answers := 0
	for i := range n {
		s := []*sqlstore.Store{a, b}[i%2]
		wg.Go(func() {
			_, err := s.UpdateRequest(ctx, won[0], func(x *authrequest.Request) ([]authrequest.Delivery, error) {
				if x.Status != authrequest.StatePending {
					return nil, authrequest.ErrAnswered
				}
				time.Sleep(time.Millisecond)
				x.Status = authrequest.StateApproved
				return nil, nil
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				answers++
			case !errors.Is(err, authrequest.ErrAnswered):
				other = append(other, err)
			}
		})
	}
	wg.Wait()
	require.Empty(t, other)
	assert.Equal(t, 1, answers, "one answer")
}

func TestWithoutMigrations(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openDB(t, dialects[0].fresh(t))
	_, err := sqlstore.New(ctx, db, sqlstore.WithoutMigrations())
	require.ErrorIs(t, err, database.ErrSchemaBehind)
	// The application migrates every component at deploy time.
	require.NoError(t, db.Migrate(ctx, sqlstore.Component(), outbox.Component()))
	s, err := sqlstore.New(ctx, db, sqlstore.WithoutMigrations())
	require.NoError(t, err)
	require.NoError(t, s.Close())
}

func TestClose(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openDB(t, dialects[0].fresh(t))
	s := open(t, db)
	require.NoError(t, s.StartDelivery(ctx, &countingSender{}))
	assert.Error(t, s.StartDelivery(ctx, &countingSender{}), "twice")
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "twice is harmless")
	_, err := s.GetRequest(ctx, "x")
	assert.ErrorIs(t, err, authrequest.ErrClosed)
	_, err = s.CreateRequest(ctx, pending(t, "app", "u", time.Now()), false, nil)
	assert.ErrorIs(t, err, authrequest.ErrClosed)
	assert.ErrorIs(t, s.StartDelivery(ctx, &countingSender{}), authrequest.ErrClosed)
	_, err = sqlstore.New(ctx, nil)
	assert.Error(t, err)
}

func BenchmarkCreateRequest(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.name, func(b *testing.B) {
			s := open(b, openDB(b, d.fresh(b)))
			ctx := context.Background()
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				r := pending(b, "app", newID(b), now)
				if _, err := s.CreateRequest(ctx, r, true, []authrequest.Delivery{{ID: r.ID, Event: authrequest.EventCreate}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
