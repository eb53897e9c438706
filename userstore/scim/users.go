package scim

import (
	"errors"
	"net/http"
	"reflect"
	"strings"

	lib "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/usher-sdk/usher/internal/scimmap"
	"github.com/usher-sdk/usher/userstore"
)

// users is the library's resource handler for /Users.
type users struct {
	h      *handler
	schema schema.Schema
	ext    schema.Schema
}

func isInvalid(err error) bool { return errors.Is(err, scimmap.ErrInvalid) || errors.Is(err, errPatch) }

// checkIfMatch refuses with 412 a request whose If-Match names none of
// version's entity tags; no If-Match, or "*", matches any version.
func checkIfMatch(r *http.Request, version int64) error {
	h := r.Header.Get("If-Match")
	if h == "" {
		return nil
	}
	for _, t := range strings.Split(h, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return nil
		}
		if v, err := scimmap.ParseETag(t); err == nil && v == version {
			return nil
		}
	}
	return errPreconditionFailed
}

// stripCommon removes what the library adds to every resource itself.
func stripCommon(m map[string]any) map[string]any {
	delete(m, "id")
	delete(m, "externalId")
	delete(m, "meta")
	delete(m, "schemas")
	return m
}

func (u *users) resource(x userstore.User) lib.Resource {
	res := lib.Resource{
		ID:         x.ID,
		Attributes: stripCommon(scimmap.UserToSCIM(x)),
		Meta:       lib.Meta{Version: scimmap.ETag(x.Version)},
	}
	if x.ExternalID != "" {
		res.ExternalID = optional.NewString(x.ExternalID)
	}
	if !x.CreatedAt.IsZero() {
		t := x.CreatedAt.UTC()
		res.Meta.Created = &t
	}
	if !x.UpdatedAt.IsZero() {
		t := x.UpdatedAt.UTC()
		res.Meta.LastModified = &t
	}
	return res
}

// Create stores a new user with Source set to Config.Source.
func (u *users) Create(r *http.Request, attrs lib.ResourceAttributes) (lib.Resource, error) {
	var x userstore.User
	if err := scimmap.UserFromSCIM(attrs, &x); err != nil {
		return lib.Resource{}, u.h.storeError(r, err, "")
	}
	x.Source = u.h.cfg.Source
	created, err := u.h.store.CreateUser(r.Context(), x)
	if err != nil {
		return lib.Resource{}, u.h.storeError(r, err, "")
	}
	u.h.log.InfoContext(r.Context(), "scim: user created", "user_id", created.ID, "source", created.Source, "remote", r.RemoteAddr)
	return u.resource(created), nil
}

// Get returns one user.
func (u *users) Get(r *http.Request, id string) (lib.Resource, error) {
	proj, err := projectionOf(r)
	if err != nil {
		return lib.Resource{}, err
	}
	x, err := u.h.store.GetUser(r.Context(), id)
	if err != nil {
		return lib.Resource{}, u.h.storeError(r, err, id)
	}
	res := u.resource(x)
	res.Attributes = proj.apply(res.Attributes)
	return res, nil
}

// GetAll lists users in ascending ID order, filtered and paged.
func (u *users) GetAll(r *http.Request, p lib.ListRequestParams) (lib.Page, error) {
	ctx := r.Context()
	proj, err := projectionOf(r)
	if err != nil {
		return lib.Page{}, err
	}
	var candidates func(yield func(userstore.User, error) bool)
	if p.FilterValidator != nil {
		if attr, val, ok := eqFilter(p.FilterValidator.GetFilter()); ok {
			var find func() (userstore.User, error)
			switch strings.ToLower(attr) {
			case "username":
				find = func() (userstore.User, error) { return u.h.store.GetUserByUsername(ctx, val) }
			case "externalid":
				find = func() (userstore.User, error) { return u.h.store.GetUserByExternalID(ctx, u.h.cfg.Source, val) }
			case "id":
				find = func() (userstore.User, error) { return u.h.store.GetUser(ctx, val) }
			}
			if find != nil {
				candidates = func(yield func(userstore.User, error) bool) {
					x, err := find()
					if errors.Is(err, userstore.ErrNotFound) {
						return
					}
					yield(x, err)
				}
			}
		}
	}
	if candidates == nil {
		candidates = u.h.store.ListUsers(ctx, userstore.ListOptions{})
	}
	page := lib.Page{Resources: []lib.Resource{}}
	count, start := u.h.pageBounds(p)
	for x, err := range candidates {
		if err != nil {
			return lib.Page{}, u.h.storeError(r, err, "")
		}
		if p.FilterValidator != nil {
			ok, err := passes(*p.FilterValidator, scimmap.UserToSCIM(x))
			if err != nil {
				return lib.Page{}, scimerrors.ScimErrorInvalidFilter
			}
			if !ok {
				continue
			}
		}
		page.TotalResults++
		if page.TotalResults >= start && len(page.Resources) < count {
			res := u.resource(x)
			res.Attributes = proj.apply(res.Attributes)
			page.Resources = append(page.Resources, res)
		}
	}
	return page, nil
}

