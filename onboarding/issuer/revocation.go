package issuer

import (
	"context"
	"math/big"
	"slices"
	"sync"
	"time"
)

// Revocation is one revoked certificate.
type Revocation struct {
	Serial    *big.Int  // the certificate's serial number
	RevokedAt time.Time // when it was revoked
}

// RevocationStore records revoked serial numbers for [LocalCA], which reads
// them back to build its CRL. [MemoryRevocations] keeps them in memory; the
// SQL implementation on the shared database comes with the onboarding
// store, so that revocations survive restarts and every server process
// publishes the same CRL.
//
// Implementations must be safe for concurrent use.
type RevocationStore interface {
	// AddRevocation records r. Adding a serial that is already recorded
	// keeps the first RevokedAt and is not an error.
	AddRevocation(ctx context.Context, r Revocation) error
	// Revocations returns every recorded revocation, in any order.
	Revocations(ctx context.Context) ([]Revocation, error)
}

// MemoryRevocations is a [RevocationStore] in process memory: revocations
// are lost when the process ends. Its zero value is ready to use, and it is
// safe for concurrent use.
type MemoryRevocations struct {
	mu   sync.Mutex
	revs map[string]Revocation
}

// AddRevocation records r unless its serial is already recorded.
func (m *MemoryRevocations) AddRevocation(ctx context.Context, r Revocation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.revs == nil {
		m.revs = make(map[string]Revocation)
	}
	key := r.Serial.String()
	if _, ok := m.revs[key]; !ok {
		m.revs[key] = Revocation{Serial: new(big.Int).Set(r.Serial), RevokedAt: r.RevokedAt}
	}
	return nil
}

// Revocations returns the recorded revocations, oldest first.
func (m *MemoryRevocations) Revocations(ctx context.Context) ([]Revocation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	out := make([]Revocation, 0, len(m.revs))
	for _, r := range m.revs {
		out = append(out, Revocation{Serial: new(big.Int).Set(r.Serial), RevokedAt: r.RevokedAt})
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Revocation) int {
		if c := a.RevokedAt.Compare(b.RevokedAt); c != 0 {
			return c
		}
		return a.Serial.Cmp(b.Serial)
	})
	return out, nil
}

var _ RevocationStore = (*MemoryRevocations)(nil)
