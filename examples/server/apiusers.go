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

// apiUser is a user as the API shows it: never a password hash.
type apiUser struct {
	ID                 string            `json:"id"`
	Username           string            `json:"username"`
	Email              string            `json:"email,omitempty"`
	EmailVerified      bool              `json:"emailVerified"`
	Phone              string            `json:"phone,omitempty"`
	DisplayName        string            `json:"displayName,omitempty"`
	GivenName          string            `json:"givenName,omitempty"`
	FamilyName         string            `json:"familyName,omitempty"`
	Enabled            bool              `json:"enabled"`
	HasPassword        bool              `json:"hasPassword"`
	MustChangePassword bool              `json:"mustChangePassword"`
	Locked             bool              `json:"locked"`
	Groups             []string          `json:"groups"`
	Attributes         map[string]string `json:"attributes,omitempty"`
	Source             string            `json:"source,omitempty"`
	ExternalID         string            `json:"externalId,omitempty"`
	CreatedAt          time.Time         `json:"createdAt"`
	UpdatedAt          time.Time         `json:"updatedAt"`
	Version            int64             `json:"version"`
}

func toAPIUser(u userstore.User, now time.Time) apiUser {
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	return apiUser{
		ID: u.ID, Username: u.Username, Email: u.Email, EmailVerified: u.EmailVerified, Phone: u.Phone,
		DisplayName: u.DisplayName, GivenName: u.GivenName, FamilyName: u.FamilyName,
		Enabled: u.Enabled, HasPassword: u.PasswordHash != "", MustChangePassword: u.MustChangePassword,
		Locked: u.Locked(now), Groups: groups, Attributes: u.Attributes, Source: u.Source, ExternalID: u.ExternalID,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version,
	}
}

// userFields are the fields a create or update may set; nil leaves a
// field as it is.
type userFields struct {
	Username      *string            `json:"username"`
	Email         *string            `json:"email"`
	EmailVerified *bool              `json:"emailVerified"`
	Phone         *string            `json:"phone"`
	DisplayName   *string            `json:"displayName"`
	GivenName     *string            `json:"givenName"`
	FamilyName    *string            `json:"familyName"`
	Enabled       *bool              `json:"enabled"`
	Attributes    *map[string]string `json:"attributes"`
}

func (f userFields) apply(u *userstore.User) {
	for _, p := range []struct {
		dst *string
		v   *string
	}{{&u.Username, f.Username}, {&u.Email, f.Email}, {&u.Phone, f.Phone}, {&u.DisplayName, f.DisplayName},
		{&u.GivenName, f.GivenName}, {&u.FamilyName, f.FamilyName}} {
		if p.v != nil {
			*p.dst = *p.v
		}
	}
	if f.EmailVerified != nil {
		u.EmailVerified = *f.EmailVerified
	}
	if f.Enabled != nil {
		u.Enabled = *f.Enabled
	}
	if f.Attributes != nil {
		u.Attributes = maps.Clone(*f.Attributes)
	}
}

// errQuery is a bad query parameter.
var errQuery = errors.New("query")

// Paging of GET /api/v1/users.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// listUsers: GET /api/v1/users?after=&limit=&prefix=&group=&source=&enabled=
// answers {"users": [...], "next": "cursor"}; "next" is absent on the
// last page.
func (a *app) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := userstore.ListOptions{After: q.Get("after"), Prefix: q.Get("prefix"), Group: q.Get("group"), Source: q.Get("source"), Limit: defaultPageSize}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeStoreError(w, a.logger, r, fmt.Errorf("%w: limit: want 1 to %d", errQuery, maxPageSize))
			return
		}
		opts.Limit = n
	}
	if v := q.Get("enabled"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeStoreError(w, a.logger, r, fmt.Errorf("%w: enabled: want true or false", errQuery))
			return
		}
		opts.Enabled = &b
	}
	for _, v := range []string{opts.After, opts.Prefix, opts.Group, opts.Source} {
		if len(v) > 256 {
			writeStoreError(w, a.logger, r, fmt.Errorf("%w: a parameter is longer than 256 bytes", errQuery))
			return
		}
	}
	pageSize := opts.Limit
	opts.Limit++ // one more tells whether there is a next page
	out := struct {
		Users []apiUser `json:"users"`
		Next  string    `json:"next,omitempty"`
	}{Users: []apiUser{}}
	now := a.now()
	for u, err := range a.users.ListUsers(r.Context(), opts) {
		if err != nil {
			writeStoreError(w, a.logger, r, err)
			return
		}
		if len(out.Users) == pageSize {
			out.Next = out.Users[len(out.Users)-1].ID
			break
		}
		out.Users = append(out.Users, toAPIUser(u, now))
	}
	writeJSON(w, http.StatusOK, out)
}

