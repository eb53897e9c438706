package csv

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usher-sdk/usher/directory"
)

// parseRow maps one record onto an Entry. The returned RowError has no
// line yet; the caller sets it.
func parseRow(ctx context.Context, h *header, rec []string, o options) (directory.Entry, *RowError) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Check and clean every cell except the password, which is kept as
	// typed and never echoed.
	pwIdx, hasPw := -1, false
	if h.format == FormatNotakey {
		pwIdx, hasPw = h.index[keyPassword]
	}
	cells := make([]string, len(rec))
	for i, v := range rec {
		if hasPw && i == pwIdx {
			cells[i] = v
			if !utf8.ValidString(v) || strings.ContainsFunc(v, isBadControl) {
				bad("column %q: password has invalid characters", h.names[i])
			}
			continue
		}
		if !utf8.ValidString(v) {
			bad("column %q: not valid UTF-8", h.names[i])
			continue
		}
		if strings.ContainsFunc(v, isBadControl) {
			bad("column %q: contains control characters", h.names[i])
			continue
		}
		cells[i] = unneutralize(strings.TrimSpace(v))
	}
	if len(problems) > 0 {
		return directory.Entry{}, &RowError{Reason: strings.Join(problems, "; ")}
	}

	e := directory.Entry{Enabled: true, Raw: map[string][]string{}}
	for i, name := range h.names {
		if name == "" || (hasPw && i == pwIdx) {
			continue
		}
		e.Raw[name] = []string{cells[i]}
	}
	get := func(key string) string {
		v, _ := h.get(cells, key)
		return v
	}

	switch h.format {
	case FormatPureSync:
		e.FullName = get(keyFullName)
		if e.FullName == "" {
			bad("%q is empty", "Full Name")
		}
		e.CorporateEmail = get(keyCorporateEmail)
		switch {
		case e.CorporateEmail == "":
			bad("%q is empty", "Corporate Email")
		case !validEmail(e.CorporateEmail):
			bad("%q is not an e-mail address: %q", "Corporate Email", e.CorporateEmail)
		}
		e.PersonalEmail = get(keyPersonalEmail)
		if e.PersonalEmail != "" && !validEmail(e.PersonalEmail) {
			bad("%q is not an e-mail address: %q", "Personal Email", e.PersonalEmail)
		}
		e.Phone = get(keyPhoneNumber)
		if e.Phone != "" && !validPhone(e.Phone) {
			bad("%q is not a phone number: %q", "Phone Number", e.Phone)
		}
		e.Groups = splitList(get(keyGroups), ",")
		e.Roles = splitList(get(keyRoles), ",")
		e.Username = e.CorporateEmail
		e.ExternalID = strings.ToLower(e.CorporateEmail)

	case FormatNotakey:
		e.Username = get(keyUsername)
		if e.Username == "" {
			bad("%q is empty", "Username")
		} else if strings.ContainsFunc(e.Username, unicode.IsSpace) {
			bad("%q contains spaces: %q", "Username", e.Username)
		}
		e.FullName = get(keyFullName)
		e.CorporateEmail = get(keyEmail)
		if e.CorporateEmail != "" && !validEmail(e.CorporateEmail) {
			bad("%q is not an e-mail address: %q", "Email", e.CorporateEmail)
		}
		e.Phone = get(keyPhone)
		if e.Phone != "" && !validPhone(e.Phone) {
			bad("%q is not a phone number: %q", "Phone", e.Phone)
		}
		e.Groups = splitList(get(keyTeams), "|")
		if v, ok := h.get(cells, keyEnabled); ok {
			e.Enabled = parseEnabled(v)
		}
		e.ExternalID = e.Username
		if len(problems) == 0 && hasPw && rec[pwIdx] != "" {
			hash, err := passwordHash(ctx, rec[pwIdx], o.hasher)
			if err != nil {
				return directory.Entry{}, &RowError{Reason: err.Error(), Err: err}
			}
			e.PasswordHash = hash
		}
	}
	if len(problems) > 0 {
		return directory.Entry{}, &RowError{Reason: strings.Join(problems, "; ")}
	}
	return e, nil
}

// passwordHash keeps a recognised hash and hashes anything else.
func passwordHash(ctx context.Context, pw string, h PasswordHasher) (string, error) {
	if h == nil {
		return "", fmt.Errorf("%q is set but no hasher is configured (csv.WithHasher)", "Password")
	}
	if _, err := h.Identify(pw); err == nil {
		return pw, nil
	}
	hash, err := h.Hash(ctx, pw)
	if err != nil {
		return "", fmt.Errorf("hashing %q: %w", "Password", err)
	}
	return hash, nil
}

// parseEnabled is true for true, t, yes, y and 1 in any case.
func parseEnabled(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "t", "yes", "y", "1":
		return true
	}
	return false
}

// splitList splits v on sep, trims the parts and drops empty and repeated
// ones. It returns nil for an empty list.
func splitList(v, sep string) []string {
	var out []string
	for p := range strings.SplitSeq(v, sep) {
		p = strings.TrimSpace(p)
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// validEmail accepts a bare address (no display name, no angle brackets).
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && !strings.ContainsAny(s, "<>\"")
}

// validPhone accepts digits with an optional leading "+" and the usual
// separators, with at least three digits.
func validPhone(s string) bool {
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '/':
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 20
}

// isBadControl reports control characters other than tab; a tab inside a
// cell is kept, a CR or LF is refused.
func isBadControl(r rune) bool {
	return r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029')
}
