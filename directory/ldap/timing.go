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
//   - padding: the source keeps a running median of how long its refusals
//     of wrong passwords for real, enabled accounts took (from the start
//     of Authenticate to the bind's refusal), and refuses every other
//     login — unknown, out of scope, disabled, expired, locked out (which
//     the DC refuses faster than a wrong password) — no sooner than that.
//
// The source pads. It needs no account, locks nothing, follows the DC as
// its load changes, and costs the DC nothing; the waiting goroutine holds
// no connection (the final yielding loop costs some CPU: about as much as
// timers wake late). The median is of the last refusalSamples refusals, so one
// slow bind moves it little; the end of a wait is spent yielding in a
// loop rather than on a timer, which wakes up late (see minEarly). Until the source has seen a wrong password for a real
// account, other refusals are not padded.

// refusalSamples is how many recent refusals the median is taken over.
const refusalSamples = 31

// ring is a running median of durations over the last refusalSamples.
type ring struct {
	samples [refusalSamples]time.Duration
	n, next int
}

func (r *ring) add(d time.Duration) {
	r.samples[r.next] = d
	r.next = (r.next + 1) % len(r.samples)
	r.n = min(r.n+1, len(r.samples))
}

func (r *ring) median() (time.Duration, bool) {
	if r.n == 0 {
		return 0, false
	}
	var buf [refusalSamples]time.Duration
	s := buf[:r.n]
	copy(s, r.samples[:r.n])
	slices.Sort(s)
	return s[len(s)/2], true
}

// A sleeping goroutine wakes up late — by tens of microseconds on an idle
// machine, by a millisecond or more on a loaded one (the runtime's poller
// sleeps in whole milliseconds, and the OS may not run the thread at
// once) — which would make a padded refusal come later than the real ones
// it imitates. So a wait sets its timer early by the median lateness of
// earlier waits (at least minEarly), and spends what is left in a loop
// that yields the processor (runtime.Gosched) until the moment has come.

// minEarly is the least a timer is set early by.
const minEarly = 100 * time.Microsecond

// refusalTimer is a running median of the time an operation takes for a
// user who exists — Authenticate's refusal of a wrong password for a real,
// enabled account; a Lookup that finds its user — to which the answers for
// users who do not are padded, and of how late its timers wake. Safe for
// concurrent use.
type refusalTimer struct {
	mu    sync.Mutex
	times ring
	late  ring
}

// add records how long the operation took for a real account.
func (r *refusalTimer) add(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.times.add(d)
}

// median returns the median of the recorded times; ok is false when none
// was recorded.
func (r *refusalTimer) median() (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.times.median()
}

// pad waits until the median time has passed since start, or ctx ends.
func (r *refusalTimer) pad(ctx context.Context, start time.Time) {
	r.mu.Lock()
	m, ok := r.times.median()
	late, _ := r.late.median()
	r.mu.Unlock()
	if !ok {
		return
	}
	deadline := start.Add(m)
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
}
