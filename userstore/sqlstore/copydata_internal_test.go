package sqlstore

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCopyRows: what copyRows makes as it is read, in reads of any size,
// is the header, each row as copyData encodes it and the trailer; the
// same copyRows serves the next COPY.
func TestCopyRows(t *testing.T) {
	encode := func(c *copyData, i int) {
		c.row(3)
		c.text("realm", strings.Repeat("x", i*97%3000))
		c.int8(int64(i))
	}
	var r copyRows
	for _, n := range []int{0, 1, 3, 500} {
		var want copyData
		want.header()
		for i := range n {
			encode(&want, i)
		}
		want.trailer()

		r.start(n, encode)
		got, err := io.ReadAll(iotest.OneByteReader(&r))
		require.NoError(t, err)
		assert.Equal(t, want.b, got, "%d rows, a byte at a time", n)

		r.start(n, encode)
		require.NoError(t, iotest.TestReader(&r, want.b), "%d rows", n)
	}
}

// TestCopyRowsTooLong: a value no field can hold ends the COPY with an
// error that says so.
func TestCopyRowsTooLong(t *testing.T) {
	r := copyRows{n: 2, encode: func(c *copyData, i int) {
		c.row(1)
		if i == 1 {
			c.tooLong = true // what text sets for a value over 2 GiB
		}
		c.text("v")
	}}
	_, err := io.ReadAll(&r)
	require.ErrorIs(t, err, errCopyTooLong)
}
