// Package scimmap maps Usher's users and groups to SCIM 2.0 core resources
// and back. It is shared by the inbound endpoint (userstore/scim) and the
// outbound provisioning client (userstore/scim/push), so that both speak the
// same dialect. Resources are plain maps in their JSON shape
// (map[string]any), so the package works with and without a SCIM library.
//
// # Users (RFC 7643 section 4.1, urn:ietf:params:scim:schemas:core:2.0:User)
//
//	SCIM attribute                      userstore.User
//	id                                  ID
//	userName                            Username
//	externalId                          ExternalID
//	name.givenName                      GivenName
//	name.familyName                     FamilyName
//	displayName                         DisplayName
//	emails                              Email: the value of the entry marked
//	                                    primary, else of the first of type
//	                                    "work", else of the first entry; out:
//	                                    one entry {value, type "work",
//	                                    primary true}
//	phoneNumbers                        Phone: chosen like emails; out: one
//	                                    entry {value, type "work", primary true}
//	active                              Enabled
//	meta.version                        Version, as the weak ETag W/"<Version>"
//	meta.created, meta.lastModified     CreatedAt, UpdatedAt (RFC 3339)
//	nickName, title, userType,          Attributes under the same key
//	preferredLanguage, locale,
//	timezone, profileUrl
//	name.middleName, name.formatted,    Attributes under "name.middleName",
//	name.honorificPrefix,               and so on
//	name.honorificSuffix
//	enterprise extension (RFC 7643      Attributes under "enterprise.<name>"
//	section 4.3): employeeNumber,       ("enterprise.manager" holds
//	costCenter, organization,           manager.value)
//	division, department, manager
//
// Everything else in a SCIM resource (addresses, ims, photos, x509
// certificates, entitlements, roles, password) is ignored on the way in and
// never produced on the way out: Usher keeps no field for it. A SCIM
// password is never taken (Usher sets passwords through its own flows).
// Groups of a user are read-only in SCIM and come from GroupStore; they are
// not produced by UserToSCIM.
//
// Attribute names are matched without regard to case on the way in, as RFC
// 7643 section 2.1 requires; the output uses the canonical names.
// UserFromSCIM sets the mapped fields of a user from a full resource (a SCIM
// PUT or POST replaces them all): an absent attribute empties its field,
// except that an absent active means true (RFC 7643 leaves the default to
// the service provider; Entra ID and Okta send it). Attributes keys outside
// the table above are kept.
//
// # Groups (RFC 7643 section 4.2, urn:ietf:params:scim:schemas:core:2.0:Group)
//
//	SCIM attribute                      userstore.Group
//	id                                  ID (stable: a rename keeps it)
//	displayName                         Name
//	members[].value                     the IDs of the member users
//	externalId                          Metadata["externalId"]
//	meta.version                        Version, as W/"<Version>"
//
// Group members of type "Group" (nested groups) are not supported: a member
// is always a user ID.
package scimmap

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// Schema URNs of the resources this package maps (RFC 7643 section 8.7.1).
const (
	UserSchema           = "urn:ietf:params:scim:schemas:core:2.0:User"
	GroupSchema          = "urn:ietf:params:scim:schemas:core:2.0:Group"
	EnterpriseUserSchema = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// ErrInvalid means a SCIM resource has an attribute of the wrong type.
var ErrInvalid = errors.New("scimmap: invalid attribute")

// simpleUserAttrs are core User attributes kept in User.Attributes under
// their own names.
var simpleUserAttrs = []string{"nickName", "title", "userType", "preferredLanguage", "locale", "timezone", "profileUrl"}

// nameSubAttrs are name sub-attributes kept in User.Attributes as "name.<x>".
var nameSubAttrs = []string{"middleName", "formatted", "honorificPrefix", "honorificSuffix"}

// enterpriseAttrs are enterprise extension attributes kept as
// "enterprise.<x>"; manager is handled apart.
var enterpriseAttrs = []string{"employeeNumber", "costCenter", "organization", "division", "department"}

// MappedAttributeKeys lists the User.Attributes keys this package owns: the
// ones UserFromSCIM sets or removes.
func MappedAttributeKeys() []string {
	keys := append([]string(nil), simpleUserAttrs...)
	for _, n := range nameSubAttrs {
		keys = append(keys, "name."+n)
	}
	for _, n := range enterpriseAttrs {
		keys = append(keys, "enterprise."+n)
	}
	return append(keys, "enterprise.manager")
}

// ETag returns the weak entity tag of a version: W/"<version>".
func ETag(version int64) string {
	return `W/"` + strconv.FormatInt(version, 10) + `"`
}

// ParseETag returns the version in an ETag made by ETag. It accepts the
// strong form "<version>" too, since clients sometimes drop the W/.
func ParseETag(etag string) (int64, error) {
	s := strings.TrimSpace(etag)
	s = strings.TrimPrefix(s, "W/")
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, fmt.Errorf("%w: etag %q is not quoted", ErrInvalid, etag)
	}
	v, err := strconv.ParseInt(s[1:len(s)-1], 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%w: etag %q does not hold a version", ErrInvalid, etag)
	}
	return v, nil
}

