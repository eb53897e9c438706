package main

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// apiGroup is a group as the API shows it.
type apiGroup struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Version     int64             `json:"version"`
}

func toAPIGroup(g userstore.Group) apiGroup {
	return apiGroup{ID: g.ID, Name: g.Name, Description: g.Description, Metadata: g.Metadata, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt, Version: g.Version}
}

// maxGroupsListed bounds GET /api/v1/groups: a pool with more groups
// than this is listed in part, and the answer says so.
const maxGroupsListed = 10_000

// listGroups: GET /api/v1/groups answers {"groups": [...], "truncated":
// bool}, in ascending name order.
func (a *app) listGroups(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Groups    []apiGroup `json:"groups"`
		Truncated bool       `json:"truncated,omitempty"`
	}{Groups: []apiGroup{}}
	for g, err := range a.users.ListGroups(r.Context()) {
		if err != nil {
			writeGroupError(w, a, r, err)
			return
		}
		if len(out.Groups) == maxGroupsListed {
			out.Truncated = true
			break
		}
		out.Groups = append(out.Groups, toAPIGroup(g))
	}
	writeJSON(w, http.StatusOK, out)
}

// groupFields are what a create or update may set.
type groupFields struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Metadata    *map[string]string `json:"metadata"`
}

// apply sets the fields f gives on g.
func (f groupFields) apply(g *userstore.Group) {
	if f.Name != nil {
		g.Name = strings.TrimSpace(*f.Name)
	}
	if f.Description != nil {
		g.Description = *f.Description
	}
	if f.Metadata != nil {
		g.Metadata = maps.Clone(*f.Metadata)
	}
}

// createGroup: POST /api/v1/groups {"name", "description", "metadata"}.
func (a *app) createGroup(w http.ResponseWriter, r *http.Request) {
	var body groupFields
	if err := decodeJSON(w, r, &body); err != nil {
		writeGroupError(w, a, r, err)
		return
	}
	var g userstore.Group
	body.apply(&g)
	g, err := a.users.CreateGroup(r.Context(), g)
	if err != nil {
		writeGroupError(w, a, r, err)
		return
	}
	a.auditAdmin(r, "admin.group_created", "", map[string]string{"group_id": g.ID, "group": g.Name})
	w.Header().Set("Location", "/api/v1/groups/"+g.ID)
	w.Header().Set("ETag", etag(g.Version))
	writeJSON(w, http.StatusCreated, toAPIGroup(g))
}

// getGroup: GET /api/v1/groups/{id}, with the version as ETag.
func (a *app) getGroup(w http.ResponseWriter, r *http.Request) {
	g, err := a.users.GetGroupByID(r.Context(), r.PathValue("id"))
	if err != nil {
		writeGroupError(w, a, r, err)
		return
	}
	w.Header().Set("ETag", etag(g.Version))
	writeJSON(w, http.StatusOK, toAPIGroup(g))
}

// updateGroup: PATCH /api/v1/groups/{id} {"name", "description",
// "metadata", "addMembers": [user IDs], "removeMembers": [user IDs]}:
// a rename (memberships follow), new fields and membership changes in one
// atomic step; If-Match refuses a stale one with 412.
func (a *app) updateGroup(w http.ResponseWriter, r *http.Request) {
	var body struct {
		groupFields
		AddMembers    []string `json:"addMembers"`
		RemoveMembers []string `json:"removeMembers"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		writeGroupError(w, a, r, err)
		return
	}
	if len(body.AddMembers)+len(body.RemoveMembers) > maxBulk {
		writeGroupError(w, a, r, fmt.Errorf("%w: at most %d members added and removed at once", errBadBody, maxBulk))
		return
	}
	g, err := a.users.GetGroupByID(r.Context(), r.PathValue("id"))
	if err != nil {
		writeGroupError(w, a, r, err)
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" {
		v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(m, "W/"), `"`), 10, 64)
		if err != nil {
			writeGroupError(w, a, r, fmt.Errorf("%w: If-Match: want an ETag of this API", errQuery))
			return
		}
		g.Version = v
	}
	body.apply(&g)
	g, err = a.users.UpdateGroupByID(r.Context(), userstore.GroupUpdate{Group: g, AddMembers: body.AddMembers, RemoveMembers: body.RemoveMembers})
	if err != nil {
		writeGroupError(w, a, r, err)
		return
	}
	a.auditAdmin(r, "admin.group_updated", "", map[string]string{"group_id": g.ID, "group": g.Name,
		"added": strconv.Itoa(len(body.AddMembers)), "removed": strconv.Itoa(len(body.RemoveMembers))})
	w.Header().Set("ETag", etag(g.Version))
	writeJSON(w, http.StatusOK, toAPIGroup(g))
}

// deleteGroup: DELETE /api/v1/groups/{id}.
func (a *app) deleteGroup(w http.ResponseWriter, r *http.Request) {
	g, err := a.users.GetGroupByID(r.Context(), r.PathValue("id"))
	if err == nil {
		err = a.users.DeleteGroup(r.Context(), g.Name)
	}
	if err != nil {
		writeGroupError(w, a, r, err)
		return
	}
	a.auditAdmin(r, "admin.group_deleted", "", map[string]string{"group_id": g.ID, "group": g.Name})
	w.WriteHeader(http.StatusNoContent)
}

// groupMembers: GET /api/v1/groups/{id}/members?after=&limit= answers a
// page of users, as GET /api/v1/users does.
func (a *app) groupMembers(w http.ResponseWriter, r *http.Request) {
	g, err := a.users.GetGroupByID(r.Context(), r.PathValue("id"))
	if err != nil {
		writeGroupError(w, a, r, err)
		return
	}
	q := r.URL.Query()
	q.Set("group", g.Name)
	r.URL.RawQuery = q.Encode()
	a.listUsers(w, r)
}

// setUserGroups: PUT /api/v1/users/{id}/groups {"groups": [names]} makes
// them the user's whole list (groups missing are created).
func (a *app) setUserGroups(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Groups []string `json:"groups"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	if len(body.Groups) > maxBulk {
		writeStoreError(w, a.logger, r, fmt.Errorf("%w: at most %d groups", errBadBody, maxBulk))
		return
	}
	id := r.PathValue("id")
	if err := a.users.SetUserGroups(r.Context(), id, body.Groups); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	a.auditAdmin(r, "admin.user_groups_set", id, nil)
	u, err := a.users.GetUser(r.Context(), id)
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAPIUser(u, a.now()))
}

// writeGroupError is writeStoreError for group routes: a missing group is
// "no such group".
func writeGroupError(w http.ResponseWriter, a *app, r *http.Request, err error) {
	switch {
	case errors.Is(err, userstore.ErrNotFound):
		writeError(w, http.StatusNotFound, codeNotFound, "no such group (or user to add)")
	case errors.Is(err, userstore.ErrConflict):
		writeError(w, http.StatusConflict, codeConflict, "another group has that name")
	case errors.Is(err, userstore.ErrVersionConflict):
		writeError(w, http.StatusPreconditionFailed, codeVersionConflict, "the group changed meanwhile; read it again")
	default:
		writeStoreError(w, a.logger, r, err)
	}
}