// pageBounds returns the page size and 1-based start index of a list
// request (RFC 7644 section 3.4.2.4), the size capped at MaxPageSize.
func (h *handler) pageBounds(p lib.ListRequestParams) (count, start int) {
	count = min(max(p.Count, 0), h.cfg.MaxPageSize)
	start = max(p.StartIndex, 1)
	return count, start
}

// eqFilter reports whether e is a plain `attr eq "value"` on a top-level
// attribute, which the store can answer without a scan.
func eqFilter(e filter.Expression) (attr, value string, ok bool) {
	ae, ok := e.(*filter.AttributeExpression)
	if !ok {
		return "", "", false
	}
	if ae.Operator != filter.EQ || ae.AttributePath.SubAttribute != nil {
		return "", "", false
	}
	if p := ae.AttributePath.URIPrefix; p != nil && *p != scimmap.UserSchema && *p != scimmap.GroupSchema {
		return "", "", false
	}
	s, ok := ae.CompareValue.(string)
	return ae.AttributePath.AttributeName, s, ok
}

// Replace sets every mapped attribute of a user (PUT).
func (u *users) Replace(r *http.Request, id string, attrs lib.ResourceAttributes) (lib.Resource, error) {
	cur, err := u.h.store.GetUser(r.Context(), id)
	if err != nil {
		return lib.Resource{}, u.h.storeError(r, err, id)
	}
	if err := checkIfMatch(r, cur.Version); err != nil {
		return lib.Resource{}, err
	}
	next := cur
	if err := scimmap.UserFromSCIM(attrs, &next); err != nil {
		return lib.Resource{}, u.h.storeError(r, err, id)
	}
	return u.update(r, cur, next)
}

// update writes next if it differs from cur, compare-and-set on
// cur.Version.
func (u *users) update(r *http.Request, cur, next userstore.User) (lib.Resource, error) {
	if reflect.DeepEqual(cur, next) {
		return u.resource(cur), nil
	}
	next.Version = cur.Version
	updated, err := u.h.store.UpdateUser(r.Context(), next)
	if err != nil {
		return lib.Resource{}, u.h.storeError(r, err, cur.ID)
	}
	u.h.log.InfoContext(r.Context(), "scim: user updated", "user_id", updated.ID, "enabled", updated.Enabled, "remote", r.RemoteAddr)
	return u.resource(updated), nil
}

// Delete removes a user.
func (u *users) Delete(r *http.Request, id string) error {
	cur, err := u.h.store.GetUser(r.Context(), id)
	if err != nil {
		return u.h.storeError(r, err, id)
	}
	if err := checkIfMatch(r, cur.Version); err != nil {
		return err
	}
	if err := u.h.store.DeleteUser(r.Context(), id); err != nil {
		return u.h.storeError(r, err, id)
	}
	u.h.log.InfoContext(r.Context(), "scim: user deleted", "user_id", id, "remote", r.RemoteAddr)
	return nil
}

// Patch applies the operations to the user's SCIM resource and stores the
// result in one write.
func (u *users) Patch(r *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	cur, err := u.h.store.GetUser(r.Context(), id)
	if err != nil {
		return lib.Resource{}, u.h.storeError(r, err, id)
	}
	if err := checkIfMatch(r, cur.Version); err != nil {
		return lib.Resource{}, err
	}
	m := scimmap.UserToSCIM(cur)
	for _, op := range ops {
		if err := applyPatch(m, op, u.attribute); err != nil {
			return lib.Resource{}, u.h.storeError(r, err, id)
		}
	}
	next := cur
	if err := scimmap.UserFromSCIM(m, &next); err != nil {
		return lib.Resource{}, u.h.storeError(r, err, id)
	}
	return u.update(r, cur, next)
}

// attribute finds the schema attribute of a path, in the core schema or,
// with its URI prefix, the enterprise extension.
func (u *users) attribute(p filter.AttributePath) (schema.CoreAttribute, bool) {
	s := u.schema
	if p.URIPrefix != nil && strings.EqualFold(*p.URIPrefix, u.ext.ID) {
		s = u.ext
	}
	return findAttribute(s, p.AttributeName)
}

func findAttribute(s schema.Schema, name string) (schema.CoreAttribute, bool) {
	for _, a := range s.Attributes {
		if strings.EqualFold(a.Name(), name) {
			return a, true
		}
	}
	return schema.CoreAttribute{}, false
}

var _ lib.ResourceHandler = (*users)(nil)
