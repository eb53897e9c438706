package memstore

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"time"
)

// newID returns a new user ID: 6 bytes of milliseconds since 1970 then 10
// random bytes, in hex. IDs increase within the store even when the clock
// stands still or goes back. The caller holds the write lock.
func (s *Store) newID(now time.Time) (string, error) {
	for {
		var b [16]byte
		var ms [8]byte
		binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
		copy(b[:6], ms[2:])
		if _, err := io.ReadFull(s.rand, b[6:]); err != nil {
			return "", fmt.Errorf("memstore: new ID: %w", err)
		}
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
		id := hex.EncodeToString(b[:])
		if _, taken := s.users[id]; !taken {
			return id, nil
		}
	}
}

// randomID returns 16 random bytes in hex, for audit events.
func (s *Store) randomID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", fmt.Errorf("memstore: new ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
