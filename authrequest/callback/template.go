package callback

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Bounds of templates and their expansion.
const (
	// MaxTemplate is the longest template, in bytes (64 KiB).
	MaxTemplate = 64 << 10
	// MaxExpanded is the longest expansion of a template, in bytes (1 MiB).
	MaxExpanded = 1 << 20
	// MaxValue is the longest value of a variable, in bytes (64 KiB).
	MaxValue = 64 << 10
	// MaxName is the longest variable name (64).
	MaxName = 64
)

// escaping contexts of a variable, chosen by the parser of the template's
// structure.
type escContext uint8

const (
	ctxRaw     escContext = iota // as is: plain text and header values
	ctxPath                      // a URL path segment
	ctxQuery                     // a URL query or fragment
	ctxJSONIn                    // inside a JSON string
	ctxJSONOut                   // outside a JSON string: a whole string literal
	ctxForm                      // a form body
)

// kinds of templates, for the checks of their expansion.
type kind uint8

const (
	kindText kind = iota
	kindURL
	kindJSON
	kindForm
	kindHeader
)

type part struct {
	lit  string // literal text, when name is empty
	name string
	ctx  escContext
}

// Template is a parsed text with {variables}: parse it once with Parse,
// ParseURL, ParseJSON, ParseForm or ParseHeader, which choose how values
// are escaped, and expand it any number of times. A Template is immutable
// and safe for concurrent use.
//
// Syntax: {name}, where name is 1 to 64 of [A-Za-z0-9_], is a variable;
// "{{" is a literal "{" (so "{{name}" reads as the text "{name}"); every
// other "{" or "}" is literal, so that JSON braces need no escaping. A
// variable without a value (absent from the map) expands to the empty
// string.
type Template struct {
	parts   []part
	kind    kind
	litSize int
}

// Parse parses text whose values are inserted as they are (for an
// authentication request's action and description). It fails, wrapping
// ErrInvalid, for a text over MaxTemplate bytes or a variable name over
// MaxName.
func Parse(text string) (*Template, error) {
	return parse(text, kindText)
}

// Expand parses and expands text in one step, values inserted as they
// are; see Parse and Template.Expand.
func Expand(text string, vars map[string]string) (string, error) {
	t, err := Parse(text)
	if err != nil {
		return "", err
	}
	return t.Expand(vars)
}

// ParseURL parses an absolute http or https URL template. Variables may
// stand in the path, where their values are escaped as a path segment
// (url.PathEscape: a value cannot add a "/", "?" or "#"), and in the query
// and fragment, where they are query-escaped (url.QueryEscape: a value
// cannot add a "&", "=" or "#"); not in the scheme, the host or the port,
// so that no value changes where a callback goes. The template's own text
// must be percent-encoded already (no spaces or non-ASCII letters). A path
// segment that a value makes "." or ".." is refused at expansion.
func ParseURL(text string) (*Template, error) {
	t, err := parse(text, kindURL)
	if err != nil {
		return nil, err
	}
	const (
		stScheme = iota
		stAuthority
		stPath
		stQuery
	)
	st := stScheme
	var prefix strings.Builder
	for i := range t.parts {
		p := &t.parts[i]
		if p.name == "" && strings.IndexFunc(p.lit, notURLChar) >= 0 {
			return nil, fmt.Errorf("%w: URL: a character that must be percent-encoded", ErrInvalid)
		}
		if p.name != "" {
			switch st {
			case stScheme, stAuthority:
				return nil, fmt.Errorf("%w: URL: variable {%s} in the scheme or host", ErrInvalid, p.name)
			case stPath:
				p.ctx = ctxPath
			default:
				p.ctx = ctxQuery
			}
			continue
		}
		for j := 0; j < len(p.lit); j++ {
			c := p.lit[j]
			switch st {
			case stScheme:
				prefix.WriteByte(c)
				if strings.HasSuffix(prefix.String(), "://") {
					st = stAuthority
				}
			case stAuthority:
				switch c {
				case '/':
					st = stPath
				case '?', '#':
					st = stQuery
				}
			case stPath:
				if c == '?' || c == '#' {
					st = stQuery
				}
			}
		}
	}
	u, err := url.Parse(t.sample())
	if err != nil {
		return nil, fmt.Errorf("%w: URL: %v", ErrInvalid, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: URL: not an absolute http or https URL", ErrInvalid)
	}
	return t, nil
}

// notURLChar reports whether r may not stand unencoded in a URL (RFC
// 3986: unreserved, reserved and "%").
func notURLChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	case r < utf8.RuneSelf && strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r):
		return false
	}
	return true
}

