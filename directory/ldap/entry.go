package ldap

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/usher-sdk/usher/directory"
)

// Attributes with a fixed meaning.
const (
	attrMemberOf           = "memberOf"
	attrObjectGUID         = "objectGUID"
	attrUserAccountControl = "userAccountControl"
	attrUSNChanged         = "uSNChanged"
	attrModifyTimestamp    = "modifyTimestamp"
	attrEntryCSN           = "entryCSN"
	attrPwdAccountLocked   = "pwdAccountLockedTime"

	// uacAccountDisable is userAccountControl's ACCOUNTDISABLE bit.
	uacAccountDisable = 0x2
	// pwdLockedForever is the pwdAccountLockedTime with which OpenLDAP's
	// ppolicy locks an account until an administrator unlocks it.
	pwdLockedForever = "000001010000Z"
)

// userAttributes lists what every user search asks for: the mapped
// attributes and those the source itself needs, each once. Queries add
// what only they need (queryAttrs).
func (c Config) userAttributes() []string {
	m := c.Mapping
	as := []string{m.FullName, m.Username, m.CorporateEmail, m.PersonalEmail, m.PhoneNumber, m.Groups, m.Roles,
		c.ExternalIDAttribute, c.DisabledAttribute}
	as = append(as, c.LoginAttributes...)
	if c.ActiveDirectory {
		as = append(as, attrUserAccountControl, attrAccountExpires, attrLockoutTime)
		if strings.EqualFold(m.Groups, attrMemberOf) {
			as = append(as, attrPrimaryGroupID)
		}
	}
	as = append(as, c.Attributes...)
	return dedupAttrs(as)
}

func dedupAttrs(as []string) []string {
	var out []string
	for _, a := range as {
		if a != "" && !slices.ContainsFunc(out, func(b string) bool { return strings.EqualFold(a, b) }) {
			out = append(out, a)
		}
	}
	return out
}

// queryAttrs returns the attributes of a user search: the common ones,
// ppolicy's pwdAccountLockedTime where the server defines it, and more
// (for Changes, the attribute its cursor follows).
func (s *Source) queryAttrs(info serverInfo, more ...string) []string {
	as := s.attrs
	if !s.cfg.ActiveDirectory && info.ppolicy {
		as = append(slices.Clip(as), attrPwdAccountLocked)
	}
	if len(more) > 0 {
		as = append(slices.Clip(as), more...)
	}
	return dedupAttrs(as)
}

// mapper turns the entries of one operation into directory.Entry values,
// with what the source knows about the server and the groups at its start.
//
// A mapper serves one operation (one stream, one Lookup) and is not safe
// for concurrent use.
type mapper struct {
	s     *Source
	now   time.Time
	info  serverInfo
	graph *groupGraph // for transitive groups; nil otherwise
	// decoded holds the names of escaped group RDNs met so far (R&D\2C
	// Zürich -> R&D, Zürich), so that a stream decodes each group's name
	// once rather than for every member; at most maxDecoded.
	decoded map[string]string
}

// maxDecoded bounds mapper.decoded.
const maxDecoded = 4096

// groupName returns the name of the group dn: its cn from the group graph
// when there is one, else its first RDN's value (rdnValue).
func (m *mapper) groupName(dn string) string {
	if m.graph != nil {
		return m.graph.name(dn)
	}
	raw, escaped, ok := firstRDN(dn)
	switch {
	case !ok:
		return rdnValue(dn)
	case !escaped:
		return raw
	}
	if v, hit := m.decoded[raw]; hit {
		return v
	}
	v, ok := decodeRDN(raw)
	if !ok {
		return rdnValue(dn)
	}
	if m.decoded == nil {
		m.decoded = map[string]string{}
	}
	if len(m.decoded) < maxDecoded {
		m.decoded[raw] = v
	}
	return v
}

// mapper reads (or takes from the cache) what mapping entries needs.
func (s *Source) mapper(ctx context.Context) (*mapper, error) {
	info, err := s.serverInfo(ctx)
	if err != nil {
		return nil, err
	}
	var g *groupGraph
	if s.cfg.TransitiveGroups && strings.EqualFold(s.cfg.Mapping.Groups, attrMemberOf) {
		if g, err = s.graph(ctx); err != nil {
			return nil, err
		}
	}
	return &mapper{s: s, now: s.now(), info: info, graph: g}, nil
}

