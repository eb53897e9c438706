package ldap

import (
	"context"
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
//     of real accounts took (from the start of Authenticate to the bind's
//     refusal), and refuses an unknown or out-of-scope login no sooner
//     than that.
//
// The source pads. It needs no account, locks nothing, follows the DC as
// its load changes, and costs the DC nothing; the waiting goroutine holds
// no connection. The median is of the last refusalSamples refusals, so one
// slow bind moves it little. Until the source has seen a refused bind of a
// real account, an unknown login is refused after the placeholder bind
// alone.

// refusalSamples is how many recent refusals the median is taken over.
const refusalSamples = 31

// refusalTimer is a running median of refusal times. Safe for concurrent
// use.
type refusalTimer struct {
	mu      sync.Mutex
	samples [refusalSamples]time.Duration
	n, next int
}

// add records how long a refusal of a real account took.
func (r *refusalTimer) add(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples[r.next] = d
	r.next = (r.next + 1) % len(r.samples)
	r.n = min(r.n+1, len(r.samples))
}

// median returns the median of the recorded refusals; ok is false when
// none was recorded.
func (r *refusalTimer) median() (time.Duration, bool) {
	r.mu.Lock()
	var buf [refusalSamples]time.Duration
	s := buf[:r.n]
	copy(s, r.samples[:r.n])
	r.mu.Unlock()
	if len(s) == 0 {
		return 0, false
	}
	slices.Sort(s)
	return s[len(s)/2], true
}

// pad waits until the median refusal time has passed since start, or ctx
// ends.
func (r *refusalTimer) pad(ctx context.Context, start time.Time) {
	m, ok := r.median()
	if !ok {
		return
	}
	wait := m - time.Since(start)
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
