package authrequest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usher-sdk/usher/internal/httpjson"
	"github.com/usher-sdk/usher/onboarding"
)

// MaxRequestBody is the largest request body the handlers read: 64 KiB.
const MaxRequestBody = 64 << 10

// Error codes of the HTTP APIs, in the "error" field of an error answer.
// They are stable; the "message" is for people.
const (
	CodeInvalidRequest   = httpjson.CodeInvalidRequest // 400: malformed JSON or fields
	CodeTooLarge         = httpjson.CodeTooLarge       // 413: body over MaxRequestBody
	CodeUnauthorized     = "unauthorized"              // 401: no or wrong access token
	CodeNotFound         = "not_found"                 // 404: no such request, application, profile or policy
	CodePendingExists    = "pending_exists"            // 409: the user has a pending request (SinglePending)
	CodeAnswered         = "answered"                  // 409: the request was answered or expired
	CodeRefused          = "refused"                   // 403: the device's answer or proof failed verification
	CodeNoAccess         = "no_access"                 // 403: no active pre-approval
	CodeConflict         = "conflict"                  // 409
	CodeMethodNotAllowed = "method_not_allowed"        // 405
	CodeInternal         = "internal"                  // 500
)

// Authorizer authenticates a third party's HTTP request and returns which
// applications it may act on. Manager.TokenAuthorizer is the default;
// an application with its own access tokens supplies its own. It returns
// ErrUnauthorized for a missing or wrong credential.
type Authorizer func(r *http.Request) (allowed func(applicationID string) bool, err error)

// TokenAuthorizer authenticates "Authorization: Bearer <token>" with the
// Manager's tokens (CreateToken).
func (m *Manager) TokenAuthorizer() Authorizer {
	return func(r *http.Request) (func(string) bool, error) {
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, ErrUnauthorized
		}
		t, err := m.Authorize(r.Context(), strings.TrimSpace(tok))
		if err != nil {
			return nil, err
		}
		return t.Allows, nil
	}
}

// CreateBody is the JSON of POST /v1/requests. Application and profile may
// be given by ID or by name; TTL is in seconds.
type CreateBody struct {
	Application    string            `json:"application"`
	Username       string            `json:"username,omitempty"`
	Profile        string            `json:"profile,omitempty"`
	Action         string            `json:"action,omitempty"`
	Description    string            `json:"description,omitempty"`
	TTL            int               `json:"ttl,omitempty"`
	Fingerprint    string            `json:"fingerprint,omitempty"`
	State          string            `json:"state,omitempty"`
	BiometricCheck bool              `json:"biometric_check,omitempty"`
	Vars           map[string]string `json:"vars,omitempty"`
	QR             bool              `json:"qr,omitempty"`
}

