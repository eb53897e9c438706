package sqlstore

import (
	"strings"
	"unicode/utf8"

	"github.com/usher-sdk/usher/userstore"
)

// storableText reports whether s can be stored as text on both
// databases and comes back unchanged: valid UTF-8 without NUL bytes
// (which PostgreSQL's text refuses, and which JSON would alter).
func storableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkText returns a *userstore.ValidationError naming the first field
// whose text cannot be stored unchanged.
func checkText(fields ...any) error {
	for i := 0; i+1 < len(fields); i += 2 {
		name := fields[i].(string)
		switch v := fields[i+1].(type) {
		case string:
			if !storableText(v) {
				return &userstore.ValidationError{Field: name, Reason: "must be valid UTF-8 without NUL bytes"}
			}
		case map[string]string:
			for k, x := range v {
				if !storableText(k) || !storableText(x) {
					return &userstore.ValidationError{Field: name, Reason: "keys and values must be valid UTF-8 without NUL bytes"}
				}
			}
		}
	}
	return nil
}

// checkUser checks the fields of u that userstore.User.Validate leaves
// free.
func checkUser(u userstore.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	return checkText("ID", u.ID, "Phone", u.Phone, "DisplayName", u.DisplayName, "GivenName", u.GivenName,
		"FamilyName", u.FamilyName, "PasswordHash", u.PasswordHash, "Source", u.Source, "ExternalID", u.ExternalID,
		"Attributes", u.Attributes)
}

// cleanText makes s storable for the audit trail, which records what it is
// given rather than refuse it: invalid UTF-8 and NUL bytes become U+FFFD.
func cleanText(s string) string {
	if storableText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
