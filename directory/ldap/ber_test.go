package ldap

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	goldap "github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The encodings follow X.690 (BER) and RFC 4511 section 4 (LDAPMessage,
// SearchResultEntry, LDAPResult), and RFC 2696 for the paging control's
// value: realSearchControlValue ::= SEQUENCE { size INTEGER, cookie OCTET
// STRING }. go-ldap's encoder is the cross-check where it has one.

func TestBERIntegers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n   int64
		enc []byte
	}{
		{0, []byte{0x00}}, {1, []byte{0x01}}, {127, []byte{0x7f}}, {128, []byte{0x00, 0x80}},
		{256, []byte{0x01, 0x00}}, {-1, []byte{0xff}}, {-128, []byte{0x80}}, {-129, []byte{0xff, 0x7f}},
		{1<<31 - 1, []byte{0x7f, 0xff, 0xff, 0xff}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.enc, berIntBytes(tt.n), tt.n)
		got, err := berInt(tt.enc)
		require.NoError(t, err)
		assert.Equal(t, tt.n, got)
	}
	_, err := berInt(nil)
	assert.ErrorIs(t, err, errBER)
}

func TestBERLengths(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 127, 128, 255, 256, 65535, 65536, 1 << 20} {
		enc := tlv(nil, berOctetString, make([]byte, n))
		r := berReader{enc}
		tag, v, err := r.next()
		require.NoError(t, err, n)
		assert.Equal(t, byte(berOctetString), tag)
		assert.Len(t, v, n)
		assert.False(t, r.more())
	}
	for _, bad := range [][]byte{{0x04}, {0x04, 0x80}, {0x04, 0x85, 1, 1, 1, 1, 1}, {0x04, 0x82, 0x01}, {0x04, 0x05, 'a'}, {0x1f, 0x01, 0x00},
		{0x04, 0x84, 0x7f, 0xff, 0xff, 0xff}} {
		r := berReader{bad}
		_, _, err := r.next()
		assert.ErrorIs(t, err, errBER, "%x", bad)
	}
}

// message frames an LDAPMessage as a server would send it.
func message(id int64, op byte, content, controls []byte) []byte {
	var body []byte
	body = tlv(body, berInteger, berIntBytes(id))
	body = tlv(body, op, content)
	if controls != nil {
		body = tlv(body, ctxControls, controls)
	}
	return tlv(nil, berSequence, body)
}

func entryContent(dn string, attrs ...[]string) []byte {
	var list []byte
	for _, a := range attrs {
		var set []byte
		for _, v := range a[1:] {
			set = tlv(set, berOctetString, []byte(v))
		}
		var pa []byte
		pa = tlv(pa, berOctetString, []byte(a[0]))
		pa = tlv(pa, berSet, set)
		list = tlv(list, berSequence, pa)
	}
	var b []byte
	b = tlv(b, berOctetString, []byte(dn))
	return tlv(b, berSequence, list)
}

func result(code int64, diag string) []byte {
	var b []byte
	b = tlv(b, berEnumerated, berIntBytes(code))
	b = tlv(b, berOctetString, nil)
	return tlv(b, berOctetString, []byte(diag))
}

