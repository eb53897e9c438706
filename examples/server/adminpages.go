package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/usher-sdk/usher/userstore"
)

// countLimit bounds the dashboard's counting of users by listing them,
// for a store without userstore.Counter; beyond it the dashboard shows
// "100000+" rather than read every user.
const countLimit = 100_000

// dashCounts are the dashboard's numbers of users.
type dashCounts struct {
	Users, Enabled string
	Locked         string // locked out now; "" when the store cannot count them
}

// userCounts returns the dashboard's numbers of users, of enabled users
// and of users locked out at now: exact, in one query, from r's
// userstore.Counter when it has one, else by listing up to countLimit of
// each (and no locked count).
func userCounts(ctx context.Context, r userstore.UserReader, now time.Time) (dashCounts, error) {
	if c, ok := r.(userstore.Counter); ok {
		n, err := c.CountUsers(ctx, userstore.CountOptions{LockedAt: now})
		if err != nil {
			return dashCounts{}, err
		}
		return dashCounts{fmt.Sprint(n.Total), fmt.Sprint(n.Enabled), fmt.Sprint(n.Locked)}, nil
	}
	count := func(opts userstore.ListOptions) (string, error) {
		opts.Limit = countLimit + 1
		n := 0
		for _, err := range r.ListUsers(ctx, opts) {
			if err != nil {
				return "", err
			}
			n++
		}
		if n > countLimit {
			return fmt.Sprintf("%d+", countLimit), nil
		}
		return fmt.Sprint(n), nil
	}
	var c dashCounts
	var err error
	if c.Users, err = count(userstore.ListOptions{}); err != nil {
		return dashCounts{}, err
	}
	yes := true
	if c.Enabled, err = count(userstore.ListOptions{Enabled: &yes}); err != nil {
		return dashCounts{}, err
	}
	return c, nil
}

func (a *app) dashboard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	counts, err := userCounts(ctx, a.users, a.now())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	recent, err := a.auditEvents(r, userstore.AuditFilter{Kind: userstore.AuditLoginFailed, Since: a.now().Add(-24 * time.Hour), Limit: 1000})
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	shown := recent
	if len(shown) > 20 {
		shown = shown[:20]
	}
	pending, err := a.pendingCount(ctx)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	active, err := a.authreq.ActiveUsers(ctx, "")
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "dashboard.html", page{Title: "Dashboard", Data: struct {
		Users, Enabled, Locked string
		Failures               string
		Pending                string
		Active                 int
		Recent                 []userstore.AuditEvent
	}{counts.Users, counts.Enabled, counts.Locked, failures(len(recent)), fmt.Sprint(pending), len(active), shown}})
}

