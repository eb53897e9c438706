package claims

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/usher-sdk/usher/userstore"
)

// The user fields a claim can map to (Mapping.Claims values). Names are
// case-sensitive: "Email" is not "email" and is refused.
const (
	FieldFirstName   = "firstName"   // userstore.User.GivenName
	FieldLastName    = "lastName"    // userstore.User.FamilyName
	FieldDisplayName = "displayName" // userstore.User.DisplayName
	FieldEmail       = "email"       // userstore.User.Email
	FieldPhone       = "phone"       // userstore.User.Phone
	FieldMasterID    = "masterId"    // userstore.User.ExternalID, the user's ID at the provider
	FieldUsername    = "username"    // userstore.User.Username, the domain username
	// AttributePrefix followed by a name maps to that profile attribute:
	// "attributes.department" is User.Attributes["department"].
	AttributePrefix = "attributes."
)

// Defaults of Mapping.
const (
	DefaultIDClaim     = "sub"
	DefaultGroupsClaim = "groups"
)

// MaxValueLength bounds one mapped value, in bytes; a longer claim value
// refuses the sign-in rather than being cut.
const MaxValueLength = 4096

// DefaultClaims is the claim mapping used when Mapping.Claims is nil: the
// standard OpenID Connect claims onto their fields.
func DefaultClaims() map[string]string {
	return map[string]string{
		"given_name":         FieldFirstName,
		"family_name":        FieldLastName,
		"name":               FieldDisplayName,
		"email":              FieldEmail,
		"phone_number":       FieldPhone,
		"preferred_username": FieldUsername,
	}
}

// Mapping says how the claims of a verified sign-in become a user's
// fields and roles. The zero value maps DefaultClaims, takes the ID from
// sub and the groups from "groups", and gives no roles. A Mapping is read
// only by New, which checks it.
type Mapping struct {
	// Claims maps claim keys (case-sensitive) to user fields (the Field
	// constants, or AttributePrefix+name). Two keys may not map to the
	// same field. Nil means DefaultClaims; an empty, non-nil map maps
	// nothing but the ID.
	Claims map[string]string `json:"claims,omitempty"`
	// IDClaim is the claim that holds the user's ID at the provider
	// (FieldMasterID) when Claims maps none. Default "sub"; Azure AD v1
	// tokens carry "unique_name" too. When the claim is missing, sub is
	// used.
	IDClaim string `json:"idClaim,omitempty"`
	// GroupsClaim is the claim that lists the user's groups (names or
	// IDs). Default "groups".
	GroupsClaim string `json:"groupsClaim,omitempty"`
	// GroupRoles maps a group name or ID (exactly as the provider or the
	// GroupResolver gives it) to roles. A user gets the union of the roles
	// of all their mapped groups.
	GroupRoles map[string][]string `json:"groupRoles,omitempty"`
	// DefaultRoles are the roles of a user none of whose groups is mapped.
	// When empty, such a user gets no roles and Identity.Warnings says so.
	DefaultRoles []string `json:"defaultRoles,omitempty"`
}

// mapper is a checked Mapping.
type mapper struct {
	claims       map[string]string // claim -> field
	idClaim      string
	groupsClaim  string
	groupRoles   map[string][]string
	defaultRoles []string
}

func validField(f string) bool {
	switch f {
	case FieldFirstName, FieldLastName, FieldDisplayName, FieldEmail, FieldPhone, FieldMasterID, FieldUsername:
		return true
	}
	name, ok := strings.CutPrefix(f, AttributePrefix)
	return ok && name != "" && strings.TrimSpace(name) == name
}

