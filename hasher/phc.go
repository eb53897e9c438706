package hasher

import (
	"encoding/base64"
	"fmt"
	"math"
	"strings"
)

// phcString is a parsed PHC string, the format of the Password Hashing
// Competition (github.com/P-H-C/phc-string-format) used by argon2, passlib's
// scrypt and others:
//
//	$<id>[$v=<version>][$<param>=<value>(,<param>=<value>)*][$<salt>[$<hash>]]
//
// parsePHC checks only this structure. Each format then reads its own
// parameters with intParam and decodes salt and hash with the base64
// alphabet it uses (see phcB64 and passlibAB64).
type phcString struct {
	id      string
	version int // -1 when there is no "$v=" field
	params  []phcParam
	salt    string // encoded, as it appears in the string
	hash    string // encoded, as it appears in the string
	hasSalt bool   // a salt field is present (it may be empty)
	hasHash bool   // a hash field is present
}

// phcParam is one name=value pair of a PHC string.
type phcParam struct {
	name, value string
}

// phcMaxLen bounds the length of a stored hash that parsePHC accepts. It is
// far above any real hash and keeps parsing of hostile input cheap.
const phcMaxLen = 4096

// parsePHC parses s as a PHC string. Errors wrap ErrMalformedHash and say
// what is wrong; format names the hasher for the messages.
//
// Names (the id and parameter names) are 1 to 32 characters of [a-z0-9-].
// Parameter values are non-empty and of [A-Za-z0-9/+.-]. The version is a
// decimal number. Salt and hash may hold any character but '$'; decoding
// them is the caller's job.
func parsePHC(format, s string) (phcString, error) {
	p := phcString{version: -1}
	if len(s) > phcMaxLen {
		return p, fmt.Errorf("%w: %s: hash is %d bytes long, the maximum is %d", ErrMalformedHash, format, len(s), phcMaxLen)
	}
	rest, ok := strings.CutPrefix(s, "$")
	if !ok {
		return p, fmt.Errorf("%w: %s: hash does not start with '$'", ErrMalformedHash, format)
	}
	fields := strings.Split(rest, "$")
	if len(fields) > 5 {
		return p, fmt.Errorf("%w: %s: %d '$'-separated fields, at most 5 are allowed", ErrMalformedHash, format, len(fields))
	}
	p.id, fields = fields[0], fields[1:]
	if !isPHCName(p.id) {
		return p, fmt.Errorf("%w: %s: algorithm identifier %q is not 1 to 32 characters of [a-z0-9-]", ErrMalformedHash, format, p.id)
	}

	if len(fields) > 0 && strings.HasPrefix(fields[0], "v=") {
		v, err := phcDecimal(format, "version", fields[0][len("v="):])
		if err != nil {
			return p, err
		}
		p.version, fields = v, fields[1:]
	}

	if len(fields) > 0 && strings.Contains(fields[0], "=") {
		for _, kv := range strings.Split(fields[0], ",") {
			name, value, ok := strings.Cut(kv, "=")
			switch {
			case !ok:
				return p, fmt.Errorf("%w: %s: parameter %q is not name=value", ErrMalformedHash, format, kv)
			case !isPHCName(name):
				return p, fmt.Errorf("%w: %s: parameter name %q is not 1 to 32 characters of [a-z0-9-]", ErrMalformedHash, format, name)
			case !isPHCValue(value):
				return p, fmt.Errorf("%w: %s: parameter %s has an empty value or one with characters outside [A-Za-z0-9/+.-]", ErrMalformedHash, format, name)
			}
			if _, dup := p.param(name); dup {
				return p, fmt.Errorf("%w: %s: parameter %s appears twice", ErrMalformedHash, format, name)
			}
			p.params = append(p.params, phcParam{name: name, value: value})
		}
		fields = fields[1:]
	}

	switch len(fields) {
	case 0:
	case 1:
		p.salt, p.hasSalt = fields[0], true
	case 2:
		p.salt, p.hasSalt = fields[0], true
		p.hash, p.hasHash = fields[1], true
	default:
		return p, fmt.Errorf("%w: %s: unexpected fields after the hash", ErrMalformedHash, format)
	}
	return p, nil
}

