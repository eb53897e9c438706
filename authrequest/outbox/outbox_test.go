package outbox_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
	"github.com/usher-sdk/usher/database"
)

func TestComponent(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db, err := database.Open(ctx, dsn)
		require.NoError(t, err)
		defer db.Close()
		c := outbox.Component()
		assert.ErrorIs(t, db.CheckSchema(ctx, c), database.ErrSchemaBehind)
		require.NoError(t, db.Migrate(ctx, c))
		require.NoError(t, db.CheckSchema(ctx, c))
		require.NoError(t, db.Migrate(ctx, c), "migrating again is a no-op")

		steps := c.Steps(db.Dialect())
		require.NotEmpty(t, steps)
		var n int
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM usher_migrations WHERE component = 'river'`).Scan(&n))
		assert.Equal(t, len(steps), n, "one version per River migration")
		require.NoError(t, db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM river_migration`).Scan(&n))
		assert.Equal(t, len(steps), n, "River's own table agrees")
	})
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	db := openDB(t, dialects[0].fresh(t))
	tests := []struct {
		name string
		cfg  outbox.Config
		want string
	}{
		{"negative", outbox.Config{Workers: -1}, "negative"},
		{"rescue too soon", outbox.Config{AttemptTimeout: time.Minute, RescueAfter: time.Second}, "RescueAfter"},
	}
	for _, tt := range tests {
		_, err := outbox.New(db, tt.cfg)
		assert.ErrorContains(t, err, tt.want, tt.name)
	}
	_, err := outbox.New(nil, outbox.Config{})
	assert.Error(t, err)
	_, err = outbox.New(db, outbox.Config{}, outbox.WithLogger(nil))
	assert.Error(t, err)
	o, err := outbox.New(db, outbox.Config{})
	require.NoError(t, err)
	assert.ErrorIs(t, o.Stop(t.Context()), outbox.ErrNotStarted)
	assert.Error(t, o.Start(t.Context(), nil))
	require.NoError(t, db.Tx(t.Context(), func(tx *sql.Tx) error {
		assert.NoError(t, o.Insert(t.Context(), tx, nil))
		assert.ErrorIs(t, o.Insert(t.Context(), tx, []authrequest.Delivery{{}}), authrequest.ErrInvalid)
		assert.ErrorIs(t, o.Insert(t.Context(), tx, make([]authrequest.Delivery, outbox.MaxDeliveries+1)), authrequest.ErrInvalid)
		return nil
	}))
}

func TestDeliversCommittedOnly(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := openDB(t, dsn)
		rcv := newReceiver(t)
		o, err := outbox.New(db, fastConfig())
		require.NoError(t, err)

		var ids []string
		for i := range 20 {
			ids = append(ids, fmt.Sprintf("d%05d", i))
		}
		// Ten in one transaction, ten one by one, and one rolled back.
		var batch []authrequest.Delivery
		for i := range 10 {
			batch = append(batch, delivery(i))
		}
		require.NoError(t, db.Tx(ctx, func(tx *sql.Tx) error { return o.Insert(ctx, tx, batch) }))
		for i := 10; i < 20; i++ {
			insert(t, db, o, delivery(i))
		}
		rollback := fmt.Errorf("rollback")
		require.ErrorIs(t, db.Tx(ctx, func(tx *sql.Tx) error {
			require.NoError(t, o.Insert(ctx, tx, []authrequest.Delivery{delivery(99)}))
			return rollback
		}), rollback)
		n, err := o.Pending(ctx)
		require.NoError(t, err)
		assert.Equal(t, 20, n)

		require.NoError(t, o.Start(ctx, &httpSender{url: rcv.URL}))
		defer stop(t, o)
		assert.Error(t, o.Start(ctx, &httpSender{url: rcv.URL}), "started twice")
		rcv.waitFor(t, ids, 30*time.Second)
		require.Eventually(t, func() bool { n, _ := o.Pending(ctx); return n == 0 }, 10*time.Second, 20*time.Millisecond)
		c := rcv.counts()
		assert.Zero(t, c["d00099"], "a rolled-back delivery is never sent")
		for _, id := range ids {
			assert.Equal(t, 1, c[id], id)
		}
		st := o.Stats()
		assert.Equal(t, uint64(21), st.Inserted)
		assert.Equal(t, uint64(20), st.Delivered)
		assert.Zero(t, st.Failed)
	})
}