// ParseJSON parses a JSON body template. A variable inside a JSON string
// is replaced by its value escaped as the inside of a JSON string; a
// variable outside any string is replaced by its value as a whole JSON
// string literal, quotes included ({"user": {username}} sends
// {"user": "alice"}). Either way a value cannot leave its string, and a
// template that is valid JSON expands to valid JSON. A variable right
// after a backslash inside a string is refused.
func ParseJSON(text string) (*Template, error) {
	t, err := parse(text, kindJSON)
	if err != nil {
		return nil, err
	}
	inString, escaped := false, false
	for i := range t.parts {
		p := &t.parts[i]
		if p.name != "" {
			switch {
			case escaped:
				return nil, fmt.Errorf("%w: JSON body: variable {%s} after a backslash", ErrInvalid, p.name)
			case inString:
				p.ctx = ctxJSONIn
			default:
				p.ctx = ctxJSONOut
			}
			continue
		}
		for j := 0; j < len(p.lit); j++ {
			c := p.lit[j]
			switch {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			}
		}
	}
	return t, nil
}

// ParseForm parses an application/x-www-form-urlencoded body template
// ("user={username}&state={state}"); values are query-escaped, so that a
// value cannot add a "&" or "=".
func ParseForm(text string) (*Template, error) {
	t, err := parse(text, kindForm)
	if err != nil {
		return nil, err
	}
	for i := range t.parts {
		t.parts[i].ctx = ctxForm
	}
	return t, nil
}

// ParseHeader parses a header value template. Values are inserted as they
// are, and an expansion holding a control character other than a tab (CR,
// LF, NUL, …) is refused, so that no value can add a header.
func ParseHeader(text string) (*Template, error) {
	t, err := parse(text, kindHeader)
	if err != nil {
		return nil, err
	}
	for _, p := range t.parts {
		if p.name == "" && !validHeaderValue(p.lit) {
			return nil, fmt.Errorf("%w: header value: control character", ErrInvalid)
		}
	}
	return t, nil
}

func isNameByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// ValidName reports whether name may be a variable's: 1 to 64 of
// [A-Za-z0-9_].
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > MaxName {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return false
		}
	}
	return true
}

func parse(text string, k kind) (*Template, error) {
	if len(text) > MaxTemplate {
		return nil, fmt.Errorf("%w: template longer than %d bytes", ErrInvalid, MaxTemplate)
	}
	t := &Template{kind: k}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			t.litSize += lit.Len()
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c != '{' {
			lit.WriteByte(c)
			i++
			continue
		}
		if i+1 < len(text) && text[i+1] == '{' {
			lit.WriteByte('{')
			i += 2
			continue
		}
		j := i + 1
		for j < len(text) && isNameByte(text[j]) {
			j++
		}
		if j == i+1 || j == len(text) || text[j] != '}' {
			lit.WriteByte('{')
			i++
			continue
		}
		name := text[i+1 : j]
		if len(name) > MaxName {
			return nil, fmt.Errorf("%w: variable name longer than %d", ErrInvalid, MaxName)
		}
		flush()
		t.parts = append(t.parts, part{name: name})
		i = j + 1
	}
	flush()
	return t, nil
}

