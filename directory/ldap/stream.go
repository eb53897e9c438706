package ldap

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unsafe"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// streamConn is a connection of its own for one paged search. Requests
// are encoded with go-ldap where it offers encoders (filters, the paging
// control) and framed here; answers are decoded in place (ber.go).
type streamConn struct {
	raw     net.Conn // the TCP connection, for deadlines set from elsewhere
	conn    net.Conn // raw, or TLS over it
	r       *bufio.Reader
	timeout time.Duration
	id      int64
	hdr     [6]byte
	done    <-chan struct{} // the context of the current operation
	buf     []byte          // the message being read; reused
}

// dialStream opens, secures and binds a streaming connection.
func (s *Source) dialStream(ctx context.Context) (*streamConn, error) {
	u, err := url.Parse(s.cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("ldap: url: %w", err)
	}
	host := u.Host
	if u.Port() == "" {
		port := "389"
		if u.Scheme == "ldaps" {
			port = "636"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	d := &net.Dialer{Timeout: s.cfg.Timeout}
	var conn net.Conn
	if u.Scheme == "ldaps" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", host)
	} else {
		conn, err = d.DialContext(ctx, "tcp", host)
	}
	if err != nil {
		return nil, unavailable("dial", err)
	}
	sc := &streamConn{raw: conn, conn: conn, r: bufio.NewReaderSize(conn, 64<<10), timeout: s.cfg.Timeout}
	if err := sc.setup(ctx, s); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return sc, nil
}

func (sc *streamConn) setup(ctx context.Context, s *Source) error {
	stop := sc.watch(ctx)
	defer stop()
	if s.cfg.StartTLS {
		op := tlv(nil, ctxExtendedName, []byte("1.3.6.1.4.1.1466.20037"))
		if err := sc.roundTrip(appExtendedRequest, op, appExtendedResponse); err != nil {
			return streamError("StartTLS", err)
		}
		tc := tls.Client(sc.conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return unavailable("StartTLS", err)
		}
		sc.conn, sc.r = tc, bufio.NewReaderSize(tc, 64<<10)
	}
	if s.cfg.BindDN != "" {
		var op []byte
		op = tlv(op, berInteger, []byte{3})
		op = tlv(op, berOctetString, []byte(s.cfg.BindDN))
		op = tlv(op, ctxSimpleAuth, []byte(s.cfg.BindPassword))
		if err := sc.roundTrip(appBindRequest, op, appBindResponse); err != nil {
			var le *goldap.Error
			if !errors.As(err, &le) || isNetwork(err) {
				return streamError("service bind", err)
			}
			return fmt.Errorf("ldap: service bind as %q: %w: %w", s.cfg.BindDN, directory.ErrUnavailable, err)
		}
	}
	return nil
}

// streamError wraps an error of a streaming connection: I/O failures and
// network result codes wrap directory.ErrUnavailable.
func streamError(op string, err error) error {
	var le *goldap.Error
	switch {
	case errors.As(err, &le):
		return classify(op, err)
	case errors.Is(err, errBER), errors.Is(err, directory.ErrUnavailable):
		return fmt.Errorf("ldap: %s: %w", op, err)
	default: // I/O: the connection failed or timed out
		return unavailable(op, err)
	}
}

// watch makes blocked reads and writes return when ctx ends.
func (sc *streamConn) watch(ctx context.Context) (stop func() bool) {
	sc.done = ctx.Done()
	raw := sc.raw
	return context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
}

func (sc *streamConn) close() {
	sc.done = nil
	sc.timeout = time.Second
	_ = sc.send(appUnbindRequest, nil, nil)
	_ = sc.conn.Close()
}

// send writes one LDAPMessage.
func (sc *streamConn) send(op byte, content, controls []byte) error {
	sc.id++
	var body []byte
	body = tlv(body, berInteger, berIntBytes(sc.id))
	body = tlv(body, op, content)
	if controls != nil {
		body = tlv(body, ctxControls, controls)
	}
	if err := sc.conn.SetDeadline(time.Now().Add(sc.timeout)); err != nil {
		return err
	}
	select {
	case <-sc.done: // watch's deadline may just have been overwritten
		_ = sc.raw.SetDeadline(time.Unix(1, 0))
	default:
	}
	_, err := sc.conn.Write(tlv(nil, berSequence, body))
	return err
}

// roundTrip sends a request and checks the LDAPResult of its answer.
func (sc *streamConn) roundTrip(op byte, content []byte, want byte) error {
	if err := sc.send(op, content, nil); err != nil {
		return err
	}
	for {
		tag, body, _, err := sc.read()
		if err != nil {
			return err
		}
		if tag == want {
			return ldapResult(body)
		}
	}
}

// read reads the next LDAPMessage for the current request, and returns its
// protocolOp's tag and content and the message's controls. The slices
// point into a buffer that the next read reuses. Messages for other IDs are
// skipped; a notice of disconnection is an error.
func (sc *streamConn) read() (byte, []byte, []byte, error) {
	for {
		if _, err := io.ReadFull(sc.r, sc.hdr[:2]); err != nil {
			return 0, nil, nil, err
		}
		if sc.hdr[0] != berSequence {
			return 0, nil, nil, fmt.Errorf("%w: message tag 0x%02x", errBER, sc.hdr[0])
		}
		hl := 0
		if sc.hdr[1] >= 0x80 {
			hl = int(sc.hdr[1] & 0x7f)
			if hl == 0 || hl > 4 {
				return 0, nil, nil, fmt.Errorf("%w: unsupported length form 0x%02x", errBER, sc.hdr[1])
			}
			if _, err := io.ReadFull(sc.r, sc.hdr[2:2+hl]); err != nil {
				return 0, nil, nil, err
			}
		}
		n, _, err := berLength(sc.hdr[1 : 2+hl])
		if err != nil {
			return 0, nil, nil, err
		}
		if cap(sc.buf) < n {
			sc.buf = make([]byte, n, max(n, 2*cap(sc.buf)))
		}
		sc.buf = sc.buf[:n]
		if _, err := io.ReadFull(sc.r, sc.buf); err != nil {
			return 0, nil, nil, err
		}
		id, tag, op, controls, err := parseMessage(sc.buf)
		if err != nil {
			return 0, nil, nil, err
		}
		if id == 0 && tag == appExtendedResponse {
			return 0, nil, nil, fmt.Errorf("ldap: the server ended the connection: %w", ldapResult(op))
		}
		if id == sc.id {
			return tag, op, controls, nil
		}
	}
}

// parseMessage splits an LDAPMessage's content.
func parseMessage(b []byte) (id int64, tag byte, op, controls []byte, err error) {
	r := berReader{b}
	v, err := r.expect(berInteger)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	if id, err = berInt(v); err != nil {
		return 0, 0, nil, nil, err
	}
	if tag, op, err = r.next(); err != nil {
		return 0, 0, nil, nil, err
	}
	if r.more() {
		t, c, err := r.next()
		if err != nil {
			return 0, 0, nil, nil, err
		}
		if t == ctxControls {
			controls = c
		}
	}
	return id, tag, op, controls, nil
}

// ldapResult turns an LDAPResult into nil or a *goldap.Error.
func ldapResult(b []byte) error {
	r := berReader{b}
	v, err := r.expect(berEnumerated)
	if err != nil {
		return err
	}
	code, err := berInt(v)
	if err != nil {
		return err
	}
	if _, err := r.expect(berOctetString); err != nil { // matchedDN
		return err
	}
	diag, err := r.expect(berOctetString)
	if err != nil {
		return err
	}
	if code == goldap.LDAPResultSuccess {
		return nil
	}
	if code < 0 || code > 0xffff {
		return fmt.Errorf("%w: result code %d", errBER, code)
	}
	return goldap.NewError(uint16(code), errors.New(string(diag)))
}

// searchRequest encodes a SearchRequest's content.
func searchRequest(base string, scope int, sizeLimit, timeLimit int, filter string, attrs []string) ([]byte, error) {
	f, err := goldap.CompileFilter(filter)
	if err != nil {
		return nil, fmt.Errorf("ldap: filter %q: %w", filter, err)
	}
	var b []byte
	b = tlv(b, berOctetString, []byte(base))
	b = tlv(b, berEnumerated, berIntBytes(int64(scope)))
	b = tlv(b, berEnumerated, berIntBytes(goldap.NeverDerefAliases))
	b = tlv(b, berInteger, berIntBytes(int64(sizeLimit)))
	b = tlv(b, berInteger, berIntBytes(int64(timeLimit)))
	b = tlv(b, berBoolean, []byte{0})
	b = append(b, f.Bytes()...)
	var as []byte
	for _, a := range attrs {
		as = tlv(as, berOctetString, []byte(a))
	}
	return tlv(b, berSequence, as), nil
}

// entryDecoder decodes the SearchResultEntries of one stream. What an entry
// keeps outlives the read buffer, so decode copies it once into one string
// and slices the DN and the values out of it; attribute names, and
// memberOf values (the same group DNs for user after user), are interned
// instead. An entry costs two allocations (its string and one slab of
// Values) however many attributes it has, and a stream's entries share
// their group DNs.
//
// The *goldap.Entry, its Attributes and each attribute's ByteValues slice
// are reused by the next decode; the strings, each Values slice and each
// []byte value (which shares the string's memory and must not be written)
// stay valid. An entryDecoder is not safe for concurrent use.
type entryDecoder struct {
	e     goldap.Entry
	ptrs  []*goldap.EntryAttribute
	attrs []goldap.EntryAttribute
	raw   [][]byte
	// The entry being decoded: each attribute's name and number of
	// values, and each value's encoding, interned copy or offset in the
	// entry's string.
	names  [][]byte
	counts []int
	src    [][]byte
	vals   []string
	offs   []int
	// prevNames are the attribute names of the entry decoded last.
	prevNames []string
	// interned maps attribute names and memberOf values met so far to a
	// string of their own; at most maxInterned, each of at most
	// maxInternedLen bytes.
	interned map[string]string
}

// Bounds of entryDecoder.interned.
const (
	maxInterned    = 4096
	maxInternedLen = 512
)

// intern returns the interned copy of v, making one while there is room;
// ok is false when v is not and will not be interned.
func (d *entryDecoder) intern(v []byte) (string, bool) {
	if s, ok := d.interned[string(v)]; ok {
		return s, true
	}
	if len(v) > maxInternedLen || len(d.interned) >= maxInterned {
		return "", false
	}
	if d.interned == nil {
		d.interned = make(map[string]string)
	}
	s := string(v)
	d.interned[s] = s
	return s, true
}

// decode decodes the SearchResultEntry b; see entryDecoder for what the
// result shares with the next one.
func (d *entryDecoder) decode(b []byte) (*goldap.Entry, error) {
	r := berReader{b}
	dn, err := r.expect(berOctetString)
	if err != nil {
		return nil, err
	}
	list, err := r.expect(berSequence)
	if err != nil {
		return nil, err
	}
	// Parse once: check the structure, note where the names and values
	// are, intern, and size the copy.
	d.names, d.counts, d.src, d.vals, d.offs = d.names[:0], d.counts[:0], d.src[:0], d.vals[:0], d.offs[:0]
	size := len(dn)
	for lr := (berReader{list}); lr.more(); {
		pa, err := lr.expect(berSequence)
		if err != nil {
			return nil, err
		}
		ar := berReader{pa}
		name, err := ar.expect(berOctetString)
		if err != nil {
			return nil, err
		}
		set, err := ar.expect(berSet)
		if err != nil {
			return nil, err
		}
		internValues := strings.EqualFold(string(name), attrMemberOf)
		n := 0
		for vr := (berReader{set}); vr.more(); n++ {
			v, err := vr.expect(berOctetString)
			if err != nil {
				return nil, err
			}
			d.src = append(d.src, v)
			if internValues {
				if s, ok := d.intern(v); ok {
					d.vals = append(d.vals, s)
					d.offs = append(d.offs, -1)
					continue
				}
			}
			d.vals = append(d.vals, "")
			d.offs = append(d.offs, size)
			size += len(v)
		}
		d.names = append(d.names, name)
		d.counts = append(d.counts, n)
	}
	// Copy what is not interned into one string.
	var sb strings.Builder
	sb.Grow(size)
	sb.Write(dn)
	for k, v := range d.src {
		if d.offs[k] >= 0 {
			sb.Write(v)
		}
	}
	str := sb.String()
	// Slice the values out, into slabs.
	nAttrs := len(d.names)
	d.e = goldap.Entry{DN: str[:len(dn)]}
	d.attrs = slices.Grow(d.attrs[:0], nAttrs)[:nAttrs]
	d.ptrs = slices.Grow(d.ptrs[:0], nAttrs)[:nAttrs]
	d.raw = slices.Grow(d.raw[:0], len(d.src))[:len(d.src)]
	values := make([]string, len(d.src))
	for k, v := range d.src {
		if o := d.offs[k]; o >= 0 {
			values[k] = str[o : o+len(v)]
		} else {
			values[k] = d.vals[k]
		}
		d.raw[k] = unsafe.Slice(unsafe.StringData(values[k]), len(values[k]))
	}
	k := 0
	for i, name := range d.names {
		a := &d.attrs[i]
		// Entries of a stream mostly list the same attributes in the same
		// order: the previous entry's name is tried before the map.
		if prev := d.prevNames; i < len(prev) && prev[i] == string(name) {
			a.Name = prev[i]
		} else {
			var ok bool
			if a.Name, ok = d.intern(name); !ok {
				a.Name = string(name) // no room left to intern it
			}
		}
		n := d.counts[i]
		a.Values, a.ByteValues = values[k:k+n:k+n], d.raw[k:k+n:k+n]
		k += n
		d.ptrs[i] = a
	}
	d.e.Attributes = d.ptrs
	d.prevNames = d.prevNames[:0]
	for i := range d.attrs {
		d.prevNames = append(d.prevNames, d.attrs[i].Name)
	}
	clear(d.src) // b is not the decoder's to keep
	return &d.e, nil
}

// pagingCookie finds the paging control among a SearchResultDone's
// controls and returns its cookie; ok is false when there is none.
func pagingCookie(controls []byte) (cookie []byte, ok bool, err error) {
	r := berReader{controls}
	for r.more() {
		c, err := r.expect(berSequence)
		if err != nil {
			return nil, false, err
		}
		cr := berReader{c}
		oid, err := cr.expect(berOctetString)
		if err != nil {
			return nil, false, err
		}
		if string(oid) != goldap.ControlTypePaging {
			continue
		}
		var value []byte
		for cr.more() {
			t, v, err := cr.next()
			if err != nil {
				return nil, false, err
			}
			if t == berOctetString {
				value = v
			}
		}
		vr := berReader{value}
		seq, err := vr.expect(berSequence)
		if err != nil {
			return nil, false, err
		}
		sr := berReader{seq}
		if _, err := sr.expect(berInteger); err != nil {
			return nil, false, err
		}
		ck, err := sr.expect(berOctetString)
		if err != nil {
			return nil, false, err
		}
		return append([]byte(nil), ck...), true, nil
	}
	return nil, false, nil
}

// maxPageBuffer bounds the bytes of a page that pagedSearch holds before
// it hands them out; a page of larger entries is handed out in pieces.
const maxPageBuffer = 4 << 20

// pagedSearch runs q on sc page after page and calls fn for each entry.
//
// A page's entries are read as they come and kept undecoded until its
// SearchResultDone, and the request for the next page goes out before
// they are decoded and handed to fn: the server prepares the next page
// while the source works through this one, and neither waits on the
// other entry by entry. fn must not keep the *goldap.Entry, its
// Attributes or an attribute's ByteValues slice (entryDecoder).
func (sc *streamConn) pagedSearch(ctx context.Context, q query, pageSize int, fn func(*goldap.Entry) bool) error {
	stop := sc.watch(ctx)
	defer stop()
	req, err := searchRequest(q.base, goldap.ScopeWholeSubtree, 0, int(sc.timeout.Seconds()), q.filter, q.attrs)
	if err != nil {
		return err
	}
	paging := goldap.NewControlPaging(uint32(pageSize))
	var dec entryDecoder
	var page []byte // the page's entries so far, each one's length and content
	deliver := func() error {
		for r := page; len(r) > 0; {
			n := int(binary.LittleEndian.Uint32(r))
			e, err := dec.decode(r[4 : 4+n])
			if err != nil {
				return err
			}
			if !fn(e) {
				return errStop
			}
			r = r[4+n:]
		}
		page = page[:0]
		return nil
	}
	// fail hands out what was read before err, unless ctx ended.
	fail := func(err error) error {
		if ctx.Err() == nil {
			if derr := deliver(); derr != nil {
				return derr
			}
		}
		return err
	}
	if err := sc.send(appSearchRequest, req, paging.Encode().Bytes()); err != nil {
		return err
	}
	for {
		tag, body, controls, err := sc.read()
		if err != nil {
			return fail(err)
		}
		switch tag {
		case appSearchEntry:
			page = binary.LittleEndian.AppendUint32(page, uint32(len(body)))
			page = append(page, body...)
			if len(page) >= maxPageBuffer {
				if err := deliver(); err != nil {
					return err
				}
			}
			continue
		case appSearchReference, appIntermediate:
			continue
		case appSearchDone:
		default:
			return fail(fmt.Errorf("%w: unexpected operation 0x%02x in a search", errBER, tag))
		}
		if err := ldapResult(body); err != nil {
			return fail(err)
		}
		cookie, ok, err := pagingCookie(controls)
		if err != nil {
			return fail(err)
		}
		if !ok || len(cookie) == 0 {
			return deliver()
		}
		paging.SetCookie(cookie)
		if err := sc.send(appSearchRequest, req, paging.Encode().Bytes()); err != nil {
			return fail(err)
		}
		if err := deliver(); err != nil {
			return err
		}
	}
}
