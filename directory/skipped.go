package directory

import (
	"fmt"
	"unicode/utf8"
)

// Limits of the fields a sync writes, in bytes. A source entry over any of
// them is skipped (see Skipped), so that one broken or hostile directory
// entry can neither fill the store nor print a 10 MB error.
const (
	maxIDLen      = 256  // ExternalID and Username
	maxEmailLen   = 254  // RFC 5321's limit of a path
	maxNameLen    = 256  // FullName
	maxPhoneLen   = 64   // Phone
	maxGroupLen   = 256  // each group and role
	maxGroupCount = 1000 // groups, and roles, of one entry
)

// Skipped is a source entry a sync left out, with the reason. Its user,
// if the target has one, is neither changed nor deactivated. Reasons name
// the field and its size, never its value.
//
// A sync takes an entry only with a corporate e-mail (it identifies the
// synced user) and a username, and within these limits: external ID and
// username 256 bytes, each e-mail 254, full name 256, phone 64, at most
// 1,000 groups and 1,000 roles of 256 bytes each.
type Skipped struct {
	// ExternalID is the entry's external ID (its username when it has
	// none), cut to 64 bytes.
	ExternalID string
	Reason     string
}

// skipReason says why a sync cannot take r, or "" when it can: r has no
// corporate e-mail (the identifier every synced user is known by) or no
// username, or a field over its limit.
func skipReason(r Record) string {
	switch {
	case r.CorporateEmail == "":
		return "no corporate e-mail, which identifies a synced user"
	case r.Username == "":
		return "no sign-in name"
	}
	for _, f := range []struct {
		name  string
		value string
		max   int
	}{
		{"external ID", r.ExternalID, maxIDLen},
		{"username", r.Username, maxIDLen},
		{"corporate e-mail", r.CorporateEmail, maxEmailLen},
		{"personal e-mail", r.PersonalEmail, maxEmailLen},
		{"full name", r.FullName, maxNameLen},
		{"phone", r.Phone, maxPhoneLen},
	} {
		if len(f.value) > f.max {
			return fmt.Sprintf("%s of %d bytes, over the limit of %d", f.name, len(f.value), f.max)
		}
	}
	for _, l := range []struct {
		name   string
		values []string
	}{{"groups", r.Groups}, {"roles", r.Roles}} {
		if len(l.values) > maxGroupCount {
			return fmt.Sprintf("%d %s, over the limit of %d", len(l.values), l.name, maxGroupCount)
		}
		for _, v := range l.values {
			if len(v) > maxGroupLen {
				return fmt.Sprintf("one of its %s has %d bytes, over the limit of %d", l.name, len(v), maxGroupLen)
			}
		}
	}
	return ""
}

// skippedOf describes r, which a sync leaves out for reason.
func skippedOf(r Record, reason string) Skipped {
	id := r.ExternalID
	if len(id) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(id[cut]) {
			cut--
		}
		id = id[:cut] + "…"
	}
	return Skipped{ExternalID: id, Reason: reason}
}