// entry maps an LDAP entry onto a directory.Entry. err is only for a
// failure to resolve the entry's primary group.
func (m *mapper) entry(ctx context.Context, e *goldap.Entry) (directory.Entry, error) {
	c := m.s.cfg
	first := func(attr string) string {
		if attr == "" {
			return ""
		}
		return e.GetEqualFoldAttributeValue(attr)
	}
	out := directory.Entry{
		Source:         c.Name,
		DN:             e.DN,
		Username:       first(c.Mapping.Username),
		FullName:       first(c.Mapping.FullName),
		CorporateEmail: first(c.Mapping.CorporateEmail),
		PersonalEmail:  first(c.Mapping.PersonalEmail),
		Phone:          first(c.Mapping.PhoneNumber),
		Roles:          splitValues(e.GetEqualFoldAttributeValues(c.Mapping.Roles)),
		Enabled:        true,
		Raw:            make(map[string][]string, len(e.Attributes)),
	}
	groups, err := m.groups(ctx, e)
	if err != nil {
		return directory.Entry{}, err
	}
	out.Groups = groups
	if strings.EqualFold(c.ExternalIDAttribute, attrObjectGUID) {
		if raw := e.GetEqualFoldRawAttributeValue(attrObjectGUID); len(raw) == 16 {
			out.ExternalID = formatGUID(raw)
		}
	} else {
		out.ExternalID = first(c.ExternalIDAttribute)
	}
	if c.ActiveDirectory {
		if uac, err := strconv.ParseInt(first(attrUserAccountControl), 10, 64); err == nil && uac&uacAccountDisable != 0 {
			out.Enabled = false
		}
		if accountExpired(first(attrAccountExpires), m.now) || m.info.lockout.locked(first(attrLockoutTime), m.now) {
			out.Enabled = false
		}
	} else if first(attrPwdAccountLocked) == pwdLockedForever {
		out.Enabled = false
	}
	if c.DisabledAttribute != "" && isTrue(first(c.DisabledAttribute)) {
		out.Enabled = false
	}
	for _, a := range e.Attributes {
		if strings.EqualFold(a.Name, attrObjectGUID) && len(a.ByteValues) == 1 && len(a.ByteValues[0]) == 16 {
			out.Raw[a.Name] = []string{formatGUID(a.ByteValues[0])}
			continue
		}
		out.Raw[a.Name] = a.Values // the goldap.Entry is not used after this
	}
	return out, nil
}

