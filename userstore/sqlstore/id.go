package sqlstore

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// newID returns a new user ID: 6 bytes of milliseconds since 1970 then 10
// random bytes, in hex, so that IDs sort roughly by creation time (which
// keeps the primary-key index compact). IDs increase within the Store even
// when the clock stands still or goes back; across processes the random
// part keeps them unique.
func (s *Store) newID(now time.Time) string {
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(b[:6], ms[2:])
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails
	s.idMu.Lock()
	defer s.idMu.Unlock()
	if bytes.Compare(b[:], s.lastID[:]) <= 0 {
		b = s.lastID
		for i := len(b) - 1; i >= 0; i-- {
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	}
	s.lastID = b
	return hex.EncodeToString(b[:])
}

// randomID returns 16 random bytes in hex, for audit events.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
