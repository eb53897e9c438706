package ldap

import (
	"errors"
	"fmt"
)

// A small BER (X.690) reader and writer for the messages of a streaming
// search (RFC 4511): it decodes in place, where go-ldap's decoder copies
// every nested element into buffers of its own (some 23 KB of allocations
// per entry, which made streaming 100,000 users three times slower than
// ldapsearch). Only what LDAP uses is supported: one-byte tags and
// definite lengths of up to four bytes.

// BER identifier bytes used here.
const (
	berInteger     = 0x02
	berOctetString = 0x04
	berBoolean     = 0x01
	berEnumerated  = 0x0a
	berSequence    = 0x30
	berSet         = 0x31

	// Application tags of RFC 4511's protocol operations (constructed
	// unless noted).
	appBindRequest       = 0x60
	appBindResponse      = 0x61
	appUnbindRequest     = 0x42 // primitive NULL
	appSearchRequest     = 0x63
	appSearchEntry       = 0x64
	appSearchDone        = 0x65
	appSearchReference   = 0x73
	appExtendedRequest   = 0x77
	appExtendedResponse  = 0x78
	appIntermediate      = 0x79
	ctxControls          = 0xa0 // [0] constructed: the message's controls
	ctxSimpleAuth        = 0x80 // [0] primitive: a simple bind's password
	ctxExtendedName      = 0x80 // [0] primitive: an extended request's OID
	ctxReferral          = 0xa3 // [3] constructed: an LDAPResult's referral
	maxStreamMessageSize = 64 << 20
)

var errBER = errors.New("ldap: malformed BER")

// berReader walks the elements of a BER encoding.
type berReader struct{ b []byte }

// next returns the next element's tag and content.
func (r *berReader) next() (byte, []byte, error) {
	if len(r.b) < 2 {
		return 0, nil, fmt.Errorf("%w: truncated element", errBER)
	}
	tag := r.b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, fmt.Errorf("%w: multi-byte tag", errBER)
	}
	n, hl, err := berLength(r.b[1:])
	if err != nil {
		return 0, nil, err
	}
	start := 1 + hl
	if n > len(r.b)-start {
		return 0, nil, fmt.Errorf("%w: element of %d bytes in %d", errBER, n, len(r.b)-start)
	}
	v := r.b[start : start+n]
	r.b = r.b[start+n:]
	return tag, v, nil
}

// expect returns the content of the next element, which must have tag.
func (r *berReader) expect(tag byte) ([]byte, error) {
	t, v, err := r.next()
	if err != nil {
		return nil, err
	}
	if t != tag {
		return nil, fmt.Errorf("%w: tag 0x%02x, want 0x%02x", errBER, t, tag)
	}
	return v, nil
}

func (r *berReader) more() bool { return len(r.b) > 0 }

// berLength decodes a definite length and returns it with the number of
// bytes it took.
func berLength(b []byte) (int, int, error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: no length", errBER)
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	k := int(b[0] & 0x7f)
	if k == 0 || k > 4 {
		return 0, 0, fmt.Errorf("%w: unsupported length form 0x%02x", errBER, b[0])
	}
	if len(b) < 1+k {
		return 0, 0, fmt.Errorf("%w: truncated length", errBER)
	}
	n := 0
	for _, c := range b[1 : 1+k] {
		n = n<<8 | int(c)
	}
	if n < 0 || n > maxStreamMessageSize {
		return 0, 0, fmt.Errorf("%w: length %d too large", errBER, n)
	}
	return n, 1 + k, nil
}

// berInt decodes a two's-complement INTEGER or ENUMERATED of up to eight
// bytes.
func berInt(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 8 {
		return 0, fmt.Errorf("%w: integer of %d bytes", errBER, len(v))
	}
	n := int64(int8(v[0]))
	for _, c := range v[1:] {
		n = n<<8 | int64(c)
	}
	return n, nil
}

// Writing: tlv appends one element.
func tlv(b []byte, tag byte, content []byte) []byte {
	b = append(b, tag)
	switch n := len(content); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 1<<8:
		b = append(b, 0x81, byte(n))
	case n < 1<<16:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, content...)
}

// berIntBytes is the minimal two's-complement encoding of n.
func berIntBytes(n int64) []byte {
	var b []byte
	for {
		b = append([]byte{byte(n)}, b...)
		if (n < 0x80 && n >= -0x80) || len(b) == 8 {
			return b
		}
		n >>= 8
	}
}