// UserToSCIM returns the SCIM User resource of u, with schemas, id,
// externalId (when set), meta and the attributes of the package's table.
// Empty fields are left out.
func UserToSCIM(u userstore.User) map[string]any {
	r := map[string]any{
		"schemas":  []any{UserSchema},
		"id":       u.ID,
		"userName": u.Username,
		"active":   u.Enabled,
	}
	if u.ExternalID != "" {
		r["externalId"] = u.ExternalID
	}
	if u.DisplayName != "" {
		r["displayName"] = u.DisplayName
	}
	name := map[string]any{}
	if u.GivenName != "" {
		name["givenName"] = u.GivenName
	}
	if u.FamilyName != "" {
		name["familyName"] = u.FamilyName
	}
	for _, n := range nameSubAttrs {
		if v := u.Attributes["name."+n]; v != "" {
			name[n] = v
		}
	}
	if len(name) > 0 {
		r["name"] = name
	}
	if u.Email != "" {
		r["emails"] = []any{map[string]any{"value": u.Email, "type": "work", "primary": true}}
	}
	if u.Phone != "" {
		r["phoneNumbers"] = []any{map[string]any{"value": u.Phone, "type": "work", "primary": true}}
	}
	for _, n := range simpleUserAttrs {
		if v := u.Attributes[n]; v != "" {
			r[n] = v
		}
	}
	ent := map[string]any{}
	for _, n := range enterpriseAttrs {
		if v := u.Attributes["enterprise."+n]; v != "" {
			ent[n] = v
		}
	}
	if v := u.Attributes["enterprise.manager"]; v != "" {
		ent["manager"] = map[string]any{"value": v}
	}
	if len(ent) > 0 {
		r[EnterpriseUserSchema] = ent
		r["schemas"] = []any{UserSchema, EnterpriseUserSchema}
	}
	r["meta"] = meta("User", u.CreatedAt, u.UpdatedAt, u.Version)
	return r
}

func meta(resourceType string, created, modified time.Time, version int64) map[string]any {
	m := map[string]any{"resourceType": resourceType}
	if !created.IsZero() {
		m["created"] = created.UTC().Format(time.RFC3339)
	}
	if !modified.IsZero() {
		m["lastModified"] = modified.UTC().Format(time.RFC3339)
	}
	if version > 0 {
		m["version"] = ETag(version)
	}
	return m
}

// UserFromSCIM sets the mapped fields of u from the SCIM User resource r, as
// a replacement of all of them (see the package doc); fields SCIM does not
// map (ID, password, login state, Source, groups, roles, times, Version) and
// Attributes keys outside the table are left as they are. u.Attributes is
// copied, never changed in place. The error, matching ErrInvalid, names the
// first attribute of the wrong type; u is then unchanged.
func UserFromSCIM(r map[string]any, u *userstore.User) error {
	var out = *u
	out.Attributes = maps.Clone(u.Attributes)
	if out.Attributes == nil {
		out.Attributes = map[string]string{}
	}
	for _, k := range MappedAttributeKeys() {
		delete(out.Attributes, k)
	}
	var err error
	str := func(m map[string]any, key string) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = stringAttr(m, key)
		return s
	}
	out.Username = str(r, "userName")
	out.ExternalID = str(r, "externalId")
	out.DisplayName = str(r, "displayName")
	name, nerr := complexAttr(r, "name")
	if nerr != nil {
		return nerr
	}
	out.GivenName = str(name, "givenName")
	out.FamilyName = str(name, "familyName")
	for _, n := range nameSubAttrs {
		if v := str(name, n); v != "" {
			out.Attributes["name."+n] = v
		}
	}
	for _, n := range simpleUserAttrs {
		if v := str(r, n); v != "" {
			out.Attributes[n] = v
		}
	}
	if err != nil {
		return err
	}
	if out.Email, err = pickValue(r, "emails"); err != nil {
		return err
	}
	if out.Phone, err = pickValue(r, "phoneNumbers"); err != nil {
		return err
	}
	out.Enabled = true
	if v, ok := lookup(r, "active"); ok && v != nil {
		b, berr := boolValue(v)
		if berr != nil {
			return fmt.Errorf("%w: active: %v", ErrInvalid, berr)
		}
		out.Enabled = b
	}
	ent, eerr := complexAttr(r, EnterpriseUserSchema)
	if eerr != nil {
		return eerr
	}
	for _, n := range enterpriseAttrs {
		if v := str(ent, n); v != "" {
			out.Attributes["enterprise."+n] = v
		}
	}
	if err != nil {
		return err
	}
	if mv, ok := lookup(ent, "manager"); ok && mv != nil {
		switch m := mv.(type) {
		case string: // some clients send the ID alone
			if m != "" {
				out.Attributes["enterprise.manager"] = m
			}
		case map[string]any:
			v, serr := stringAttr(m, "value")
			if serr != nil {
				return serr
			}
			if v != "" {
				out.Attributes["enterprise.manager"] = v
			}
		default:
			return fmt.Errorf("%w: manager must be an object", ErrInvalid)
		}
	}
	if len(out.Attributes) == 0 && u.Attributes == nil {
		out.Attributes = nil
	}
	*u = out
	return nil
}

