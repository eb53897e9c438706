package activation

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// throttleCapacity is how many client addresses the batch-admin throttle
// remembers at most. At about 200 bytes an address (key, entry, list
// element and map slot; measured 183 for IPv4 keys, 195 for IPv6 /64s,
// somewhat more for the longest text keys), a full table holds some 2 MB,
// 2.5 MB at the very most; an attacker with
// more addresses than this pushes the least recently seen ones out, which
// forgets their failures but never grows the table.
const throttleCapacity = 10_000

// maxThrottleKey is the most bytes of a key that is not an IP address (a
// RemoteAddr in a form net/netip does not read), so that a key's size is
// bounded too.
const maxThrottleKey = 64

// throttle counts wrong batch-admin attempts per client address and blocks
// an address after limit of them, each within block of the one before, for
// block. It lives in memory: every Manager (and so every process) has its
// own. It is safe for concurrent use.
//
// An attempt is begun before the password is checked and ended with its
// outcome; attempts under way count against the limit, so that concurrent
// requests from one address cannot pass the limit between them.
type throttle struct {
	limit    int
	block    time.Duration
	capacity int

	mu      sync.Mutex
	entries map[string]*list.Element // of *throttleEntry
	lru     list.List                // most recently used at the front
}

// throttleEntry is one client address's state.
type throttleEntry struct {
	key          string
	failures     int       // wrong attempts in a row, each within block of the one before
	pending      int       // attempts begun and not yet ended
	last         time.Time // the latest wrong attempt
	blockedUntil time.Time // zero when not blocked
}

func newThrottle(limit int, block time.Duration, capacity int) *throttle {
	return &throttle{limit: limit, block: block, capacity: capacity, entries: map[string]*list.Element{}}
}

// expire forgets what no longer counts at now: an ended block, failures
// older than block.
func (t *throttle) expire(e *throttleEntry, now time.Time) {
	if !e.blockedUntil.IsZero() && !now.Before(e.blockedUntil) {
		e.blockedUntil, e.failures = time.Time{}, 0
	}
	if e.failures > 0 && now.Sub(e.last) >= t.block {
		e.failures = 0
	}
}

// idle reports whether e holds nothing that still counts.
func (t *throttle) idle(e *throttleEntry, now time.Time) bool {
	t.expire(e, now)
	return e.failures == 0 && e.pending == 0 && e.blockedUntil.IsZero()
}

// entry returns key's entry, made (and moved to the front) if need be.
// Making one first drops the idle entries at the back and, when the table
// is still full, the least recently used.
func (t *throttle) entry(key string, now time.Time) *throttleEntry {
	if el, ok := t.entries[key]; ok {
		t.lru.MoveToFront(el)
		return el.Value.(*throttleEntry)
	}
	for back := t.lru.Back(); back != nil; back = t.lru.Back() {
		if len(t.entries) < t.capacity && !t.idle(back.Value.(*throttleEntry), now) {
			break
		}
		t.remove(back)
	}
	e := &throttleEntry{key: key}
	t.entries[key] = t.lru.PushFront(e)
	return e
}

func (t *throttle) remove(el *list.Element) {
	delete(t.entries, el.Value.(*throttleEntry).key)
	t.lru.Remove(el)
}

// begin starts an attempt from key at now. When the address is blocked,
// or as many attempts as it has left are under way, it returns false and
// the end of the block (zero when not blocked); the attempt must then be
// refused without checking the password, and not be ended.
func (t *throttle) begin(key string, now time.Time) (ok bool, blockedUntil time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(key, now)
	t.expire(e, now)
	if !e.blockedUntil.IsZero() {
		return false, e.blockedUntil
	}
	if e.failures+e.pending >= t.limit {
		return false, time.Time{}
	}
	e.pending++
	return true, time.Time{}
}

// fail ends an attempt begun with begin as wrong. It returns the failures
// in a row and, when this one blocked the address, the end of the block.
func (t *throttle) fail(key string, now time.Time) (failures int, blockedUntil time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(key, now) // made anew if pushed out meanwhile
	e.pending = max(e.pending-1, 0)
	t.expire(e, now)
	e.failures++
	e.last = now
	if e.failures >= t.limit && e.blockedUntil.IsZero() {
		e.blockedUntil = now.Add(t.block)
		return e.failures, e.blockedUntil
	}
	return e.failures, time.Time{}
}

// succeed ends an attempt begun with begin as right: the address's
// failures are forgotten.
func (t *throttle) succeed(key string) {
	t.end(key, true)
}

// release ends an attempt begun with begin without a verdict (the check
// failed): nothing is counted.
func (t *throttle) release(key string) {
	t.end(key, false)
}

func (t *throttle) end(key string, reset bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, ok := t.entries[key]
	if !ok {
		return
	}
	e := el.Value.(*throttleEntry)
	e.pending = max(e.pending-1, 0)
	if reset {
		e.failures = 0
	}
	if e.pending == 0 && e.failures == 0 && e.blockedUntil.IsZero() {
		t.remove(el)
	}
}

// size returns how many addresses the table holds.
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// throttleKey is the throttle's key for a client address: an IPv4
// address whole, an IPv6 address by its /64 (what one subscriber is
// usually given, so that one cannot walk through 2^64 keys), anything
// else as text, cut to maxThrottleKey bytes.
func throttleKey(remote string) string {
	a, err := netip.ParseAddr(remote)
	if err != nil {
		if len(remote) > maxThrottleKey {
			remote = remote[:maxThrottleKey]
		}
		return remote
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
