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
// is its userstore name.
type groups struct {
	h *handler
}

// errRename refuses a displayName change: userstore cannot rename a group.
var errRename = scimerrors.ScimError{
	Status:   http.StatusBadRequest,
	ScimType: scimerrors.ScimTypeMutability,
	Detail:   "A group cannot be renamed: its displayName is its id.",
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
		ID:         x.Name,
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

// setMembers makes want the members of the group, adding and removing the
// difference to have.
func (g *groups) setMembers(r *http.Request, name string, have, want []string) error {
	if err := g.checkUsers(r, want); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, id := range want {
		keep[id] = true
	}
	had := map[string]bool{}
	for _, id := range have {
		had[id] = true
		if !keep[id] {
			if err := g.h.store.RemoveMember(r.Context(), name, id); err != nil {
				return g.h.storeError(r, err, name)
			}
			g.h.log.InfoContext(r.Context(), "scim: member removed", "group", name, "user_id", id, "remote", r.RemoteAddr)
		}
	}
	for _, id := range want {
		if !had[id] {
			if err := g.h.store.AddMember(r.Context(), name, id); err != nil {
				return g.h.storeError(r, err, name)
			}
			g.h.log.InfoContext(r.Context(), "scim: member added", "group", name, "user_id", id, "remote", r.RemoteAddr)
		}
	}
	return nil
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
	g.h.log.InfoContext(r.Context(), "scim: group created", "group", created.Name, "remote", r.RemoteAddr)
	if err := g.setMembers(r, created.Name, nil, ids); err != nil {
		return lib.Resource{}, err
	}
	return g.resource(created, ids), nil
}

// Get returns one group with its members.
func (g *groups) Get(r *http.Request, id string) (lib.Resource, error) {
	x, err := g.h.store.GetGroup(r.Context(), id)
	if err != nil {
		return lib.Resource{}, g.h.storeError(r, err, id)
	}
	ids, err := g.members(r, x.Name)
	if err != nil {
		return lib.Resource{}, g.h.storeError(r, err, id)
	}
	return g.resource(x, ids), nil
}

// GetAll lists groups in ascending name order, filtered and paged.
func (g *groups) GetAll(r *http.Request, p lib.ListRequestParams) (lib.Page, error) {
	var candidates func(yield func(userstore.Group, error) bool)
	if p.FilterValidator != nil {
		if attr, val, ok := eqFilter(p.FilterValidator.GetFilter()); ok &&
			(strings.EqualFold(attr, "displayName") || strings.EqualFold(attr, "id")) {
			candidates = func(yield func(userstore.Group, error) bool) {
				x, err := g.h.store.GetGroup(r.Context(), val)
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
		ids, err := g.members(r, x.Name)
		if err != nil {
			return lib.Page{}, g.h.storeError(r, err, x.Name)
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
			page.Resources = append(page.Resources, g.resource(x, ids))
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
	cur, err := g.h.store.GetGroup(r.Context(), id)
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

// apply stores the changes from (cur, have) to (next, want): externalId
// through UpdateGroup, compare-and-set on cur.Version, then the members.
func (g *groups) apply(r *http.Request, cur userstore.Group, have []string, next userstore.Group, want []string) (lib.Resource, error) {
	if next.Name != "" && userstore.NormalizeUsername(next.Name) != userstore.NormalizeUsername(cur.Name) {
		return lib.Resource{}, errRename
	}
	if err := g.checkUsers(r, want); err != nil {
		return lib.Resource{}, err
	}
	stored := cur
	if next.Metadata["externalId"] != cur.Metadata["externalId"] {
		upd := cur
		upd.Metadata = maps.Clone(cur.Metadata)
		if upd.Metadata == nil {
			upd.Metadata = map[string]string{}
		}
		if v := next.Metadata["externalId"]; v != "" {
			upd.Metadata["externalId"] = v
		} else {
			delete(upd.Metadata, "externalId")
		}
		var err error
		if stored, err = g.h.store.UpdateGroup(r.Context(), upd); err != nil {
			return lib.Resource{}, g.h.storeError(r, err, cur.Name)
		}
	}
	if err := g.setMembers(r, cur.Name, have, want); err != nil {
		return lib.Resource{}, err
	}
	return g.resource(stored, want), nil
}

// Delete removes a group and its memberships.
func (g *groups) Delete(r *http.Request, id string) error {
	cur, err := g.h.store.GetGroup(r.Context(), id)
	if err != nil {
		return g.h.storeError(r, err, id)
	}
	if err := checkIfMatch(r, cur.Version); err != nil {
		return err
	}
	if err := g.h.store.DeleteGroup(r.Context(), cur.Name); err != nil {
		return g.h.storeError(r, err, id)
	}
	g.h.log.InfoContext(r.Context(), "scim: group deleted", "group", cur.Name, "remote", r.RemoteAddr)
	return nil
}

var _ lib.ResourceHandler = (*groups)(nil)
