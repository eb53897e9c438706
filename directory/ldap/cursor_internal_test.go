package ldap

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	csnA = "20261202001901.404812Z#000000#000#000000"
	csnB = "20261202001901.404812Z#000001#000#000000" // A's microsecond, the next change
	csnC = "20261202001931.000000Z#000000#002#000003"
)

func TestParseCursor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want position
	}{
		{"csn>=" + csnA, position{csn: csnA}},
		{"csn>" + csnB, position{csn: csnB, after: true}},
		{"csn>" + csnC, position{csn: csnC, after: true}},
		// The cursor of earlier versions: from the start of its second.
		{"20261123101337Z", position{csn: "20261123101337.000000Z#000000#000#000000"}},
	} {
		got, err := parseCursor(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		if strings.HasPrefix(tc.in, "csn") {
			assert.Equal(t, tc.in, got.String(), "round trip")
		}
	}
	for _, bad := range []string{"", "csn>", "csn>=", csnA, "csn=" + csnA, "csn>=" + csnA + " ", "csn>=20261202001901.404812Z#00000A#000#000000",
		"csn>20261202001901.404812Z#000000#000#00000g", "csn>20261302001901.404812Z#000000#000#000000",
		"csn>20261202001901,404812Z#000000#000#000000", "csn>20261202001901.404812Z#000000#0000#00000",
		"2026112310133Z", "20261123101337", "20261123101337Z)(uid=*", "csn>=" + csnA + ")(uid=*",
		strings.Repeat("9", 100)} {
		_, err := parseCursor(bad)
		assert.ErrorIs(t, err, errCursor, "%q", bad)
	}
}

func TestCSNOrder(t *testing.T) {
	assert.Less(t, csnA, csnB, "same microsecond, the later change")
	assert.Less(t, csnB, csnC)
	assert.Equal(t, csnAt(csnTime(csnB)), csnA, "csnAt is the lowest of its microsecond")
	assert.Equal(t, csnTime(csnA), time.Date(2026, 12, 2, 0, 19, 1, 404812000, time.UTC))
	assert.Equal(t, "20261202001901Z", position{csn: csnA}.second())
}

func TestNextPosition(t *testing.T) {
	const margin = 30 * time.Second
	at := func(s string) time.Time { return csnTime(s) }
	fromA := &position{csn: csnA}
	afterA := &position{csn: csnA, after: true}
	const busy = busySecond
	nextSecondOfA := "20261202001902.000000Z#000000#000#000000"
	for _, tc := range []struct {
		name  string
		from  *position
		high  string
		n     int // entries seen in high's second
		start time.Time
		want  position
	}{
		{"the highest change is older than the margin: right after it",
			nil, csnA, 1, at(csnA).Add(time.Hour), position{csn: csnA, after: true}},
		{"just older than the margin",
			fromA, csnB, 2, at(csnB).Add(margin + time.Microsecond), position{csn: csnB, after: true}},
		{"a busy second (a bulk load's last) wholly before the bound: from the next second",
			nil, csnA, busy, at(csnA).Add(time.Hour), position{csn: nextSecondOfA}},
		{"a busy second that ends at the bound: from the next second",
			fromA, csnB, busy + 5000, csnTime(nextSecondOfA).Add(margin), position{csn: nextSecondOfA}},
		{"a busy second that ends after the bound: right after the highest change",
			nil, csnA, busy, csnTime(nextSecondOfA).Add(margin - time.Microsecond), position{csn: csnA, after: true}},
		{"a second not busy enough: right after the highest change",
			nil, csnA, busy - 1, at(csnA).Add(time.Hour), position{csn: csnA, after: true}},
		{"a change within the margin: back by the margin",
			nil, csnC, 1, at(csnC).Add(time.Second), position{csn: csnAt(at(csnC).Add(time.Second - margin))}},
		{"a busy second within the margin: back by the margin",
			nil, csnC, busy, at(csnC).Add(time.Second), position{csn: csnAt(at(csnC).Add(time.Second - margin))}},
		{"a change made while the stream ran: back by the margin from its start",
			nil, csnC, 1, at(csnC).Add(-time.Minute), position{csn: csnAt(at(csnC).Add(-time.Minute - margin))}},
		{"back by the margin, but not before the cursor asked for",
			afterA, csnB, 1, at(csnB).Add(time.Second), *afterA},
		{"from a cursor within the margin, a change past it",
			fromA, csnC, 1, at(csnC).Add(20 * time.Second), position{csn: csnAt(at(csnC).Add(20*time.Second - margin))}},
		{"from a cursor within the margin, a change just past it",
			fromA, csnC, 1, at(csnC), *fromA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nextPosition(tc.from, tc.high, tc.n, tc.start, margin)
			assert.Equal(t, tc.want, got)
			if tc.from != nil {
				assert.GreaterOrEqual(t, got.csn, tc.from.csn, "never back before the cursor")
			}
			switch {
			case tc.from != nil && got == *tc.from:
			case got.after:
				assert.Equal(t, tc.high, got.csn, "only right after the highest change seen")
			case got.csn > tc.high:
				// Past what the stream saw only to the next whole second,
				// and only within the bound.
				assert.GreaterOrEqual(t, tc.n, busySecond)
				assert.Equal(t, csnAt(csnTime(tc.high).Truncate(time.Second).Add(time.Second)), got.csn)
				assert.LessOrEqual(t, got.csn, csnAt(tc.start.Add(-margin)))
			}
		})
	}
}