func TestRetriesAndFailures(t *testing.T) {
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := openDB(t, dsn)
		rcv := newReceiver(t)
		// "flaky" fails twice then succeeds; "gone" is a permanent 404;
		// "down" always fails; "hangs" outlasts every attempt's timeout;
		// the Error callbacks of "gone" and "down" succeed.
		rcv.setMode(func(id string, _ int) (int, time.Duration) {
			switch id {
			case "flaky":
				if rcv.calls.Load() <= 2 {
					return http.StatusServiceUnavailable, 0
				}
			case "gone":
				return http.StatusNotFound, 0
			case "down":
				return http.StatusBadGateway, 0
			case "hangs":
				return http.StatusNoContent, 5 * time.Second
			}
			return http.StatusNoContent, 0
		})
		cfg := fastConfig()
		cfg.AttemptTimeout = 300 * time.Millisecond
		o, err := outbox.New(db, cfg)
		require.NoError(t, err)
		s := &httpSender{url: rcv.URL}
		insert(t, db, o, authrequest.Delivery{ID: "flaky"})
		require.NoError(t, o.Start(ctx, s))
		defer stop(t, o)
		rcv.waitFor(t, []string{"flaky"}, 20*time.Second)
		assert.Equal(t, int64(3), rcv.calls.Load(), "two failed attempts, then the delivery")
		assert.Equal(t, uint64(2), o.Stats().Retried)

		insert(t, db, o, authrequest.Delivery{ID: "gone"}, authrequest.Delivery{ID: "down"}, authrequest.Delivery{ID: "hangs"})
		rcv.waitFor(t, []string{"err-gone", "err-down", "err-hangs"}, 30*time.Second)
		require.Eventually(t, func() bool { return len(s.failures()) == 3 }, 5*time.Second, 10*time.Millisecond)
		var failed []string
		for _, d := range s.failures() {
			failed = append(failed, d.ID)
		}
		slices.Sort(failed)
		assert.Equal(t, []string{"down", "gone", "hangs"}, failed, "Failed is told once per final failure")
		c := rcv.counts()
		assert.Zero(t, c["gone"]+c["down"]+c["hangs"])
		assert.Equal(t, uint64(3), o.Stats().Failed)
		require.Eventually(t, func() bool { n, _ := o.Pending(ctx); return n == 0 }, 10*time.Second, 20*time.Millisecond)
	})
}

// TestErrorCallbackFails: an Error callback that fails itself fires
// nothing more.
func TestErrorCallbackFails(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openDB(t, dialects[0].fresh(t))
	rcv := newReceiver(t)
	rcv.setMode(func(string, int) (int, time.Duration) { return http.StatusGone, 0 })
	o, err := outbox.New(db, fastConfig())
	require.NoError(t, err)
	s := &httpSender{url: rcv.URL}
	insert(t, db, o, authrequest.Delivery{ID: "a", Event: authrequest.EventApprove})
	require.NoError(t, o.Start(ctx, s))
	defer stop(t, o)
	require.Eventually(t, func() bool { return len(s.failures()) == 2 }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { n, _ := o.Pending(ctx); return n == 0 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, int64(2), rcv.calls.Load())
}

// invalidFailed is a Sender whose Error callbacks cannot be recorded.
type invalidFailed struct{ senderFunc }

func (invalidFailed) Failed(context.Context, authrequest.Delivery, error) []authrequest.Delivery {
	return []authrequest.Delivery{{}} // no ID
}

func TestInvalidErrorCallbacksDropped(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := openDB(t, dialects[0].fresh(t))
	o, err := outbox.New(db, fastConfig())
	require.NoError(t, err)
	insert(t, db, o, authrequest.Delivery{ID: "a"})
	require.NoError(t, o.Start(ctx, invalidFailed{func(context.Context, authrequest.Delivery) error {
		return fmt.Errorf("%w: gone", authrequest.ErrPermanent)
	}}))
	defer stop(t, o)
	require.Eventually(t, func() bool { n, _ := o.Pending(ctx); return n == 0 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, uint64(1), o.Stats().Failed)
}

// TestLatency logs the enqueue-to-Send latency (not asserted).
func TestLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	eachDialect(t, func(t *testing.T, dsn string) {
		ctx := t.Context()
		db := openDB(t, dsn)
		o, err := outbox.New(db, outbox.Config{})
		require.NoError(t, err)
		const n = 200
		sent := make(chan time.Duration, n)
		start := make(map[string]time.Time, n)
		var starts = make(chan map[string]time.Time, 1)
		starts <- start
		require.NoError(t, o.Start(ctx, senderFunc(func(_ context.Context, d authrequest.Delivery) error {
			m := <-starts
			t0 := m[d.ID]
			starts <- m
			sent <- time.Since(t0)
			return nil
		})))
		defer stop(t, o)
		for i := range n {
			d := delivery(i)
			m := <-starts
			m[d.ID] = time.Now()
			starts <- m
			insert(t, db, o, d)
			time.Sleep(5 * time.Millisecond)
		}
		var ls []time.Duration
		for range n {
			select {
			case l := <-sent:
				ls = append(ls, l)
			case <-time.After(30 * time.Second):
				t.Fatal("deliveries missing")
			}
		}
		slices.Sort(ls)
		t.Logf("%s: enqueue→Send latency over %d deliveries, one every 5 ms, default Config: p50 %s p99 %s max %s",
			db.Dialect(), n, ls[n/2].Round(time.Millisecond), ls[n*99/100].Round(time.Millisecond), ls[n-1].Round(time.Millisecond))
	})
}

type senderFunc func(context.Context, authrequest.Delivery) error

func (f senderFunc) Send(ctx context.Context, d authrequest.Delivery) error { return f(ctx, d) }
func (senderFunc) Failed(context.Context, authrequest.Delivery, error) []authrequest.Delivery {
	return nil
}

func BenchmarkInsert(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.name, func(b *testing.B) {
			db := openDB(b, d.fresh(b))
			o, err := outbox.New(db, outbox.Config{})
			require.NoError(b, err)
			ctx := context.Background()
			dl := delivery(1)
			b.ReportAllocs()
			for b.Loop() {
				if err := db.Tx(ctx, func(tx *sql.Tx) error { return o.Insert(ctx, tx, []authrequest.Delivery{dl}) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
