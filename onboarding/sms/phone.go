package sms

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// Limits of [Normalize].
const (
	// MinDigits is the fewest digits, country code included, that
	// [Normalize] accepts. E.164 has no minimum; shorter numbers are
	// almost always typing mistakes or short codes.
	MinDigits = 8
	// MaxDigits is the most digits, country code included, that E.164
	// allows.
	MaxDigits = 15
	// maxInput bounds the raw input, separators included.
	maxInput = 64
)

var (
	// ErrInvalidPhone is returned (wrapped) by [Normalize] for input
	// that is not a phone number it accepts.
	ErrInvalidPhone = errors.New("sms: invalid phone number")
	// ErrNoDefaultRegion is returned (wrapped) by [Normalize] for a
	// national number when no default country calling code was given.
	ErrNoDefaultRegion = errors.New("sms: national number without a default country calling code")
)

// Normalize returns number in E.164 form: "+" followed by 8 to 15 digits.
//
// defaultCode is a country calling code such as "+1" or "+44" (the "+"
// is optional); it is used only for national numbers, those that do not
// start with "+". It may be empty when every number is international.
//
// What it accepts, honestly, is a subset of the world's numbering plans:
//
//   - digits, with spaces, dashes, dots and parentheses as separators
//     (all removed), and an optional leading "+";
//   - an international number: "+" then the country code and the
//     subscriber number, first digit not 0; a trunk prefix written "(0)",
//     as in "+44 (0)20 7946 0000", is dropped;
//   - a national number, prefixed with defaultCode after dropping one
//     leading trunk prefix: "0" for every code but +1, +7 and +39, and
//     for +1 (NANP) a leading "1" on an 11-digit number, for +7 a leading
//     "8" on an 11-digit number. Italy (+39) keeps its leading 0.
//
// It refuses letters (vanity numbers, extensions such as "x123"), a "+"
// anywhere but first, the international prefixes "00" and "011" (write
// "+"), and totals under [MinDigits] or over [MaxDigits] digits. It does
// not check that the country code is assigned or that the number exists
// or is a mobile number. Input over 64 bytes is refused unread.
//
// Errors wrap [ErrInvalidPhone] or [ErrNoDefaultRegion]. Normalize is a
// pure function, safe for concurrent use.
func Normalize(number, defaultCode string) (string, error) {
	if len(number) > maxInput {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidPhone, maxInput)
	}
	s := strings.TrimSpace(number)
	international := strings.HasPrefix(s, "+")
	if international {
		s = s[1:]
	}
	var b strings.Builder
	depth, group := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.':
		case c == '(':
			depth++
			if depth > 1 {
				return "", fmt.Errorf("%w: nested parentheses", ErrInvalidPhone)
			}
			group = b.Len()
		case c == ')':
			depth--
			if depth < 0 {
				return "", fmt.Errorf("%w: unbalanced parentheses", ErrInvalidPhone)
			}
			if international && b.String()[group:] == "0" { // "+44 (0) 20…"
				rest := b.String()[:group]
				b.Reset()
				b.WriteString(rest)
			}
		case c == '+':
			return "", fmt.Errorf("%w: \"+\" is allowed only first", ErrInvalidPhone)
		default:
			return "", fmt.Errorf("%w: unexpected character at byte %d", ErrInvalidPhone, i)
		}
	}
	if depth != 0 {
		return "", fmt.Errorf("%w: unbalanced parentheses", ErrInvalidPhone)
	}
	digits := b.String()
	if digits == "" {
		return "", fmt.Errorf("%w: no digits", ErrInvalidPhone)
	}
	if !international {
		cc, err := callingCode(defaultCode)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(digits, "00") || (cc == "1" && strings.HasPrefix(digits, "011")) {
			return "", fmt.Errorf("%w: international prefix; write \"+\" and the country code", ErrInvalidPhone)
		}
		digits = cc + dropTrunk(cc, digits)
	}
	if digits[0] == '0' {
		return "", fmt.Errorf("%w: country code cannot start with 0", ErrInvalidPhone)
	}
	if len(digits) < MinDigits {
		return "", fmt.Errorf("%w: fewer than %d digits", ErrInvalidPhone, MinDigits)
	}
	if len(digits) > MaxDigits {
		return "", fmt.Errorf("%w: more than %d digits", ErrInvalidPhone, MaxDigits)
	}
	return "+" + digits, nil
}

// callingCode validates a default country calling code ("+44" or "44")
// and returns its digits.
func callingCode(region string) (string, error) {
	r := strings.TrimPrefix(strings.TrimSpace(region), "+")
	if r == "" {
		return "", ErrNoDefaultRegion
	}
	if len(r) > 3 || r[0] == '0' {
		return "", fmt.Errorf("%w: default country calling code %q is not 1 to 3 digits", ErrInvalidPhone, region)
	}
	for i := 0; i < len(r); i++ {
		if r[i] < '0' || r[i] > '9' {
			return "", fmt.Errorf("%w: default country calling code %q is not 1 to 3 digits", ErrInvalidPhone, region)
		}
	}
	return r, nil
}

// dropTrunk removes one national trunk prefix from a national number.
func dropTrunk(cc, national string) string {
	switch cc {
	case "1":
		if len(national) == 11 && national[0] == '1' {
			return national[1:]
		}
		return national
	case "7":
		if len(national) == 11 && national[0] == '8' {
			return national[1:]
		}
		return national
	case "39":
		return national
	}
	return strings.TrimPrefix(national, "0")
}

// Equal reports whether a and b are the same phone number once both are
// normalised with defaultCode (see [Normalize]); a number that does not
// normalise equals nothing. Use it to match the number a user gives with
// an application user's stored phone. It compares in constant time for
// numbers of equal length and is safe for concurrent use.
func Equal(a, b, defaultCode string) bool {
	na, errA := Normalize(a, defaultCode)
	nb, errB := Normalize(b, defaultCode)
	return errA == nil && errB == nil && subtle.ConstantTimeCompare([]byte(na), []byte(nb)) == 1
}
