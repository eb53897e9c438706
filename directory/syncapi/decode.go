package syncapi

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/usher-sdk/usher/directory"
)

// decodeChanges reads a POST /changes body, {"changes":[...]}, and
// returns its changes exactly as encoding/json's Decoder, with
// DisallowUnknownFields, decodes the body's first value into
// struct{ Changes []wireChange }: same values, same errors, data after
// the value ignored.
//
// It exists for speed: encoding/json's Decode was about 30% of the
// handler's CPU in BenchmarkChanges (a full sync's batches), and
// parseChanges decodes an agent's batch about 5 times faster
// (BenchmarkDecodeChanges). It reads the common shape, what the agent's
// json.Marshal writes, without reflection; on anything it does not know
// or finds malformed (a read error, an unknown, duplicate or differently
// cased key, a number, invalid UTF-8, a surrogate escape, a syntax
// error...) the same bytes go to encoding/json, so the result and the
// error message are encoding/json's. FuzzDecodeChanges holds the two to
// that. The body's buffer is reused: the changes copy their strings.
// size, the body's length when known (Content-Length; -1 otherwise), is
// a hint for the buffer, which is grown to it at once up to
// maxPooledBody (a client's word alone does not get more memory).
func decodeChanges(r io.Reader, size int64) ([]wireChange, error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBody {
			buf.Reset()
			bodyBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if size > 0 && size <= maxPooledBody {
		buf.Grow(int(size) + bytes.MinRead) // ReadFrom wants MinRead free to see the end
	}
	if _, err := buf.ReadFrom(r); err != nil {
		// The Decoder sees the bytes, then the error, as it would have
		// reading r itself: a value complete before a *http.MaxBytesError
		// still decodes.
		return decodeChangesJSON(io.MultiReader(bytes.NewReader(buf.Bytes()), errReader{err}))
	}
	if changes, ok := parseChanges(buf.Bytes()); ok {
		return changes, nil
	}
	return decodeChangesJSON(bytes.NewReader(buf.Bytes()))
}

// decodeChangesJSON is the body's decoding by encoding/json, the
// reference that parseChanges must agree with.
func decodeChangesJSON(r io.Reader) ([]wireChange, error) {
	var body struct {
		Changes []wireChange `json:"changes"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(&body)
	return body.Changes, err
}

// maxPooledBody bounds the buffers kept for the next request: a batch of
// MaxBatch agent records is about 1 MB.
const maxPooledBody = 4 << 20

var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// errReader returns err, the error that ended reading the body.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// parseChanges is decodeChanges' fast path. ok false means only that it
// cannot vouch for the result, not that the body is wrong: the caller then
// asks encoding/json. It accepts a subset of what encoding/json accepts
// and, for that subset, returns the same values (nil for null or absent
// slices, empty non-nil ones for []; null elsewhere leaves the zero value).
func parseChanges(data []byte) (changes []wireChange, ok bool) {
	p := parser{data: data}
	var seen bool
	ok = p.object(func(key []byte) bool {
		if string(key) != "changes" || seen {
			return false
		}
		seen = true
		return p.changeList(&changes)
	})
	return changes, ok // whatever follows the object is ignored, as by Decoder.Decode
}

// parser reads JSON from data at pos. Its methods return false on
// anything outside the fast path's subset.
type parser struct {
	data []byte
	pos  int
}

// space skips JSON's insignificant white space.
func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// next skips space and reports whether the next byte is c, taking it if so.
func (p *parser) next(c byte) bool {
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// null takes a null literal if one comes next.
func (p *parser) null() bool {
	p.space()
	if bytes.HasPrefix(p.data[p.pos:], []byte("null")) {
		p.pos += 4
		return true
	}
	return false
}

// object reads an object, calling field with each key (plain ASCII, no
// escapes) to read its value.
func (p *parser) object(field func(key []byte) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		if !p.next('"') {
			return false
		}
		start := p.pos
		for p.pos < len(p.data) && plain[p.data[p.pos]] {
			p.pos++
		}
		if p.pos == len(p.data) || p.data[p.pos] != '"' {
			return false
		}
		key := p.data[start:p.pos]
		p.pos++
		if !p.next(':') || !field(key) {
			return false
		}
		if p.next('}') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// array reads an array (not null), calling elem for each element.
func (p *parser) array(elem func() bool) bool {
	if !p.next('[') {
		return false
	}
	if p.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.next(']') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// changeList reads the array of changes or null (nil); a null element is
// a zero change, as encoding/json leaves it.
func (p *parser) changeList(dst *[]wireChange) bool {
	return readList(p, dst, func(c *wireChange) bool { return p.null() || p.change(c) })
}

// readList reads an array whose elements elem reads, or null (nil); an
// empty array is an empty, non-nil slice, as encoding/json makes it.
func readList[T any](p *parser, dst *[]T, elem func(*T) bool) bool {
	if p.null() {
		*dst = nil
		return true
	}
	list := []T{}
	ok := p.array(func() bool {
		var zero T
		list = append(list, zero)
		return elem(&list[len(list)-1])
	})
	*dst = list
	return ok
}

// change reads a wireChange object; a key seen twice is left to
// encoding/json, which decodes the second value over the first.
func (p *parser) change(c *wireChange) bool {
	var seen uint8
	return p.object(func(key []byte) bool {
		var bit uint8
		var ok bool
		switch string(key) {
		case "kind":
			var s string
			bit, ok = 1, p.str(&s)
			c.Kind = directory.SyncKind(s)
		case "record":
			bit, ok = 2, p.null() || p.record(&c.Record)
		case "before":
			bit = 4
			if p.null() {
				c.Before, ok = nil, true
			} else {
				c.Before = new(directory.Record)
				ok = p.record(c.Before)
			}
		case "fields":
			bit, ok = 8, p.strs(&c.Fields)
		case "gone":
			bit, ok = 16, p.boolean(&c.Gone)
		case "signature":
			bit, ok = 32, p.str(&c.Signature)
		}
		if bit == 0 || seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
}

// record reads a directory.Record object.
func (p *parser) record(r *directory.Record) bool {
	var seen uint16
	return p.object(func(key []byte) bool {
		var bit uint16
		var ok bool
		switch string(key) {
		case "source":
			bit, ok = 1, p.str(&r.Source)
		case "externalId":
			bit, ok = 2, p.str(&r.ExternalID)
		case "username":
			bit, ok = 4, p.str(&r.Username)
		case "fullName":
			bit, ok = 8, p.str(&r.FullName)
		case "corporateEmail":
			bit, ok = 16, p.str(&r.CorporateEmail)
		case "personalEmail":
			bit, ok = 32, p.str(&r.PersonalEmail)
		case "phone":
			bit, ok = 64, p.str(&r.Phone)
		case "groups":
			bit, ok = 128, p.strs(&r.Groups)
		case "roles":
			bit, ok = 256, p.strs(&r.Roles)
		case "enabled":
			bit, ok = 512, p.boolean(&r.Enabled)
		}
		if bit == 0 || seen&bit != 0 {
			return false
		}
		seen |= bit
		return ok
	})
}

// strs reads an array of strings or null (nil).
func (p *parser) strs(dst *[]string) bool { return readList(p, dst, p.str) }

// boolean reads true, false or null (no change).
func (p *parser) boolean(dst *bool) bool {
	switch {
	case p.null():
	case bytes.HasPrefix(p.data[p.pos:], []byte("true")):
		*dst = true
		p.pos += 4
	case bytes.HasPrefix(p.data[p.pos:], []byte("false")):
		*dst = false
		p.pos += 5
	default:
		return false
	}
	return true
}

// str reads a string or null (no change).
func (p *parser) str(dst *string) bool {
	if p.null() {
		return true
	}
	if p.pos == len(p.data) || p.data[p.pos] != '"' {
		return false
	}
	start := p.pos + 1
	end := start
	for end < len(p.data) && plain[p.data[end]] {
		end++
	}
	if end < len(p.data) && p.data[end] == '"' {
		*dst = string(p.data[start:end])
		p.pos = end + 1
		return true
	}
	return p.escaped(dst, start, end)
}

// escaped finishes a string from end, where str met an escape or a byte
// that is not printable ASCII. It decodes UTF-8 that is valid and escapes
// other than \u surrogates; invalid UTF-8, which encoding/json replaces
// with U+FFFD, and surrogates are left to encoding/json.
func (p *parser) escaped(dst *string, start, end int) bool {
	out := append(make([]byte, 0, end-start+16), p.data[start:end]...)
	for i := end; i < len(p.data); {
		c := p.data[i]
		switch {
		case c == '"':
			*dst = string(out)
			p.pos = i + 1
			return true
		case plain[c]:
			out = append(out, c)
			i++
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(p.data[i:])
			if r == utf8.RuneError && n == 1 {
				return false
			}
			out = append(out, p.data[i:i+n]...)
			i += n
		case c == '\\' && i+1 < len(p.data):
			e, n := unescape(p.data[i+1:])
			if n == 0 {
				return false
			}
			out = utf8.AppendRune(out, e)
			i += 1 + n
		default: // a control character, or the end of the data
			return false
		}
	}
	return false
}

// unescape decodes the escape after a backslash at the start of b,
// returning the rune and the bytes it took, or n 0 for a malformed escape
// or a \u surrogate.
func unescape(b []byte) (r rune, n int) {
	switch b[0] {
	case '"', '\\', '/':
		return rune(b[0]), 1
	case 'b':
		return '\b', 1
	case 'f':
		return '\f', 1
	case 'n':
		return '\n', 1
	case 'r':
		return '\r', 1
	case 't':
		return '\t', 1
	case 'u':
		if len(b) < 5 {
			return 0, 0
		}
		for _, c := range b[1:5] {
			var d rune
			switch {
			case '0' <= c && c <= '9':
				d = rune(c - '0')
			case 'a' <= c && c <= 'f':
				d = rune(c - 'a' + 10)
			case 'A' <= c && c <= 'F':
				d = rune(c - 'A' + 10)
			default:
				return 0, 0
			}
			r = r<<4 | d
		}
		if 0xD800 <= r && r < 0xE000 {
			return 0, 0
		}
		return r, 5
	}
	return 0, 0
}

// plain marks the bytes that stand for themselves in a JSON string:
// printable ASCII but the quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