// Names returns the names of the template's variables in order of
// appearance, with repeats.
func (t *Template) Names() []string {
	var names []string
	for _, p := range t.parts {
		if p.name != "" {
			names = append(names, p.name)
		}
	}
	return names
}

// sample expands the template with every variable "x", for checks of its
// structure.
func (t *Template) sample() string {
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		escapeTo(&b, p.ctx, "x")
	}
	return b.String()
}

// Expand expands the template with vars, escaping each value for where it
// stands. A variable without a value expands to "". It fails, wrapping
// ErrInvalid, for a value over MaxValue bytes, an expansion over
// MaxExpanded bytes, a header value with a control character or a URL
// path segment made "." or "..".
func (t *Template) Expand(vars map[string]string) (string, error) {
	var b strings.Builder
	size := t.litSize
	for _, p := range t.parts {
		if p.name != "" {
			v := vars[p.name]
			if len(v) > MaxValue {
				return "", fmt.Errorf("%w: value of {%s} longer than %d bytes", ErrInvalid, p.name, MaxValue)
			}
			size += len(v)
		}
	}
	if size > MaxExpanded {
		return "", fmt.Errorf("%w: expansion longer than %d bytes", ErrInvalid, MaxExpanded)
	}
	b.Grow(size + size/8)
	// spans of values in a URL path, for the check of their segments
	var spans [][2]int
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		start := b.Len()
		escapeTo(&b, p.ctx, vars[p.name])
		if p.ctx == ctxPath {
			spans = append(spans, [2]int{start, b.Len()})
		}
	}
	out := b.String()
	for _, sp := range spans {
		l := strings.LastIndexByte(out[:sp[0]], '/') + 1
		r := sp[1] + strings.IndexAny(out[sp[1]:], "/?#")
		if r < sp[1] {
			r = len(out)
		}
		if s, err := url.PathUnescape(out[l:r]); err == nil && (s == "." || s == "..") {
			return "", fmt.Errorf("%w: URL: a value makes the path segment %q", ErrInvalid, s)
		}
	}
	if len(out) > MaxExpanded {
		return "", fmt.Errorf("%w: expansion longer than %d bytes", ErrInvalid, MaxExpanded)
	}
	if t.kind == kindHeader && !validHeaderValue(out) {
		return "", fmt.Errorf("%w: header value: control character after expansion", ErrInvalid)
	}
	return out, nil
}

func escapeTo(b *strings.Builder, c escContext, v string) {
	switch c {
	case ctxPath:
		b.WriteString(url.PathEscape(v))
	case ctxQuery, ctxForm:
		b.WriteString(url.QueryEscape(v))
	case ctxJSONIn:
		jsonEscapeTo(b, v, false)
	case ctxJSONOut:
		jsonEscapeTo(b, v, true)
	default:
		b.WriteString(v)
	}
}

const hexDigits = "0123456789abcdef"

// jsonEscape escapes v as the inside of a JSON string, or as a whole
// string literal when quote is set.
func jsonEscape(v string, quote bool) string {
	var b strings.Builder
	jsonEscapeTo(&b, v, quote)
	return b.String()
}

// jsonEscapeTo writes v escaped as the inside of a JSON string, or as a
// whole string literal when quote is set. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped for JavaScript readers.
func jsonEscapeTo(b *strings.Builder, v string, quote bool) {
	if quote {
		b.WriteByte('"')
	}
	done := 0 // v[:done] is written
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b.WriteString(v[done:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(v[i:])
		var esc string
		switch {
		case r == utf8.RuneError && size == 1:
			esc = `\ufffd`
		case r == '\u2028':
			esc = `\u2028`
		case r == '\u2029':
			esc = `\u2029`
		default:
			i += size
			continue
		}
		b.WriteString(v[done:i])
		b.WriteString(esc)
		i += size
		done = i
	}
	b.WriteString(v[done:])
	if quote {
		b.WriteByte('"')
	}
}

// validHeaderValue reports whether v has no control character but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
