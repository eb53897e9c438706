package sms

import (
	"context"
	"crypto/subtle"
	"sync"
	"time"
)

// CodeRecord is what a [CodeStore] keeps for one outstanding code. It
// holds no code, only its keyed hash.
type CodeRecord struct {
	// Hash is the HMAC-SHA-256 of the code, bound to the key and phone.
	Hash []byte
	// Phone is the E.164 number the code was sent to.
	Phone string
	// IssuedAt is when the code was issued; the resend throttle counts
	// from it.
	IssuedAt time.Time
	// ExpiresAt is when the code stops being accepted.
	ExpiresAt time.Time
	// AttemptsLeft is how many more verifications may be tried.
	AttemptsLeft int
}

// CodeStore keeps at most one [CodeRecord] per key. Implementations must
// be safe for concurrent use and make each method atomic: that is what
// keeps concurrent wrong guesses within the attempt limit and a code
// single use. [MemStore] is the in-memory implementation; the SQL one
// comes with the onboarding package's store. smstest.RunCodeStore checks
// an implementation against this contract.
type CodeStore interface {
	// Replace stores rec under key, replacing any record there, unless
	// the existing record was issued after notIssuedAfter; then it
	// stores nothing and reports false (the resend throttle).
	Replace(ctx context.Context, key string, rec CodeRecord, notIssuedAfter time.Time) (bool, error)
	// Attempt takes one attempt from the record under key and returns
	// the record as it is after that. It returns [ErrNoCode] when there
	// is no record and [ErrAttemptsExhausted] (changing nothing) when no
	// attempts are left.
	Attempt(ctx context.Context, key string) (CodeRecord, error)
	// Delete removes the record under key if its Hash equals hash and
	// reports whether it did; of two callers only one sees true.
	Delete(ctx context.Context, key string, hash []byte) (bool, error)
}

// MemStore is an in-memory [CodeStore] for tests and single-process
// servers. Its zero value is ready; it is safe for concurrent use. It
// never evicts expired records on its own: a record lives until it is
// replaced, used or deleted.
type MemStore struct {
	mu      sync.Mutex
	records map[string]CodeRecord
}

// Replace implements [CodeStore].
func (m *MemStore) Replace(ctx context.Context, key string, rec CodeRecord, notIssuedAfter time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.records[key]; ok && old.IssuedAt.After(notIssuedAfter) {
		return false, nil
	}
	if m.records == nil {
		m.records = make(map[string]CodeRecord)
	}
	rec.Hash = append([]byte(nil), rec.Hash...)
	m.records[key] = rec
	return true, nil
}

// Attempt implements [CodeStore].
func (m *MemStore) Attempt(ctx context.Context, key string) (CodeRecord, error) {
	if err := ctx.Err(); err != nil {
		return CodeRecord{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.records[key]
	if !ok {
		return CodeRecord{}, ErrNoCode
	}
	if rec.AttemptsLeft <= 0 {
		return CodeRecord{}, ErrAttemptsExhausted
	}
	rec.AttemptsLeft--
	m.records[key] = rec
	rec.Hash = append([]byte(nil), rec.Hash...)
	return rec, nil
}

// Delete implements [CodeStore].
func (m *MemStore) Delete(ctx context.Context, key string, hash []byte) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.records[key]
	if !ok || subtle.ConstantTimeCompare(rec.Hash, hash) != 1 {
		return false, nil
	}
	delete(m.records, key)
	return true, nil
}

var _ CodeStore = (*MemStore)(nil)
