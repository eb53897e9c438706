package directory

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// Canonical returns the bytes that are signed: the record as JSON with its
// fields in declaration order, no insignificant space, and HTML characters
// not escaped (what encoding/json's Encoder writes with SetEscapeHTML
// false, without the newline).
//
// The bytes are written here, without reflection: every record of a sync
// is encoded once where it is signed and once where it is verified, and
// the Encoder made five allocations a record. A string of printable
// ASCII other than " and \ is written as it is; any other goes through
// the Encoder, so that escaping stays encoding/json's
// (TestCanonicalIsEncoderOutput and FuzzCanonical hold the two equal).
func (r Record) Canonical() []byte {
	groups, roles := canonicalView(r.Groups), canonicalView(r.Roles)
	n := 170 + len(r.Source) + len(r.ExternalID) + len(r.Username) + len(r.FullName) + len(r.CorporateEmail) +
		len(r.PersonalEmail) + len(r.Phone)
	for _, s := range groups {
		n += len(s) + 3
	}
	for _, s := range roles {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	for _, f := range [...]struct{ key, val string }{
		{`{"source":`, r.Source}, {`,"externalId":`, r.ExternalID}, {`,"username":`, r.Username},
		{`,"fullName":`, r.FullName}, {`,"corporateEmail":`, r.CorporateEmail},
		{`,"personalEmail":`, r.PersonalEmail}, {`,"phone":`, r.Phone},
	} {
		b = append(b, f.key...)
		b = appendCanonicalString(b, f.val)
	}
	b = append(b, `,"groups":`...)
	b = appendCanonicalList(b, groups)
	b = append(b, `,"roles":`...)
	b = appendCanonicalList(b, roles)
	b = append(b, `,"enabled":`...)
	b = strconv.AppendBool(b, r.Enabled)
	return append(b, '}')
}

func appendCanonicalList(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCanonicalString(b, s)
	}
	return append(b, ']')
}

// appendCanonicalString appends s as a JSON string the way Canonical's
// Encoder writes it.
func appendCanonicalString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s) // a string always encodes
			return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// canonicalSet trims, drops empties, sorts and deduplicates into a new
// slice; never nil, so that the canonical JSON says [] rather than null.
func canonicalSet(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// canonicalView is canonicalSet for reading only: a set that is already
// canonical (as a record's from RecordOf is) comes back as it is, not
// copied.
func canonicalView(in []string) []string {
	for i, s := range in {
		if s == "" || strings.TrimSpace(s) != s || (i > 0 && in[i-1] >= s) {
			return canonicalSet(in)
		}
	}
	if in == nil {
		return []string{}
	}
	return in
}
