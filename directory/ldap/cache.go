package ldap

import (
	"sync"
	"time"
)

// cached holds one value read from the server and reads it again once it
// is older than the source's Config.GroupRefresh. Concurrent callers that
// find it stale wait for one read rather than each making their own; a
// failed read is not kept, so the next caller tries again.
type cached[T any] struct {
	mu  sync.Mutex
	val T
	at  time.Time
	ok  bool
}

// get returns the value, loading it first when it is missing or older
// than ttl at now.
func (c *cached[T]) get(now time.Time, ttl time.Duration, load func() (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && now.Sub(c.at) < ttl && !now.Before(c.at) {
		return c.val, nil
	}
	v, err := load()
	if err != nil {
		var zero T
		return zero, err
	}
	c.val, c.at, c.ok = v, now, true
	return v, nil
}

// peek returns the value if one was loaded, however old.
func (c *cached[T]) peek() (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.val, c.ok
}
