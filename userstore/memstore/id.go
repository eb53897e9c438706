package memstore

import (
	"fmt"
	"time"

	"github.com/usher-sdk/usher/internal/ids"
)

// newID returns a new, time-ordered user ID (see ids.Sequence) that no
// user has. The caller holds the write lock.
func (s *Store) newID(now time.Time) (string, error) {
	for {
		id, err := s.idSeq.Next(now, s.rand)
		if err != nil {
			return "", fmt.Errorf("memstore: %w", err)
		}
		if _, taken := s.users[id]; !taken {
			return id, nil
		}
	}
}

// randomID returns 16 random bytes in hex, for audit events.
func (s *Store) randomID() (string, error) {
	id, err := ids.Random(s.rand)
	if err != nil {
		return "", fmt.Errorf("memstore: %w", err)
	}
	return id, nil
}
