package hasher

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateHasher is a caller's hasher of the made-up format "{GATE}<password>"
// whose Hash and Verify block until they receive from gate, or it is
// closed. It records how many of
// its calls run at once and the order in which they start (by password).
// The tests run in a synctest bubble, so that synctest.Wait tells when
// every caller is either inside the hasher or queued in the Registry.
type gateHasher struct {
	hard bool // what MemoryHard reports
	gate chan struct{}

	mu       sync.Mutex
	inFlight int
	maxSeen  int
	started  []string
}

func newGateHasher(hard bool) *gateHasher {
	return &gateHasher{hard: hard, gate: make(chan struct{})}
}

func (h *gateHasher) Name() string                  { return "test-gate" }
func (h *gateHasher) MemoryHard() bool              { return h.hard }
func (h *gateHasher) Recognize(encoded string) bool { return strings.HasPrefix(encoded, "{GATE}") }

func (h *gateHasher) Hash(_ context.Context, password string) (string, error) {
	h.run(password)
	return "{GATE}" + password, nil
}

func (h *gateHasher) Verify(_ context.Context, password, encoded string) (bool, bool, error) {
	h.run(password)
	return encoded == "{GATE}"+password, false, nil
}

func (h *gateHasher) run(password string) {
	h.mu.Lock()
	h.inFlight++
	h.maxSeen = max(h.maxSeen, h.inFlight)
	h.started = append(h.started, password)
	h.mu.Unlock()
	<-h.gate
	h.mu.Lock()
	h.inFlight--
	h.mu.Unlock()
}

func (h *gateHasher) state() (inFlight, maxSeen int, started []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inFlight, h.maxSeen, append([]string(nil), h.started...)
}

var _ MemoryHardHasher = (*gateHasher)(nil)

// queued returns how many callers wait for a place, and how many places
// are held.
func (l *limiter) queued() (waiting, held int) {
	if l == nil {
		return 0, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiters.Len(), l.held
}

// gateRegistry returns a registry whose default is a new gateHasher.
func gateRegistry(t *testing.T, hard bool, maxConcurrent int) (*Registry, *gateHasher) {
	t.Helper()
	h := newGateHasher(hard)
	reg, err := NewRegistry("test-gate", Config{MaxConcurrentHashes: maxConcurrent}, WithHasher(h))
	require.NoError(t, err)
	return reg, h
}

func TestRegistryMaxConcurrentHashesDefault(t *testing.T) {
	t.Parallel()
	reg, err := NewRegistry("usher", Config{})
	require.NoError(t, err)
	require.NotNil(t, reg.limit)
	assert.Equal(t, runtime.GOMAXPROCS(0), reg.limit.limit)

	reg, err = NewRegistry("usher", Config{MaxConcurrentHashes: 3})
	require.NoError(t, err)
	assert.Equal(t, 3, reg.limit.limit)

	reg, err = NewRegistry("usher", Config{MaxConcurrentHashes: -1})
	require.NoError(t, err)
	assert.Nil(t, reg.limit, "a negative value removes the bound")
}

func TestRegistryBoundsMemoryHardHashes(t *testing.T) {
	t.Parallel()
	// Hash, Verify and Dummy all pass the bound. Of the Dummy callers, the
	// first makes the dummy hash and the others wait for it, outside the
	// Registry's queue.
	const hashers, verifiers, dummies = 8, 8, 4
	const entrants = hashers + verifiers + 1
	tests := []struct {
		name          string
		hard          bool
		maxConcurrent int
		want          int // in flight at once
	}{
		{"limit 1", true, 1, 1},
		{"limit 2", true, 2, 2},
		{"limit 7", true, 7, 7},
		{"limit above callers", true, 50, entrants},
		{"unbounded", true, -1, entrants},
		{"not memory-hard", false, 2, entrants},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				reg, h := gateRegistry(t, tt.hard, tt.maxConcurrent)
				ctx := context.Background()
				var wg sync.WaitGroup
				for i := range hashers {
					wg.Go(func() {
						_, err := reg.Hash(ctx, fmt.Sprint("hash-", i))
						assert.NoError(t, err)
					})
				}
				for i := range verifiers {
					wg.Go(func() {
						pw := fmt.Sprint("verify-", i)
						match, rehash, err := reg.Verify(ctx, pw, "{GATE}"+pw)
						assert.NoError(t, err)
						assert.True(t, match)
						assert.False(t, rehash)
					})
				}
				for range dummies {
					wg.Go(func() {
						_, err := reg.Dummy(ctx)
						assert.NoError(t, err)
					})
				}
				synctest.Wait()
				inFlight, _, _ := h.state()
				assert.Equal(t, tt.want, inFlight, "in flight once every caller is blocked")
				waiting, _ := reg.limit.queued()
				assert.Equal(t, entrants-tt.want, waiting, "queued")

				close(h.gate)
				wg.Wait()
				_, maxSeen, _ := h.state()
				assert.Equal(t, tt.want, maxSeen, "never more than the bound")
				waiting, held := reg.limit.queued()
				assert.Zero(t, waiting)
				assert.Zero(t, held, "every place was freed")
			})
		})
	}
}

