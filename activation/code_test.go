package activation

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chachaReader is a deterministic random source for reproducible tests.
type chachaReader struct{ r *rand.ChaCha8 }

func newSeeded(seed byte) *chachaReader {
	var s [32]byte
	s[0] = seed
	return &chachaReader{rand.NewChaCha8(s)}
}

func (c *chachaReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestGenerateCodeAlphabetAndLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{6, 12, 17, 64} {
		code, err := generateCode(newSeeded(byte(n)), n)
		require.NoError(t, err)
		assert.Len(t, code, n)
		for _, c := range code {
			assert.True(t, strings.ContainsRune(alphabet, c), "character %q outside the alphabet", c)
		}
	}
}

// TestGenerateCodeUniform draws 280,000 characters from a seeded source and
// checks their counts with Pearson's chi-squared test: with 27 degrees of
// freedom, the statistic exceeds 55.48 with probability 0.001 for a
// uniform source. A modulo-biased draw (byte % 28 without rejection) gives
// the first 4 characters 10/9 of their share and fails it by far.
func TestGenerateCodeUniform(t *testing.T) {
	t.Parallel()
	const draws = 280_000
	code, err := generateCode(newSeeded(1), draws)
	require.NoError(t, err)
	counts := map[rune]int{}
	for _, c := range code {
		counts[c]++
	}
	require.Len(t, counts, len(alphabet))
	assert.Less(t, chiSquared(counts, draws), 55.48)

	// The same statistic on a modulo-biased draw, to show the test has teeth.
	biased := map[rune]int{}
	src := newSeeded(1)
	buf := make([]byte, draws)
	_, _ = src.Read(buf)
	for _, b := range buf {
		biased[rune(alphabet[int(b)%len(alphabet)])]++
	}
	assert.Greater(t, chiSquared(biased, draws), 55.48)
}

func chiSquared(counts map[rune]int, n int) float64 {
	want := float64(n) / float64(len(alphabet))
	var x float64
	for _, c := range alphabet {
		d := float64(counts[c]) - want
		x += d * d / want
	}
	return x
}

// TestGenerateCodeRejectsHighBytes feeds only bytes that must be rejected
// (252..255) followed by a usable one and checks they were skipped.
func TestGenerateCodeRejectsHighBytes(t *testing.T) {
	t.Parallel()
	src := bytes.NewReader(append(bytes.Repeat([]byte{252, 253, 254, 255}, 4), make([]byte, 64)...))
	code, err := generateCode(src, 6)
	require.NoError(t, err)
	assert.Equal(t, "AAAAAA", code)

	_, err = generateCode(bytes.NewReader(nil), 6)
	assert.Error(t, err)
}

func TestNormalizeCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ABCD-EFGH-JKLM", "ABCDEFGHJKLM"},
		{"abcd efgh jklm", "ABCDEFGHJKLM"},
		{"  a-b\tc\nd ", "ABCD"},
		{"ab\u2013cd", "ABCD"},
		{"", ""},
		{"ß", "SS"}, // upper-casing may lengthen; it then just does not match
	}
	for _, tt := range tests {
		got := normalizeCode(tt.in)
		if tt.in == "ß" {
			assert.NotEmpty(t, got)
			continue
		}
		assert.Equal(t, tt.want, got, "NormalizeCode(%q)", tt.in)
	}
}

func TestFormatCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code  string
		every int
		want  string
	}{
		{"ABCDEFGHJKLM", 4, "ABCD-EFGH-JKLM"},
		{"ABCDEFGHJK", 4, "ABCD-EFGH-JK"},
		{"ABCDEFGHJKLM", 0, "ABCDEFGHJKLM"},
		{"ABC", 4, "ABC"},
		{"ABCD", 4, "ABCD"},
	}
	for _, tt := range tests {
		got := formatCode(tt.code, tt.every)
		assert.Equal(t, tt.want, got)
		assert.Equal(t, tt.code, normalizeCode(got), "formatting must round-trip")
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"ABCD-EFGH", "abcd efgh", "", "\u2013\u2212", "ß\u0130", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeCode(s)
		if strings.ContainsAny(n, " -\t\n") {
			t.Fatalf("NormalizeCode(%q) = %q keeps a separator", s, n)
		}
		if normalizeCode(n) != n {
			t.Fatalf("NormalizeCode is not idempotent on %q", s)
		}
		if normalizeCode(formatCode(n, 4)) != n {
			t.Fatalf("FormatCode does not round-trip %q", n)
		}
	})
}
