package userstore

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// MaxUsernameLength is the longest username accepted, in characters.
const MaxUsernameLength = 256

// Bounds of User.Roles: at most MaxRoles roles of 1 to MaxRoleLength
// characters each.
const (
	MaxRoles      = 100
	MaxRoleLength = 256
)

var folder = cases.Fold()

// NormalizeUsername returns the form in which usernames and e-mails are
// compared: Unicode case-folded, surrounding space removed.
func NormalizeUsername(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return folder.String(s)
		}
	}
	// Case folding maps only A–Z of ASCII, to a–z; ToLower does the same
	// without x/text's transformer (and returns s itself when it has
	// nothing to change). A sync normalizes two names a user.
	return strings.ToLower(s)
}

// validateUsername checks a username: 1 to MaxUsernameLength characters of
// valid UTF-8, no control characters, no surrounding space.
func validateUsername(s string) error {
	switch {
	case s == "":
		return &ValidationError{Field: "Username", Reason: "must not be empty"}
	case !utf8.ValidString(s):
		return &ValidationError{Field: "Username", Reason: "must be valid UTF-8"}
	case utf8.RuneCountInString(s) > MaxUsernameLength:
		return &ValidationError{Field: "Username", Reason: "is longer than 256 characters"}
	case strings.TrimSpace(s) != s:
		return &ValidationError{Field: "Username", Reason: "must not begin or end with space"}
	case strings.ContainsFunc(s, unicode.IsControl):
		return &ValidationError{Field: "Username", Reason: "must not contain control characters"}
	}
	return nil
}

// validateRoles checks roles: at most MaxRoles, each 1 to MaxRoleLength
// characters of valid UTF-8, no control characters, no surrounding space.
// Duplicates count once.
func validateRoles(roles []string) error {
	if len(roles) > MaxRoles {
		seen := make(map[string]struct{}, len(roles))
		for _, r := range roles {
			seen[r] = struct{}{}
		}
		if len(seen) > MaxRoles {
			return &ValidationError{Field: "Roles", Reason: "has more than 100 roles"}
		}
	}
	for _, r := range roles {
		switch {
		case r == "":
			return &ValidationError{Field: "Roles", Reason: "must not contain an empty role"}
		case !utf8.ValidString(r):
			return &ValidationError{Field: "Roles", Reason: "must be valid UTF-8"}
		case utf8.RuneCountInString(r) > MaxRoleLength:
			return &ValidationError{Field: "Roles", Reason: "has a role longer than 256 characters"}
		case strings.TrimSpace(r) != r:
			return &ValidationError{Field: "Roles", Reason: "has a role that begins or ends with space"}
		case strings.ContainsFunc(r, unicode.IsControl):
			return &ValidationError{Field: "Roles", Reason: "has a role with control characters"}
		}
	}
	return nil
}

// validateEmail checks an e-mail address; empty is allowed (no e-mail).
// Only a bare address is accepted, not "Name <addr>".
func validateEmail(s string) error {
	if s == "" || plainAddress(s) {
		return nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return &ValidationError{Field: "Email", Reason: "is not a valid address"}
	}
	return nil
}

// plainAddress reports whether s is local@domain with both parts dot-atoms
// (RFC 5322) of letters, digits and . _ + -: a subset of what
// mail.ParseAddress accepts as itself, recognized without its parser and
// its allocations (a sync validates every user's address).
func plainAddress(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && plainDotAtom(local) && plainDotAtom(domain)
}

func plainDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '+', c == '-':
		default:
			return false
		}
	}
	return true
}

// Validate checks the fields a store checks on create and update: the
// username, the e-mail and the roles (see MaxRoles).
func (u User) Validate() error {
	if err := validateUsername(u.Username); err != nil {
		return err
	}
	if err := validateEmail(u.Email); err != nil {
		return err
	}
	return validateRoles(u.Roles)
}

// Validate checks a group's name: the same rules as a username.
func (g Group) Validate() error {
	if err := validateUsername(g.Name); err != nil {
		return &ValidationError{Field: "Name", Reason: err.(*ValidationError).Reason}
	}
	return nil
}