func TestRegistryBoundIsFIFO(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		reg, h := gateRegistry(t, true, 2)
		ctx := context.Background()
		var wg sync.WaitGroup
		var order []string
		start := func(pw string) {
			order = append(order, pw)
			useHash := len(order)%2 == 0
			wg.Go(func() {
				var err error
				if useHash {
					_, err = reg.Hash(ctx, pw)
				} else {
					_, _, err = reg.Verify(ctx, pw, "{GATE}"+pw)
				}
				assert.NoError(t, err)
			})
			synctest.Wait() // pw is in the hasher or queued before the next comes
		}
		for i := range 14 {
			start(fmt.Sprintf("caller-%02d", i))
		}
		waiting, held := reg.limit.queued()
		require.Equal(t, 12, waiting)
		require.Equal(t, 2, held)

		// Let one call finish at a time, so that the caller its place goes
		// to starts before the next finishes.
		for range order {
			h.gate <- struct{}{}
			synctest.Wait()
		}
		wg.Wait()
		_, _, started := h.state()
		assert.Equal(t, order, started, "places are granted in arrival order")
	})
}

// goErr runs f in a goroutine and returns a channel that gets its error.
func goErr(f func() error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}

func TestRegistryBoundHonoursContext(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		reg, h := gateRegistry(t, true, 1)
		bg := context.Background()
		queued := func() int {
			synctest.Wait()
			n, _ := reg.limit.queued()
			return n
		}

		holder := goErr(func() error { _, err := reg.Hash(bg, "holder"); return err })
		require.Zero(t, queued())

		ctxA, cancelA := context.WithCancel(bg)
		a := goErr(func() error { _, _, err := reg.Verify(ctxA, "a", "{GATE}a"); return err })
		require.Equal(t, 1, queued())
		b := goErr(func() error { _, err := reg.Hash(bg, "b"); return err })
		require.Equal(t, 2, queued())
		ctxC, cancelC := context.WithTimeout(bg, time.Second)
		defer cancelC()
		c := goErr(func() error { _, err := reg.Hash(ctxC, "c"); return err })
		require.Equal(t, 3, queued())
		ctxD, cancelD := context.WithCancel(bg)
		d := goErr(func() error { _, err := reg.Dummy(ctxD); return err })
		require.Equal(t, 4, queued())

		cancelA()
		assert.ErrorIs(t, <-a, context.Canceled, "Verify returns ctx's error")
		assert.Equal(t, 3, queued(), "a left the queue")

		time.Sleep(2 * time.Second) // the bubble's clock: c's deadline passes
		assert.ErrorIs(t, <-c, context.DeadlineExceeded, "Hash returns ctx's error")
		assert.Equal(t, 2, queued(), "c left the queue")

		cancelD()
		assert.ErrorIs(t, <-d, context.Canceled, "Dummy returns ctx's error")
		assert.Equal(t, 1, queued(), "the dummy left the queue")

		// A Dummy call waiting for another one to make the hash honours
		// its ctx too.
		e := goErr(func() error { _, err := reg.Dummy(bg); return err })
		require.Equal(t, 2, queued())
		ctxF, cancelF := context.WithCancel(bg)
		f := goErr(func() error { _, err := reg.Dummy(ctxF); return err })
		synctest.Wait()
		cancelF()
		assert.ErrorIs(t, <-f, context.Canceled)

		close(h.gate)
		for _, ok := range []<-chan error{holder, b, e} {
			assert.NoError(t, <-ok)
		}
		_, maxSeen, started := h.state()
		assert.Equal(t, 1, maxSeen)
		require.Len(t, started, 3, "holder, b and the dummy ran; the cancelled callers never did")
		assert.Equal(t, []string{"holder", "b"}, started[:2])
		waiting, held := reg.limit.queued()
		assert.Zero(t, waiting)
		assert.Zero(t, held)
	})
}

