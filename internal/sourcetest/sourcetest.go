// Package sourcetest checks, for the tests of the directory sources, the
// contract of directory.ChangeSource's streams.
package sourcetest

import (
	"iter"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usher-sdk/usher/directory"
)

// DrainChanges reads a Changes stream asked for from cursor to its end and
// returns its entries and the final cursor. It fails tb unless every entry
// carries cursor and the element without an entry comes last and alone.
func DrainChanges(tb testing.TB, seq iter.Seq2[directory.Change, error], cursor string) ([]directory.Entry, string) {
	tb.Helper()
	var out []directory.Entry
	var last *directory.Change
	for c, err := range seq {
		require.NoError(tb, err)
		require.Nil(tb, last, "the element without an entry is the last")
		if c.Entry == nil {
			last = &c
			continue
		}
		assert.Equal(tb, cursor, c.Cursor, "an entry carries the cursor it was asked for")
		out = append(out, *c.Entry)
	}
	require.NotNil(tb, last, "a stream run to its end yields the final cursor")
	return out, last.Cursor
}