// GroupToSCIM returns the SCIM Group resource of g with the given member
// user IDs, in their order.
func GroupToSCIM(g userstore.Group, memberIDs []string) map[string]any {
	r := map[string]any{
		"schemas":     []any{GroupSchema},
		"id":          g.ID,
		"displayName": g.Name,
	}
	if v := g.Metadata["externalId"]; v != "" {
		r["externalId"] = v
	}
	members := make([]any, 0, len(memberIDs))
	for _, id := range memberIDs {
		members = append(members, map[string]any{"value": id, "type": "User"})
	}
	r["members"] = members
	r["meta"] = meta("Group", g.CreatedAt, g.UpdatedAt, g.Version)
	return r
}

// GroupFromSCIM returns the group and member user IDs of the SCIM Group
// resource r: Name from displayName, Metadata["externalId"] from externalId,
// the IDs from members[].value in their order, without duplicates. The error
// matches ErrInvalid for an attribute of the wrong type or a member without
// a value.
func GroupFromSCIM(r map[string]any) (userstore.Group, []string, error) {
	var g userstore.Group
	name, err := stringAttr(r, "displayName")
	if err != nil {
		return g, nil, err
	}
	g.Name = name
	ext, err := stringAttr(r, "externalId")
	if err != nil {
		return g, nil, err
	}
	if ext != "" {
		g.Metadata = map[string]string{"externalId": ext}
	}
	v, _ := lookup(r, "members")
	ids, err := MemberIDs(v)
	return g, ids, err
}

// MemberIDs returns the user IDs of a SCIM members value: a list of objects
// with a "value" (or one such object, as some clients send in a PATCH), in
// order and without duplicates. nil gives none.
func MemberIDs(v any) ([]string, error) {
	var list []any
	switch m := v.(type) {
	case nil:
		return nil, nil
	case []any:
		list = m
	case []map[string]any:
		for _, e := range m {
			list = append(list, e)
		}
	case map[string]any:
		list = []any{m}
	default:
		return nil, fmt.Errorf("%w: members must be a list", ErrInvalid)
	}
	var ids []string
	seen := map[string]bool{}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: members[%d] must be an object", ErrInvalid, i)
		}
		id, err := stringAttr(m, "value")
		if err != nil {
			return nil, err
		}
		if id == "" {
			return nil, fmt.Errorf("%w: members[%d] has no value", ErrInvalid, i)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// lookup finds key in m without regard to case (RFC 7643 section 2.1).
func lookup(m map[string]any, key string) (any, bool) {
	if m == nil {
		return nil, false
	}
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func stringAttr(m map[string]any, key string) (string, error) {
	v, ok := lookup(m, key)
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: %s must be a string", ErrInvalid, key)
	}
	return s, nil
}

func complexAttr(m map[string]any, key string) (map[string]any, error) {
	v, ok := lookup(m, key)
	if !ok || v == nil {
		return nil, nil
	}
	c, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s must be an object", ErrInvalid, key)
	}
	return c, nil
}

// boolValue accepts a JSON boolean and, because Entra ID has sent
// "active": "False" in PATCH values, the strings "true" and "false" in any
// case.
func boolValue(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		switch strings.ToLower(b) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("not a boolean: %v", v)
}

// BoolValue is the boolean of a SCIM value as UserFromSCIM reads active: a
// JSON boolean or the string "true" or "false" in any case.
func BoolValue(v any) (bool, error) {
	b, err := boolValue(v)
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return b, nil
}

// pickValue returns the value of the primary entry of a multi-valued
// attribute, else of the first of type "work", else of the first.
func pickValue(m map[string]any, key string) (string, error) {
	v, ok := lookup(m, key)
	if !ok || v == nil {
		return "", nil
	}
	list, ok := v.([]any)
	if !ok {
		return "", fmt.Errorf("%w: %s must be a list", ErrInvalid, key)
	}
	var first, work, primary string
	for i, e := range list {
		em, ok := e.(map[string]any)
		if !ok {
			return "", fmt.Errorf("%w: %s[%d] must be an object", ErrInvalid, key, i)
		}
		val, err := stringAttr(em, "value")
		if err != nil {
			return "", err
		}
		typ, err := stringAttr(em, "type")
		if err != nil {
			return "", err
		}
		if i == 0 {
			first = val
		}
		if work == "" && strings.EqualFold(typ, "work") {
			work = val
		}
		if p, ok := lookup(em, "primary"); ok && p != nil {
			pb, err := boolValue(p)
			if err != nil {
				return "", fmt.Errorf("%w: %s[%d].primary: %v", ErrInvalid, key, i, err)
			}
			if pb && primary == "" {
				primary = val
			}
		}
	}
	switch {
	case primary != "":
		return primary, nil
	case work != "":
		return work, nil
	}
	return first, nil
}