// param returns the value of the named parameter.
func (p phcString) param(name string) (string, bool) {
	for _, kv := range p.params {
		if kv.name == name {
			return kv.value, true
		}
	}
	return "", false
}

// intParam returns the named parameter as a decimal number. It is an error
// wrapping ErrMalformedHash when the parameter is missing or not a decimal
// number, and one wrapping ErrLimitExceeded when it is above math.MaxInt32.
func (p phcString) intParam(format, name string) (int, error) {
	v, ok := p.param(name)
	if !ok {
		return 0, fmt.Errorf("%w: %s: missing parameter %s", ErrMalformedHash, format, name)
	}
	return phcDecimal(format, name, v)
}

// onlyParams returns an error wrapping ErrMalformedHash when p has a
// parameter that is not in names.
func (p phcString) onlyParams(format string, names ...string) error {
next:
	for _, kv := range p.params {
		for _, n := range names {
			if kv.name == n {
				continue next
			}
		}
		return fmt.Errorf("%w: %s: unknown parameter %s", ErrMalformedHash, format, kv.name)
	}
	return nil
}

// saltAndHash decodes the salt and hash with enc, requiring both fields
// and checking their decoded lengths against lim before returning them.
func (p phcString) saltAndHash(format string, enc *base64.Encoding, lim Limits) (salt, hash []byte, err error) {
	if !p.hasHash {
		return nil, nil, fmt.Errorf("%w: %s: missing salt or hash field", ErrMalformedHash, format)
	}
	if salt, err = decodeB64(format, "salt", enc, p.salt, lim.MaxSaltBytes); err != nil {
		return nil, nil, err
	}
	if hash, err = decodeB64(format, "hash", enc, p.hash, lim.MaxKeyBytes); err != nil {
		return nil, nil, err
	}
	return salt, hash, nil
}

// phcDecimal parses a PHC decimal value: ASCII digits without sign or
// leading zeros ("0" itself is allowed).
func phcDecimal(format, what, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: %s: %s is empty", ErrMalformedHash, format, what)
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%w: %s: %s %q has a leading zero", ErrMalformedHash, format, what, s)
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %s: %s %q is not a decimal number", ErrMalformedHash, format, what, s)
		}
		if n > (math.MaxInt32-int(c-'0'))/10 {
			return 0, fmt.Errorf("%w: %s: %s %q is above %d", ErrLimitExceeded, format, what, s, math.MaxInt32)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// decodeB64 decodes s, refusing it before decoding when the result would be
// longer than max bytes.
func decodeB64(format, what string, enc *base64.Encoding, s string, max int) ([]byte, error) {
	if n := enc.DecodedLen(len(s)); n > max {
		return nil, fmt.Errorf("%w: %s %s bytes %d is above the limit %d", ErrLimitExceeded, format, what, n, max)
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s is not valid base64: %v", ErrMalformedHash, format, what, err)
	}
	return b, nil
}

// phcB64 is the base64 of PHC strings: the standard alphabet without
// padding. Decoding is strict, so every string has one decoding and the
// trailing bits must be zero.
var phcB64 = base64.RawStdEncoding.Strict()

// passlibAB64 is passlib's "adapted base64" (ab64) used by its PBKDF2
// hashes: the standard alphabet with '.' in place of '+', without padding.
var passlibAB64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./").WithPadding(base64.NoPadding).Strict()

// isPHCName reports whether s is 1 to 32 characters of [a-z0-9-].
func isPHCName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isPHCValue reports whether s is a non-empty parameter value of
// [A-Za-z0-9/+.-].
func isPHCValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '/' || c == '+' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}
