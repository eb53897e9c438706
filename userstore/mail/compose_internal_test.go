package mail

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteHeaderFolds(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 40)
	var b bytes.Buffer
	require.NoError(t, writeHeader(&b, "Subject", strings.TrimSpace(long)))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	require.Greater(t, len(lines), 1)
	for i, l := range lines {
		assert.LessOrEqual(t, len(l), 78)
		if i > 0 {
			assert.True(t, strings.HasPrefix(l, " "), "continuation lines start with a space: %q", l)
		}
	}
	// Unfolding (removing each CRLF) gives the value back.
	assert.Equal(t, "Subject: "+strings.TrimSpace(long), strings.ReplaceAll(strings.TrimSuffix(b.String(), "\r\n"), "\r\n", ""))

	b.Reset()
	err := writeHeader(&b, "Subject", strings.Repeat("x", 1200))
	assert.ErrorIs(t, err, ErrInvalidMessage, "a word longer than a line cannot be folded")
}

func TestEncodeSubject(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Hello", "Hello"},
		{"Grüezi", "=?utf-8?q?Gr=C3=BCezi?="},
		{"=?utf-8?q?fake?=", "=?utf-8?b?PT91dGYtOD9xP2Zha2U/PQ==?="},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, encodeSubject(tt.in))
	}
	// A long subject with "=?" splits into words on rune boundaries.
	s := strings.Repeat("ä=?", 40)
	words := strings.Split(encodeSubject(s), " ")
	require.Greater(t, len(words), 1)
	for _, w := range words {
		assert.LessOrEqual(t, len(w), 75, "RFC 2047 section 2: an encoded word is at most 75 characters")
	}
}

func TestAddrSpecQuotes(t *testing.T) {
	t.Parallel()
	a, err := ParseAddress(`"john doe"@example.com`)
	require.NoError(t, err)
	assert.Equal(t, `"john doe"@example.com`, addrSpec(a))
	a, err = ParseAddress(`Ann <ann@example.com>`)
	require.NoError(t, err)
	assert.Equal(t, "ann@example.com", addrSpec(a))
}

func TestRFC5322TextOnly(t *testing.T) {
	t.Parallel()
	p, err := prepare(Message{To: []string{"b@example.com"}, Subject: "Hi", Text: "line 1\nline 2 " + strings.Repeat("é", 60) + "\n"},
		mustAddr(t, "a@example.com"))
	require.NoError(t, err)
	data, err := p.rfc5322(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600)))
	require.NoError(t, err)
	s := string(data)
	assert.Contains(t, s, "Date: Fri, 02 Jan 2026 03:04:05 +0100\r\n")
	assert.Contains(t, s, "Content-Type: text/plain; charset=utf-8\r\n")
	assert.Contains(t, s, "Content-Transfer-Encoding: quoted-printable\r\n")
	assert.NotContains(t, strings.ReplaceAll(s, "\r\n", ""), "\n", "every line ends with CRLF")
	for _, l := range strings.Split(s, "\r\n") {
		assert.LessOrEqual(t, len(l), 78, l)
	}
}

func mustAddr(t *testing.T, s string) *mailAddress {
	t.Helper()
	a, err := ParseAddress(s)
	require.NoError(t, err)
	return a
}

// BenchmarkCompose measures validating and rendering a message with text
// and HTML bodies.
func BenchmarkCompose(b *testing.B) {
	from, _ := ParseAddress("Usher <noreply@usher.test>")
	m := Message{
		To:      []string{"Ann Example <ann@example.com>", "bob@example.org"},
		Subject: "Konto gesperrt – Zürich",
		Text:    strings.Repeat("Grüezi Ann, your account is locked. ", 40),
		HTML:    "<p>" + strings.Repeat("Grüezi <b>Ann</b>, your account is locked. ", 40) + "</p>",
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		p, err := prepare(m, from)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.rfc5322(now); err != nil {
			b.Fatal(err)
		}
	}
}
