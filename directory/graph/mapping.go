package graph

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/directory"
)

// selectFields lists the properties to $select: the mapped ones, id and
// accountEnabled, without repeats, in a stable order.
func selectFields(m directory.Mapping) []string {
	fields := []string{"id", "accountEnabled"}
	for _, f := range []string{m.Username, m.FullName, m.CorporateEmail, m.PersonalEmail, m.PhoneNumber, m.Groups, m.Roles} {
		if f != "" && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	return fields
}

// values turns a JSON property into strings: a string is one value, an
// array of strings many, a bool or number its JSON text, null none.
func values(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return []string{s}
		}
		return nil
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		var out []string
		for _, it := range items {
			out = append(out, values(it)...)
		}
		return out
	case '{':
		return []string{string(raw)}
	}
	return []string{string(raw)}
}

// isComplete reports whether obj carries every selected property; delta
// answers for updated users may hold only the changed ones.
func (s *Source) isComplete(obj map[string]json.RawMessage) bool {
	for _, f := range s.fields {
		if _, ok := obj[f]; !ok {
			return false
		}
	}
	return true
}

// entry maps a Graph user object onto an Entry.
func (s *Source) entry(obj map[string]json.RawMessage) directory.Entry {
	raw := make(map[string][]string, len(obj))
	for k, v := range obj {
		if strings.HasPrefix(k, "@odata.") {
			continue
		}
		raw[k] = values(v)
	}
	first := func(attr string) string {
		if vs := raw[attr]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	list := func(attr string) []string {
		var out []string
		for _, v := range raw[attr] {
			for p := range strings.SplitSeq(v, ",") {
				if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
					out = append(out, p)
				}
			}
		}
		return out
	}
	m := s.cfg.Mapping
	enabled, _ := strconv.ParseBool(first("accountEnabled"))
	return directory.Entry{
		Source:         s.cfg.Name,
		ExternalID:     first("id"),
		Username:       first(m.Username),
		FullName:       first(m.FullName),
		CorporateEmail: first(m.CorporateEmail),
		PersonalEmail:  first(m.PersonalEmail),
		Phone:          first(m.PhoneNumber),
		Groups:         list(m.Groups),
		Roles:          list(m.Roles),
		Enabled:        enabled,
		Raw:            raw,
	}
}

// isUser reports whether a directory object is a user (objects without
// @odata.type come from user-only endpoints).
func isUser(obj map[string]json.RawMessage) bool {
	t, ok := obj["@odata.type"]
	if !ok {
		return true
	}
	var s string
	_ = json.Unmarshal(t, &s)
	return s == "#microsoft.graph.user"
}
