package csv

import (
	"fmt"
	"strings"
)

// Format is a CSV layout.
type Format int

const (
	// FormatAuto detects the format from the header.
	FormatAuto Format = iota
	// FormatPureSync is the PureSync template.
	FormatPureSync
	// FormatNotakey is the Notakey user import format.
	FormatNotakey
)

func (f Format) String() string {
	switch f {
	case FormatAuto:
		return "auto"
	case FormatPureSync:
		return "puresync"
	case FormatNotakey:
		return "notakey"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Column names, as written by Writer and WriteTemplate. Reading matches
// them without regard to case or surrounding spaces.
var (
	// PureSyncColumns are the columns of the PureSync template.
	pureSyncColumns = []string{colFullName, "Personal Email", "Corporate Email", "Phone Number", "groups", "roles"}
	// NotakeyColumns are the columns of the Notakey import format.
	notakeyColumns = []string{"Username", "Full name", "Email", "Phone", "Password", "Teams", "Enabled"}
)

// Normalised column keys.
const (
	colFullName = "Full Name"

	keyFullName       = "full name"
	keyPersonalEmail  = "personal email"
	keyCorporateEmail = "corporate email"
	keyPhoneNumber    = "phone number"
	keyGroups         = "groups"
	keyRoles          = "roles"

	keyUsername = "username"
	keyEmail    = "email"
	keyPhone    = "phone"
	keyPassword = "password"
	keyTeams    = "teams"
	keyEnabled  = "enabled"
)

// columns returns the header of format f (PureSync for FormatAuto).
func columns(f Format) []string {
	if f == FormatNotakey {
		return append([]string(nil), notakeyColumns...)
	}
	return append([]string(nil), pureSyncColumns...)
}

// header is a parsed header line.
type header struct {
	format Format
	names  []string       // as written, BOM and spaces trimmed
	index  map[string]int // normalised name -> column
}

func normKey(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// parseHeader checks the header and finds the format (want unless
// FormatAuto). Problems are returned as a reason for a RowError.
func parseHeader(rec []string, want Format) (*header, error) {
	h := &header{index: map[string]int{}}
	if len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], "\uFEFF")
	}
	var dups []string
	for i, name := range rec {
		name = strings.TrimSpace(name)
		h.names = append(h.names, name)
		k := normKey(name)
		if k == "" {
			continue
		}
		if _, dup := h.index[k]; dup {
			dups = append(dups, fmt.Sprintf("%q", name))
			continue
		}
		h.index[k] = i
	}
	if len(dups) > 0 {
		return nil, fmt.Errorf("header: duplicate column %s", strings.Join(dups, ", "))
	}
	_, hasCorporate := h.index[keyCorporateEmail]
	_, hasUsername := h.index[keyUsername]
	f := want
	if f == FormatAuto {
		switch {
		case hasCorporate && hasUsername:
			return nil, fmt.Errorf("%w: header has both %q and %q; set Config.Format", ErrUnknownFormat, "Corporate Email", "Username")
		case hasCorporate:
			f = FormatPureSync
		case hasUsername:
			f = FormatNotakey
		default:
			return nil, fmt.Errorf("%w: header has neither %q (PureSync) nor %q (Notakey)", ErrUnknownFormat, "Corporate Email", "Username")
		}
	}
	var required []string
	switch f {
	case FormatPureSync:
		required = []string{keyFullName, keyCorporateEmail}
	case FormatNotakey:
		required = []string{keyUsername}
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, f)
	}
	var missing []string
	for _, k := range required {
		if _, ok := h.index[k]; !ok {
			missing = append(missing, fmt.Sprintf("%q", k))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("header: missing required column %s for the %v format", strings.Join(missing, ", "), f)
	}
	h.format = f
	return h, nil
}

// get returns the cell of column key in rec, or "" when the column is absent.
func (h *header) get(rec []string, key string) (string, bool) {
	i, ok := h.index[key]
	if !ok || i >= len(rec) {
		return "", false
	}
	return rec[i], true
}