// pendingCount counts the onboardings waiting for approval.
func (a *app) pendingCount(ctx context.Context) (int, error) {
	apps, err := a.applications(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, app := range apps {
		ps, err := a.onboarding.Pending(ctx, app.ID)
		if err != nil {
			return 0, err
		}
		n += len(ps)
	}
	return n, nil
}

func failures(n int) string {
	if n >= 1000 {
		return "1000+"
	}
	return fmt.Sprint(n)
}

func (a *app) auditEvents(r *http.Request, f userstore.AuditFilter) ([]userstore.AuditEvent, error) {
	var out []userstore.AuditEvent
	for e, err := range a.users.Audit(r.Context(), f) {
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (a *app) pageError(w http.ResponseWriter, r *http.Request, err error) {
	a.logger.ErrorContext(r.Context(), "admin page", "route", r.Pattern, "err", err)
	a.render(w, r, http.StatusInternalServerError, "dashboard.html", page{Title: "Error",
		Error: "Something went wrong; the server's log has the detail.",
		Data: struct {
			Users, Enabled, Failures, Pending string
			Recent                            []userstore.AuditEvent
		}{"?", "?", "?", "?", nil}})
}

// usersPageSize is how many users one page of the users list shows.
const usersPageSize = 50

type usersData struct {
	Prefix string
	Users  []apiUser
	Next   string
}

func (a *app) usersPage(w http.ResponseWriter, r *http.Request) {
	a.renderUsers(w, r, http.StatusOK, "", "")
}

func (a *app) renderUsers(w http.ResponseWriter, r *http.Request, status int, notice, errMsg string) {
	q := r.URL.Query()
	d := usersData{Prefix: bounded(q.Get("prefix"), 256)}
	now := a.now()
	for u, err := range a.users.ListUsers(r.Context(), userstore.ListOptions{Prefix: d.Prefix, After: bounded(q.Get("after"), 64), Limit: usersPageSize + 1}) {
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		if len(d.Users) == usersPageSize {
			d.Next = d.Users[len(d.Users)-1].ID
			break
		}
		d.Users = append(d.Users, toAPIUser(u, now))
	}
	a.render(w, r, status, "users.html", page{Title: "Users", Notice: notice, Error: errMsg, Data: d})
}

func bounded(s string, n int) string {
	if len(s) > n {
		return ""
	}
	return s
}

// createUserForm creates a user from the users page's form.
func (a *app) createUserForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderUsers(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	u := userstore.User{
		Username: strings.TrimSpace(r.PostForm.Get("username")), DisplayName: strings.TrimSpace(r.PostForm.Get("displayName")),
		Email: strings.TrimSpace(r.PostForm.Get("email")), Enabled: true,
	}
	if pw := r.PostForm.Get("password"); pw != "" {
		if err := a.userSvc.CheckPassword(u.Username, pw); err != nil {
			a.renderUsers(w, r, http.StatusUnprocessableEntity, "", userMessage(err))
			return
		}
		hash, err := a.hashers.Hash(r.Context(), pw)
		if err != nil {
			a.pageError(w, r, err)
			return
		}
		u.PasswordHash, u.MustChangePassword = hash, true
	}
	u, err := a.users.CreateUser(r.Context(), u)
	if err != nil {
		a.renderUsers(w, r, statusOf(err), "", userMessage(err))
		return
	}
	a.auditAdmin(r, "admin.user_created", u.ID, nil)
	a.renderUsers(w, r, http.StatusCreated, "Created "+u.Username+".", "")
}

// bulkForm enables or disables the selected users.
func (a *app) bulkForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderUsers(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	ids := r.PostForm["id"]
	action := r.PostForm.Get("action")
	if (action != "enable" && action != "disable" && action != "delete") || len(ids) == 0 || len(ids) > maxBulk {
		a.renderUsers(w, r, http.StatusBadRequest, "", "Select users (at most 1000) and an action.")
		return
	}
	done, failed := 0, 0
	for _, id := range ids {
		var status string
		if action == "delete" {
			status = a.deleteOne(r, id)
		} else {
			status = a.setEnabled(r, id, action == "enable")
		}
		switch status {
		case "ok", "unchanged":
			done++
		default:
			failed++
		}
	}
	msg := map[string]string{"enable": "Enabled %d users.", "disable": "Disabled %d users.", "delete": "Deleted %d users."}[action]
	msg = fmt.Sprintf(msg, done)
	if failed > 0 {
		a.renderUsers(w, r, http.StatusOK, msg, fmt.Sprintf("%d users could not be changed (gone or failing); the server's log has the detail.", failed))
		return
	}
	a.renderUsers(w, r, http.StatusOK, msg, "")
}

// userMessage is what an admin page says about a store error.
func userMessage(err error) string {
	var policy *userstore.PolicyError
	switch {
	case errors.As(err, &policy):
		return "The password is refused: " + policy.Reason + "."
	case errors.Is(err, userstore.ErrInvalid):
		return strings.TrimPrefix(err.Error(), "userstore: ")
	case errors.Is(err, userstore.ErrConflict):
		return "That username is taken."
	}
	return "Something went wrong; the server's log has the detail."
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, userstore.ErrInvalid), errors.Is(err, userstore.ErrPolicy):
		return http.StatusBadRequest
	case errors.Is(err, userstore.ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// auditPage shows the users' audit trail, newest first, by kind.
func (a *app) auditPage(w http.ResponseWriter, r *http.Request) {
	kind := bounded(r.URL.Query().Get("kind"), 64)
	events, err := a.auditEvents(r, userstore.AuditFilter{Kind: userstore.AuditKind(kind), Limit: 200})
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "audit.html", page{Title: "Audit trail", Data: struct {
		Kind   string
		Events []userstore.AuditEvent
	}{kind, events}})
}
