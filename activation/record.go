package activation

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/usher-sdk/usher/userstore"
)

// Limits on extra data, so a batch request cannot store unbounded data.
const (
	maxExtraFields     = 32
	maxExtraNameLength = 64
	maxExtraValueBytes = 1024
)

// codeData is what a code token's Data holds: the extra data, each value
// only as a keyed hash.
type codeData struct {
	V     int               `json:"v"`
	Extra map[string]string `json:"extra,omitempty"` // name -> keyed hash of the value
	// ExactNames says the names of Extra are as given and compared
	// exactly (a code made through PortalGuardHandler); otherwise they
	// are normalized (normalizeExtraName) and compared so.
	ExactNames bool `json:"exactNames,omitempty"`
}

// passwordData is what a password-set token's Data holds: the code token
// it was issued for, so that an expired window can give the code back.
type passwordData struct {
	V    int             `json:"v"`
	Code userstore.Token `json:"code"`
}

// normalizeExtraName folds a field name so that "BirthDate" and
// "birthdate" are the same field.
func normalizeExtraName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// normalizeExtraValue trims surrounding space; values are compared exactly
// otherwise.
func normalizeExtraValue(s string) string { return strings.TrimSpace(s) }

// extraName is the name a field is stored and compared under.
func extraName(name string, exact bool) string {
	if exact {
		return name
	}
	return normalizeExtraName(name)
}

// hashExtra validates extra and returns its names (normalized, or as
// given when exact) mapped to keyed hashes.
func (m *Manager) hashExtra(userID string, extra map[string]string, exact bool) (map[string]string, error) {
	if len(extra) > maxExtraFields {
		return nil, fmt.Errorf("%w: %d extra fields, at most %d", ErrInvalidInput, len(extra), maxExtraFields)
	}
	out := make(map[string]string, len(extra))
	for name, value := range extra {
		n := extraName(name, exact)
		v := normalizeExtraValue(value)
		switch {
		case n == "":
			return nil, fmt.Errorf("%w: extra field with an empty name", ErrInvalidInput)
		case utf8.RuneCountInString(n) > maxExtraNameLength || !utf8.ValidString(n):
			return nil, fmt.Errorf("%w: extra field name %.20q… is too long or not UTF-8", ErrInvalidInput, n)
		case len(v) > maxExtraValueBytes || !utf8.ValidString(v):
			return nil, fmt.Errorf("%w: extra field %q: value is too long or not UTF-8", ErrInvalidInput, n)
		}
		if _, dup := out[n]; dup {
			return nil, fmt.Errorf("%w: extra field %q given twice", ErrInvalidInput, n)
		}
		out[n] = keyedHash(m.key, "extra:"+n, userID, v)
	}
	return out, nil
}

// extraMatches reports whether given carries every stored extra field with
// the stored value, names compared as the code was made (d.ExactNames).
// Fields given but not stored are ignored. All stored fields are
// compared, in constant time each, whatever the outcome.
func (m *Manager) extraMatches(userID string, d codeData, given map[string]string) bool {
	norm := make(map[string]string, len(given))
	for k, v := range given {
		norm[extraName(k, d.ExactNames)] = normalizeExtraValue(v)
	}
	ok := true
	for name, want := range d.Extra {
		v, present := norm[name]
		got := keyedHash(m.key, "extra:"+name, userID, v)
		if !equalHash(got, want) || !present {
			ok = false
		}
	}
	return ok
}

func decodeCodeData(t userstore.Token) (codeData, error) {
	var d codeData
	if len(t.Data) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(t.Data, &d); err != nil {
		return d, fmt.Errorf("activation: stored activation data is corrupt: %w", err)
	}
	return d, nil
}

// expiry returns the end of a code's validity created at now.
func (m *Manager) expiry(now time.Time) time.Time {
	return now.Add(time.Duration(m.settings.ExpiryDays) * 24 * time.Hour)
}