// compile checks m and applies its defaults; the error names every
// problem.
func (m Mapping) compile() (*mapper, error) {
	var errs []error
	c := &mapper{
		claims:       m.Claims,
		idClaim:      m.IDClaim,
		groupsClaim:  m.GroupsClaim,
		groupRoles:   map[string][]string{},
		defaultRoles: normRoles(m.DefaultRoles),
	}
	if c.claims == nil {
		c.claims = DefaultClaims()
	} else {
		c.claims = maps.Clone(c.claims)
	}
	if c.idClaim == "" {
		c.idClaim = DefaultIDClaim
	}
	if c.groupsClaim == "" {
		c.groupsClaim = DefaultGroupsClaim
	}
	byField := map[string][]string{}
	for _, k := range slices.Sorted(maps.Keys(c.claims)) {
		f := c.claims[k]
		if strings.TrimSpace(k) == "" {
			errs = append(errs, errors.New("claims: Mapping.Claims: empty claim key"))
		}
		if !validField(f) {
			errs = append(errs, fmt.Errorf("claims: Mapping.Claims: claim %q maps to unknown field %q (fields are case-sensitive)", k, f))
			continue
		}
		byField[f] = append(byField[f], k)
	}
	for _, f := range slices.Sorted(maps.Keys(byField)) {
		if ks := byField[f]; len(ks) > 1 {
			errs = append(errs, fmt.Errorf("claims: Mapping.Claims: claims %q and %q both map to field %q", ks[0], ks[1], f))
		}
	}
	for g, roles := range m.GroupRoles {
		if strings.TrimSpace(g) == "" {
			errs = append(errs, errors.New("claims: Mapping.GroupRoles: empty group"))
		}
		for _, r := range roles {
			if strings.TrimSpace(r) == "" || strings.TrimSpace(r) != r {
				errs = append(errs, fmt.Errorf("claims: Mapping.GroupRoles: group %q has an empty or space-padded role %q", g, r))
			}
		}
		c.groupRoles[g] = normRoles(roles)
	}
	for _, r := range m.DefaultRoles {
		if strings.TrimSpace(r) == "" || strings.TrimSpace(r) != r {
			errs = append(errs, fmt.Errorf("claims: Mapping.DefaultRoles: empty or space-padded role %q", r))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// normRoles sorts and deduplicates roles; nil for none.
func normRoles(roles []string) []string {
	if len(roles) == 0 {
		return nil
	}
	out := slices.Clone(roles)
	slices.Sort(out)
	return slices.Compact(out)
}

// claimString renders a claim value as a field value: strings as they are,
// numbers and booleans in their JSON form, lists of them joined with ",".
func claimString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := claimString(e)
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

// claimStrings reads a claim that lists strings (or is one string).
func claimStrings(v any) ([]string, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return []string{x}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// user maps claims to a user's fields. The user is linked to source.
func (m *mapper) user(claims map[string]any, source string) (userstore.User, error) {
	u := userstore.User{Source: source}
	set := func(field, v string) {
		switch field {
		case FieldFirstName:
			u.GivenName = v
		case FieldLastName:
			u.FamilyName = v
		case FieldDisplayName:
			u.DisplayName = v
		case FieldEmail:
			u.Email = v
		case FieldPhone:
			u.Phone = v
		case FieldMasterID:
			u.ExternalID = v
		case FieldUsername:
			u.Username = v
		default:
			if u.Attributes == nil {
				u.Attributes = map[string]string{}
			}
			u.Attributes[strings.TrimPrefix(field, AttributePrefix)] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.claims)) {
		raw, ok := claims[k]
		if !ok || raw == nil {
			continue
		}
		v, ok := claimString(raw)
		if !ok {
			return userstore.User{}, refuse(ErrToken, "claim %q is not a string, number, boolean or list of them", k)
		}
		if len(v) > MaxValueLength {
			return userstore.User{}, refuse(ErrToken, "claim %q is longer than %d bytes", k, MaxValueLength)
		}
		set(m.claims[k], v)
	}
	if u.ExternalID == "" {
		id, _ := claims[m.idClaim].(string)
		if id == "" {
			id, _ = claims["sub"].(string)
		}
		u.ExternalID = id
	}
	if u.ExternalID == "" {
		return userstore.User{}, refuse(ErrToken, "no user ID (claim %q or sub)", m.idClaim)
	}
	if u.Username == "" {
		for _, k := range []string{"preferred_username", "upn", "email", "unique_name"} {
			if s, _ := claims[k].(string); s != "" {
				u.Username = s
				break
			}
		}
		if u.Username == "" {
			u.Username = u.ExternalID
		}
	}
	if v, ok := claims["email_verified"].(bool); ok && u.Email != "" {
		u.EmailVerified = v
	}
	return u, nil
}

// roles maps groups to roles: the union of the mapped groups' roles, or
// the default roles; warning is set when the user gets no role because no
// group is mapped and there are no default roles.
func (m *mapper) roles(groups []string) (roles []string, warning string) {
	var out []string
	mapped := false
	for _, g := range groups {
		if rs, ok := m.groupRoles[g]; ok {
			mapped = true
			out = append(out, rs...)
		}
	}
	if !mapped {
		if len(m.defaultRoles) == 0 {
			if len(m.groupRoles) == 0 {
				return nil, ""
			}
			return nil, "claims: none of the user's groups is mapped to a role and there are no default roles: the user has no roles"
		}
		return slices.Clone(m.defaultRoles), ""
	}
	return normRoles(out), ""
}
