package sqlstore

import (
	"crypto/rand"
	"time"

	"github.com/usher-sdk/usher/internal/ids"
)

// newID returns a new, time-ordered user ID (see ids.Sequence).
func (s *Store) newID(now time.Time) string {
	id, _ := s.ids.Next(now, rand.Reader) // crypto/rand.Reader never fails
	return id
}

// randomID returns 16 random bytes in hex, for audit events.
func randomID() string {
	id, _ := ids.Random(rand.Reader)
	return id
}
