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

// newGroupID returns a new group ID, 32 lower-case hex digits, that no
// group has: random, or from a counter when the random source fails (a
// group ID is no secret, and a write that creates groups among others must
// not fail half-way). The caller holds the write lock.
func (s *Store) newGroupID() string {
	for {
		id, err := ids.Random(s.rand)
		if err != nil {
			s.groupSeq++
			id = fmt.Sprintf("%032x", s.groupSeq)
		}
		if _, taken := s.groupIDs[id]; !taken {
			return id
		}
	}
}
