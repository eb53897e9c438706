// Package ids makes the IDs of Usher's stores: time-ordered record IDs and
// random event IDs, both 32 lower-case hex digits.
package ids

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"
)

// Sequence makes time-ordered IDs: 6 bytes of milliseconds since 1970 then
// 10 random bytes, in hex, so that IDs sort roughly by creation time (which
// keeps a primary-key index compact). IDs of one Sequence increase even
// when the clock stands still or goes back; across Sequences (and
// processes) the random part keeps them unique. The zero value is ready
// and safe for concurrent use.
type Sequence struct {
	mu   sync.Mutex
	last [16]byte
}

// Next returns the next ID for the time now, with its random part read
// from r (crypto/rand.Reader in production).
func (s *Sequence) Next(now time.Time, r io.Reader) (string, error) {
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(now.UnixMilli()))
	copy(b[:6], ms[2:])
	if _, err := io.ReadFull(r, b[6:]); err != nil {
		return "", fmt.Errorf("new ID: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if bytes.Compare(b[:], s.last[:]) <= 0 {
		b = s.last
		for i := len(b) - 1; i >= 0; i-- {
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	}
	s.last = b
	return hex.EncodeToString(b[:]), nil
}

// Random returns 16 bytes read from r, in hex, for IDs that need no order
// (audit events).
func Random(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("new ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