func TestStreamRead(t *testing.T) {
	t.Parallel()
	paging := goldap.NewControlPaging(1000)
	paging.SetCookie([]byte("next\x00page"))
	var wire []byte
	wire = append(wire, message(7, appSearchEntry, entryContent("uid=old", []string{"uid", "old"}), nil)...) // an earlier request's
	wire = append(wire, message(8, appSearchEntry, entryContent(`uid=o(dd)*user\5c,ou=people`,
		[]string{"uid", `o(dd)*user\`}, []string{"mobile", "+1", "+2"}, []string{"empty"}), nil)...)
	wire = append(wire, message(8, appSearchDone, result(0, ""), paging.Encode().Bytes())...)
	wire = append(wire, message(0, appExtendedResponse, result(goldap.LDAPResultUnavailable, "shutting down"), nil)...)
	sc := &streamConn{r: bufio.NewReader(bytes.NewReader(wire)), id: 8}

	tag, body, _, err := sc.read()
	require.NoError(t, err)
	require.Equal(t, byte(appSearchEntry), tag)
	var d entryDecoder
	e, err := d.decode(body)
	require.NoError(t, err)
	assert.Equal(t, `uid=o(dd)*user\5c,ou=people`, e.DN)
	assert.Equal(t, []string{`o(dd)*user\`}, e.GetAttributeValues("uid"))
	assert.Equal(t, []string{"+1", "+2"}, e.GetAttributeValues("mobile"))
	assert.Equal(t, [][]byte{[]byte("+1"), []byte("+2")}, e.GetRawAttributeValues("mobile"))
	assert.Empty(t, e.GetAttributeValues("empty"))

	tag, body, controls, err := sc.read()
	require.NoError(t, err)
	require.Equal(t, byte(appSearchDone), tag)
	require.NoError(t, ldapResult(body))
	cookie, ok, err := pagingCookie(controls)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, []byte("next\x00page"), cookie, "the cookie of go-ldap's own encoding")

	_, _, _, err = sc.read()
	assert.True(t, goldap.IsErrorWithCode(err, goldap.LDAPResultUnavailable), "notice of disconnection: %v", err)
}

func TestLDAPResult(t *testing.T) {
	t.Parallel()
	require.NoError(t, ldapResult(result(0, "")))
	err := ldapResult(result(goldap.LDAPResultInvalidCredentials, "80090308: LdapErr: DSID-0C09041C, data 52e"))
	assert.True(t, goldap.IsErrorWithCode(err, goldap.LDAPResultInvalidCredentials))
	assert.ErrorContains(t, err, "data 52e")
	assert.ErrorIs(t, ldapResult([]byte{0x0a}), errBER)
}

func TestSearchRequestEncodesFilterOnce(t *testing.T) {
	t.Parallel()
	b, err := searchRequest("ou=people,dc=usher,dc=test", goldap.ScopeWholeSubtree, 0, 30, `(uid=o\28dd\29\2auser\5c)`, []string{"uid", "cn"})
	require.NoError(t, err)
	r := berReader{b}
	base, err := r.expect(berOctetString)
	require.NoError(t, err)
	assert.Equal(t, "ou=people,dc=usher,dc=test", string(base))
	for range 5 { // scope, deref, size, time, typesOnly
		_, _, err := r.next()
		require.NoError(t, err)
	}
	tag, v, err := r.next()
	require.NoError(t, err)
	assert.Equal(t, byte(0xa3), tag, "equalityMatch [3]")
	fr := berReader{v}
	_, _ = fr.expect(berOctetString)
	val, err := fr.expect(berOctetString)
	require.NoError(t, err)
	assert.Equal(t, `o(dd)*user\`, string(val), "the escaped value is decoded once by the filter compiler, not twice")
	_, err = searchRequest("dc=x", 2, 0, 0, "(uid=", nil)
	assert.Error(t, err)
}

// FuzzStreamRead feeds arbitrary bytes to the streaming reader and its
// decoders: they must fail cleanly, never panic or read out of bounds.
func FuzzStreamRead(f *testing.F) {
	paging := goldap.NewControlPaging(10)
	paging.SetCookie([]byte{1, 2})
	f.Add(message(1, appSearchEntry, entryContent("cn=a", []string{"cn", "a", "b"}), nil))
	f.Add(message(1, appSearchDone, result(0, ""), paging.Encode().Bytes()))
	f.Add(message(0, appExtendedResponse, result(52, "bye"), nil))
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Add(append(message(1, appSearchEntry, entryContent("cn=a", []string{"memberOf", "cn=g", "cn=h"}), nil),
		message(1, appSearchEntry, entryContent("cn=b", []string{"memberOf", "cn=h"}, []string{"cn", "b"}), nil)...))
	f.Fuzz(func(t *testing.T, wire []byte) {
		sc := &streamConn{r: bufio.NewReader(bytes.NewReader(wire)), id: 1}
		var d entryDecoder // shared by the messages, as in a stream
		var prevWant *goldap.Entry
		var prevDN string
		var prevValues [][]string
		for range 4 {
			tag, body, controls, err := sc.read()
			if err != nil {
				return
			}
			switch tag {
			case appSearchEntry:
				var fresh entryDecoder
				want, werr := fresh.decode(body)
				if werr == nil {
					want = cloneEntry(want)
				}
				e, err := d.decode(body)
				require.Equal(t, werr, err)
				if err != nil {
					continue
				}
				requireSameEntry(t, want, e)
				if prevWant != nil { // what the previous entry kept is intact
					require.Equal(t, prevWant.DN, prevDN)
					for i, a := range prevWant.Attributes {
						require.Len(t, prevValues[i], len(a.Values))
						for j, v := range a.Values {
							require.Equal(t, v, prevValues[i][j])
						}
					}
				}
				prevWant, prevDN, prevValues = want, e.DN, nil
				for _, a := range e.Attributes {
					prevValues = append(prevValues, a.Values)
				}
			default:
				_ = ldapResult(body)
				_, _, _ = pagingCookie(controls)
			}
		}
	})
}

// cloneEntry deep-copies e, whose slabs an entryDecoder reuses.
func cloneEntry(e *goldap.Entry) *goldap.Entry {
	c := &goldap.Entry{DN: strings.Clone(e.DN)}
	for _, a := range e.Attributes {
		ca := &goldap.EntryAttribute{Name: strings.Clone(a.Name)}
		for _, v := range a.Values {
			ca.Values = append(ca.Values, strings.Clone(v))
			ca.ByteValues = append(ca.ByteValues, []byte(v))
		}
		c.Attributes = append(c.Attributes, ca)
	}
	return c
}

func requireSameEntry(t *testing.T, want, got *goldap.Entry) {
	t.Helper()
	require.Equal(t, want.DN, got.DN)
	require.Len(t, got.Attributes, len(want.Attributes))
	for i, a := range want.Attributes {
		g := got.Attributes[i]
		require.Equal(t, a.Name, g.Name)
		require.Equal(t, len(a.Values), len(g.Values))
		for j, v := range a.Values {
			require.Equal(t, v, g.Values[j])
			if g.ByteValues != nil {
				require.Equal(t, v, string(g.ByteValues[j]))
			}
		}
	}
}

// TestEntryDecoder: a stream's entries keep their strings and Values when
// the decoder moves on, share their memberOf values and attribute names,
// and the interning stops at its bound.
func TestEntryDecoder(t *testing.T) {
	t.Parallel()
	var d entryDecoder
	const g = "CN=Team 001\\, Zürich,OU=Teams,DC=usher,DC=test"
	e1, err := d.decode(entryContent("uid=a,ou=wide", []string{"uid", "a"}, []string{"memberOf", g, "cn=x"}, []string{"bin", "\x00\xff"}))
	require.NoError(t, err)
	dn1, uid1, groups1 := e1.DN, e1.GetAttributeValues("uid"), e1.GetAttributeValues("memberOf")
	name1 := e1.Attributes[1].Name
	assert.Equal(t, []byte{0, 0xff}, e1.GetRawAttributeValue("bin"))

	e2, err := d.decode(entryContent("uid=b,ou=wide", []string{"uid", "b"}, []string{"MEMBEROF", "cn=y", g}))
	require.NoError(t, err)
	assert.Equal(t, "uid=a,ou=wide", dn1)
	assert.Equal(t, []string{"a"}, uid1)
	assert.Equal(t, []string{g, "cn=x"}, groups1)
	assert.Equal(t, "uid=b,ou=wide", e2.DN)
	assert.Equal(t, []string{"cn=y", g}, e2.GetEqualFoldAttributeValues("memberOf"))
	assert.Same(t, unsafe.StringData(groups1[0]), unsafe.StringData(e2.GetEqualFoldAttributeValues("memberOf")[1]), "one copy of a group DN")
	assert.Same(t, unsafe.StringData(name1), unsafe.StringData(d.interned["memberOf"]))
	assert.Equal(t, []byte("cn=y"), e2.GetEqualFoldRawAttributeValues("memberOf")[0])

	for i := range maxInterned {
		d.intern([]byte(strconv.Itoa(i)))
	}
	assert.Len(t, d.interned, maxInterned)
	e3, err := d.decode(entryContent("uid=c", []string{"memberOf", "cn=new"}, []string{"newAttr", "v"}))
	require.NoError(t, err)
	assert.Len(t, d.interned, maxInterned, "bounded")
	assert.Equal(t, []string{"cn=new"}, e3.GetAttributeValues("memberOf"))
	assert.Equal(t, []string{"v"}, e3.GetAttributeValues("newAttr"))
	long := strings.Repeat("x", maxInternedLen+1)
	_, ok := d.intern([]byte(long))
	assert.False(t, ok)

	_, err = d.decode([]byte{0x04, 0x01, 'x', 0x30, 0x03, 0x30, 0x01})
	assert.ErrorIs(t, err, errBER)
}

// TestPagedSearchAsksForTheNextPageFirst: the request for the next page
// goes out before the entries of this one are handed out, all of them in
// order, and a page larger than maxPageBuffer is handed out in pieces.
func TestPagedSearchAsksForTheNextPageFirst(t *testing.T) {
	t.Parallel()
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	big := strings.Repeat("x", maxPageBuffer/2)
	second := make(chan struct{})
	go func() {
		srv := &streamConn{r: bufio.NewReader(server), timeout: time.Minute}
		for id, page := range [][]string{{"a", "b"}, {"c", big, big, "d"}} {
			srv.id = int64(id + 1)
			if _, _, _, err := srv.read(); err != nil {
				return
			}
			if id == 1 {
				close(second)
			}
			for _, v := range page {
				if _, err := server.Write(message(srv.id, appSearchEntry, entryContent("cn="+v[:1], []string{"cn", v}), nil)); err != nil {
					return
				}
			}
			paging := goldap.NewControlPaging(2)
			if id == 0 {
				paging.SetCookie([]byte("more"))
			}
			if _, err := server.Write(message(srv.id, appSearchDone, result(0, ""), paging.Encode().Bytes())); err != nil {
				return
			}
		}
	}()
	sc := &streamConn{raw: client, conn: client, r: bufio.NewReader(client), timeout: time.Minute}
	var got []string
	err := sc.pagedSearch(t.Context(), query{base: "dc=x", filter: "(cn=*)", attrs: []string{"cn"}}, 2, func(e *goldap.Entry) bool {
		if len(got) == 0 {
			select {
			case <-second:
			case <-time.After(10 * time.Second):
				t.Error("the first entry was handed out before the next page was asked for")
			}
		}
		got = append(got, e.GetAttributeValue("cn")[:1])
		return true
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "x", "x", "d"}, got)
}