func TestLimiterAbandon(t *testing.T) {
	t.Parallel()
	// abandon runs when a waiter's ctx is done; release may have granted
	// it the place just before. Waiters are queued by hand here, so that
	// the order of the two is not left to the scheduler.
	enqueue := func(l *limiter) (*list.Element, chan struct{}) {
		ready := make(chan struct{})
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.waiters.PushBack(ready), ready
	}
	closed := func(c chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	tests := []struct {
		name        string
		granted     bool // release ran before abandon
		behind      bool // another waiter is queued behind
		wantHeld    int
		wantWaiting int
	}{
		{"waiting, alone", false, false, 1, 0},
		{"waiting, one behind", false, true, 1, 1},
		{"granted, alone: the place is freed", true, false, 0, 0},
		{"granted, one behind: the place passes on", true, true, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := newLimiter(1)
			require.NoError(t, l.acquire(context.Background()))
			e, ready := enqueue(l)
			var next chan struct{}
			if tt.behind {
				_, next = enqueue(l)
			}
			if tt.granted {
				l.release()
				require.True(t, closed(ready))
			}
			l.abandon(e)
			waiting, held := l.queued()
			assert.Equal(t, tt.wantHeld, held)
			assert.Equal(t, tt.wantWaiting, waiting)
			if tt.behind {
				assert.Equal(t, tt.granted, closed(next), "the waiter behind has the place")
			}
		})
	}
}

func TestLimiterConcurrentStress(t *testing.T) {
	t.Parallel()
	// Real goroutines (no bubble), for the race detector: acquire with
	// contexts that are cancelled at random, and check the bound.
	const limit, workers, rounds = 3, 32, 200
	l := newLimiter(limit)
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				ctx, cancel := context.WithCancel(context.Background())
				if (w+i)%4 == 0 {
					go cancel()
				}
				if err := l.acquire(ctx); err != nil {
					assert.True(t, errors.Is(err, context.Canceled))
					cancel()
					continue
				}
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				runtime.Gosched()
				inside.Add(-1)
				l.release()
				cancel()
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, maxInside.Load(), int32(limit))
	waiting, held := l.queued()
	assert.Zero(t, waiting)
	assert.Zero(t, held)
}

// BenchmarkVerifyFlood verifies usher-v1 hashes (default parameters, 19
// MiB each) from 16 goroutines per CPU, with the default bound (one per
// CPU) and without one: the bound must not cost throughput (compare ns/op)
// while it keeps memory to a hash per CPU (compare peak-heap-MiB).
func BenchmarkVerifyFlood(b *testing.B) {
	for _, bc := range []struct {
		name string
		max  int
	}{{"bounded", 0}, {"unbounded", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			reg, err := NewRegistry("usher", Config{MaxConcurrentHashes: bc.max})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			enc, err := reg.Hash(ctx, benchPassword)
			if err != nil {
				b.Fatal(err)
			}
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var ms runtime.MemStats
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > peak.Load() {
							peak.Store(ms.HeapInuse)
						}
					}
				}
			}()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := reg.Verify(ctx, "wrong password", enc); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			close(stop)
			<-sampled
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}
