package outbox_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/authrequest"
	"github.com/usher-sdk/usher/authrequest/outbox"
	"github.com/usher-sdk/usher/database"
	"github.com/usher-sdk/usher/internal/testenv"
)

// dialects gives a fresh, migrated database DSN per dialect.
var dialects = []struct {
	name  string
	fresh func(t testing.TB) string
}{
	{"SQLite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "o.db") }},
	{"Postgres", func(t testing.TB) string { return testenv.PostgresDB(t) }},
}

func eachDialect(t *testing.T, f func(t *testing.T, dsn string)) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			f(t, d.fresh(t))
		})
	}
}

// openDB opens dsn and migrates River's component.
func openDB(t testing.TB, dsn string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	require.NoError(t, db.Migrate(context.Background(), outbox.Component()))
	return db
}

// fastConfig retries at once and rescues quickly, for tests.
func fastConfig() outbox.Config {
	return outbox.Config{
		Workers:        4,
		AttemptTimeout: time.Second,
		RescueAfter:    2 * time.Second,
		MaxAttempts:    3,
		PollInterval:   20 * time.Millisecond,
		NextRetry:      func(int) time.Duration { return 10 * time.Millisecond },
	}
}

// receiver is a local callback receiver that counts deliveries by
// webhook-id. mode decides each answer.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	seen   map[string]int
	byPID  map[string]int
	calls  atomic.Int64
	mode   atomic.Value // func(id string, n int) (status int, delay time.Duration)
	notify chan struct{}
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{seen: map[string]int{}, byPID: map[string]int{}, notify: make(chan struct{}, 1)}
	r.setMode(func(string, int) (int, time.Duration) { return http.StatusNoContent, 0 })
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id := req.Header.Get("webhook-id")
		// Read the body, so that the server notices a sender that dies.
		_, _ = io.Copy(io.Discard, req.Body)
		r.calls.Add(1)
		r.mu.Lock()
		n := r.seen[id]
		r.mu.Unlock()
		status, delay := r.mode.Load().(func(string, int) (int, time.Duration))(id, n)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
				return
			}
		}
		if req.Context().Err() != nil {
			return // the sender is gone: not received
		}
		if status/100 == 2 {
			r.mu.Lock()
			r.seen[id]++
			r.byPID[req.Header.Get("x-pid")]++
			r.mu.Unlock()
			select {
			case r.notify <- struct{}{}:
			default:
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setMode(f func(id string, n int) (int, time.Duration)) { r.mode.Store(f) }

func (r *receiver) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.seen))
	for k, v := range r.seen {
		out[k] = v
	}
	return out
}

// waitFor waits until every id in ids was received, or fails.
func (r *receiver) waitFor(t testing.TB, ids []string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		c := r.counts()
		missing := 0
		for _, id := range ids {
			if c[id] == 0 {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("%d of %d deliveries never arrived within %s", missing, len(ids), within)
		case <-r.notify:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// httpSender posts a delivery's JSON to a URL with its webhook-id; 4xx
// answers other than 408 and 429 are permanent. It stands in for
// authrequest/callback's client.
type httpSender struct {
	url    string
	pid    string
	client *http.Client

	mu     sync.Mutex
	failed []authrequest.Delivery
}

func (s *httpSender) Send(ctx context.Context, d authrequest.Delivery) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("%w: %v", authrequest.ErrPermanent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", authrequest.ErrPermanent, err)
	}
	req.Header.Set("webhook-id", d.ID)
	req.Header.Set("x-pid", s.pid)
	c := s.client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		return nil
	case resp.StatusCode/100 == 4 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return fmt.Errorf("%w: status %d", authrequest.ErrPermanent, resp.StatusCode)
	}
	return fmt.Errorf("status %d", resp.StatusCode)
}

// Failed fires one Error callback for a delivery that is not one itself.
func (s *httpSender) Failed(_ context.Context, d authrequest.Delivery, err error) []authrequest.Delivery {
	s.mu.Lock()
	s.failed = append(s.failed, d)
	s.mu.Unlock()
	if d.Event == authrequest.EventError {
		return nil
	}
	return []authrequest.Delivery{{
		ID: "err-" + d.ID, ProfileID: d.ProfileID, RequestID: d.RequestID, Event: authrequest.EventError,
		Vars: map[string]string{"error": "delivery_failed", "error_message": err.Error()},
	}}
}

func (s *httpSender) failures() []authrequest.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]authrequest.Delivery(nil), s.failed...)
}

func delivery(i int) authrequest.Delivery {
	return authrequest.Delivery{
		ID: fmt.Sprintf("d%05d", i), ProfileID: "p1", RequestID: fmt.Sprintf("r%05d", i),
		Event: authrequest.EventCreate, Vars: map[string]string{"username": "alice", "event": "Create"},
	}
}

// insert records ds in one transaction each.
func insert(t testing.TB, db *database.DB, o *outbox.Outbox, ds ...authrequest.Delivery) []string {
	t.Helper()
	var ids []string
	for _, d := range ds {
		require.NoError(t, db.Tx(context.Background(), func(tx *sql.Tx) error {
			return o.Insert(context.Background(), tx, []authrequest.Delivery{d})
		}))
		ids = append(ids, d.ID)
	}
	return ids
}

func stop(t testing.TB, o *outbox.Outbox) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Stop(ctx); err != nil && !errors.Is(err, outbox.ErrNotStarted) {
		t.Errorf("stop: %v", err)
	}
}