// FuzzParseCursor: a stored cursor is outside input. Whatever it is,
// parsing neither panics nor accepts what it would not write back, and
// what it accepts is safe in a filter.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"csn>=" + csnA, "csn>" + csnB, "20261123101337Z", "", "csn>", "20261123101337Z)(uid=*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseCursor(s)
		if err != nil {
			return
		}
		require.True(t, validCSN(p.csn))
		require.LessOrEqual(t, len(p.String()), maxCursorLen)
		require.NotContainsf(t, p.csn+p.second(), "(", "filter-safe")
		require.NotContainsf(t, p.csn+p.second(), ")", "filter-safe")
		require.NotContainsf(t, p.csn+p.second(), "*", "filter-safe")
		require.NotContainsf(t, p.csn+p.second(), "\\", "filter-safe")
		if strings.HasPrefix(s, "csn") {
			require.Equal(t, s, p.String())
		} else {
			require.Equal(t, s, p.second(), "a modifyTimestamp cursor keeps its second")
		}
	})
}

// TestHighest: whatever order a stream sees entries in, highest ends at
// the highest CSN and the number of entries of its second.
func TestHighest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := csnTime(csnA).Truncate(time.Second)
	for round := range 200 {
		var csns []string
		for range 1 + rng.IntN(50) {
			at := base.Add(time.Duration(rng.IntN(4)) * time.Second).Add(time.Duration(rng.IntN(1_000_000)) * time.Microsecond)
			csns = append(csns, csnAt(at))
		}
		if round%2 == 0 {
			csns = append(csns, "", "not a CSN")
		}
		rng.Shuffle(len(csns), func(i, j int) { csns[i], csns[j] = csns[j], csns[i] })
		var h highest
		for _, c := range csns {
			h.see(c)
		}
		valid := slices.DeleteFunc(slices.Clone(csns), func(c string) bool { return !validCSN(c) })
		want := slices.Max(valid)
		n := 0
		for _, c := range valid {
			if c[:14] == want[:14] {
				n++
			}
		}
		require.Equal(t, want, h.csn, "round %d", round)
		require.Equal(t, n, h.n, "round %d: entries of the highest CSN's second", round)
	}
	var none highest
	none.see("")
	assert.Equal(t, highest{}, none)
}
