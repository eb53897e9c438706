package onboarding

import (
	"bytes"
	"net/http"
	"time"

	"github.com/usher-sdk/usher/internal/httpjson"
)

// PendingView is one entry of the admin handler's pending list.
type PendingView struct {
	ActivityID string    `json:"id"`
	Login      string    `json:"login,omitempty"`
	UserID     string    `json:"user_id,omitempty"`
	Code       string    `json:"code"`
	Picture    string    `json:"picture"` // path of the SVG picture
	CreatedAt  time.Time `json:"created_at"`
}

// ApprovalRequest is the body of the admin handler's approve call.
type ApprovalRequest struct {
	// UserID binds the user when no step found one (see Approval).
	UserID string `json:"user_id,omitempty"`
}

// AdminHandler returns the http.Handler of the administrators' onboarding
// API, version 1. It does no authentication: the server mounts it behind
// its admin sign-in, and admin names the signed-in administrator of a
// request, for the activity and the audit trail.
//
//	GET    /v1/applications/{app}/pending        → 200 [PendingView]
//	GET    /v1/applications/{app}/activities     → 200 [Activity], newest first
//	GET    /v1/activities/{id}                   → 200 Activity
//	GET    /v1/activities/{id}/picture.svg       → 200 image/svg+xml
//	GET    /v1/activities/{id}/picture.png       → 200 image/png
//	POST   /v1/activities/{id}/approve           ApprovalRequest → 204
//	POST   /v1/activities/{id}/reject            → 204
//	DELETE /v1/activities/{id}                   → 204
//	DELETE /v1/devices/{id}                      → 204 (revokes)
//
// The handler is safe for concurrent use.
func (m *Manager) AdminHandler(admin func(*http.Request) string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/applications/{app}/pending", func(w http.ResponseWriter, r *http.Request) {
		ps, err := m.Pending(r.Context(), r.PathValue("app"))
		out := make([]PendingView, 0, len(ps))
		for _, p := range ps {
			out = append(out, PendingView{ActivityID: p.Activity.ID, Login: p.Activity.Login, UserID: p.Activity.UserID,
				Code: p.Code, Picture: "/v1/activities/" + p.Activity.ID + "/picture.svg", CreatedAt: p.Activity.CreatedAt})
		}
		m.reply(w, r, http.StatusOK, out, err)
	})
	mux.HandleFunc("GET /v1/applications/{app}/activities", func(w http.ResponseWriter, r *http.Request) {
		acts, err := m.Activities(r.Context(), r.PathValue("app"))
		if acts == nil {
			acts = []Activity{}
		}
		m.reply(w, r, http.StatusOK, acts, err)
	})
	mux.HandleFunc("GET /v1/activities/{id}", func(w http.ResponseWriter, r *http.Request) {
		act, err := m.Activity(r.Context(), r.PathValue("id"))
		m.reply(w, r, http.StatusOK, act, err)
	})
	picture := func(png bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			act, err := m.Activity(r.Context(), r.PathValue("id"))
			if err != nil {
				m.reply(w, r, 0, nil, err)
				return
			}
			art, err := artOf(act.PublicKey)
			if err != nil {
				m.reply(w, r, 0, nil, err)
				return
			}
			var buf bytes.Buffer
			ctype := "image/svg+xml"
			if png {
				ctype = "image/png"
				err = art.PNG(&buf, 240)
			} else {
				err = art.SVG(&buf)
			}
			if err != nil {
				m.reply(w, r, 0, nil, err)
				return
			}
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(buf.Bytes())
		}
	}
	mux.HandleFunc("GET /v1/activities/{id}/picture.svg", picture(false))
	mux.HandleFunc("GET /v1/activities/{id}/picture.png", picture(true))
	mux.HandleFunc("POST /v1/activities/{id}/approve", func(w http.ResponseWriter, r *http.Request) {
		var req ApprovalRequest
		if r.ContentLength != 0 && !m.decode(w, r, &req) { // no body: no user to bind
			return
		}
		err := m.Approve(r.Context(), r.PathValue("id"), Approval{Admin: admin(r), UserID: req.UserID})
		m.noContent(w, r, err)
	})
	mux.HandleFunc("POST /v1/activities/{id}/reject", func(w http.ResponseWriter, r *http.Request) {
		m.noContent(w, r, m.Reject(r.Context(), r.PathValue("id"), Approval{Admin: admin(r)}))
	})
	mux.HandleFunc("DELETE /v1/activities/{id}", func(w http.ResponseWriter, r *http.Request) {
		m.noContent(w, r, m.DestroyActivity(r.Context(), r.PathValue("id")))
	})
	mux.HandleFunc("DELETE /v1/devices/{id}", func(w http.ResponseWriter, r *http.Request) {
		m.noContent(w, r, m.DestroyDevice(r.Context(), r.PathValue("id")))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Error(w, http.StatusNotFound, CodeNotFound, "no such endpoint")
	})
	return withRemote(mux)
}

func (m *Manager) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		m.reply(w, r, 0, nil, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