// APIHandler serves the third-party API, authenticated by auth
// (TokenAuthorizer when nil):
//
//	POST /v1/requests                 CreateBody → 201 Created
//	GET  /v1/requests/{id}                       → 200 Status
//	GET  /v1/requests/{id}/wait?timeout=SECONDS  → 200 Status (long poll, at most MaxWait)
//
// A request of an application the caller may not act on is "not_found".
func (m *Manager) APIHandler(auth Authorizer) http.Handler {
	if auth == nil {
		auth = m.TokenAuthorizer()
	}
	mux := http.NewServeMux()
	guard := func(h func(w http.ResponseWriter, r *http.Request, allowed func(string) bool)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			allowed, err := auth(r)
			if err != nil {
				if !errors.Is(err, ErrUnauthorized) {
					m.reply(w, r, 0, nil, err)
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="usher"`)
				httpjson.Error(w, http.StatusUnauthorized, CodeUnauthorized, "a valid access token is required")
				return
			}
			h(w, r, allowed)
		}
	}
	mux.HandleFunc("POST /v1/requests", guard(func(w http.ResponseWriter, r *http.Request, allowed func(string) bool) {
		var b CreateBody
		if !m.decode(w, r, &b) {
			return
		}
		in, err := m.resolveCreate(r.Context(), b, allowed)
		if err != nil {
			m.reply(w, r, 0, nil, err)
			return
		}
		in.RequestIP = remoteIP(r)
		out, err := m.Create(r.Context(), in)
		m.reply(w, r, http.StatusCreated, out, err)
	}))
	get := func(wait bool) http.HandlerFunc {
		return guard(func(w http.ResponseWriter, r *http.Request, allowed func(string) bool) {
			id := r.PathValue("id")
			req, st, err := m.Get(r.Context(), id)
			if err == nil && !allowed(req.ApplicationID) {
				err = ErrNotFound
			}
			if err == nil && wait {
				timeout := 30 * time.Second
				if v := r.URL.Query().Get("timeout"); v != "" {
					n, perr := strconv.Atoi(v)
					if perr != nil || n < 0 {
						m.reply(w, r, 0, nil, invalid("timeout must be a number of seconds"))
						return
					}
					timeout = time.Duration(n) * time.Second
				}
				_, st, err = m.Wait(r.Context(), id, timeout)
			}
			m.reply(w, r, http.StatusOK, st, err)
		})
	}
	mux.HandleFunc("GET /v1/requests/{id}", get(false))
	mux.HandleFunc("GET /v1/requests/{id}/wait", get(true))
	notAllowed(mux, map[string]string{"/v1/requests": http.MethodPost, "/v1/requests/{id}": http.MethodGet, "/v1/requests/{id}/wait": http.MethodGet})
	return mux
}

// resolveCreate turns a CreateBody into a CreateRequest, finding the
// application and profile by ID or name.
func (m *Manager) resolveCreate(ctx context.Context, b CreateBody, allowed func(string) bool) (CreateRequest, error) {
	if b.Application == "" {
		return CreateRequest{}, invalid("application is required")
	}
	if b.TTL < 0 || b.TTL > int(MaxTTL/time.Second) {
		return CreateRequest{}, invalid("ttl: 0 to %d seconds", int(MaxTTL/time.Second))
	}
	app, err := m.apps.GetApplication(ctx, b.Application)
	if errors.Is(err, onboarding.ErrNotFound) {
		app, err = m.apps.GetApplicationByName(ctx, b.Application)
	}
	if errors.Is(err, onboarding.ErrNotFound) || (err == nil && !allowed(app.ID)) {
		return CreateRequest{}, fmt.Errorf("authrequest: application %q: %w", b.Application, ErrNotFound)
	} else if err != nil {
		return CreateRequest{}, err
	}
	profile := ""
	if b.Profile != "" {
		ps, err := m.store.ListProfiles(ctx, app.ID)
		if err != nil {
			return CreateRequest{}, err
		}
		for _, p := range ps {
			if p.ID == b.Profile || strings.EqualFold(p.Name, b.Profile) {
				profile = p.ID
				break
			}
		}
		if profile == "" {
			return CreateRequest{}, fmt.Errorf("authrequest: profile %q: %w", b.Profile, ErrNotFound)
		}
	}
	return CreateRequest{ApplicationID: app.ID, Username: b.Username, ProfileID: profile, Action: b.Action,
		Description: b.Description, TTL: time.Duration(b.TTL) * time.Second, Fingerprint: b.Fingerprint,
		State: b.State, BiometricCheck: b.BiometricCheck, Vars: b.Vars, QR: b.QR}, nil
}

// ListBody is the JSON of POST /v1/devices/{id}/pending: the proof's time
// and signature over ListMessage.
type ListBody struct {
	Time      int64  `json:"time"`
	Signature []byte `json:"signature"`
}

// AskBody is the JSON of POST /v1/pre-approvals: what a user sends from a
// policy's link; Period is in seconds.
type AskBody struct {
	Policy   string `json:"policy"`
	Username string `json:"username"`
	Period   int    `json:"period"`
}

// DeviceHandler serves the device API and the pre-approval link's API,
// which need no access token (devices prove their key; pre-approval IDs
// are unguessable):
//
//	POST /v1/devices/{id}/pending   ListBody     → 200 [DeviceRequest]
//	POST /v1/requests/{id}/answer   DeviceAnswer → 200 Status
//	POST /v1/requests/{id}/claim    ClaimRequest → 200 DeviceRequest
//	POST /v1/pre-approvals          AskBody      → 201 PreApproval
//	GET  /v1/pre-approvals/{id}                  → 200 PreApproval
func (m *Manager) DeviceHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/devices/{id}/pending", func(w http.ResponseWriter, r *http.Request) {
		var b ListBody
		if !m.decode(w, r, &b) {
			return
		}
		out, err := m.Pending(r.Context(), DeviceProof{DeviceID: r.PathValue("id"), Time: b.Time, Signature: b.Signature})
		m.reply(w, r, http.StatusOK, out, err)
	})
	mux.HandleFunc("POST /v1/requests/{id}/answer", func(w http.ResponseWriter, r *http.Request) {
		var a DeviceAnswer
		if !m.decode(w, r, &a) {
			return
		}
		a.ResponseIP = remoteIP(r)
		req, err := m.Answer(r.Context(), r.PathValue("id"), a)
		m.reply(w, r, http.StatusOK, m.status(req), err)
	})
	mux.HandleFunc("POST /v1/requests/{id}/claim", func(w http.ResponseWriter, r *http.Request) {
		var c ClaimRequest
		if !m.decode(w, r, &c) {
			return
		}
		out, err := m.Claim(r.Context(), r.PathValue("id"), c)
		m.reply(w, r, http.StatusOK, out, err)
	})
	mux.HandleFunc("POST /v1/pre-approvals", func(w http.ResponseWriter, r *http.Request) {
		var b AskBody
		if !m.decode(w, r, &b) {
			return
		}
		if b.Period <= 0 || b.Period > int(MaxPreApprovalPeriod/time.Second) {
			m.reply(w, r, 0, nil, invalid("period: 1 to %d seconds", int(MaxPreApprovalPeriod/time.Second)))
			return
		}
		if !token(b.Policy) {
			m.reply(w, r, 0, nil, ErrNotFound)
			return
		}
		out, err := m.AskPreApproval(r.Context(), b.Policy, b.Username, time.Duration(b.Period)*time.Second)
		m.reply(w, r, http.StatusCreated, out, err)
	})
	mux.HandleFunc("GET /v1/pre-approvals/{id}", func(w http.ResponseWriter, r *http.Request) {
		out, err := m.PreApprovalStatus(r.Context(), r.PathValue("id"))
		m.reply(w, r, http.StatusOK, out, err)
	})
	notAllowed(mux, map[string]string{"/v1/devices/{id}/pending": http.MethodPost, "/v1/requests/{id}/answer": http.MethodPost,
		"/v1/requests/{id}/claim": http.MethodPost, "/v1/pre-approvals": http.MethodPost, "/v1/pre-approvals/{id}": http.MethodGet})
	return mux
}

// notAllowed answers 405 on the patterns for other methods, and 404
// elsewhere.
func notAllowed(mux *http.ServeMux, allow map[string]string) {
	for p, method := range allow {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Allow", method)
			httpjson.Error(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use "+method)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Error(w, http.StatusNotFound, CodeNotFound, "no such endpoint")
	})
}

// decode reads one JSON object of at most MaxRequestBody bytes into v
// and answers the error itself.
func (m *Manager) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return httpjson.ReadRequest(w, r, MaxRequestBody, v)
}

func (m *Manager) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	httpjson.Reply(w, r, m.log, "authrequest: request", status, v, err, classify)
}

// classify maps an error of the Manager to its status, code and message.
func classify(err error) (int, string, string) {
	for _, c := range []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{ErrNotFound, http.StatusNotFound, CodeNotFound, "not found"},
		{ErrPendingExists, http.StatusConflict, CodePendingExists, "the user has a pending request"},
		{ErrAnswered, http.StatusConflict, CodeAnswered, "the request was answered already or has expired"},
		{ErrRefused, http.StatusForbidden, CodeRefused, "refused"},
		{ErrNoAccess, http.StatusForbidden, CodeNoAccess, "no active pre-approval for this application"},
		{ErrUnauthorized, http.StatusUnauthorized, CodeUnauthorized, "a valid access token is required"},
		{ErrConflict, http.StatusConflict, CodeConflict, "conflict"},
	} {
		if errors.Is(err, c.err) {
			return c.status, c.code, c.msg
		}
	}
	if errors.Is(err, ErrInvalid) {
		return http.StatusBadRequest, CodeInvalidRequest, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": ")
	}
	return http.StatusInternalServerError, CodeInternal, "internal error"
}

// remoteIP is the host of the request's remote address.
func remoteIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}
