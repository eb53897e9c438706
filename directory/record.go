package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Record is the canonical form of a synced user: what a sync signs and what
// a target compares. Two entries that mean the same user produce the same
// Record (groups and roles sorted and deduplicated, e-mails in lower case,
// surrounding space trimmed).
type Record struct {
	Source         string   `json:"source"`
	ExternalID     string   `json:"externalId"`
	Username       string   `json:"username"`
	FullName       string   `json:"fullName"`
	CorporateEmail string   `json:"corporateEmail"`
	PersonalEmail  string   `json:"personalEmail"`
	Phone          string   `json:"phone"`
	Groups         []string `json:"groups"`
	Roles          []string `json:"roles"`
	Enabled        bool     `json:"enabled"`
}

// RecordOf returns the canonical record of an entry.
func RecordOf(e Entry) Record {
	r := Record{
		Source:         strings.TrimSpace(e.Source),
		ExternalID:     strings.TrimSpace(e.ExternalID),
		Username:       strings.TrimSpace(e.Username),
		FullName:       strings.TrimSpace(e.FullName),
		CorporateEmail: NormalizeEmail(e.CorporateEmail),
		PersonalEmail:  NormalizeEmail(e.PersonalEmail),
		Phone:          strings.TrimSpace(e.Phone),
		Groups:         canonicalSet(e.Groups),
		Roles:          canonicalSet(e.Roles),
		Enabled:        e.Enabled,
	}
	if r.Username == "" {
		r.Username = r.CorporateEmail
	}
	return r
}

// Equal reports whether two records are the same canonically.
func (r Record) Equal(o Record) bool { return string(r.Canonical()) == string(o.Canonical()) }

// NormalizeEmail trims an e-mail address and folds it to lower case.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Identifier is the pseudonymous identifier of a user in audit logs: the
// hex SHA-256 of the organization ID, a NUL byte and the normalized
// corporate e-mail. It names a user without revealing the address; Lookup
// reverses it against a source's users.
func Identifier(orgID, corporateEmail string) string {
	h := sha256.New()
	h.Write([]byte(orgID))
	h.Write([]byte{0})
	h.Write([]byte(NormalizeEmail(corporateEmail)))
	return hex.EncodeToString(h.Sum(nil))
}

// ErrUnknownIdentifier means no user of the source has the identifier.
var ErrUnknownIdentifier = errors.New("directory: no user has that identifier")

// LookupIdentifier reverses an identifier (see Identifier) by matching it
// against the corporate e-mails of the source's users. It reads the whole
// source in the worst case.
func LookupIdentifier(ctx context.Context, src Source, orgID, identifier string) (Entry, error) {
	identifier = strings.ToLower(strings.TrimSpace(identifier))
	if len(identifier) != sha256.Size*2 {
		return Entry{}, fmt.Errorf("directory: identifier %q is not %d hex digits", identifier, sha256.Size*2)
	}
	for e, err := range src.Users(ctx) {
		if err != nil {
			return Entry{}, fmt.Errorf("directory: reading source %q: %w", src.Name(), err)
		}
		if e.CorporateEmail != "" && Identifier(orgID, e.CorporateEmail) == identifier {
			return e, nil
		}
	}
	return Entry{}, ErrUnknownIdentifier
}