// groups returns the entry's group names. From memberOf they are the
// names of the direct groups, then (Active Directory) the primary group's,
// then, with Config.TransitiveGroups, those of the groups these are in at
// any depth; from any other attribute each value is split at commas.
func (m *mapper) groups(ctx context.Context, e *goldap.Entry) ([]string, error) {
	c := m.s.cfg
	values := e.GetEqualFoldAttributeValues(c.Mapping.Groups)
	if !strings.EqualFold(c.Mapping.Groups, attrMemberOf) {
		return splitValues(values), nil
	}
	dns := values
	out := make([]string, 0, len(values)+1)
	add := func(name string) {
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, dn := range values {
		add(m.groupName(dn))
	}
	if c.ActiveDirectory {
		if rid, err := strconv.ParseUint(e.GetEqualFoldAttributeValue(attrPrimaryGroupID), 10, 32); err == nil {
			g, err := m.s.primaryGroup(ctx, m.info, uint32(rid))
			if err != nil {
				return nil, err
			}
			if g.dn != "" {
				add(g.name)
				dns = append(slices.Clip(dns), g.dn)
			}
		}
	}
	if m.graph != nil {
		for _, dn := range m.graph.closure(dns) {
			add(m.graph.name(dn))
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func isTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// rdnValue returns the value of the first attribute of dn's first RDN
// ("R&D, Zürich" for cn=R&D\2C Zürich,ou=groups,...), or "" when dn does
// not parse.
//
// Group names come from every memberOf value of every user a stream
// reads, so the common case — a plain value, no escapes, quotes, hex or
// surrounding spaces — is sliced out of dn without parsing the rest of it
// (FuzzRDNValue checks that it agrees with go-ldap's parser); anything
// else goes to goldap.ParseDN.
func rdnValue(dn string) string {
	if v, ok := plainRDNValue(dn); ok {
		return v
	}
	d, err := goldap.ParseDN(dn)
	if err != nil || len(d.RDNs) == 0 || len(d.RDNs[0].Attributes) == 0 {
		return ""
	}
	return d.RDNs[0].Attributes[0].Value
}

// plainRDNValue is rdnValue's fast path: ok is false unless dn starts
// with type=value where the type is a name or an OID and the value is
// plain or escaped (\, and a special character or two hex digits) —
// no quotes, no #hex form, no spaces at either end — ending at an
// unescaped ',' or '+' or at the end of dn.
func plainRDNValue(dn string) (string, bool) {
	raw, escaped, ok := firstRDN(dn)
	if !ok {
		return "", false
	}
	if !escaped {
		return raw, true
	}
	return decodeRDN(raw)
}

// firstRDN returns the undecoded text of dn's first RDN value, and
// whether it holds escapes, for plainRDNValue; ok is false when the fast
// path does not apply.
func firstRDN(dn string) (raw string, escaped, ok bool) {
	eq := strings.IndexByte(dn, '=')
	if eq <= 0 {
		return "", false, false
	}
	for i := range eq {
		c := dn[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "", false, false
		}
	}
	rest := dn[eq+1:]
	end := 0
	for end < len(rest) {
		c := rest[end]
		if c == ',' || c == '+' {
			break
		}
		switch {
		case c == '\\':
			// Skip the escape; decodeRDN checks it.
			escaped = true
			if end+1 < len(rest) && strings.IndexByte(` "#+,;<=>\`, rest[end+1]) >= 0 {
				end += 2
			} else {
				end += 3
			}
			continue
		case c == '"' || c == '#' || c == ';' || c == '<' || c == '>' || c == '=' || c < 0x20:
			return "", false, false
		}
		end++
	}
	if end > len(rest) {
		return "", false, false // an escape cut short
	}
	raw = rest[:end]
	if raw == "" || raw[0] == ' ' || raw[len(raw)-1] == ' ' || !utf8.ValidString(raw) {
		return "", false, false
	}
	return raw, escaped, true
}

// decodeRDN decodes the escapes of a value firstRDN returned; ok is false
// when one is malformed or the value decodes to something the fast path
// leaves to goldap.ParseDN.
func decodeRDN(raw string) (string, bool) {
	var small [64]byte
	buf := small[:0]
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			buf = append(buf, c)
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		if n := raw[i+1]; strings.IndexByte(` "#+,;<=>\`, n) >= 0 {
			buf = append(buf, n)
			i++
			continue
		}
		if i+2 >= len(raw) {
			return "", false
		}
		hi, lo := unhex(raw[i+1]), unhex(raw[i+2])
		if hi < 0 || lo < 0 {
			return "", false
		}
		buf = append(buf, byte(hi<<4|lo))
		i += 2
	}
	if len(buf) == 0 || buf[0] == ' ' || buf[len(buf)-1] == ' ' || !utf8.Valid(buf) {
		return "", false
	}
	return string(buf), true
}

// unhex returns the value of a hex digit, or -1.
func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// splitValues splits every value at commas, trims the parts and drops
// empty ones and repeats.
func splitValues(values []string) []string {
	var out []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// formatGUID formats a 16-byte Active Directory objectGUID as the usual
// GUID string (lower case, 8-4-4-4-12): the first three fields are stored
// little-endian, the last two as bytes in order. Other lengths give "".
func formatGUID(b []byte) string {
	if len(b) != 16 {
		return ""
	}
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x",
		binary.LittleEndian.Uint32(b[0:4]), binary.LittleEndian.Uint16(b[4:6]), binary.LittleEndian.Uint16(b[6:8]),
		b[8:10], b[10:16])
}

// parseGUID is the inverse of formatGUID: it returns the 16 bytes that
// Active Directory stores for a GUID string (braces and case are ignored).
func parseGUID(s string) ([]byte, error) {
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	var p [5]uint64
	var err error
	parts := strings.Split(t, "-")
	widths := []int{8, 4, 4, 4, 12}
	if len(parts) != 5 {
		return nil, fmt.Errorf("ldap: %q is not a GUID", s)
	}
	for i, part := range parts {
		if len(part) != widths[i] {
			return nil, fmt.Errorf("ldap: %q is not a GUID", s)
		}
		if p[i], err = strconv.ParseUint(part, 16, 64); err != nil {
			return nil, fmt.Errorf("ldap: %q is not a GUID", s)
		}
	}
	b := make([]byte, 16)
	binary.LittleEndian.PutUint32(b[0:4], uint32(p[0]))
	binary.LittleEndian.PutUint16(b[4:6], uint16(p[1]))
	binary.LittleEndian.PutUint16(b[6:8], uint16(p[2]))
	binary.BigEndian.PutUint16(b[8:10], uint16(p[3]))
	for i := range 6 {
		b[10+i] = byte(p[4] >> (8 * (5 - i)))
	}
	return b, nil
}
