package scim

import (
	"errors"
	"maps"
	"net/http"
	"strings"

	lib "github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/usher-sdk/usher/internal/scimmap"
	"github.com/usher-sdk/usher/userstore"
)

// groups is the library's resource handler for /Groups. A group's SCIM id
// is its userstore ID (userstore.Group.ID), which a rename keeps; an id that
// names no group is tried as a group name, so that the ids of releases
// before group IDs (which were names) keep working.
type groups struct {
	h *handler
}

// find returns the group whose SCIM id is id.
func (g *groups) find(r *http.Request, id string) (userstore.Group, error) {
	x, err := g.h.store.GetGroupByID(r.Context(), id)
	if errors.Is(err, userstore.ErrNotFound) {
		x, err = g.h.store.GetGroup(r.Context(), id)
	}
	return x, err
}

func (g *groups) members(r *http.Request, name string) ([]string, error) {
	var ids []string
	for u, err := range g.h.store.ListMembers(r.Context(), name) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

func (g *groups) resource(x userstore.Group, ids []string) lib.Resource {
	res := lib.Resource{
		ID:         x.ID,
		Attributes: stripCommon(scimmap.GroupToSCIM(x, ids)),
		Meta:       lib.Meta{Version: scimmap.ETag(x.Version)},
	}
	if v := x.Metadata["externalId"]; v != "" {
		res.ExternalID = optional.NewString(v)
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

// checkUsers makes sure every ID names a user, before any change is made.
func (g *groups) checkUsers(r *http.Request, ids []string) error {
	for _, id := range ids {
		if _, err := g.h.store.GetUser(r.Context(), id); err != nil {
			if errors.Is(err, userstore.ErrNotFound) {
				e := scimerrors.ScimErrorInvalidValue
				e.Detail = "Member " + id + " is not a user."
				return e
			}
			return g.h.storeError(r, err, id)
		}
	}
	return nil
}

// diff returns the user IDs of want missing from have, and those of have
// missing from want.
func diff(have, want []string) (add, remove []string) {
	keep := make(map[string]bool, len(want))
	for _, id := range want {
		keep[id] = true
	}
	had := make(map[string]bool, len(have))
	for _, id := range have {
		had[id] = true
		if !keep[id] {
			remove = append(remove, id)
		}
	}
	for _, id := range want {
		if !had[id] {
			add = append(add, id)
		}
	}
	return add, remove
}

// logMembers logs the membership changes of one update.
func (g *groups) logMembers(r *http.Request, x userstore.Group, add, remove []string) {
	for _, id := range remove {
		g.h.log.InfoContext(r.Context(), "scim: member removed", "group", x.Name, "group_id", x.ID, "user_id", id, "remote", r.RemoteAddr)
	}
	for _, id := range add {
		g.h.log.InfoContext(r.Context(), "scim: member added", "group", x.Name, "group_id", x.ID, "user_id", id, "remote", r.RemoteAddr)
	}
}

// Create stores a new group and its members.
func (g *groups) Create(r *http.Request, attrs lib.ResourceAttributes) (lib.Resource, error) {
	x, ids, err := scimmap.GroupFromSCIM(attrs)
	if err != nil {
		return lib.Resource{}, g.h.storeError(r, err, "")
	}
	if err := g.checkUsers(r, ids); err != nil {
		return lib.Resource{}, err
	}
	created, err := g.h.store.CreateGroup(r.Context(), x)
	if err != nil {
		return lib.Resource{}, g.h.storeError(r, err, "")
	}
	g.h.log.InfoContext(r.Context(), "scim: group created", "group", created.Name, "group_id", created.ID, "remote", r.RemoteAddr)
	if len(ids) > 0 {
		created, err = g.h.store.UpdateGroupByID(r.Context(), userstore.GroupUpdate{Group: created, AddMembers: ids})
		if err != nil {
			// A member deleted since checkUsers: take the group back, so
			// that the failed request leaves nothing behind.
			if derr := g.h.store.DeleteGroup(r.Context(), x.Name); derr == nil {
				g.h.log.InfoContext(r.Context(), "scim: group deleted", "group", x.Name, "remote", r.RemoteAddr)
			}
			return lib.Resource{}, g.h.storeError(r, err, "")
		}
		g.logMembers(r, created, ids, nil)
	}
	return g.resource(created, ids), nil
}

// Get returns one group with its members.
func (g *groups) Get(r *http.Request, id string) (lib.Resource, error) {
	proj, err := projectionOf(r)
	if err != nil {
		return lib.Resource{}, err
	}
	x, err := g.find(r, id)
	if err != nil {
		return lib.Resource{}, g.h.storeError(r, err, id)
	}
	var ids []string
	if proj.returns("members") {
		if ids, err = g.members(r, x.Name); err != nil {
			return lib.Resource{}, g.h.storeError(r, err, id)
		}
	}
	res := g.resource(x, ids)
	res.Attributes = proj.apply(res.Attributes)
	return res, nil
}

// GetAll lists groups in ascending name order, filtered and paged.
func (g *groups) GetAll(r *http.Request, p lib.ListRequestParams) (lib.Page, error) {
	proj, err := projectionOf(r)
	if err != nil {
		return lib.Page{}, err
	}
	// Members are read only when returned or possibly filtered on: Entra
	// ID looks groups up by displayName with excludedAttributes=members.
	needMembers := proj.returns("members")
	if p.FilterValidator != nil {
		attr, _, ok := eqFilter(p.FilterValidator.GetFilter())
		needMembers = needMembers || !ok || strings.EqualFold(attr, "members")
	}
	var candidates func(yield func(userstore.Group, error) bool)
	if p.FilterValidator != nil {
		if attr, val, ok := eqFilter(p.FilterValidator.GetFilter()); ok &&
			(strings.EqualFold(attr, "displayName") || strings.EqualFold(attr, "id")) {
			get := g.h.store.GetGroup
			if strings.EqualFold(attr, "id") {
				get = g.h.store.GetGroupByID
			}
			candidates = func(yield func(userstore.Group, error) bool) {
				x, err := get(r.Context(), val)
				if errors.Is(err, userstore.ErrNotFound) {
					return
				}
				yield(x, err)
			}
		}
	}
	if candidates == nil {
		candidates = g.h.store.ListGroups(r.Context())
	}
	page := lib.Page{Resources: []lib.Resource{}}
	count, start := g.h.pageBounds(p)
	for x, err := range candidates {
		if err != nil {
			return lib.Page{}, g.h.storeError(r, err, "")
		}
		var ids []string
		if needMembers {
			if ids, err = g.members(r, x.Name); err != nil {
				return lib.Page{}, g.h.storeError(r, err, x.Name)
			}
		}
		if p.FilterValidator != nil {
			ok, err := passes(*p.FilterValidator, scimmap.GroupToSCIM(x, ids))
			if err != nil {
				return lib.Page{}, scimerrors.ScimErrorInvalidFilter
			}
			if !ok {
				continue
			}
		}
		page.TotalResults++
		if page.TotalResults >= start && len(page.Resources) < count {
			res := g.resource(x, ids)
			res.Attributes = proj.apply(res.Attributes)
			page.Resources = append(page.Resources, res)
		}
	}
	return page, nil
}

// Replace sets a group's externalId and members (PUT).
func (g *groups) Replace(r *http.Request, id string, attrs lib.ResourceAttributes) (lib.Resource, error) {
	cur, have, err := g.current(r, id)
	if err != nil {
		return lib.Resource{}, err
	}
	next, want, err := scimmap.GroupFromSCIM(attrs)
	if err != nil {
		return lib.Resource{}, g.h.storeError(r, err, id)
	}
	return g.apply(r, cur, have, next, want)
}

// Patch applies the operations to the group's SCIM resource and stores the
// difference.
func (g *groups) Patch(r *http.Request, id string, ops []lib.PatchOperation) (lib.Resource, error) {
	cur, have, err := g.current(r, id)
	if err != nil {
		return lib.Resource{}, err
	}
	m := scimmap.GroupToSCIM(cur, have)
	core := schema.CoreGroupSchema()
	attr := func(p filter.AttributePath) (schema.CoreAttribute, bool) { return findAttribute(core, p.AttributeName) }
	for _, op := range ops {
		if err := applyPatch(m, op, attr); err != nil {
			return lib.Resource{}, g.h.storeError(r, err, id)
		}
	}
	next, want, err := scimmap.GroupFromSCIM(m)
	if err != nil {
		return lib.Resource{}, g.h.storeError(r, err, id)
	}
	res, err := g.apply(r, cur, have, next, want)
	if err != nil {
		return lib.Resource{}, err
	}
	// Entra ID asks for 204 after a group PATCH; the library writes 204
	// when no attributes are returned.
	res.Attributes = nil
	return res, nil
}

func (g *groups) current(r *http.Request, id string) (userstore.Group, []string, error) {
	cur, err := g.find(r, id)
	if err != nil {
		return cur, nil, g.h.storeError(r, err, id)
	}
	if err := checkIfMatch(r, cur.Version); err != nil {
		return cur, nil, err
	}
	have, err := g.members(r, cur.Name)
	if err != nil {
		return cur, nil, g.h.storeError(r, err, id)
	}
	return cur, have, nil
}

// apply stores the changes from (cur, have) to (next, want) in one
// UpdateGroupByID at cur.Version: a new displayName renames the group, a
// new externalId replaces Metadata["externalId"], and the members are
// added and removed, all or nothing. A group changed since cur was read
// is refused with 412, and nothing is written.
func (g *groups) apply(r *http.Request, cur userstore.Group, have []string, next userstore.Group, want []string) (lib.Resource, error) {
	if err := g.checkUsers(r, want); err != nil {
		return lib.Resource{}, err
	}
	upd := cur
	if next.Name != "" {
		upd.Name = next.Name
	}
	if next.Metadata["externalId"] != cur.Metadata["externalId"] {
		upd.Metadata = maps.Clone(cur.Metadata)
		if upd.Metadata == nil {
			upd.Metadata = map[string]string{}
		}
		if v := next.Metadata["externalId"]; v != "" {
			upd.Metadata["externalId"] = v
		} else {
			delete(upd.Metadata, "externalId")
		}
	}
	add, remove := diff(have, want)
	stored, err := g.h.store.UpdateGroupByID(r.Context(), userstore.GroupUpdate{Group: upd, AddMembers: add, RemoveMembers: remove})
	if err != nil {
		return lib.Resource{}, g.h.storeError(r, err, cur.ID)
	}
	if stored.Name != cur.Name {
		g.h.log.InfoContext(r.Context(), "scim: group renamed", "group", stored.Name, "group_id", stored.ID, "remote", r.RemoteAddr)
	}
	g.logMembers(r, stored, add, remove)
	return g.resource(stored, want), nil
}

// Delete removes a group and its memberships.
func (g *groups) Delete(r *http.Request, id string) error {
	cur, err := g.find(r, id)
	if err != nil {
		return g.h.storeError(r, err, id)
	}
	if err := checkIfMatch(r, cur.Version); err != nil {
		return err
	}
	if err := g.h.store.DeleteGroup(r.Context(), cur.Name); err != nil {
		return g.h.storeError(r, err, id)
	}
	g.h.log.InfoContext(r.Context(), "scim: group deleted", "group", cur.Name, "group_id", cur.ID, "remote", r.RemoteAddr)
	return nil
}

var _ lib.ResourceHandler = (*groups)(nil)
