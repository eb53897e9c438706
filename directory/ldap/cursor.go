package ldap

import (
	"errors"
	"strings"
	"time"
)

// The cursor of Changes outside Active Directory mode, in one of three
// forms (opaque to callers, at most maxCursorLen bytes):
//
//	csn>20261202001901.404812Z#000000#000#000000   entries whose entryCSN is above it
//	csn>=20261202001831.404812Z#000000#000#000000  entries whose entryCSN is it or above
//	20261123101337Z                                entries whose modifyTimestamp is it or later
//
// The last is the cursor of earlier versions, and still what a server that
// keeps no entryCSN gets.
const (
	cursorAfter  = "csn>"
	cursorFrom   = "csn>="
	maxCursorLen = len(cursorFrom) + csnLen

	// csnTimeLayout is the time at the head of an OpenLDAP CSN.
	csnTimeLayout = "20060102150405.000000Z"
	// csnLen is the length of a CSN: time, change count, server ID
	// (SID) and modification number, YYYYmmddHHMMSS.uuuuuuZ#cccccc#sss#mmmmmm.
	csnLen = len(csnTimeLayout) + len("#000000#000#000000")
)

// errCursor is what parseCursor returns for anything but a cursor.
var errCursor = errors.New("not a cursor of this source")

// position is where a stream of Changes starts: the entries whose entryCSN
// is csn or above (after false), or above it (after true).
type position struct {
	csn   string // a valid CSN (validCSN)
	after bool
}

// String returns the position as a cursor.
func (p position) String() string {
	if p.after {
		return cursorAfter + p.csn
	}
	return cursorFrom + p.csn
}

// second returns the generalized time of the second the position falls
// in: every entry at the position or after it has a modifyTimestamp of
// that second or later.
func (p position) second() string { return p.csn[:14] + "Z" }

// parseCursor reads a cursor of Changes outside Active Directory mode. A
// cursor of earlier versions (a modifyTimestamp) is the position at the
// start of its second. It refuses anything else.
func parseCursor(s string) (position, error) {
	if len(s) > maxCursorLen {
		return position{}, errCursor
	}
	if c, ok := strings.CutPrefix(s, cursorFrom); ok && validCSN(c) {
		return position{csn: c}, nil
	}
	if c, ok := strings.CutPrefix(s, cursorAfter); ok && validCSN(c) {
		return position{csn: c, after: true}, nil
	}
	if t, err := time.Parse(generalizedTime, s); err == nil && len(s) == len(generalizedTime) {
		return position{csn: csnAt(t)}, nil
	}
	return position{}, errCursor
}

// validCSN reports whether s is an OpenLDAP CSN in its fixed form
// (csnLen bytes, lower-case hex counters). Such CSNs order as strings do,
// as OpenLDAP's csnOrderingMatch orders them.
func validCSN(s string) bool {
	if len(s) != csnLen {
		return false
	}
	head := len(csnTimeLayout)
	for i := range head {
		c := s[i]
		switch i {
		case 14:
			if c != '.' {
				return false
			}
		case head - 1:
			if c != 'Z' {
				return false
			}
		default:
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	for i, c := range []byte(s[head:]) {
		switch i {
		case 0, 7, 11:
			if c != '#' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	_, err := time.Parse(csnTimeLayout, s[:head])
	return err == nil
}

// csnTime returns the time of a valid CSN.
func csnTime(c string) time.Time {
	t, _ := time.Parse(csnTimeLayout, c[:len(csnTimeLayout)])
	return t
}

// csnAt returns the lowest CSN of t's microsecond.
func csnAt(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(csnTimeLayout) + "#000000#000#000000"
}

// highest keeps the highest entryCSN a stream saw, and how many of the
// entries it saw were of that CSN's second.
type highest struct {
	csn string
	n   int
}

// see counts an entry's entryCSN (anything but a valid CSN is left out).
func (h *highest) see(v string) {
	switch {
	case !validCSN(v):
	case v > h.csn:
		// An entry seen before in v's second, had it been later than
		// h.csn, would have been the highest itself: none was.
		if h.csn != "" && v[:14] == h.csn[:14] {
			h.n++
		} else {
			h.n = 1
		}
		h.csn = v
	case v[:14] == h.csn[:14]:
		h.n++
	}
}

// busySecond is how many entries the stream must have seen in the second
// of the highest entryCSN before the next stream may start at the next
// second instead of right after it (nextPosition).
const busySecond = 1000

// nextPosition returns where the stream after one that started at from
// (nil: from the beginning) at start, by the source's clock, and saw
// the highest entryCSN high, and n entries of high's second, should start,
// so that it misses no change and gives again as few as it can. (A stream
// that saw nothing keeps its cursor: a position taken from the clock alone
// could be ahead of the server's.)
//
// A change the stream may have missed is one that was not yet visible
// when the stream began: a paged search is no snapshot, so a change made
// while it ran may be behind the page it was reading, and slapd stamps a
// write before it takes the database's write lock, so writes may become
// visible out of order. Such a change's CSN is no lower than the server's
// time at the stream's start less the longest a write takes to become
// visible, which margin (Config.ChangeMargin) bounds together with how far
// the source's clock may run ahead of the server's: start less margin is
// the bound. If it is above high, the next stream starts right after high;
// else at the bound (giving again what was seen after it), which is below
// high, or at from if that is later, since everything before from was seen
// by earlier streams.
//
// Right after high, slapd still looks at every entry of high's second
// (its modifyTimestamp index counts in seconds, and entryCSN is seldom
// indexed, nor usable beyond the second when it is): after a bulk load,
// thousands of them (10,000–14,000 for slapadd of 100,000 users here). So
// when the stream saw at least busySecond entries of that second, and the
// whole second is before the bound, the next stream starts at the next
// second: a change stamped in the rest of it was visible when the stream
// began, and so seen. This leans on the margin for one second more than
// starting right after high does, and only then: with a clock further
// ahead of the server's than the margin (outside what Changes relies on),
// a change stamped right after the stream, in high's second, would be
// missed.
func nextPosition(from *position, high string, n int, start time.Time, margin time.Duration) position {
	r := csnAt(start.Add(-margin))
	if r > high {
		if next := csnAt(csnTime(high).Truncate(time.Second).Add(time.Second)); n >= busySecond && next <= r {
			return position{csn: next}
		}
		return position{csn: high, after: true}
	}
	if from != nil && r <= from.csn {
		return *from
	}
	return position{csn: r}
}
