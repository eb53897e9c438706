package hasher

import (
	"container/list"
	"context"
	"sync"
)

// limiter lets at most limit callers hold a place at once and queues the
// others in arrival order. A place freed by release goes straight to the
// first waiter, and no caller takes a free place while others wait, so
// places are granted strictly first come, first served: a bare channel
// semaphore does not promise that order to the goroutines blocked on it.
//
// A nil *limiter bounds nothing. A limiter is safe for concurrent use.
type limiter struct {
	mu      sync.Mutex
	limit   int
	held    int       // places held, at most limit
	waiters list.List // of chan struct{}, closed when the place is granted
}

// newLimiter returns a limiter of n places, or nil (no bound) when n is not
// positive.
func newLimiter(n int) *limiter {
	if n <= 0 {
		return nil
	}
	return &limiter{limit: n}
}

// acquire waits for a place, in arrival order. It returns ctx.Err(),
// without a place, when ctx is done before or while it waits; a waiter
// that gives up leaves the queue at once, and a place granted to it as it
// gave up passes on to the next waiter. Every nil return must be followed
// by one release.
func (l *limiter) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.held < l.limit && l.waiters.Len() == 0 {
		l.held++
		l.mu.Unlock()
		return nil
	}
	ready := make(chan struct{})
	e := l.waiters.PushBack(ready)
	l.mu.Unlock()

	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		l.abandon(e)
		return ctx.Err()
	}
}

// abandon takes the waiter e, whose ctx is done, out of the queue. When a
// place was granted to it meanwhile (release ran between ctx's end and
// abandon), the place passes on as release would.
func (l *limiter) abandon(e *list.Element) {
	ready := e.Value.(chan struct{})
	l.mu.Lock()
	select {
	case <-ready:
		l.mu.Unlock()
		l.release()
	default:
		l.waiters.Remove(e)
		l.mu.Unlock()
	}
}

// release frees a place that acquire granted, giving it to the first
// waiter if there is one.
func (l *limiter) release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.waiters.Front(); e != nil {
		close(l.waiters.Remove(e).(chan struct{})) // the place changes hands; held is unchanged
		return
	}
	l.held--
}

// admit waits, when h is memory-hard, for a place to run h, and returns the
// function that frees it. It returns ctx.Err() when ctx is done first.
func (r *Registry) admit(ctx context.Context, h Hasher) (release func(), err error) {
	if mh, ok := h.(MemoryHardHasher); !ok || !mh.MemoryHard() || r.limit == nil {
		return func() {}, ctx.Err()
	}
	if err := r.limit.acquire(ctx); err != nil {
		return nil, err
	}
	return r.limit.release, nil
}
