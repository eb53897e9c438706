package activation

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// alphabet is the easy-to-read character set of codes: no 0/O, 1/I, 2/Z,
// 5/S or other look-alikes (PortalGuard's "easy to read" set).
const alphabet = "ABCDEFGHJKLMNPQRTUVWXY346789"

// maxUnbiased is the largest multiple of len(alphabet) that fits in a byte:
// bytes at or above it are drawn again so that every character is equally
// likely (no modulo bias).
const maxUnbiased = 256 - 256%len(alphabet)

// generateCode draws n characters uniformly from alphabet using r.
func generateCode(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("activation: reading random bytes: %w", err)
		}
		for _, b := range buf {
			if int(b) >= maxUnbiased {
				continue
			}
			out = append(out, alphabet[int(b)%len(alphabet)])
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}

// normalizeCode returns the form in which a typed code is compared: upper
// case, with spaces, hyphens and other separators removed. It does not
// check the alphabet: a code with other characters simply does not match.
func normalizeCode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), r == '-', r == '\u2010', r == '\u2011', r == '\u2012', r == '\u2013', r == '\u2212':
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// formatCode inserts a hyphen every `every` characters of a normalized code
// (none when every <= 0), for display.
func formatCode(code string, every int) string {
	runes := []rune(code)
	if every <= 0 || len(runes) <= every {
		return code
	}
	var b strings.Builder
	for i := 0; i < len(runes); i += every {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(string(runes[i:min(i+every, len(runes))]))
	}
	return b.String()
}