// getUser: GET /api/v1/users/{id}, with the version as ETag.
func (a *app) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := a.users.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusOK, toAPIUser(u, a.now()))
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// createUser: POST /api/v1/users with the user's fields and optionally
// "password" (and "mustChangePassword"). Enabled defaults to true.
func (a *app) createUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		userFields
		Password           string `json:"password"`
		MustChangePassword bool   `json:"mustChangePassword"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	u := userstore.User{Enabled: true}
	body.apply(&u)
	if body.Password != "" {
		// The hash goes in with the user, in one write: no user is ever
		// stored half made.
		if err := a.userSvc.CheckPassword(u.Username, body.Password); err != nil {
			writeStoreError(w, a.logger, r, err)
			return
		}
		hash, err := a.hashers.Hash(r.Context(), body.Password)
		if err != nil {
			writeStoreError(w, a.logger, r, err)
			return
		}
		u.PasswordHash, u.MustChangePassword = hash, body.MustChangePassword
	}
	u, err := a.users.CreateUser(r.Context(), u)
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	a.auditAdmin(r, "admin.user_created", u.ID, nil)
	w.Header().Set("Location", "/api/v1/users/"+u.ID)
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusCreated, toAPIUser(u, a.now()))
}

// updateUser: PATCH /api/v1/users/{id} with the fields to change. With
// If-Match (the ETag of a read), a user changed meanwhile is refused
// with 412; without it the update still cannot overwrite a concurrent
// one unnoticed (the store compares versions).
func (a *app) updateUser(w http.ResponseWriter, r *http.Request) {
	var body userFields
	if err := decodeJSON(w, r, &body); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	u, err := a.users.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	if m := r.Header.Get("If-Match"); m != "" && m != "*" {
		v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(m, "W/"), `"`), 10, 64)
		if err != nil {
			writeStoreError(w, a.logger, r, fmt.Errorf("%w: If-Match: want an ETag of this API", errQuery))
			return
		}
		u.Version = v
	}
	body.apply(&u)
	u, err = a.users.UpdateUser(r.Context(), u)
	if err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	a.auditAdmin(r, "admin.user_updated", u.ID, nil)
	w.Header().Set("ETag", etag(u.Version))
	writeJSON(w, http.StatusOK, toAPIUser(u, a.now()))
}

// deleteUser: DELETE /api/v1/users/{id}.
func (a *app) deleteUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := a.users.DeleteUser(r.Context(), id); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	a.auditAdmin(r, "admin.user_deleted", id, nil)
	a.destroyUserDevices(r, id)
	w.WriteHeader(http.StatusNoContent)
}

// setPassword: PUT /api/v1/users/{id}/password {"password": "…",
// "mustChangePassword": true}.
func (a *app) setPassword(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Password           string `json:"password"`
		MustChangePassword bool   `json:"mustChangePassword"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	set := a.userSvc.SetUserPassword
	if body.MustChangePassword {
		set = a.userSvc.SetInitialPassword
	}
	if err := set(r.Context(), r.PathValue("id"), body.Password); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxBulk bounds the IDs of one bulk request.
const maxBulk = 1000

// bulkEnable: POST /api/v1/users/enable or /disable {"ids": [...]}
// answers {"results": [{"id": …, "status": "ok" | "unchanged" |
// "not_found" | "failed"}]}: each user on its own, none lost to another's
// failure.
func (a *app) bulkEnable(enabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.bulk(w, r, func(id string) string { return a.setEnabled(r, id, enabled) })
	}
}

// bulkDelete: POST /api/v1/users/delete {"ids": [...]} answers
// {"results": [{"id", "status": "ok" | "not_found" | "failed"}]}.
func (a *app) bulkDelete(w http.ResponseWriter, r *http.Request) {
	a.bulk(w, r, func(id string) string { return a.deleteOne(r, id) })
}

// bulk reads {"ids": [...]} (1 to maxBulk) and answers {"results":
// [{"id", "status"}]} with what do said of each, in order.
func (a *app) bulk(w http.ResponseWriter, r *http.Request, do func(id string) string) {
	var body struct {
		IDs []string `json:"ids"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		writeStoreError(w, a.logger, r, err)
		return
	}
	if len(body.IDs) == 0 || len(body.IDs) > maxBulk {
		writeStoreError(w, a.logger, r, fmt.Errorf("%w: ids: want 1 to %d user IDs", errBadBody, maxBulk))
		return
	}
	type result struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	results := make([]result, 0, len(body.IDs))
	for _, id := range body.IDs {
		results = append(results, result{ID: id, Status: do(id)})
	}
	writeJSON(w, http.StatusOK, struct {
		Results []result `json:"results"`
	}{results})
}

// deleteOne deletes one user and says how it went.
func (a *app) deleteOne(r *http.Request, id string) string {
	err := a.users.DeleteUser(r.Context(), id)
	switch {
	case err == nil:
		a.auditAdmin(r, "admin.user_deleted", id, nil)
		a.destroyUserDevices(r, id)
		return "ok"
	case errors.Is(err, userstore.ErrNotFound):
		return "not_found"
	default:
		a.logger.ErrorContext(r.Context(), "bulk delete", "user_id", id, "err", err)
		return "failed"
	}
}

// setEnabled enables or disables one user, retrying once on a
// concurrent change, and says how it went.
func (a *app) setEnabled(r *http.Request, id string, enabled bool) string {
	for range 3 {
		u, err := a.users.GetUser(r.Context(), id)
		if errors.Is(err, userstore.ErrNotFound) {
			return "not_found"
		}
		if err != nil {
			a.logger.ErrorContext(r.Context(), "bulk enable", "user_id", id, "err", err)
			return "failed"
		}
		if u.Enabled == enabled {
			return "unchanged"
		}
		u.Enabled = enabled
		_, err = a.users.UpdateUser(r.Context(), u)
		switch {
		case err == nil:
			kind := "admin.user_disabled"
			if enabled {
				kind = "admin.user_enabled"
			}
			a.auditAdmin(r, kind, id, nil)
			return "ok"
		case errors.Is(err, userstore.ErrVersionConflict):
			continue
		case errors.Is(err, userstore.ErrNotFound):
			return "not_found"
		default:
			a.logger.ErrorContext(r.Context(), "bulk enable", "user_id", id, "err", err)
			return "failed"
		}
	}
	return "failed"
}

// destroyUserDevices destroys (and revokes) the devices of a deleted
// user; a failure is logged: the user is gone and their certificates
// name no one the server knows.
func (a *app) destroyUserDevices(r *http.Request, id string) {
	if err := a.onboarding.DestroyUserDevices(remoteContext(r), id); err != nil {
		a.logger.ErrorContext(r.Context(), "destroy a deleted user's devices", "user_id", id, "err", err)
	}
}
