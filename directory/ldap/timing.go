package ldap

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"
)

// How a refusal keeps from telling who exists.
//
// A domain controller works harder to refuse a wrong password for a real
// account (it loads the account, checks the password, counts the failure)
// than to refuse a bind as a DN that does not exist: on Samba AD 5.4–6.6 ms
// against 1.6–2.0 ms (medians). So binding as a placeholder DN for an
// unknown user is not enough. Two ways were weighed:
//
//   - a decoy account bound with a random wrong password costs the DC the
//     same work, but every unknown login then counts a failure against
//     the decoy, which the domain's lockout policy locks out (after which
//     its refusals are fast again), and it needs an account created and
//     configured for the purpose;
//   - padding: the source keeps the recent times of its refusals of wrong
//     passwords for real, enabled accounts (from the start of Authenticate
//     to the bind's refusal), and lets no refusal — unknown, out of scope,
//     disabled, expired, locked out (which the DC refuses faster than a
//     wrong password), nor a wrong password itself — end before the 75th
//     percentile of those times.
//
// The source pads. It needs no account, locks nothing, follows the DC as
// its load changes, and costs the DC nothing; the waiting goroutine holds
// no connection. Padding can only make a refusal slower, so aiming at the
// median would leave every path whose own time comes near it slower than
// the wrong passwords it imitates (the median of max(X, m) lies above m);
// aiming at the 75th percentile and padding wrong passwords too gives every
// path the same median, that percentile, for a quarter of a typical
// refusal's time more. The percentile is of the last refusalSamples
// refusals, so one slow bind moves it little. Until the source has seen a
// wrong password for a real account, refusals are not padded.
//
// Lookup pads the same way (to the 75th percentile of its Lookups that
// found their user), as a chain asks it after every refusal.

// refusalSamples is how many recent times the percentile is taken over.
const refusalSamples = 31

// ring holds the last refusalSamples durations.
type ring struct {
	samples [refusalSamples]time.Duration
	n, next int
}

func (r *ring) add(d time.Duration) {
	r.samples[r.next] = d
	r.next = (r.next + 1) % len(r.samples)
	r.n = min(r.n+1, len(r.samples))
}

// quantile returns the q-quantile (0 ≤ q < 1) of the recorded durations;
// ok is false when there are none.
func (r *ring) quantile(q float64) (time.Duration, bool) {
	if r.n == 0 {
		return 0, false
	}
	var buf [refusalSamples]time.Duration
	s := buf[:r.n]
	copy(s, r.samples[:r.n])
	slices.Sort(s)
	return s[int(q*float64(len(s)))], true
}

// padQuantile is the quantile of real accounts' times that padded
// operations end at.
const padQuantile = 0.75

// A sleeping goroutine wakes up late — by tens of microseconds on an idle
// machine, by a millisecond or more on a loaded one (the runtime's poller
// sleeps in whole milliseconds, and the OS may not run the thread at
// once) — which would make a padded refusal come later than the real ones
// it imitates. So a wait sets its timer early by the median lateness of
// earlier waits (at least minEarly), spends what is left in a loop that
// yields the processor (runtime.Gosched) until the moment has come, and
// aims early by the median of how far past their moment earlier waits
// ended. The yielding loop costs some CPU: about as much as timers wake
// late.

// minEarly is the least a timer is set early by.
const minEarly = 100 * time.Microsecond

// refusalTimer keeps the recent times an operation took for users who
// exist — Authenticate's refusal of a wrong password for a real, enabled
// account; a Lookup that finds its user — and pads operations to their
// 75th percentile. Safe for concurrent use.
type refusalTimer struct {
	mu    sync.Mutex
	times ring
	late  ring // how late timers woke
	over  ring // how far past its moment a wait ended
}

// add records how long the operation took for a real account, before any
// padding.
func (r *refusalTimer) add(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.times.add(d)
}

// target returns the time operations are padded to; ok is false when no
// time was recorded.
func (r *refusalTimer) target() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.times.quantile(padQuantile)
}

// pad waits until the target time has passed since start, or ctx ends.
func (r *refusalTimer) pad(ctx context.Context, start time.Time) {
	r.mu.Lock()
	m, ok := r.times.quantile(padQuantile)
	late, _ := r.late.quantile(0.5)
	over, _ := r.over.quantile(0.5)
	r.mu.Unlock()
	if !ok {
		return
	}
	deadline := start.Add(m - over)
	if time.Until(deadline) <= 0 {
		return
	}
	if d := time.Until(deadline) - max(late, minEarly); d > 0 {
		wake := time.Now().Add(d)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		r.mu.Lock()
		r.late.add(max(time.Since(wake), 0))
		r.mu.Unlock()
	}
	for time.Now().Before(deadline) && ctx.Err() == nil {
		runtime.Gosched()
	}
	r.mu.Lock()
	r.over.add(max(time.Since(deadline), 0))
	r.mu.Unlock()
}
